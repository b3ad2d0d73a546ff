// The layer and elementwise kernels of ops.h, compiled once per SIMD path (isa.h, simd.h). Max pooling has
// hand-written AVX-512 (16 lanes) and AVX2 (8 lanes) kernels besides the plain loops of the portable path; the
// other loops are written so that the compiler vectorises them for the path's registers.
#include "isa.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "simd.h"

namespace lp {
namespace LP_ISA_NS {
namespace {

constexpr int64_t BLOCK = 4096;  // elements produced then quantized while still in L1

// Runs op(lo, hi) over row ranges [0, rows) on the pool; after each block of rows, quantizes the output
// elements [lo * row_len, hi * row_len) of y in place. Returns the merged stats.
template <class Op>
QStats fused_rows(int64_t rows, int64_t row_len, float* y, const QParams& q, Op op) {
  Buffer<QStats> parts((size_t)num_threads());
  const int64_t rows_per_block = std::max<int64_t>(1, BLOCK / std::max<int64_t>(row_len, 1));
  pfor(rows, std::max<int64_t>(rows_per_block, 1 + (1 << 14) / std::max<int64_t>(row_len, 1)),
       [&](int t, int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r += rows_per_block) {
      const int64_t r1 = std::min(hi, r + rows_per_block);
      op(r, r1);
      if (q.kind != Q_NONE) LP_ISA_NS::quantize_range(q, y, y, r * row_len, r1 * row_len, parts[(size_t)t]);
    }
  });
  QStats total;
  for (size_t t = 0; t < parts.size(); t++) merge_stats(total, parts[t]);
  total.count = q.kind == Q_NONE ? 0 : rows * row_len;
  return total;
}

}  // namespace

QStats bias_add(int64_t batch, int64_t channels, int64_t spatial, const float* x, const float* bias, float* y,
                const QParams& q) {
  if (spatial == 1)  // dense layers: an image's channels in a row, vectorised over the channels
    return fused_rows(batch, channels, y, q, [&](int64_t lo, int64_t hi) {
      for (int64_t n = lo; n < hi; n++) {
        const float* xr = x + n * channels;
        float* yr = y + n * channels;
        for (int64_t c = 0; c < channels; c++) yr[c] = xr[c] + bias[c];
      }
    });
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
  if (spatial == 1) {
    // dense layers: a band of channels per task, images in order, each channel's float64 sum in the same order as
    // the loop below (image by image), vectorised over the channels
    pfor(channels, 64, [&](int, int64_t lo, int64_t hi) {
      Buffer<double> acc((size_t)(hi - lo));
      for (int64_t n = 0; n < batch; n++) {
        const float* r = dy + n * channels;
        for (int64_t c = lo; c < hi; c++) acc[(size_t)(c - lo)] += (double)r[c];
      }
      for (int64_t c = lo; c < hi; c++) db[c] = (float)acc[(size_t)(c - lo)];
    });
  } else {
    pfor(channels, 1, [&](int, int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; c++) {
        double sum = 0;
        for (int64_t n = 0; n < batch; n++) {
          const float* r = dy + (n * channels + c) * spatial;
          for (int64_t s = 0; s < spatial; s++) sum += r[s];
        }
        db[c] = (float)sum;
      }
    });
  }
  if (q.kind == Q_NONE) return QStats();
  return LP_ISA_NS::quantize(q, db, db, channels);
}

// NOTE: the reference scans the pieces in order and stops at the first NaN (its piece wins), else keeps the first
// maximum (strict >). Written as selects (a NaN best takes nothing more), the loop over the positions s vectorises.
QStats maxout_forward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x, float* y,
                      int32_t* argmax, const QParams& q) {
  return fused_rows(batch * units, spatial, y, q, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * pieces * spatial;  // row r = (n, u): pieces consecutive channels
      float* yr = y + r * spatial;
      int32_t* ar = argmax + r * spatial;
      if (spatial < 8) {  // dense layers (spatial 1): the pieces of one position in a register
        for (int64_t s = 0; s < spatial; s++) {
          float best = xr[s];
          int32_t arg = 0;
          for (int64_t j = 1; j < pieces; j++) {
            const float v = xr[j * spatial + s];
            const bool take = best == best && (v > best || v != v);
            best = take ? v : best;
            arg = take ? (int32_t)j : arg;
          }
          yr[s] = best;
          ar[s] = arg;
        }
        continue;
      }
      for (int64_t s = 0; s < spatial; s++) {
        yr[s] = xr[s];
        ar[s] = 0;
      }
      for (int64_t j = 1; j < pieces; j++) {
        const float* xj = xr + j * spatial;
        for (int64_t s = 0; s < spatial; s++) {
          const float v = xj[s], best = yr[s];
          const bool take = best == best && (v > best || v != v);
          yr[s] = take ? v : best;
          ar[s] = take ? (int32_t)j : ar[s];
        }
      }
    }
  });
}

