import { describe, expect, it } from "vitest";
import {
  createScale,
  currentAmax,
  delayedAmax,
  dynamicFixed,
  fixed,
  fixedScale,
  overflowRate,
  predictive,
  quantize,
  type QuantizeStats,
} from "../src/index.js";

const d10 = dynamicFixed({ bits: 10 });
const pass = (count: number, overflow: number, overflowHalfRange: number, amax = 1): QuantizeStats => ({
  count,
  overflow,
  overflowHalfRange,
  nan: 0,
  flushed: 0,
  zeros: 0,
  amax,
});

describe("the paper's overflow-rate rule", () => {
  const policy = overflowRate({ maxRate: 0.01, everyExamples: 300, initialIntegerBits: 5 });

  it("waits for a full window, then moves one bit by the averaged rates", () => {
    const s = createScale(policy, d10);
    const steps: [QuantizeStats, number][] = [
      // window 1: rates 0.02, 0.02, 0.02 > 0.01 → one bit up
      [pass(1000, 20, 40), 6], // (checked after the 3rd batch of the window)
      // window 2: rate 0.005 ≤ 0.01 and half-range rate 0.008 ≤ 0.01 → one bit down
      [pass(1000, 5, 8), 5],
      // window 3: rate 0.005 but half-range rate 0.02 > 0.01 → keep
      [pass(1000, 5, 20), 5],
      // window 4: rate exactly 0.01 is not above the limit; half-range 0.01 is within it → down
      [pass(1000, 10, 10), 4],
    ];
    for (const [stats, want] of steps) {
      const before = s.integerBits;
      for (let batch = 0; batch < 3; batch++) {
        s.observe(stats);
        const changed = s.advance(100);
        if (batch < 2) expect(s.integerBits, "no change inside a window").toBe(before);
        else expect(changed).toBe(want !== before);
      }
      expect(s.integerBits).toBe(want);
    }
  });

  it("averages the per-pass rates over the window, not the last pass", () => {
    const s = createScale(policy, d10);
    s.observe(pass(100, 3, 3));
    s.advance(100); // 0.03
    s.observe(pass(100, 0, 0));
    s.advance(100); // 0
    s.observe(pass(100, 0, 0));
    s.advance(100); // 0 → mean 0.01: not above → half-range mean 0.01 ≤ 0.01 → down
    expect(s.integerBits).toBe(4);
    const t = createScale(policy, d10);
    t.observe(pass(100, 4, 4));
    t.advance(100);
    t.observe(pass(100, 0, 0));
    t.advance(100);
    t.observe(pass(100, 0, 0));
    t.advance(100); // mean 0.0133 > 0.01 → up
    expect(t.integerBits).toBe(6);
  });

  it("closeWindow: the caller's window, divided by the caller's count (the authors' carried-over sums)", () => {
    // Two passes at rate 0.015 each (half-range 0.015). Averaged over the 2 passes: 0.015 > 0.01 → up.
    const mean = createScale(policy, d10);
    mean.observe(pass(1000, 15, 15));
    mean.observe(pass(1000, 15, 15));
    expect(mean.closeWindow()).toBe(true);
    expect(mean.integerBits).toBe(6);
    // The same sums divided by 4 batches (two of them carried from the previous epoch, as the authors' counter
    // restarts every epoch): 0.03 / 4 = 0.0075 ≤ 0.01 and the half-range rate 0.0075 ≤ 0.01 → down.
    const carried = createScale(policy, d10);
    carried.observe(pass(1000, 15, 15));
    carried.observe(pass(1000, 15, 15));
    expect(carried.closeWindow(4)).toBe(true);
    expect(carried.integerBits).toBe(4);
    // The sums are reset: an empty window keeps the bits.
    expect(carried.closeWindow(4)).toBe(false);
    expect(carried.integerBits).toBe(4);
    // Never before: advance() with a window of 300 examples does not fire after 200, closeWindow() does.
    const early = createScale(policy, d10);
    early.observe(pass(1000, 20, 40));
    expect(early.advance(200)).toBe(false);
    expect(early.closeWindow()).toBe(true);
    expect(early.integerBits).toBe(6);
    expect(() => early.closeWindow(0)).toThrow(/divisor 0/);
    expect(() => createScale(delayedAmax(), d10).closeWindow()).toThrow(/delayed-amax policy has no overflow-rate/);
  });

  it("drives a real tensor's scale to the smallest range with fewer than maxRate overflows", () => {
    // 1,000 values: 999 in (−1, 1) and one at 3; maxRate 1e-2 tolerates the outlier, so the range settles at
    // 1 integer bit
    const x = Float32Array.from({ length: 1000 }, (_, i) => (i === 0 ? 3 : Math.sin(i) * 0.999));
    const s = createScale(overflowRate({ maxRate: 0.01, everyExamples: 1, initialIntegerBits: 8 }), d10);
    const seen: number[] = [];
    for (let step = 0; step < 12; step++) {
      const { stats } = quantize(Float32Array.from(x), d10, { integerBits: s.integerBits });
      s.observe(stats);
      s.advance(1);
      seen.push(s.integerBits);
    }
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 1]);
  });

  it("checkpoints and restores its state mid-window", () => {
    const a = createScale(policy, d10);
    a.observe(pass(100, 5, 5));
    a.advance(100);
    const b = createScale(policy, d10, JSON.parse(JSON.stringify(a.toJSON())));
    for (const s of [a, b]) {
      s.observe(pass(100, 0, 0));
      s.advance(100);
      s.observe(pass(100, 0, 0));
      s.advance(100);
    }
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(b.integerBits).toBe(6); // mean rate 0.0167 > 0.01
  });

  it("rejects bad parameters, naming them", () => {
    expect(() => overflowRate({ maxRate: 2 })).toThrow(/maxRate/);
    expect(() => overflowRate({ everyExamples: 0 })).toThrow(/everyExamples/);
    expect(() => overflowRate({ initialIntegerBits: 0.5 })).toThrow(/initialIntegerBits/);
    expect(() => createScale(policy, fixed({ bits: 10, integerBits: 3 }))).toThrow(
      /adapts a dynamic fixed point format/,
    );
  });
});

