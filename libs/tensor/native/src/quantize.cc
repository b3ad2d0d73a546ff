// Compiled once per SIMD path (isa.h, simd.h): the loops below are written without early exits so that the compiler
// vectorises them for the path's registers; the avx2 and avx512 paths also take the F16C binary16 kernel.
#include "isa.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__F16C__) && defined(__AVX2__)
#include <immintrin.h>
#define LP_HAVE_F16C 1
#endif

#include "simd.h"

namespace lp {
namespace LP_ISA_NS {
namespace {

constexpr double TWO32 = 4294967296.0;
constexpr double FLOAT32_MAX = 3.4028234663852886e38;  // (2 - 2^-23) * 2^127

inline uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
inline uint32_t stream_key(uint32_t seed, uint32_t hi) { return lowbias32(lowbias32(seed) + hi); }
inline uint32_t bits_at(uint32_t key, uint32_t lo) { return lowbias32(lowbias32(lo ^ key) ^ key); }

// A uint32 as a double, exactly: 2^52 + draw has draw in its low mantissa bits. NOTE: AVX2 has no
// unsigned int -> double conversion; this form vectorises as an OR and a subtraction.
inline double draw_as_double(uint32_t draw) {
  uint64_t b = 0x4330000000000000ull | (uint64_t)draw;
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d - 4503599627370496.0;
}

// draws[j] = bits_at(key, lo + j) for j < n (lo + j wraps within the caller's 2^32 block), 8 lanes at a time.
inline void fill_draws(uint32_t key, uint32_t lo, uint32_t* draws, int64_t n) {
  for (int64_t j = 0; j < n; j++) draws[j] = bits_at(key, lo + (uint32_t)j);
}

// Largest finite |x| as a float32 bit pattern (non-negative floats order like their bits), and the number of
// zero inputs (±0) added to `zeros`. A separate integer loop because it vectorises where a floating-point max
// reduction would not (NaN semantics). NOTE: the kernels count flushed values as (zero results) − (zero
// inputs): a zero input always gives a zero result, so the rounding loop tests only its result.
inline int32_t amax_bits(const float* x, int64_t lo, int64_t hi, int64_t& zeros) {
  const int32_t* b = reinterpret_cast<const int32_t*>(x);
  int32_t m = 0, z = 0;
  for (int64_t i = lo; i < hi; i++) {
    int32_t v = b[i] & 0x7fffffff;
    z += v == 0;
    v = v < 0x7f800000 ? v : 0;
    m = std::max(m, v);
  }
  zeros += z;
  return m;
}

// Fixed point over [lo, hi) within one 2^32 block of draw indices. Written without early exits so the
// compiler vectorises it: a NaN input flows through the selects (every comparison with NaN is false).
// NOTE: y may equal x (in place); each element is read before it is written, at the same index.
template <int MODE>
void fixed_block(const QParams& q, const float* __restrict x, float* __restrict y, int64_t lo, int64_t hi, QStats& st) {
  const double s = std::ldexp(1.0, q.frac), inv = std::ldexp(1.0, -q.frac);
  const double kmax = std::ldexp(1.0, q.bits - 1) - 1, khalf = kmax / 2;
  const uint32_t key = stream_key(q.seed, (uint32_t)((q.counter + (uint64_t)lo) >> 32));
  const uint32_t lo0 = (uint32_t)(q.counter + (uint64_t)lo);
  int64_t overflow = 0, half = 0, nan = 0, zeros_out = 0, zeros_in = 0;
  int32_t amax = 0;
  uint32_t draws[4096];
  for (int64_t c0 = lo; c0 < hi; c0 += 4096) {
    const int64_t c1 = std::min(hi, c0 + 4096);
    amax = std::max(amax, amax_bits(x, c0, c1, zeros_in));
    if (MODE == STOCHASTIC) fill_draws(key, lo0 + (uint32_t)(c0 - lo), draws, c1 - c0);
    for (int64_t i = c0; i < c1; i++) {
      const double xi = x[i];
      const double v = xi * s;
      double k;
      if (MODE == NEAREST_EVEN) k = std::rint(v);  // the default rounding mode: ties to even (== nearbyint)
      else if (MODE == NEAREST_AWAY) k = std::round(v);
      else if (MODE == TOWARD_ZERO) k = std::trunc(v);
      else {
        const double fl = std::floor(v);
        k = draw_as_double(draws[i - c0]) < (v - fl) * TWO32 ? fl + 1 : fl;
      }
      const double ak = std::fabs(k);
      overflow += ak >= kmax;
      half += ak >= khalf;
      nan += xi != xi;
      zeros_out += k == 0;  // a NaN k is never 0
      k = k > kmax ? kmax : k;
      k = k < -kmax ? -kmax : k;
      const float out = k == 0 ? 0.0f : (float)(k * inv);
      y[i] = xi != xi ? std::numeric_limits<float>::quiet_NaN() : out;
    }
  }
  st.overflow += overflow; st.half += half; st.nan += nan; st.flushed += zeros_out - zeros_in; st.zeros += zeros_in;
  float a;
  std::memcpy(&a, &amax, sizeof a);
  if ((double)a > st.amax) st.amax = a;
}

// Fixed point in float32 lanes (twice the vector width), when every step is
// exact in float32 too: bits <= 25 (so kmax and kmax/2 are float32 values). x·2^f is then exact unless it
// overflows (→ ±Inf, which clamps and counts like the float64 path) or falls below 2^-126 (|x·2^f| < 0.5,
// k = 0 either way); rounding a float32 to an integer is exact, and k·2^-f is exact. Equal bit for bit.
//
// Stochastic (only when f >= 0, so x·2^f never underflows): with v = x·2^f exact, the reference rounds up
// when draw < (v − floor(v))·2^32, in float64. Here, for v >= 0, d = v − floor(v) and D = d·2^32 are exact
// float32 values and draw < D ⟺ draw < ceil(D). For v < 0, v − floor(v) = 1 − g with g = frac(|v|) exact, so
// (g > 0 and) draw < (1 − g)·2^32 ⟺ floor(g·2^32) + draw < 2^32 ⟺ floor(g·2^32) <= ~draw. Integer compares.
inline uint32_t float_integer_to_u32(float f) {
  f = f == f ? f : 0.0f;  // NaN (from ±Inf inputs, whose result does not depend on the draw)
  return f >= 2147483648.0f ? (uint32_t)(int32_t)(f - 2147483648.0f) + 0x80000000u : (uint32_t)(int32_t)f;
}

template <int MODE>
void fixed_block_f32(const QParams& q, const float* __restrict x, float* __restrict y, int64_t lo, int64_t hi,
                     QStats& st) {
  const float s = (float)std::ldexp(1.0, q.frac), inv = (float)std::ldexp(1.0, -q.frac);
  const float kmax = (float)(std::ldexp(1.0, q.bits - 1) - 1), khalf = kmax / 2;
  const uint32_t key = stream_key(q.seed, (uint32_t)((q.counter + (uint64_t)lo) >> 32));
  const uint32_t lo0 = (uint32_t)(q.counter + (uint64_t)lo);
  int64_t overflow = 0, half = 0, nan = 0, zeros_out = 0, zeros_in = 0;
  int32_t amax = 0;
  uint32_t draws[4096];
  for (int64_t c0 = lo; c0 < hi; c0 += 4096) {
    const int64_t c1 = std::min(hi, c0 + 4096);
    amax = std::max(amax, amax_bits(x, c0, c1, zeros_in));
    if (MODE == STOCHASTIC) fill_draws(key, lo0 + (uint32_t)(c0 - lo), draws, c1 - c0);
    int32_t ov = 0, hf = 0, nn = 0, zo = 0;
    for (int64_t i = c0; i < c1; i++) {
      const float xi = x[i];
      const float v = xi * s;
      float k;
      if (MODE == NEAREST_EVEN) k = std::rint(v);
      else if (MODE == NEAREST_AWAY) {
        const float a = std::fabs(v), fl = std::floor(a);
        k = std::copysign(a - fl >= 0.5f ? fl + 1 : fl, v);
      } else if (MODE == TOWARD_ZERO) k = std::trunc(v);
      else {
        const uint32_t draw = draws[i - c0];
        const float fl = std::floor(v), a = std::fabs(v), g = a - std::floor(a);
        const bool up_pos = draw < float_integer_to_u32(std::ceil((v - fl) * 4294967296.0f));
        const bool up_neg = g > 0 && float_integer_to_u32(std::floor(g * 4294967296.0f)) <= ~draw;
        k = fl + ((v >= 0 ? up_pos : up_neg) ? 1.0f : 0.0f);
      }
      const float ak = std::fabs(k);
      ov += ak >= kmax;
      hf += ak >= khalf;
      nn += xi != xi;
      zo += k == 0;  // a NaN k is never 0
      k = k > kmax ? kmax : k;
      k = k < -kmax ? -kmax : k;
      const float out = (k + 0.0f) * inv;  // −0 + 0 = +0: a single zero, without a select
      y[i] = xi != xi ? std::numeric_limits<float>::quiet_NaN() : out;
    }
    overflow += ov; half += hf; nan += nn; zeros_out += zo;
  }
  st.overflow += overflow; st.half += half; st.nan += nan; st.flushed += zeros_out - zeros_in; st.zeros += zeros_in;
  float a;
  std::memcpy(&a, &amax, sizeof a);
  if ((double)a > st.amax) st.amax = a;
}

// Calls block(lo, end) over [lo, hi), split for stochastic rounding where the draw index crosses a 2^32
// boundary (the stream key changes there); deterministic modes get one block.
template <int MODE, typename Block>
void stream_segments(const QParams& q, int64_t lo, int64_t hi, Block block) {
  while (lo < hi) {
    const uint64_t index = q.counter + (uint64_t)lo;
    const int64_t left = (int64_t)((((index >> 32) + 1) << 32) - index);
    const int64_t end = MODE == STOCHASTIC && left < hi - lo ? lo + left : hi;
    block(lo, end);
    lo = end;
  }
}

template <int MODE>
void fixed_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  const bool f32 = q.bits <= 25 && q.frac <= 126 && q.frac >= (MODE == STOCHASTIC ? 0 : -126);
  stream_segments<MODE>(q, lo, hi, [&](int64_t a, int64_t b) {
    if (f32) fixed_block_f32<MODE>(q, x, y, a, b, st);
    else fixed_block<MODE>(q, x, y, a, b, st);
  });
}

inline double overflow_value(const QParams& q, bool finite_input) {
  if (q.saturate) return q.max;
  if (q.mode == TOWARD_ZERO && finite_input) return q.max;
  return q.ieee ? INFINITY : std::numeric_limits<double>::quiet_NaN();
}

inline uint64_t bits_of(double d) { uint64_t b; std::memcpy(&b, &d, sizeof b); return b; }
inline double double_of(uint64_t b) { double d; std::memcpy(&d, &b, sizeof d); return d; }
inline uint32_t bits_of(float f) { uint32_t b; std::memcpy(&b, &f, sizeof b); return b; }
inline float float_of(uint32_t b) { float f; std::memcpy(&f, &b, sizeof f); return f; }

// Floating point over [lo, hi) within one 2^32 block of draw indices, without early exits (vectorisable).
// Step for step as formats' quantizeFloat: e = max(floor(log2 a), emin) exactly from the float64 exponent
// field (a float32 is always a normal double), r = round(a · 2^(t−e)), v = r · 2^(e−t), overflow, flush;
// ±0 keeps its sign (r = 0), ±Inf takes the infinite-input overflow value, NaN stays NaN and counts.
template <int MODE>
void float_block(const QParams& q, const float* __restrict x, float* __restrict y, int64_t lo, int64_t hi, QStats& st) {
  const double max = q.max, half_max = max / 2, min_normal = std::ldexp(1.0, q.emin);
  const double finite_ov = overflow_value(q, true), infinite_ov = overflow_value(q, false);
  const int64_t t = q.t, emin = q.emin;
  const bool flush = q.flush;
  const uint32_t key = stream_key(q.seed, (uint32_t)((q.counter + (uint64_t)lo) >> 32));
  const uint32_t lo0 = (uint32_t)(q.counter + (uint64_t)lo);
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  int64_t overflow = 0, half = 0, nan = 0, zeros_out = 0, zeros_in = 0;
  int32_t amax = 0;
  uint32_t draws[4096];
  for (int64_t c0 = lo; c0 < hi; c0 += 4096) {
    const int64_t c1 = std::min(hi, c0 + 4096);
    amax = std::max(amax, amax_bits(x, c0, c1, zeros_in));
    if (MODE == STOCHASTIC) fill_draws(key, lo0 + (uint32_t)(c0 - lo), draws, c1 - c0);
    for (int64_t i = c0; i < c1; i++) {
      const float xf = x[i];
      const uint32_t sign = bits_of(xf) & 0x80000000u;
      const double a = std::fabs((double)xf);
      const bool is_nan = a != a, is_inf = a == INFINITY;
      int64_t e = (int64_t)((bits_of(a) >> 52) & 0x7ff) - 1023;
      e = e < emin ? emin : e;
      e = e > 1000 ? 1000 : e;  // Inf/NaN: keep the scale finite; their result is selected below
      const double yv = a * double_of((uint64_t)(t - e + 1023) << 52);
      double r;
      if (MODE == NEAREST_EVEN) r = std::rint(yv);
      else if (MODE == NEAREST_AWAY) r = std::round(yv);
      else if (MODE == TOWARD_ZERO) r = std::floor(yv);
      else {
        const double fl = std::floor(yv);
        r = draw_as_double(draws[i - c0]) < (yv - fl) * TWO32 ? fl + 1 : fl;
      }
      double v = r * double_of((uint64_t)(e - t + 1023) << 52);
      v = v > max ? finite_ov : v;
      v = (flush && v < min_normal) ? 0.0 : v;
      v = is_inf ? infinite_ov : v;
      // NOTE: !(v < halfMax) also counts the NaN of an overflow in a format without infinities (as formats does).
      const bool counted = !is_nan;
      half += counted && !(v < half_max);
      overflow += counted && !(v < max);
      nan += is_nan;
      // v is a magnitude on the target's grid (exact in float32); ±Inf and NaN inputs never give 0 here
      zeros_out += v == 0;
      const float out = float_of(bits_of((float)v) | sign);
      y[i] = (is_nan || v != v) ? qnan : out;
    }
  }
  st.overflow += overflow; st.half += half; st.nan += nan; st.flushed += zeros_out - zeros_in; st.zeros += zeros_in;
  float am;
  std::memcpy(&am, &amax, sizeof am);
  if ((double)am > st.amax) st.amax = am;
}

template <int MODE>
void float_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  stream_segments<MODE>(q, lo, hi, [&](int64_t a, int64_t b) { float_block<MODE>(q, x, y, a, b, st); });
}

#ifdef LP_HAVE_F16C
// IEEE binary16 with round-to-nearest-even on float32 input (formats' `binary16` preset, "nearest-even"),
// 8 lanes at a time through the F16C conversions. vcvtps2ph with imm 0 (_MM_FROUND_TO_NEAREST_INT) rounds
// once, ties to even, to binary16 with subnormals, gives ±Inf beyond the largest finite value (so exactly
// when the reference's r · ulp > 65504) and keeps the sign of zeros and of results that round to zero;
// vcvtph2ps widens exactly. That is float_block<NEAREST_EVEN> for this format, bit for bit, except NaN:
// NaN inputs get the canonical +NaN like the other kernels (their payload/sign would survive F16C).
// Stats as float_block: over non-NaN inputs, overflow = #|q| >= 65504 (Inf counts), half = #|q| >= 32752
// (ordered compares are false for NaN); zeros = #(x = ±0); flushed = #(0 < |x| <= 2^-25), exactly the inputs
// this rounding sends to ±0 (2^-25 is the tie between 0 and the smallest subnormal 2^-24, to the even 0; just above
// it rounds up), counted as #(|x| <= 2^-25) − zeros on the bits of |x|; amax = largest finite |x| over the input's
// bits. NOTE: the caller's
// MXCSR must not set DAZ (Node does not); with DAZ a float32 subnormal input would still give ±0, the same.
// y may equal x (each vector is loaded before it is stored).
void binary16_ne_f16c(const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 max = _mm256_set1_ps(65504.0f), half_max = _mm256_set1_ps(32752.0f);
  const __m256 qnan = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fc00000));
  const __m256i inf_bits = _mm256_set1_epi32(0x7f800000);
  const __m256i zero = _mm256_setzero_si256(), tie_bits = _mm256_set1_epi32(0x33000001);  // bits(2^-25) + 1
  __m256i ov = _mm256_setzero_si256(), hf = _mm256_setzero_si256(), nn = _mm256_setzero_si256(),
          fz = _mm256_setzero_si256(), zz = _mm256_setzero_si256(), am = _mm256_setzero_si256();
  // One vector: lanes with a true compare mask are -1, so subtracting the mask counts them.
  auto step = [&](__m256 v) {
    const __m256i ab = _mm256_castps_si256(_mm256_and_ps(v, abs_mask));
    am = _mm256_max_epi32(am, _mm256_and_si256(ab, _mm256_cmpgt_epi32(inf_bits, ab)));  // finite |x| only
    const __m256 is_nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    const __m256 q = _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
    const __m256 aq = _mm256_and_ps(q, abs_mask);
    ov = _mm256_sub_epi32(ov, _mm256_castps_si256(_mm256_cmp_ps(aq, max, _CMP_GE_OQ)));
    hf = _mm256_sub_epi32(hf, _mm256_castps_si256(_mm256_cmp_ps(aq, half_max, _CMP_GE_OQ)));
    nn = _mm256_sub_epi32(nn, _mm256_castps_si256(is_nan));
    fz = _mm256_sub_epi32(fz, _mm256_cmpgt_epi32(tie_bits, ab));  // |x| <= 2^-25, zeros included
    zz = _mm256_sub_epi32(zz, _mm256_cmpeq_epi32(ab, zero));
    return _mm256_blendv_ps(q, qnan, is_nan);
  };
  int64_t overflow = 0, half = 0, nan = 0, tiny = 0, zeros = 0;
  auto flush_counts = [&]() {
    alignas(32) int32_t a[8], b[8], c[8], d[8], e[8];
    _mm256_store_si256((__m256i*)a, ov); _mm256_store_si256((__m256i*)b, hf); _mm256_store_si256((__m256i*)c, nn);
    _mm256_store_si256((__m256i*)d, fz); _mm256_store_si256((__m256i*)e, zz);
    for (int k = 0; k < 8; k++) { overflow += a[k]; half += b[k]; nan += c[k]; tiny += d[k]; zeros += e[k]; }
    ov = hf = nn = fz = zz = _mm256_setzero_si256();
  };
  int64_t i = lo;
  // Per-lane int32 counters: flush every 2^20 vectors, far below 2^31.
  while (hi - i >= 8) {
    const int64_t end = i + std::min<int64_t>((hi - i) & ~int64_t{7}, int64_t{8} << 20);
    for (; i < end; i += 8) _mm256_storeu_ps(y + i, step(_mm256_loadu_ps(x + i)));
    flush_counts();
  }
  if (i < hi) {  // ragged tail: padded with +0, which adds nothing to the statistics but the zeros (taken back)
    alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const int64_t r = hi - i;
    std::memcpy(buf, x + i, sizeof(float) * (size_t)r);
    _mm256_store_ps(buf, step(_mm256_load_ps(buf)));
    std::memcpy(y + i, buf, sizeof(float) * (size_t)r);
    flush_counts();
    tiny -= 8 - r;
    zeros -= 8 - r;
  }
  alignas(32) int32_t m[8];
  _mm256_store_si256((__m256i*)m, am);
  int32_t amax = 0;
  for (int k = 0; k < 8; k++) amax = std::max(amax, m[k]);
  st.overflow += overflow; st.half += half; st.nan += nan; st.flushed += tiny - zeros; st.zeros += zeros;
  float a;
  std::memcpy(&a, &amax, sizeof a);
  if ((double)a > st.amax) st.amax = a;
}
#endif

