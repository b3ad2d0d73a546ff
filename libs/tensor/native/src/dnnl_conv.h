// Convolution through oneDNN (when the addon is built with it, LOWPREC_HAVE_DNNL): forward, backward data and
// backward weights on the library's blocked layouts, with reorders from and to our plain NCHW / OIHW arrays.
// Only the float32 arithmetic runs in oneDNN; any quantize step stays in conv.cc, applied to the plain output.
#pragma once
#include "conv.h"

namespace lp {

// Whether the addon was built with oneDNN.
bool dnnl_built();
// Whether convolutions use it now (built and not switched off by dnnl_use).
bool dnnl_in_use();
// Switch the oneDNN path on or off at run time (tests compare both paths; off = im2col + gemm).
void dnnl_use(bool on);
// How many convolutions oneDNN has run since the addon loaded (tests check that a geometry takes this path).
int64_t dnnl_conv_runs();
// Tell oneDNN's OpenMP runtime the thread count (called by set_num_threads).
void dnnl_set_threads(int n);

// Each returns false when oneDNN has no primitive for the geometry (the caller then uses im2col + gemm).
// batch must be >= 1. y, dx and dw are overwritten (no beta).
bool dnnl_conv_forward(const ConvShape& s, const float* x, const float* w, float* y);
bool dnnl_conv_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx);
bool dnnl_conv_backward_weights(const ConvShape& s, const float* x, const float* dy, float* dw);

}  // namespace lp
