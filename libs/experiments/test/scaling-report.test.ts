import { describe, expect, it } from "vitest";
import type { ResultRow, ScaleRow } from "@lowprec/report";
import { makeRow } from "../../report/test/fixtures.ts";
import {
  AT_CHANCE_ERROR,
  POLICY_WINNERS_INTRO,
  policyLosses,
  policyWinners,
  storageControlFacts,
} from "../src/index.js";

/** Runs of one scaling setting at one width, a ratio to float32 per seed. */
const runs = (dataset: string, setting: string, bits: number, ratios: readonly number[]): ResultRow[] =>
  ratios.map((normalizedError, i) =>
    makeRow({
      experiment: "scaling",
      variant: "budget",
      runId: `${dataset}-${setting}-${bits}-${i}`,
      dataset,
      setting,
      format: "mxint",
      propagationBits: bits,
      scaling: "block-scaled",
      seed: 1234 + i,
      normalizedError,
    }),
  );

describe("storageControlFacts: block-scaled with bfloat16 vs float32 stored parameters", () => {
  it("states both ratios per width with their intervals, and where the intervals part (hand-computed)", () => {
    // 6 bits: means 1.08 and 1.02, sd 0.01 each, half-width t(2) · 0.01 / √3 = 4.3027 · 0.00577 = 0.0248:
    // [1.055, 1.105] and [0.995, 1.045] do not overlap; 12 bits: [1.025, 1.075] and [1.025, 1.075] do
    const rows = [
      ...runs("pi-mnist", "block-scaled", 6, [1.08, 1.07, 1.09]),
      ...runs("pi-mnist", "block-scaled-f32", 6, [1.02, 1.01, 1.03]),
      ...runs("pi-mnist", "block-scaled", 12, [1.05, 1.04, 1.06]),
      ...runs("pi-mnist", "block-scaled-f32", 12, [1.06, 1.04, 1.05]),
      // another policy, and a width only one side ran: not part of the control
      ...runs("pi-mnist", "overflow-rate", 6, [1.2, 1.3]),
      ...runs("pi-mnist", "block-scaled", 8, [1.0, 1.1]),
    ];
    expect(storageControlFacts(rows)).toEqual([
      "PI MNIST, block-scaled with the parameters stored in bfloat16 vs in float32 (block-scaled-f32), ratio to " +
        "float32: 6 bits 1.080 [1.055, 1.105], n=3 vs 1.020 [0.995, 1.045], n=3; 12 bits 1.050 [1.025, 1.075], " +
        "n=3 vs 1.050 [1.025, 1.075], n=3. The two intervals do not overlap at 6 bits (of 6, 12).",
    ]);
  });

  it("says so when the intervals overlap everywhere, or when there is no interval; nothing without both", () => {
    const overlapping = [
      ...runs("pi-mnist", "block-scaled", 10, [1.0, 1.1]),
      ...runs("pi-mnist", "block-scaled-f32", 10, [1.05, 1.06]),
    ];
    expect(storageControlFacts(overlapping)[0]).toMatch(/overlap at every width compared \(10 bits\)\.$/);
    const single = [...runs("mnist-conv", "block-scaled", 6, [1.1]), ...runs("mnist-conv", "block-scaled-f32", 6, [1])];
    expect(storageControlFacts(single)).toEqual([
      "MNIST (conv), block-scaled with the parameters stored in bfloat16 vs in float32 (block-scaled-f32), ratio to " +
        "float32: 6 bits 1.100, n=1 vs 1.000, n=1. No width has two runs or more on both sides: no intervals to " +
        "compare.",
    ]);
    expect(storageControlFacts(runs("pi-mnist", "block-scaled", 6, [1.1, 1.2]))).toEqual([]);
    // failed runs do not count
    const failed = runs("pi-mnist", "block-scaled-f32", 6, [Number.NaN, Number.NaN]).map((r) => ({
      ...r,
      status: "failed",
    }));
    expect(storageControlFacts([...runs("pi-mnist", "block-scaled", 6, [1.1, 1.2]), ...failed])).toEqual([]);
  });
});