// The binary16 preset (exponent 5, mantissa 10, bias 15, subnormals, overflow "infinity", specials "ieee")
// with nearest-even: emin = -14 and max = 65504 pin exponent 5 / bias 15 given t = 10 and ieee specials.
inline bool is_binary16_nearest_even(const QParams& q) {
  return q.kind == Q_FLOAT && q.mode == NEAREST_EVEN && q.t == 10 && q.emin == -14 && q.max == 65504.0 && !q.flush &&
         !q.saturate && q.ieee;
}

// formats' `bfloat16` preset (binary32's exponent, 7 fraction bits, subnormals, IEEE specials, overflow to ∞) with
// round-to-nearest-even.
inline bool is_bfloat16_nearest_even(const QParams& q) {
  return q.kind == Q_FLOAT && q.mode == NEAREST_EVEN && q.t == 7 && q.emin == -126 &&
         q.max == 0x1.fep127 && !q.flush && !q.saturate && q.ieee;
}

// That format on float32's bits, in integer lanes on every SIMD path: bfloat16 is float32's top half, so rounding
// to nearest even adds 0x7fff plus the lowest kept bit to |x|'s bits and clears the low 16. That is float_block
// <NEAREST_EVEN> bit for bit: a normal's grid step is 2^(e−7), the kept bits' ulp; a float32 subnormal rounds to a
// multiple of 2^−133 (emin − t), the same ulp; a carry out of the fraction moves to the next binade (and past the
// largest finite value, 0x7f7f0000, to 0x7f800000: ∞, where float_block's v > max takes its IEEE overflow value,
// ∞); ±Inf stays; NaN becomes the canonical +NaN. The sign is put back, −0 included. Stats as float_block: over
// non-NaN inputs overflow = #(|q| ≥ max), half = #(|q| ≥ max/2 = 0x7eff0000's value), compared on the bits (both
// nonnegative floats); zeros = #(x = ±0); flushed = #(q = ±0) − zeros; amax = the largest finite |x|.
void bfloat16_ne_bits(const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  const int32_t* xb = reinterpret_cast<const int32_t*>(x);
  int32_t* yb = reinterpret_cast<int32_t*>(y);
  int64_t overflow = 0, half = 0, nan = 0, zeros_out = 0, zeros_in = 0;
  int32_t amax = 0;
  for (int64_t c0 = lo; c0 < hi; c0 += 4096) {
    const int64_t c1 = std::min(hi, c0 + 4096);
    int32_t ov = 0, hf = 0, nn = 0, zo = 0, zi = 0;  // NOTE: int32 per chunk, so that the loop vectorises
    // A chunk whose largest |x| lies below 0x7efe8000 (the common case; its bits are read once more, in L1) has no
    // NaN or ±Inf, and no |x| rounds to max/2 or above (r <= |x|'s bits + 0x8000 < 0x7eff0000): overflow, half and
    // NaN add nothing there, and its largest finite |x| is that maximum. The rest as below, without those counts.
    int32_t m = 0;
    for (int64_t i = c0; i < c1; i++) {
      const int32_t a = xb[i] & 0x7fffffff;
      m = std::max(m, a);
      zi += a == 0;
    }
    if (m < 0x7efe8000) {
      amax = std::max(amax, m);
      for (int64_t i = c0; i < c1; i++) {
        const int32_t u = xb[i], a = u & 0x7fffffff;
        const int32_t r = (int32_t)(((uint32_t)a + 0x7fffu + (((uint32_t)a >> 16) & 1u)) & 0xffff0000u);
        zo += r == 0;
        yb[i] = r | (u ^ a);
      }
      zeros_out += zo; zeros_in += zi;
      continue;
    }
    zi = 0;
    for (int64_t i = c0; i < c1; i++) {
      const int32_t u = xb[i], a = u & 0x7fffffff;
      const int32_t is_nan = a > 0x7f800000;
      amax = std::max(amax, a < 0x7f800000 ? a : 0);
      zi += a == 0;
      const int32_t r = (int32_t)(((uint32_t)a + 0x7fffu + (((uint32_t)a >> 16) & 1u)) & 0xffff0000u);
      ov += (1 - is_nan) & (int32_t)(r >= 0x7f7f0000);
      hf += (1 - is_nan) & (int32_t)(r >= 0x7eff0000);
      nn += is_nan;
      zo += r == 0;
      yb[i] = is_nan ? 0x7fc00000 : (r | (u & (int32_t)0x80000000u));
    }
    overflow += ov; half += hf; nan += nn; zeros_out += zo; zeros_in += zi;
  }
  st.overflow += overflow; st.half += half; st.nan += nan; st.flushed += zeros_out - zeros_in; st.zeros += zeros_in;
  float am;
  std::memcpy(&am, &amax, sizeof am);
  if ((double)am > st.amax) st.amax = am;
}

