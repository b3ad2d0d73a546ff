// Float64 dense linear algebra for preprocessing (ZCA whitening of CIFAR-10), not for training:
// C += A·Bᵀ through OpenBLAS dgemm/dsyrk, and the symmetric eigendecomposition through LAPACK dsyevd
// (OpenBLAS's bundled LAPACK). Available only when the addon was built with OpenBLAS.
#pragma once
#include <cstdint>

namespace lp {

// Whether both routines are usable; when not, *reason says why (a static string).
bool linalg64_available(const char** reason);

// C (m×n) += A (m×k) · Bᵀ (B is n×k), row-major, leading dimensions k, k, n. With `upper` and A == B
// (same pointer, m == n) only the upper triangle (j >= i) of C is updated (dsyrk); otherwise the full product.
void dgemm_nt_acc(int64_t m, int64_t n, int64_t k, const double* A, const double* B, double* C, bool upper);

// Eigen-decomposes the symmetric n×n row-major matrix held in `a` (only its lower triangle, j <= i, is
// read). On return `a` holds the eigenvectors, row j the unit eigenvector of w[j]; w ascending.
// Returns LAPACK's info (0: success; > 0: the divide and conquer did not converge; < 0: bad argument).
int dsyevd_rowmajor(int64_t n, double* a, double* w);

}  // namespace lp
