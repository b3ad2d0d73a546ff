/**
 * The representable values of a format, enumerated code by code with `decode`: what a number line of the format
 * shows (METHOD.md's overview draws three formats this way).
 */
import { decode } from "./encode.js";
import { checkFormat, totalBits } from "./formats.js";
import { pow2 } from "./pow2.js";
import type { Format } from "./types.js";

/** Widest format whose codes `representableValues` enumerates (2^16 = 65,536 codes: binary16 still fits). */
export const ENUMERABLE_BITS = 16;

export interface ValueRange {
  /** dynamic fixed point: the group's integer bits (required there, refused elsewhere) */
  readonly integerBits?: number;
  /** smallest value kept (default −Infinity) */
  readonly min?: number;
  /** largest value kept (default +Infinity) */
  readonly max?: number;
}

/**
 * Every finite value of `format` in [min, max], ascending, each once (−0 and +0 are one value, 0). Fixed point
 * skips the one code it never produces (−2^(bits−1)); floats skip their NaN and infinity codes. Formats wider than
 * ENUMERABLE_BITS (binary32, float32's identity) are refused with a RangeError naming the width.
 * @example representableValues(fixed({ bits: 4, integerBits: 1 }), { min: 0 }) // [0, 0.25, 0.5, …, 1.75]
 * @example representableValues(dynamicFixed({ bits: 4 }), { integerBits: 3 }) // [-7, -6, …, 6, 7]
 */
export function representableValues(format: Format, range: ValueRange = {}): number[] {
  checkFormat(format);
  const { integerBits, min = -Infinity, max = Infinity } = range;
  if (Number.isNaN(min) || Number.isNaN(max) || min > max)
    throw new RangeError(`representableValues: min ${min} and max ${max} are not an interval`);
  if (integerBits !== undefined && format.kind !== "dynamic-fixed")
    throw new RangeError(
      `representableValues: integerBits ${integerBits} is for dynamic fixed point only` +
        ` (${format.name} is ${format.kind})`,
    );
  const width = totalBits(format);
  if (width > ENUMERABLE_BITS)
    throw new RangeError(
      `representableValues: ${format.name} has ${width}-bit codes, more than the ${ENUMERABLE_BITS} enumerated`,
    );
  const options = integerBits === undefined ? {} : { integerBits };
  const never = format.kind === "fixed" || format.kind === "dynamic-fixed" ? pow2(width - 1) : -1;
  const values = new Set<number>();
  for (let code = 0; code < pow2(width); code++) {
    if (code === never) continue;
    const v = decode(code, format, options);
    if (Number.isFinite(v) && v >= min && v <= max) values.add(v === 0 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}