// A float32 input is exactly a double: nothing rounds, so nothing is flushed (st.flushed stays as it is).
void identity_range(const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  const double half_max = FLOAT32_MAX / 2;
  int64_t overflow = 0, half = 0, nan = 0, zeros = 0;
  double amax = 0;
  if (x != y) std::memcpy(y + lo, x + lo, sizeof(float) * (size_t)(hi - lo));
  for (int64_t i = lo; i < hi; i++) {
    const double xi = x[i];
    if (xi != xi) { nan++; y[i] = std::numeric_limits<float>::quiet_NaN(); continue; }
    const double a = std::fabs(xi);
    if (a >= half_max) { half++; if (a >= FLOAT32_MAX) overflow++; }
    if (a > amax && a != INFINITY) amax = a;
    zeros += a == 0;
  }
  st.overflow += overflow; st.half += half; st.nan += nan; st.zeros += zeros;
  if (amax > st.amax) st.amax = amax;
}


// ** MX blocks (formats' quantizeMx, libs/formats/src/quantize-mx.ts) **

// floor(log2 a) of a finite float32 magnitude a > 0 from its bits u, exactly: the exponent field, or for a subnormal
// (field 0, value u · 2^−149) the position of its top bit.
inline int32_t float32_exponent(uint32_t u) {
  const int32_t field = (int32_t)(u >> 23);
  return field != 0 ? field - 127 : 31 - __builtin_clz(u) - 149;
}

