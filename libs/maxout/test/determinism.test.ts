/** Same seed, same bits; a killed run resumed from its checkpoint ends exactly as an uninterrupted run. */
import { describe, expect, it } from "vitest";
import {
  decodeCheckpoint,
  DivergenceError,
  encodeCheckpoint,
  MemoryOutput,
  train,
  type TrainResult,
} from "../src/index.js";
import { backendInfo, simdPaths, withSimd } from "@lowprec/tensor";
import { convNet, denseNet, kernels, toyConfig, toySplits } from "./helpers.js";

function bits(r: TrainResult): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (const l of r.network.layers)
    for (const a of [l.params.w, l.params.b, l.params.vw, l.params.vb]) out.push(new Uint32Array(a.slice().buffer));
  return out;
}
const errors = (r: TrainResult) =>
  r.history.map((m) => [m.epoch, m.loss, m.trainError, m.validError, m.testError, m.bestEpoch, m.bestTestError]);

describe("determinism", () => {
  for (const precision of ["fp32", "dfxp"] as const) {
    it(`two ${precision} runs with the same seed give identical bits`, () => {
      const c = toyConfig(convNet, precision, { hyper: { epochs: 2 }, precision: { calibrationEpochs: 1 } });
      const a = train(c, toySplits(convNet.input), new MemoryOutput(), { kernels });
      const b = train(c, toySplits(convNet.input), new MemoryOutput(), { kernels });
      expect(bits(a)).toEqual(bits(b));
      expect(errors(a)).toEqual(errors(b));
    });
  }

  it("another seed gives other weights", () => {
    const a = train(toyConfig(denseNet, "fp32"), toySplits(denseNet.input), new MemoryOutput(), { kernels });
    const b = train(
      toyConfig(denseNet, "fp32", { hyper: { seed: 99 } }),
      toySplits(denseNet.input),
      new MemoryOutput(),
      { kernels },
    );
    expect(bits(a)).not.toEqual(bits(b));
  });

  for (const precision of ["fp32", "dfxp"] as const) {
    it(`${precision}: resume after a kill equals the uninterrupted run`, () => {
      const c = toyConfig(denseNet, precision, {
        hyper: { epochs: 3 },
        precision: { calibrationEpochs: 1, rounding: "stochastic" },
      });
      const whole = train(c, toySplits(denseNet.input), new MemoryOutput(), { kernels });
      const out = new MemoryOutput();
      const first = train(c, toySplits(denseNet.input), out, { kernels, stopAfterEpoch: 1 });
      expect(first.completed).toBe(false);
      expect(first.history.at(-1)!.epoch).toBe(1);
      const resumed = train(c, toySplits(denseNet.input), out, { kernels, resume: true });
      expect(resumed.completed).toBe(true);
      expect(bits(resumed)).toEqual(bits(whole));
      expect(errors(resumed)).toEqual(errors(whole));
      expect(out.events.some((e) => e.kind === "resumed" && e.epoch === 1)).toBe(true);
      expect(resumed.network.layers[1]!.precision.toJSON()).toEqual(whole.network.layers[1]!.precision.toJSON());
    });
  }

  it("dfxp: a checkpoint made before the flush telemetry (no window flush sums) resumes to the same bits", () => {
    const c = toyConfig(denseNet, "dfxp", { hyper: { epochs: 3 }, precision: { calibrationEpochs: 1 } });
    const wholeOut = new MemoryOutput();
    const whole = train(c, toySplits(denseNet.input), wholeOut, { kernels });
    const out = new MemoryOutput();
    train(c, toySplits(denseNet.input), out, { kernels, stopAfterEpoch: 1 });
    // the older checkpoint: the same header without windowFlushed and windowNonzero in any group's state
    const { header, arrays } = decodeCheckpoint(out.checkpoint!);
    let removed = 0;
    const strip = (v: unknown): void => {
      if (typeof v !== "object" || v === null) return;
      const o = v as Record<string, unknown>;
      for (const k of ["windowFlushed", "windowNonzero"])
        if (k in o) {
          delete o[k];
          removed++;
        }
      for (const x of Object.values(o)) strip(x);
    };
    strip(header);
    expect(removed).toBeGreaterThan(0);
    out.checkpoint = encodeCheckpoint(header, arrays);
    const resumed = train(c, toySplits(denseNet.input), out, { kernels, resume: true });
    expect(resumed.completed).toBe(true);
    expect(bits(resumed)).toEqual(bits(whole));
    expect(errors(resumed)).toEqual(errors(whole));
    // telemetry: a rate wherever the uninterrupted run has one (NaN: a window whose observed values were all zero,
    // as the first layer's biases here); the epoch after the resume's epoch is the same
    const rate = (rows: readonly { flushRate: number }[]) => rows.map((r) => Number.isNaN(r.flushRate));
    expect(rate(out.scales.get(2)!)).toEqual(rate(wholeOut.scales.get(2)!));
    expect(out.scales.get(2)!.some((r) => r.flushRate > 0)).toBe(true);
    expect(out.scales.get(3)).toEqual(wholeOut.scales.get(3));
  });

  // The native kernels' SIMD paths (avx512, avx2, portable: those this CPU runs) give the same bits: pooling, maxout,
  // dropout, the fused rounding and the update all run on the path under test (gemm and convolutions do not change).
  const paths = backendInfo().name === "native" ? simdPaths() : [];
  for (const [label, net] of [
    ["conv", convNet],
    ["dense", denseNet],
  ] as const)
    for (const precision of ["fp32", "dfxp", "half"] as const)
      it.runIf(paths.length > 1)(`${label} ${precision}: every SIMD path trains to the same bits`, () => {
        const c = toyConfig(net, precision, { precision: { calibrationEpochs: 1, rounding: "stochastic" } });
        const runs = paths.map((p) => train(c, toySplits(net.input), new MemoryOutput(), { kernels: withSimd(p) }));
        for (const r of runs.slice(1)) {
          expect(bits(r)).toEqual(bits(runs[0]!));
          expect(errors(r)).toEqual(errors(runs[0]!));
        }
      });

  it("refuses to resume a checkpoint of another configuration", () => {
    const out = new MemoryOutput();
    train(toyConfig(denseNet, "fp32", { hyper: { epochs: 1 } }), toySplits(denseNet.input), out, { kernels });
    expect(() =>
      train(toyConfig(denseNet, "dfxp", { hyper: { epochs: 2 } }), toySplits(denseNet.input), out, {
        kernels,
        resume: true,
      }),
    ).toThrow(/another configuration/);
  });
});

