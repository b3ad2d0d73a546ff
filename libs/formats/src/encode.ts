/**
 * Bit encodings: `encode(value, format)` rounds a value and returns its code as an unsigned integer of
 * the format's width; `decode(code, format)` is its inverse. `describe(format)` gives the numbers that
 * characterise a format. Codes are plain numbers (up to 2^32 − 1), built with arithmetic, not 32-bit
 * bitwise operators, so binary32 codes stay unsigned.
 */
import { FLOAT32_MAX, checkFormat, floatExponentRange, floatMax, fractionBits, totalBits } from "./formats.js";
import { exponentOf, pow2 } from "./pow2.js";
import { roundScalar, type RoundOptions } from "./round.js";
import type { FloatFormat, Format } from "./types.js";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Rounds `value` to the format (nearest-even unless `options.rounding` says otherwise) and returns its code.
 * NaN encodes as the format's canonical quiet NaN; fixed point and `finite` floats have no NaN and throw a RangeError.
 * @example encode(1, binary16) // returns 0x3c00
 * @example encode(-0, binary16) // returns 0x8000
 * @example encode(65520, binary16) // returns 0x7c00 (+Infinity)
 * @example encode(-1.5, fixed({ bits: 4, integerBits: 1 })) // returns 0b1010 (k = −6 in two's complement)
 */
export function encode(value: number, format: Format, options: RoundOptions = {}): number {
  checkFormat(format);
  if (typeof value !== "number") throw new TypeError(`encode: value must be a number, got ${typeof value}`);
  switch (format.kind) {
    case "identity":
      f32[0] = value;
      return u32[0]!;
    case "float":
      return encodeFloat(roundScalar(value, format, options), format);
    case "fixed":
    case "dynamic-fixed": {
      const f =
        format.kind === "fixed"
          ? format.bits - 1 - format.integerBits
          : fractionBits(format.bits, options.integerBits, `encode to ${format.name}`);
      if (Number.isNaN(value)) throw new RangeError(`encode: NaN has no ${format.name} code (fixed point has no NaN)`);
      const k = roundScalar(value, format, options) * pow2(f);
      return k < 0 ? k + pow2(format.bits) : k;
    }
  }
}

function encodeFloat(v: number, f: FloatFormat): number {
  const t = f.mantissa,
    topField = 2 ** f.exponent - 1;
  const signBit = v < 0 || Object.is(v, -0) ? pow2(f.exponent + t) : 0;
  if (Number.isNaN(v)) {
    if (f.specials === "finite")
      throw new RangeError(`encode: NaN has no ${f.name} code (a "finite" format has no NaN)`);
    if (f.specials === "ieee" && t === 0) throw new RangeError(`encode: ${f.name} has no NaN code (no mantissa bits)`);
    return f.specials === "ieee" ? topField * pow2(t) + pow2(t - 1) : topField * pow2(t) + pow2(t) - 1;
  }
  const a = Math.abs(v);
  if (a === Infinity) return signBit + topField * pow2(t);
  if (a === 0) return signBit;
  const { emin } = floatExponentRange(f);
  const e = exponentOf(a);
  if (e < emin) return signBit + a * pow2(t - emin); // subnormal: exponent field 0
  return signBit + (e + f.bias) * pow2(t) + (a * pow2(-e) - 1) * pow2(t);
}

/**
 * The value of a code. Throws a RangeError for a code outside [0, 2^width) and, in symmetric fixed
 * point, for the one code (1 followed by zeros) that the format never produces.
 * @example decode(0x7bff, binary16) // returns 65504
 * @example decode(0x0001, binary16) // returns 2 ** -24
 * @example decode(0x7f, fp8e4m3) // returns NaN
 */
export function decode(code: number, format: Format, options: { integerBits?: number } = {}): number {
  checkFormat(format);
  const width = totalBits(format);
  if (!Number.isInteger(code) || code < 0 || code >= pow2(width))
    throw new RangeError(`decode: code ${code} is not an unsigned ${width}-bit integer (${format.name})`);
  switch (format.kind) {
    case "identity":
      u32[0] = code;
      return f32[0]!;
    case "float":
      return decodeFloat(code, format);
    case "fixed":
    case "dynamic-fixed": {
      const f =
        format.kind === "fixed"
          ? format.bits - 1 - format.integerBits
          : fractionBits(format.bits, options.integerBits, `decode from ${format.name}`);
      const signed = code >= pow2(format.bits - 1) ? code - pow2(format.bits) : code;
      if (signed === -pow2(format.bits - 1))
        throw new RangeError(
          `decode: code ${code} (−2^${format.bits - 1}) is outside the symmetric range of ${format.name}`,
        );
      return signed * pow2(-f);
    }
  }
}