// The element type's constants, computed once per call (not per block: std::ldexp is a library call).
struct MxElement {
  double max, min_normal, finite_ov, fs, finv, kmax;
  int64_t t, emin;
  bool flush;
  bool f32;  // half the smallest subnormal above 2^−126: mx_elements_f32_ne may round (see there)
};

inline MxElement mx_element(const QParams& q) {
  MxElement c;
  c.max = q.max;
  c.min_normal = std::ldexp(1.0, q.emin);
  c.finite_ov = overflow_value(q, true);
  c.fs = std::ldexp(1.0, q.frac);
  c.finv = std::ldexp(1.0, -q.frac);
  c.kmax = std::ldexp(1.0, q.bits - 1) - 1;
  c.t = q.t;
  c.emin = q.emin;
  c.flush = q.flush;
  c.f32 = q.kind == Q_FLOAT && q.saturate && !q.flush && q.emin - q.t - 1 > -126;
  return c;
}

// One element x of a block with scale 2^s (inv_x = 2^−s, big_x = 2^s, as doubles): X · round(x · 2^−s) in the
// element type, without early exits. Step for step as formats' quantizeFloat / quantizeFixed on the exact quotient
// x · 2^−s (a float32 times a power of two in [2^−127, 2^127] is exact in double); `draw` is used by STOCHASTIC only.
// Adds 1 to ov when it saturates (|x / X| > max) and to fl when a nonzero x becomes ±0, each times `live` (0 or 1).
template <int MODE, bool FIXED>
inline __attribute__((always_inline)) float mx_element_double(const MxElement& c, float xf, double inv_x, double big_x,
                                                              uint32_t draw, int64_t live, int64_t& ov, int64_t& fl) {
  const double yv = (double)xf * inv_x;
  ov += (int64_t)(std::fabs(yv) > c.max) & live;
  double e_out;
  if (FIXED) {
    double v = yv * c.fs;
    v = v > c.kmax ? c.kmax : v;
    v = v < -c.kmax ? -c.kmax : v;
    double k;
    if (MODE == NEAREST_EVEN) k = std::rint(v);
    else if (MODE == NEAREST_AWAY) k = std::round(v);
    else if (MODE == TOWARD_ZERO) k = std::trunc(v);
    else {
      const double f = std::floor(v);
      k = draw_as_double(draw) < (v - f) * TWO32 ? f + 1 : f;
    }
    e_out = k * c.finv + 0.0;  // −0 + 0 = +0: two's complement has a single zero
  } else {
    const double a = std::fabs(yv);
    int64_t e = (int64_t)((bits_of(a) >> 52) & 0x7ff) - 1023;  // a is 0 or a normal double
    e = e < c.emin ? c.emin : e;
    const double ys = a * double_of((uint64_t)(c.t - e + 1023) << 52);
    double r;
    if (MODE == NEAREST_EVEN) r = std::rint(ys);
    else if (MODE == NEAREST_AWAY) r = std::round(ys);
    else if (MODE == TOWARD_ZERO) r = std::floor(ys);
    else {
      const double f = std::floor(ys);
      r = draw_as_double(draw) < (ys - f) * TWO32 ? f + 1 : f;
    }
    double v = r * double_of((uint64_t)(e - c.t + 1023) << 52);
    v = v > c.max ? c.finite_ov : v;
    v = (c.flush && v < c.min_normal) ? 0.0 : v;
    e_out = (bits_of(xf) & 0x80000000u) != 0 ? -v : v;  // a negative value rounding to zero keeps its sign
  }
  fl += (int64_t)(e_out == 0 && xf != 0) & live;
  return (float)(e_out * big_x);
}

