/**
 * `quantize`: round a whole array to a format in one pass, with the overflow statistics the dynamic
 * scaling policies need. It mirrors `roundScalar` (round.ts) step for step, specialised per format
 * kind so the inner loops hold no closures and allocate nothing. Tested equal to `roundScalar` on
 * every case, and the native kernels of `@lowprec/tensor` are tested equal to this.
 */
import { FLOAT32_MAX, checkFormat, floatExponentRange, floatMax, fractionBits } from "./formats.js";
import { bitsAt, streamKey } from "./random.js";
import { overflowValue, roundFloat } from "./round.js";
import { exponentOf, pow2 } from "./pow2.js";
import type {
  FloatArray,
  FloatFormat,
  Format,
  QuantizeOptions,
  QuantizeStats,
  RandomStream,
  RoundingMode,
} from "./types.js";

const TWO32 = 4294967296;
const INV_TWO32 = 1 / TWO32;
/**
 * 1.5·2^52: for |y| < 2^51, (y + RNE_MAGIC) − RNE_MAGIC is y rounded to an integer, ties to even, because
 * the sum's ulp is 1 and float64 addition rounds to nearest even. Branch-free, and much faster in V8
 * than Math.round (which also rounds ties the wrong way for this purpose).
 */
const RNE_MAGIC = 6755399441055744;

/** A zeroed statistics record. */
export function emptyStats(): QuantizeStats {
  return { count: 0, overflow: 0, overflowHalfRange: 0, nan: 0, flushed: 0, zeros: 0, amax: 0 };
}

/**
 * Rounds every element of `src` to `format`, in place or into `options.out`.
 * @returns the output array and the pass's statistics (see QuantizeStats)
 * @example
 * const x = new Float32Array([0.1, 40, -40, NaN]);
 * quantize(x, fixed({ bits: 20, integerBits: 5 })).stats
 * // { count: 4, overflow: 2, overflowHalfRange: 2, nan: 1, flushed: 0, zeros: 0, amax: 40 }
 */
export function quantize(
  src: FloatArray,
  format: Format,
  options: QuantizeOptions = {},
): { out: FloatArray; stats: QuantizeStats } {
  const { out, mode, modeCode, rng } = checkArrays("quantize", src, options, () => checkFormat(format));
  const stats = options.stats ?? emptyStats();
  stats.count = src.length;
  stats.overflow = 0;
  stats.overflowHalfRange = 0;
  stats.nan = 0;
  stats.flushed = 0;
  stats.zeros = 0;
  stats.amax = 0;
  switch (format.kind) {
    case "identity":
      quantizeIdentity(src, out, stats);
      break;
    case "fixed":
      quantizeFixed(src, out, format.bits, format.bits - 1 - format.integerBits, modeCode, rng, stats);
      break;
    case "dynamic-fixed":
      quantizeFixed(
        src,
        out,
        format.bits,
        fractionBits(format.bits, options.integerBits, `quantize to ${format.name}`),
        modeCode,
        rng,
        stats,
      );
      break;
    case "float":
      if (modeCode === 0 && src instanceof Float32Array && out instanceof Float32Array)
        quantizeFloat32Even(src, out, format, stats);
      else quantizeFloat(src, out, format, mode, modeCode, rng, stats);
      break;
  }
  if (mode === "stochastic") rng!.counter += src.length;
  return { out, stats };
}

/** The rounding modes as the loops' integer codes. */
export const MODE_CODES: Readonly<Record<string, number>> = {
  "nearest-even": 0,
  "nearest-away": 1,
  "toward-zero": 2,
  stochastic: 3,
};

/**
 * The array arguments of `quantize` and `quantizeMx` (named `what` in the messages), checked in their order: src,
 * then `validateFormat` (the format), then out (default src, same length), the rounding mode, and the stream that
 * stochastic rounding needs.
 */