bool maxout_backward(int64_t batch, int64_t units, int64_t pieces, int64_t spatial, const float* x,
                     const int32_t* argmax, const float* dy, float* dx, bool all_ties, const QParams& q, QStats& st) {
  std::atomic<bool> ok(true);
  st = fused_rows(batch * units, pieces * spatial, dx, q, [&](int64_t lo, int64_t hi) {
    constexpr int64_t S = 256;  // positions per pass: their max, gradient and argmax in L1
    float max[S], g[S];
    int32_t arg[S];
    bool bad = false;
    for (int64_t r = lo; r < hi; r++) {
      const float* xr = x + r * pieces * spatial;
      float* dr = dx + r * pieces * spatial;
      if (spatial < 8) {  // dense layers (spatial 1): one position at a time
        for (int64_t s = 0; s < spatial; s++) {
          const int32_t a = argmax[r * spatial + s];
          const bool in = a >= 0 && a < pieces;
          bad |= !in;
          const float max = in ? xr[a * spatial + s] : std::numeric_limits<float>::quiet_NaN();
          const float g = dy[r * spatial + s];
          for (int64_t j = 0; j < pieces; j++)
            dr[j * spatial + s] = (all_ties ? xr[j * spatial + s] == max : j == a) ? g : 0.0f;
        }
        continue;
      }
      for (int64_t s0 = 0; s0 < spatial; s0 += S) {
        const int64_t ns = std::min(S, spatial - s0);
        // NOTE: an argmax out of range gives a zero column: max NaN (x == NaN is false) and arg -1 (no piece).
        for (int64_t s = 0; s < ns; s++) {
          const int32_t a = argmax[r * spatial + s0 + s];
          const bool in = a >= 0 && a < pieces;
          bad |= !in;
          max[s] = in ? xr[a * spatial + s0 + s] : std::numeric_limits<float>::quiet_NaN();
          arg[s] = in ? a : -1;
          g[s] = dy[r * spatial + s0 + s];
        }
        for (int64_t j = 0; j < pieces; j++) {
          const float* xj = xr + j * spatial + s0;
          float* dj = dr + j * spatial + s0;
          if (all_ties)
            for (int64_t s = 0; s < ns; s++) dj[s] = xj[s] == max[s] ? g[s] : 0.0f;
          else
            for (int64_t s = 0; s < ns; s++) dj[s] = arg[s] == j ? g[s] : 0.0f;
        }
      }
    }
    if (bad) ok = false;
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
#if defined(__AVX2__) && !defined(__AVX512F__)
// row[c0, c0 + 16) as two vectors, zeros past w (the last columns copied one by one: no masked load).
inline void load16(const float* row, int64_t c0, int64_t w, __m256* lo, __m256* hi) {
  if (c0 + 16 <= w) {
    *lo = _mm256_loadu_ps(row + c0);
    *hi = _mm256_loadu_ps(row + c0 + 8);
    return;
  }
  alignas(32) float t[16] = {0};
  for (int64_t k = 0; c0 + k < w; k++) t[k] = row[c0 + k];
  *lo = _mm256_load_ps(t);
  *hi = _mm256_load_ps(t + 8);
}

// src[0, n) in the first lanes, zeros after them (n >= 8: a full load).
inline __m256 load_first(const float* src, int64_t n) {
  if (n >= 8) return _mm256_loadu_ps(src);
  alignas(32) float t[8] = {0};
  for (int64_t k = 0; k < n; k++) t[k] = src[k];
  return _mm256_load_ps(t);
}
inline __m256i load_first(const int32_t* src, int64_t n) {
  if (n >= 8) return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src));
  alignas(32) int32_t t[8] = {0};
  for (int64_t k = 0; k < n; k++) t[k] = src[k];
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(t));
}

