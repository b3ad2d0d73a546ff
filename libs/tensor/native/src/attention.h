// The Transformer's row and elementwise kernels (kernels.ts: softmaxRows, layerNorm, gelu and their backward
// passes). Compiled once (not per SIMD path): float64 arithmetic per row in column order, the same sums as the ts
// backend's, each result one rounding of a float64 value to float32; the optional rounding `q` is then a quantize
// pass over the output (quantize.h), whose stats are returned (count 0 when q is Q_NONE).
#pragma once
#include <cstdint>

#include "quantize.h"

namespace lp {

// c[t] = alpha · op(a[t]) · op(b[t]) for t < batch (kernels.ts batchedMatmul): float64 sums in k order.
QStats batched_matmul(int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, double alpha,
                      const float* a, const float* b, float* c, const QParams& q);
QStats softmax_rows(int64_t rows, int64_t cols, const float* x, float* y, const QParams& q);
QStats softmax_rows_backward(int64_t rows, int64_t cols, const float* y, const float* dy, float* dx,
                             const QParams& q);
QStats layer_norm(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* beta, double eps,
                  float* y, float* mean, float* rstd, const QParams& q);
QStats layer_norm_backward(int64_t rows, int64_t cols, const float* x, const float* gamma, const float* mean,
                           const float* rstd, const float* dy, float* dx, float* dgamma, float* dbeta,
                           const QParams& q);
QStats gelu(int64_t n, const float* x, float* y, const QParams& q);
QStats gelu_backward(int64_t n, const float* x, const float* dy, float* dx, const QParams& q);
// y[o, c, r, :] = x[o, r, c, :] (kernels.ts swapAxes): x outer × rows × cols × inner, y outer × cols × rows × inner,
// copied bit for bit; y must not overlap x.
void swap_axes(int64_t outer, int64_t rows, int64_t cols, int64_t inner, const float* x, float* y);

}  // namespace lp
