// The findings: each rule gives each of its verdicts on made-up rows whose intervals are known by hand, the knee
// of a made-up sweep, the knee's move from the budget's training to the long one, the rules file's validation
// (one line naming the file and the field), and the Markdown (one row per finding, one summary line).
//
// The hand facts: three seeds {m − δ, m, m + δ} have mean m and sample sd δ; the 95 % interval of the mean is
// m ± t(0.975, 2)·δ/√3 with t(0.975, 2) = 4.302653 (any t table), so m ± 2.484138·δ: ± 0.024841 for δ = 0.01.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { row } from "./result-row.js";
import { describe, expect, it } from "vitest";
import type { PaperTable2, ResultRow } from "@lowprec/report";
import {
  AT_CHANCE_ERROR,
  conditionsText,
  evaluateFindings,
  findingRulesPath,
  findingsMarkdown,
  FindingRulesError,
  loadFindingRules,
  sweepKnee,
  sweepOptimum,
  validateFindingRules,
  type Finding,
  type FindingRules,
  type Verdict,
} from "../src/findings.js";

const HALF_WIDTH = 0.024841; // t(0.975, 2) · 0.01 / √3, by hand from the t table

/** Three seeds around m: mean m, sd 0.01, interval m ± 0.024841. */
const three = (m: number): number[] => [m - 0.01, m, m + 0.01];

/** One done row per value (seeds 1234, 1235, ...), the value as both the normalised and the test error. */
function seeds(values: readonly number[], p: Partial<ResultRow> & Pick<ResultRow, "experiment" | "setting">) {
  return values.map((v, i) => row({ ...p, seed: 1234 + i, normalizedError: v, testError: v }));
}

/** Rules made of the given rule objects (validated as the shipped file is). */
function rules(...list: object[]): FindingRules {
  return validateFindingRules({ minN: 2, seeds: 3, rules: list }, "test-rules.json");
}

const common = (id: string, experiment: string) => ({
  id,
  beyondPaper: false,
  experiment,
  claim: "claim on {dataset}",
  source: "made up",
  rule: "rule",
});

/** A made-up Table 2: the ratios to fp32 are the values themselves (fp32 is 1 everywhere). */
const paper: PaperTable2 = {
  title: "made up",
  provenance: "made up",
  rows: [
    { setting: "fp32", label: "Float", propagationBits: 32, updateBits: 32, values: all(1, 1, 1, 1) },
    { setting: "half", label: "Half", propagationBits: 16, updateBits: 16, values: all(1.1, 1.1, 1.1, 1.1) },
    { setting: "fixed", label: "Fixed", propagationBits: 20, updateBits: 20, values: all(1.3, 1.3, 1.3, 1) },
    { setting: "dfxp", label: "Dynamic", propagationBits: 10, updateBits: 12, values: all(1.2, 1.4, 1.2, 1.2) },
  ],
};
function all(pi: number, conv: number, cifar: number, svhn: number): Record<string, number> {
  return { "pi-mnist": pi, "mnist-conv": conv, cifar10: cifar, svhn };
}

const verdicts = (fs: readonly Finding[]): Record<string, Verdict> =>
  Object.fromEntries(fs.map((f) => [f.id, f.verdict]));
const byId = (fs: readonly Finding[], id: string): Finding => {
  const f = fs.find((x) => x.id === id);
  if (!f) throw new Error(`no finding ${id} (have: ${fs.map((x) => x.id).join(", ")})`);
  return f;
};

