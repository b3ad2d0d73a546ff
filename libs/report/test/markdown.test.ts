import { describe, expect, it } from "vitest";
import {
  conditionsLine,
  markdownTable,
  resultsTableMarkdown,
  table2Markdown,
  table2RatiosMarkdown,
  type ResultRow,
} from "../src/index.ts";
import { makeRow, PAPER } from "./fixtures.ts";

describe("markdownTable", () => {
  it("pads columns, aligns right on request, escapes pipes and line breaks", () => {
    const t = markdownTable(
      ["name", "n"],
      [
        ["a|b", "1"],
        ["two\nlines", "100"],
      ],
      ["l", "r"],
    );
    expect(t).toBe(
      ["| name         |   n |", "| ------------ | --: |", "| a\\|b         |   1 |", "| two<br>lines | 100 |"].join(
        "\n",
      ),
    );
    expect(() => markdownTable(["a"], [["1", "2"]])).toThrow("row 1 has 2 cells");
  });
});

/** The cell of `setting` (its table row found by label) in column `col` (0: the label). */
function cell(md: string, label: string, col: number): string {
  const line = md.split("\n").find((l) => l.startsWith(`| ${label}`));
  if (line === undefined) throw new Error(`no row ${label}`);
  return line.replace(/^\| /, "").replace(/ \|$/, "").split(" | ")[col]!.trim();
}

// Three seeds of fp32 and fixed on PI-MNIST. Hand computations (t(0.975, 2) = 4.302652729749462, scipy):
// fp32 errors 1.0, 1.2, 1.4: mean 1.2, sd 0.2, half width 4.3027 · 0.2 / √3 = 0.4968 → [0.70, 1.70].
// fixed errors 1.1, 1.5, 1.4: mean 1.3333, sd 0.2082, half width 0.5171 → [0.82, 1.85]; paper 1.39 → −0.06.
// fixed ÷ fp32 of the same seed: 1.1, 1.25, 1.0: mean 1.1167, sd 0.1258, half width 0.3126 → [0.804, 1.429];
// the paper's 1.39 / 1.05 = 1.324.
const fp32Errors = [1.0, 1.2, 1.4];
const fixedErrors = [1.1, 1.5, 1.4];
const threeSeeds: ResultRow[] = [0, 1, 2].flatMap((i) => [
  makeRow({
    setting: "fp32",
    format: "float32",
    seed: i + 1,
    testError: fp32Errors[i]!,
    baselineTestError: fp32Errors[i]!,
  }),
  makeRow({ setting: "fixed", seed: i + 1, testError: fixedErrors[i]!, baselineTestError: fp32Errors[i]! }),
]);

