/**
 * The current-amax (just-in-time) and predictive (Flexpoint autoflex) scaling policies in the Maxout trainer
 * (beyond the paper): the rule on hand-computed passes, the two-pass rounding of current amax, a short training
 * (the PI-MNIST preset's settings, a small dense Maxout network, synthetic 4×4 data as the other trainer tests) under
 * each policy whose every rounding follows the rule, replayed here, and checkpoints.
 */
import type { QuantizeStats } from "@lowprec/formats";
import { KERNEL_NAMES, type Kernels, type QuantizeSpec } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  justInTimeKernels,
  LayerPrecision,
  MemoryOutput,
  Network,
  PRECISION_PRESETS,
  resolveConfig,
  ROUNDING_POINTS,
  train,
  type GroupName,
  type PointName,
  type PrecisionSpec,
  type ScalingSpec,
} from "../src/index.js";
import { decodeCheckpoint } from "../src/checkpoint.js";
import { denseNet, kernels, toyConfig, toyData, toySplits } from "./helpers.js";

const withScaling = (scaling: ScalingSpec): PrecisionSpec => ({ ...PRECISION_PRESETS.dfxp, scaling });

/** floor(log2 a) + 1 by comparison with powers of two (independent of Math.log2) */
function bitsOf(a: number): number {
  let e = 0;
  while (2 ** e <= a) e++;
  while (2 ** (e - 1) > a) e--;
  return e; // 2^(e−1) ≤ a < 2^e
}

describe("current amax in a layer: each pass rounded at the range of its own tensor (hand-computed)", () => {
  it("an add with the stored weights' 12-bit rounding: the amax pass, then the fitted rounding", () => {
    const p = new LayerPrecision(withScaling({ kind: "current-amax", margin: 0 }), 0, 1);
    const k = justInTimeKernels(kernels);
    const y = new Float32Array(3);
    // y = a + b = [2.5, −3, 0.1]: amax 3 → I = ⌊log₂ 3⌋ + 1 = 2; 12 bits → step 2^(2 − 11) = 2^-9;
    // 0.1 · 512 = 51.2 → 51 · 2^-9 = 0.099609375
    const stats = k.add({
      a: Float32Array.of(1.5, -3, 0.1),
      b: Float32Array.of(1, 0, 0),
      y,
      quantize: p.at("storedWeights"),
    });
    expect(p.integerBits("w")).toBe(2);
    expect(Array.from(y)).toEqual([2.5, -3, 51 * 2 ** -9]);
    expect(stats).toMatchObject({ count: 3, overflow: 0, overflowHalfRange: 2, amax: 3 });
    // the next pass of the same group on a small tensor: amax 0.1 → ⌊log₂ 0.1⌋ + 1 = −4 + 1 = −3, step 2^-14;
    // 0.1 · 16384 = 1638.4 → 1638 · 2^-14; 0.03 · 16384 = 491.52 → 492 · 2^-14
    const w = Float32Array.of(0.1, -0.03);
    const out = new Float32Array(2);
    k.quantize({ x: w, y: out, ...p.at("storedWeightsAfterMaxNorm")! });
    expect(p.integerBits("w")).toBe(-3);
    expect(Array.from(out)).toEqual([1638 * 2 ** -14, -492 * 2 ** -14].map(Math.fround));
    expect(Array.from(w)).toEqual([0.1, -0.03].map(Math.fround)); // the source is left alone
    // a group under another policy runs the kernels unchanged: the overflow-rate rule's 5 integer bits
    const q = new LayerPrecision(PRECISION_PRESETS.dfxp, 0, 1);
    const z = new Float32Array(1);
    k.add({ a: Float32Array.of(0.1), b: Float32Array.of(0), y: z, quantize: q.at("storedWeights") });
    expect(z[0]).toBe(Math.round(0.1 * 2 ** 6) * 2 ** -6); // step 2^(5 − 11)
  });

  it("a scaled FP8 group: the fitted bits choose the power-of-two scale of E4M3 (hand-computed)", () => {
    const p = new LayerPrecision({ ...PRECISION_PRESETS.fp8e4m3, scaling: { kind: "current-amax", margin: 0 } }, 0, 1);
    const k = justInTimeKernels(kernels);
    // amax 3.3 → I = 2 → scale 2^(2 − 9) = 2^-7 (E4M3's largest binade is [256, 512), max 448 · 2^-7 = 3.5);
    // 3.3 · 2^7 = 422.4 in [256, 512), step 32 → 416 → 3.25; 0.3 · 2^7 = 38.4 in [32, 64), step 4 → 40 → 0.3125
    const y = new Float32Array(2);
    k.add({ a: Float32Array.of(3.3, 0.3), b: new Float32Array(2), y, quantize: p.at("weightedSum") });
    expect(p.integerBits("z")).toBe(2);
    expect(Array.from(y)).toEqual([3.25, 0.3125]);
  });

  it("the margin adds headroom bits; a tensor of zeros keeps the previous pass's bits", () => {
    const p = new LayerPrecision(withScaling({ kind: "current-amax", margin: 2 }), 0, 1);
    const k = justInTimeKernels(kernels);
    const v = Float32Array.of(0.7, -0.2);
    k.axpby({ alpha: 1, x: v, beta: 0, y: new Float32Array(2), quantize: p.at("weightVelocity") });
    expect(p.integerBits("update_w")).toBe(2); // ⌊log₂ 0.7⌋ + 1 + 2 = −1 + 1 + 2
    k.axpby({ alpha: 1, x: new Float32Array(2), beta: 0, y: new Float32Array(2), quantize: p.at("weightVelocity") });
    expect(p.integerBits("update_w")).toBe(2);
  });
});

