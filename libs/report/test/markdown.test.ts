import { describe, expect, it } from "vitest";
import { markdownTable, table2Markdown } from "../src/index.ts";
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

describe("table2Markdown", () => {
  const rows = [
    makeRow({ setting: "fp32", format: "float32", testError: 1.04, seed: 1 }),
    makeRow({ setting: "fp32", format: "float32", testError: 1.08, seed: 2 }),
    makeRow({ setting: "fixed", dataset: "pi-mnist", testError: 1.3 }),
    makeRow({ setting: "fixed", dataset: "svhn", status: "not run: data missing (run `lowprec fetch-data`)" }),
    makeRow({ setting: "fixed", dataset: "cifar10", status: "failed: out of memory" }),
    makeRow({ experiment: "prop-bits", setting: "fixed", dataset: "mnist-conv", testError: 9 }),
  ];

  it("shows ours beside the paper's numbers, mean ± sd over seeds, and what did not run", () => {
    const md = table2Markdown(rows, PAPER);
    const lines = md.split("\n");
    expect(lines[0]).toMatch(
      /^\| Format +\| Prop\. bits \| Up\. bits \| PI MNIST +\| MNIST +\| CIFAR-10 +\| SVHN +\|$/,
    );
    const fp32 = lines.find((l) => l.startsWith("| Single precision"))!;
    expect(fp32).toContain("**1.06 ± 0.03** (paper 1.05, +0.01) n=2, seeds 1, 2, 50 ep");
    const fixed = lines.find((l) => l.startsWith("| Fixed point"))!;
    expect(fixed).toContain("**1.30** (paper 1.39, −0.09) n=1, seed 1, 50 ep");
    expect(fixed).toContain("not run (paper 2.97)"); // svhn: data missing
    expect(fixed).toContain("not run (failed) (paper 15.98)");
    expect(fixed).toContain("not run (paper 0.57)"); // MNIST: only a prop-bits row, which is not Table 2's
    const goodfellow = lines.find((l) => l.startsWith("| Goodfellow"))!;
    expect(goodfellow).toContain("(reference)");
    expect(goodfellow).toContain("paper 0.94");
    expect(md).toContain("Table 2 of the paper (arXiv 1412.7024v5).");
  });

  it("takes its numbers from the rows: changing a test error changes the table", () => {
    const before = table2Markdown(rows, PAPER);
    const changed = rows.map((r, i) => (i === 2 ? { ...r, testError: 1.45 } : r));
    const after = table2Markdown(changed, PAPER);
    expect(after).not.toBe(before);
    expect(after).toContain("**1.45** (paper 1.39, +0.06)");
  });

  it("keeps configurations apart and lists settings the paper lacks", () => {
    const md = table2Markdown(
      [
        makeRow({ setting: "fixed", testError: 1.3 }),
        makeRow({ setting: "fixed", testError: 2.5, variant: "budget", epochs: 5, trainLimit: 10000 }),
        makeRow({ setting: "bf16", format: "bfloat16", propagationBits: 16, updateBits: 16, testError: 1.2 }),
      ],
      PAPER,
    );
    expect(md).toContain(
      "**1.30** (paper 1.39, −0.09) n=1, seed 1, 50 ep<br>" +
        "**2.50** (paper 1.39, +1.11) n=1, seed 1, 5 ep, 10000 train, budget",
    );
    expect(md).toMatch(/\| bf16 \(not in the paper\) +\| +16 \| +16 \| \*\*1\.20\*\* n=1, seed 1, 50 ep/);
  });
});
