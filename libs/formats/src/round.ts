/**
 * The readable definition of rounding one value to a format: `roundScalar`. The array version
 * (`quantize.ts`) mirrors these steps and helper names and is tested against this one on every case.
 *
 * Every step is exact in float64: scaling by a power of two, floor, and the difference to the floor.
 * A float64 input is rounded once, straight to the target (never through float32 first).
 */
import { FLOAT32_MAX, floatExponentRange, floatMax, fractionBits } from "./formats.js";
import { exponentOf, pow2 } from "./pow2.js";
import type { FloatFormat, Format, RoundingMode } from "./types.js";

const TWO32 = 4294967296;

/**
 * Rounds y to an integer by `mode`. For `stochastic`, `draw` (uint32) decides: up when draw < frac·2^32.
 * @example roundToInteger(2.5, "nearest-even", 0) // returns 2
 * @example roundToInteger(-2.5, "nearest-away", 0) // returns -3
 * @example roundToInteger(-2.7, "toward-zero", 0) // returns -2
 */
export function roundToInteger(y: number, mode: RoundingMode, draw: number): number {
  switch (mode) {
    case "nearest-even":
      return rnite(y);
    case "nearest-away":
      return rnita(y);
    case "toward-zero":
      return Math.trunc(y);
    case "stochastic":
      return rsto(y, draw);
  }
}

/** Round to nearest integer, ties to even. */
export function rnite(y: number): number {
  const r = Math.round(y); // ties toward +∞
  // NOTE: Math.round sent an exact tie up; step back down when that landed on an odd integer.
  return r - y === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round to nearest integer, ties away from zero. */
export function rnita(y: number): number {
  return y < 0 ? -Math.round(-y) : Math.round(y);
}

/** Stochastic rounding: floor(y) + 1 with probability y − floor(y), decided by a uint32 draw. */
export function rsto(y: number, draw: number): number {
  const fl = Math.floor(y);
  return draw < (y - fl) * TWO32 ? fl + 1 : fl;
}

export interface RoundOptions {
  /** default "nearest-even" */
  rounding?: RoundingMode;
  /** a dynamic fixed point group's current integer bits */
  integerBits?: number;
  /** the uint32 random draw for stochastic rounding (see randomBits) */
  draw?: number;
}

/**
 * Rounds one value to a format.
 * @example roundScalar(1 / 3, binary16) // returns 0.333251953125
 * @example roundScalar(65520, binary16) // returns Infinity (overflow, as IEEE round-to-nearest)
 * @example roundScalar(-0, binary16) // returns -0
 * @example roundScalar(40, fixed({ bits: 20, integerBits: 5 })) // returns 31.99993896484375 (saturated)
 * @example roundScalar(NaN, fixed({ bits: 20, integerBits: 5 }))
 *   // returns NaN (fixed point has no NaN: quantize counts it)
 */
export function roundScalar(x: number, format: Format, options: RoundOptions = {}): number {
  const mode = options.rounding ?? "nearest-even";
  const draw = options.draw ?? 0;
  switch (format.kind) {
    case "identity":
      return Math.fround(x);
    case "fixed":
      return roundFixed(x, format.bits, format.bits - 1 - format.integerBits, mode, draw);
    case "dynamic-fixed":
      return roundFixed(x, format.bits, fractionBits(format.bits, options.integerBits, format.name), mode, draw);
    case "float":
      return roundFloat(x, format, mode, draw);
  }
}

/** Fixed point with f fractional bits: k = round(x·2^f), clamped to ±(2^(bits−1) − 1), times 2^−f. */
export function roundFixed(x: number, bits: number, f: number, mode: RoundingMode, draw: number): number {
  if (Number.isNaN(x)) return NaN;
  const kmax = pow2(bits - 1) - 1;
  let k = roundToInteger(x * pow2(f), mode, draw);
  if (k > kmax) k = kmax;
  else if (k < -kmax) k = -kmax;
  // NOTE: two's complement has a single zero; never return −0.
  return k === 0 ? 0 : k * pow2(-f);
}

/** Floating point: round the magnitude on the grid of its binade (subnormal binade below emin). */
export function roundFloat(x: number, f: FloatFormat, mode: RoundingMode, draw: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === 0) return x;
  const a = Math.abs(x);
  const max = floatMax(f);
  let v: number;
  if (a === Infinity) v = overflowValue(f, mode, false);
  else {
    const { emin } = floatExponentRange(f);
    const e = Math.max(exponentOf(a), emin);
    v = roundToInteger(a * pow2(f.mantissa - e), mode, draw) * pow2(e - f.mantissa);
    if (v > max) v = overflowValue(f, mode, true);
    else if (!f.subnormals && v < pow2(emin)) v = 0;
  }
  return x < 0 ? -v : v;
}

/** What a magnitude beyond the largest finite value becomes. */
export function overflowValue(f: FloatFormat, mode: RoundingMode, finiteInput: boolean): number {
  if (f.overflow === "saturate") return floatMax(f);
  // NOTE: IEEE 754 §7.4: round-toward-zero overflows to the largest finite number, not to infinity.
  if (mode === "toward-zero" && finiteInput) return floatMax(f);
  return f.specials === "ieee" ? Infinity : NaN;
}

/** The largest magnitude of a format: the threshold of the overflow statistics. */
export function formatMax(format: Format, integerBits?: number): number {
  switch (format.kind) {
    case "identity":
      return FLOAT32_MAX;
    case "float":
      return floatMax(format);
    case "fixed":
      return fixedMax(format.bits, format.bits - 1 - format.integerBits);
    case "dynamic-fixed":
      return fixedMax(format.bits, fractionBits(format.bits, integerBits, format.name));
  }
}

/** (2^(bits−1) − 1) · 2^−f. */
export function fixedMax(bits: number, f: number): number {
  return (pow2(bits - 1) - 1) * pow2(-f);
}