describe("Table 2, each setting's ratio to float32 against the paper's", () => {
  const t2 = (p: Partial<ResultRow> & Pick<ResultRow, "setting">) => ({ experiment: "table2", ...p });
  const missing = "not run: data missing (run `lowprec fetch-data`)";
  const rows = [
    ...seeds(three(1.1), t2({ setting: "half" })), // [1.075, 1.125] holds the paper's 1.10
    ...seeds(three(1.15), t2({ setting: "fixed" })), // [1.125, 1.175]: the paper's 1.30 is above, both above 1
    ...seeds(three(0.95), t2({ setting: "dfxp" })), // [0.925, 0.975]: at most 1, the paper's 1.20 above 1
    ...seeds([1], t2({ setting: "half", dataset: "mnist-conv" })), // one seed
    ...seeds(three(1), t2({ setting: "fixed", dataset: "mnist-conv" })), // [0.975, 1.025] holds 1, not 1.30
    ...["half", "fixed", "dfxp"].map((s) =>
      row(t2({ setting: s, dataset: "cifar10", status: missing, testError: Number.NaN, normalizedError: Number.NaN })),
    ),
    ...seeds(three(1.2), t2({ setting: "fixed", dataset: "svhn" })), // [1.175, 1.225] above 1; the paper's is 1
  ];
  const ruleSet = rules({
    ...common("ratio", "table2"),
    kind: "table2-ratio",
    baseline: "fp32",
    settings: ["half", "fixed", "dfxp"],
  });
  const fs = evaluateFindings({ tables: new Map([["table2", rows]]), paper, rules: ruleSet });

  it("gives each verdict by the written rule", () => {
    expect(verdicts(fs)).toEqual({
      "ratio/pi-mnist/half": "reproduced",
      "ratio/pi-mnist/fixed": "partly",
      "ratio/pi-mnist/dfxp": "not reproduced",
      "ratio/mnist-conv/half": "not tested",
      "ratio/mnist-conv/fixed": "partly",
      "ratio/mnist-conv/dfxp": "not tested",
      "ratio/cifar10/half": "not tested",
      "ratio/cifar10/fixed": "not tested",
      "ratio/cifar10/dfxp": "not tested",
      "ratio/svhn/half": "not tested",
      "ratio/svhn/fixed": "not reproduced",
      "ratio/svhn/dfxp": "not tested",
    });
  });

  it("states the numbers, n, the interval and the conditions of the runs", () => {
    const e = byId(fs, "ratio/pi-mnist/half").evidence;
    expect(e).toContain(`1.100 ± 0.010 [${(1.1 - HALF_WIDTH).toFixed(3)}, ${(1.1 + HALF_WIDTH).toFixed(3)}], n=3`);
    expect(e).toContain("the paper's 1.100");
    expect(e).toContain("budget variant, 20 epochs on 10,000 training examples, 5,000 test images, n = 3");
    expect(byId(fs, "ratio/mnist-conv/fixed").evidence).toContain("contains 1");
  });

  it("not tested: n = 1 with the value, a missing column with its status and the command that runs it", () => {
    const one = byId(fs, "ratio/mnist-conv/half").evidence;
    expect(one).toContain("1.000, n=1 (no interval)");
    expect(one).toContain("n = 1");
    expect(one).toContain("`lowprec sweep table2 --variant budget --seeds 3 --only dataset=mnist-conv`");
    const gone = byId(fs, "ratio/cifar10/dfxp").evidence;
    expect(gone).toContain(missing);
    expect(gone).toContain("`lowprec sweep table2 --variant budget --seeds 3 --only dataset=cifar10`");
    expect(byId(fs, "ratio/svhn/dfxp").evidence).toMatch(/^no rows;/);
  });

  it("fills the claim with the paper's numbers", () => {
    const f = byId(fs, "ratio/pi-mnist/dfxp");
    expect(f.claim).toBe("claim on PI MNIST");
    const shipped = evaluateFindings({ tables: new Map([["table2", rows]]), paper });
    expect(byId(shipped, "table2-ratio/pi-mnist/dfxp").claim).toBe(
      "Dynamic on PI MNIST: 1.20 % test error against float32's 1.00 %, a ratio of 1.200",
    );
  });
});

describe("Table 2, the order of the settings in each column", () => {
  const t2 = (setting: string, dataset: string) => ({ experiment: "table2", setting, dataset });
  const column = (dataset: string, fp32: number[], half: number[], fixed: number[]) => [
    ...seeds(fp32, t2("fp32", dataset)),
    ...seeds(half, t2("half", dataset)),
    ...seeds(fixed, t2("fixed", dataset)),
  ];
  const ruleSet = rules({ ...common("order", "table2"), kind: "table2-order", settings: ["fp32", "half", "fixed"] });
  const rows = [
    ...column("pi-mnist", three(1), three(1.1), three(1.3)), // disjoint, in the paper's order
    ...column("mnist-conv", three(1), three(1.03), three(1.3)), // [0.975, 1.025] and [1.005, 1.055] overlap
    ...column("cifar10", three(1), three(1.1), three(0.9)), // fixed below float32: against the paper
    ...column("svhn", [1], [1.1], [1.3]),
  ];
  const fs = evaluateFindings({ tables: new Map([["table2", rows]]), paper, rules: ruleSet });

  it("gives each verdict", () => {
    expect(verdicts(fs)).toEqual({
      "order/pi-mnist": "reproduced",
      "order/mnist-conv": "partly",
      "order/cifar10": "not reproduced",
      "order/svhn": "not tested",
    });
    expect(byId(fs, "order/mnist-conv").evidence).toContain("not resolved (intervals overlap): fp32 vs half");
    expect(byId(fs, "order/cifar10").evidence).toContain("ordered against the paper: fixed < fp32");
    expect(byId(fs, "order/svhn").evidence).toContain("n = 1");
  });

  it("does not ask for an order the paper does not give (a tie in the paper)", () => {
    // svhn: the paper's fixed equals its fp32 (1.00), so only fp32 < half and fixed < half are asked for
    const svhn = column("svhn", three(1), three(1.1), three(0.9));
    const [f] = evaluateFindings({ tables: new Map([["table2", svhn]]), paper, rules: ruleSet }).filter(
      (x) => x.id === "order/svhn",
    );
    expect(f?.verdict).toBe("reproduced");
    expect(f?.claim).toBe("claim on SVHN");
    expect(f?.evidence).toContain("ordered as the paper: fp32 < half, fixed < half");
  });
});

