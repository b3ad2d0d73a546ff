/**
 * Global contrast normalisation, Pylearn2's `global_contrast_normalize` (METHOD.md §5.3), per example over all
 * features:
 * x ← x − mean(x); d = sqrt(sqrtBias + Σx²)/scale (useStd: sqrt(sqrtBias + var(x, ddof=1))/scale);
 * d < minDivisor ⇒ d = 1; x ← x/d. In place.
 */

export interface GcnOptions {
  /** target L2 norm (or std with useStd); Pylearn2 default 1; CIFAR-10 loader uses 55 */
  readonly scale?: number;
  /** added under the square root; default 0 */
  readonly sqrtBias?: number;
  /** divide by the standard deviation (ddof 1) instead of the L2 norm; default false */
  readonly useStd?: boolean;
  /** divisors below this are replaced by 1; default 1e-8 */
  readonly minDivisor?: number;
}

export const GCN_DEFAULTS = { scale: 1, sqrtBias: 0, useStd: false, minDivisor: 1e-8 } as const;

/** Normalises `count` examples of `featureCount` values each, in place (float64 sums). */
export function gcn(x: Float32Array, count: number, featureCount: number, options: GcnOptions = {}): Float32Array {
  const { scale, sqrtBias, useStd, minDivisor } = { ...GCN_DEFAULTS, ...options };
  if (x.length !== count * featureCount)
    throw new RangeError(`gcn: x has ${x.length} values, expected count·featureCount = ${count}·${featureCount}`);
  if (useStd && featureCount < 2) throw new RangeError("gcn: useStd needs at least 2 features (ddof 1)");
  for (let r = 0; r < count; r++) {
    const o = r * featureCount;
    let sum = 0;
    for (let i = 0; i < featureCount; i++) sum += x[o + i]!;
    const mean = sum / featureCount;
    let ss = 0;
    for (let i = 0; i < featureCount; i++) {
      const v = x[o + i]! - mean;
      ss += v * v;
    }
    let d = Math.sqrt(sqrtBias + (useStd ? ss / (featureCount - 1) : ss)) / scale;
    if (d < minDivisor) d = 1;
    for (let i = 0; i < featureCount; i++) x[o + i] = (x[o + i]! - mean) / d;
  }
  return x;
}
