// Elementwise and small layer kernels (bias, maxout, pooling, softmax, dropout, max-norm, axpby), each
// split over the thread pool and optionally fused with a quantize pass over the rows it just wrote.
// Every result equals the TypeScript reference bit for bit (same per-element arithmetic, same sum order).
// The functions below run the active SIMD path's kernels (simd.h); ops.cc holds them, once per path.
#pragma once
#include <cstdint>

#include "quantize.h"

namespace lp {

QStats bias_add(int64_t batch, int64_t channels, int64_t spatial, const float* x, const float* bias, float* y,
                const QParams& q);
QStats bias_grad(int64_t batch, int64_t channels, int64_t spatial, const float* dy, float* db, const QParams& q);
QStats maxout_forward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x, float* y,
                      int32_t* argmax, const QParams& q);
// returns false (and leaves dx partly written) if an argmax is out of range
bool maxout_backward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x,
                     const int32_t* argmax, const float* dy, float* dx, bool all_ties, const QParams& q, QStats& st);
QStats maxpool_forward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                       const float* x, float* y, int32_t* argmax, const QParams& q);
bool maxpool_backward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                      const float* x, const int32_t* argmax, const float* dy, float* dx, bool all_ties,
                      const QParams& q, QStats& st);
// returns the loss sum; errors counted into *errors
double softmax_xent_forward(int64_t batch, int64_t classes, const float* logits, const int32_t* labels, float* probs,
                            int64_t* errors);
QStats softmax_xent_backward(int64_t batch, int64_t classes, const float* probs, const int32_t* labels, float* dlogits,
                             double scale, const QParams& q);
void dropout_mask(uint8_t* mask, int64_t n, double keep_prob, uint32_t seed, uint64_t counter);
void apply_mask(const float* x, const uint8_t* mask, float* y, int64_t n);
// GELU's tanh form, y = 0.5·u·(1 + tanh(√(2/π)·(u + 0.044715·u³))), and its derivative times dy, in float64 with
// attention.cc's tanh from basic operations (the TypeScript reference's bits); not rounded.
void gelu_values(int64_t n, const float* x, float* y);
void gelu_grad_values(int64_t n, const float* x, const float* dy, float* dx);
// c[t] = alpha · op(a[t]) · op(b[t]) for t < batch (attention.cc's batched_matmul, not rounded): each value one
// float64 sum over p in order, then float32, on every path the bits of the ts backend's batchedMatmul.
void batched_matmul_values(int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, double alpha,
                           const float* a, const float* b, float* c);
void column_norms(int64_t rows, int64_t cols, const float* w, float* norms);
QStats scale_columns(int64_t rows, int64_t cols, const float* w, const float* factors, float* y, const QParams& q);
QStats axpby(int64_t n, double alpha, const float* x, double beta, float* y, const QParams& q);
QStats scale(int64_t n, double alpha, const float* x, float* y, const QParams& q);
QStats add(int64_t n, const float* a, const float* b, float* y, const QParams& q);

}  // namespace lp
