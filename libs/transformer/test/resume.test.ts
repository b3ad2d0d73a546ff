/**
 * A ViT training killed after any epoch (during dynamic fixed point's calibration, or after it) and resumed from its
 * last checkpoint ends with the bits of an uninterrupted training: parameters, losses, scales. A checkpoint of
 * another training is refused naming the field that differs; a damaged one is refused as corrupt.
 */
import { PRECISION_PRESETS } from "@lowprec/precision";
import { TsBackend } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import { trainVit, type VitEpoch, type VitSpec, type VitTrainOptions } from "../src/index.js";

const SPEC: VitSpec = {
  image: { channels: 1, height: 6, width: 3 },
  patch: 3,
  dim: 6,
  heads: 2,
  blocks: 1,
  mlp: 5,
  classes: 3,
};

function options(seed = 5): VitTrainOptions {
  const count = 11;
  return {
    spec: SPEC,
    hyper: { epochs: 3, batch: 4, learningRate: 0.1, momentum: 0.9, warmupEpochs: 0.5 },
    precision: {
      ...PRECISION_PRESETS.dfxp,
      calibrationEpochs: 2,
      scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 2 },
    },
    seed,
    kernels: TsBackend,
    train: {
      images: Float32Array.from({ length: count * 18 }, (_, i) => Math.sin(i * 0.7)),
      labels: Uint8Array.from({ length: count }, (_, i) => i % 3),
      count,
    },
    test: {
      images: Float32Array.from({ length: 5 * 18 }, (_, i) => Math.cos(i * 0.3)),
      labels: Uint8Array.of(0, 1, 2, 0, 1),
      count: 5,
    },
  };
}

const bits = (r: ReturnType<typeof trainVit>) =>
  r.network.paramLayers.flatMap((l) => [...new Uint32Array(l.params.w.slice().buffer)]);
/** The epochs without their times, with the fields a run without validation data leaves undefined dropped. */
const rows = (e: readonly VitEpoch[]) =>
  e.map(({ seconds: _s, trainSeconds: _t, ...rest }) =>
    Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
  );

describe("a ViT training resumes from its checkpoint with the same bits", () => {
  const whole = trainVit(options());

  for (const stop of [1, 2, 3]) {
    it(`killed after epoch ${stop} of 5 (calibration: 2), resumed: the uninterrupted run's bits`, () => {
      let saved: Uint8Array | undefined;
      const first = trainVit({ ...options(), stopAfterEpochs: stop, checkpoint: (b) => (saved = b) });
      // epoch 0 (the untrained network's evaluation, with test data) and the `stop` epochs trained
      expect(first.epochs).toHaveLength(stop + 1);
      const rest = trainVit({ ...options(), resume: saved });
      expect(bits(rest)).toEqual(bits(whole));
      expect(rows(rest.epochs)).toEqual(rows(whole.epochs));
      expect(rest.network.precisionState()).toEqual(whole.network.precisionState());
    });
  }

  it("a checkpoint of another training is refused, naming the field; a damaged one as corrupt", () => {
    let saved: Uint8Array | undefined;
    trainVit({ ...options(), stopAfterEpochs: 1, checkpoint: (b) => (saved = b) });
    expect(() => trainVit({ ...options(6), resume: saved })).toThrow("checkpoint is of another training: seed differs");
    const other = { ...options(), hyper: { ...options().hyper, batch: 5 } };
    expect(() => trainVit({ ...other, resume: saved })).toThrow(
      "checkpoint is of another training: hyper.batch differs",
    );
    const bad = saved!.slice();
    bad[bad.length - 1]! ^= 1;
    expect(() => trainVit({ ...options(), resume: bad })).toThrow(/checkpoint is corrupt: SHA-256 mismatch/);
  });
});
