// See attention.h. Rows (or elements) run on the thread pool; each row's arithmetic is sequential, in column order.
#include "attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "ops.h"
#include "threads.h"

namespace lp {
namespace {

QStats round_output(const QParams& q, float* y, int64_t n) {
  if (q.kind == Q_NONE) return QStats{};
  return quantize(q, y, y, n);
}


}  // namespace

QStats batched_matmul(int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, double alpha,
                      const float* a, const float* b, float* c, const QParams& q) {
  // op(A)[i, p] as strides into each stored A; op(B) read row by row (a transposed B copied once per matrix). Each
  // C[i, j] sums its products over p in order in float64, as the ts backend's gemm does, so the bits are the same;
  // the loop over j (inner) runs the columns side by side.
  const int64_t ai = trans_a ? 1 : k, ap = trans_a ? m : 1;
  parallel_for(batch * m, std::max<int64_t>(1, 4096 / std::max<int64_t>(n * k, 1)), [&](int, int64_t lo, int64_t hi) {
    std::unique_ptr<double[]> acc(new double[(size_t)std::max<int64_t>(n, 1)]);
    std::unique_ptr<float[]> bt_copy(trans_b ? new float[(size_t)std::max<int64_t>(k * n, 1)] : nullptr);
    int64_t copied = -1;
    for (int64_t row = lo; row < hi; row++) {
      const int64_t t = row / m, i = row - t * m;
      const float* at = a + t * m * k;
      const float* bt = b + t * k * n;
      if (trans_b) {
        if (copied != t) {
          // B stored n × k: op(B)[p, j] = bt[j·k + p]
          for (int64_t p = 0; p < k; p++)
            for (int64_t j = 0; j < n; j++) bt_copy[(size_t)(p * n + j)] = bt[j * k + p];
          copied = t;
        }
        bt = bt_copy.get();
      }
      double* s = acc.get();
      for (int64_t j = 0; j < n; j++) s[j] = 0;
      for (int64_t p = 0; p < k; p++) {
        const double av = (double)at[i * ai + p * ap];
        const float* br = bt + p * n;
        for (int64_t j = 0; j < n; j++) s[j] += av * (double)br[j];
      }
      float* cr = c + t * m * n + i * n;
      for (int64_t j = 0; j < n; j++) cr[j] = (float)(alpha * s[j]);
    }
  });
  return round_output(q, c, batch * m * n);
}

QStats softmax_rows(int64_t rows, int64_t cols, const float* x, float* y, const QParams& q) {
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)), [&](int, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t c = 0; c < cols; c++) m = std::max(m, (double)xr[c]);
      double sum = 0;
      for (int64_t c = 0; c < cols; c++) sum += std::exp((double)xr[c] - m);
      // NOTE: x may be y: each value is read before it is written
      for (int64_t c = 0; c < cols; c++) yr[c] = (float)(std::exp((double)xr[c] - m) / sum);
    }
  });
  return round_output(q, y, rows * cols);
}

QStats softmax_rows_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx,
                             const QParams& q) {
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)), [&](int, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const int64_t o = r * cols;
      double dot = 0;
      for (int64_t c = 0; c < cols; c++) dot += (double)dy[o + c] * (double)y[o + c];
      for (int64_t c = 0; c < cols; c++)
        dx[o + c] = (float)((double)y[o + c] * ((double)dy[o + c] - dot));
    }
  });
  return round_output(q, dx, rows * cols);
}

QStats layer_norm(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* beta, double eps,
                  float* y, float* mean, float* rstd, const QParams& q) {
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)), [&](int, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double s = 0;
      for (int64_t c = 0; c < cols; c++) s += xr[c];
      const double mu = s / (double)cols;
      double ss = 0;
      for (int64_t c = 0; c < cols; c++) ss += ((double)xr[c] - mu) * ((double)xr[c] - mu);
      const double rs = 1 / std::sqrt(ss / (double)cols + eps);
      for (int64_t c = 0; c < cols; c++)
        yr[c] = (float)(((double)xr[c] - mu) * rs * (double)gamma[c] + (double)beta[c]);
      mean[r] = (float)mu;
      rstd[r] = (float)rs;
    }
  });
  return round_output(q, y, rows * cols);
}

QStats layer_norm_backward(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* mean,
                           const float* rstd, const float* dy, float* dx, float* dgamma, float* dbeta,
                           const QParams& q) {
  // the parameters' gradients first (dx may be dy), a column per task, rows in order
  parallel_for(cols, 16, [&](int, int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; c++) {
      double dg = 0, db = 0;
      for (int64_t r = 0; r < rows; r++) {
        const int64_t i = r * cols + c;
        dg += (double)dy[i] * (((double)x[i] - (double)mean[r]) * (double)rstd[r]);
        db += (double)dy[i];
      }
      dgamma[c] = (float)dg;
      dbeta[c] = (float)db;
    }
  });
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)), [&](int, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const int64_t o = r * cols;
      const double mu = mean[r], rs = rstd[r];
      double sg = 0, sgx = 0;
      for (int64_t c = 0; c < cols; c++) {
        const double g = (double)dy[o + c] * (double)gamma[c];
        sg += g;
        sgx += g * (((double)x[o + c] - mu) * rs);
      }
      const double mg = sg / (double)cols, mgx = sgx / (double)cols;
      for (int64_t c = 0; c < cols; c++) {
        const double g = (double)dy[o + c] * (double)gamma[c];
        dx[o + c] = (float)(rs * (g - mg - ((double)x[o + c] - mu) * rs * mgx));
      }
    }
  });
  return round_output(q, dx, rows * cols);
}

// NOTE: the values come from the SIMD path's kernels (ops.cc: vectorised, the bits of backends/ts.ts's tanhBasic)
QStats gelu(int64_t n, const float* x, float* y, const QParams& q) {
  gelu_values(n, x, y);
  return round_output(q, y, n);
}

QStats gelu_backward(int64_t n, const float* x, const float* dy, float* dx, const QParams& q) {
  gelu_grad_values(n, x, dy, dx);
  return round_output(q, dx, n);
}

}  // namespace lp