// dst[0, n) = the first n lanes of v (n >= 8: all of them; fewer copied one by one: no masked store).
inline void store_first(float* dst, __m256 v, int64_t n) {
  if (n >= 8) {
    _mm256_storeu_ps(dst, v);
    return;
  }
  alignas(32) float t[8];
  _mm256_store_ps(t, v);
  for (int64_t k = 0; k < n; k++) dst[k] = t[k];
}
inline void store_first(int32_t* dst, __m256i v, int64_t n) {
  if (n >= 8) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), v);
    return;
  }
  alignas(32) int32_t t[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
  for (int64_t k = 0; k < n; k++) dst[k] = t[k];
}
#endif

// `stage`: h·(w + 34) floats of scratch for the AVX2 kernel (unused on the other paths).
void pool_plane_forward(const float* xp, int64_t h, int64_t w, int64_t size, int64_t st, int64_t oh, int64_t ow,
                        float* yp, int32_t* ap, float* stage) {
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
#elif defined(__AVX2__)
  // The scheme above, 8 windows at a time. Lane masks are all-ones / all-zeros vectors.
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i vw = _mm256_set1_epi32((int32_t)w);
  if (st <= 2 && size <= 16) {
    // Stride 1 or 2 (every preset): x[a][j*st + b] for 8 consecutive windows j is 8 consecutive values of row a
    // (stride 1) or of its even or odd columns (stride 2). The rows are copied to `stage` first (stride 2: split into
    // even and odd columns), padded so that unaligned loads stay inside it: one load per window position instead of
    // permutes or gathers. NOTE: no masked loads or stores (vmaskmovps is slow on AMD cores): full vectors, and
    // scalar copies at the edges.
    const int64_t len = (w + st - 1) / st + 16;  // floats per staged row (one phase of it), padding included
    for (int64_t a = 0; a < h; a++) {
      const float* row = xp + a * w;
      float* even = stage + a * st * len;
      float* odd = even + len;
      for (int64_t c0 = 0; c0 < w; c0 += 16) {
        __m256 lo, hi;
        load16(row, c0, w, &lo, &hi);
        if (st == 1) {
          _mm256_storeu_ps(even + c0, lo);
          _mm256_storeu_ps(even + c0 + 8, hi);
          continue;
        }
        // [r0 r2 r8 r10 | r4 r6 r12 r14] → [r0 r2 r4 r6 r8 r10 r12 r14], and the same for the odd columns
        const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
        const __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
        _mm256_storeu_ps(even + c0 / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
        _mm256_storeu_ps(odd + c0 / 2, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
      }
    }
    __m256i cb[16];
    __m256 mb[16];
    for (int64_t i = 0; i < oh; i++) {
      const int64_t h0 = i * st, h1 = std::min(h0 + size, h);
      for (int64_t j0 = 0; j0 < ow; j0 += 8) {
        const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)std::min<int64_t>(8, ow - j0)), lane);
        const __m256i col = _mm256_mullo_epi32(_mm256_add_epi32(lane, _mm256_set1_epi32((int32_t)j0)),
                                               _mm256_set1_epi32((int32_t)st));
        for (int64_t b = 0; b < size; b++) {
          cb[b] = _mm256_add_epi32(col, _mm256_set1_epi32((int32_t)b));
          mb[b] = _mm256_castsi256_ps(_mm256_and_si256(valid, _mm256_cmpgt_epi32(vw, cb[b])));
        }
        // the values at column j*st + b of row a (lanes outside the image, masked by mb[b], read padding)
        const auto at = [&](int64_t a, int64_t b) {
          return _mm256_loadu_ps(stage + (a * st + b % st) * len + j0 + b / st);
        };
        __m256 best = at(h0, 0);
        __m256i arg = _mm256_add_epi32(col, _mm256_set1_epi32((int32_t)(h0 * w)));
        __m256 nan = _mm256_setzero_ps();
        for (int64_t a = h0; a < h1; a++) {
          const __m256i base = _mm256_set1_epi32((int32_t)(a * w));
          for (int64_t b = 0; b < size; b++) {
            const __m256 v = at(a, b);
            nan = _mm256_or_ps(nan, _mm256_and_ps(mb[b], _mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
            const __m256 gt = _mm256_and_ps(mb[b], _mm256_cmp_ps(v, best, _CMP_GT_OQ));
            best = _mm256_blendv_ps(best, v, gt);
            arg = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(arg),
                                                       _mm256_castsi256_ps(_mm256_add_epi32(base, cb[b])), gt));
          }
        }
        store_first(yp + i * ow + j0, best, ow - j0);
        store_first(ap + i * ow + j0, arg, ow - j0);
        for (int t = 0, bits = _mm256_movemask_ps(nan); bits != 0; t++, bits >>= 1)
          if (bits & 1) {
            const int64_t j = j0 + t;
            pool_window(xp, w, h0, h1, j * st, std::min(j * st + size, w), &yp[i * ow + j], &ap[i * ow + j]);
          }
      }
    }
    return;
  }
  // Other strides: a row of at most 32 values sits in four registers and x[a][c] is picked from them by permutes
  // and blends (rows > 32: masked gathers).
  const int regs = w <= 32 ? (int)((w + 7) / 8) : 0;  // registers holding a row; 0 = gathers
  for (int64_t i = 0; i < oh; i++) {
    const int64_t h0 = i * st, h1 = std::min(h0 + size, h);
    for (int64_t j0 = 0; j0 < ow; j0 += 8) {
      const __m256i valid = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)std::min<int64_t>(8, ow - j0)), lane);
      const __m256i col = _mm256_mullo_epi32(_mm256_add_epi32(lane, _mm256_set1_epi32((int32_t)j0)),
                                             _mm256_set1_epi32((int32_t)st));
      __m256i arg = _mm256_add_epi32(col, _mm256_set1_epi32((int32_t)(h0 * w)));
      __m256 best = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xp, arg, _mm256_castsi256_ps(valid), 4);
      __m256 nan = _mm256_setzero_ps();
      for (int64_t a = h0; a < h1; a++) {
        const float* row = xp + a * w;
        const __m256i base = _mm256_set1_epi32((int32_t)(a * w));
        __m256 r[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (int k = 0; k < regs; k++) r[k] = load_first(row + 8 * k, w - 8 * k);
        for (int64_t b = 0; b < size; b++) {
          const __m256i c = _mm256_add_epi32(col, _mm256_set1_epi32((int32_t)b));
          const __m256 m = _mm256_castsi256_ps(_mm256_and_si256(valid, _mm256_cmpgt_epi32(vw, c)));
          __m256 v;
          if (regs == 0) {
            v = _mm256_mask_i32gather_ps(best, row, c, m, 4);
          } else {
            // x[a][c] = r[c / 8][c % 8]: vpermps takes c % 8; blends on bits 3 and 4 of c pick the register
            const __m256 bit3 = _mm256_castsi256_ps(_mm256_slli_epi32(c, 28));
            v = _mm256_permutevar8x32_ps(r[0], c);
            if (regs > 1) v = _mm256_blendv_ps(v, _mm256_permutevar8x32_ps(r[1], c), bit3);
            if (regs > 2) {
              __m256 hi = _mm256_permutevar8x32_ps(r[2], c);
              if (regs > 3) hi = _mm256_blendv_ps(hi, _mm256_permutevar8x32_ps(r[3], c), bit3);
              v = _mm256_blendv_ps(v, hi, _mm256_castsi256_ps(_mm256_slli_epi32(c, 27)));
            }
          }
          nan = _mm256_or_ps(nan, _mm256_and_ps(m, _mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
          const __m256 gt = _mm256_and_ps(m, _mm256_cmp_ps(v, best, _CMP_GT_OQ));
          best = _mm256_blendv_ps(best, v, gt);
          arg = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(arg),
                                                     _mm256_castsi256_ps(_mm256_add_epi32(base, c)), gt));
        }
      }
      store_first(yp + i * ow + j0, best, ow - j0);
      store_first(ap + i * ow + j0, arg, ow - j0);
      for (int t = 0, bits = _mm256_movemask_ps(nan); bits != 0; t++, bits >>= 1)
        if (bits & 1) {
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
#elif defined(__AVX2__)
// The AVX-512 kernel above, 8 columns at a time: each output row's 16 windows (ow <= 16) have their max and
// gradient in two registers each, looked up by vpermps and a blend on bit 3 of the window index.
inline __m256 lookup16(__m256 lo, __m256 hi, __m256i j) {
  return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, j), _mm256_permutevar8x32_ps(hi, j),
                          _mm256_castsi256_ps(_mm256_slli_epi32(j, 28)));
}

