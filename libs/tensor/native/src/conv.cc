#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "dnnl_conv.h"
#include "gemm.h"
#include "threads.h"

namespace lp {
namespace {

// NOTE: with OpenBLAS, its worker threads keep spinning for a while after each gemm; waking our own pool
// for im2col/col2im between two gemms then fights them for the cores. So the copies run on the calling
// thread when gemm is BLAS (they are ~10% of the work), and on the pool with the own gemm kernel.
int64_t copy_grain(int64_t rows) { return gemm_uses_blas() ? rows + 1 : 1; }

// col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*sh - ph + kh][ow*sw - pw + kw] (0 outside), rows in parallel.
void im2col(const ConvShape& s, const float* x, float* col) {
  const int64_t K = s.kernel_h * s.kernel_w, OHW = s.out_h * s.out_w;
  parallel_for(s.in_channels * K, std::max<int64_t>(64, copy_grain(s.in_channels * K)),
               [&](int, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const int64_t c = r / K, kh = (r % K) / s.kernel_w, kw = r % s.kernel_w;
      const float* xc = x + c * s.height * s.width;
      float* out = col + r * OHW;
      for (int64_t oh = 0; oh < s.out_h; oh++) {
        const int64_t ih = oh * s.stride_h - s.pad_h + kh;
        float* o = out + oh * s.out_w;
        if (ih < 0 || ih >= s.height) { std::memset(o, 0, sizeof(float) * (size_t)s.out_w); continue; }
        const float* xr = xc + ih * s.width;
        for (int64_t ow = 0; ow < s.out_w; ow++) {
          const int64_t iw = ow * s.stride_w - s.pad_w + kw;
          o[ow] = (iw >= 0 && iw < s.width) ? xr[iw] : 0.0f;
        }
      }
    }
  });
}

// dx[c] += col rows of channel c scattered back (channels in parallel, so no two threads write one pixel).
void col2im(const ConvShape& s, const float* col, float* dx) {
  const int64_t K = s.kernel_h * s.kernel_w, OHW = s.out_h * s.out_w;
  parallel_for(s.in_channels, std::max<int64_t>(4, copy_grain(s.in_channels)), [&](int, int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; c++) {
      float* xc = dx + c * s.height * s.width;
      std::memset(xc, 0, sizeof(float) * (size_t)(s.height * s.width));
      for (int64_t k = 0; k < K; k++) {
        const int64_t kh = k / s.kernel_w, kw = k % s.kernel_w;
        const float* in = col + (c * K + k) * OHW;
        for (int64_t oh = 0; oh < s.out_h; oh++) {
          const int64_t ih = oh * s.stride_h - s.pad_h + kh;
          if (ih < 0 || ih >= s.height) continue;
          float* xr = xc + ih * s.width;
          const float* ir = in + oh * s.out_w;
          for (int64_t ow = 0; ow < s.out_w; ow++) {
            const int64_t iw = ow * s.stride_w - s.pad_w + kw;
            if (iw >= 0 && iw < s.width) xr[iw] += ir[ow];
          }
        }
      }
    }
  });
}

void quantize_slice(const QParams& q, float* y, int64_t n, QStats& total) {
  if (q.kind == Q_NONE) return;
  if (gemm_uses_blas()) {
    quantize_range(q, y, y, 0, n, total);  // one image's output, on the calling thread (see copy_grain)
    return;
  }
  total.merge(quantize(q, y, y, n));
}

}  // namespace

QStats conv2d_forward(const ConvShape& s, const float* x, const float* w, float* y, const QParams& q) {
  // NOTE: on the oneDNN path the whole output is quantized in one pass after the conv (same draws, same stats).
  if (dnnl_conv_forward(s, x, w, y))
    return q.kind == Q_NONE ? QStats() : quantize(q, y, y, s.batch * s.out_channels * s.out_h * s.out_w);
  const int64_t CKK = s.in_channels * s.kernel_h * s.kernel_w, OHW = s.out_h * s.out_w;
  const int64_t xs = s.in_channels * s.height * s.width, ys = s.out_channels * OHW;
  std::vector<float> col((size_t)(CKK * OHW));
  QStats total;
  QParams qi = q;
  for (int64_t n = 0; n < s.batch; n++) {
    im2col(s, x + n * xs, col.data());
    sgemm(false, false, s.out_channels, OHW, CKK, 1.0f, w, col.data(), 0.0f, y + n * ys);
    // NOTE: element i of the whole tensor keeps draw counter + i, so per-image passes equal one big pass.
    qi.counter = q.counter + (uint64_t)(n * ys);
    quantize_slice(qi, y + n * ys, ys, total);
  }
  return total;
}

QStats conv2d_backward_data(const ConvShape& s, const float* dy, const float* w, float* dx, const QParams& q) {
  if (dnnl_conv_backward_data(s, dy, w, dx))
    return q.kind == Q_NONE ? QStats() : quantize(q, dx, dx, s.batch * s.in_channels * s.height * s.width);
  const int64_t CKK = s.in_channels * s.kernel_h * s.kernel_w, OHW = s.out_h * s.out_w;
  const int64_t xs = s.in_channels * s.height * s.width, ys = s.out_channels * OHW;
  std::vector<float> col((size_t)(CKK * OHW));
  QStats total;
  QParams qi = q;
  for (int64_t n = 0; n < s.batch; n++) {
    sgemm(true, false, CKK, OHW, s.out_channels, 1.0f, w, dy + n * ys, 0.0f, col.data());
    col2im(s, col.data(), dx + n * xs);
    qi.counter = q.counter + (uint64_t)(n * xs);
    quantize_slice(qi, dx + n * xs, xs, total);
  }
  return total;
}

QStats conv2d_backward_filter(const ConvShape& s, const float* x, const float* dy, float* dw, float beta,
                              const QParams& q) {
  const int64_t CKK = s.in_channels * s.kernel_h * s.kernel_w, OHW = s.out_h * s.out_w;
  const int64_t xs = s.in_channels * s.height * s.width, ys = s.out_channels * OHW;
  if (s.batch > 0 && dnnl_in_use()) {
    // NOTE: oneDNN overwrites its output, so beta != 0 goes through a scratch copy: dw = grad + beta * dw.
    std::vector<float> grad;
    float* out = dw;
    if (beta != 0) {
      grad.resize((size_t)(s.out_channels * CKK));
      out = grad.data();
    }
    if (dnnl_conv_backward_weights(s, x, dy, out)) {
      if (beta != 0)
        for (int64_t i = 0; i < s.out_channels * CKK; i++) dw[i] = out[i] + beta * dw[i];
      return q.kind == Q_NONE ? QStats() : quantize(q, dw, dw, s.out_channels * CKK);
    }
  }
  std::vector<float> col((size_t)(CKK * OHW));
  if (s.batch == 0) {
    for (int64_t i = 0; i < s.out_channels * CKK; i++) dw[i] = beta == 0 ? 0.0f : beta * dw[i];
  }
  for (int64_t n = 0; n < s.batch; n++) {
    im2col(s, x + n * xs, col.data());
    sgemm(false, true, s.out_channels, CKK, OHW, 1.0f, dy + n * ys, col.data(), n == 0 ? beta : 1.0f, dw);
  }
  QStats total;
  quantize_slice(q, dw, s.out_channels * CKK, total);
  return total;
}

}  // namespace lp
