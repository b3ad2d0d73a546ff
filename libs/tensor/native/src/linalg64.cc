#include "linalg64.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#ifdef LOWPREC_HAVE_CBLAS
#include <cblas.h>

// LAPACK from OpenBLAS (no LAPACKE header needed): the Fortran symbol, arguments by reference, and the
// hidden lengths of the two character arguments that gfortran appends. Weak, so an OpenBLAS built without
// LAPACK still loads: the symbol is then null and linalg64_available says so.
extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t jobz_len,
                        size_t uplo_len) __attribute__((weak));
#endif

namespace lp {

bool linalg64_available(const char** reason) {
#ifdef LOWPREC_HAVE_CBLAS
  if (dsyevd_ == nullptr) {
    *reason = "the linked OpenBLAS has no LAPACK (dsyevd_ not found)";
    return false;
  }
  *reason = "";
  return true;
#else
  *reason = "the addon was built without OpenBLAS (LOWPREC_NATIVE_BLAS=0, or libopenblas-dev was not installed)";
  return false;
#endif
}

void dgemm_nt_acc(int64_t m, int64_t n, int64_t k, const double* A, const double* B, double* C, bool upper) {
  if (m == 0 || n == 0 || k == 0) return;
#ifdef LOWPREC_HAVE_CBLAS
  const int lda = (int)std::max<int64_t>(1, k);
  if (upper && A == B && m == n) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)k, 1.0, A, lda, 1.0, C, (int)n);
  } else {
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0, A, lda, B, lda, 1.0, C, (int)n);
  }
#endif
}

int dsyevd_rowmajor(int64_t n, double* a, double* w) {
  if (n == 0) return 0;
#ifdef LOWPREC_HAVE_CBLAS
  // Row-major lower triangle = column-major upper triangle ('U'). Column j of the column-major result
  // (the eigenvector of w[j]) is contiguous, i.e. row j of the row-major view.
  const int nn = (int)n;
  int info = 0, lwork = -1, liwork = -1, iwork_query = 0;
  double work_query = 0;
  dsyevd_("V", "U", &nn, a, &nn, w, &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
  if (info != 0) return info;
  // NOTE: the documented minimum for JOBZ='V' is 1 + 6n + 2n² and 3 + 5n; never go below it
  lwork = std::max((int)work_query, 1 + 6 * nn + 2 * nn * nn);
  liwork = std::max(iwork_query, 3 + 5 * nn);
  std::vector<double> work((size_t)lwork);
  std::vector<int> iwork((size_t)liwork);
  dsyevd_("V", "U", &nn, a, &nn, w, work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  return info;
#else
  return -1;
#endif
}

}  // namespace lp