describe("near float32: the upper end of the interval against a bound", () => {
  const t2 = (dataset: string) => ({ experiment: "table2", setting: "dfxp", dataset });
  const ruleSet = rules({
    ...common("near", "table2"),
    kind: "near-baseline",
    settings: ["dfxp"],
    tolerance: 1.25,
    paperRatio: true,
    rule: "at most {bound}",
  });
  const rows = [
    ...seeds(three(1.2), t2("pi-mnist")), // hi 1.2248 ≤ max(1.25, 1.20)
    ...seeds(three(1.4), t2("mnist-conv")), // [1.3752, 1.4248] holds max(1.25, 1.40) = 1.40
    ...seeds(three(1.3), t2("cifar10")), // lo 1.2752 > max(1.25, 1.20)
    ...seeds([1], t2("svhn")),
  ];
  const fs = evaluateFindings({ tables: new Map([["table2", rows]]), paper, rules: ruleSet });

  it("gives each verdict, the bound the larger of the tolerance and the paper's ratio", () => {
    expect(verdicts(fs)).toEqual({
      "near/pi-mnist/dfxp": "reproduced",
      "near/mnist-conv/dfxp": "partly",
      "near/cifar10/dfxp": "not reproduced",
      "near/svhn/dfxp": "not tested",
    });
    expect(byId(fs, "near/mnist-conv/dfxp").rule).toBe("at most 1.400");
    expect(byId(fs, "near/pi-mnist/dfxp").rule).toBe("at most 1.250");
  });

  it("without the paper's ratio the bound is the tolerance, for the datasets of the rows", () => {
    const f = rules({
      ...common("bf", "formats"),
      kind: "near-baseline",
      settings: ["bfloat16"],
      tolerance: 1.05,
      paperRatio: false,
    });
    const rows2 = seeds(three(1.03), { experiment: "formats", setting: "bfloat16" }); // hi 1.0548 > 1.05 ≥ lo
    const [one] = evaluateFindings({ tables: new Map([["formats", rows2]]), paper, rules: f });
    expect(one?.id).toBe("bf/pi-mnist/bfloat16");
    expect(one?.verdict).toBe("partly");
  });
});

describe("the radix-point optimum", () => {
  const ruleSet = rules({
    ...common("radix", "radix-point"),
    kind: "optimum",
    setting: "fixed",
    field: "integerBits",
    paper: 5,
    near: 1,
  });
  const at = (dataset: string, integerBits: number, values: number[]) =>
    seeds(values, { experiment: "radix-point", setting: "fixed", dataset, integerBits });
  const rows = [
    // best 5 [0.8852, 0.9348]; 6's mean 0.93 lies in it
    ...at("pi-mnist", 4, three(1)),
    ...at("pi-mnist", 5, three(0.91)),
    ...at("pi-mnist", 6, three(0.93)),
    ...at("pi-mnist", 7, three(1.2)),
    // best 6 [0.8752, 0.9248]; 5's mean 0.96 does not: best within 1 of 5
    ...at("mnist-conv", 5, three(0.96)),
    ...at("mnist-conv", 6, three(0.9)),
    // best 8, three from 5
    ...at("cifar10", 5, three(1.5)),
    ...at("cifar10", 8, three(0.9)),
    ...at("svhn", 5, [0.9]),
    ...at("svhn", 6, [0.95]),
  ];
  const fs = evaluateFindings({ tables: new Map([["radix-point", rows]]), paper, rules: ruleSet });

  it("gives each verdict", () => {
    expect(verdicts(fs)).toEqual({
      "radix/pi-mnist": "reproduced",
      "radix/mnist-conv": "partly",
      "radix/cifar10": "not reproduced",
      "radix/svhn": "not tested",
    });
    expect(byId(fs, "radix/pi-mnist").evidence).toContain("within its interval: 5, 6");
  });

  it("sweepOptimum: the lowest mean and the means inside its interval", () => {
    const s = (m: number) => ({
      n: 3,
      mean: m,
      sd: 0.01,
      halfWidth: HALF_WIDTH,
      lo: m - HALF_WIDTH,
      hi: m + HALF_WIDTH,
    });
    const o = sweepOptimum([
      { width: 4, summary: s(0.935) }, // 0.935 > 0.91 + 0.024841
      { width: 5, summary: s(0.91) },
      { width: 6, summary: s(0.93) },
    ]);
    expect(o.best).toBe(5);
    expect(o.ties).toEqual([5, 6]);
  });
});