describe("other policies", () => {
  it("fixedScale never moves", () => {
    const s = createScale(fixedScale(3), d10);
    s.observe(pass(10, 10, 10));
    expect(s.advance(1e6)).toBe(false);
    expect(s.integerBits).toBe(3);
  });
  it("delayedAmax fits the range to the largest |x| of the last `history` windows, plus the margin", () => {
    const s = createScale(delayedAmax({ history: 2, margin: 1, initialIntegerBits: 0 }), d10);
    const seen: number[] = [];
    for (const amax of [10, 1, 1, 0.2]) {
      s.observe(pass(5, 0, 0, amax));
      s.advance(5);
      seen.push(s.integerBits);
    }
    // floor(log2 10) + 1 + 1 = 5; max(10, 1) → 5; max(1, 1) → 2; max(1, 0.2) → 2
    expect(seen).toEqual([5, 5, 2, 2]);
    expect(() => delayedAmax({ history: 0 })).toThrow(/history/);
  });
});

describe("currentAmax (just-in-time: each pass scaled by its own tensor's amax)", () => {
  it("fit sets floor(log2 amax) + 1 + margin for the pass about to run; an amax of 0 keeps the bits", () => {
    const s = createScale(currentAmax({ margin: 1, initialIntegerBits: 0 }), d10);
    expect(s.integerBits).toBe(0);
    // log2 10 = 3.32 → 3 + 1 + 1 = 5; log2 0.3 = −1.74 → −2 + 1 + 1 = 0; 0 → keep 0; log2 1 = 0 → 0 + 1 + 1 = 2;
    // log2 0.999 = −0.0014 → −1 + 1 + 1 = 1; 2^-20 → −20 + 2 = −18
    const seen = [10, 0.3, 0, 1, 0.999, 2 ** -20].map((a) => s.fit(a));
    expect(seen).toEqual([5, 0, 0, 2, 1, -18]);
    expect(s.integerBits).toBe(-18);
    // observe and advance leave the bits to the next fit
    s.observe(pass(10, 10, 10, 1000));
    expect(s.advance(1e6)).toBe(false);
    expect(s.integerBits).toBe(-18);
  });

  it("with margin 0 the fitted range holds the tensor: no overflow, the largest value in the top binade", () => {
    const x = Float32Array.from([3, -0.5, 1.25, 0.001]);
    const s = createScale(currentAmax(), d10);
    const bits = s.fit(3); // [2, 4): 10 bits, step 2^-7, max 4 − 2^-7 = 3.9921875
    expect(bits).toBe(2);
    const { out, stats } = quantize(Float32Array.from(x), d10, { integerBits: bits });
    expect(stats.overflow).toBe(0);
    expect(stats.overflowHalfRange).toBe(1); // only 3 ≥ max/2 = 1.99609375
    expect(Array.from(out)).toEqual([3, -0.5, 1.25, 0]); // 0.001 < half a step 2^-8 = 0.0039: flushed
  });

  it("rejects bad parameters and calls, in one line naming them", () => {
    expect(() => currentAmax({ margin: 0.5 })).toThrow(/^invalid currentAmax margin \(expected an integer.*got 0\.5$/);
    expect(() => currentAmax({ initialIntegerBits: 65 })).toThrow(/currentAmax initialIntegerBits.*got 65$/);
    const s = createScale(currentAmax(), d10);
    expect(() => s.fit(Number.NaN)).toThrow(/^fit: amax NaN \(expected a finite number ≥ 0\)$/);
    expect(() => s.fit(-1)).toThrow(/fit: amax -1/);
    expect(() => createScale(delayedAmax(), d10).fit(1)).toThrow(/^fit: the delayed-amax policy does not scale/);
    expect(() => s.closeWindow()).toThrow(/current-amax policy has no overflow-rate window/);
  });

  it("checkpoints: only integerBits matters, and the state has the fields of every older state file", () => {
    const a = createScale(currentAmax({ margin: 2 }), d10);
    a.fit(0.1); // −4 + 1 + 2 = −1
    const state = JSON.parse(JSON.stringify(a.toJSON()));
    expect(Object.keys(state).sort()).toEqual([
      "amaxHistory",
      "examples",
      "integerBits",
      "rateHalfSum",
      "rateSum",
      "samples",
    ]);
    const b = createScale(currentAmax({ margin: 2 }), d10, state);
    expect(b.integerBits).toBe(-1);
    expect(b.fit(0)).toBe(-1);
  });
});

describe("predictive (Flexpoint's autoflex: the next max predicted from the recent maxima)", () => {
  it("after each window: max(history) + deviations · sd(history), then floor(log2) + 1 + margin", () => {
    const s = createScale(predictive({ history: 3, deviations: 1, margin: 0, initialIntegerBits: 0 }), d10);
    const seen: number[] = [];
    for (const amax of [4, 2, 6, 1, 1, 1]) {
      s.observe(pass(5, 0, 0, amax));
      s.advance(5);
      seen.push(s.integerBits);
    }
    // [4]: sd 0 → 4 → log2 4 = 2 → 3
    // [4, 2]: mean 3, sd 1 → 4 + 1 = 5 → 2 + 1 = 3
    // [4, 2, 6]: mean 4, sd √(8/3) = 1.633 → 7.633 → 2 + 1 = 3
    // [2, 6, 1]: mean 3, sd √(14/3) = 2.160 → 8.160 → 3 + 1 = 4
    // [6, 1, 1]: mean 8/3, sd √(50/9) = 2.357 → 8.357 → 4
    // [1, 1, 1]: sd 0 → 1 → 0 + 1 = 1
    expect(seen).toEqual([3, 3, 3, 4, 4, 1]);
    // the margin adds its bits; a window without passes adds nothing to the history
    const m = createScale(predictive({ history: 2, deviations: 0, margin: 2, initialIntegerBits: 0 }), d10);
    m.observe(pass(5, 0, 0, 0.3)); // −2 + 1 + 2 = 1
    m.advance(5);
    expect(m.integerBits).toBe(1);
    m.advance(5);
    expect(m.toJSON().amaxHistory).toEqual([0.3]);
    expect(m.integerBits).toBe(1);
  });

  it("widens at once on an overflow, and the window's update keeps at least that range", () => {
    const s = createScale(predictive({ history: 2, deviations: 0, initialIntegerBits: 1 }), d10);
    // at 1 integer bit and 10 bits the max is 2 − 2^-8 = 1.99609375: 1.999 rounds to it, an overflow
    const { stats } = quantize(Float32Array.from([1.999, 0.5]), d10, { integerBits: s.integerBits });
    expect(stats.overflow).toBe(1);
    s.observe(stats);
    // at once: max(1 + 1, floor(log2 1.999) + 1 + 0 = 1) = 2, before the window ends
    expect(s.integerBits).toBe(2);
    // the prediction alone (max 1.999, sd 0) would give 1; the overflowed window keeps 2 (no change at advance)
    expect(s.advance(2)).toBe(false);
    expect(s.integerBits).toBe(2);
    // the next window has no overflow: max of [1.999, 1.999] → 1
    s.observe(quantize(Float32Array.from([1.999, 0.5]), d10, { integerBits: 2 }).stats);
    s.advance(2);
    expect(s.integerBits).toBe(1);
    // two overflowing passes in one window (both rounded at its 1 bit) widen it once: 2, not 3
    s.observe(pass(2, 1, 1, 1.999));
    s.observe(pass(2, 1, 1, 1.999));
    expect(s.integerBits).toBe(2);
    // an overflowing pass far beyond the range: 40 → floor(log2 40) + 1 = 6, more than one bit
    s.observe(pass(2, 1, 1, 40));
    expect(s.integerBits).toBe(6);
  });

  it("checkpoints mid-window (after a widening) and restores to the same future; older state files load", () => {
    const policy = predictive({ history: 3, deviations: 1.5, margin: 1, initialIntegerBits: 0 });
    const a = createScale(policy, d10);
    for (const amax of [0.5, 0.7]) {
      a.observe(pass(4, 0, 0, amax));
      a.advance(4);
    }
    a.observe(pass(4, 1, 1, 3));
    const b = createScale(policy, d10, JSON.parse(JSON.stringify(a.toJSON())));
    expect(b.integerBits).toBe(a.integerBits);
    for (const s of [a, b]) {
      s.advance(4);
      s.observe(pass(4, 0, 0, 0.1));
      s.advance(4);
    }
    expect(b.toJSON()).toEqual(a.toJSON());
    // a state written before this policy existed (no window fields) loads with an empty window
    const old = { integerBits: 3, examples: 0, samples: 0, rateSum: 0, rateHalfSum: 0, amaxHistory: [2] };
    const c = createScale(policy, d10, old);
    expect(c.integerBits).toBe(3);
    c.advance(1); // history [2], sd 0 → 2 → 1 + 1 + 1 = 3
    expect(c.integerBits).toBe(3);
  });

  it("rejects bad parameters in one line naming them", () => {
    expect(() => predictive({ history: 1 })).toThrow(/^invalid predictive history \(expected an integer ≥ 2\): got 1$/);
    expect(() => predictive({ deviations: -1 })).toThrow(/^invalid predictive deviations .*got -1$/);
    expect(() => predictive({ deviations: Number.POSITIVE_INFINITY })).toThrow(/predictive deviations.*Infinity/);
    expect(() => predictive({ margin: 1.5 })).toThrow(/predictive margin.*got 1\.5$/);
    expect(() => createScale(predictive(), fixed({ bits: 10, integerBits: 3 }))).toThrow(/predictive policy adapts/);
  });
});