void pool_plane_backward_all(const float* xp, const int32_t* ap, const float* gp, float* dp, int64_t h, int64_t w,
                             int64_t size, int64_t st, int64_t oh, int64_t ow, const int32_t* q) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i vow = _mm256_set1_epi32((int32_t)ow), vw = _mm256_set1_epi32((int32_t)w);
  const __m256i wins_lo = _mm256_cmpgt_epi32(vow, lane), wins_hi = _mm256_cmpgt_epi32(vow, _mm256_add_epi32(lane,
                                                                                       _mm256_set1_epi32(8)));
  __m256 mx[64][2], g[64][2];  // per output row: windows 0-7 and 8-15, max and gradient (oh <= 64, ow <= 16)
  for (int64_t i = 0; i < oh; i++) {
    const __m256i arg_lo = load_first(ap + i * ow, ow);
    const __m256i arg_hi = load_first(ap + i * ow + 8, ow - 8);
    mx[i][0] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xp, arg_lo, _mm256_castsi256_ps(wins_lo), 4);
    mx[i][1] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), xp, arg_hi, _mm256_castsi256_ps(wins_hi), 4);
    g[i][0] = load_first(gp + i * ow, ow);
    g[i][1] = load_first(gp + i * ow + 8, ow - 8);
  }
  const int64_t K = (size + st - 1) / st;
  const __m256i vst = _mm256_set1_epi32((int32_t)st), zero = _mm256_setzero_si256();
  for (int64_t a = 0; a < h; a++) {
    const int64_t i0 = a >= size ? (a - size) / st + 1 : 0, i1 = std::min(oh - 1, a / st);
    const float* row = xp + a * w;
    float* drow = dp + a * w;
    for (int64_t c0 = 0; c0 < w; c0 += 8) {
      const __m256i c = _mm256_add_epi32(lane, _mm256_set1_epi32((int32_t)c0));
      const __m256i inside = _mm256_cmpgt_epi32(vw, c);
      const __m256 x = load_first(row + c0, w - c0);
      const __m256i qc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + c0));
      // end of window j = q[c] - k: j * st + size = (q[c] * st + size) - k * st
      const __m256i end0 = _mm256_add_epi32(_mm256_mullo_epi32(qc, vst), _mm256_set1_epi32((int32_t)size));
      __m256 acc = _mm256_setzero_ps();
      for (int64_t i = i0; i <= i1; i++)
        for (int64_t k = K - 1; k >= 0; k--) {
          const __m256i j = _mm256_sub_epi32(qc, _mm256_set1_epi32((int32_t)k));
          const __m256i end = _mm256_sub_epi32(end0, _mm256_set1_epi32((int32_t)(k * st)));
          // window j covers column c: 0 <= j < ow and c < j * st + size
          __m256i m = _mm256_andnot_si256(_mm256_cmpgt_epi32(zero, j), inside);
          m = _mm256_and_si256(m, _mm256_cmpgt_epi32(vow, j));
          m = _mm256_and_si256(m, _mm256_cmpgt_epi32(end, c));
          const __m256 hit = _mm256_and_ps(_mm256_castsi256_ps(m), _mm256_cmp_ps(x, lookup16(mx[i][0], mx[i][1], j),
                                                                                  _CMP_EQ_OQ));
          acc = _mm256_blendv_ps(acc, _mm256_add_ps(acc, lookup16(g[i][0], g[i][1], j)), hit);
        }
      store_first(drow + c0, acc, w - c0);
    }
  }
}
#endif

}  // namespace