describe("the knees", () => {
  /** Rows of one sweep: width → the three seeds' normalised errors (or fewer). */
  const sweep = (dataset: string, means: Record<number, number[]>, p: Partial<ResultRow> = {}) =>
    Object.entries(means).flatMap(([w, values]) =>
      seeds(values, { experiment: "prop-bits", setting: "fixed", dataset, propagationBits: Number(w), ...p }),
    );
  // each interval is the mean ± 0.0248; from 24 down, 24 (1), 22 (1.01), 20 (1.02) and 18 (0.98) reach 1 (lo ≤ 1),
  // 16 (1.03, lo 1.005) does not, so the knee is 18 although 14 (1.00) reaches 1 again: 14 does not count.
  const A = {
    12: three(3),
    14: three(1),
    16: three(1.03),
    18: three(0.98),
    20: three(1.02),
    22: three(1.01),
    24: three(1),
  };
  const kneeAt = (k: number) =>
    Object.fromEntries([12, 14, 16, 18, 20, 22, 24].map((w) => [w, three(w >= k ? 1 : 1.5)])) as Record<
      number,
      number[]
    >;
  const ruleSet = rules({
    ...common("knee", "prop-bits"),
    kind: "knee",
    setting: "fixed",
    field: "propagationBits",
    paper: 20,
    reproducedSteps: 1,
    partlySteps: 2,
  });

  it("sweepKnee on a made-up sweep, by hand: 18, and a narrower width within the bound does not count", () => {
    const points = Object.entries(A).map(([w, v]) => {
      const m = v[1]!;
      return {
        width: Number(w),
        summary: { n: 3, mean: m, sd: 0.01, halfWidth: HALF_WIDTH, lo: m - HALF_WIDTH, hi: m + HALF_WIDTH },
      };
    });
    const k = sweepKnee(points);
    expect(k?.knee).toBe(18);
    expect(k?.widest).toBe(24);
    expect(k?.step).toBe(2);
    expect(k?.below?.width).toBe(16);
    expect(k?.below?.summary.lo).toBeCloseTo(1.03 - HALF_WIDTH, 5);
    const one = points.map((p) =>
      p.width === 24 ? { ...p, summary: { ...p.summary, n: 1, sd: Number.NaN, halfWidth: Number.NaN } } : p,
    );
    expect(sweepKnee(one)).toBeUndefined();
    // every width shows a loss: the knee lies above the sweep; none does: the narrowest, with nothing below
    const all = (m: number) => points.map((p) => ({ ...p, summary: { ...p.summary, mean: m, lo: m - HALF_WIDTH } }));
    expect(sweepKnee(all(1.2))?.knee).toBe(Number.POSITIVE_INFINITY);
    const none = sweepKnee(all(1));
    expect(none?.knee).toBe(12);
    expect(none?.below).toBeUndefined();
  });

  it("gives each verdict: 1 step reproduced, 2 partly, 3 not, n = 1 at the widest not tested", () => {
    const rows = [
      ...sweep("pi-mnist", A), // 18: one step of 2 bits from 20
      ...sweep("mnist-conv", kneeAt(16)), // two steps
      ...sweep("cifar10", kneeAt(14)), // three steps
      ...sweep("svhn", { 22: three(1), 24: [1] }),
    ];
    const fs = evaluateFindings({ tables: new Map([["prop-bits", rows]]), paper, rules: ruleSet });
    expect(verdicts(fs)).toEqual({
      "knee/pi-mnist": "reproduced",
      "knee/mnist-conv": "partly",
      "knee/cifar10": "not reproduced",
      "knee/svhn": "not tested",
    });
    expect(byId(fs, "knee/pi-mnist").evidence).toContain(
      "budget: knee 18 (from it to 24 bits every 95 % interval reaches 1; 16 bits shows a loss: " +
        "1.030 ± 0.010 [1.005, 1.055], n=3)",
    );
    expect(byId(fs, "knee/svhn").evidence).toContain("n = 1 at 24 bits (no interval)");
    expect(byId(fs, "knee/pi-mnist").evidence).toContain("1 step of 2 bits from the paper's 20");
    expect(byId(fs, "knee/cifar10").evidence).toContain("3 steps of 2 bits from the paper's 20");
  });

  it("a knee at an end of the sweep says that the sweep does not show where the loss begins", () => {
    const rows = [...sweep("pi-mnist", kneeAt(12)), ...sweep("mnist-conv", kneeAt(24))];
    const fs = evaluateFindings({ tables: new Map([["prop-bits", rows]]), paper, rules: ruleSet });
    expect(byId(fs, "knee/pi-mnist").evidence).toContain("knee 12, the narrowest swept width: no loss anywhere");
    expect(byId(fs, "knee/mnist-conv").evidence).toContain("knee 24, the widest swept width");
  });

  it("with long runs: the knee at both lengths, how it moves, and the longest training decides", () => {
    const long = { variant: "long", trainLimit: 0 };
    const budget = [
      ...sweep("pi-mnist", kneeAt(16)),
      ...sweep("mnist-conv", kneeAt(20)),
      ...sweep("cifar10", kneeAt(18)),
      ...sweep("svhn", kneeAt(14)),
    ];
    const longer = [
      ...sweep("pi-mnist", kneeAt(18), long),
      ...sweep("mnist-conv", kneeAt(16), long),
      ...sweep("cifar10", kneeAt(18), long),
      ...sweep("svhn", { 20: three(1), 22: [1] }, long),
    ];
    const fs = evaluateFindings({
      tables: new Map([["prop-bits", budget]]),
      long: new Map([["prop-bits", longer]]),
      paper,
      rules: ruleSet,
    });
    const e = (d: string) => byId(fs, `knee/${d}`).evidence;
    expect(e("pi-mnist")).toContain("from budget to long the knee moves from 16 to 18, toward the paper's 20");
    expect(e("mnist-conv")).toContain("from budget to long the knee moves from 20 to 16, away from the paper's 20");
    expect(e("cifar10")).toContain("from budget to long the knee does not move");
    expect(e("pi-mnist")).toContain("the verdict uses long");
    expect(e("pi-mnist")).toContain("long variant, 20 epochs on the whole training set");
    expect(e("svhn")).toContain("long: n = 1 at 22 bits (no interval)");
    expect(verdicts(fs)).toEqual({
      "knee/pi-mnist": "reproduced", // long's 18 (budget's 16 would be partly)
      "knee/mnist-conv": "partly", // long's 16 (budget's 20 would be reproduced)
      "knee/cifar10": "reproduced",
      "knee/svhn": "not reproduced", // budget's 14: long has no knee
    });
  });
});