function decodeFloat(code: number, f: FloatFormat): number {
  const t = f.mantissa,
    topField = 2 ** f.exponent - 1;
  const signed = code >= pow2(f.exponent + t);
  const body = signed ? code - pow2(f.exponent + t) : code;
  const field = Math.floor(body / pow2(t));
  const m = body - field * pow2(t);
  let a: number;
  if (field === topField && f.specials === "ieee") a = m === 0 ? Infinity : NaN;
  else if (field === topField && f.specials === "fn" && m === pow2(t) - 1)
    a = NaN; // fn: only all-ones is NaN (finite: none is)
  else if (field === 0) a = m * pow2(1 - f.bias - t);
  else a = (pow2(t) + m) * pow2(field - f.bias - t);
  return signed ? -a : a;
}

/** The numbers that characterise a format. */
export interface FormatDescription {
  readonly name: string;
  readonly kind: Format["kind"];
  /** width in bits, sign included */
  readonly totalBits: number;
  /** largest finite magnitude */
  readonly max: number;
  /** smallest positive normal magnitude (fixed point: the step) */
  readonly minNormal: number;
  /** smallest positive magnitude (fixed point: the step) */
  readonly minSubnormal: number;
  /** distance from 1 to the next larger value (fixed point: the step; NaN where 1 is out of range) */
  readonly ulpAtOne: number;
  /** one line for tables */
  readonly summary: string;
}

/**
 * Describes a format (a dynamic fixed point format needs the group's integerBits).
 * @example describe(binary16).max // returns 65504
 * @example describe(fixed({ bits: 20, integerBits: 5 })).ulpAtOne // returns 2 ** -14
 */
export function describe(format: Format, integerBits?: number): FormatDescription {
  checkFormat(format);
  const width = totalBits(format);
  switch (format.kind) {
    case "identity":
      return Object.freeze({
        name: format.name,
        kind: format.kind,
        totalBits: 32,
        max: FLOAT32_MAX,
        minNormal: pow2(-126),
        minSubnormal: pow2(-149),
        ulpAtOne: pow2(-23),
        summary: "float32 storage, no rounding (the paper's single-precision baseline)",
      });
    case "float": {
      const { emin, emax } = floatExponentRange(format);
      const max = floatMax(format);
      const minSub = format.subnormals ? pow2(emin - format.mantissa) : pow2(emin);
      const overflow =
        format.overflow === "saturate" ? "saturates" : format.specials === "ieee" ? "to ±Infinity" : "to NaN";
      return Object.freeze({
        name: format.name,
        kind: format.kind,
        totalBits: width,
        max,
        minNormal: pow2(emin),
        minSubnormal: minSub,
        ulpAtOne: 0 >= emin && 0 <= emax ? pow2(-format.mantissa) : NaN,
        summary:
          `${width}-bit float: 1 sign, ${format.exponent} exponent (bias ${format.bias}), ` +
          `${format.mantissa} mantissa bits; max ${max}, ` +
          `${format.subnormals ? "subnormals" : "no subnormals (flush to zero)"}, overflow ${overflow}` +
          (format.specials === "finite" ? ", no infinities or NaN" : ""),
      });
    }
    case "fixed":
    case "dynamic-fixed": {
      const ib = format.kind === "fixed" ? format.integerBits : integerBits;
      const f = fractionBits(format.bits, ib, `describe ${format.name}`);
      const step = pow2(-f),
        max = (pow2(format.bits - 1) - 1) * step;
      return Object.freeze({
        name: format.name,
        kind: format.kind,
        totalBits: width,
        max,
        minNormal: step,
        minSubnormal: step,
        ulpAtOne: 1 + step <= max ? step : NaN,
        summary:
          `${width}-bit ${format.kind === "fixed" ? "" : "dynamic "}fixed point: 1 sign, ${ib} integer` +
          `, ${f} fraction bits; step 2^${-f}, saturates at ±${max}`,
      });
    }
  }
}