/** Telemetry rows of one group: a training window per (overflow rate, flush rate) pair. */
const windows = (group: string, rates: readonly [number, number][], phase = "training"): ScaleRow[] =>
  rates.map(([overflowRate, flushRate], i) => ({
    phase,
    epoch: 1,
    batch: 100 * (i + 1),
    examples: 10_000 * (i + 1),
    layer: 0,
    group,
    integerBits: 2,
    overflowRate,
    overflowRateHalfRange: overflowRate,
    flushRate,
    amax: 1,
  }));

describe("policyLosses: what each policy loses at the narrowest width", () => {
  const rows = [
    ...runs("pi-mnist", "overflow-rate", 6, [1.1, 1.2]),
    ...runs("pi-mnist", "predictive", 6, [1.5, 1.6]),
    ...runs("pi-mnist", "predictive", 8, [3, 3]), // wider: not tabulated, though worse
    ...runs("pi-mnist", "fp32", 32, [1, 1]).map((r) => ({ ...r, setting: "fp32" })),
  ];
  const telemetry: Record<string, ScaleRow[]> = {
    // means over the training windows: y overflow 2e-3, flush 0.2; ĝ_y overflow 1e-4, flush 0.2; ĝ_W flush 0.26;
    // calibration windows and a window without nonzero values (NaN) do not count
    "overflow-rate": [
      ...windows("y", [
        [0.001, 0.1],
        [0.003, 0.3],
      ]),
      ...windows("y", [[0.5, 0.9]], "calibration"),
      ...windows("w", [[0, 0.01]]),
      ...windows("dEdy", [
        [1e-4, 0.2],
        [1e-4, Number.NaN],
      ]),
      ...windows("dEdw", [[0, 0.26]]),
    ],
    predictive: [
      ...windows("y", [[0, 0.4]]),
      ...windows("w", [[0, 0.02]]),
      ...windows("dEdy", [[1e-4, 0.29]]),
      ...windows("dEdw", [[0, 0.39]]),
    ],
  };
  const [l] = policyLosses(rows, (d, s) => (d === "pi-mnist" ? telemetry[s] : undefined));

  it("tabulates each policy's ratio (interval over seeds) and mean rates at 6 bits", () => {
    expect(l!.dataset).toBe("pi-mnist");
    expect(l!.bits).toBe(6);
    // [1.5, 1.6]: mean 1.55, sd 0.0707, half-width t(1) · sd / √2 = 12.706 · 0.05 = 0.635
    const line = (p: string) => l!.markdown.split("\n").find((x) => x.startsWith(`| ${p} `))!;
    expect(
      line("predictive")
        .split("|")
        .map((c) => c.trim()),
    ).toEqual([
      "",
      "predictive",
      "1.550 [0.915, 2.185], n=2",
      "0",
      "0",
      "1.0e-4",
      "4.0e-1",
      "2.0e-2",
      "2.9e-1",
      "3.9e-1",
      "",
    ]);
    expect(
      line("overflow-rate")
        .split("|")
        .map((c) => c.trim()),
    ).toEqual([
      "",
      "overflow-rate",
      "1.150 [0.515, 1.785], n=2",
      "2.0e-3",
      "0",
      "1.0e-4",
      "2.0e-1",
      "1.0e-2",
      "2.0e-1",
      "2.6e-1",
      "",
    ]);
  });

  it("names the worst policy and states its rates beside the rule's, from the same numbers", () => {
    expect(l!.worst).toMatchObject({ policy: "predictive", ratio: 1.55, seed: 1234 });
    expect(l!.facts).toEqual([
      "At 6 bits on PI MNIST, predictive (ratio 1.550) against the paper's overflow-rate rule (1.150): flushed " +
        "to zero, the gradient 29 % vs 20 %, ĝ_W 39 % vs 26 %, y 40 % vs 20 %; overflow of y 0 vs 2.0e-3, of " +
        "the gradient 1.0e-4 vs 1.0e-4 (means over training, first seed). Above overflow-rate's: the gradient's " +
        "flush, ĝ_W's flush, y's flush.",
    ]);
  });

  it("states the rule's rates beside the best policy's when the rule is the worst", () => {
    const ruleWorst = policyLosses(
      [...runs("pi-mnist", "overflow-rate", 6, [2, 2.1]), ...runs("pi-mnist", "predictive", 6, [1, 1.1])],
      (_d, s) => telemetry[s],
    );
    expect(ruleWorst[0]!.worst!.policy).toBe("overflow-rate");
    expect(ruleWorst[0]!.facts).toEqual([
      "At 6 bits on PI MNIST, overflow-rate (ratio 2.050) against predictive, the lowest mean there (1.050): " +
        "flushed to zero, the gradient 20 % vs 29 %, ĝ_W 26 % vs 39 %, y 20 % vs 40 %; overflow of y 2.0e-3 vs 0, " +
        "of the gradient 1.0e-4 vs 1.0e-4 (means over training, first seed). Above predictive's: y's overflow.",
    ]);
  });

  it("when the worst did not train: each policy with a run at chance beside the best trained policy", () => {
    const chance = (r: ResultRow) => ({ ...r, testError: 90 });
    const losses = policyLosses(
      [
        ...runs("mnist-conv", "overflow-rate", 6, [20, 21]).map(chance),
        ...runs("mnist-conv", "predictive", 6, [22]).map(chance),
        ...runs("mnist-conv", "current-amax", 6, [1.1, 1.2]),
        // the storage control is never the reference, though lower
        ...runs("mnist-conv", "block-scaled-f32", 6, [1.0, 1.0]),
      ],
      (_d, s) => (s === "current-amax" || s === "block-scaled-f32" ? telemetry["predictive"] : telemetry[s]),
    );
    expect(losses[0]!.worst).toMatchObject({ policy: "predictive", ratio: 22 });
    expect(losses[0]!.facts).toEqual([
      "At 6 bits on MNIST (conv), predictive (ratio 22.000, a run at chance) against current-amax, the lowest mean " +
        "there (1.150): flushed to zero, the gradient 29 % vs 29 %, ĝ_W 39 % vs 39 %, y 40 % vs 40 %; overflow of y " +
        "0 vs 0, of the gradient 1.0e-4 vs 1.0e-4 (means over training, first seed). None of these rates is above " +
        "current-amax's: they do not account for the loss.",
      "At 6 bits on MNIST (conv), overflow-rate (ratio 20.500, a run at chance) against current-amax, the lowest " +
        "mean there (1.150): flushed to zero, the gradient 20 % vs 29 %, ĝ_W 26 % vs 39 %, y 20 % vs 40 %; overflow " +
        "of y 2.0e-3 vs 0, of the gradient 1.0e-4 vs 1.0e-4 (means over training, first seed). Above " +
        "current-amax's: y's overflow.",
    ]);
  });

  it("states nothing when a single policy has telemetry, or a policy lacks telemetry", () => {
    const alone = policyLosses(
      [...runs("pi-mnist", "overflow-rate", 6, [2, 2.1]), ...runs("pi-mnist", "current-amax", 6, [1, 1.1])],
      (_d, s) => telemetry[s],
    );
    expect(alone[0]!.worst!.policy).toBe("overflow-rate");
    expect(alone[0]!.facts).toEqual([]);
    const noTelemetry = policyLosses(rows, () => undefined);
    expect(noTelemetry[0]!.worst).toBeUndefined();
    expect(noTelemetry[0]!.markdown).toContain("| predictive ");
  });
});