// The same in float32 lanes (twice as many per vector), float elements and nearest-even only, bit for bit
// mx_element_double<NEAREST_EVEN, false> when the element saturates, keeps subnormals and its half smallest
// subnormal lies above 2^−126 (`f32` of mx_element; every MX float element), and s <= 126 (2^−s a float32 normal;
// inv_x = 2^−s and big_x = 2^s as floats):
// - |x| · 2^−s is exact in float32 unless it falls below 2^−126, and such a quotient rounds to ±0 on either path;
// - its exponent comes from its bits (a float32 subnormal reads as −127 and clamps to emin); a · 2^(t−e) is exact,
//   below 2^24, and rintf rounds it to even as rint does; r · 2^(e−t) is an element value, exact;
// - v · 2^s is one rounding of an exact product to float32, as the double path's (float)(v · 2^s); copysign puts
//   back the sign, −0 included.
inline __attribute__((always_inline)) float mx_element_f32_ne(float max, float finite_ov, int32_t t, int32_t emin,
                                                              float xf, float inv_x, float big_x, int32_t live,
                                                              int32_t& ov, int32_t& fl) {
  const float a = std::fabs(xf) * inv_x;
  ov += (int32_t)(a > max) & live;
  int32_t e = ((__builtin_bit_cast(int32_t, a) >> 23) & 0xff) - 127;
  e = e < emin ? emin : e;
  const float r = std::rint(a * __builtin_bit_cast(float, (t - e + 127) << 23));
  float v = r * __builtin_bit_cast(float, (e - t + 127) << 23);
  v = v > max ? finite_ov : v;
  fl += (int32_t)(v == 0) & (int32_t)(xf != 0) & live;  // NOTE: not &&, which keeps the loop scalar
  return std::copysign(v * big_x, xf);
}

// One block's elements in [lo, hi), scale 2^s (the draws of element i at draws[i − lo]).
template <int MODE, bool FIXED>
void mx_elements(const MxElement& c, int s, const float* __restrict x, float* __restrict y, int64_t lo, int64_t hi,
                 const uint32_t* draws, int64_t& over, int64_t& flushed) {
  const double inv_x = double_of((uint64_t)(1023 - s) << 52), big_x = double_of((uint64_t)(1023 + s) << 52);
  int64_t ov = 0, fl0 = 0;
  for (int64_t i = lo; i < hi; i++)
    y[i] = mx_element_double<MODE, FIXED>(c, x[i], inv_x, big_x, MODE == STOCHASTIC ? draws[i - lo] : 0, 1, ov, fl0);
  over += ov;
  flushed += fl0;
}

// mx_elements<NEAREST_EVEN, false> through mx_element_f32_ne (its conditions hold).
void mx_elements_f32_ne(const MxElement& c, int s, const float* __restrict x, float* __restrict y, int64_t lo,
                        int64_t hi, int64_t& over, int64_t& flushed) {
  const float inv_x = float_of((uint32_t)(127 - s) << 23), big_x = (float)double_of((uint64_t)(1023 + s) << 52);
  const float max = (float)c.max, finite_ov = (float)c.finite_ov;
  const int32_t t = (int32_t)c.t, emin = (int32_t)c.emin;
  int32_t ov = 0, fl0 = 0;
  for (int64_t i = lo; i < hi; i++) y[i] = mx_element_f32_ne(max, finite_ov, t, emin, x[i], inv_x, big_x, 1, ov, fl0);
  over += ov;
  flushed += fl0;
}

