/**
 * The overflow-rate controller (METHOD.md §2.2) on a scripted run, and the DFXP calibration: weights reset
 * to their initial values, scales kept.
 */
import { describe, expect, it } from "vitest";
import { LayerPrecision, MemoryOutput, Network, PRECISION_PRESETS, train, type PrecisionSpec } from "../src/index.js";
import { denseNet, kernels, recordingKernels, toyConfig, toySplits } from "./helpers.js";

const spec: PrecisionSpec = {
  ...PRECISION_PRESETS.dfxp,
  scaling: { kind: "overflow-rate", maxRate: 0.01, everyExamples: 300 },
};

/** One scripted step: the z pass "saw" `overflow` and `half` elements of 1000 beyond max and max/2. */
function step(p: LayerPrecision, overflow: number, half: number): number | undefined {
  const q = p.at("weightedSum")!;
  Object.assign(q.stats!, { count: 1000, overflow, overflowHalfRange: half, nan: 0, amax: 1 });
  p.endStep(100);
  return q.integerBits;
}

describe("overflow-rate scaling, scripted", () => {
  it("moves one bit per closed window, on the window's average rates", () => {
    const p = new LayerPrecision(spec, 0, 1);
    expect(p.integerBits("z")).toBe(5);
    // window 1: rates 0.05, 0, 0 → average 0.0167 > 0.01 → one bit more; nothing moves before the window closes
    expect([step(p, 50, 60), step(p, 0, 0), step(p, 0, 0)]).toEqual([5, 5, 5]);
    expect(p.integerBits("z")).toBe(5);
    p.closeScaleWindow();
    expect(p.integerBits("z")).toBe(6);
    // window 2: average 0.01 at the current range is not above 0.01; at half range 0.02 > 0.01 → keep
    step(p, 10, 20);
    step(p, 10, 20);
    step(p, 10, 20);
    p.closeScaleWindow();
    expect(p.integerBits("z")).toBe(6);
    // window 3: nothing near the range, half-range rate 0.01 ≤ 0.01 → one bit less
    step(p, 0, 10);
    step(p, 0, 10);
    step(p, 0, 10);
    p.closeScaleWindow();
    expect(p.integerBits("z")).toBe(5);
    // the passes now use the new integer bits
    expect(p.at("weightedSum")!.integerBits).toBe(5);
    // groups that were never observed keep the initial bits
    expect(p.integerBits("dEdw")).toBe(5);
  });

  it("the authors' divisor: the same sums divided by more batches than they hold move the other way", () => {
    // 2 steps at 0.015: their mean 0.015 > 0.01 → up; divided by 3 batches (one carried over an epoch's start, as
    // the authors' counter restarts every epoch): 0.01, not above → and the half-range 0.01 ≤ 0.01 → down.
    const mean = new LayerPrecision(spec, 0, 1),
      authors = new LayerPrecision(spec, 0, 1);
    for (const p of [mean, authors]) {
      step(p, 15, 15);
      step(p, 15, 15);
    }
    mean.closeScaleWindow();
    authors.closeScaleWindow(3);
    expect(mean.integerBits("z")).toBe(6);
    expect(authors.integerBits("z")).toBe(4);
  });

  it("telemetry averages the rates of the steps of a window", () => {
    const p = new LayerPrecision(spec, 2, 1);
    step(p, 50, 100);
    step(p, 0, 100);
    const [r] = p.takeRecords();
    expect(r).toMatchObject({ layer: 2, group: "z", integerBits: 5, overflowRate: 0.025, overflowRateHalfRange: 0.1 });
    expect(p.takeRecords()).toEqual([]);
  });

  it("telemetry's flushRate pools the flushed and the nonzero values of the window's observed passes", () => {
    const p = new LayerPrecision(spec, 0, 1);
    const pass = (flushed: number, zeros: number) => {
      const stats = p.at("weightedSum")!.stats!; // one observed pass of the step
      Object.assign(stats, { count: 1000, overflow: 0, overflowHalfRange: 0, nan: 0, flushed, zeros, amax: 1 });
      p.endStep(100);
    };
    // 1000 values a step: 30 of 600 nonzero flushed, then 10 of 200: (30 + 10) / (600 + 200) = 0.05
    pass(30, 400);
    pass(10, 800);
    expect(p.takeRecords()[0]!.flushRate).toBeCloseTo(0.05, 15);
    // a window whose values were all zero has no rate
    pass(0, 1000);
    expect(p.takeRecords()[0]!.flushRate).toBeNaN();
  });

  it("a checkpoint written before the flush telemetry restores (its open window's sums start at 0)", () => {
    const p = new LayerPrecision(spec, 0, 1);
    const stats = p.at("weightedSum")!.stats!;
    Object.assign(stats, { count: 10, overflow: 0, overflowHalfRange: 0, nan: 0, flushed: 5, zeros: 0, amax: 1 });
    p.endStep(10);
    const state = JSON.parse(JSON.stringify(p.toJSON()));
    expect(state.groups.z).toMatchObject({ windowFlushed: 5, windowNonzero: 10 });
    for (const g of Object.values(state.groups) as Record<string, unknown>[]) {
      delete g["windowFlushed"];
      delete g["windowNonzero"];
    }
    const q = new LayerPrecision(spec, 0, 1);
    q.restore(state);
    expect(q.toJSON().groups["z"]).toMatchObject({ windowSteps: 1, windowFlushed: 0, windowNonzero: 0 });
    expect(q.takeRecords()[0]!.flushRate).toBeNaN();
  });

  it("delayed-amax sets integer bits from the recent max |x| (beyond the paper)", () => {
    const p = new LayerPrecision({ ...spec, scaling: { kind: "delayed-amax", history: 2, margin: 0 } }, 0, 1);
    const q = p.at("weightedSum")!;
    Object.assign(q.stats!, { count: 10, overflow: 0, overflowHalfRange: 0, nan: 0, amax: 3 });
    p.endStep(10);
    expect(p.integerBits("z")).toBe(2); // floor(log2 3) + 1
  });
});

