// 2-D convolution (correlation, zero padding, stride), NCHW: through oneDNN when the addon is built with it
// (dnnl_conv.h), else (or when oneDNN declines a geometry) as im2col + gemm, one image at a time.
#pragma once
#include <cstdint>

#include "quantize.h"

namespace lp {

struct ConvShape {
  int64_t batch, in_channels, height, width, out_channels, kernel_h, kernel_w, pad_h, pad_w, stride_h, stride_w;
  int64_t out_h, out_w;  // derived by the caller (checked)
};

// y = conv(x, w); when q.kind != Q_NONE the output is quantized after the conv (im2col path: per image, right
// after its gemm; element i keeps draw counter + i either way, so both give the same bits for the same conv).
QStats conv2d_forward(const ConvShape& s, const float* x, const float* w, float* y, const QParams& q);
// dx = gradient w.r.t. x (overwrites).
QStats conv2d_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx, const QParams& q);
// dw = sum over the batch of the gradient w.r.t. w, + beta * dw.
QStats conv2d_backward_filter(const ConvShape& s, const float* x, const float* dy, float* dw, float beta,
                              const QParams& q);

}  // namespace lp
