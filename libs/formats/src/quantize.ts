/**
 * `quantize`: round a whole array to a format in one pass, with the overflow statistics the dynamic
 * scaling policies need. It mirrors `roundScalar` (round.ts) step for step, specialised per format
 * kind so the inner loops hold no closures and allocate nothing. Tested equal to `roundScalar` on
 * every case, and the native kernels of `@lowprec/tensor` are tested equal to this.
 */
import { FLOAT32_MAX, checkFormat, floatExponentRange, floatMax, fractionBits } from "./formats.js";
import { bitsAt, streamKey } from "./random.js";
import { overflowValue, rnita, rnite } from "./round.js";
import { exponentOf, pow2 } from "./pow2.js";
import type { FloatArray, FloatFormat, Format, QuantizeOptions, QuantizeStats, RandomStream, RoundingMode } from "./types.js";

const TWO32 = 4294967296;

/** A zeroed statistics record. */
export function emptyStats(): QuantizeStats {
  return { count: 0, overflow: 0, overflowHalfRange: 0, nan: 0, amax: 0 };
}

/**
 * Rounds every element of `src` to `format`, in place or into `options.out`.
 * @returns the output array and the pass's statistics (see QuantizeStats)
 * @example
 * const x = new Float32Array([0.1, 40, -40, NaN]);
 * quantize(x, fixed({ bits: 20, integerBits: 5 })).stats // { count: 4, overflow: 2, overflowHalfRange: 2, nan: 1, amax: 40 }
 */
export function quantize(src: FloatArray, format: Format, options: QuantizeOptions = {}): { out: FloatArray; stats: QuantizeStats } {
  if (!(src instanceof Float32Array || src instanceof Float64Array))
    throw new TypeError(`quantize: src must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(src)}`);
  checkFormat(format);
  const out = options.out ?? src;
  if (!(out instanceof Float32Array || out instanceof Float64Array))
    throw new TypeError(`quantize: out must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(out)}`);
  if (out.length !== src.length) throw new RangeError(`quantize: out has length ${out.length}, src has length ${src.length}`);
  const mode = options.rounding ?? "nearest-even";
  const modeCode = MODE_CODES[mode];
  if (modeCode === undefined) throw new RangeError(`quantize: invalid rounding "${String(mode)}" (expected one of ${Object.keys(MODE_CODES).join(", ")})`);
  const rng = options.rng;
  if (mode === "stochastic") checkStream(rng);
  const stats = options.stats ?? emptyStats();
  stats.count = src.length; stats.overflow = 0; stats.overflowHalfRange = 0; stats.nan = 0; stats.amax = 0;
  switch (format.kind) {
    case "identity": quantizeIdentity(src, out, stats); break;
    case "fixed": quantizeFixed(src, out, format.bits, format.bits - 1 - format.integerBits, modeCode, rng, stats); break;
    case "dynamic-fixed": quantizeFixed(src, out, format.bits, fractionBits(format.bits, options.integerBits, `quantize to ${format.name}`), modeCode, rng, stats); break;
    case "float": quantizeFloat(src, out, format, mode, modeCode, rng, stats); break;
  }
  if (mode === "stochastic") rng!.counter += src.length;
  return { out, stats };
}

const MODE_CODES: Readonly<Record<string, number>> = { "nearest-even": 0, "nearest-away": 1, "toward-zero": 2, stochastic: 3 };

function checkStream(rng: RandomStream | undefined): void {
  if (!rng || typeof rng.seed !== "number" || !Number.isInteger(rng.seed))
    throw new RangeError(`quantize: stochastic rounding needs options.rng = { seed: integer, counter: integer ≥ 0 }, got ${JSON.stringify(rng)}`);
  if (!Number.isInteger(rng.counter) || rng.counter < 0 || rng.counter > Number.MAX_SAFE_INTEGER)
    throw new RangeError(`quantize: rng.counter must be an integer in [0, 2^53), got ${rng.counter}`);
}

function quantizeIdentity(src: FloatArray, out: FloatArray, stats: QuantizeStats): void {
  let amax = 0, overflow = 0, half = 0, nan = 0;
  const halfMax = FLOAT32_MAX / 2;
  for (let i = 0; i < src.length; i++) {
    const x = Math.fround(src[i]!);
    out[i] = x;
    if (x !== x) { nan++; continue; }
    const a = Math.abs(x);
    if (a >= halfMax) { half++; if (a >= FLOAT32_MAX) overflow++; }
    if (a > amax && a !== Infinity) amax = a;
  }
  stats.overflow = overflow; stats.overflowHalfRange = half; stats.nan = nan; stats.amax = amax;
}