describe("the overflow-rate curve, flat up to 1e-4", () => {
  const ruleSet = rules({
    ...common("flat", "overflow-rate"),
    kind: "flat-up-to",
    setting: "dfxp",
    field: "maxOverflowRate",
    by: "propagationBits",
    threshold: 0.0001,
  });
  const curve = (dataset: string, propagationBits: number, byRate: [number, number[]][]) =>
    byRate.flatMap(([rate, values]) =>
      seeds(values, { experiment: "overflow-rate", setting: "dfxp", dataset, propagationBits, maxOverflowRate: rate }),
    );
  const rows = [
    // below 1 counts as flat; 1e-3 rises ([1.175, 1.225] above 1)
    ...curve("pi-mnist", 8, [
      [0.00001, three(0.9)],
      [0.0001, three(1)],
      [0.001, three(1.2)],
    ]),
    ...curve("pi-mnist", 10, [
      [0.00001, three(1)],
      [0.0001, three(1)],
      [0.001, three(1.5)],
    ]),
    // 10 bits flat but does not rise
    ...curve("mnist-conv", 8, [
      [0.0001, three(1)],
      [0.001, three(1.2)],
    ]),
    ...curve("mnist-conv", 10, [
      [0.0001, three(1)],
      [0.001, three(1)],
    ]),
    // a loss at 1e-4 at both widths
    ...curve("cifar10", 8, [
      [0.0001, three(1.2)],
      [0.001, three(1.5)],
    ]),
    ...curve("cifar10", 10, [
      [0.0001, three(1.2)],
      [0.001, three(1.5)],
    ]),
    ...curve("svhn", 8, [
      [0.0001, [1]],
      [0.001, [1.2]],
    ]),
  ];
  const fs = evaluateFindings({ tables: new Map([["overflow-rate", rows]]), paper, rules: ruleSet });

  it("gives each verdict", () => {
    expect(verdicts(fs)).toEqual({
      "flat/pi-mnist": "reproduced",
      "flat/mnist-conv": "partly",
      "flat/cifar10": "not reproduced",
      "flat/svhn": "not tested",
    });
    expect(byId(fs, "flat/mnist-conv").evidence).toContain("10 bits: flat up to 1e-4");
    expect(byId(fs, "flat/mnist-conv").evidence).toContain("does not rise above it");
    expect(byId(fs, "flat/svhn").evidence).toContain("n = 1 (a verdict needs n ≥ 2) at every point");
  });
});

