/**
 * tanh with basic operations only (+, −, ×, ÷, floor), the function GELU's kernels use on both backends (the native
 * one in native/src/attention.cc, the same steps): the platforms' own tanh (V8's, the C library's) may differ in the
 * last bit of a float64, and glibc's costs several times more. tanh(w) = ±(1 − E)/(1 + E) with E = e^(−2|w|);
 * e^(−z) = 2^(−k)·e^(−r) where z = k·ln 2 + r (Cody–Waite: ln 2 in two parts, k·LN2_HI exact), |r| ≤ ln 2 / 2, and
 * e^(−r) is its Taylor series to degree 13 by Horner's rule (truncation error below 1e-17).
 */
const LOG2E = Math.LOG2E,
  LN2_HI = 0.6931471803691238,
  LN2_LO = 1.9082149292705877e-10;

/** 2^0, 2^−1, ... by halving: exact down to the subnormals, then 0 (e^(−745) is below the smallest double). */
const NEG_POW2 = new Float64Array(1100);
NEG_POW2[0] = 1;
for (let k = 1; k < NEG_POW2.length; k++) NEG_POW2[k] = NEG_POW2[k - 1]! / 2;

/** e^(−z) for z ≥ 0 (0 for z ≥ 745 and for NaN). */
export function expNeg(z: number): number {
  if (!(z < 745)) return 0;
  const k = Math.floor(z * LOG2E + 0.5);
  const s = -(z - k * LN2_HI - k * LN2_LO);
  let p = 1.6059043836821613e-10;
  p = p * s + 2.08767569878681e-9;
  p = p * s + 2.505210838544172e-8;
  p = p * s + 2.755731922398589e-7;
  p = p * s + 2.7557319223985893e-6;
  p = p * s + 2.48015873015873e-5;
  p = p * s + 0.0001984126984126984;
  p = p * s + 0.001388888888888889;
  p = p * s + 0.008333333333333333;
  p = p * s + 0.041666666666666664;
  p = p * s + 0.16666666666666666;
  p = p * s + 0.5;
  p = p * s + 1;
  p = p * s + 1;
  return p * NEG_POW2[k]!;
}

/** tanh(w), within a few units of 1e-16 of the true value; NaN gives ±1 (GELU's callers keep NaN through u). */
export function tanhBasic(w: number): number {
  const e = expNeg(2 * Math.abs(w));
  const t = (1 - e) / (1 + e);
  return w < 0 ? -t : t;
}
