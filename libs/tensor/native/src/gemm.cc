#include "gemm.h"

#include <algorithm>

#ifdef LOWPREC_HAVE_CBLAS
#include <cblas.h>
#endif

namespace lp {
namespace {

bool g_use_blas = true;

}  // namespace

bool gemm_has_blas() {
#ifdef LOWPREC_HAVE_CBLAS
  return true;
#else
  return false;
#endif
}

void gemm_use_blas(bool on) { g_use_blas = on; }
bool gemm_uses_blas() { return gemm_has_blas() && g_use_blas; }

void sgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, const float* B,
           float beta, float* C) {
  if (m == 0 || n == 0) return;
#ifdef LOWPREC_HAVE_CBLAS
  if (g_use_blas && k > 0) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                (int)k, alpha, A, (int)std::max<int64_t>(1, ta ? m : k), B, (int)std::max<int64_t>(1, tb ? k : n),
                beta, C, (int)n);
    return;
  }
#endif
  own_sgemm(ta, tb, m, n, k, alpha, A, B, beta, C);
}

}  // namespace lp
