// A run's scale telemetry summarised per layer and group (issue 26: which groups of the ViT need the most integer
// bits; do the scores or the probabilities overflow first), and two networks' settings side by side; every expected
// value below is worked out by hand from the rows given.
import { describe, expect, it } from "vitest";
import {
  figureFacts,
  groupsAcrossLayers,
  groupSummariesFromCsv,
  groupSummariesToCsv,
  networksSideBySide,
  summarizeGroups,
  transformerSpec,
  type ScaleRow,
} from "../src/index.ts";
import { makeRow } from "./fixtures.ts";

function scale(over: Partial<ScaleRow>): ScaleRow {
  return {
    phase: "training",
    epoch: 1,
    batch: 10,
    examples: 100,
    layer: 0,
    group: "scores",
    integerBits: 3,
    overflowRate: 0,
    overflowRateHalfRange: 0,
    flushRate: 0,
    amax: 1,
    ...over,
  };
}

const rows: ScaleRow[] = [
  // layer 0 scores: calibration ends at 4 bits, training moves 5 then 6; overflows above 1e-4 at 300 examples
  scale({ phase: "calibration", epoch: 0, examples: 100, integerBits: 4, overflowRate: 0, amax: 9 }),
  scale({ examples: 200, integerBits: 5, overflowRate: 1e-5, flushRate: 0.1 }),
  scale({ examples: 300, integerBits: 6, overflowRate: 3e-4, flushRate: 0.3, amax: 40 }),
  // layer 0 probs: 1 bit throughout, overflows above the rate during calibration already (at 100)
  scale({ phase: "calibration", epoch: 0, group: "probs", examples: 100, integerBits: 1, overflowRate: 2e-4 }),
  scale({ group: "probs", examples: 200, integerBits: 1, overflowRate: 0, flushRate: Number.NaN }),
  scale({ group: "probs", examples: 300, integerBits: 1, overflowRate: 0, flushRate: 0.5 }),
  // layer 1 scores: 2 bits, never overflows
  scale({ layer: 1, examples: 200, integerBits: 2 }),
  scale({ layer: 1, examples: 300, integerBits: 2 }),
];

describe("summarizeGroups", () => {
  const s = summarizeGroups(rows, ["block1.attn", "block2.attn"]);
  it("gives one row per layer and group, with the scales, the rates and the first overflow", () => {
    expect(s.map((r) => `${r.name}/${r.group}`)).toEqual([
      "block1.attn/scores",
      "block1.attn/probs",
      "block2.attn/scores",
    ]);
    expect(s[0]).toEqual({
      layer: 0,
      name: "block1.attn",
      group: "scores",
      windows: 2,
      calibratedBits: 4,
      lastBits: 6,
      minBits: 4,
      maxBits: 6,
      meanOverflowRate: (1e-5 + 3e-4) / 2,
      maxOverflowRate: 3e-4,
      meanFlushRate: 0.2,
      amax: 40,
      firstOverflowExamples: 300,
    });
    // a window without nonzero values (NaN) is left out of the flush mean
    expect(s[1]).toMatchObject({ calibratedBits: 1, lastBits: 1, meanFlushRate: 0.5, firstOverflowExamples: 100 });
    expect(s[2]).toMatchObject({ calibratedBits: Number.NaN, firstOverflowExamples: Number.NaN, windows: 2 });
  });

  it("round-trips through its CSV, and names a bad cell", () => {
    const back = groupSummariesFromCsv(groupSummariesToCsv(s), "x.csv");
    expect(back.map((r) => [r.name, r.group, r.lastBits, r.firstOverflowExamples])).toEqual(
      s.map((r) => [r.name, r.group, r.lastBits, r.firstOverflowExamples]),
    );
    expect(back[0]!.meanOverflowRate).toBeCloseTo(1.55e-4, 10);
    const bad = groupSummariesToCsv(s).replace("block1.attn,scores,2", "block1.attn,scores,two");
    expect(() => groupSummariesFromCsv(bad, "x.csv")).toThrow(/^x\.csv: row 1, column "windows": not a number$/);
  });

  it("across layers: the span of the last bits, sorted by the most bits, the earliest overflow", () => {
    const a = groupsAcrossLayers(s);
    expect(a.map((g) => [g.group, g.layers, g.lastBits, g.maxLastBits, g.firstOverflowExamples])).toEqual([
      ["scores", 2, "2 to 6", 6, 300],
      ["probs", 1, "1", 1, 100],
    ]);
  });
});

describe("networksSideBySide", () => {
  it("puts each setting's normalised error per network in a row, and says whether the intervals overlap", () => {
    const r = (dataset: string, seed: number, normalizedError: number, setting = "dfxp") =>
      makeRow({ experiment: "transformer", dataset, seed, normalizedError, setting, format: "dynamic-fixed" });
    const rows = [
      r("vit-mnist", 1, 1.0),
      r("vit-mnist", 2, 1.2),
      r("vit-mnist", 3, 1.1),
      r("pi-mnist", 1, 2.0),
      r("pi-mnist", 2, 2.2),
      r("pi-mnist", 3, 2.1),
      makeRow({ experiment: "transformer", dataset: "pi-mnist", setting: "fp32", format: "float32" }),
      makeRow({ experiment: "transformer", dataset: "vit-mnist", setting: "fp32", format: "float32" }),
    ];
    const { markdown, facts } = networksSideBySide(rows, ["vit-mnist", "pi-mnist"]);
    // mean 1.1, sd 0.1, t(2) = 4.303: interval 1.1 ± 4.303 · 0.1 / √3 = [0.852, 1.348]; the other at 2.1
    expect(markdown).toMatch(/\| dfxp +\| +20 \| +20 \| 1\.100 ± 0\.100 \[0\.852, 1\.348\], n=3 \| 2\.100/);
    expect(markdown).not.toMatch(/fp32/);
    expect(facts).toEqual([
      "dfxp 20/20: ViT on MNIST 1.100 [0.852, 1.348], PI MNIST 2.100 [1.852, 2.348]; the 95 % intervals do not " +
        "overlap, the higher mean is PI MNIST's.",
    ]);
  });
});

describe("the transformer figure", () => {
  it("names each network's knee: the narrowest width from which no interval lies wholly above 1", () => {
    const rows = [];
    const above = [1.3, 1.4, 1.5],
      even = [0.95, 1.0, 1.1];
    for (const [dataset, kneeAt] of [
      ["vit-mnist", 8],
      ["pi-mnist", 12],
    ] as const)
      for (const bits of [6, 8, 10, 12, 14])
        for (const [i, ratio] of (bits < kneeAt ? above : even).entries())
          rows.push(
            makeRow({
              experiment: "transformer",
              dataset,
              setting: "dfxp",
              format: "dynamic-fixed",
              propagationBits: bits,
              updateBits: 12,
              seed: 1234 + i,
              normalizedError: ratio,
            }),
          );
    const facts = figureFacts("transformer", rows);
    expect(facts).toContain(
      "ViT on MNIST, dynamic fixed point: from 8 bits up (the widest swept: 14), no 95 % interval lies wholly " +
        "above 1; the paper's knee: about 10 bits.",
    );
    expect(facts).toContain(
      "PI MNIST, dynamic fixed point: from 12 bits up (the widest swept: 14), no 95 % interval lies wholly above 1; " +
        "the paper's knee: about 10 bits.",
    );
    const spec = JSON.stringify(transformerSpec(rows));
    expect(spec).toContain("paper (Maxout): dynamic ≈ 10");
  });
});
