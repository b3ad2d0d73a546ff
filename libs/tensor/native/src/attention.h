// The Transformer's row and elementwise kernels (kernels.ts: softmaxRows, layerNorm, gelu and their backward
// passes). Compiled once (not per SIMD path): float64 arithmetic per row in column order, the same sums as the ts
// backend's, each result one rounding of a float64 value to float32; the optional rounding `q` is then a quantize
// pass over the output (quantize.h), whose stats are returned (count 0 when q is Q_NONE).
#pragma once
#include <cstdint>

#include "quantize.h"

namespace lp {

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

}  // namespace lp
