#include "quantize.h"

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

template <int MODE>
void fixed_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st) {
  const double s = std::ldexp(1.0, q.frac), inv = std::ldexp(1.0, -q.frac);
  const double kmax = std::ldexp(1.0, q.bits - 1) - 1, khalf = kmax / 2;
  int64_t overflow = 0, half = 0, nan = 0;
  double amax = 0;
  Draws draws(q.seed, q.counter + (uint64_t)lo);
  for (int64_t i = lo; i < hi; i++) {
    const double xi = x[i];
    uint32_t draw = MODE == STOCHASTIC ? draws.at(q.counter + (uint64_t)i) : 0;
    if (xi != xi) { y[i] = std::numeric_limits<float>::quiet_NaN(); nan++; continue; }
    const double a = std::fabs(xi);
    if (a > amax && a != INFINITY) amax = a;
    double k = round_int(xi * s, MODE, draw);
    if (k >= kmax) { k = kmax; overflow++; half++; }
    else if (k <= -kmax) { k = -kmax; overflow++; half++; }
    else if (k >= khalf || k <= -khalf) half++;
    y[i] = k == 0 ? 0.0f : (float)(k * inv);
  }
  st.overflow += overflow; st.half += half; st.nan += nan;
  if (amax > st.amax) st.amax = amax;
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
      int e;
      std::frexp(a, &e);  // a = m * 2^e, m in [0.5, 1): floor(log2 a) = e - 1, exactly
      e -= 1;
      if (e < q.emin) e = q.emin;
      const double r = round_int(std::ldexp(a, q.t - e), MODE == TOWARD_ZERO ? TOWARD_ZERO : MODE, draw);
      v = std::ldexp(r, e - q.t);
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