QStats maxpool_forward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                       const float* x, float* y, int32_t* argmax, const QParams& q) {
  return fused_rows(planes, oh * ow, y, q, [&](int64_t lo, int64_t hi) {
    Buffer<float> stage((size_t)(h * (w + 34)));  // the AVX2 kernel's staged rows
    for (int64_t p = lo; p < hi; p++)
      pool_plane_forward(x + p * h * w, h, w, size, stride, oh, ow, y + p * oh * ow, argmax + p * oh * ow,
                         stage.data());
  });
}

bool maxpool_backward(int64_t planes, int64_t h, int64_t w, int64_t size, int64_t stride, int64_t oh, int64_t ow,
                      const float* x, const int32_t* argmax, const float* dy, float* dx, bool all_ties,
                      const QParams& q, QStats& st) {
  std::atomic<bool> ok(true);
#if defined(__AVX2__)
  const bool rows16 = all_ties && ow <= 16 && oh <= 64;
  Buffer<int32_t> cq((size_t)((w + 15) / 16 * 16));
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
#if defined(__AVX2__)
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
  Buffer<double> losses((size_t)batch);
  Buffer<uint8_t> wrong((size_t)batch);
  pfor(batch, 64, [&](int, int64_t lo, int64_t hi) {
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
  // The limit is at most 2^32: 2^32 keeps every draw, else the compare is one of uint32s (it vectorises).
  const uint64_t limit = (uint64_t)std::ceil(keep_prob * 4294967296.0);
  const bool keep_all = limit >= 4294967296ull;
  const uint32_t limit32 = (uint32_t)limit;
  pfor(n, 1 << 14, [&](int, int64_t lo, int64_t hi) {
    uint32_t draws[1024];
    for (int64_t i = lo; i < hi; i += 1024) {
      const int64_t m = std::min<int64_t>(1024, hi - i);
      LP_ISA_NS::random_bits_fill(seed, counter + (uint64_t)i, draws, m);
      for (int64_t j = 0; j < m; j++) mask[i + j] = (keep_all || draws[j] < limit32) ? 1 : 0;
    }
  });
}

void apply_mask(const float* x, const uint8_t* mask, float* y, int64_t n) {
  pfor(n, 1 << 15, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) y[i] = mask[i] != 0 ? x[i] : 0.0f;
  });
}

