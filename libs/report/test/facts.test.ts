// Caption sentences about a run's scales, computed from hand-made telemetry whose moves are known.
import { describe, expect, it } from "vitest";
import { groupFamily, groupMovements, learningCurveFacts, telemetryFacts } from "../src/facts.js";
import type { ScaleRow } from "../src/rows.js";

function row(phase: string, epoch: number, layer: number, group: string, integerBits: number): ScaleRow {
  return {
    phase,
    epoch,
    batch: 100,
    examples: epoch * 10_000,
    layer,
    group,
    integerBits,
    overflowRate: 0,
    overflowRateHalfRange: 0,
    amax: 1,
  };
}

// Two layers. Calibration: 2 windows; training: 3 windows. update_w falls 4 and 2 bits over training,
// dEdw moves 1 bit in layer 0 only, w does not move.
const rows: ScaleRow[] = [];
const plan: Record<string, [number[], number[]]> = {
  w: [
    [4, 3],
    [3, 3, 3],
  ],
  dEdw: [
    [4, 1],
    [1, 0, 0],
  ],
  update_w: [
    [4, -2],
    [-3, -5, -6],
  ],
};
for (const layer of [0, 1])
  for (const [g, [cal, tr]] of Object.entries(plan)) {
    cal.forEach((ib, i) => {
      rows.push(row("calibration", i + 1, layer, g, ib));
    });
    tr.forEach((ib, i) => {
      const moved = layer === 1 && g === "update_w" ? [-3, -4, -4][i]! : layer === 1 && g === "dEdw" ? 1 : ib;
      rows.push(row("training", i + 1, layer, g, moved));
    });
  }
rows.sort((a, b) => (a.phase === b.phase ? a.epoch - b.epoch : a.phase === "calibration" ? -1 : 1));

describe("telemetry facts", () => {
  it("measures each group's move from the end of calibration to the last window", () => {
    const m = groupMovements(rows);
    const get = (layer: number, g: string) => m.find((x) => x.layer === layer && x.group === g)!;
    expect(get(0, "update_w").trainingChange).toBe(-6 - -2);
    expect(get(1, "update_w").trainingChange).toBe(-4 - -2);
    expect(get(0, "dEdw").trainingChange).toBe(0 - 1);
    expect(get(1, "dEdw").trainingChange).toBe(0);
    expect(get(0, "w").trainingChange).toBe(0);
    expect([get(0, "w").calibrationFirst, get(0, "w").calibrationLast]).toEqual([4, 3]);
  });
  it("states the largest family first, with the range over the layers", () => {
    expect(telemetryFacts(rows)).toEqual([
      "Calibration (2 windows) took the groups from 4 integer bits in its first window to between −2 and 3 in its " +
        "last.",
      "Over training (3 windows after calibration), a group's move is its integer bits in the last window minus " +
        "those at the end of calibration, as a range over the 2 layers.",
      "Momentum velocities: moved by at most 4 bits (update_w −4 to −2).",
      "Gradients: moved by at most 1 bit (dEdw −1 to 0).",
      "Weights and biases: did not move (w).",
    ]);
  });
  it("says nothing without rows, and names the family of each of the ten groups", () => {
    expect(telemetryFacts([])).toEqual([]);
    expect(["w", "b", "z", "y", "dEdy", "dEdz", "dEdw", "dEdb", "update_w", "update_b"].map(groupFamily)).toEqual([
      "weights and biases",
      "weights and biases",
      "weighted sums and outputs",
      "weighted sums and outputs",
      "gradients",
      "gradients",
      "gradients",
      "gradients",
      "momentum velocities",
      "momentum velocities",
    ]);
    expect(groupFamily("q")).toBe("other");
  });
});

describe("learningCurveFacts", () => {
  const point = (epoch: number, validError: number, testError: number, loss: number) => ({
    epoch,
    validError,
    testError,
    loss,
  });
  // 2,000 validation and 2,000 test examples: 0.05 % is one example
  const runs = [
    {
      setting: "fp32",
      history: [point(0, 90, 90, Number.NaN), point(1, 20, 21, 1.0), point(2, 8, 10.2, 0.5)],
      bestEpoch: 2,
      bestTestError: 10.2,
    },
    {
      setting: "half",
      // epoch 0 differs by 10 examples but does not count; epoch 1: 3 examples; epoch 2: 1; loss 0.52 vs 0.5: 4 %
      history: [point(0, 90.5, 90, Number.NaN), point(1, 20.15, 21, 1.01), point(2, 8.05, 10.2, 0.52)],
      bestEpoch: 2,
      bestTestError: 10.2,
    },
    {
      setting: "dfxp",
      history: [point(0, 90, 90, Number.NaN), point(1, 25, 25, 1.2), point(2, 7.35, 10.35, 0.45)],
      bestEpoch: 2,
      bestTestError: 10.35,
    },
  ];

  it("states the fall, the gap to the baseline in examples and the same reported counts", () => {
    expect(learningCurveFacts(runs, { baseline: "fp32", validExamples: 2000, testExamples: 2000 })).toEqual([
      "Validation error from epoch 0 to epoch 2: fp32 90.00 % → 8.00 %, half 90.50 % → 8.05 %, dfxp 90.00 % → 7.35 %.",
      "After epoch 0, the validation errors differ from fp32's, in examples of 2,000: half by at most 3 (training " +
        "loss within 4.0 %), dfxp by at most 100 (training loss within 20.0 %).",
      "fp32, half report the same test error, 204 of 2,000 examples wrong (10.20 %): the same count, not " +
        "necessarily the same examples.",
    ]);
  });

  it("says when every reported error differs; nothing without history; rejects empty example counts", () => {
    const facts = learningCurveFacts([runs[0]!, runs[2]!], {
      baseline: "fp32",
      validExamples: 2000,
      testExamples: 2000,
    });
    expect(facts.at(-1)).toBe("The reported test errors all differ (in examples of 2,000).");
    expect(learningCurveFacts([], { baseline: "fp32", validExamples: 1, testExamples: 1 })).toEqual([]);
    expect(() => learningCurveFacts(runs, { baseline: "fp32", validExamples: 0, testExamples: 2000 })).toThrow(
      "example counts must be positive, got 0, 2000",
    );
  });
});
