#include "ops.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "threads.h"

namespace lp {
namespace {

constexpr int64_t BLOCK = 4096;  // elements produced then quantized while still in L1

// Runs op(lo, hi) over row ranges [0, rows) on the pool; after each block of rows, quantizes the output
// elements [lo * row_len, hi * row_len) of y in place. Returns the merged stats.
template <class Op>
QStats fused_rows(int64_t rows, int64_t row_len, float* y, const QParams& q, Op op) {
  std::vector<QStats> parts((size_t)num_threads());
  const int64_t rows_per_block = std::max<int64_t>(1, BLOCK / std::max<int64_t>(row_len, 1));
  parallel_for(rows, std::max<int64_t>(rows_per_block, 1 + (1 << 14) / std::max<int64_t>(row_len, 1)),
               [&](int t, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r += rows_per_block) {
      const int64_t r1 = std::min(hi, r + rows_per_block);
      op(r, r1);
      if (q.kind != Q_NONE) quantize_range(q, y, y, r * row_len, r1 * row_len, parts[(size_t)t]);
    }
  });
  QStats total;
  for (auto& p : parts) total.merge(p);
  total.count = q.kind == Q_NONE ? 0 : rows * row_len;
  return total;
}

}  // namespace

QStats bias_add(int64_t batch, int64_t channels, int64_t spatial, const float* x, const float* bias, float* y,
                const QParams& q) {
  return fused_rows(batch * channels, spatial, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float b = bias[r % channels];
      const float* xr = x + r * spatial;
      float* yr = y + r * spatial;
      for (int64_t s = 0; s < spatial; s++) yr[s] = xr[s] + b;
    }
  });
}

QStats bias_grad(int64_t batch, int64_t channels, int64_t spatial, const float* dy, float* db, const QParams& q) {
  parallel_for(channels, 1, [&](int, int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; c++) {
      double sum = 0;
      for (int64_t n = 0; n < batch; n++) {
        const float* r = dy + (n * channels + c) * spatial;
        for (int64_t s = 0; s < spatial; s++) sum += r[s];
      }
      db[c] = (float)sum;
    }
  });
  if (q.kind == Q_NONE) return QStats();
  return quantize(q, db, db, channels);
}

QStats maxout_forward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x, float* y,
                      int32_t* argmax, const QParams& q) {
  return fused_rows(batch * units, spatial, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * pieces * spatial;  // row r = (n, u): pieces consecutive channels
      for (int64_t s = 0; s < spatial; s++) {
        float best = xr[s];
        int32_t arg = 0;
        for (int64_t j = 1; j < pieces && best == best; j++) {
          const float v = xr[j * spatial + s];
          if (v > best || v != v) { best = v; arg = (int32_t)j; }
        }
        y[r * spatial + s] = best;
        argmax[r * spatial + s] = arg;
      }
    }
  });
}

bool maxout_backward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x,
                     const int32_t* argmax, const float* dy, float* dx, bool all_ties, const QParams& q, QStats& st) {
  std::atomic<bool> ok(true);
  st = fused_rows(batch * units, pieces * spatial, dx, q, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * pieces * spatial;
      float* dr = dx + r * pieces * spatial;
      for (int64_t s = 0; s < spatial; s++) {
        const int32_t arg = argmax[r * spatial + s];
        if (arg < 0 || arg >= pieces) {
          ok = false;
          for (int64_t j = 0; j < pieces; j++) dr[j * spatial + s] = 0;
          continue;
        }
        const float max = xr[arg * spatial + s], g = dy[r * spatial + s];
        for (int64_t j = 0; j < pieces; j++) {
          const bool hit = all_ties ? xr[j * spatial + s] == max : j == arg;
          dr[j * spatial + s] = hit ? g : 0.0f;
        }
      }
    }
  });
  return ok;
}

