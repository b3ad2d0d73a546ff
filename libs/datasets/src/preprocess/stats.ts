/**
 * What a preprocessing step did to a set of images, in a few numbers (the notebooks print them beside the
 * before/after pictures): per-image mean, standard deviation and L2 norm, the correlation of neighbouring pixels
 * and of the channels at one pixel, and each channel's spread. Float64 sums.
 */

export interface ImageStatistics {
  readonly count: number;
  /** the mean over images of each image's mean over all its values */
  readonly meanOfMeans: number;
  /** the largest |mean| of one image */
  readonly largestAbsMean: number;
  /** the mean over images of each image's standard deviation (over all its values, population) */
  readonly meanStd: number;
  /** the mean, smallest and largest L2 norm of one image */
  readonly meanNorm: number;
  readonly smallestNorm: number;
  readonly largestNorm: number;
  /**
   * Pearson correlation of horizontally adjacent values (same channel, same row), the pairs of every image and
   * channel pooled, each image's channel mean removed first: near 1 for smooth images, near 0 for whitened ones
   */
  readonly neighbourCorrelation: number;
  /** Pearson correlation of two channels' values at the same pixel, averaged over the channel pairs (NaN: 1 channel) */
  readonly channelCorrelation: number;
  /** per channel: the mean over images of the channel's standard deviation within the image */
  readonly channelStd: readonly number[];
}

/** Pearson correlation from pooled sums; NaN when either side has no spread. */
function pearson(n: number, sa: number, sb: number, saa: number, sbb: number, sab: number): number {
  const cov = sab - (sa * sb) / n;
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  return va > 0 && vb > 0 ? cov / Math.sqrt(va * vb) : Number.NaN;
}

/** The statistics of `count` images of `shape` = [channels, height, width] (CHW), stored one after the other. */
export function imageStatistics(
  images: Float32Array,
  count: number,
  shape: readonly [number, number, number],
): ImageStatistics {
  const [c, h, w] = shape;
  const size = c * h * w;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`imageStatistics: count must be ≥ 1, got ${count}`);
  if (images.length !== count * size)
    throw new RangeError(
      `imageStatistics: ${count} images of ${c}×${h}×${w} are ${count * size} values, got ${images.length}`,
    );
  let meanSum = 0,
    stdSum = 0,
    normSum = 0,
    largestAbsMean = 0,
    smallestNorm = Number.POSITIVE_INFINITY,
    largestNorm = 0;
  const channelStd = new Array<number>(c).fill(0);
  const nb = { n: 0, a: 0, b: 0, aa: 0, bb: 0, ab: 0 };
  const pairs = (c * (c - 1)) / 2;
  let channelCorrelation = 0;
  const chMean = new Float64Array(c);
  const pair = new Float64Array(6 * Math.max(pairs, 1));
  for (let k = 0; k < count; k++) {
    const o = k * size;
    let s = 0,
      ss = 0;
    for (let i = 0; i < size; i++) {
      const v = images[o + i]!;
      s += v;
      ss += v * v;
    }
    const mean = s / size;
    meanSum += mean;
    largestAbsMean = Math.max(largestAbsMean, Math.abs(mean));
    stdSum += Math.sqrt(Math.max(ss / size - mean * mean, 0));
    const norm = Math.sqrt(ss);
    normSum += norm;
    smallestNorm = Math.min(smallestNorm, norm);
    largestNorm = Math.max(largestNorm, norm);
    for (let ch = 0; ch < c; ch++) {
      const co = o + ch * h * w;
      let cs = 0,
        css = 0;
      for (let p = 0; p < h * w; p++) {
        cs += images[co + p]!;
        css += images[co + p]! ** 2;
      }
      chMean[ch] = cs / (h * w);
      channelStd[ch]! += Math.sqrt(Math.max(css / (h * w) - chMean[ch]! ** 2, 0));
      for (let r = 0; r < h; r++)
        for (let x = 0; x + 1 < w; x++) {
          const a = images[co + r * w + x]! - chMean[ch]!;
          const b = images[co + r * w + x + 1]! - chMean[ch]!;
          nb.n++;
          nb.a += a;
          nb.b += b;
          nb.aa += a * a;
          nb.bb += b * b;
          nb.ab += a * b;
        }
    }
    // channel pairs: pooled over the images' pixels, each image's channel means removed
    let q = 0;
    for (let i = 0; i < c; i++)
      for (let j = i + 1; j < c; j++, q++)
        for (let p = 0; p < h * w; p++) {
          const a = images[o + i * h * w + p]! - chMean[i]!;
          const b = images[o + j * h * w + p]! - chMean[j]!;
          pair[6 * q]! += 1;
          pair[6 * q + 1]! += a;
          pair[6 * q + 2]! += b;
          pair[6 * q + 3]! += a * a;
          pair[6 * q + 4]! += b * b;
          pair[6 * q + 5]! += a * b;
        }
  }
  for (let q = 0; q < pairs; q++)
    channelCorrelation +=
      pearson(pair[6 * q]!, pair[6 * q + 1]!, pair[6 * q + 2]!, pair[6 * q + 3]!, pair[6 * q + 4]!, pair[6 * q + 5]!) /
      pairs;
  return {
    count,
    meanOfMeans: meanSum / count,
    largestAbsMean,
    meanStd: stdSum / count,
    meanNorm: normSum / count,
    smallestNorm,
    largestNorm,
    neighbourCorrelation: nb.n > 0 ? pearson(nb.n, nb.a, nb.b, nb.aa, nb.bb, nb.ab) : Number.NaN,
    channelCorrelation: pairs > 0 ? channelCorrelation : Number.NaN,
    channelStd: channelStd.map((v) => v / count),
  };
}