/** Fixed point, f fractional bits: k = round(x·2^f) clamped to ±kmax; counts on |k|. */
function quantizeFixed(src: FloatArray, out: FloatArray, bits: number, f: number, mode: number, rng: RandomStream | undefined, stats: QuantizeStats): void {
  const s = pow2(f), inv = pow2(-f), kmax = pow2(bits - 1) - 1, khalf = kmax / 2;
  let amax = 0, overflow = 0, half = 0, nan = 0;
  let lo = 0, hi = 0, key = 0;
  if (mode === 3) { hi = Math.floor(rng!.counter / TWO32); lo = rng!.counter - hi * TWO32; key = streamKey(rng!.seed, hi); }
  const seed = rng?.seed ?? 0;
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    let draw = 0;
    if (mode === 3) {
      draw = bitsAt(key, lo);
      if (++lo === TWO32) { lo = 0; key = streamKey(seed, ++hi); }
    }
    if (x !== x) { out[i] = NaN; nan++; continue; }
    const a = x < 0 ? -x : x;
    if (a > amax && a !== Infinity) amax = a;
    const y = x * s;
    let k: number;
    if (mode === 0) { k = Math.round(y); if (k - y === 0.5 && k % 2 !== 0) k -= 1; }
    else if (mode === 1) k = y < 0 ? -Math.round(-y) : Math.round(y);
    else if (mode === 2) k = Math.trunc(y);
    else { const fl = Math.floor(y); k = draw < (y - fl) * TWO32 ? fl + 1 : fl; }
    if (k >= kmax) { k = kmax; overflow++; half++; }
    else if (k <= -kmax) { k = -kmax; overflow++; half++; }
    else if (k >= khalf || k <= -khalf) half++;
    out[i] = k === 0 ? 0 : k * inv;
  }
  stats.overflow = overflow; stats.overflowHalfRange = half; stats.nan = nan; stats.amax = amax;
}

/** Floating point: round each magnitude on the grid of its binade (2^(e−t) steps, e ≥ emin). */
function quantizeFloat(src: FloatArray, out: FloatArray, format: FloatFormat, modeName: RoundingMode, mode: number, rng: RandomStream | undefined, stats: QuantizeStats): void {
  const t = format.mantissa;
  const { emin } = floatExponentRange(format);
  const max = floatMax(format), halfMax = max / 2, minNormal = pow2(emin), flush = !format.subnormals;
  const finiteOverflow = overflowValue(format, modeName, true), infiniteOverflow = overflowValue(format, modeName, false);
  // NOTE: a Float32Array's exponent field gives floor(log2|x|) without log2 (all but float32 subnormals).
  const bits32 = src instanceof Float32Array ? new Uint32Array(src.buffer, src.byteOffset, src.length) : null;
  let amax = 0, overflow = 0, half = 0, nan = 0;
  let lo = 0, hi = 0, key = 0;
  if (mode === 3) { hi = Math.floor(rng!.counter / TWO32); lo = rng!.counter - hi * TWO32; key = streamKey(rng!.seed, hi); }
  const seed = rng?.seed ?? 0;
  for (let i = 0; i < src.length; i++) {
    const x = src[i]!;
    let draw = 0;
    if (mode === 3) {
      draw = bitsAt(key, lo);
      if (++lo === TWO32) { lo = 0; key = streamKey(seed, ++hi); }
    }
    if (x !== x) { out[i] = NaN; nan++; continue; }
    if (x === 0) { out[i] = x; continue; }
    const a = x < 0 ? -x : x;
    let v: number;
    if (a === Infinity) v = infiniteOverflow;
    else {
      if (a > amax) amax = a;
      const field = bits32 === null ? 0 : (bits32[i]! >>> 23) & 0xff;
      let e = field !== 0 ? field - 127 : exponentOf(a);
      if (e < emin) e = emin;
      const y = a * pow2(t - e);
      let r: number;
      if (mode === 0) r = rnite(y);
      else if (mode === 1) r = rnita(y);
      else if (mode === 2) r = Math.floor(y);
      else { const fl = Math.floor(y); r = draw < (y - fl) * TWO32 ? fl + 1 : fl; }
      v = r * pow2(e - t);
      if (v > max) v = finiteOverflow;
      else if (flush && v < minNormal) v = 0;
    }
    // NOTE: `!(v < halfMax)` also counts a NaN produced by overflow in a format without infinities.
    if (!(v < halfMax)) { half++; if (!(v < max)) overflow++; }
    out[i] = x < 0 ? -v : v;
  }
  stats.overflow = overflow; stats.overflowHalfRange = half; stats.nan = nan; stats.amax = amax;
}
