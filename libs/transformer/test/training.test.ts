/**
 * The ViT learns MNIST (the embedded copy): float32 on the first 10,000 training images for 3 epochs reaches below
 * 10 % test error on the whole test set. Dynamic fixed point 10/12 learns when its scales get enough windows to
 * reach the gradients' range during calibration, and is stuck at chance when they get too few: the residual
 * gradients reaching the output projections are flushed to zero (METHOD.md §9).
 */
import { loadMnist } from "@lowprec/datasets";
import { PRECISION_PRESETS, type ScaleRecord } from "@lowprec/precision";
import { getBackend } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import { trainVit, VIT_MNIST, VIT_MNIST_HYPER, vitLayerNames, type VitData } from "../src/index.js";

const mnist = loadMnist();
const first = (d: typeof mnist.train, n: number): VitData => ({
  images: d.images.subarray(0, n * 784),
  labels: d.labels.subarray(0, n),
  count: n,
});
const kernels = getBackend();

describe("a ViT trained on MNIST", () => {
  it("float32, 10,000 images, 3 epochs: below 10 % test error on the 10,000 test images", () => {
    const r = trainVit({
      spec: VIT_MNIST,
      hyper: { ...VIT_MNIST_HYPER, epochs: 3 },
      precision: PRECISION_PRESETS.fp32,
      seed: 1234,
      kernels,
      train: first(mnist.train, 10_000),
      test: mnist.test,
    });
    // epoch 0: the untrained network's evaluation (no loss), then the three epochs
    expect(r.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    expect(r.epochs.map((e) => e.phase)).toEqual(["training", "training", "training", "training"]);
    expect(r.epochs[3]!.loss).toBeLessThan(r.epochs[1]!.loss);
    expect(r.epochs[0]!.testError).toBeGreaterThan(80); // untrained: about chance
    console.log(`float32 ViT, 10,000 images, 3 epochs: test error ${r.testError} %`);
    expect(r.testError).toBeLessThan(10);
  }, 600_000);

  it("dynamic fixed point 10/12: learns with 20 calibration windows, stuck at chance with 4", () => {
    const names = vitLayerNames(VIT_MNIST.blocks);
    const run = (scaleWindow: number) => {
      const last: ScaleRecord[][] = [];
      const r = trainVit({
        spec: VIT_MNIST,
        hyper: { ...VIT_MNIST_HYPER, epochs: 2, batch: 64, warmupEpochs: 0.5 },
        precision: {
          ...PRECISION_PRESETS.dfxp,
          scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: scaleWindow },
        },
        seed: 1234,
        kernels,
        train: first(mnist.train, 3200),
        onScales: (rec, at) => {
          if (at.phase === "training") last.push(rec);
        },
      });
      // the flush rate of block 1's output-projection gradient in the first training window
      const out = last[0]!.find((x) => names[x.layer] === "block1.out" && x.group === "dEdz")!;
      return { loss: r.epochs[r.epochs.length - 1]!.loss, flush: out.flushRate ?? Number.NaN };
    };
    // 3,200 images in batches of 64: 50 batches per epoch, 2 calibration epochs
    const enough = run(5); // 20 windows: the scales reach the gradients' range
    const few = run(25); // 4 windows: they stay near their initial 5 integer bits
    console.log(`dfxp: 20 windows ${JSON.stringify(enough)}, 4 windows ${JSON.stringify(few)}`);
    expect(few.flush).toBe(1);
    expect(few.loss).toBeGreaterThan(2.2); // ln 10 = 2.30: chance
    expect(enough.flush).toBeLessThan(0.5);
    expect(enough.loss).toBeLessThan(1.2);
  }, 600_000);
});
