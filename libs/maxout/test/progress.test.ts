// The per-epoch line says which error is which ("train error", "valid error", "test error") and names a best epoch of
// 0 as the untrained network; windowsClosed counts as far as it is asked.
import { describe, expect, it } from "vitest";
import { describeBest, formatEpochLine, resolveConfig, windowsClosed, type EpochMetrics } from "../src/index.js";

const metrics = (epoch: number, best: number): EpochMetrics => ({
  epoch,
  learningRate: 0.05,
  momentum: 0.5,
  loss: 0.1234,
  trainError: 4.21,
  validError: 1.98,
  testError: 2.05,
  validLoss: 0.1,
  trainSeconds: 10,
  seconds: 12.3,
  examplesPerSecond: 4067,
  bestEpoch: best,
  bestValidError: best ? 1.98 : 90.23,
  bestTestError: best ? 2.05 : 92.58,
});

describe("formatEpochLine", () => {
  it("names every error", () => {
    expect(formatEpochLine(metrics(3, 3), 10, 86)).toBe(
      "epoch  3/10  loss 0.1234  train error 4.21%  valid error 1.98%  test error 2.05%  " +
        "best epoch 3 (valid error 1.98%, test error 2.05%)  12.3s  4067 ex/s  ETA 1m26s",
    );
  });

  it("a best epoch of 0 is the untrained network", () => {
    expect(describeBest(metrics(1, 0))).toBe("best epoch 0 (untrained: no epoch improved on validation)");
    expect(formatEpochLine(metrics(1, 0), 1, 0)).toContain("test error 2.05%  best epoch 0 (untrained: ");
  });
});

describe("windowsClosed", () => {
  it("counts up to the windows asked for", () => {
    // 1,000 examples, batches of 100, a window of 2 batches: 5 windows an epoch; 2 calibration epochs, 3 training
    const config = resolveConfig("pi-mnist", "dfxp", {
      hyper: { epochs: 3 },
      trainLimit: 1000,
      precision: { scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 2 } },
    });
    expect(windowsClosed(config, 1000)).toEqual({ calibration: 2, training: 2 });
    expect(windowsClosed(config, 1000, 16)).toEqual({ calibration: 10, training: 15 });
    expect(windowsClosed(config, 1000, 12)).toEqual({ calibration: 10, training: 12 });
  });
});