describe("policyWinners: which policy wins at each width", () => {
  const rows = [
    // 8 bits: sd 0.02, half-width t(2) · 0.02 / √3 = 4.3027 · 0.011547 = 0.0497
    ...runs("pi-mnist", "overflow-rate", 8, [1.0, 1.02, 1.04]), // [0.970, 1.070]: the lowest
    ...runs("pi-mnist", "current-amax", 8, [1.05, 1.07, 1.09]), // [1.020, 1.120]: overlaps, level
    ...runs("pi-mnist", "predictive", 8, [1.2, 1.22, 1.24]), // [1.170, 1.270]: wholly above 1.070, worse
    ...runs("pi-mnist", "block-scaled", 8, [1.0]), // one run: no interval, not ranked
    ...runs("pi-mnist", "block-scaled-f32", 8, [0.5, 0.5, 0.5]), // the storage control: never ranked
    // a seed at chance (test error 88.6 % ≥ 80 %): counted apart, the policy not ranked at 8 bits, though its
    // interval [1.1, 1.1] ∪ 25 would overlap the lowest
    ...runs("pi-mnist", "delayed-amax", 8, [1.1, 1.1]),
    { ...runs("pi-mnist", "delayed-amax", 8, [25])[0]!, runId: "chance", seed: 1236, testError: 88.6 },
    // 10 bits: [1.0, 1.01] mean 1.005, sd 0.00707, half-width 12.706 · 0.005 = 0.0635: [0.941, 1.069];
    // the rule's three equal ratios give the interval [1.1, 1.1], wholly above
    ...runs("pi-mnist", "predictive", 10, [1.0, 1.01]),
    ...runs("pi-mnist", "overflow-rate", 10, [1.1, 1.1, 1.1]),
    // a failed run does not count: current-amax has one finite ratio left at 10 bits
    ...runs("pi-mnist", "current-amax", 10, [1.0]),
    ...runs("pi-mnist", "current-amax", 10, [Number.NaN]).map((r) => ({ ...r, runId: "x", status: "failed" })),
    // the baseline is not a policy; a width without two runs of any policy has no lowest
    ...runs("pi-mnist", "fp32", 32, [1, 1]).map((r) => ({ ...r, setting: "fp32" })),
    ...runs("mnist-conv", "delayed-amax", 12, [1.3]),
  ];
  const [pi, conv] = policyWinners(rows);

  it("ranks the policies with an interval per width, hand-computed", () => {
    expect(pi!.dataset).toBe("pi-mnist");
    const cells = pi!.markdown
      .split("\n")
      .slice(2)
      .map((l) =>
        l
          .split("|")
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(cells).toEqual([
      [
        "8",
        "overflow-rate 1.020 [0.970, 1.070], n=3",
        "current-amax 1.070 [1.020, 1.120]",
        "predictive 1.220 [1.170, 1.270]",
        "delayed-amax (1 of 3)",
        "block-scaled (n=1)",
      ],
      [
        "10",
        "predictive 1.005 [0.941, 1.069], n=2",
        "—",
        "overflow-rate 1.100 [1.100, 1.100]",
        "—",
        "current-amax (n=1)",
      ],
    ]);
    expect(pi!.facts).toEqual([
      "PI MNIST, overflow-rate: the lowest mean at 8 bits; worse than the lowest at 10.",
      "PI MNIST, delayed-amax: runs at chance: 1 of 3 at 8 bits.",
      "PI MNIST, current-amax: level with the lowest at 8.",
      "PI MNIST, predictive: the lowest mean at 10 bits; worse than the lowest at 8.",
    ]);
  });

  it("names no winner where no policy has two runs", () => {
    expect(conv!.dataset).toBe("mnist-conv");
    expect(conv!.markdown.split("\n")[2]).toMatch(/^\| +12 \| — +\| — +\| — +\| — +\| delayed-amax \(n=1\) +\|$/);
    expect(conv!.facts).toEqual([]);
    // every policy at chance: no lowest, the failures counted
    const [all] = policyWinners([
      ...runs("svhn", "overflow-rate", 6, [20, 21]).map((r) => ({ ...r, testError: 90 })),
      ...runs("svhn", "predictive", 6, [1.1, 20]).map((r, i) => ({ ...r, testError: i === 1 ? 80 : 5 })),
    ]);
    expect(all!.markdown.split("\n")[2]).toMatch(
      /^\| +6 \| — +\| — +\| — +\| overflow-rate \(2 of 2\), predictive \(1 of 2\) \| — +\|$/,
    );
    expect(all!.facts).toEqual([
      "SVHN, overflow-rate: runs at chance: 2 of 2 at 6 bits.",
      "SVHN, predictive: runs at chance: 1 of 2 at 6 bits.",
    ]);
    expect(POLICY_WINNERS_INTRO).toContain("wholly above");
    expect(POLICY_WINNERS_INTRO).toContain("block-scaled-f32 is not ranked");
    expect(POLICY_WINNERS_INTRO).toContain(`test error ≥ ${AT_CHANCE_ERROR} %`);
  });
});