// A block's E8M0 scale exponent s from the bits m of its largest magnitude (NaN and ±Inf above every finite value):
// OCP MX 1.0 §6.3 with formats' choices (all-zero block: 2^−126; below 2^−127: clamped); 128 when the block is NaN
// (a NaN or ±Inf in it, or s > 127).
inline int mx_scale_exponent(int32_t m, int emax) {
  const int s = m >= 0x7f800000 ? 128 : (m == 0 ? -126 : float32_exponent((uint32_t)m)) - emax;
  return s > 127 ? 128 : s < -127 ? -127 : s;
}

// The same element on x's own bits, without dividing by the scale and multiplying back, for a block whose scale 2^s
// lies in mx_bits_ok's range (every block of real data), bit for bit mx_element_f32_ne's value and counts:
// - the element's grid, scaled by 2^s, has the step 2^(max(e, emin + s) − t) at |x| in [2^e, 2^(e+1)) (e = |x|'s
//   exponent; lo_field = emin + s + 127 >= 1 is the float32 exponent field below which the step is fixed, so a float32
//   subnormal |x|, field 0, takes the fixed step too). Adding C = 2^23 times that step and subtracting it again
//   rounds |x| to a multiple of the step, to nearest even (|x| < 2^(e+1) <= C / 2^(22−t), so |x| + C lies in [C, 2C),
//   whose float32 ulp is the step; C's field (max(field, lo_field) + 23 − t) is at most 254 for s in range). That is
//   rint(|x| · 2^−s · 2^(t−e')) · 2^(e'−t) · 2^s of mx_element_f32_ne with every power of two moved out: its quotient
//   |x| · 2^−s is exact when it is a float32 normal and rounds to 0 on both sides when it is not (|x| < 2^(s−126) is
//   far below half the fixed step 2^(emin − t + s)); its product v · 2^s is exact (a multiple of 2^(emin − t + s) >=
//   2^−149 with at most t + 1 significant bits, at most max · 2^s);
// - saturation: |x| · 2^−s > max ⇔ |x| > max · 2^s (maxs, exact: max · 2^−127 and above are float32 normals),
//   compared on the bits (both nonnegative), and a rounded value above maxs becomes maxs (the saturating element's
//   finite overflow value is max);
// - the sign goes back on by its bit (a negative value rounding to zero gives −0, as copysign);
// - zo counts the zero results: flushed = zo − (the block's zero inputs), since a zero input gives a zero result.
inline bool mx_bits_ok(const MxElement& c, int emax, int s) {
  return s >= -126 - (int)c.emin && s <= 103 + (int)c.t - emax;
}

inline __attribute__((always_inline)) float mx_element_bits(int32_t u, int32_t lo_field, int32_t c_off, float maxs,
                                                            int32_t maxs_bits, int32_t& ov, int32_t& zo) {
  const int32_t a = u & 0x7fffffff;
  ov += (int32_t)(a > maxs_bits);
  const int32_t field = std::max(a >> 23, lo_field);
  const float step23 = __builtin_bit_cast(float, (field << 23) + c_off);  // 2^23 · the grid step at |x|
  float r = (__builtin_bit_cast(float, a) + step23) - step23;
  r = r > maxs ? maxs : r;
  zo += (int32_t)(r == 0);
  return __builtin_bit_cast(float, __builtin_bit_cast(int32_t, r) | (u ^ a));
}

// Full blocks of 32 with a float element and nearest-even (mx_element_f32_ne's conditions and mx_bits_ok's, checked
// per block), the common MX case, with no horizontal reduction but the block's maximum: the counts of saturated and
// zero results and of zero inputs stay in 32 lanes across blocks, summed once at the end (`finish`), and the finite
// maximum is the largest block maximum (the block is finite). Per block, bit for bit what mx_range's general path
// computes.
struct MxLanes32 {
  alignas(64) int32_t zi[32] = {}, zo[32] = {}, ov[32] = {};
  int32_t amax = 0;

  // One block at x + start (its 32 bits read as int32 too); false when it is not for this path (s out of
  // mx_bits_ok's range, a NaN block among them): nothing is then written or counted.
  bool block(const MxElement& c, int emax, const float* __restrict x, float* __restrict y, int64_t start,
             uint8_t* code) {
    const int32_t* __restrict u = reinterpret_cast<const int32_t*>(x + start);
    int32_t m = 0;
    for (int i = 0; i < 32; i++) m = std::max(m, u[i] & 0x7fffffff);
    const int s = mx_scale_exponent(m, emax);
    if (!mx_bits_ok(c, emax, s)) return false;
    amax = std::max(amax, m);
    if (code != nullptr) *code = (uint8_t)(s + 127);
    const int32_t lo_field = (int32_t)c.emin + s + 127, c_off = (23 - (int32_t)c.t) << 23;
    const float maxs = (float)c.max * float_of((uint32_t)(127 + s) << 23);
    const int32_t maxs_bits = __builtin_bit_cast(int32_t, maxs);
    float* __restrict ys = y + start;
    for (int i = 0; i < 32; i++) {
      int32_t o = 0, z = 0;
      zi[i] += (int32_t)((u[i] & 0x7fffffff) == 0);
      ys[i] = mx_element_bits(u[i], lo_field, c_off, maxs, maxs_bits, o, z);
      ov[i] += o;
      zo[i] += z;
    }
    return true;
  }

  void finish(MxStats& st) const {
    for (int i = 0; i < 32; i++) {
      st.zeros += zi[i]; st.overflow += ov[i]; st.flushed += zo[i] - zi[i];
    }
    const double a = (double)float_of((uint32_t)amax);
    if (a > st.amax) st.amax = a;
  }
};