// GELU's tanh form with tanh from basic operations, so that backends/ts.ts (src/tanh.ts: tanhBasic) gives the same
// bits on every platform (the C library's tanh and V8's may differ in the last bit, and glibc's costs ~10× more):
// tanh(w) = ±(1 − E)/(1 + E) with E = e^(−2|w|); e^(−z) = 2^(−k)·e^(−r), z = k·ln 2 + r (Cody–Waite: ln 2 split in
// two, k·LN2_HI exact), |r| ≤ ln 2 / 2, e^(−r) by Horner on its Taylor series to degree 13 (truncation below 1e-17).
// Written so that the compiler vectorises it on the AVX2 and AVX-512 paths (4.6× and 7.5× the scalar loop, measured
// on 16.7 M inputs, bit for bit equal): 2^(−k) is built from its bits, not read from a table; it is the table's
// value for 0 ≤ k ≤ 1022, and beyond (z > 708) both it and the table's subnormal give tanh = ±1 exactly, since
// 1 ± E rounds to 1. √(2/π) and 0.044715 are the constants of kernels.ts.
const double GELU_C = std::sqrt(2.0 / 3.141592653589793), GELU_A = 0.044715;
const double LOG2E = 1.4426950408889634, LN2_HI = 0.6931471803691238, LN2_LO = 1.9082149292705877e-10;

inline double pow2_neg(double k) {
  // 2^52 + (1023 − k) holds 1023 − k in its low bits; shifted into the exponent field it is 2^(−k)
  const double m = (1023.0 - k) + 4503599627370496.0;
  uint64_t bits;
  std::memcpy(&bits, &m, 8);
  bits <<= 52;
  double r;
  std::memcpy(&r, &bits, 8);
  return k > 1022.0 ? 0.0 : r;
}

