import { describe, expect, it } from "vitest";
import { gcn, imageStatistics } from "../src/index.js";

describe("imageStatistics", () => {
  it("hand-computed: a ramp (neighbours correlated 1) and an alternation (−1), means, spreads and norms", () => {
    // two 1×1×4 images: 0 1 2 3 (mean 1.5, population sd √1.25, norm √14) and 1 −1 1 −1 (mean 0, sd 1, norm 2)
    const s = imageStatistics(Float32Array.from([0, 1, 2, 3, 1, -1, 1, -1]), 2, [1, 1, 4]);
    expect(s.count).toBe(2);
    expect(s.meanOfMeans).toBeCloseTo(0.75, 12);
    expect(s.largestAbsMean).toBeCloseTo(1.5, 12);
    expect(s.meanStd).toBeCloseTo((Math.sqrt(1.25) + 1) / 2, 12);
    expect(s.meanNorm).toBeCloseTo((Math.sqrt(14) + 2) / 2, 12);
    expect([s.smallestNorm, s.largestNorm]).toEqual([2, Math.sqrt(14)]);
    expect(s.channelStd[0]).toBeCloseTo((Math.sqrt(1.25) + 1) / 2, 12);
    expect(Number.isNaN(s.channelCorrelation)).toBe(true); // one channel: no pair
    // the pairs pooled: ramp (−1.5, −0.5), (−0.5, 0.5), (0.5, 1.5); alternation (1, −1), (−1, 1), (1, −1)
    const a = [-1.5, -0.5, 0.5, 1, -1, 1];
    const b = [-0.5, 0.5, 1.5, -1, 1, -1];
    const m = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;
    const [ma, mb] = [m(a), m(b)];
    const cov = a.reduce((p, x, i) => p + (x - ma) * (b[i]! - mb), 0);
    const va = a.reduce((p, x) => p + (x - ma) ** 2, 0);
    const vb = b.reduce((p, x) => p + (x - mb) ** 2, 0);
    expect(s.neighbourCorrelation).toBeCloseTo(cov / Math.sqrt(va * vb), 12);
    expect(imageStatistics(Float32Array.from([0, 1, 2, 3]), 1, [1, 1, 4]).neighbourCorrelation).toBeCloseTo(1, 12);
    expect(imageStatistics(Float32Array.from([1, -1, 1, -1]), 1, [1, 1, 4]).neighbourCorrelation).toBeCloseTo(-1, 12);
  });

  it("channels: green = red, blue = −red → pair correlations 1, −1, −1, mean −1/3; per-channel spread", () => {
    const red = [0, 1, 2, 4];
    const image = Float32Array.from([...red, ...red, ...red.map((v) => -2 * v)]);
    const s = imageStatistics(image, 1, [3, 2, 2]);
    expect(s.channelCorrelation).toBeCloseTo(-1 / 3, 12);
    const sd = Math.sqrt(red.reduce((p, v) => p + (v - 1.75) ** 2, 0) / 4);
    expect(s.channelStd.map((v) => Number(v.toFixed(12)))).toEqual([sd, sd, 2 * sd].map((v) => Number(v.toFixed(12))));
  });

  it("after GCN (scale 55) every image has mean 0 and L2 norm 55", () => {
    const x = Float32Array.from({ length: 5 * 3 * 8 * 8 }, (_, i) => Math.sin(i * 0.37) * 100 + (i % 7));
    const before = imageStatistics(x, 5, [3, 8, 8]);
    expect(before.largestAbsMean).toBeGreaterThan(1);
    gcn(x, 5, 3 * 8 * 8, { scale: 55 });
    const after = imageStatistics(x, 5, [3, 8, 8]);
    expect(after.largestAbsMean).toBeLessThan(1e-5);
    expect(after.smallestNorm).toBeCloseTo(55, 3);
    expect(after.largestNorm).toBeCloseTo(55, 3);
    expect(after.meanStd).toBeCloseTo(55 / Math.sqrt(3 * 8 * 8), 4);
  });

  it("rejects a wrong length or count with one line naming both", () => {
    expect(() => imageStatistics(new Float32Array(10), 2, [1, 2, 2])).toThrow(
      "imageStatistics: 2 images of 1×2×2 are 8 values, got 10",
    );
    expect(() => imageStatistics(new Float32Array(0), 0, [1, 2, 2])).toThrow("count must be ≥ 1, got 0");
  });
});
