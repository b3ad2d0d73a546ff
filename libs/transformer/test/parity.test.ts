/**
 * Same seed, same bits: a short ViT training under dynamic fixed point 10/12 (calibration, scale windows, a partial
 * last batch, head dimension 3) gives bit-identical parameters, losses and scales twice on one backend (each of the
 * two); another seed differs. Across backends the runs agree to float32 accuracy, not bit for bit: the native gemm
 * is OpenBLAS's, whose sums run in another order than the TypeScript reference's.
 */
import { PRECISION_PRESETS, type PrecisionSpec } from "@lowprec/precision";
import { getBackend, type Kernels, simdPaths, TsBackend, withSimd } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import { trainVit, type VitSpec } from "../src/index.js";

const SPEC: VitSpec = {
  image: { channels: 1, height: 6, width: 3 },
  patch: 3,
  dim: 6,
  heads: 2,
  blocks: 2,
  mlp: 7,
  classes: 3,
};

function data(count: number) {
  const images = Float32Array.from({ length: count * 18 }, (_, i) => Math.sin(i * 0.37) + 0.1 * Math.cos(i));
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 3);
  return { images, labels, count };
}

function run(kernels: Kernels, seed: number, precision: PrecisionSpec = PRECISION_PRESETS.dfxp) {
  const hyper = { epochs: 2, batch: 5, learningRate: 0.1, momentum: 0.9, warmupEpochs: 0.5 };
  const scales: number[] = [];
  const r = trainVit({
    spec: SPEC,
    hyper,
    precision: {
      ...precision,
      calibrationEpochs: 1,
      // a window of 2 batches so the scales move in so short a run (MX blocks keep their own scaling)
      scaling:
        precision.scaling.kind === "block-scaled"
          ? precision.scaling
          : { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 2 },
    },
    seed,
    kernels,
    train: data(12),
    test: data(7),
    onScales: (rec) => scales.push(...rec.map((x) => x.integerBits ?? Number.NaN)),
  });
  const params = r.network.paramLayers.flatMap((l) => [...l.params.w, ...l.params.b]);
  // NOTE: epoch 0 evaluates the untrained network: no training loss
  return { params: Float32Array.from(params), losses: r.epochs.filter((e) => e.epoch > 0).map((e) => e.loss), scales };
}

let native: Kernels | undefined;
try {
  native = getBackend("native");
} catch {
  native = undefined;
}

describe("a ViT training is deterministic", () => {
  it("same seed twice on one backend: the same bits; another seed: other bits", () => {
    const a = run(TsBackend, 5),
      b = run(TsBackend, 5),
      c = run(TsBackend, 6);
    expect(b.params).toEqual(a.params);
    expect(b.losses).toEqual(a.losses);
    expect(c.params).not.toEqual(a.params);
    // the scales moved: dynamic fixed point's windows closed
    expect(new Set(a.scales).size).toBeGreaterThan(1);
  });

  it.runIf(native !== undefined)("the native backend: same bits twice; the TypeScript backend's run closely", () => {
    for (const p of [PRECISION_PRESETS.dfxp, PRECISION_PRESETS.half, PRECISION_PRESETS.fp32]) {
      const n = run(native!, 5, p),
        again = run(native!, 5, p),
        t = run(TsBackend, 5, p);
      expect(Buffer.from(again.params.buffer).equals(Buffer.from(n.params.buffer))).toBe(true);
      expect(again.losses).toEqual(n.losses);
      for (let i = 0; i < n.losses.length; i++) expect(Math.abs(n.losses[i]! - t.losses[i]!)).toBeLessThan(1e-5);
      let worst = 0;
      for (let i = 0; i < n.params.length; i++) worst = Math.max(worst, Math.abs(n.params[i]! - t.params[i]!));
      expect(worst, p.name).toBeLessThan(1e-5);
    }
  });

  it.runIf(native !== undefined)("every SIMD path of the native kernels gives the same bits (MX included)", () => {
    const paths = simdPaths();
    for (const p of [PRECISION_PRESETS.dfxp, PRECISION_PRESETS.fp32, PRECISION_PRESETS.mxfp8]) {
      const runs = paths.map((path) => run(withSimd(path), 5, p));
      for (const r of runs.slice(1)) {
        expect(Buffer.from(r.params.buffer).equals(Buffer.from(runs[0]!.params.buffer)), p.name).toBe(true);
        expect(r.losses).toEqual(runs[0]!.losses);
      }
    }
    console.log(`SIMD paths compared: ${paths.join(", ")}`);
  });
});