describe("predictive in a layer: the stored weights' history and the overflow widening (hand-computed)", () => {
  it("max + deviations · sd of the steps' maxima; W + v beyond the range widens it for the next step", () => {
    const p = new LayerPrecision(withScaling({ kind: "predictive", history: 2, deviations: 1, margin: 0 }), 0, 1);
    const step = (beforeClamp: number, overflow: number, afterMaxNorm: number) => {
      Object.assign(p.at("storedWeights")!.stats!, { count: 8, amax: beforeClamp, overflow });
      Object.assign(p.at("storedWeightsAfterMaxNorm")!.stats!, { count: 8, amax: afterMaxNorm, overflow: 0 });
      p.endStep(100);
      return p.integerBits("w");
    };
    // step 1: maxima [0.3] → sd 0 → 0.3 → ⌊log₂ 0.3⌋ + 1 = −2 + 1 = −1
    expect(step(0.3, 0, 0.29)).toBe(-1);
    // step 2: [0.3, 0.1]: mean 0.2, sd 0.1 → 0.4 → −1
    expect(step(0.1, 0, 0.1)).toBe(-1);
    // step 3: W + v reached 0.6 ≥ the range's max 2^-1 − 2^-12 (an overflow of the storedWeights pass, not of the
    // observed one): widened at once to ⌊log₂ 0.6⌋ + 1 = 0; the prediction [0.1, 0.6]: mean 0.35, sd 0.25 →
    // 0.85 → 0 as well
    expect(step(0.6, 2, 0.49)).toBe(0);
    // step 4: [0.6, 0.45]: mean 0.525, sd 0.075 → 0.675 → 0
    expect(step(0.45, 0, 0.45)).toBe(0);
    // step 5 and 6: [0.45, 0.2] → 0.45 + 0.125 = 0.575 → 0; [0.2, 0.2] → 0.2 → −2
    expect(step(0.2, 0, 0.2)).toBe(0);
    expect(step(0.2, 0, 0.2)).toBe(-2);
  });

  it("an overflow the prediction alone would not follow keeps the widened range for one step", () => {
    const p = new LayerPrecision(withScaling({ kind: "predictive", history: 2, deviations: 0, margin: 0 }), 0, 1);
    const step = (amax: number, overflow: number) => {
      Object.assign(p.at("weightedSum")!.stats!, { count: 8, amax, overflow });
      p.endStep(100);
      return p.integerBits("z");
    };
    expect(step(0.2, 0)).toBe(-2); // ⌊log₂ 0.2⌋ + 1 = −3 + 1
    // at −2 bits and 10 bits the max is 2^-2 − 2^-9 = 0.248: 0.2499 overflows. The prediction max(0.2, 0.2499)
    // gives −2 again; the overflow widens one bit: −1
    expect(step(0.2499, 1)).toBe(-1);
    // no overflow: the prediction [0.2499, 0.2499] → −2
    expect(step(0.2499, 0)).toBe(-2);
  });
});

/** A pass seen by the kernels: the rounding point (from its stats object), the bits used, and what it saw. */
interface Pass {
  layer: number;
  point: PointName;
  group: GroupName;
  kernel: string;
  integerBits: number;
  amax: number;
  /** the amax of a `quantize` call's input, computed here before the call */
  inputAmax: number | undefined;
  overflow: number;
}