template <int MODE, bool FIXED>
void mx_range(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t n, int64_t b0, int64_t b1,
              MxStats& st) {
  const QParams& q = p.elem;
  const MxElement c = mx_element(q);
  const int64_t k = p.block;
  const int32_t* bits = reinterpret_cast<const int32_t*>(x);
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  uint32_t draws[4096];
  const int64_t row = p.row, per_row = row > 0 ? (row + k - 1) / k : 0;
  const bool lanes32 = MODE == NEAREST_EVEN && !FIXED && c.f32 && k == 32;
  MxLanes32 lanes;
  for (int64_t b = b0; b < b1; b++) {
    // NOTE: with rows, block b is block b % per_row of row b / per_row; a block never runs past its row's end.
    const int64_t r = row > 0 ? b / per_row : 0, j = row > 0 ? b - r * per_row : b;
    const int64_t start = r * row + j * k, end = std::min(row > 0 ? (r + 1) * row : n, start + k);
    if (lanes32 && end - start == 32 && lanes.block(c, p.emax, x, y, start, scales == nullptr ? nullptr : scales + b))
      continue;
    // 1. the block's maximum magnitude on the bits (NaN and ±Inf above every finite value), finite maximum, ±0, NaN
    // NOTE: int32 throughout (a block holds at most 2^20 values), so that the loop vectorises.
    int32_t m = 0, mf = 0, zeros = 0, nan = 0;
    for (int64_t i = start; i < end; i++) {
      const int32_t u = bits[i] & 0x7fffffff;
      m = std::max(m, u);
      mf = std::max(mf, u < 0x7f800000 ? u : 0);
      zeros += u == 0;
      nan += u > 0x7f800000;
    }
    st.zeros += zeros;
    st.nan += nan;
    const double amax = (double)float_of((uint32_t)mf);
    if (amax > st.amax) st.amax = amax;
    // 2. its scale
    const int s = mx_scale_exponent(m, p.emax);
    if (s > 127) {
      if (scales != nullptr) scales[b] = 255;
      st.nan_blocks++;
      for (int64_t i = start; i < end; i++) y[i] = qnan;
      continue;
    }
    if (scales != nullptr) scales[b] = (uint8_t)(s + 127);
    // 3. the elements, 4096 at a time (the draws of a chunk at counter + i)
    int64_t over = 0, flushed = 0;
    for (int64_t c0 = start; c0 < end; c0 += 4096) {
      const int64_t c1 = std::min(end, c0 + 4096);
      if (MODE == STOCHASTIC) LP_ISA_NS::random_bits_fill(q.seed, q.counter + (uint64_t)c0, draws, c1 - c0);
      if (MODE == NEAREST_EVEN && !FIXED && c.f32 && s <= 126) mx_elements_f32_ne(c, s, x, y, c0, c1, over, flushed);
      else mx_elements<MODE, FIXED>(c, s, x, y, c0, c1, draws, over, flushed);
    }
    st.overflow += over;
    st.flushed += flushed;
  }
  if (lanes32) lanes.finish(st);
}

// Blocks down the columns of a row-major rows × cols matrix (MxParams.cols > 0, p.row = rows): block j of column c
// holds rows [j·k, min(rows, j·k + k)) of that column, and its code goes to scales[c·⌈rows/k⌉ + j], as when the
// transpose is rounded along its rows. Tasks are MX_COLS consecutive columns of one band of k rows: one vector per
// row holds a lane per column, each lane with its own scale, so that nothing is transposed. Every count and the
// maximum are order-free, so the stats equal the transpose's. Not for STOCHASTIC (its draws run down the columns:
// the addon transposes for it).
constexpr int64_t MX_COLS = 64;

template <int MODE, bool FIXED>
void mx_columns_range(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t t0, int64_t t1,
                      MxStats& st) {
  static_assert(MODE != STOCHASTIC, "stochastic columns are rounded on the transpose");
  const MxElement c = mx_element(p.elem);
  const int64_t k = p.block, rows = p.row, cols = p.cols, per_col = (rows + k - 1) / k;
  const int64_t chunks = (cols + MX_COLS - 1) / MX_COLS;
  const int32_t* bits_in = reinterpret_cast<const int32_t*>(x);
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  const float max_f = (float)c.max, finite_ov_f = (float)c.finite_ov;
  const int32_t t_i = (int32_t)c.t, emin_i = (int32_t)c.emin;
  alignas(64) int32_t m[MX_COLS], mf[MX_COLS], live[MX_COLS];
  alignas(64) float inv_f[MX_COLS], big_f[MX_COLS];
  alignas(64) double inv_d[MX_COLS], big_d[MX_COLS];
  alignas(64) int64_t live64[MX_COLS];
  alignas(64) int32_t lo_field[MX_COLS], maxs_bits[MX_COLS];
  alignas(64) float maxs[MX_COLS];
  const int32_t c_off = (23 - t_i) << 23;
  for (int64_t task = t0; task < t1; task++) {
    const int64_t j = task / chunks, c0 = (task - j * chunks) * MX_COLS;
    const int64_t r0 = j * k, r1 = std::min(rows, r0 + k), w = std::min(cols - c0, MX_COLS);
    // 1. each column's maximum magnitude on the bits, finite maximum, ±0, NaN (as mx_range, a lane per column)
    for (int64_t i = 0; i < w; i++) m[i] = mf[i] = 0;
    int32_t zeros = 0, nan = 0;
    for (int64_t r = r0; r < r1; r++) {
      const int32_t* row = bits_in + r * cols + c0;
      for (int64_t i = 0; i < w; i++) {
        const int32_t u = row[i] & 0x7fffffff;
        m[i] = std::max(m[i], u);
        mf[i] = std::max(mf[i], u < 0x7f800000 ? u : 0);
        zeros += u == 0;
        nan += u > 0x7f800000;
      }
    }
    st.zeros += zeros;
    st.nan += nan;
    // 2. the scales; a NaN block's lane is rounded with s = 0, uncounted (live = 0), then overwritten with NaN
    bool f32 = MODE == NEAREST_EVEN && !FIXED && c.f32, any_nan = false, bits = f32;
    for (int64_t i = 0; i < w; i++) {
      const double amax = (double)float_of((uint32_t)mf[i]);
      if (amax > st.amax) st.amax = amax;
      int s = mx_scale_exponent(m[i], p.emax);
      const int64_t b = (c0 + i) * per_col + j;
      if (s > 127) {
        if (scales != nullptr) scales[b] = 255;
        st.nan_blocks++;
        any_nan = true;
        s = 0;
        live[i] = 0;
      } else {
        if (scales != nullptr) scales[b] = (uint8_t)(s + 127);
        live[i] = 1;
      }
      live64[i] = live[i];
      f32 = f32 && s <= 126;
      bits = bits && mx_bits_ok(c, p.emax, s);
      lo_field[i] = (int32_t)c.emin + s + 127;
      maxs[i] = max_f * float_of((uint32_t)std::min(std::max(127 + s, 1), 254) << 23);
      maxs_bits[i] = __builtin_bit_cast(int32_t, maxs[i]);
      inv_d[i] = double_of((uint64_t)(1023 - s) << 52);
      big_d[i] = double_of((uint64_t)(1023 + s) << 52);
      inv_f[i] = float_of((uint32_t)(127 - std::min(s, 126)) << 23);
      big_f[i] = (float)big_d[i];
    }
    // 3. the elements, row by row (on their own bits when every lane's scale allows it and none is NaN: then every
    // lane is live and the zero results less the band's zero inputs are the flushed values)
    if (bits && !any_nan) {
      int32_t ov = 0, zo = 0;
      for (int64_t r = r0; r < r1; r++) {
        const int32_t* xr = bits_in + r * cols + c0;
        float* yr = y + r * cols + c0;
        for (int64_t i = 0; i < w; i++)
          yr[i] = mx_element_bits(xr[i], lo_field[i], c_off, maxs[i], maxs_bits[i], ov, zo);
      }
      st.overflow += ov;
      st.flushed += zo - zeros;
    } else if (f32) {
      int32_t ov = 0, fl = 0;
      for (int64_t r = r0; r < r1; r++) {
        const float* xr = x + r * cols + c0;
        float* yr = y + r * cols + c0;
        for (int64_t i = 0; i < w; i++)
          yr[i] = mx_element_f32_ne(max_f, finite_ov_f, t_i, emin_i, xr[i], inv_f[i], big_f[i], live[i], ov, fl);
      }
      st.overflow += ov;
      st.flushed += fl;
    } else {
      int64_t ov = 0, fl = 0;
      for (int64_t r = r0; r < r1; r++) {
        const float* xr = x + r * cols + c0;
        float* yr = y + r * cols + c0;
        for (int64_t i = 0; i < w; i++)
          yr[i] = mx_element_double<MODE, FIXED>(c, xr[i], inv_d[i], big_d[i], 0, live64[i], ov, fl);
      }
      st.overflow += ov;
      st.flushed += fl;
    }
    if (any_nan)
      for (int64_t i = 0; i < w; i++)
        if (live[i] == 0)
          for (int64_t r = r0; r < r1; r++) y[r * cols + c0 + i] = qnan;
  }
}

