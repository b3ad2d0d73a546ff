/**
 * LeCun local contrast normalisation, Pylearn2's `lecun_lcn` as used by `LeCunLCN((32, 32))` (METHOD.md §5.5):
 * per channel image x, v = x − G∗x, s = sqrt(G∗x²), m = mean(s over the map), y = v / max(m, s, threshold).
 * G is a kernelSize² Gaussian (σ = 2) normalised to sum 1, applied as a 'same' convolution with zero padding
 * (no renormalisation at the borders). G is separable, so it is applied as two 1-D passes.
 */

export type LcnChannels = "red-only" | "all";

export interface LcnOptions {
  /** odd kernel width; Pylearn2 default 7 */
  readonly kernelSize?: number;
  /** Gaussian σ in pixels; Pylearn2 uses 2 */
  readonly sigma?: number;
  /** lower bound of the divisor; Pylearn2 default 1e-4 */
  readonly threshold?: number;
  /**
   * "red-only" (default) reproduces Pylearn2's bug (`return x` inside the channel loop): only channel 0 is
   * normalised, the others pass through. "all" normalises every channel, the intended behaviour.
   */
  readonly channels?: LcnChannels;
}

export const LCN_DEFAULTS = { kernelSize: 7, sigma: 2, threshold: 1e-4, channels: "red-only" } as const;

/** The 1-D factor g of the normalised 2-D Gaussian: G[i][j] = g[i]·g[j], Σg = 1. */
export function gaussianKernel1d(kernelSize: number, sigma: number): Float64Array {
  if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 === 0)
    throw new RangeError(`lcn: kernelSize must be an odd positive integer, got ${kernelSize}`);
  const g = new Float64Array(kernelSize);
  const mid = (kernelSize - 1) / 2;
  let sum = 0;
  for (let i = 0; i < kernelSize; i++) {
    g[i] = Math.exp(-((i - mid) ** 2) / (2 * sigma * sigma));
    sum += g[i]!;
  }
  for (let i = 0; i < kernelSize; i++) g[i]! /= sum;
  return g;
}

/**
 * Applies LCN in place to `count` images of shape [channels, height, width] (NCHW).
 * Returns `x` for chaining.
 */
export function lecunLcn(
  x: Float32Array,
  count: number,
  shape: readonly [number, number, number],
  options: LcnOptions = {},
): Float32Array {
  const { kernelSize, sigma, threshold, channels } = { ...LCN_DEFAULTS, ...options };
  const [c, h, w] = shape;
  if (x.length !== count * c * h * w)
    throw new RangeError(`lecunLcn: x has ${x.length} values, expected ${count}·${c}·${h}·${w}`);
  if (channels !== "red-only" && channels !== "all")
    throw new RangeError(`lecunLcn: channels must be "red-only" or "all", got "${String(channels)}"`);
  const g = gaussianKernel1d(kernelSize, sigma);
  const plane = h * w;
  const sq = new Float64Array(plane);
  const blur = new Float64Array(plane);
  const blurSq = new Float64Array(plane);
  const tmp = new Float64Array(plane);
  const src = new Float64Array(plane);
  const nc = channels === "all" ? c : 1;
  for (let n = 0; n < count; n++) {
    for (let ch = 0; ch < nc; ch++) {
      const o = (n * c + ch) * plane;
      for (let i = 0; i < plane; i++) {
        const v = x[o + i]!;
        src[i] = v;
        sq[i] = v * v;
      }
      blurSame(src, blur, tmp, g, h, w);
      blurSame(sq, blurSq, tmp, g, h, w);
      let mean = 0;
      for (let i = 0; i < plane; i++) {
        const s = Math.sqrt(blurSq[i]!);
        blurSq[i] = s;
        mean += s;
      }
      mean /= plane;
      for (let i = 0; i < plane; i++) {
        let d = blurSq[i]! > mean ? blurSq[i]! : mean;
        if (d < threshold) d = threshold;
        x[o + i] = (src[i]! - blur[i]!) / d;
      }
    }
  }
  return x;
}

/** out = G ∗ src ('same', zero padding), separable: rows then columns. */
function blurSame(
  src: Float64Array,
  out: Float64Array,
  tmp: Float64Array,
  g: Float64Array,
  h: number,
  w: number,
): void {
  const k = g.length;
  const mid = (k - 1) >> 1;
  for (let r = 0; r < h; r++) {
    const o = r * w;
    for (let col = 0; col < w; col++) {
      let s = 0;
      for (let t = 0; t < k; t++) {
        const cc = col + t - mid;
        if (cc >= 0 && cc < w) s += g[t]! * src[o + cc]!;
      }
      tmp[o + col] = s;
    }
  }
  for (let r = 0; r < h; r++) {
    for (let col = 0; col < w; col++) {
      let s = 0;
      for (let t = 0; t < k; t++) {
        const rr = r + t - mid;
        if (rr >= 0 && rr < h) s += g[t]! * tmp[rr * w + col]!;
      }
      out[r * w + col] = s;
    }
  }
}