export function checkArrays(
  what: string,
  src: FloatArray,
  options: { out?: FloatArray; rounding?: RoundingMode; rng?: RandomStream },
  validateFormat: () => void,
): { out: FloatArray; mode: RoundingMode; modeCode: number; rng: RandomStream | undefined } {
  if (!(src instanceof Float32Array || src instanceof Float64Array))
    throw new TypeError(
      `${what}: src must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(src)}`,
    );
  validateFormat();
  const out = options.out ?? src;
  if (!(out instanceof Float32Array || out instanceof Float64Array))
    throw new TypeError(
      `${what}: out must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(out)}`,
    );
  if (out.length !== src.length)
    throw new RangeError(`${what}: out has length ${out.length}, src has length ${src.length}`);
  const mode = options.rounding ?? "nearest-even";
  const modeCode = MODE_CODES[mode];
  if (modeCode === undefined)
    throw new RangeError(
      `${what}: invalid rounding "${String(mode)}" (expected one of ${Object.keys(MODE_CODES).join(", ")})`,
    );
  const rng = options.rng;
  if (mode === "stochastic") checkStream(rng, what);
  return { out, mode, modeCode, rng };
}

/** Throws a RangeError unless `rng` is a usable random stream; `what` names the caller in the message. */
export function checkStream(rng: RandomStream | undefined, what = "quantize"): void {
  if (!rng || typeof rng.seed !== "number" || !Number.isInteger(rng.seed))
    throw new RangeError(
      `${what}: stochastic rounding needs options.rng = { seed: integer, counter: integer ≥ 0 }` +
        `, got ${JSON.stringify(rng)}`,
    );
  if (!Number.isInteger(rng.counter) || rng.counter < 0 || rng.counter > Number.MAX_SAFE_INTEGER)
    throw new RangeError(`${what}: rng.counter must be an integer in [0, 2^53), got ${rng.counter}`);
}

function quantizeIdentity(src: FloatArray, out: FloatArray, stats: QuantizeStats): void {
  let amax = 0,
    overflow = 0,
    half = 0,
    nan = 0,
    flushed = 0,
    zeros = 0;
  const halfMax = FLOAT32_MAX / 2;
  for (let i = 0; i < src.length; i++) {
    const raw = src[i]!,
      x = Math.fround(raw);
    out[i] = x;
    if (Number.isNaN(x)) {
      nan++;
      continue;
    }
    const a = Math.abs(x);
    if (a >= halfMax) {
      half++;
      if (a >= FLOAT32_MAX) overflow++;
    }
    if (a > amax && a !== Infinity) amax = a;
    // NOTE: only a float64 input below half float32's smallest subnormal is flushed here.
    if (a === 0) {
      if (raw === 0) zeros++;
      else flushed++;
    }
  }
  stats.overflow = overflow;
  stats.overflowHalfRange = half;
  stats.nan = nan;
  stats.flushed = flushed;
  stats.zeros = zeros;
  stats.amax = amax;
}

/** Fixed point, f fractional bits: k = round(x·2^f) clamped to ±kmax; counts on |k|, flushes where k = 0, x ≠ 0. */
export function quantizeFixed(
  src: FloatArray,
  out: FloatArray,
  bits: number,
  f: number,
  mode: number,
  rng: RandomStream | undefined,
  stats: QuantizeStats,
): void {
  const s = pow2(f),
    inv = pow2(-f),
    kmax = pow2(bits - 1) - 1,
    khalf = kmax / 2;
  let amax = 0,
    overflow = 0,
    half = 0,
    nan = 0,
    flushed = 0,
    zeros = 0;
  let lo = 0,
    hi = 0,
    key = 0;
  if (mode === 3) {
    hi = Math.floor(rng!.counter / TWO32);
    lo = rng!.counter - hi * TWO32;
    key = streamKey(rng!.seed, hi);
  }
  const seed = rng?.seed ?? 0;
  // NOTE: the loops below avoid branches on the sign or the fraction of the data (Math.abs, floor and
  // trunc arithmetic instead): on random data such branches are mispredicted half the time, 4-5× slower.
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    const a = Math.abs(x);
    if (a > amax && a !== Infinity) amax = a;
    // NOTE: clamping before rounding gives the same k (kmax is an integer, rounding is monotone) and
    // keeps |y| ≤ 2^31, where the magic-number rounding is exact; ±Infinity lands on ±kmax.
    const y0 = x * s;
    const y = y0 > kmax ? kmax : y0 < -kmax ? -kmax : y0;
    let k: number;
    if (mode === 0) k = y + RNE_MAGIC - RNE_MAGIC;
    else if (mode === 1) {
      const tr = Math.trunc(y);
      k = tr + Math.trunc(2 * (y - tr));
    } else if (mode === 2) k = Math.trunc(y);
    else {
      const u = bitsAt(key, lo) * INV_TWO32;
      if (++lo === TWO32) {
        lo = 0;
        key = streamKey(seed, ++hi);
      }
      const fl = Math.floor(y);
      k = fl - Math.floor(u - (y - fl)); // +1 exactly when u < y − fl
    }
    const ak = Math.abs(k);
    if (ak >= khalf) {
      half++;
      if (ak >= kmax) overflow++;
    } else if (ak === 0) {
      // NOTE: a zero input is not flushed; a NaN k falls through to the NaN count.
      if (a !== 0) flushed++;
      else zeros++;
    } else if (Number.isNaN(k)) nan++;
    // NOTE: + 0 turns −0 into +0: two's complement has a single zero.
    out[i] = k * inv + 0;
  }
  stats.overflow = overflow;
  stats.overflowHalfRange = half;
  stats.nan = nan;
  stats.flushed = flushed;
  stats.zeros = zeros;
  stats.amax = amax;
}