describe("comparisons beyond the paper", () => {
  const pairs = (experiment: string, a: string, b: string, dataset: string, byWidth: [number, number[], number[]][]) =>
    byWidth.flatMap(([w, va, vb]) => [
      ...seeds(va, { experiment, setting: a, dataset, propagationBits: w }),
      ...seeds(vb, { experiment, setting: b, dataset, propagationBits: w }),
    ]);

  it("better: stochastic rounding better at every width, at some, worse, n = 1", () => {
    const ruleSet = rules({
      ...common("sr", "rounding"),
      kind: "compare",
      pairs: [{ a: "fixed-stochastic", b: "fixed-nearest" }],
      field: "propagationBits",
      relation: "better",
    });
    const p = (d: string, w: [number, number[], number[]][]) =>
      pairs("rounding", "fixed-stochastic", "fixed-nearest", d, w);
    const rows = [
      ...p("pi-mnist", [
        [12, three(1), three(2)],
        [14, three(1), three(1.5)],
      ]),
      ...p("mnist-conv", [
        [12, three(1), three(2)],
        [14, three(1), three(1.02)],
      ]), // 14: overlap
      ...p("cifar10", [
        [12, three(2), three(1)],
        [14, three(1), three(1.5)],
      ]),
      ...p("svhn", [[12, [1], [2]]]),
    ];
    const fs = evaluateFindings({ tables: new Map([["rounding", rows]]), paper, rules: ruleSet });
    expect(verdicts(fs)).toEqual({
      "sr/pi-mnist/fixed-stochastic": "reproduced",
      "sr/mnist-conv/fixed-stochastic": "partly",
      "sr/cifar10/fixed-stochastic": "not reproduced",
      "sr/svhn/fixed-stochastic": "not tested",
    });
    expect(byId(fs, "sr/svhn/fixed-stochastic").evidence).toContain("12: fixed-stochastic 1.00 vs fixed-nearest 2.00");
  });

  it("as good: delayed amax worse at no width, at some, at every, n = 1", () => {
    const ruleSet = rules({
      ...common("amax", "scaling"),
      kind: "compare",
      pairs: [{ a: "delayed-amax", b: "overflow-rate" }],
      field: "propagationBits",
      relation: "as-good",
    });
    const p = (d: string, w: [number, number[], number[]][]) => pairs("scaling", "delayed-amax", "overflow-rate", d, w);
    const rows = [
      ...p("pi-mnist", [
        [8, three(1.01), three(1)],
        [10, three(1.01), three(1)],
      ]),
      ...p("mnist-conv", [
        [8, three(1.5), three(1)],
        [10, three(1.01), three(1)],
      ]),
      ...p("cifar10", [
        [8, three(1.5), three(1)],
        [10, three(1.5), three(1)],
      ]),
      ...p("svhn", [[8, [1], [1]]]),
    ];
    const fs = evaluateFindings({ tables: new Map([["scaling", rows]]), paper, rules: ruleSet });
    expect(verdicts(fs)).toEqual({
      "amax/pi-mnist/delayed-amax": "reproduced",
      "amax/mnist-conv/delayed-amax": "partly",
      "amax/cifar10/delayed-amax": "not reproduced",
      "amax/svhn/delayed-amax": "not tested",
    });
  });
});

