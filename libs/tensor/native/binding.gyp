{
  "targets": [{
    "target_name": "lowprec_tensor",
    "sources": ["src/addon.cc", "src/threads.cc", "src/quantize.cc", "src/gemm.cc", "src/conv.cc", "src/ops.cc", "src/linalg64.cc"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "cflags!": ["-O2"],
    # OpenBLAS: set by scripts/build-native.mjs (LOWPREC_BLAS=1 and the cblas.h folder) when it is found.
    "defines": ["<!(node -p \"process.env.LOWPREC_BLAS === '1' ? 'LOWPREC_HAVE_CBLAS' : 'LOWPREC_NO_CBLAS'\")"],
    "include_dirs": ["<!(node -p \"process.env.LOWPREC_BLAS_INCLUDE || '.'\")"],
    "libraries": ["<!@(node -p \"process.env.LOWPREC_BLAS === '1' ? '-lopenblas' : ''\")"]
  }]
}
