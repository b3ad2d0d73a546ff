/**
 * Exact powers of two and exact binary exponents, the two primitives every rounding step uses.
 * Multiplying by a power of two is exact in float64 (no overflow or underflow occurs in the ranges used
 * here), so scaling a value onto a format's integer grid and back never rounds.
 */

const OFFSET = 1100;
// NOTE: a table beats Math.pow in the hot loops, and Math.pow(2, n) is exact for integer n anyway.
const TABLE = new Float64Array(2 * OFFSET + 1);
for (let n = -OFFSET; n <= OFFSET; n++) TABLE[n + OFFSET] = 2 ** n;

/** 2^n for an integer n in [−1100, 1100] (0 and Infinity beyond float64's range, as Math.pow). */
export function pow2(n: number): number {
  return TABLE[(n + OFFSET) | 0]!;
}

/**
 * floor(log2(a)) for a finite a > 0, exactly (Math.log2 alone can be off by one next to powers of two).
 * @example exponentOf(1) // returns 0
 * @example exponentOf(0.75) // returns -1
 * @example exponentOf(2 ** -1074) // returns -1074
 */
export function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a)) | 0;
  if (e < -1074) e = -1074;
  // NOTE: correct the estimate with exact comparisons against powers of two.
  if (TABLE[e + OFFSET]! > a) e--;
  else if (TABLE[e + 1 + OFFSET]! <= a) e++;
  return e | 0;
}