/**
 * Trains `config` for `steps` batches of 20 synthetic examples (the PI-MNIST preset's settings) with a network
 * whose kernels note every dynamic fixed point rounding, then evaluates once. The passes are grouped by step.
 */
function recordTraining(scaling: ScalingSpec, steps: number): { steps: Pass[][]; net: Network } {
  const config = toyConfig(denseNet, "dfxp", { hyper: { epochs: 1 }, precision: { scaling } });
  expect(config.precision.scaling).toEqual(scaling);
  const owner = new Map<QuantizeStats, { layer: number; point: PointName }>();
  let current: Pass[] = [];
  const spy = {} as Record<string, unknown>;
  for (const name of KERNEL_NAMES) {
    const f = (kernels as unknown as Record<string, (a: unknown) => unknown>)[name]!.bind(kernels);
    spy[name] = (a: { quantize?: QuantizeSpec; x?: Float32Array } & QuantizeSpec) => {
      const q: QuantizeSpec | undefined = name === "quantize" ? a : a.quantize;
      if (q?.format.kind !== "dynamic-fixed") return f(a);
      let inputAmax: number | undefined;
      if (name === "quantize") {
        inputAmax = 0;
        for (const v of a.x!) if (Math.abs(v) > inputAmax) inputAmax = Math.abs(v);
      }
      const r = f(a);
      const o = owner.get(q.stats!)!;
      current.push({
        ...o,
        group: ROUNDING_POINTS[o.point].group,
        kernel: name,
        integerBits: q.integerBits!,
        amax: q.stats!.amax,
        inputAmax,
        overflow: q.stats!.overflow,
      });
      return r;
    };
  }
  const net = new Network(config, spy as unknown as Kernels, 20);
  net.init();
  for (const l of net.layers) {
    const at = l.precision.at.bind(l.precision);
    l.precision.at = (point) => {
      const q = at(point);
      if (q?.stats) owner.set(q.stats, { layer: l.precision.layer, point });
      return q;
    };
  }
  const d = toyData(20 * steps, denseNet.input, 4, 5);
  const out: Pass[][] = [];
  for (let s = 0; s < steps; s++) {
    const x = d.images.subarray(s * 20 * 16, (s + 1) * 20 * 16);
    const r = net.trainStep(x, Int32Array.from(d.labels).subarray(s * 20, (s + 1) * 20), 20, 0.05, 0.5);
    expect(Number.isFinite(r.loss)).toBe(true);
    out.push(current);
    current = [];
  }
  net.prepareTest();
  const t = toyData(20, denseNet.input, 4, 6);
  net.evaluate(t.images, Int32Array.from(t.labels), 20);
  out.push(current);
  return { steps: out, net };
}

