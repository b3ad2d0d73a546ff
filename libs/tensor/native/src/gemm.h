// Single-precision matrix product, row-major: C = alpha * op(A) * op(B) + beta * C.
// OpenBLAS cblas_sgemm when built with it (LOWPREC_HAVE_CBLAS), else (or when disabled) a blocked kernel.
#pragma once
#include <cstdint>

namespace lp {

bool gemm_has_blas();
// Whether gemm uses BLAS (when linked); false forces the own kernel (tests exercise both).
void gemm_use_blas(bool on);
bool gemm_uses_blas();

// A is m x k (k x m if ta), B is k x n (n x k if tb), C is m x n; no leading-dimension padding.
// beta == 0 overwrites C.
void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, const float* B,
           float beta, float* C);
// The own blocked kernel (own_gemm.cc, dispatched by SIMD path, simd.h): same contract; every path gives the same
// bits (the sums over k run in the same order on every path).
void own_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, const float* B,
               float beta, float* C);

}  // namespace lp
