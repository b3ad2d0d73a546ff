// Quantize kernels: @lowprec/formats' `quantize` re-implemented step for step (libs/formats/src/quantize.ts).
// Compiled WITHOUT -ffast-math and with -ffp-contract=off: signed zeros, NaN and exact ties matter.
// The functions below run the active SIMD path's kernels (simd.h); quantize.cc holds them, once per path.
#pragma once
#include <cstdint>

namespace lp {

enum QKind { Q_NONE = 0, Q_IDENTITY = 1, Q_FIXED = 2, Q_FLOAT = 3 };
enum QMode { NEAREST_EVEN = 0, NEAREST_AWAY = 1, TOWARD_ZERO = 2, STOCHASTIC = 3 };

struct QParams {
  int kind = Q_NONE;
  int mode = NEAREST_EVEN;
  uint32_t seed = 0;
  uint64_t counter = 0;  // index of the draw of element 0
  // fixed point
  int bits = 0, frac = 0;  // total bits (sign included), fractional bits f
  // float
  int t = 0, emin = 0;    // mantissa bits, smallest normal exponent
  double max = 0;         // largest finite magnitude
  bool flush = false;     // no subnormals
  bool saturate = false;  // overflow mode "saturate"
  bool ieee = true;       // specials "ieee" (else "fn")
};

// What a pass saw (formats' QuantizeStats): flushed = nonzero finite inputs whose result is ±0, zeros = ±0 inputs.
struct QStats {
  int64_t count = 0, overflow = 0, half = 0, nan = 0, flushed = 0, zeros = 0;
  double amax = 0;
  void merge(const QStats& o) {
    count += o.count; overflow += o.overflow; half += o.half; nan += o.nan; flushed += o.flushed; zeros += o.zeros;
    if (o.amax > amax) amax = o.amax;
  }
};

// MX block quantization (@lowprec/formats' quantizeMx): consecutive blocks of `block` values (the last may be
// short) share one E8M0 scale 2^s, s = floor(log2 amax) − emax clamped below to −127 (an all-zero block counts its
// maximum as 2^−126; a NaN or ±Inf in a block, or s > 127, gives the NaN scale, code 255, and NaN throughout the
// block); each value is x / 2^s rounded to the element (`elem`: Q_FIXED or Q_FLOAT, saturating), times 2^s.
struct MxParams {
  QParams elem;      // the element type and the rounding (mode, seed, counter: element i draws at counter + i)
  int64_t block = 32;
  int emax = 0;      // exponent of the element's largest power of two
  int64_t row = 0;   // > 0: x is rows of `row` values, each in its own blocks (the last of a row may be short)
  int64_t cols = 0;  // > 0 (with row = the number of rows): blocks run down the columns of a row-major row × cols
                     // matrix, block j of column c at scales[c·⌈row/block⌉ + j]; not with stochastic rounding
};
// What an MX pass saw (formats' MxQuantizeStats). NOTE: no member functions (see isa.h on shared symbols).
struct MxStats {
  int64_t count = 0, blocks = 0, nan_blocks = 0, nan = 0, overflow = 0, flushed = 0, zeros = 0;
  double amax = 0;
};

// y[i] = Q(x[i]) for i in [lo, hi) (element i draws randomBits(seed, counter + i)); x may equal y.
void quantize_range(const QParams& q, const float* x, float* y, int64_t lo, int64_t hi, QStats& st);

// Whole array on the thread pool. Stats count all n elements.
QStats quantize(const QParams& q, const float* x, float* y, int64_t n);

// The whole array, blocks on the thread pool; x may equal y. scales (null, or one byte per block) gets the E8M0 codes.
MxStats quantize_mx(const MxParams& p, const float* x, float* y, uint8_t* scales, int64_t n);

}  // namespace lp
