// The flushed-to-zero count of `quantize`: nonzero finite inputs whose rounded value is zero, on hand-computed grids.
import { describe, expect, it } from "vitest";
import {
  binary16,
  dynamicFixed,
  float,
  identity,
  quantize,
  type FloatArray,
  type Format,
  type RoundingMode,
} from "../src/index.js";

const d8 = dynamicFixed({ bits: 8 });
const u = 2 ** -5; // dynamic fixed 8 bits with 2 integer bits: f = 8 − 1 − 2 = 5 fraction bits, step 2^-5

/** The flushed count of one quantize pass, with float32 and with float64 input (both must agree). */
function flushed(xs: readonly number[], format: Format, rounding: RoundingMode, integerBits?: number): number {
  const counts = [Float32Array.from(xs), Float64Array.from(xs)].map(
    (src: FloatArray) => quantize(src, format, { rounding, integerBits, rng: { seed: 7, counter: 0 } }).stats.flushed,
  );
  expect(counts[1]).toBe(counts[0]);
  return counts[0]!;
}

describe("flushed: nonzero finite inputs that round to zero", () => {
  // x / step: ±1/4 ±1/2 (a tie) ±3/4 1; and 0, −0, NaN, ±Infinity, which never count
  const xs = [u / 4, -u / 4, u / 2, -u / 2, (3 * u) / 4, (-3 * u) / 4, u, 0, -0, NaN, Infinity, -Infinity];
  it("dynamic fixed 8 bits, 2 integer bits (step 2^-5): ±2^-7 flush, the tie ±2^-6 as the mode says", () => {
    // nearest-even: ±1/4 → 0, ±1/2 → 0 (tie to the even 0), ±3/4 → ±1: 4 flushed
    expect(flushed(xs, d8, "nearest-even", 2)).toBe(4);
    // nearest-away: ±1/4 → 0, ±1/2 → ±1 (away from zero): 2 flushed
    expect(flushed(xs, d8, "nearest-away", 2)).toBe(2);
    // toward-zero: everything below one step → 0: ±1/4, ±1/2, ±3/4, 6 flushed
    expect(flushed(xs, d8, "toward-zero", 2)).toBe(6);
    // one integer bit more doubles the step (2^-4): ±1/8, ±1/4, ±3/8 of it → 0, and 2^-5, now half a step, ties to 0
    expect(flushed(xs, d8, "nearest-even", 3)).toBe(7);
  });
  it("counts a float32 subnormal input as flushed, and the values the grid keeps not at all", () => {
    expect(flushed([1e-40, -1e-40, 2 ** -40, u, 3.96875, 100], d8, "nearest-even", 2)).toBe(3);
    expect(flushed([u, -u, 0.5, -3, 3.96875, 100, -100], d8, "toward-zero", 2)).toBe(0);
  });
  it("stochastic: 2^-7 (a quarter step) flushes with probability 3/4, within 5 standard errors", () => {
    const n = 40_000,
      x = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? u / 4 : -u / 4));
    const p = flushed(x, d8, "stochastic", 2) / n;
    expect(Math.abs(p - 0.75)).toBeLessThan(5 * Math.sqrt((0.75 * 0.25) / n));
  });
  it("binary16: below half the smallest subnormal 2^-24 flushes; the tie 2^-25 as the mode says", () => {
    const s = 2 ** -24;
    const hs = [s / 4, -s / 4, s / 2, -s / 2, (3 * s) / 4, s, 0, -0, NaN];
    expect(flushed(hs, binary16, "nearest-even")).toBe(4); // ±s/4, ±s/2 (tie to the even 0)
    expect(flushed(hs, binary16, "nearest-away")).toBe(2); // ±s/4
    expect(flushed(hs, binary16, "toward-zero")).toBe(5); // ±s/4, ±s/2, 3s/4
  });
  it("a float format without subnormals flushes everything below its smallest normal", () => {
    const e5m10 = float({ exponent: 5, mantissa: 10, subnormals: false }); // smallest normal 2^-14
    expect(flushed([2 ** -15, -(2 ** -15), 2 ** -14 * 0.999, 2 ** -14, -(2 ** -14), 1], e5m10, "nearest-even")).toBe(3);
  });
  it("zeros counts the ±0 inputs of every format, apart from the flushed ones", () => {
    const xs = [0, -0, u / 4, 1e-40, 0, NaN, Infinity, 1];
    for (const format of [d8, binary16, float({ exponent: 5, mantissa: 10, subnormals: false }), identity])
      for (const src of [Float32Array.from(xs), Float64Array.from(xs)]) {
        const { stats } = quantize(src, format, { integerBits: 2 });
        expect(stats.zeros, format.name).toBe(3);
      }
  });
  it("identity: only a float64 input below half float32's smallest subnormal (2^-150) becomes zero", () => {
    const src = Float64Array.of(1e-50, -1e-50, 2 ** -151, 2 ** -149, 1e-40, 0, -0, NaN);
    expect(quantize(src, identity).stats.flushed).toBe(3);
    expect(quantize(Float32Array.of(1e-40, 2 ** -149, 0), identity).stats.flushed).toBe(0);
  });
});
