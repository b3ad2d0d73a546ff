import { describe, expect, it } from "vitest";
import { binary16, fixed, quantize, randomBits, roundScalar } from "../src/index.js";
import { TWINS } from "./twins.js";

const unit = fixed({ bits: 16, integerBits: 15 }); // integer grid: step 1

describe("stochastic rounding", () => {
  it("is unbiased: the mean error stays within 5 standard errors of 0", () => {
    const n = 200_000,
      d = 0.3;
    const x = new Float32Array(n).fill(10 + d);
    quantize(x, unit, { rounding: "stochastic", rng: { seed: 7, counter: 0 } });
    let sum = 0,
      others = 0;
    for (const v of x) {
      if (v !== 10 && v !== 11) others++;
      sum += v - (10 + d);
    }
    expect(others, "values other than the two neighbours").toBe(0);
    const se = Math.sqrt((d * (1 - d)) / n); // each error is Bernoulli(d) − d
    expect(Math.abs(sum / n)).toBeLessThan(5 * se);
  });
  it("rounds up with the probability equal to the distance to the lower neighbour", () => {
    const n = 100_000;
    for (const d of [0.1, 0.5, 0.875]) {
      const x = new Float64Array(n).fill(-3 + d); // lower neighbour −3, upper −2
      quantize(x, unit, { rounding: "stochastic", rng: { seed: 11, counter: 0 } });
      const up = x.reduce((c, v) => c + (v === -2 ? 1 : 0), 0) / n;
      expect(Math.abs(up - d)).toBeLessThan(5 * Math.sqrt((d * (1 - d)) / n));
    }
  });
  it("never moves a representable value, and moves binary16 values to one of their two neighbours", () => {
    const x = new Float32Array([1, -2, 0.5, 65504]);
    quantize(x, binary16, { rounding: "stochastic", rng: { seed: 3, counter: 0 } });
    expect(Array.from(x)).toEqual([1, -2, 0.5, 65504]);
    const y = new Float32Array(1000).fill(1 + 2 ** -12);
    quantize(y, binary16, { rounding: "stochastic", rng: { seed: 3, counter: 0 } });
    expect(new Set(y)).toEqual(new Set([1, 1 + 2 ** -10]));
  });
  it("gives the same bits for the same seed and counter, other bits for another seed, and advances the counter", () => {
    const run = (seed: number, counter: number) => {
      const x = new Float32Array(64).map((_, i) => i * 0.37 + 0.1);
      const rng = { seed, counter };
      quantize(x, unit, { rounding: "stochastic", rng });
      return { x: Array.from(x), counter: rng.counter };
    };
    expect(run(5, 0)).toEqual(run(5, 0));
    expect(run(5, 0).counter).toBe(64);
    expect(run(6, 0).x).not.toEqual(run(5, 0).x);
    expect(run(5, 64).x).not.toEqual(run(5, 0).x);
  });
  it("draws element i from position counter + i, across the 2^32 boundary too", () => {
    const start = 2 ** 32 - 3,
      x = new Float64Array(6).fill(0.5),
      rng = { seed: 9, counter: start };
    quantize(x, unit, { rounding: "stochastic", rng });
    const want = Array.from({ length: 6 }, (_, i) =>
      roundScalar(0.5, unit, { rounding: "stochastic", draw: randomBits(9, start + i) }),
    );
    expect(Array.from(x)).toEqual(want);
  });
  it("refuses to run without a random stream", () => {
    expect(() => quantize(new Float32Array(1), unit, { rounding: "stochastic" })).toThrow(/needs options.rng/);
  });
  it("uses well-mixed bits: each of the 32 bit positions is set about half the time", () => {
    const n = 20000,
      ones = new Array<number>(32).fill(0);
    for (let i = 0; i < n; i++) {
      const b = randomBits(1234, i);
      for (let k = 0; k < 32; k++) ones[k]! += (b >>> k) & 1;
    }
    for (const c of ones) expect(Math.abs(c / n - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
  });
});

describe.each(TWINS)("stochastic twins agree (%s)", (_, round) => {
  it("matches the other implementation draw for draw", () => {
    const xs = Array.from({ length: 500 }, (_, i) => Math.sin(i) * 40);
    const other = TWINS.find(([n]) => n !== _)![1];
    for (const f of [unit, fixed({ bits: 10, integerBits: 3 }), binary16])
      expect(round(xs, f, { rounding: "stochastic", seed: 42 })).toEqual(
        other(xs, f, { rounding: "stochastic", seed: 42 }),
      );
  });
});