template <int MODE>
void mx_columns_kind(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t t0, int64_t t1,
                     MxStats& st) {
  if (p.elem.kind == Q_FIXED) mx_columns_range<MODE, true>(p, x, y, scales, t0, t1, st);
  else mx_columns_range<MODE, false>(p, x, y, scales, t0, t1, st);
}

template <int MODE>
void mx_dispatch_kind(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t n, int64_t b0,
                      int64_t b1, MxStats& st) {
  if (p.elem.kind == Q_FIXED) mx_range<MODE, true>(p, x, y, scales, n, b0, b1, st);
  else mx_range<MODE, false>(p, x, y, scales, n, b0, b1, st);
}
}  // namespace

void random_bits_fill(uint32_t seed, uint64_t first, uint32_t* out, int64_t n) {
  int64_t j = 0;
  while (j < n) {
    // indices with the same high 32 bits share one stream key
    const uint64_t index = first + (uint64_t)j;
    const int64_t run = std::min<int64_t>(n - j, (int64_t)(0x100000000ull - (index & 0xffffffffull)));
    fill_draws(stream_key(seed, (uint32_t)(index >> 32)), (uint32_t)index, out + j, run);
    j += run;
  }
}

void quantize_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  if (hi <= lo) return;
  st.count += hi - lo;
  switch (q.kind) {
    case Q_IDENTITY: identity_range(x, y, lo, hi, st); return;
    case Q_FIXED:
      switch (q.mode) {
        case NEAREST_EVEN: fixed_range<NEAREST_EVEN>(q, x, y, lo, hi, st); return;
        case NEAREST_AWAY: fixed_range<NEAREST_AWAY>(q, x, y, lo, hi, st); return;
        case TOWARD_ZERO: fixed_range<TOWARD_ZERO>(q, x, y, lo, hi, st); return;
        default: fixed_range<STOCHASTIC>(q, x, y, lo, hi, st); return;
      }
    case Q_FLOAT:
      switch (q.mode) {
        case NEAREST_EVEN:
#ifdef LP_HAVE_F16C
          if (is_binary16_nearest_even(q)) { binary16_ne_f16c(x, y, lo, hi, st); return; }
#endif
          if (is_bfloat16_nearest_even(q)) { bfloat16_ne_bits(x, y, lo, hi, st); return; }
          float_range<NEAREST_EVEN>(q, x, y, lo, hi, st); return;
        case NEAREST_AWAY: float_range<NEAREST_AWAY>(q, x, y, lo, hi, st); return;
        case TOWARD_ZERO: float_range<TOWARD_ZERO>(q, x, y, lo, hi, st); return;
        default: float_range<STOCHASTIC>(q, x, y, lo, hi, st); return;
      }
    default: return;
  }
}

QStats quantize(const QParams& q, const float* x, float* y, int64_t n) {
  Buffer<QStats> parts((size_t)num_threads());
  pfor(n, 1 << 15, [&](int t, int64_t lo, int64_t hi) {
    LP_ISA_NS::quantize_range(q, x, y, lo, hi, parts[(size_t)t]);
  });
  QStats total;
  for (size_t t = 0; t < parts.size(); t++) merge_stats(total, parts[t]);
  total.count = n;
  return total;
}

MxStats quantize_mx(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t n) {
  const int64_t k = p.block;
  const int64_t blocks = k <= 0 ? 0 : p.row > 0 ? (n / p.row) * ((p.row + k - 1) / k) : (n + k - 1) / k;
  Buffer<MxStats> parts((size_t)num_threads());
  if (p.cols > 0 && p.row > 0 && k > 0) {
    const int64_t tasks = ((p.row + k - 1) / k) * ((p.cols + MX_COLS - 1) / MX_COLS);
    pfor(tasks, std::max<int64_t>(1, (int64_t{1} << 15) / (k * MX_COLS)), [&](int t, int64_t t0, int64_t t1) {
      MxStats& st = parts[(size_t)t];
      switch (p.elem.mode) {
        case NEAREST_EVEN: mx_columns_kind<NEAREST_EVEN>(p, x, y, scales, t0, t1, st); return;
        case NEAREST_AWAY: mx_columns_kind<NEAREST_AWAY>(p, x, y, scales, t0, t1, st); return;
        default: mx_columns_kind<TOWARD_ZERO>(p, x, y, scales, t0, t1, st); return;  // (never STOCHASTIC)
      }
    });
  } else {
    pfor(blocks, std::max<int64_t>(1, (int64_t{1} << 15) / k), [&](int t, int64_t b0, int64_t b1) {
      MxStats& st = parts[(size_t)t];
      switch (p.elem.mode) {
        case NEAREST_EVEN: mx_dispatch_kind<NEAREST_EVEN>(p, x, y, scales, n, b0, b1, st); return;
        case NEAREST_AWAY: mx_dispatch_kind<NEAREST_AWAY>(p, x, y, scales, n, b0, b1, st); return;
        case TOWARD_ZERO: mx_dispatch_kind<TOWARD_ZERO>(p, x, y, scales, n, b0, b1, st); return;
        default: mx_dispatch_kind<STOCHASTIC>(p, x, y, scales, n, b0, b1, st); return;
      }
    });
  }
  MxStats total;
  for (size_t t = 0; t < parts.size(); t++) {
    const MxStats& o = parts[t];
    total.nan_blocks += o.nan_blocks; total.nan += o.nan; total.overflow += o.overflow; total.flushed += o.flushed;
    total.zeros += o.zeros;
    if (o.amax > total.amax) total.amax = o.amax;
  }
  total.count = n;
  total.blocks = blocks;
  return total;
}

}  // namespace LP_ISA_NS
}  // namespace lp
