{
  "targets": [{
    "target_name": "lowprec_tensor",
    "sources": ["src/addon.cc", "src/threads.cc", "src/quantize.cc", "src/gemm.cc", "src/conv.cc", "src/dnnl_conv.cc",
                "src/ops.cc", "src/linalg64.cc"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wextra", "-Wno-unused-parameter",
                  "<!@(node -p \"process.env.LOWPREC_DNNL === '1' ? '-fopenmp' : ''\")"],
    "cflags!": ["-O2"],
    # OpenBLAS: set by scripts/build-native.mjs (LOWPREC_BLAS=1 and the cblas.h folder) when it is found.
    # oneDNN: set by the same script (LOWPREC_DNNL=1) when dnnl.hpp and libdnnl are found; it brings OpenMP.
    "defines": ["<!(node -p \"process.env.LOWPREC_BLAS === '1' ? 'LOWPREC_HAVE_CBLAS' : 'LOWPREC_NO_CBLAS'\")",
                "<!(node -p \"process.env.LOWPREC_DNNL === '1' ? 'LOWPREC_HAVE_DNNL' : 'LOWPREC_NO_DNNL'\")"],
    "include_dirs": ["<!(node -p \"process.env.LOWPREC_BLAS_INCLUDE || '.'\")"],
    "libraries": ["<!@(node -p \"process.env.LOWPREC_BLAS === '1' ? '-lopenblas' : ''\")",
                  "<!@(node -p \"process.env.LOWPREC_DNNL === '1' ? '-ldnnl -fopenmp' : ''\")"]
  }]
}
