// The own blocked sgemm (gemm.h's own_sgemm), used when the addon is built without OpenBLAS or it is switched off.
// Compiled once per SIMD path (isa.h): the inner loop is plain C++ that the compiler vectorises for the path's
// registers; each C element is summed over k in the same order on every path, so every path gives the same bits.
#include "isa.h"

#include <algorithm>
#include <cstring>

#include "simd.h"

namespace lp {
namespace LP_ISA_NS {
namespace {

constexpr int64_t KC = 256;  // depth of a packed panel
constexpr int64_t NC = 512;  // width of a packed B panel (floats)
constexpr int64_t MR = 4;    // rows per register tile

// C[i0:i1, j0:j1] += alpha * A[i0:i1, p0:p1] * Bp, where Bp is the packed (p1-p0) x (j1-j0) panel.
// op(A)(i, p) = A[i * sa + p * sp].
void tile(const float* A, int64_t sa, int64_t sp, const float* Bp, int64_t kc, int64_t nc, float alpha,
          float* C, int64_t ldc, int64_t i0, int64_t i1, int64_t p0) {
  float acc[MR][NC];
  for (int64_t i = i0; i < i1; i += MR) {
    const int64_t mr = std::min(MR, i1 - i);
    for (int64_t r = 0; r < mr; r++) std::memset(acc[r], 0, sizeof(float) * (size_t)nc);
    for (int64_t p = 0; p < kc; p++) {
      const float* b = Bp + p * nc;
      for (int64_t r = 0; r < mr; r++) {
        const float a = A[(i + r) * sa + (p0 + p) * sp];
        float* c = acc[r];
#pragma GCC ivdep
        for (int64_t j = 0; j < nc; j++) c[j] += a * b[j];
      }
    }
    for (int64_t r = 0; r < mr; r++) {
      float* c = C + (i + r) * ldc;
      for (int64_t j = 0; j < nc; j++) c[j] += alpha * acc[r][j];
    }
  }
}

}  // namespace

void own_sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, const float* B,
               float beta, float* C) {
  // C = beta * C first (beta == 0 overwrites).
  pfor(m, 16, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
      float* c = C + i * n;
      if (beta == 0) std::memset(c, 0, sizeof(float) * (size_t)n);
      else if (beta != 1) for (int64_t j = 0; j < n; j++) c[j] *= beta;
    }
  });
  if (k == 0 || alpha == 0) return;
  const int64_t sa = ta ? 1 : k, sp = ta ? m : 1;
  Buffer<float> packed((size_t)(KC * NC));
  for (int64_t j0 = 0; j0 < n; j0 += NC) {
    const int64_t nc = std::min(NC, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
      const int64_t kc = std::min(KC, k - p0);
      // pack op(B)[p0:p0+kc, j0:j0+nc] contiguously
      for (int64_t p = 0; p < kc; p++)
        for (int64_t j = 0; j < nc; j++)
          packed[(size_t)(p * nc + j)] = tb ? B[(j0 + j) * k + p0 + p] : B[(p0 + p) * n + j0 + j];
      const float* Bp = packed.data();
      pfor((m + MR - 1) / MR, 4, [&](int, int64_t lo, int64_t hi) {
        tile(A, sa, sp, Bp, kc, nc, alpha, C + j0, n, lo * MR, std::min(hi * MR, m), p0);
      });
    }
  }
}

}  // namespace LP_ISA_NS
}  // namespace lp