inline double exp_neg_vec(double z) {
  const bool big = !(z < 745.0);  // e^(−745) is below the smallest double; NaN gives 0 as the scalar's does
  const double zz = big ? 0.0 : z;
  const double k = std::floor(zz * LOG2E + 0.5);
  const double s = -((zz - k * LN2_HI) - k * LN2_LO);
  double p = 1.6059043836821613e-10;
  p = p * s + 2.08767569878681e-09;
  p = p * s + 2.505210838544172e-08;
  p = p * s + 2.755731922398589e-07;
  p = p * s + 2.7557319223985893e-06;
  p = p * s + 2.48015873015873e-05;
  p = p * s + 0.0001984126984126984;
  p = p * s + 0.001388888888888889;
  p = p * s + 0.008333333333333333;
  p = p * s + 0.041666666666666664;
  p = p * s + 0.16666666666666666;
  p = p * s + 0.5;
  p = p * s + 1;
  p = p * s + 1;
  return big ? 0.0 : p * pow2_neg(k);
}

inline double gelu_tanh(double u) {
  const double w = GELU_C * (u + GELU_A * u * u * u);
  const double e = exp_neg_vec(2 * std::fabs(w));
  const double t = (1 - e) / (1 + e);
  return w < 0 ? -t : t;
}

void gelu_values(int64_t n, const float* x, float* y) {
  pfor(n, 4096, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
      const double u = x[i];
      y[i] = (float)(0.5 * u * (1 + gelu_tanh(u)));
    }
  });
}

void gelu_grad_values(int64_t n, const float* x, const float* dy, float* dx) {
  pfor(n, 4096, [&](int, int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; i++) {
      const double u = x[i];
      const double t = gelu_tanh(u);
      const double d = 0.5 * (1 + t) + 0.5 * u * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * u * u);
      dx[i] = (float)((double)dy[i] * d);
    }
  });
}

namespace {

// The path's float64 vectors (GCC vector extensions: plain lane-wise IEEE operations, no FMA contraction under
// -ffp-contract=off), and a register tile of C: BMM_ROWS rows × BMM_COLS columns of accumulators.
#if LP_ISA == 2
constexpr int VD = 8, BMM_ROWS = 8, BMM_COLS = 16;
#elif LP_ISA == 1
constexpr int VD = 4, BMM_ROWS = 4, BMM_COLS = 8;
#else
constexpr int VD = 2, BMM_ROWS = 2, BMM_COLS = 8;
#endif
typedef double vdouble __attribute__((vector_size(VD * sizeof(double))));
typedef float vfloat __attribute__((vector_size(VD * sizeof(float))));

// R rows of C × BMM_COLS columns from column j0, accumulated in registers: each C[i, j] the float64 sum over p in
// order of (double)A[i, p]·(double)B[p, j], from 0, as the plain loop below.
template <int R>
void bmm_tile(int64_t k, int64_t n, int64_t ai, int64_t ap, double alpha, const float* a, const float* b, float* c,
              int64_t j0) {
  constexpr int NV = BMM_COLS / VD;
  vdouble acc[R][NV];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = vdouble{};
  for (int64_t p = 0; p < k; p++) {
    const float* br = b + p * n + j0;
    vdouble bv[NV];
    for (int v = 0; v < NV; v++) {
      vfloat f;
      std::memcpy(&f, br + v * VD, sizeof f);
      bv[v] = __builtin_convertvector(f, vdouble);
    }
    for (int r = 0; r < R; r++) {
      const double av = (double)a[r * ai + p * ap];
      for (int v = 0; v < NV; v++) acc[r][v] += av * bv[v];
    }
  }
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NV; v++) {
      const vfloat f = __builtin_convertvector(alpha * acc[r][v], vfloat);
      std::memcpy(c + r * n + j0 + v * VD, &f, sizeof f);
    }
}

// rows [0, rows) of C, columns [j0, n): the plain loop (any shape), the same sums as bmm_tile
void bmm_plain(int64_t rows, int64_t k, int64_t n, int64_t ai, int64_t ap, double alpha, const float* a,
               const float* b, float* c, int64_t j0, double* s) {
  for (int64_t i = 0; i < rows; i++) {
    for (int64_t j = j0; j < n; j++) s[j] = 0;
    for (int64_t p = 0; p < k; p++) {
      const double av = (double)a[i * ai + p * ap];
      const float* br = b + p * n;
      for (int64_t j = j0; j < n; j++) s[j] += av * (double)br[j];
    }
    for (int64_t j = j0; j < n; j++) c[i * n + j] = (float)(alpha * s[j]);
  }
}

}  // namespace

