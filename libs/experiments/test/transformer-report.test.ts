// The transformer section's sentences about the ViT's groups (issue 26): which group needs the most integer bits,
// and whether the attention scores or the probabilities first overflowed more than the rule allows, computed from a
// telemetry summary made by hand here.
import { describe, expect, it } from "vitest";
import type { GroupSummary } from "@lowprec/report";
import { attentionFacts, transformerTelemetryFile } from "../src/report.js";

const g = (name: string, group: string, lastBits: number, firstOverflowExamples: number): GroupSummary => ({
  layer: 0,
  name,
  group,
  windows: 10,
  calibratedBits: lastBits,
  lastBits,
  minBits: lastBits,
  maxBits: lastBits,
  meanOverflowRate: 0,
  maxOverflowRate: 0,
  meanFlushRate: 0,
  amax: 1,
  firstOverflowExamples,
});

describe("attentionFacts", () => {
  it("names the group with the most integer bits and its layers, and whether scores or probs overflowed first", () => {
    const facts = attentionFacts([
      g("block1.attn", "scores", 4, 6400),
      g("block2.attn", "scores", 7, Number.NaN),
      g("block1.attn", "probs", 1, 3200),
      g("block1.q", "z", 7, Number.NaN),
      g("block2.fc1", "y", 3, 100),
    ]);
    // scores and z both reach 7: sorted by name after the bits
    expect(facts[0]).toBe("The most integer bits at the end: scores, 7 (block2.attn).");
    // g() leaves every rate at 0: no rate sentence
    expect(facts[1]).toBe("The probabilities overflowed first (at 3,200 examples; the scores at 6,400 examples).");
    expect(facts).toHaveLength(2);
  });

  it("says so when neither overflowed, when only the scores did, and when both did in the same window", () => {
    expect(attentionFacts([g("a", "scores", 3, Number.NaN), g("a", "probs", 1, Number.NaN)])[1]).toBe(
      "Neither the scores nor the probabilities ever overflowed more than the rule's rate in a window.",
    );
    expect(attentionFacts([g("a", "scores", 3, 500), g("a", "probs", 1, Number.NaN)])[1]).toBe(
      "The scores overflowed first (at 500 examples; the probabilities never).",
    );
    expect(attentionFacts([g("a", "scores", 3, 500), g("a", "probs", 1, 500)])[1]).toBe(
      "The scores and the probabilities first overflowed in the same window (500 examples).",
    );
  });

  it("one radix point for all, and the highest flush and overflow rates (mean over layers), at most three", () => {
    const rated = (name: string, group: string, flush: number, overflow: number) => ({
      ...g(name, group, 5, Number.NaN),
      meanFlushRate: flush,
      meanOverflowRate: overflow,
    });
    const facts = attentionFacts([
      rated("block1.attn", "dEdscores", 0.9, 0),
      rated("block2.attn", "dEdscores", 0.7, 0),
      rated("block1.attn", "dEdcontext", 0.76, 0),
      rated("block1.q", "dEdz", 0.5, 1e-4),
      rated("block1.q", "z", 0.01, 5.4e-2),
      rated("block1.attn", "scores", 0, 6.3e-2),
    ]);
    expect(facts.slice(0, 3)).toEqual([
      "Every group keeps 5 integer bits: one radix point for all.",
      "The highest mean rates of nonzero values rounded to zero: dEdscores 8.0e-1, dEdcontext 7.6e-1, dEdz 5.0e-1.",
      "The highest mean overflow rates: scores 6.3e-2, z 5.4e-2, dEdz 1.0e-4.",
    ]);
  });

  it("names its telemetry files by dataset, setting and width", () => {
    expect(transformerTelemetryFile({ dataset: "vit-mnist", setting: "dfxp", propagationBits: 6 })).toBe(
      "telemetry-transformer-vit-mnist-dfxp-6.csv",
    );
  });
});