namespace {

// The reference window scan: first NaN in row-major order, else the first position of the max.
void pool_window(const float* xp, int64_t w, int64_t h0, int64_t h1, int64_t w0, int64_t w1, float* y,
                 int32_t* argmax) {
  float best = xp[h0 * w + w0];
  int64_t arg = h0 * w + w0;
  for (int64_t a = h0; a < h1 && best == best; a++)
    for (int64_t b = w0; b < w1; b++) {
      const float v = xp[a * w + b];
      if (v > best || v != v) { best = v; arg = a * w + b; if (v != v) break; }
    }
  *y = best;
  *argmax = (int32_t)arg;
}

// One plane of max pooling. The positions of a window are visited in row-major order and a strict > keeps the
// first max, as the reference; a window holding a NaN is redone by the reference scan (the NaN wins there).
void pool_plane_forward(const float* xp, int64_t h, int64_t w, int64_t size, int64_t st, int64_t oh, int64_t ow,
                        float* yp, int32_t* ap) {
#if defined(__AVX512F__)
  // 16 windows of an output row at once, held in registers: gathers of x[a][j*st + b], masked at the right edge.
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const bool narrow = w <= 32 && ow <= 16;
  const __mmask16 lo_mask = (__mmask16)(w >= 16 ? 0xFFFF : (1u << w) - 1);
  const __mmask16 hi_mask = (__mmask16)(w >= 32 ? 0xFFFF : w <= 16 ? 0 : (1u << (w - 16)) - 1);
  for (int64_t i = 0; i < oh; i++) {
    const int64_t h0 = i * st, h1 = std::min(h0 + size, h);
    for (int64_t j0 = 0; j0 < ow; j0 += 16) {
      const __mmask16 valid = (__mmask16)(ow - j0 >= 16 ? 0xFFFF : (1u << (ow - j0)) - 1);
      const __m512i col = _mm512_mullo_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32((int32_t)j0)),
                                             _mm512_set1_epi32((int32_t)st));
      __m512i arg = _mm512_add_epi32(col, _mm512_set1_epi32((int32_t)(h0 * w)));
      __m512 best = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, arg, xp, 4);
      __mmask16 nan = 0;
      for (int64_t a = h0; a < h1; a++) {
        const float* row = xp + a * w;
        const __m512i base = _mm512_set1_epi32((int32_t)(a * w));
        // a row of at most 32 values sits in two registers: x[a][c] is then a permute instead of a gather
        const __m512 lo = narrow ? _mm512_maskz_loadu_ps(lo_mask, row) : _mm512_setzero_ps();
        const __m512 hi = narrow ? _mm512_maskz_loadu_ps(hi_mask, row + 16) : _mm512_setzero_ps();
        for (int64_t b = 0; b < size; b++) {
          const __m512i c = _mm512_add_epi32(col, _mm512_set1_epi32((int32_t)b));
          const __mmask16 m = _mm512_mask_cmplt_epi32_mask(valid, c, _mm512_set1_epi32((int32_t)w));
          const __m512 v = narrow ? _mm512_mask_permutex2var_ps(lo, m, c, hi)
                                  : _mm512_mask_i32gather_ps(best, m, c, row, 4);
          nan |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
          const __mmask16 gt = _mm512_mask_cmp_ps_mask(m, v, best, _CMP_GT_OQ);
          best = _mm512_mask_mov_ps(best, gt, v);
          arg = _mm512_mask_mov_epi32(arg, gt, _mm512_add_epi32(base, c));
        }
      }
      _mm512_mask_storeu_ps(yp + i * ow + j0, valid, best);
      _mm512_mask_storeu_epi32(ap + i * ow + j0, valid, arg);
      for (int t = 0; nan != 0; t++, nan >>= 1)
        if (nan & 1) {
          const int64_t j = j0 + t;
          pool_window(xp, w, h0, h1, j * st, std::min(j * st + size, w), &yp[i * ow + j], &ap[i * ow + j]);
        }
    }
  }