void batched_matmul_values(int64_t batch, int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, double alpha,
                           const float* a, const float* b, float* c) {
  // op(A)[i, p] as strides into each stored A; op(B) read row by row (a transposed B copied once per matrix). C goes
  // in register tiles of BMM_ROWS rows × BMM_COLS columns, the rest by the plain loop: every C[i, j] is the same
  // float64 sum in p order (no FMA: -ffp-contract=off), so every path and tile gives the ts backend's bits. The
  // vector width (VD) only sets how many columns run side by side, never the order of a sum.
  constexpr int R = BMM_ROWS, JB = BMM_COLS;
  const int64_t ai = trans_a ? 1 : k, ap = trans_a ? m : 1;
  pfor(batch * m, std::max<int64_t>(1, 4096 / std::max<int64_t>(n * k, 1)), [&](int, int64_t lo, int64_t hi) {
    Buffer<double> acc((size_t)std::max<int64_t>(n, 1));
    Buffer<float> bt_copy(trans_b ? (size_t)std::max<int64_t>(k * n, 1) : 1);
    int64_t copied = -1;
    for (int64_t row = lo; row < hi;) {
      const int64_t t = row / m, i = row - t * m;
      const int64_t rows = std::min(hi - row, m - i);  // this matrix's rows of the range
      const float* at = a + t * m * k + i * ai;
      const float* bt = b + t * k * n;
      float* ct = c + t * m * n + i * n;
      if (trans_b) {
        if (copied != t) {
          // B stored n × k: op(B)[p, j] = bt[j·k + p]
          for (int64_t p = 0; p < k; p++)
            for (int64_t j = 0; j < n; j++) bt_copy[(size_t)(p * n + j)] = bt[j * k + p];
          copied = t;
        }
        bt = bt_copy.data();
      }
      const int64_t full = n - n % JB;
      int64_t r = 0;
      for (; r + R <= rows; r += R)
        for (int64_t j0 = 0; j0 < full; j0 += JB)
          bmm_tile<R>(k, n, ai, ap, alpha, at + r * ai, bt, ct + r * n, j0);
      for (; r < rows; r++)
        for (int64_t j0 = 0; j0 < full; j0 += JB)
          bmm_tile<1>(k, n, ai, ap, alpha, at + r * ai, bt, ct + r * n, j0);
      if (full < n) bmm_plain(rows, k, n, ai, ap, alpha, at, bt, ct, full, acc.data());
      row += rows;
    }
  });
}

void column_norms(int64_t rows, int64_t cols, const float* w, float* norms) {
  pfor(cols, 64, [&](int, int64_t lo, int64_t hi) {
    Buffer<double> acc((size_t)(hi - lo));
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

// This path's table (simd.cc picks one). Constant-initialised: these objects run no code when the library loads.
extern const KernelTable table;
const KernelTable table = {
    (SimdPath)LP_ISA,
    LP_ISA_NS::bias_add,
    LP_ISA_NS::bias_grad,
    LP_ISA_NS::maxout_forward,
    LP_ISA_NS::maxout_backward,
    LP_ISA_NS::maxpool_forward,
    LP_ISA_NS::maxpool_backward,
    LP_ISA_NS::softmax_xent_forward,
    LP_ISA_NS::softmax_xent_backward,
    LP_ISA_NS::dropout_mask,
    LP_ISA_NS::apply_mask,
    LP_ISA_NS::gelu_values,
    LP_ISA_NS::gelu_grad_values,
    LP_ISA_NS::batched_matmul_values,
    LP_ISA_NS::column_norms,
    LP_ISA_NS::scale_columns,
    LP_ISA_NS::axpby,
    LP_ISA_NS::scale,
    LP_ISA_NS::add,
    LP_ISA_NS::quantize_range,
    LP_ISA_NS::quantize,
    LP_ISA_NS::quantize_mx,
    LP_ISA_NS::own_sgemm,
};

}  // namespace LP_ISA_NS
}  // namespace lp