describe("divergence", () => {
  it("a NaN loss stops the run naming the epoch, the batch and the group", () => {
    // a learning rate of 1e300 sends the velocity to infinity at the first update, W to infinity and max-norm
    // (∞·0) to NaN; the second batch's forward pass gives a NaN loss
    const c = toyConfig(denseNet, "fp32", {
      hyper: { learningRate: 1e300, learningRateFinal: 1e300 },
      faithfulness: { softmaxInit: "uniform" },
    });
    let err: unknown;
    try {
      train(c, toySplits(denseNet.input), new MemoryOutput(), { kernels });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    const d = err as DivergenceError;
    expect([d.epoch, d.batch]).toEqual([1, 2]);
    expect(d.group).toBe("w");
    expect(d.message).toMatch(/epoch 1, batch 2; first non-finite values in layer \d, group w/);
  });

  it("half precision overflows to infinity, and the message names the group", () => {
    const c = toyConfig(denseNet, "half", {
      hyper: { learningRate: 1e6, learningRateFinal: 1e6 },
      faithfulness: { softmaxInit: "uniform" },
    });
    expect(() => train(c, toySplits(denseNet.input), new MemoryOutput(), { kernels })).toThrow(
      new RegExp(
        String.raw`training diverged: loss is (NaN|Infinity) at training epoch 1, batch \d+; ` +
          String.raw`first non-finite values in layer \d, group \w+`,
      ),
    );
  });
});