#else
  for (int64_t i = 0; i < oh; i++) {
    const int64_t h0 = i * st, h1 = std::min(h0 + size, h);
    for (int64_t j = 0; j < ow; j++) {
      const int64_t w0 = j * st, w1 = std::min(w0 + size, w);
      float best = xp[h0 * w + w0];
      int32_t arg = (int32_t)(h0 * w + w0);
      bool nan = false;
      for (int64_t a = h0; a < h1; a++)
        for (int64_t b = w0; b < w1; b++) {
          const float v = xp[a * w + b];
          nan |= v != v;
          const bool gt = v > best;
          best = gt ? v : best;
          arg = gt ? (int32_t)(a * w + b) : arg;
        }
      if (nan) pool_window(xp, w, h0, h1, w0, w1, &best, &arg);
      yp[i * ow + j] = best;
      ap[i * ow + j] = arg;
    }
  }
#endif
}

// Whether every argmax of the plane lies in its window.
bool pool_args_valid(const int32_t* ap, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow) {
  bool ok = true;
  for (int64_t i = 0; i < oh; i++)
    for (int64_t j = 0; j < ow; j++) {
      const int64_t arg = ap[i * ow + j];
      const int64_t h0 = i * stride, w0 = j * stride;
      const int64_t ah = arg >= 0 ? arg / w : -1, aw = arg >= 0 ? arg % w : -1;
      ok &= ah >= h0 && ah < std::min(h0 + size, h) && aw >= w0 && aw < std::min(w0 + size, w);
    }
  return ok;
}

// The reference backward of one plane, window by window (skips windows whose argmax is outside them).
void pool_plane_backward_windows(const float* xp, const int32_t* ap, const float* gp, float* dp, int64_t h,
                                 int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow, bool all_ties) {
  for (int64_t i = 0; i < oh; i++)
    for (int64_t j = 0; j < ow; j++) {
      const int64_t arg = ap[i * ow + j];
      const int64_t h0 = i * stride, h1 = std::min(h0 + size, h), w0 = j * stride, w1 = std::min(w0 + size, w);
      const int64_t ah = arg >= 0 ? arg / w : -1, aw = arg >= 0 ? arg % w : -1;
      if (ah < h0 || ah >= h1 || aw < w0 || aw >= w1) continue;
      const float g = gp[i * ow + j];
      if (!all_ties) { dp[arg] += g; continue; }
      const float max = xp[arg];
      // NOTE: adding +0 where the value is not the max leaves dp unchanged (dp is never -0: it starts at +0
      // and a round-to-nearest sum is -0 only from two -0), so this select equals a branch bit for bit.
      for (int64_t a = h0; a < h1; a++)
        for (int64_t b = w0; b < w1; b++) dp[a * w + b] += xp[a * w + b] == max ? g : 0.0f;
    }
}