describe("DFXP calibration (range_init_epoch)", () => {
  const config = (o: { keep?: boolean } = {}) =>
    toyConfig(denseNet, "dfxp", {
      hyper: { epochs: 1 },
      precision: { calibrationEpochs: 2, scaling: { kind: "overflow-rate", maxRate: 1e-4, everyExamples: 100 } },
      faithfulness: { keepMomentumAfterCalibration: o.keep ?? true },
    });

  it("restores the initial W and b, keeps the calibrated scales and (faithfully) the momentum", () => {
    const out = new MemoryOutput();
    // stopped after epoch 0 (the calibration): nothing trained yet
    const r = train(config(), toySplits(denseNet.input), out, { kernels, stopAfterEpoch: 0 });
    expect(r.completed).toBe(false);
    const fresh = new Network(config(), kernels, 20);
    fresh.init();
    r.network.layers.forEach((l, i) => {
      expect(l.params.w).toEqual(fresh.layers[i]!.params.w);
      expect(l.params.b).toEqual(fresh.layers[i]!.params.b);
    });
    // 2 epochs × 200 examples = 4 windows of 100; |W| ≤ √(6/34) < 0.5 never reaches half the range → 5 − 4 = 1
    expect(r.network.layers[0]!.precision.integerBits("w")).toBe(1);
    const vw = r.network.layers[0]!.params.vw;
    expect(vw.some((v) => v !== 0)).toBe(true);
    // telemetry of the calibration windows is written as epoch 0
    const rows = out.scales.get(0)!;
    expect(rows.filter((x) => x.layer === 0 && x.group === "w").map((x) => x.integerBits)).toEqual([4, 3, 2, 1]);
    expect(rows.every((x) => x.phase === "calibration")).toBe(true);
  });

  it("with keepMomentumAfterCalibration off the velocities restart at zero", () => {
    const r = train(config({ keep: false }), toySplits(denseNet.input), new MemoryOutput(), {
      kernels,
      stopAfterEpoch: 0,
    });
    for (const l of r.network.layers) {
      expect(l.params.vw.every((v) => v === 0)).toBe(true);
      expect(l.params.vb.every((v) => v === 0)).toBe(true);
    }
  });

  it("calibration runs at the calibration width (32 bits), then training at 10/12", () => {
    const c = toyConfig(denseNet, "dfxp", { hyper: { epochs: 1 }, precision: { calibrationEpochs: 1 } });
    const formats = new Set<string>();
    const out = new MemoryOutput();
    const origProgress = out.progress.bind(out);
    let phase = "epoch-0 evaluation";
    out.progress = (e) => {
      if (e.kind === "start") phase = e.phase;
      origProgress(e);
    };
    // a kernel table that notes the format of every rounding, tagged with the phase
    const k = recordingKernels((q) => formats.add(`${phase}:${q}`));
    train(c, toySplits(denseNet.input), out, { kernels: k });
    expect([...formats].sort()).toEqual([
      "calibration:dfxp32",
      "epoch-0 evaluation:dfxp10",
      "training:dfxp10",
      "training:dfxp12",
    ]);
  });
});
