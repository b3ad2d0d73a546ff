/**
 * The three switches where the authors' code differs from a plain reading of the paper (METHOD.md §8), each run
 * both ways with a test that tells the two behaviours apart: the scale window, SVHN's batch order and the conv
 * fan-out; then the warnings of short runs and the calibration of a run of 0 epochs.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AUTHORS_BATCH_CHUNK,
  LayerPrecision,
  MemoryOutput,
  Network,
  resolveConfig,
  scaleWindowWarnings,
  train,
  windowsClosed,
  epochOrder,
  type Faithfulness,
} from "../src/index.js";
import { denseNet, kernels, toyConfig, toySplits } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("scaleWindow: when the overflow-rate scales update", () => {
  // 40 training examples in batches of 10: 4 batches an epoch; a window of 3 batches (30 examples) leaves one over.
  const run = (
    scaleWindow: Faithfulness["scaleWindow"],
    every: { everyBatches: number } | { everyExamples: number },
  ) => {
    const config = toyConfig(denseNet, "dfxp", {
      hyper: { epochs: 3, batch: 10 },
      precision: { calibrationEpochs: 0, scaling: { kind: "overflow-rate", maxRate: 1e-4, ...every } },
      faithfulness: { scaleWindow },
    });
    const divisors: (number | undefined)[] = [];
    vi.restoreAllMocks();
    const close = LayerPrecision.prototype.closeScaleWindow;
    vi.spyOn(LayerPrecision.prototype, "closeScaleWindow").mockImplementation(function (
      this: LayerPrecision,
      d?: number,
    ) {
      if (this.layer === 0) divisors.push(d);
      close.call(this, d);
    });
    const out = new MemoryOutput();
    train(config, toySplits(denseNet.input, 4, [40, 20, 20]), out, { kernels });
    const closedAt = [1, 2, 3].flatMap((e) =>
      [...new Set((out.scales.get(e) ?? []).map((r) => r.batch))].map((b) => `${e}:${b}`),
    );
    return { closedAt, divisors };
  };

  it("per-epoch (the authors'): the counter restarts every epoch, the carried sums are divided by the window", () => {
    const r = run("per-epoch", { everyBatches: 3 });
    // batch 3 of every epoch; batch 4 is carried into the next epoch's first window, still divided by 3
    expect(r.closedAt).toEqual(["1:3", "2:3", "3:3"]);
    expect(r.divisors).toEqual([3, 3, 3]);
  });

  it("continuous: counted across epochs, the sums averaged over the passes they hold", () => {
    const r = run("continuous", { everyBatches: 3 });
    expect(r.closedAt).toEqual(["1:3", "2:2", "3:1", "3:4"]);
    expect(r.divisors).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("the window in examples: 30 examples, per epoch or across epochs", () => {
    expect(run("per-epoch", { everyExamples: 30 }).closedAt).toEqual(["1:3", "2:3", "3:3"]);
    expect(run("continuous", { everyExamples: 30 }).closedAt).toEqual(["1:3", "2:2", "3:1", "3:4"]);
  });

  it("a configuration written before the switch (no scaleWindow) keeps the continuous rule it ran with", () => {
    const config = toyConfig(denseNet, "dfxp", { hyper: { batch: 10 } });
    const { scaleWindow: _, ...older } = config.faithfulness;
    const net = new Network({ ...config, faithfulness: older as Faithfulness }, kernels, 10);
    expect(net.window.counting).toBe("continuous");
    expect(new Network(config, kernels, 10).window.counting).toBe("per-epoch");
  });

  it("is refused where no scale moves, named in one line", () => {
    expect(() => resolveConfig("pi-mnist", "fixed", { faithfulness: { scaleWindow: "continuous" } })).toThrow(
      /faithfulness\.scaleWindow: "continuous" has no effect: no group of this precision has an overflow-rate scale/,
    );
    expect(() =>
      resolveConfig("pi-mnist", "dfxp", {
        precision: { scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 100, everyExamples: 10 } },
      }),
    ).toThrow(/precision\.scaling: expected exactly one of everyExamples and everyBatches/);
  });
});

describe("batchOrder: SVHN's batches", () => {
  const C = AUTHORS_BATCH_CHUNK;
  const nb = 2 * C + 5; // two full chunks and a remainder of 5 batches
  const batchesOf = (o: Int32Array) => Array.from(o);

  it("chunks (the authors'): shuffled within chunks of 79, chunks shuffled, the remainder last", () => {
    const o = batchesOf(epochOrder(1234, 1, nb, 1, "batches", undefined, { batchOrder: "chunks" }));
    const runs = [o.slice(0, C), o.slice(C, 2 * C)];
    for (const r of runs) {
      const k = Math.floor(r[0]! / C);
      expect([...r].sort((a, b) => a - b)).toEqual(Array.from({ length: C }, (_, j) => k * C + j));
      expect(r).not.toEqual([...r].sort((a, b) => a - b)); // shuffled within
    }
    expect(o.slice(2 * C).sort((a, b) => a - b)).toEqual([158, 159, 160, 161, 162]);
    // across seeds the chunk order changes: some epoch visits chunk 1 first
    const firsts = new Set(
      [1, 2, 3, 4, 5, 6].map((e) =>
        Math.floor(epochOrder(7, e, nb, 1, "batches", undefined, { batchOrder: "chunks" })[0]! / C),
      ),
    );
    expect(firsts).toEqual(new Set([0, 1]));
  });

  it("whole: one permutation of every batch, so a remainder batch can come first", () => {
    const firsts = new Set(
      Array.from(
        { length: 40 },
        (_, e) => epochOrder(7, e + 1, nb, 1, "batches", undefined, { batchOrder: "whole" })[0]!,
      ),
    );
    expect([...firsts].some((b) => b >= 2 * C)).toBe(true);
    const o = batchesOf(epochOrder(1234, 1, nb, 1, "batches"));
    expect([...o].sort((a, b) => a - b)).toEqual(Array.from({ length: nb }, (_, j) => j));
  });

  it("calibration epochs: shuffled with chunks, in data order with whole (and always for examples)", () => {
    const identity = Array.from({ length: nb * 2 }, (_, j) => j);
    const cal = (batchOrder: "chunks" | "whole", mode: "batches" | "examples") =>
      batchesOf(epochOrder(1234, -1, nb * 2, 2, mode, undefined, { batchOrder }));
    expect(cal("chunks", "batches")).not.toEqual(identity);
    expect(cal("whole", "batches")).toEqual(identity);
    expect(cal("chunks", "examples")).toEqual(identity);
    // two calibration epochs differ from each other and from training epoch 1
    const c2 = batchesOf(epochOrder(1234, -2, nb * 2, 2, "batches", undefined, { batchOrder: "chunks" }));
    const e1 = batchesOf(epochOrder(1234, 1, nb * 2, 2, "batches", undefined, { batchOrder: "chunks" }));
    expect(c2).not.toEqual(cal("chunks", "batches"));
    expect(e1).not.toEqual(cal("chunks", "batches"));
    // batches stay whole: examples 2b and 2b+1 travel together
    const o = cal("chunks", "batches");
    for (let i = 0; i < o.length; i += 2) expect([o[i]! % 2, o[i + 1]! - o[i]!]).toEqual([0, 1]);
  });

  it("is refused where batches are not shuffled", () => {
    expect(() => resolveConfig("cifar10", "fp32", { faithfulness: { batchOrder: "whole" } })).toThrow(
      /faithfulness\.batchOrder: "whole" has no effect: hyper\.shuffle is not "batches"/,
    );
  });
});

describe("convFanOut: the conv initialisation's range", () => {
  // CIFAR-10's first layer: fan_in = 3·5² = 75, fan_out = 64·5²/3² = 177.78 (Python 2: 177)
  const weights = (convFanOut: "integer" | "exact") => {
    const config = resolveConfig("cifar10", "fp32", { faithfulness: { convFanOut } });
    const net = new Network(config, kernels, 1);
    net.init();
    return net.layers[0]!.params.w;
  };

  it("integer (the authors'): U(±√(6/252)); exact: U(±√(6/252.78)); the same draws scaled", () => {
    const a = weights("integer"),
      b = weights("exact");
    const rInt = Math.sqrt(6 / (75 + 177)),
      rExact = Math.sqrt(6 / (75 + 1600 / 9));
    let maxA = 0,
      maxB = 0;
    for (let i = 0; i < a.length; i++) {
      maxA = Math.max(maxA, Math.abs(a[i]!));
      maxB = Math.max(maxB, Math.abs(b[i]!));
    }
    expect(maxA).toBeLessThanOrEqual(rInt);
    expect(maxA).toBeGreaterThan(rExact); // 64·2·3·25 = 9,600 draws reach beyond the exact range
    expect(maxB).toBeLessThanOrEqual(rExact);
    for (const i of [0, 1, 17, 4321]) expect(a[i]! / b[i]!).toBeCloseTo(rInt / rExact, 5);
  });

  it("is not recorded, and refused, where every fan-out is whole (MNIST conv)", () => {
    expect(resolveConfig("mnist-conv", "fp32").faithfulness.convFanOut).toBeUndefined();
    expect(() => resolveConfig("mnist-conv", "fp32", { faithfulness: { convFanOut: "exact" } })).toThrow(
      /convFanOut: "exact" has no effect: no conv layer of this network has a fractional fan-out/,
    );
  });
});

describe("short runs say what they skip", () => {
  it("CIFAR-10 dfxp on 2,000 examples: 15 batches an epoch never fill the authors' window of 100", () => {
    const config = resolveConfig("cifar10", "dfxp", { hyper: { epochs: 3 }, trainLimit: 2000 });
    expect(windowsClosed(config, 2000)).toEqual({ calibration: 0, training: 0 });
    const w = scaleWindowWarnings(config, 2000);
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/calibration \(2 epoch\(s\) of 15 batches\) closes no scale window of 100 batches/);
    expect(w[0]).toMatch(/the scales never move/);
    expect(w[1]).toMatch(/training \(3 epoch\(s\) of 15 batches\)/);
    // with the window in batches shortened to 5: 3 windows per epoch
    const short = resolveConfig("cifar10", "dfxp", {
      hyper: { epochs: 3 },
      trainLimit: 2000,
      precision: { scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 5 } },
    });
    expect(scaleWindowWarnings(short, 2000)).toEqual([]);
    // the continuous rule carries the count over: 2 epochs × 15 batches do not fill 100 either, 10 epochs do
    const cont = resolveConfig("cifar10", "dfxp", {
      hyper: { epochs: 10 },
      faithfulness: { scaleWindow: "continuous" },
    });
    expect(windowsClosed(cont, 2000)).toEqual({ calibration: 0, training: 1 });
  });

  it("the full PI-MNIST run closes plenty, fixed point has no window to warn about", () => {
    expect(scaleWindowWarnings(resolveConfig("pi-mnist", "dfxp"), 50_000)).toEqual([]);
    expect(scaleWindowWarnings(resolveConfig("pi-mnist", "fixed"), 100)).toEqual([]);
  });

  it("the trainer reports the warnings as progress events", () => {
    const config = toyConfig(denseNet, "dfxp", {
      hyper: { epochs: 1 },
      precision: { scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 50 } },
    });
    const out = new MemoryOutput();
    train(config, toySplits(denseNet.input), out, { kernels });
    const warnings = out.events.filter((e) => e.kind === "warning");
    expect(warnings.map((e) => (e.kind === "warning" ? e.message : ""))).toEqual([
      expect.stringMatching(/calibration \(2 epoch\(s\) of 10 batches\) closes no scale window of 50 batches/),
      expect.stringMatching(/training \(1 epoch\(s\) of 10 batches\) closes no scale window/),
    ]);
  });

  it("--epochs 0 with dfxp skips the calibration; resumed with epochs to train, it calibrates then", () => {
    const zero = toyConfig(denseNet, "dfxp", { hyper: { epochs: 0 } });
    const out = new MemoryOutput();
    train(zero, toySplits(denseNet.input), out, { kernels });
    expect(out.events.some((e) => e.kind === "start" && e.phase === "calibration")).toBe(false);
    expect(out.scales.get(0)).toEqual([]);
    // the same folder, now with 1 epoch: the calibration runs before epoch 1, as in an uninterrupted run
    const one = { ...zero, hyper: { ...zero.hyper, epochs: 1 } };
    train(one, toySplits(denseNet.input), out, { kernels, resume: true });
    expect((out.scales.get(0) ?? []).every((r) => r.phase === "calibration")).toBe(true);
    expect(out.scales.get(0)!.length).toBeGreaterThan(0);
    const straight = new MemoryOutput();
    train(one, toySplits(denseNet.input), straight, { kernels });
    expect(out.history.at(-1)!.testError).toBe(straight.history.at(-1)!.testError);
    expect(out.scales.get(1)).toEqual(straight.scales.get(1));
  });
});