/** Floating point: round each magnitude on the grid of its binade (2^(e−t) steps, e ≥ emin). */
export function quantizeFloat(
  src: FloatArray,
  out: FloatArray,
  format: FloatFormat,
  modeName: RoundingMode,
  mode: number,
  rng: RandomStream | undefined,
  stats: QuantizeStats,
): void {
  const t = format.mantissa;
  const { emin } = floatExponentRange(format);
  const max = floatMax(format),
    halfMax = max / 2,
    minNormal = pow2(emin),
    flush = !format.subnormals;
  const finiteOverflow = overflowValue(format, modeName, true),
    infiniteOverflow = overflowValue(format, modeName, false);
  // NOTE: a Float32Array's bits give the sign and floor(log2|x|) without log2; a float32 zero or
  // subnormal reads as 2^−127, which clamps to emin unless the format reaches below float32's normals.
  const bits32 = src instanceof Float32Array ? new Int32Array(src.buffer, src.byteOffset, src.length) : null;
  const exactTiny = emin < -126;
  let amax = 0,
    overflow = 0,
    half = 0,
    nan = 0,
    flushed = 0,
    zeros = 0;
  let lo = 0,
    hi = 0,
    key = 0;
  if (mode === 3) {
    hi = Math.floor(rng!.counter / TWO32);
    lo = rng!.counter - hi * TWO32;
    key = streamKey(rng!.seed, hi);
  }
  const seed = rng?.seed ?? 0;
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    const a = Math.abs(x);
    let e: number, sign: number;
    if (bits32 !== null) {
      const b = bits32[i]!;
      sign = (b >> 31) | 1;
      e = ((b >> 23) & 0xff) - 127;
      if (e === -127 && exactTiny && a !== 0) e = exponentOf(a) | 0;
    } else {
      sign = x < 0 || Object.is(x, -0) ? -1 : 1;
      e = a === 0 ? emin : exponentOf(a) | 0;
    }
    if (e < emin) e = emin;
    let r: number;
    const y = a * pow2(t - e);
    if (mode === 0)
      r = y + RNE_MAGIC - RNE_MAGIC; // y < 2^24
    else if (mode === 1) {
      const fl = Math.floor(y);
      r = fl + Math.floor(2 * (y - fl));
    } else if (mode === 2) r = Math.floor(y);
    else {
      const u = bitsAt(key, lo) * INV_TWO32;
      if (++lo === TWO32) {
        lo = 0;
        key = streamKey(seed, ++hi);
      }
      const fl = Math.floor(y);
      r = fl - Math.floor(u - (y - fl));
    }
    let v = r * pow2(e - t);
    if (v > max) v = finiteOverflow;
    else if (flush && v < minNormal) v = 0;
    if (a === Infinity) v = infiniteOverflow;
    else if (a > amax) amax = a;
    // NOTE: `!(v < halfMax)` also counts a NaN produced by overflow in a format without infinities.
    if (!(v < halfMax)) {
      if (Number.isNaN(x)) {
        nan++;
        v = NaN;
      } else {
        half++;
        if (!(v < max)) overflow++;
      }
    }
    // NOTE: v is a magnitude; it is 0 only from a finite input (±Infinity gives the overflow value, NaN NaN).
    if (v === 0) {
      if (a !== 0) flushed++;
      else zeros++;
    }
    out[i] = sign * v; // a negative value that rounds to zero keeps its sign: −0
  }
  stats.overflow = overflow;
  stats.overflowHalfRange = half;
  stats.nan = nan;
  stats.flushed = flushed;
  stats.zeros = zeros;
  stats.amax = amax;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** The float32 bit pattern of a value that float32 represents exactly. */
