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
    expect(facts[1]).toBe("The probabilities overflowed first (at 3,200 examples; the scores at 6,400 examples).");
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

  it("names its telemetry files by dataset, setting and width", () => {
    expect(transformerTelemetryFile({ dataset: "vit-mnist", setting: "dfxp", propagationBits: 6 })).toBe(
      "telemetry-transformer-vit-mnist-dfxp-6.csv",
    );
  });
});
