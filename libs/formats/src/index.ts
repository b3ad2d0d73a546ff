/**
 * @lowprec/formats: what a number becomes once rounded to a low-precision format.
 * Formats (reduced float, fixed point, dynamic fixed point) are plain values; `roundScalar` is the
 * readable definition, `quantize` its fast array twin with overflow statistics; `encode`/`decode` give
 * bit codes; scaling policies move a dynamic fixed point group's integer bits.
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
export { encode, decode, describe, type FormatDescription } from "./encode.js";
export { representableValues, ENUMERABLE_BITS, type ValueRange } from "./values.js";
export { overflowRate, fixedScale, delayedAmax, createScale } from "./scaling.js";
export { randomBits, uniformAt, lowbias32 } from "./random.js";
export { pow2, exponentOf } from "./pow2.js";
