import { describe, expect, it } from "vitest";
import type { ResultRow } from "@lowprec/report";
import { makeRow } from "../../report/test/fixtures.ts";
import { storageControlFacts } from "../src/index.js";

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