describe("table2Markdown", () => {
  it("a paper-length run adds its best epoch and run time; a run stopped part way is progress, not bold", () => {
    const rows = [
      makeRow({ setting: "fp32", format: "float32", epochs: 800, epochsDone: 800, bestEpoch: 612, seconds: 4020 }),
      makeRow({
        setting: "fixed",
        epochs: 800,
        status: "interrupted after epoch 393",
        epochsDone: 393,
        bestEpoch: 380,
        testError: 1.25,
        normalizedError: Number.NaN,
      }),
      ...[1, 2, 3].map((seed) => makeRow({ setting: "fixed", variant: "budget", seed, testError: 1.3 + seed / 100 })),
    ];
    const md = table2Markdown(rows, PAPER);
    expect(cell(md, "Single precision", 3)).toBe(
      "**1.20, n=1 (no interval)** (paper 1.05, +0.15), seed 1, 800 ep, all train, 10000 test, best epoch 612, 1.12 h",
    );
    const fixed = cell(md, "Fixed point", 3).split("<br>");
    // the budget runs are the result; the paper-length run is its progress so far, in plain text
    expect(fixed[0]).toMatch(/^\*\*1\.32 ± 0\.01 \[/);
    expect(fixed[0]).toContain("seeds 1–3, 50 ep, all train, 10000 test, budget");
    expect(fixed[1]).toBe(
      "1.25 so far: epoch 393 of 800 (best validation at 380), seed 1, 800 ep, all train, 10000 test, interrupted",
    );
    expect(fixed).toHaveLength(2);
  });

  it("n = 3: mean ± sd [95 % interval], the paper's number and the difference, seeds and conditions", () => {
    const md = table2Markdown(threeSeeds, PAPER);
    expect(md.split("\n")[0]).toMatch(
      /^\| Format +\| Prop\. bits \| Up\. bits \| PI MNIST +\| MNIST \(conv\) +\| CIFAR-10 +\| SVHN +\|$/,
    );
    expect(cell(md, "Single precision", 3)).toBe(
      "**1.20 ± 0.20 [0.70, 1.70], n=3** (paper 1.05, +0.15), seeds 1–3, 50 ep, all train, 10000 test, " +
        "best epochs 41 in each, 0.34 h per run",
    );
    expect(cell(md, "Fixed point", 3)).toBe(
      "**1.33 ± 0.21 [0.82, 1.85], n=3** (paper 1.39, −0.06), seeds 1–3, 50 ep, all train, 10000 test, " +
        "best epochs 41 in each, 0.34 h per run",
    );
    expect(cell(md, "Goodfellow", 3)).toBe("paper 0.94");
    expect(cell(md, "Goodfellow", 0)).toContain("(reference)");
    expect(md).toContain("Table 2 of the paper. arXiv 1412.7024v5. Test error in percent");
  });

  it("n = 1 says so; the evaluation subset and training subset are the rows'", () => {
    const md = table2Markdown(
      [
        makeRow({ setting: "fixed", testError: 1.3 }),
        makeRow({
          setting: "fixed",
          testError: 2.5,
          variant: "budget",
          epochs: 5,
          trainLimit: 10000,
          testExamples: 4992,
        }),
        makeRow({ setting: "fixed", dataset: "mnist-conv", testError: 0.7, testExamples: Number.NaN }),
        makeRow({ setting: "bf16", format: "bfloat16", propagationBits: 16, updateBits: 16, testError: 1.2 }),
      ],
      PAPER,
    );
    expect(cell(md, "Fixed point", 3)).toBe(
      "**1.30, n=1 (no interval)** (paper 1.39, −0.09), seed 1, 50 ep, all train, 10000 test, best epoch 41, " +
        "0.34 h<br>" +
        "**2.50, n=1 (no interval)** (paper 1.39, +1.11), seed 1, 5 ep, 10000 train, 4992 test, budget",
    );
    expect(cell(md, "Fixed point", 4)).toBe(
      "**0.70, n=1 (no interval)** (paper 0.57, +0.13), seed 1, 50 ep, all train, test images not recorded, " +
        "best epoch 41, 0.34 h",
    );
    expect(cell(md, "bf16", 0)).toBe("bf16 (not in the paper)");
    expect(cell(md, "bf16", 3)).toBe(
      "**1.20, n=1 (no interval)**, seed 1, 50 ep, all train, 10000 test, best epoch 41, 0.34 h",
    );
  });

  it("a cell mixing variants names the variant of each run not done (CIFAR-10 from images beside the budget's)", () => {
    const images = {
      variant: "images",
      dataset: "cifar10",
      epochs: 5,
      data: "cifar10-jpeg: JPEG copy of the real images",
    };
    const md = table2Markdown(
      [
        makeRow({ ...images, testError: 58 }),
        makeRow({ ...images, seed: 2, testError: 60 }),
        makeRow({
          dataset: "cifar10",
          variant: "budget",
          status: "not run: data missing (run `x`)",
          testError: Number.NaN,
        }),
        makeRow({ dataset: "cifar10", variant: "budget", seed: 2, status: "not run: data missing (run `x`)" }),
      ],
      PAPER,
    );
    expect(cell(md, "Fixed point", 5)).toMatch(/<br>\+2 runs not done \(budget variant: not run: data missing\)$/);
    // one variant: the reason alone, as before
    const one = table2Markdown([makeRow({ testError: 1.3 }), makeRow({ seed: 2, status: "in progress" })], PAPER);
    expect(cell(one, "Fixed point", 3)).toMatch(/<br>\+1 run not done \(in progress\)$/);
  });

  it("a cell without a finished run gives the reason and the command that would run it", () => {
    const md = table2Markdown(
      [
        makeRow({ setting: "fixed", testError: 1.3 }),
        makeRow({ setting: "fixed", seed: 2, status: "in progress", testError: Number.NaN }),
        makeRow({ setting: "fixed", variant: "budget", dataset: "svhn", status: "not run: data missing (run `x`)" }),
        // a collection made before interrupted runs carried their numbers so far
        makeRow({
          setting: "fixed",
          variant: "budget",
          dataset: "cifar10",
          status: "interrupted after epoch 3",
          testError: Number.NaN,
          epochsDone: Number.NaN,
        }),
        makeRow({ setting: "fixed", variant: "budget", dataset: "mnist-conv", status: "in progress" }),
        makeRow({ experiment: "prop-bits", setting: "fp32", dataset: "svhn", testError: 9 }),
      ],
      PAPER,
    );
    expect(cell(md, "Fixed point", 6)).toBe(
      "not run: data missing<br>`lowprec fetch-data --dataset svhn`, then<br>" +
        "`lowprec sweep table2 --variant budget --only dataset=svhn`<br>(paper 2.97)",
    );
    expect(cell(md, "Fixed point", 5)).toBe(
      "interrupted after epoch 3<br>`lowprec sweep table2 --variant budget --only dataset=cifar10`<br>(paper 15.98)",
    );
    // running now: nothing to run
    expect(cell(md, "Fixed point", 4)).toBe("in progress<br>(paper 0.57)");
    // a done run beside one that is not
    expect(cell(md, "Fixed point", 3)).toBe(
      "**1.30, n=1 (no interval)** (paper 1.39, −0.09), seed 1, 50 ep, all train, 10000 test, best epoch 41, " +
        "0.34 h<br>+1 run not done (in progress)",
    );
    // fp32 has no table2 row at all (only a prop-bits one): reference numbers only
    expect(cell(md, "Single precision", 0)).toContain("(reference)");
    expect(cell(md, "Single precision", 6)).toBe("paper 2.71");
  });

  it("takes its numbers from the rows: changing a test error changes the table", () => {
    const before = table2Markdown(threeSeeds, PAPER);
    const changed = threeSeeds.map((r, i) => (i === 1 ? { ...r, testError: 1.45 } : r));
    const after = table2Markdown(changed, PAPER);
    expect(after).not.toBe(before);
    // fixed 1.45, 1.5, 1.4: mean 1.45, sd 0.05, half width 4.3027 · 0.05 / √3 = 0.1242 → [1.33, 1.57]
    expect(cell(after, "Fixed point", 3)).toContain("**1.45 ± 0.05 [1.33, 1.57], n=3** (paper 1.39, +0.06)");
  });
});

describe("table2RatiosMarkdown", () => {
  it("ours ÷ our float32 over the per-seed ratios beside the paper's ÷ the paper's float32", () => {
    const md = table2RatiosMarkdown(threeSeeds, PAPER);
    expect(cell(md, "Fixed point", 3)).toBe("**1.117 ± 0.126 [0.804, 1.429], n=3** (paper 1.324)");
    // no float32 row, no Goodfellow row: the baseline and the reference are not ratios to float32
    expect(md).not.toMatch(/^\| Single precision/m);
    expect(md).not.toMatch(/^\| Goodfellow/m);
    expect(cell(md, "Fixed point", 5)).toBe("not run (paper 1.137)"); // 15.98 / 14.05
  });

  it("a run without a float32 run of its seed has no ratio", () => {
    const rows = [makeRow({ setting: "fixed", seed: 7, baselineTestError: Number.NaN, normalizedError: Number.NaN })];
    expect(cell(table2RatiosMarkdown(rows, PAPER), "Fixed point", 3)).toBe(
      "no float32 run of the same seed (paper 1.324)",
    );
  });
});

describe("resultsTableMarkdown", () => {
  // fp32 4.9, 5.0, 5.3 and half 5.1, 5.4, 5.6 (seeds 1–3). Half: mean 5.3667, sd 0.2517, half width
  // 4.3027 · 0.2517 / √3 = 0.6252 → [4.74, 5.99]; ÷ fp32 per seed: 1.0408, 1.08, 1.0566: mean 1.0591, sd 0.0197,
  // half width 0.0490 → [1.010, 1.108].
  const fp32 = [4.9, 5.0, 5.3];
  const half = [5.1, 5.4, 5.6];
  const over = { experiment: "formats", epochs: 20, trainLimit: 10000, testExamples: 4992 };
  const rows: ResultRow[] = [0, 1, 2].flatMap((i) => [
    makeRow({
      ...over,
      setting: "fp32",
      format: "float32",
      rounding: "none",
      seed: i + 1,
      testError: fp32[i]!,
      baselineTestError: fp32[i]!,
    }),
    makeRow({
      ...over,
      setting: "half",
      format: "binary16",
      propagationBits: 16,
      updateBits: 16,
      rounding: "nearest-even",
      seed: i + 1,
      testError: half[i]!,
      baselineTestError: fp32[i]!,
    }),
  ]);

  it("a row per setting and widths: test error and normalised error with n, sd and the 95 % interval", () => {
    const md = resultsTableMarkdown([...rows, makeRow({ ...over, setting: "half", status: "not run" })]);
    const lines = md.split("\n");
    expect(lines[0]).toMatch(
      /^\| Dataset +\| Setting +\| Prop\. bits \| Up\. bits \| Rounding +\| Test error \(%\) +\|/,
    );
    expect(cell(md, "PI MNIST | half", 5)).toBe("5.37 ± 0.25 [4.74, 5.99], n=3");
    expect(cell(md, "PI MNIST | half", 6)).toBe("1.059 ± 0.020 [1.010, 1.108], n=3");
    expect(cell(md, "PI MNIST | fp32", 6)).toBe("1.000 ± 0.000 [1.000, 1.000], n=3");
    expect(lines.filter((l) => l.startsWith("| PI MNIST"))).toHaveLength(2);
    expect(md).toContain(
      "Conditions: PI MNIST: 20 epochs on 10000 training examples, tested on 4992 test images (6 runs); seeds 1–3.",
    );
  });

  it("no Rounding column when every row rounds alike; — when no run has a float32 run to pair with", () => {
    const md = resultsTableMarkdown([
      makeRow({ setting: "fixed", normalizedError: Number.NaN, testError: 2, testExamples: Number.NaN }),
    ]);
    expect(md.split("\n")[0]).not.toContain("Rounding");
    expect(cell(md, "PI MNIST | fixed", 5)).toBe("—");
    expect(md).toContain("Conditions: PI MNIST: 50 epochs on the whole training set, test images not recorded (1 run)");
    expect(resultsTableMarkdown([makeRow({ status: "not run" })])).toBe("");
    // one epoch, singular
    expect(resultsTableMarkdown([makeRow({ setting: "fixed", epochs: 1, testExamples: Number.NaN })])).toContain(
      "Conditions: PI MNIST: 1 epoch on the whole training set, test images not recorded (1 run)",
    );
  });
});

describe("conditionsLine", () => {
  it("each dataset's distinct epochs, subsets and test images with their runs, and the seeds", () => {
    expect(
      conditionsLine([
        makeRow({ seed: 1 }),
        makeRow({ seed: 2, epochs: 10, trainLimit: 5000, testExamples: 4992 }),
        makeRow({ seed: 1, dataset: "svhn", testExamples: 26032 }),
        makeRow({ seed: 3, status: "not run" }),
      ]),
    ).toBe(
      "Conditions: PI MNIST: 50 epochs on the whole training set, tested on 10000 test images (1 run); " +
        "10 epochs on 5000 training examples, tested on 4992 test images (1 run); seeds 1, 2. " +
        "SVHN: 50 epochs on the whole training set, tested on 26032 test images (1 run); seed 1.",
    );
  });
});
