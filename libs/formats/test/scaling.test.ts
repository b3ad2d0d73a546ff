import { describe, expect, it } from "vitest";
import {
  createScale,
  delayedAmax,
  dynamicFixed,
  fixed,
  fixedScale,
  overflowRate,
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
