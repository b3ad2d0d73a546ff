/** The TCO tied to the results: each setting's error read from the right table, summarised over seeds. */
import { tco, tcoSensitivity } from "@lowprec/hwcost";
import type { ResultRow } from "@lowprec/report";
import { describe, expect, it } from "vitest";
import { row as baseRow } from "./result-row.js";
import { TCO_MEASURED, TCO_QUESTION, tcoAccuracy, tcoAnswer, tcoMarkdown, tornadoBars } from "../src/tco.js";

/** A finished Table 2 run: 50 epochs on the whole training set, 10,000 test images. */
const row = (p: Partial<ResultRow> & Pick<ResultRow, "experiment" | "setting">): ResultRow =>
  baseRow({ epochs: 50, trainLimit: 0, testExamples: 10_000, epochsDone: 50, ...p });

/** Three seeds of a setting: test errors `errors`, baseline 1.0 % each, so the ratios are errors ÷ 1. */
const three = (experiment: string, setting: string, errors: readonly number[], dataset = "pi-mnist") =>
  errors.map((e, i) =>
    row({ experiment, setting, dataset, seed: 1234 + i, testError: e, baselineTestError: 1, normalizedError: e }),
  );

describe("tcoAccuracy", () => {
  const table2 = [
    ...three("table2", "fp32", [1, 1, 1]),
    ...three("table2", "dfxp", [1.1, 1.2, 1.3]),
    ...three("table2", "dfxp", [9, 9, 9], "svhn"),
    row({ experiment: "table2", setting: "fixed", status: "running" }),
  ];
  const formats = [...three("formats", "mxfp8", [1.0, 1.02, 1.04]), ...three("formats", "dfxp", [7, 7, 7])];
  const acc = tcoAccuracy((e) => (e === "table2" ? table2 : formats), "pi-mnist");

  it("summarises the finished runs of the dataset over seeds: mean and 95 % t interval (t(0.975, 2) = 4.303)", () => {
    const d = acc["dfxp-10-12"]!;
    expect(d.ratio.n).toBe(3);
    expect(d.ratio.mean).toBeCloseTo(1.2, 12);
    // sd 0.1, half-width 4.302653 · 0.1 / √3
    expect(d.ratio.hi - d.ratio.mean).toBeCloseTo((4.302652729749462 * 0.1) / Math.sqrt(3), 9);
    expect(d.source).toMatch(
      /^table2 \(budget variant, 50 epochs on the whole training set, 10,000 test images, n = 3\)$/,
    );
  });
  it("takes the paper's settings from Table 2's runs and FP8/MX from the formats experiment's", () => {
    expect(acc.mxfp8e4m3!.ratio.mean).toBeCloseTo(1.02, 12);
    expect(acc.mxfp8e4m3!.source).toMatch(/^formats /);
    // the formats table's own dfxp rows are not Table 2's
    expect(acc["dfxp-10-12"]!.testError.mean).toBeCloseTo(1.2, 12);
  });
  it("leaves out a setting with no finished run", () => {
    expect(acc["fixed-20"]).toBeUndefined();
    expect(acc.half).toBeUndefined();
    expect(TCO_MEASURED.map((m) => m.tco)).toContain("fixed-20");
  });
});

describe("tcoMarkdown", () => {
  const table2 = [...three("table2", "fp32", [1, 1, 1]), ...three("table2", "dfxp", [1.0, 1.01, 1.02])];
  const { result, sensitivity, bars } = tcoAnswer(TCO_QUESTION, "dfxp-10-12", (e) => (e === "table2" ? table2 : []));
  const md = tcoMarkdown(result, sensitivity).join("\n");

  it("states the verdicts and the sentences from the numbers", () => {
    expect(result.rows.find((r) => r.setting === "dfxp-10-12")!.verdict).toBe("within");
    const cheapestWithin = result.rows
      .filter((r) => r.verdict === "within" && r.setting !== "single")
      .sort((a, b) => a.totalUsdPerYear - b.totalUsdPerYear)[0]!;
    expect(md).toContain(`Cheapest whose error is within the tolerance: ${cheapestWithin.setting}`);
    expect(md).toContain(`The assumption that moves that saving most is ${sensitivity.bars[0]!.label}`);
    expect(md).toMatch(/Break-even: dfxp-10-12 stays cheaper than float32 until it needs [0-9.]+× float32's epochs/);
    expect(md).toMatch(/\| mxint8 .*\| not measured +\|$/m);
  });
  it("the same numbers as the model without accuracy; one tornado bar per assumption", () => {
    const plain = tco(TCO_QUESTION).rows.map((r) => r.totalUsdPerYear);
    expect(result.rows.map((r) => r.totalUsdPerYear)).toEqual(plain);
    expect(bars).toHaveLength(tcoSensitivity(TCO_QUESTION, "dfxp-10-12").bars.length);
    expect(tornadoBars(sensitivity)[0]!.atHigh).toBe(sensitivity.bars[0]!.savingAtHigh);
  });
});
