import { describe, expect, it } from "vitest";
import { TsBackend } from "@lowprec/tensor";
import {
  GROUPS,
  LayerPrecision,
  MX_OPERANDS,
  PAPER_LAYER,
  PRECISION_PRESETS,
  ROUNDING_POINTS,
  resolveGroup,
  type PolicyTable,
  type PrecisionSpec,
  type RoundingEvent,
} from "../src/index.js";

describe("the paper's layer as a table", () => {
  it("every point and MX operand names one of the ten groups; W and b are its stored parameters", () => {
    expect(PAPER_LAYER.groups).toEqual(GROUPS);
    for (const p of Object.values(ROUNDING_POINTS)) expect(GROUPS).toContain(p.group);
    for (const o of Object.values(MX_OPERANDS)) expect(GROUPS).toContain(o.group);
    expect(PAPER_LAYER.parameterGroups).toEqual(["w", "b"]);
    // the multiplier copies are the forward propagation-width passes of the parameter groups
    for (const name of PAPER_LAYER.copyPoints) {
      const p = ROUNDING_POINTS[name];
      expect([p.step, p.width, PAPER_LAYER.parameterGroups.includes(p.group)]).toEqual([
        "forward",
        "propagation",
        true,
      ]);
    }
  });

  it("a LayerPrecision without a table runs the paper's: the same specs and streams as one given PAPER_LAYER", () => {
    const spec = PRECISION_PRESETS.dfxp as PrecisionSpec;
    const [a, b] = [new LayerPrecision(spec, 1, 7), new LayerPrecision(spec, 1, 7, PAPER_LAYER)];
    for (const point of Object.keys(ROUNDING_POINTS) as (keyof typeof ROUNDING_POINTS)[])
      expect(a.at(point)).toEqual(b.at(point));
    expect(a.toJSON()).toEqual(b.toJSON());
  });
});

// A table that is not the paper's: three groups of an attention product, its own point names.
const ATTENTION: PolicyTable<"q" | "k" | "scores", "queries" | "keys" | "scores" | "testScores", never> = {
  name: "toy attention",
  groups: ["q", "k", "scores"],
  points: {
    queries: { step: "forward", group: "q", width: "propagation", observe: true, what: "q̂ = Q_p(q)" },
    keys: { step: "forward", group: "k", width: "propagation", observe: true, what: "k̂ = Q_p(k)" },
    scores: { step: "forward", group: "scores", width: "propagation", observe: true, what: "ŝ = Q_p(q̂·k̂ᵀ)" },
    testScores: { step: "test", group: "scores", width: "propagation", observe: false, what: "ŝ at test time" },
  },
  mxOperands: {},
  parameterGroups: [],
  copyPoints: [],
};

describe("LayerPrecision over another table", () => {
  const dfxp = PRECISION_PRESETS.dfxp as PrecisionSpec;
  const spec: PrecisionSpec = { ...dfxp, overrides: [{ group: "scores", propagationBits: 14 }] };

  it("resolves each group of the table with the policy's overrides by group name", () => {
    const p = new LayerPrecision(spec, 0, 1, ATTENTION);
    // dfxp 10/12 with 5 initial integer bits (the paper's preset), the override widening the scores to 14 bits
    expect(p.at("queries")).toMatchObject({ format: { kind: "dynamic-fixed", bits: 10 }, integerBits: 5 });
    expect(p.at("scores")).toMatchObject({ format: { kind: "dynamic-fixed", bits: 14 }, integerBits: 5 });
    expect(p.rule("scores").group).toBe("scores");
    expect(resolveGroup(spec, 0, "scores").propagation).toEqual(p.rule("scores").propagation);
  });

  it("moves a scale by the overflow-rate rule and reports it under the table's group names", () => {
    const p = new LayerPrecision(spec, 0, 1, ATTENTION);
    const events: RoundingEvent[] = [];
    p.recorder = (e) => events.push(e);
    // 14 bits with 5 integer bits: values up to 2^4 − 2^-9; 100 saturates: one overflow in four values, far above
    // the rule's 1e-4, so the window's close adds one integer bit (paper, Algorithm 1). q's values would fit with
    // one integer bit fewer (none reaches 2^3, half the range), so it gives one up; k saw no pass and keeps 5.
    TsBackend.quantize({ x: Float32Array.of(100, 1, 1, 1), ...p.at("scores")! });
    TsBackend.quantize({ x: Float32Array.of(0.5, 1, 1, 1), ...p.at("queries")! });
    expect(p.at("testScores")).toBeDefined(); // a test pass: neither observed nor counted
    p.endStep(4);
    p.closeScaleWindow();
    expect([p.integerBits("scores"), p.integerBits("q"), p.integerBits("k")]).toEqual([6, 4, 5]);
    const records = p.takeRecords();
    expect(records.map((r) => [r.group, r.overflowRate])).toEqual([
      ["q", 0],
      ["scores", 0.25],
    ]);
    expect(events.map((e) => [e.point, e.group, e.observed])).toEqual([
      ["scores", "scores", true],
      ["queries", "q", true],
      ["testScores", "scores", false],
    ]);
    // a checkpoint round trip keeps the moved scale
    const q = new LayerPrecision(spec, 0, 1, ATTENTION);
    q.restore(p.toJSON());
    expect(q.integerBits("scores")).toBe(6);
  });

  it("seeds each group's stream from its place in the table: another table, other streams", () => {
    const sr = { ...dfxp, rounding: "stochastic" } as PrecisionSpec;
    const toy = new LayerPrecision(sr, 0, 1, ATTENTION).at("queries")!.rng!;
    const paper = new LayerPrecision(sr, 0, 1);
    // q is the first group of the toy table, w the first of the paper's: the same stream seed
    expect(toy.seed).toBe(paper.at("weightsForMultiply")!.rng!.seed);
    expect(new LayerPrecision(sr, 0, 1, ATTENTION).at("keys")!.rng!.seed).not.toBe(toy.seed);
  });
});