describe("a short training (PI-MNIST settings) under each policy follows its rule at every rounding", () => {
  it("current amax (margin 1): every rounding is a separate quantize pass at ⌊log₂ amax⌋ + 2 of its input", () => {
    const { steps } = recordTraining({ kind: "current-amax", margin: 1 }, 10);
    const passes = steps.flat();
    // 10 steps × 3 layers × (forward, backward, update) roundings, and the evaluation's
    expect(passes.length).toBeGreaterThan(10 * 3 * 10);
    const groups = new Set(passes.map((p) => p.group));
    expect([...groups].sort()).toEqual(
      [...(["b", "dEdb", "dEdw", "dEdy", "dEdz", "update_b", "update_w", "w", "y", "z"] as const)].sort(),
    );
    for (const p of passes) {
      expect(p.kernel, `${p.layer}/${p.point}`).toBe("quantize"); // never fused into the producing kernel
      if (p.inputAmax! > 0) expect(p.integerBits, `${p.layer}/${p.point}`).toBe(bitsOf(p.inputAmax!) + 1);
    }
    expect(passes.filter((p) => p.inputAmax! > 0).length).toBeGreaterThan(300);
  });

  it("predictive (history 4, 1 deviation): the bits of each step replayed from the earlier steps' maxima", () => {
    const { steps } = recordTraining({ kind: "predictive", history: 4, deviations: 1, margin: 0 }, 12);
    const train = steps.slice(0, -1);
    const keys = new Set(train.flat().map((p) => `${p.layer}/${p.group}`));
    expect(keys.size).toBe(3 * 10);
    let widened = 0,
      moved = 0;
    for (const key of keys) {
      let bits = 5; // the preset's initial integer bits
      const history: number[] = [];
      for (const step of train) {
        const mine = step.filter((p) => `${p.layer}/${p.group}` === key);
        for (const p of mine) expect(p.integerBits, `${key} ${p.point}`).toBe(bits);
        // the window's passes: all of the group's training passes; its max and whether one overflowed
        history.push(Math.max(...mine.map((p) => p.amax)));
        if (history.length > 4) history.shift();
        const mean = history.reduce((a, v) => a + v, 0) / history.length;
        const sd = Math.sqrt(history.reduce((a, v) => a + (v - mean) * (v - mean), 0) / history.length);
        const predicted = Math.max(...history) + sd;
        let next = predicted > 0 ? bitsOf(predicted) : bits; // a history of zeros (b at first) keeps the bits
        const over = mine.filter((p) => p.overflow > 0);
        if (over.length > 0) {
          next = Math.max(next, bits + 1, ...over.map((p) => bitsOf(p.amax)));
          widened++;
        }
        if (next !== bits) moved++;
        bits = next;
      }
      // the evaluation rounds at the bits after the last step (test passes change nothing)
      for (const p of steps.at(-1)!.filter((p) => `${p.layer}/${p.group}` === key)) expect(p.integerBits).toBe(bits);
    }
    // the run exercised the rule: the scales moved from the initial 5 bits, and some step overflowed
    expect(moved).toBeGreaterThan(30);
    expect(widened).toBeGreaterThan(0);
  });
});

describe("the policies through configs, the trainer and checkpoints", () => {
  it("a full train() run under each policy, resumed from its checkpoint, ends where the uninterrupted run does", () => {
    for (const scaling of [
      { kind: "current-amax", margin: 0 },
      { kind: "predictive", history: 16, deviations: 3, margin: 0 },
    ] as const) {
      const config = toyConfig(denseNet, "dfxp", { hyper: { epochs: 2 }, precision: { scaling } });
      expect(config.precision.scaling).toEqual(scaling);
      const whole = train(config, toySplits(denseNet.input), new MemoryOutput(), { kernels });
      const out = new MemoryOutput();
      train(config, toySplits(denseNet.input), out, { kernels, stopAfterEpoch: 1 });
      const resumed = train(config, toySplits(denseNet.input), out, { kernels, resume: true });
      const errors = (h: typeof whole.history) => h.map((e) => [e.loss, e.validError, e.testError, e.trainError]);
      expect(errors(resumed.history), scaling.kind).toEqual(errors(whole.history));
      expect(Number.isFinite(whole.bestTestError)).toBe(true);
      whole.network.layers.forEach((l, i) => {
        expect(resumed.network.layers[i]!.params.w, scaling.kind).toEqual(l.params.w);
        expect(resumed.network.layers[i]!.precision.toJSON(), scaling.kind).toEqual(l.precision.toJSON());
      });
      // the checkpoint holds the scale state of the policy
      const ck = decodeCheckpoint(out.readCheckpoint()!);
      expect(JSON.stringify(ck).length).toBeGreaterThan(0);
    }
  });

  it("rejects bad parameters in one line naming the field and the value", () => {
    const bad = (scaling: unknown) => () =>
      resolveConfig("pi-mnist", "dfxp", { precision: { scaling: scaling as ScalingSpec } });
    expect(bad({ kind: "current-amax", margin: 0.5 })).toThrow(ConfigError);
    expect(bad({ kind: "current-amax", margin: 0.5 })).toThrow(
      /^invalid config precision\.scaling\.margin: expected an integer in \[-64, 64\], got 0\.5$/,
    );
    expect(bad({ kind: "predictive", history: 1, deviations: 3, margin: 0 })).toThrow(
      /^invalid config precision\.scaling\.history: expected an integer ≥ 2, got 1$/,
    );
    expect(bad({ kind: "predictive", history: 16, deviations: -1, margin: 0 })).toThrow(
      /^invalid config precision\.scaling\.deviations: expected a finite number ≥ 0, got -1$/,
    );
    expect(bad({ kind: "predictive", history: 16, margin: 0 })).toThrow(/scaling\.deviations.*got undefined$/);
    expect(bad({ kind: "just-in-time" })).toThrow(
      /scaling\.kind: expected .*"current-amax" or "predictive", got "just-in-time"$/,
    );
  });
});
