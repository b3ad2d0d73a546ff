#include "quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "threads.h"

namespace lp {
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

// The draws of a range, computing the key once per 2^32 block.
struct Draws {
  uint32_t seed, key, hi;
  Draws(uint32_t s, uint64_t first) : seed(s), key(stream_key(s, (uint32_t)(first >> 32))), hi((uint32_t)(first >> 32)) {}
  inline uint32_t at(uint64_t index) {
    uint32_t h = (uint32_t)(index >> 32);
    if (h != hi) { hi = h; key = stream_key(seed, h); }
    return bits_at(key, (uint32_t)index);
  }
};

inline double round_int(double y, int mode, uint32_t draw) {
  switch (mode) {
    case NEAREST_EVEN: return std::nearbyint(y);  // default FE_TONEAREST: ties to even
    case NEAREST_AWAY: return std::round(y);
    case TOWARD_ZERO: return std::trunc(y);
    default: {
      double fl = std::floor(y);
      return (double)draw < (y - fl) * TWO32 ? fl + 1 : fl;
    }
  }
}

// Exact 2^n for n in [-1022, 1023], built from the exponent field (no libm call in the loops).
inline double pow2(int n) {
  uint64_t b = (uint64_t)(n + 1023) << 52;
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

// Largest finite |x| as a float32 bit pattern (non-negative floats order like their bits). A separate
// integer loop because it vectorises where a floating-point max reduction would not (NaN semantics).
inline int32_t amax_bits(const float* x, int64_t lo, int64_t hi) {
  const int32_t* b = reinterpret_cast<const int32_t*>(x);
  int32_t m = 0;
  for (int64_t i = lo; i < hi; i++) {
    int32_t v = b[i] & 0x7fffffff;
    v = v < 0x7f800000 ? v : 0;
    m = std::max(m, v);
  }
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
  int64_t overflow = 0, half = 0, nan = 0;
  int32_t amax = 0;
  for (int64_t c0 = lo; c0 < hi; c0 += 4096) {
    const int64_t c1 = std::min(hi, c0 + 4096);
    amax = std::max(amax, amax_bits(x, c0, c1));
    for (int64_t i = c0; i < c1; i++) {
      const double xi = x[i];
      const double v = xi * s;
      double k;
      if (MODE == NEAREST_EVEN) k = std::rint(v);  // the default rounding mode: ties to even (== nearbyint)
      else if (MODE == NEAREST_AWAY) k = std::round(v);
      else if (MODE == TOWARD_ZERO) k = std::trunc(v);
      else {
        const double fl = std::floor(v);
        const uint32_t draw = bits_at(key, lo0 + (uint32_t)(i - lo));
        k = (double)draw < (v - fl) * TWO32 ? fl + 1 : fl;
      }
      const double ak = std::fabs(k);
      overflow += ak >= kmax;
      half += ak >= khalf;
      nan += xi != xi;
      k = k > kmax ? kmax : k;
      k = k < -kmax ? -kmax : k;
      const float out = k == 0 ? 0.0f : (float)(k * inv);
      y[i] = xi != xi ? std::numeric_limits<float>::quiet_NaN() : out;
    }
  }
  st.overflow += overflow; st.half += half; st.nan += nan;
  float a;
  std::memcpy(&a, &amax, sizeof a);
  if ((double)a > st.amax) st.amax = a;
}

// Splits [lo, hi) where the draw index crosses a 2^32 boundary (the stream key changes there).
template <int MODE>
void fixed_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  while (lo < hi) {
    const uint64_t index = q.counter + (uint64_t)lo;
    const int64_t left = (int64_t)((((index >> 32) + 1) << 32) - index);
    const int64_t end = MODE == STOCHASTIC && left < hi - lo ? lo + left : hi;
    fixed_block<MODE>(q, x, y, lo, end, st);
    lo = end;
  }
}

inline double overflow_value(const QParams& q, bool finite_input) {
  if (q.saturate) return q.max;
  if (q.mode == TOWARD_ZERO && finite_input) return q.max;
  return q.ieee ? INFINITY : std::numeric_limits<double>::quiet_NaN();
}

template <int MODE>
void float_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  const double max = q.max, half_max = max / 2, min_normal = std::ldexp(1.0, q.emin);
  const double finite_ov = overflow_value(q, true), infinite_ov = overflow_value(q, false);
  int64_t overflow = 0, half = 0, nan = 0;
  double amax = 0;
  Draws draws(q.seed, q.counter + (uint64_t)lo);
  for (int64_t i = lo; i < hi; i++) {
    const float xf = x[i];
    uint32_t draw = MODE == STOCHASTIC ? draws.at(q.counter + (uint64_t)i) : 0;
    if (xf != xf) { y[i] = std::numeric_limits<float>::quiet_NaN(); nan++; continue; }
    if (xf == 0) { y[i] = xf; continue; }
    const double a = std::fabs((double)xf);
    double v;
    if (a == INFINITY) v = infinite_ov;
    else {
      if (a > amax) amax = a;
      // floor(log2 a) exactly: the float32 exponent field, or frexp for a float32 subnormal
      uint32_t bits;
      std::memcpy(&bits, &xf, sizeof bits);
      int e = (int)((bits >> 23) & 0xff) - 127;
      if (e == -127) { std::frexp(a, &e); e -= 1; }
      if (e < q.emin) e = q.emin;
      const double r = round_int(a * pow2(q.t - e), MODE, draw);
      v = r * pow2(e - q.t);
      if (v > max) v = finite_ov;
      else if (q.flush && v < min_normal) v = 0;
    }
    // NOTE: !(v < halfMax) also counts the NaN of an overflow in a format without infinities (as formats does).
    if (!(v < half_max)) { half++; if (!(v < max)) overflow++; }
    // NOTE: a NaN result (overflow without infinities) is the canonical quiet NaN 0x7fc00000, never -NaN.
    y[i] = v != v ? std::numeric_limits<float>::quiet_NaN() : (float)(xf < 0 ? -v : v);
  }
  st.overflow += overflow; st.half += half; st.nan += nan;
  if (amax > st.amax) st.amax = amax;
}

