// The per-run lines: "test error" and "valid error" in words, a selection of epoch 0 named as the untrained network,
// dynamic fixed point's calibration epochs counted before the training epochs, and a run too short for its scales
// to settle warned about, with the number of windows a scale needs derived from the committed telemetry.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveConfig, type TrainConfig } from "@lowprec/maxout";
import { expandRuns, loadExperiment } from "../src/definitions.js";
import { epochExamples } from "../src/estimate.js";
import {
  calibrationNote,
  describeResult,
  INITIAL_INTEGER_BITS,
  runNotes,
  SETTLE_WINDOWS,
  settleNote,
} from "../src/run-lines.js";

describe("describeResult", () => {
  it("says test error and valid error, and the epoch they come from", () => {
    const s = { testErrorAtBestValid: 74.4, bestValidError: 73.6, bestEpoch: 1, epochsDone: 1 };
    expect(describeResult(s)).toBe("test error 74.40 % (valid error 73.60 %, epoch 1)");
  });

  it("names epoch 0 as the untrained network", () => {
    const s = { testErrorAtBestValid: 92.58, bestValidError: 90.23, bestEpoch: 0, epochsDone: 1 };
    expect(describeResult(s)).toBe("test error 92.58 % (untrained: no epoch improved on validation)");
    expect(describeResult({ ...s, epochsDone: 0 })).toBe("test error 92.58 % (untrained: no epoch trained)");
  });
});

describe("calibration epochs", () => {
  it("a 2-epoch dfxp run trains 2 calibration epochs first; fp32 and fixed point calibrate nothing", () => {
    const dfxp = resolveConfig("pi-mnist", "dfxp", { hyper: { epochs: 2 } });
    expect(calibrationNote(dfxp)).toBe("dfxp: 2 calibration epochs before the 2 training epochs");
    const one = resolveConfig("pi-mnist", "dfxp", { hyper: { epochs: 1 }, precision: { calibrationEpochs: 1 } });
    expect(calibrationNote(one)).toBe("dfxp: 1 calibration epoch before the 1 training epoch");
    expect(calibrationNote(resolveConfig("pi-mnist", "fp32", { hyper: { epochs: 2 } }))).toBeUndefined();
    expect(calibrationNote(resolveConfig("pi-mnist", "fixed", { hyper: { epochs: 2 } }))).toBeUndefined();
    expect(calibrationNote(resolveConfig("pi-mnist", "dfxp", { hyper: { epochs: 0 } }))).toBeUndefined();
  });
});

describe("scales that cannot settle", () => {
  it("the windows a scale may need: the farthest move from the initial integer bits in the committed dfxp run", () => {
    const root = new URL("../../../reports/results/budget/", import.meta.url);
    const which = JSON.parse(readFileSync(new URL("telemetry.json", root), "utf8")) as Record<string, string>;
    expect(which).toMatchObject({ dataset: "pi-mnist", setting: "dfxp", variant: "budget" });
    const [head, ...rows] = readFileSync(new URL("telemetry.csv", root), "utf8").trim().split("\n");
    const col = head!.split(",").indexOf("integerBits");
    const bits = rows.map((r) => Number(r.split(",")[col]));
    expect(bits.every(Number.isInteger)).toBe(true);
    // one bit per window (METHOD.md §2.2): a scale that ends k bits from where it started needs k windows at least
    const farthest = Math.max(...bits.map((b) => Math.abs(b - INITIAL_INTEGER_BITS)));
    expect(INITIAL_INTEGER_BITS).toBe(5);
    expect(farthest).toBe(SETTLE_WINDOWS);
  });

  it("the smoke variant's dfxp runs close too few windows; the budget variant's and other formats say nothing", () => {
    const smoke = expandRuns(loadExperiment("table2"), "smoke").filter((r) => r.setting === "dfxp");
    const pi = smoke.find((r) => r.dataset === "pi-mnist")!;
    // 1,000 examples: 10 batches an epoch, the window shrunk to 2 batches: 5 windows an epoch, 3 epochs in all
    expect(settleNote(pi.config, epochExamples(pi.config).train)).toBe(
      "warning: too short for the dfxp scales to settle: 15 scale window(s), fewer than the 16 a scale may need " +
        "(one bit per window from 5 integer bits)",
    );
    expect(runNotes(pi.config, 1000)).toEqual([
      "dfxp: 2 calibration epochs before the 1 training epoch",
      expect.stringMatching(/^warning: too short for the dfxp scales to settle: 15 scale window/),
    ]);
    const conv = smoke.find((r) => r.dataset === "mnist-conv")!;
    expect(settleNote(conv.config, epochExamples(conv.config).train)).toMatch(/: 6 scale window\(s\)/);
    // with one more training epoch the PI-MNIST smoke run closes 20 windows
    const piConfig = pi.config as TrainConfig;
    const longer = { ...piConfig, hyper: { ...piConfig.hyper, epochs: 2 } };
    expect(settleNote(longer, 1000)).toBeUndefined();
    const budget = expandRuns(loadExperiment("table2"), "budget").filter(
      (r) => r.setting === "dfxp" && r.seed === 1234,
    );
    const closes = (dataset: string) => {
      const r = budget.find((x) => x.dataset === dataset)!;
      return settleNote(r.config, epochExamples(r.config).train);
    };
    expect(closes("pi-mnist")).toBeUndefined();
    expect(closes("cifar10")).toBeUndefined();
    expect(closes("svhn")).toBeUndefined();
    // MNIST conv: 390 batches an epoch, the authors' window of 100 restarting every epoch: 3 windows an epoch, 5 epochs
    expect(closes("mnist-conv")).toMatch(/: 15 scale window\(s\), fewer than the 16/);
    const fixed = expandRuns(loadExperiment("table2"), "smoke").find((r) => r.setting === "fixed")!;
    expect(runNotes(fixed.config, 1000)).toEqual([]);
  });
});