#if defined(__AVX512F__)
// Ties `all` with valid argmaxes and rows of at most 16 windows (ow <= 16): each input row is computed 16
// columns at a time as a sum over the windows covering it, taken in the reference's order (windows row by row,
// j ascending), with each window's max and gradient looked up in registers (vpermps). The sum starts at +0 and
// adds only where x equals the window's max, exactly as the reference's += does.
// q[c] = c / stride for c < w (rounded up to 16 columns).
void pool_plane_backward_all(const float* xp, const int32_t* ap, const float* gp, float* dp, int64_t h, int64_t w,
                             int64_t size, int64_t st, int64_t oh, int64_t ow, const int32_t* q) {
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __mmask16 wins = (__mmask16)(ow >= 16 ? 0xFFFF : (1u << ow) - 1);
  __m512 mx[64], g[64];  // per output row: the 16 windows' max and gradient (oh <= 64, checked by the caller)
  for (int64_t i = 0; i < oh; i++) {
    const __m512i arg = _mm512_maskz_loadu_epi32(wins, ap + i * ow);
    mx[i] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), wins, arg, xp, 4);
    g[i] = _mm512_maskz_loadu_ps(wins, gp + i * ow);
  }
  const int64_t K = (size + st - 1) / st;
  const __m512i vow = _mm512_set1_epi32((int32_t)ow), vw = _mm512_set1_epi32((int32_t)w);
  for (int64_t a = 0; a < h; a++) {
    const int64_t i0 = a >= size ? (a - size) / st + 1 : 0, i1 = std::min(oh - 1, a / st);
    const float* row = xp + a * w;
    float* drow = dp + a * w;
    for (int64_t c0 = 0; c0 < w; c0 += 16) {
      const __m512i c = _mm512_add_epi32(lane, _mm512_set1_epi32((int32_t)c0));
      const __mmask16 inside = _mm512_cmplt_epi32_mask(c, vw);
      const __m512 x = _mm512_maskz_loadu_ps(inside, row + c0);
      const __m512i qc = _mm512_loadu_si512(q + c0);
      __m512 acc = _mm512_setzero_ps();
      for (int64_t i = i0; i <= i1; i++)
        for (int64_t k = K - 1; k >= 0; k--) {
          const __m512i j = _mm512_sub_epi32(qc, _mm512_set1_epi32((int32_t)k));
          // window j covers column c: 0 <= j < ow and c < j * st + size
          __mmask16 m = _mm512_mask_cmpge_epi32_mask(inside, j, _mm512_setzero_si512());
          m = _mm512_mask_cmplt_epi32_mask(m, j, vow);
          const __m512i end = _mm512_add_epi32(_mm512_mullo_epi32(j, _mm512_set1_epi32((int32_t)st)),
                                               _mm512_set1_epi32((int32_t)size));
          m = _mm512_mask_cmplt_epi32_mask(m, c, end);
          const __m512 wmax = _mm512_maskz_permutexvar_ps(m, j, mx[i]);
          const __mmask16 hit = _mm512_mask_cmp_ps_mask(m, x, wmax, _CMP_EQ_OQ);
          acc = _mm512_mask_add_ps(acc, hit, acc, _mm512_maskz_permutexvar_ps(hit, j, g[i]));
        }
      _mm512_mask_storeu_ps(drow + c0, inside, acc);
    }
  }
}
#endif

}  // namespace

QStats maxpool_forward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                       const float* x, float* y, int32_t* argmax, const QParams& q) {
  return fused_rows(planes, oh * ow, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; p++)
      pool_plane_forward(x + p * h * w, h, w, size, stride, oh, ow, y + p * oh * ow, argmax + p * oh * ow);
  });
}

bool maxpool_backward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                      const float* x, const int32_t* argmax, const float* dy, float* dx, bool all_ties,
                      const QParams& q, QStats& st) {
  std::atomic<bool> ok(true);
#if defined(__AVX512F__)
  const bool rows16 = all_ties && ow <= 16 && oh <= 64;
  std::vector<int32_t> cq((size_t)((w + 15) / 16 * 16));
  for (size_t c = 0; c < cq.size(); c++) cq[c] = (int32_t)((int64_t)c / stride);
#endif
  st = fused_rows(planes, h * w, dx, q, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; p++) {
      const float* xp = x + p * h * w;
      const int32_t* ap = argmax + p * oh * ow;
      const float* gp = dy + p * oh * ow;
      float* dp = dx + p * h * w;
      const bool valid = pool_args_valid(ap, h, w, size, stride, oh, ow);
      if (!valid) ok = false;
#if defined(__AVX512F__)
      if (valid && rows16) {
        pool_plane_backward_all(xp, ap, gp, dp, h, w, size, stride, oh, ow, cq.data());
        continue;
      }
#endif
      std::memset(dp, 0, sizeof(float) * (size_t)(h * w));
      pool_plane_backward_windows(xp, ap, gp, dp, h, w, size, stride, oh, ow, all_ties);
    }
  });
  return ok;
}

