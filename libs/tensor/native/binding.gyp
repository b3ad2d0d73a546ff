{
  # No -march=native: the addon runs on any CPU of its architecture. The vectorised kernels (ops.cc, quantize.cc,
  # own_gemm.cc) are compiled once per SIMD path into a static library of their own, with that path's flags, and
  # src/simd.cc picks one when the addon loads (src/simd.h, src/isa.h). -ffp-contract=off everywhere: no FMA
  # contraction, so every path gives the bits of the TypeScript reference.
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-Wall",
                  "-Wextra", "-Wno-unused-parameter"],
    "cflags!": ["-O2"],
    # OpenBLAS: set by scripts/build-native.mjs (LOWPREC_BLAS=1 and the cblas.h folder) when it is found.
    # oneDNN: set by the same script (LOWPREC_DNNL=1) when dnnl.hpp and libdnnl are found; it brings OpenMP.
    "defines": ["<!(node -p \"process.env.LOWPREC_BLAS === '1' ? 'LOWPREC_HAVE_CBLAS' : 'LOWPREC_NO_CBLAS'\")",
                "<!(node -p \"process.env.LOWPREC_DNNL === '1' ? 'LOWPREC_HAVE_DNNL' : 'LOWPREC_NO_DNNL'\")"],
  },
  "targets": [
    {
      "target_name": "lowprec_tensor",
      "sources": ["src/addon.cc", "src/simd.cc", "src/threads.cc", "src/gemm.cc", "src/conv.cc", "src/dnnl_conv.cc",
                  "src/linalg64.cc", "src/attention.cc"],
      "dependencies": ["kernels_portable"],
      "cflags_cc": ["<!@(node -p \"process.env.LOWPREC_DNNL === '1' ? '-fopenmp' : ''\")"],
      "include_dirs": ["<!(node -p \"process.env.LOWPREC_BLAS_INCLUDE || '.'\")"],
      "libraries": ["<!@(node -p \"process.env.LOWPREC_BLAS === '1' ? '-lopenblas' : ''\")",
                    "<!@(node -p \"process.env.LOWPREC_DNNL === '1' ? '-ldnnl -fopenmp' : ''\")"],
      "conditions": [["target_arch == 'x64'", {
        "dependencies": ["kernels_avx2", "kernels_avx512"],
        "defines": ["LP_SIMD_X86"],
      }]],
    },
    {
      # the architecture's baseline (x86-64: SSE2 only)
      "target_name": "kernels_portable",
      "type": "static_library",
      "sources": ["src/ops.cc", "src/quantize.cc", "src/own_gemm.cc"],
      "defines": ["LP_ISA=0"],
      "conditions": [["target_arch == 'x64'", {"cflags_cc": ["-march=x86-64"]}]],
    },
  ],
  "conditions": [["target_arch == 'x64'", {
    "targets": [
      {
        "target_name": "kernels_avx2",
        "type": "static_library",
        "sources": ["src/ops.cc", "src/quantize.cc", "src/own_gemm.cc"],
        "defines": ["LP_ISA=1"],
        "cflags_cc": ["-march=x86-64", "-mavx2", "-mfma", "-mf16c"],
      },
      {
        "target_name": "kernels_avx512",
        "type": "static_library",
        "sources": ["src/ops.cc", "src/quantize.cc", "src/own_gemm.cc"],
        "defines": ["LP_ISA=2"],
        "cflags_cc": ["-march=x86-64", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx2", "-mfma",
                      "-mf16c"],
      },
    ],
  }]],
}