describe("comparisons: runs at chance", () => {
  it("more runs at chance (test error ≥ AT_CHANCE_ERROR) is worse, fewer better, whatever the intervals", () => {
    expect(AT_CHANCE_ERROR).toBe(80);
    const ruleSet = rules({
      ...common("amax", "scaling"),
      kind: "compare",
      pairs: [{ a: "delayed-amax", b: "overflow-rate" }],
      field: "propagationBits",
      relation: "as-good",
    });
    const at = (setting: string, dataset: string, w: number, ratios: number[], chance: readonly number[] = []) =>
      seeds(ratios, { experiment: "scaling", setting, dataset, propagationBits: w }).map((r, i) =>
        chance.includes(i) ? { ...r, testError: 88.56 } : r,
      );
    const rows = [
      // PI MNIST 6 bits: a seed of delayed amax at chance; its interval [1, 1, 25] contains overflow-rate's
      ...at("delayed-amax", "pi-mnist", 6, [1, 1, 25], [2]),
      ...at("overflow-rate", "pi-mnist", 6, three(1)),
      ...at("delayed-amax", "pi-mnist", 8, three(1)),
      ...at("overflow-rate", "pi-mnist", 8, three(1)),
      // MNIST conv 6 bits: both at chance on every seed (as bad); 8 bits level
      ...at("delayed-amax", "mnist-conv", 6, three(20), [0, 1, 2]),
      ...at("overflow-rate", "mnist-conv", 6, three(21), [0, 1, 2]),
      ...at("delayed-amax", "mnist-conv", 8, three(1)),
      ...at("overflow-rate", "mnist-conv", 8, three(1)),
      // CIFAR-10 6 bits: the rule has a run at 80 % exactly (at chance), delayed amax none
      ...at("delayed-amax", "cifar10", 6, three(1.5)),
      ...at("overflow-rate", "cifar10", 6, [1, 1, 20]).map((r, i) => (i === 2 ? { ...r, testError: 80 } : r)),
    ];
    const fs = evaluateFindings({ tables: new Map([["scaling", rows]]), paper, rules: ruleSet });
    expect(verdicts(fs)).toMatchObject({
      "amax/pi-mnist/delayed-amax": "partly",
      "amax/mnist-conv/delayed-amax": "reproduced",
      "amax/cifar10/delayed-amax": "reproduced",
    });
    expect(byId(fs, "amax/pi-mnist/delayed-amax").evidence).toContain(", worse (1 of 3 runs at chance vs 0 of 3); 8");
    expect(byId(fs, "amax/mnist-conv/delayed-amax").evidence).toContain(", as bad (3 of 3 runs at chance vs 3 of 3);");
    expect(byId(fs, "amax/cifar10/delayed-amax").evidence).toContain(", better (0 of 3 runs at chance vs 1 of 3)");
  });
});

describe("the shipped rules on no rows", () => {
  it("every claim is there, not tested, with the command that would run it", () => {
    const fs = evaluateFindings({ tables: new Map(), paper });
    // 4 columns × 3 settings, 4 orders, 4 near-float32; radix 2 datasets, 4 knees × 2, overflow 2 (budget);
    // beyond (budget datasets): bfloat16 1, FP8 2, rounding 2 pairs (PI-MNIST); delayed amax 1 and the other
    // scalers 3 pairs on PI-MNIST and MNIST conv; MXFP8 1 (PI-MNIST); the transformer's knee 2 (the ViT, PI-MNIST)
    expect(fs.filter((f) => !f.beyondPaper)).toHaveLength(12 + 4 + 4 + 2 + 8 + 2);
    expect(fs.filter((f) => f.beyondPaper)).toHaveLength(1 + 2 + 2 + 2 * (1 + 3) + 1 + 2);
    expect(new Set(fs.map((f) => f.id)).size).toBe(fs.length);
    for (const f of fs) {
      expect(f.verdict, f.id).toBe("not tested");
      expect(f.evidence, f.id).toMatch(/no rows.*`lowprec sweep [a-z0-9-]+ --variant budget --seeds 3 --only dataset=/);
    }
  });
});

describe("the rules file", () => {
  const shipped = JSON.parse(readFileSync(findingRulesPath(), "utf8")) as { rules: Record<string, unknown>[] };
  const dir = mkdtempSync(join(tmpdir(), "lowprec-findings-"));
  const withChange = (name: string, change: (raw: { minN?: unknown; rules: Record<string, unknown>[] }) => void) => {
    const raw = JSON.parse(JSON.stringify(shipped)) as { rules: Record<string, unknown>[] };
    change(raw);
    const p = join(dir, `${name}.json`);
    writeFileSync(p, JSON.stringify(raw));
    return p;
  };

  it("the shipped file loads: the paper's claims, then the ones beyond it", () => {
    const r = loadFindingRules();
    expect(r.minN).toBe(3);
    expect(r.rules.map((x) => `${x.id}${x.beyondPaper ? "*" : ""}`)).toEqual([
      "table2-ratio",
      "table2-order",
      "dfxp-near-fp32",
      "radix-point",
      "knee-prop-fixed",
      "knee-prop-dfxp",
      "knee-update-fixed",
      "knee-update-dfxp",
      "overflow-rate",
      "bfloat16*",
      "fp8*",
      "stochastic-rounding*",
      "delayed-amax*",
      "other-scalers*",
      "mxfp8*",
      "knee-transformer*",
    ]);
  });

  const cases: [string, (raw: { minN?: unknown; rules: Record<string, unknown>[] }) => void, RegExp][] = [
    [
      "setting",
      (r) => ((r.rules[0]!["settings"] as string[])[1] = "hlaf"),
      /rules\[0\]\.settings\[1\]: "hlaf" is not a setting of table2/,
    ],
    ["tolerance", (r) => (r.rules[2]!["tolerance"] = "x"), /rules\[2\]\.tolerance: expected a ratio ≥ 1, got "x"/],
    ["kind", (r) => (r.rules[0]!["kind"] = "ratio"), /rules\[0\]\.kind: expected one of .*, got "ratio"/],
    ["unknown", (r) => (r.rules[3]!["colour"] = "red"), /rules\[3\]\.colour: unknown field/],
    ["placeholder", (r) => (r.rules[0]!["claim"] = "on {datset}"), /rules\[0\]\.claim: unknown placeholder \{datset\}/],
    ["twice", (r) => (r.rules[1]!["id"] = "table2-ratio"), /rules\[1\]\.id: "table2-ratio" is used twice/],
    ["minN", (r) => (r.minN = 1), /: minN: expected an integer from 2 to 100, got 1/],
    ["experiment", (r) => (r.rules[4]!["experiment"] = "nope"), /rules\[4\]\.experiment: unknown experiment "nope"/],
    ["paper", (r) => (r.rules[4]!["paper"] = -3), /rules\[4\]\.paper: expected a width > 0, got -3/],
    ["field", (r) => (r.rules[8]!["by"] = "bits"), /rules\[8\]\.by: expected one of propagationBits, .*, got "bits"/],
  ];
  for (const [name, change, message] of cases)
    it(`refuses a bad ${name} in one line naming the file and the field`, () => {
      const p = withChange(name, change);
      let error: unknown;
      try {
        loadFindingRules(p);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FindingRulesError);
      const msg = (error as Error).message;
      expect(msg.startsWith(`${p}: `)).toBe(true);
      expect(msg).toMatch(message);
      expect(msg).not.toContain("\n");
    });

  it("refuses a file that is not JSON", () => {
    const p = join(dir, "broken.json");
    writeFileSync(p, "{ rules: [");
    expect(() => loadFindingRules(p)).toThrow(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: not JSON`));
  });
});