double softmax_xent_forward(int64_t batch, int64_t classes, const float* logits, const int32_t* labels, float* probs,
                            int64_t* errors) {
  std::vector<double> losses((size_t)batch);
  std::vector<uint8_t> wrong((size_t)batch);
  parallel_for(batch, 64, [&](int, int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; n++) {
      const float* l = logits + n * classes;
      float* p = probs + n * classes;
      double max = l[0];
      int64_t arg = 0;
      for (int64_t c = 1; c < classes; c++) if (l[c] > max) { max = l[c]; arg = c; }
      double sum = 0;
      for (int64_t c = 0; c < classes; c++) sum += std::exp((double)l[c] - max);
      for (int64_t c = 0; c < classes; c++) p[c] = (float)(std::exp((double)l[c] - max) / sum);
      losses[(size_t)n] = std::log(sum) + max - (double)l[labels[n]];
      wrong[(size_t)n] = arg != labels[n];
    }
  });
  double loss = 0;
  int64_t errs = 0;
  for (int64_t n = 0; n < batch; n++) { loss += losses[(size_t)n]; errs += wrong[(size_t)n]; }
  *errors = errs;
  return loss;
}

QStats softmax_xent_backward(int64_t batch, int64_t classes, const float* probs, const int32_t* labels, float* dlogits,
                             double scale, const QParams& q) {
  return fused_rows(batch, classes, dlogits, q, [&](int64_t lo, int64_t hi) {
    for (int64_t n = lo; n < hi; n++)
      for (int64_t c = 0; c < classes; c++) {
        const int64_t i = n * classes + c;
        dlogits[i] = (float)(((double)probs[i] - (c == labels[n] ? 1.0 : 0.0)) * scale);
      }
  });
}

void dropout_mask(uint8_t* mask, int64_t n, double keep_prob, uint32_t seed, uint64_t counter) {
  // NOTE: for an integer draw, draw < keep·2^32 exactly when draw < ceil(keep·2^32) (the product is exact), so
  // the test is an integer compare over blocks of draws (ceil ≤ 2^32, in 64 bits).
  const uint64_t limit = (uint64_t)std::ceil(keep_prob * 4294967296.0);
  parallel_for(n, 1 << 14, [&](int, int64_t lo, int64_t hi) {
    uint32_t draws[1024];
    for (int64_t i = lo; i < hi; i += 1024) {
      const int64_t m = std::min<int64_t>(1024, hi - i);
      random_bits_fill(seed, counter + (uint64_t)i, draws, m);
      for (int64_t j = 0; j < m; j++) mask[i + j] = (uint64_t)draws[j] < limit ? 1 : 0;
    }
  });
}

void apply_mask(const float* x, const uint8_t* mask, float* y, int64_t n) {
  parallel_for(n, 1 << 15, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = mask[i] != 0 ? x[i] : 0.0f;
  });
}

void column_norms(int64_t rows, int64_t cols, const float* w, float* norms) {
  parallel_for(cols, 64, [&](int, int64_t lo, int64_t hi) {
    std::vector<double> acc((size_t)(hi - lo), 0.0);
    for (int64_t i = 0; i < rows; i++) {
      const float* r = w + i * cols;
      for (int64_t j = lo; j < hi; j++) acc[(size_t)(j - lo)] += (double)r[j] * (double)r[j];
    }
    for (int64_t j = lo; j < hi; j++) norms[j] = (float)std::sqrt(acc[(size_t)(j - lo)]);
  });
}

QStats scale_columns(int64_t rows, int64_t cols, const float* w, const float* factors, float* y, const QParams& q) {
  return fused_rows(rows, cols, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++)
      for (int64_t j = 0; j < cols; j++) y[i * cols + j] = w[i * cols + j] * factors[j];
  });
}

QStats axpby(int64_t n, double alpha, const float* x, double beta, float* y, const QParams& q) {
  return fused_rows(n, 1, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = (float)(alpha * (double)x[i] + beta * (double)y[i]);
  });
}

QStats scale(int64_t n, double alpha, const float* x, float* y, const QParams& q) {
  return fused_rows(n, 1, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = (float)(alpha * (double)x[i]);
  });
}

QStats add(int64_t n, const float* a, const float* b, float* y, const QParams& q) {
  return fused_rows(n, 1, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = a[i] + b[i];
  });
}

}  // namespace lp
