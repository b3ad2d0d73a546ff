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

// NOTE: the values come from the SIMD path's kernel (ops.cc: register tiles, the same float64 sums in k order)
QStats batched_matmul(int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, double alpha,
                      const float* a, const float* b, float* c, const QParams& q) {
  batched_matmul_values(batch, m, n, k, trans_a, trans_b, alpha, a, b, c);
  return round_output(q, c, batch * m * n);
}

QStats softmax_rows(int64_t rows, int64_t cols, const float* x, float* y, const QParams& q) {
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)), [&](int, int64_t lo, int64_t hi) {
    // each exp once (the same value both times the reference computes it)
    std::unique_ptr<double[]> e(new double[(size_t)std::max<int64_t>(cols, 1)]);
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * cols;
      float* yr = y + r * cols;
      double m = -std::numeric_limits<double>::infinity();
      for (int64_t c = 0; c < cols; c++) m = std::max(m, (double)xr[c]);
      double sum = 0;
      for (int64_t c = 0; c < cols; c++) {
        e[(size_t)c] = std::exp((double)xr[c] - m);
        sum += e[(size_t)c];
      }
      // NOTE: x may be y: each value is read before it is written
      for (int64_t c = 0; c < cols; c++) yr[c] = (float)(e[(size_t)c] / sum);
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

namespace {

// LN_ROWS rows side by side: each row's sums are still one chain in column order (the same bits), but the chains of
// different rows overlap in the pipeline instead of waiting on each add's latency.
constexpr int64_t LN_ROWS = 4;

// rows [r0, r0 + R) of layer_norm
template <int64_t R>
void layer_norm_rows(int64_t r0, int64_t cols, const float* x, const float* gamma, const float* beta, double eps,
                     float* y, float* mean, float* rstd) {
  const float* xr[R];
  double s[R], ss[R], mu[R], rs[R];
  for (int64_t i = 0; i < R; i++) {
    xr[i] = x + (r0 + i) * cols;
    s[i] = 0;
    ss[i] = 0;
  }
  for (int64_t c = 0; c < cols; c++)
    for (int64_t i = 0; i < R; i++) s[i] += xr[i][c];
  for (int64_t i = 0; i < R; i++) mu[i] = s[i] / (double)cols;
  for (int64_t c = 0; c < cols; c++)
    for (int64_t i = 0; i < R; i++) ss[i] += ((double)xr[i][c] - mu[i]) * ((double)xr[i][c] - mu[i]);
  for (int64_t i = 0; i < R; i++) rs[i] = 1 / std::sqrt(ss[i] / (double)cols + eps);
  // NOTE: y may be x: each value is read before it is written
  for (int64_t i = 0; i < R; i++) {
    float* yr = y + (r0 + i) * cols;
    for (int64_t c = 0; c < cols; c++)
      yr[c] = (float)(((double)xr[i][c] - mu[i]) * rs[i] * (double)gamma[c] + (double)beta[c]);
    mean[r0 + i] = (float)mu[i];
    rstd[r0 + i] = (float)rs[i];
  }
}

// rows [r0, r0 + R) of layer_norm_backward's dx
template <int64_t R>
void layer_norm_backward_rows(int64_t r0, int64_t cols, const float* x, const float* gamma, const float* mean,
                              const float* rstd, const float* dy, float* dx) {
  double mu[R], rs[R], sg[R], sgx[R];
  for (int64_t i = 0; i < R; i++) {
    mu[i] = mean[r0 + i];
    rs[i] = rstd[r0 + i];
    sg[i] = 0;
    sgx[i] = 0;
  }
  for (int64_t c = 0; c < cols; c++)
    for (int64_t i = 0; i < R; i++) {
      const int64_t o = (r0 + i) * cols + c;
      const double g = (double)dy[o] * (double)gamma[c];
      sg[i] += g;
      sgx[i] += g * (((double)x[o] - mu[i]) * rs[i]);
    }
  // NOTE: dx may be dy: each row's sums are complete before its values are written
  for (int64_t i = 0; i < R; i++) {
    const int64_t o = (r0 + i) * cols;
    const double mg = sg[i] / (double)cols, mgx = sgx[i] / (double)cols;
    for (int64_t c = 0; c < cols; c++) {
      const double g = (double)dy[o + c] * (double)gamma[c];
      dx[o + c] = (float)(rs[i] * (g - mg - ((double)x[o + c] - mu[i]) * rs[i] * mgx));
    }
  }
}

}  // namespace

QStats layer_norm(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* beta, double eps,
                  float* y, float* mean, float* rstd, const QParams& q) {
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)), [&](int, int64_t lo, int64_t hi) {
    int64_t r = lo;
    for (; r + LN_ROWS <= hi; r += LN_ROWS) layer_norm_rows<LN_ROWS>(r, cols, x, gamma, beta, eps, y, mean, rstd);
    for (; r < hi; r++) layer_norm_rows<1>(r, cols, x, gamma, beta, eps, y, mean, rstd);
  });
  return round_output(q, y, rows * cols);
}

QStats layer_norm_backward(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* mean,
                           const float* rstd, const float* dy, float* dx, float* dgamma, float* dbeta,
                           const QParams& q) {
  // the parameters' gradients first (dx may be dy): a band of columns per task, each column's sums over the rows in
  // order, the band's columns side by side
  parallel_for(cols, 16, [&](int, int64_t lo, int64_t hi) {
    const int64_t w = hi - lo;
    std::unique_ptr<double[]> dg(new double[(size_t)std::max<int64_t>(w, 1)]()),
        db(new double[(size_t)std::max<int64_t>(w, 1)]());
    for (int64_t r = 0; r < rows; r++) {
      const double mr = mean[r], rr = rstd[r];
      const float* dyr = dy + r * cols + lo;
      const float* xr = x + r * cols + lo;
      for (int64_t j = 0; j < w; j++) {
        dg[(size_t)j] += (double)dyr[j] * (((double)xr[j] - mr) * rr);
        db[(size_t)j] += (double)dyr[j];
      }
    }
    for (int64_t j = 0; j < w; j++) {
      dgamma[lo + j] = (float)dg[(size_t)j];
      dbeta[lo + j] = (float)db[(size_t)j];
    }
  });
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)), [&](int, int64_t lo, int64_t hi) {
    int64_t r = lo;
    for (; r + LN_ROWS <= hi; r += LN_ROWS)
      layer_norm_backward_rows<LN_ROWS>(r, cols, x, gamma, mean, rstd, dy, dx);
    for (; r < hi; r++) layer_norm_backward_rows<1>(r, cols, x, gamma, mean, rstd, dy, dx);
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

void swap_axes(int64_t outer, int64_t rows, int64_t cols, int64_t inner, const float* x, float* y) {
  // a task per (o, r): its cols runs of inner values, each to its place in y
  parallel_for(outer * rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(cols * inner, 1)),
               [&](int, int64_t lo, int64_t hi) {
    for (int64_t or_ = lo; or_ < hi; or_++) {
      const int64_t o = or_ / rows, r = or_ - o * rows;
      const float* xr = x + or_ * cols * inner;
      float* yo = y + (o * cols * rows + r) * inner;
      // NOTE: a plain loop, not memcpy: attention's runs are short (16 values), where a library call costs more
      // than the copy. A float assignment is a move (no arithmetic): the bits, NaN payloads included, are kept.
      for (int64_t c = 0; c < cols; c++)
        for (int64_t i = 0; i < inner; i++) yo[c * rows * inner + i] = xr[c * inner + i];
    }
  });
}

}  // namespace lp