function bitsOf(v: number): number {
  f32[0] = v;
  return i32[0]!;
}

/**
 * The common case on integer bits: float32 in, float32 out, ties to even. A float32 whose magnitude is
 * a normal number of the target rounds by adding half an ulp (minus one, plus the kept last bit) to its
 * bit pattern and clearing the dropped bits; a carry moves into the exponent by itself. Zeros are copied, and a
 * saturating format clamps a finite overflow to its largest value; everything else (the target's subnormals,
 * overflow to infinity, ±Infinity, NaN) goes through `roundFloat`, the scalar definition. Bit-identical to
 * `quantizeFloat` (tested).
 */
export function quantizeFloat32Even(
  src: Float32Array,
  out: Float32Array,
  format: FloatFormat,
  stats: QuantizeStats,
): void {
  const inBits = new Int32Array(src.buffer, src.byteOffset, src.length);
  const outBits = new Int32Array(out.buffer, out.byteOffset, out.length);
  const shift = 23 - format.mantissa;
  // NOTE: with nothing to drop (binary32 itself) the pattern is kept as it is.
  const halfUlp = shift === 0 ? 0 : (1 << (shift - 1)) - 1,
    lastBit = shift === 0 ? 0 : 1;
  const keep = ~((1 << shift) - 1);
  const { emin } = floatExponentRange(format);
  const max = floatMax(format);
  // NOTE: the fast range is [max(target's smallest normal, float32's), 2^128): bit patterns compare like magnitudes.
  const low = bitsOf(pow2(Math.max(emin, -126))),
    span = 0x7f800000 - low;
  const maxBits = bitsOf(max),
    halfBits = bitsOf(max / 2),
    saturate = format.overflow === "saturate";
  let amaxBits = 0,
    overflow = 0,
    half = 0,
    nan = 0,
    flushed = 0,
    zeros = 0;
  for (let i = 0; i < src.length; i++) {
    const b = inBits[i]!;
    const u = b & 0x7fffffff;
    if ((u - low) >>> 0 < span) {
      if (u > amaxBits) amaxBits = u;
      const r = (u + halfUlp + ((u >>> shift) & lastBit)) & keep;
      if (r <= maxBits) {
        if (r >= halfBits) {
          half++;
          if (r === maxBits) overflow++;
        }
        outBits[i] = r | (b & 0x80000000);
        continue;
      }
      // NOTE: a finite value beyond the largest: a saturating format clamps it, as roundFloat would (MX blocks meet
      // this often, their maximum lands above the element's largest value).
      if (saturate) {
        half++;
        overflow++;
        outBits[i] = maxBits | (b & 0x80000000);
        continue;
      }
    }
    if (u === 0) {
      outBits[i] = b;
      zeros++;
      continue;
    }
    const x = src[i]!;
    if (Number.isNaN(x)) {
      nan++;
      out[i] = NaN;
      continue;
    }
    if (u < 0x7f800000 && u > amaxBits) amaxBits = u;
    const v = roundFloat(x, format, "nearest-even", 0),
      a = Math.abs(v);
    if (!(a < max / 2)) {
      half++;
      if (!(a < max)) overflow++;
    }
    // NOTE: a nonzero input reaches here (zeros were copied above), and a normal of the target never rounds to 0.
    if (a === 0) flushed++;
    out[i] = v;
  }
  i32[0] = amaxBits;
  stats.overflow = overflow;
  stats.overflowHalfRange = half;
  stats.nan = nan;
  stats.flushed = flushed;
  stats.zeros = zeros;
  stats.amax = f32[0]!;
}
