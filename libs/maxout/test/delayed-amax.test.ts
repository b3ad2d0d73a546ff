/**
 * Delayed amax scaling (beyond the paper) on the weights: the rule must see W + v before Q_u clamps it to the
 * group's range. The group's observed pass (after max-norm) rounds factor · Q_u(W + v) with factor ≤ 1, whose
 * largest |x| cannot reach the range's top 2^I, so fed only that pass the range of W could never grow
 * (METHOD.md §8.4). Hand-computed on the 12-bit update format.
 */
import { describe, expect, it } from "vitest";
import { FAITHFUL, LayerPrecision, PRECISION_PRESETS, type PrecisionSpec } from "../src/index.js";
import { Parameters } from "../src/layers/parameters.js";
import { kernels } from "./helpers.js";

// dfxp 10/12 with delayed amax (history 16, no margin), as the scaling experiment's budget runs
const spec: PrecisionSpec = { ...PRECISION_PRESETS.dfxp, scaling: { kind: "delayed-amax", history: 16, margin: 0 } };

describe("delayed amax on the stored weights", () => {
  it("sees W + v before Q_u clamps it: a pinned group moves one bit up (hand-computed)", () => {
    const p = new LayerPrecision(spec, 2, 1);
    const step = (beforeClamp: number, afterMaxNorm: number) => {
      // the two update-width passes of w in a step, in the order the layer makes them
      Object.assign(p.at("storedWeights")!.stats!, { count: 8, amax: beforeClamp });
      Object.assign(p.at("storedWeightsAfterMaxNorm")!.stats!, { count: 8, amax: afterMaxNorm });
      p.endStep(100);
    };
    // first step: |W| ≤ 0.01 → I = ⌊log₂ 0.01⌋ + 1 = −7 + 1 = −6: 12 bits, step 2^-17, max 2^-6 − 2^-17 = 0.0156174
    step(0.01, 0.01);
    expect(p.integerBits("w")).toBe(-6);
    // W pinned at that max, v = 2^-10: W + v = 0.0165939 ≥ 2^-6, so ⌊log₂⌋ + 1 = −5; the observed pass sees the
    // clamped max times the max-norm factor (here 1 − 2^-20), below 2^-6 (alone it would give −7 + 1 = −6 again)
    const max = 2 ** -6 - 2 ** -17;
    step(max + 2 ** -10, max * (1 - 2 ** -20));
    expect(p.integerBits("w")).toBe(-5);
    // the telemetry's amax is the one the rule used; its rates stay those of the observed pass
    expect(p.takeRecords().find((r) => r.group === "w")!.amax).toBe(max + 2 ** -10);
  });

  it("the real update path: weights pushed past the range of their first step grow it (hand-computed)", () => {
    // every group starts at −6 integer bits: W and b at 12 bits (step 2^-17), velocities at 10 (step 2^-15)
    const p = new LayerPrecision({ ...spec, integerBits: -6 }, 0, 1);
    const w = new Parameters(4, 2, 2); // 4 inputs × 2 units
    w.w.fill(0.01);
    const update = (gradient: number) => {
      w.gw.fill(gradient);
      // lr 2^-10, no momentum, a norm limit far above ‖w‖ (the authors' factor min(n, c)/(1e-7 + n) < 1)
      w.update(kernels, p, 2 ** -10, 0, 100, FAITHFUL, false);
      p.endStep(100);
    };
    update(0); // v = 0: W = 0.01 → 1311 · 2^-17 (0.01 · 2^17 = 1310.72); amax 0.0100021 → I = −7 + 1 = −6
    expect(p.integerBits("w")).toBe(-6);
    expect(w.w[0]).toBe(1311 * 2 ** -17);
    // v = 2^-10 = 128 · 2^-17 a step. Step 6: W + v = 2079 · 2^-17 ≥ 2^-6 = 2048 · 2^-17, clamped to the max
    // 2047 · 2^-17, but the rule sees 2079 · 2^-17 → I = −5 (step 2^-16). Step 7: 2047 · 2^-17 + 2^-10 =
    // 1087.5 · 2^-16, a tie, away from zero → 1088 · 2^-16; then + 64 · 2^-16 a step: step 20 → 1920 · 2^-16 < 2^-5.
    for (let s = 1; s <= 20; s++) update(-1);
    expect(p.integerBits("w")).toBe(-5);
    expect(w.w[0]).toBe(1920 * 2 ** -16);
    // fed the observed pass alone (after max-norm) the rule would have kept I = −6 and W pinned at 2047 · 2^-17
  });
});
