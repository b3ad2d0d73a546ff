/**
 * @lowprec/formats: what a number becomes once rounded to a low-precision format.
 * Formats (reduced float, fixed point, dynamic fixed point) are plain values; `roundScalar` is the
 * readable definition, `quantize` its fast array twin with overflow statistics; `encode`/`decode` give
 * bit codes; scaling policies move a dynamic fixed point group's integer bits. OCP Microscaling (MX) block
 * formats stand beside them: `mx()`, `quantizeMx` and the definitions it is held to (mx.ts).
 */
export type * from "./types.js";
export { ROUNDING_MODES } from "./types.js";
export {
  float,
  fixed,
  dynamicFixed,
  identity,
  binary32,
  binary16,
  bfloat16,
  fp8e4m3,
  fp8e5m2,
  PRESETS,
  totalBits,
  floatMax,
  floatExponentRange,
  checkFormat,
  INTEGER_BITS_LIMIT,
  type FloatOptions,
} from "./formats.js";
export { roundScalar, roundToInteger, formatMax, type RoundOptions } from "./round.js";
export { quantize, emptyStats } from "./quantize.js";
export {
  mx,
  MX_ELEMENTS,
  MX_PRESETS,
  MX_BLOCK_LIMIT,
  E8M0_BIAS,
  E8M0_NAN,
  E8M0_EMIN,
  E8M0_EMAX,
  encodeE8M0,
  decodeE8M0,
  e8m0Exponent,
  mxElementEmax,
  mxScaleExponent,
  mxScaleCode,
  roundMx,
  encodeMx,
  decodeMx,
  decodeMxElement,
  describeMx,
  checkMx,
  type MxDescription,
} from "./mx.js";
export { quantizeMx, emptyMxStats } from "./quantize-mx.js";
export { encode, decode, describe, type FormatDescription } from "./encode.js";
export { representableValues, ENUMERABLE_BITS, type ValueRange } from "./values.js";
export { overflowRate, fixedScale, delayedAmax, currentAmax, predictive, createScale } from "./scaling.js";
export { randomBits, uniformAt, lowbias32 } from "./random.js";
export { pow2, exponentOf } from "./pow2.js";
