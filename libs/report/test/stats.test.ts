// Intervals over seeds, checked against values computed by hand and by scipy (independent of this code).
import { describe, expect, it } from "vitest";
import { formatSummary, inInterval, overlaps, summarize, tQuantile975 } from "../src/stats.js";

describe("tQuantile975", () => {
  it("matches scipy.stats.t.ppf(0.975, df) in the table and beyond it", () => {
    const scipy: [number, number][] = [
      [1, 12.706204736174694],
      [2, 4.302652729749462],
      [4, 2.7764451051977934],
      [10, 2.228138851986274],
      [30, 2.0422724563012378],
      [31, 2.039513446396408],
      [40, 2.021075390306273],
      [100, 1.9839715185235518],
      [1000, 1.9623390808264083],
    ];
    for (const [df, t] of scipy) expect(Math.abs(tQuantile975(df) - t)).toBeLessThan(2e-6);
  });
  it("refuses a degree of freedom that is not a positive integer", () => {
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(() => tQuantile975(bad)).toThrow(RangeError);
  });
});

describe("summarize", () => {
  it("three seeds with known errors: mean, sd and the 95 % interval computed by hand", () => {
    // errors 1.0, 1.2, 1.4: mean 1.2, sd = sqrt((0.04 + 0 + 0.04) / 2) = 0.2,
    // half width = 4.302652729749462 * 0.2 / sqrt(3) = 0.4968275...
    const s = summarize([1.0, 1.2, 1.4]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(1.2, 14);
    expect(s.sd).toBeCloseTo(0.2, 14);
    expect(s.halfWidth).toBeCloseTo((4.302652729749462 * 0.2) / Math.sqrt(3), 12);
    expect(s.lo).toBeCloseTo(1.2 - 0.49682756, 7);
    expect(s.hi).toBeCloseTo(1.2 + 0.49682756, 7);
    expect(formatSummary(s)).toBe("1.20 ± 0.20 [0.70, 1.70], n=3");
  });
  it("one run has a mean but no interval, and says so", () => {
    const s = summarize([1.24]);
    expect([s.n, s.mean]).toEqual([1, 1.24]);
    expect(Number.isNaN(s.sd) && Number.isNaN(s.lo) && Number.isNaN(s.hi)).toBe(true);
    expect(formatSummary(s)).toBe("1.24, n=1 (no interval)");
    expect(inInterval(s, 1.24)).toBe(false);
  });
  it("refuses a NaN error (a failed run is not a number to average)", () => {
    expect(() => summarize([1, Number.NaN])).toThrow(/NaN is not a finite value/);
  });
  it("intervals overlap or not, and a value lies in one or not", () => {
    const a = summarize([1.0, 1.2, 1.4]); // [0.70, 1.70]
    const b = summarize([2.0, 2.1, 2.2]); // 2.1 ± 0.248
    const c = summarize([1.6, 1.7, 1.8]);
    expect(overlaps(a, b)).toBe(false);
    expect(overlaps(a, c)).toBe(true);
    expect(inInterval(a, 1.05)).toBe(true);
    expect(inInterval(a, 1.71)).toBe(false);
  });
});