describe("conditions and Markdown", () => {
  it("the conditions name the variant, epochs, subset, test images and n", () => {
    const whole = seeds(three(1), {
      experiment: "table2",
      setting: "fp32",
      epochs: 50,
      trainLimit: 0,
      testExamples: 10_000,
    });
    expect(conditionsText(whole, [3])).toBe(
      "budget variant, 50 epochs on the whole training set, 10,000 test images, n = 3",
    );
    const old = seeds([1], { experiment: "table2", setting: "fp32", testExamples: Number.NaN });
    expect(conditionsText(old, [1, 3])).toBe(
      "budget variant, 20 epochs on 10,000 training examples, test images not recorded, n = 1–3",
    );
    const one = seeds([1], { experiment: "scaling", setting: "fp32", epochs: 1, trainLimit: 0, testExamples: 4992 });
    expect(conditionsText(one, [1])).toBe(
      "budget variant, 1 epoch on the whole training set, 4,992 test images, n = 1",
    );
  });

  it("one table row per finding, then one summary line counting the verdicts", () => {
    const f = (id: string, verdict: Verdict, beyondPaper: boolean): Finding => ({
      id,
      claim: `claim ${id}`,
      source: "s",
      evidence: "a | b", // a pipe stays inside its cell
      verdict,
      rule: "r",
      beyondPaper,
    });
    const md = findingsMarkdown([f("a", "reproduced", false), f("b", "not tested", false), f("c", "partly", true)]);
    const lines = md.trimEnd().split("\n");
    const table = lines.filter((l) => l.startsWith("|"));
    expect(table).toHaveLength(2 + 2 + 2 + 1); // two tables: header and rule each, a row per finding
    expect(table.filter((l) => /^\| +\d/.test(l)).map((l) => l.split(/(?<!\\)\|/).length)).toEqual([7, 7, 7]);
    expect(table[table.length - 1]).toMatch(/^\| +3 \| claim c/);
    expect(lines[0]).toBe(
      "2 findings on the paper's claims: 1 reproduced, 0 partly, 0 not reproduced, 1 not tested; " +
        "1 finding beyond the paper: 0 reproduced, 1 partly, 0 not reproduced, 0 not tested.",
    );
    // the three share one rule: listed once with their numbers
    expect(lines[lines.length - 1]).toBe("- findings 1–3: r");
  });
});