void identity_range(const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  const double half_max = FLOAT32_MAX / 2;
  int64_t overflow = 0, half = 0, nan = 0;
  double amax = 0;
  if (x != y) std::memcpy(y + lo, x + lo, sizeof(float) * (size_t)(hi - lo));
  for (int64_t i = lo; i < hi; i++) {
    const double xi = x[i];
    if (xi != xi) { nan++; continue; }
    const double a = std::fabs(xi);
    if (a >= half_max) { half++; if (a >= FLOAT32_MAX) overflow++; }
    if (a > amax && a != INFINITY) amax = a;
  }
  st.overflow += overflow; st.half += half; st.nan += nan;
  if (amax > st.amax) st.amax = amax;
}

}  // namespace

uint32_t random_bits(uint32_t seed, uint64_t index) {
  return bits_at(stream_key(seed, (uint32_t)(index >> 32)), (uint32_t)index);
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
        case NEAREST_EVEN: float_range<NEAREST_EVEN>(q, x, y, lo, hi, st); return;
        case NEAREST_AWAY: float_range<NEAREST_AWAY>(q, x, y, lo, hi, st); return;
        case TOWARD_ZERO: float_range<TOWARD_ZERO>(q, x, y, lo, hi, st); return;
        default: float_range<STOCHASTIC>(q, x, y, lo, hi, st); return;
      }
    default: return;
  }
}

QStats quantize(const QParams& q, const float* x, float* y, int64_t n) {
  std::vector<QStats> parts((size_t)num_threads());
  parallel_for(n, 1 << 15, [&](int t, int64_t lo, int64_t hi) { quantize_range(q, x, y, lo, hi, parts[(size_t)t]); });
  QStats total;
  for (auto& p : parts) total.merge(p);
  total.count = n;
  return total;
}

}  // namespace lp
