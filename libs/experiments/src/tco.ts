/**
 * The TCO model of @lowprec/hwcost tied to what was measured: each TCO setting's test error and its ratio to
 * float32, read from the collected results (Table 2's runs for the paper's settings, the formats experiment's for
 * FP8 and MX), so that a cost and an error stand side by side and a setting outside the tolerance is marked.
 */
import {
  type SettingAccuracy,
  type TcoOptions,
  type TcoResult,
  type TcoSensitivity,
  type TcoWorkload,
  sig,
  tco,
  tcoSensitivity,
  intervalText,
  usd,
  valueText,
} from "@lowprec/hwcost";
import { markdownTable, type ResultRow, summarize, type TornadoInput } from "@lowprec/report";
import { conditionsText } from "./findings.js";

/** Where each TCO setting's error is read: experiment and setting name of the results tables. */
export const TCO_MEASURED: readonly {
  readonly tco: string;
  readonly experiment: "table2" | "formats";
  readonly setting: string;
}[] = [
  { tco: "single", experiment: "table2", setting: "fp32" },
  { tco: "half", experiment: "table2", setting: "half" },
  { tco: "fixed-20", experiment: "table2", setting: "fixed" },
  { tco: "dfxp-10-12", experiment: "table2", setting: "dfxp" },
  { tco: "fp8e4m3", experiment: "formats", setting: "fp8e4m3" },
  { tco: "mxfp8e4m3", experiment: "formats", setting: "mxfp8" },
  { tco: "mxint8", experiment: "formats", setting: "mxint8" },
];

/**
 * Each TCO setting's measured accuracy on `dataset`, from `rowsOf(experiment)`: the finished runs with a float32
 * run of the same seed and conditions, summarised over seeds (mean and 95 % t-interval). A setting with no such
 * run is left out (the TCO table then says "unmeasured"). Each experiment's rows are read once.
 */
export function tcoAccuracy(
  rowsOf: (experiment: "table2" | "formats") => readonly ResultRow[],
  dataset: string,
): Record<string, SettingAccuracy> {
  const out: Record<string, SettingAccuracy> = {};
  const read = new Map<"table2" | "formats", readonly ResultRow[]>();
  for (const m of TCO_MEASURED) {
    const all = read.get(m.experiment) ?? rowsOf(m.experiment);
    read.set(m.experiment, all);
    const rows = all.filter(
      (r) =>
        r.status === "done" &&
        r.dataset === dataset &&
        r.setting === m.setting &&
        Number.isFinite(r.normalizedError) &&
        Number.isFinite(r.testError),
    );
    if (rows.length === 0) continue;
    const testError = summarize(rows.map((r) => r.testError));
    const ratio = summarize(rows.map((r) => r.normalizedError));
    out[m.tco] = {
      testError: { n: testError.n, mean: testError.mean, lo: testError.lo, hi: testError.hi },
      ratio: { n: ratio.n, mean: ratio.mean, lo: ratio.lo, hi: ratio.hi },
      source: `${m.experiment} (${conditionsText(rows, [rows.length])})`,
    };
  }
  return out;
}

/** The manager's question of the report and notebook 07: PI-MNIST at the paper's length, 200 runs a month. */
export const TCO_QUESTION: TcoWorkload = { network: "pi-mnist", runsPerMonth: 200, deadlineHours: 24 };

const CAPACITY_TEXT: Readonly<Record<string, string>> = {
  shared: "the workload pays for the device-hours it uses",
  owned: "a fleet of whole devices, powered all year",
};

/** The tornado bars of a sensitivity (the saving per year at each end of every assumption's range). */
export function tornadoBars(s: TcoSensitivity): TornadoInput[] {
  return s.bars.map((b) => ({
    label: b.label,
    lowText: valueText(b.low, b.unit),
    highText: valueText(b.high, b.unit),
    atLow: b.savingAtLow,
    atHigh: b.savingAtHigh,
  }));
}

/** Result, sensitivity and the tornado's bars of one workload, with the errors measured on its network's dataset. */
export function tcoAnswer(
  workload: TcoWorkload,
  focus: string,
  rowsOf: (experiment: "table2" | "formats") => readonly ResultRow[],
  options: Omit<TcoOptions, "accuracy"> = {},
): { result: TcoResult; sensitivity: TcoSensitivity; bars: TornadoInput[] } {
  // NOTE: the results name each dataset as hwcost names its network
  const withAccuracy: TcoOptions = { ...options, accuracy: tcoAccuracy(rowsOf, workload.network) };
  const result = tco(workload, withAccuracy);
  const sensitivity = tcoSensitivity(workload, focus, withAccuracy);
  return { result, sensitivity, bars: tornadoBars(sensitivity) };
}

/**
 * The TCO table as Markdown: cost per year and saving per setting, the measured error and ratio beside it (with
 * the verdict against the tolerance), then the sentences that the numbers support: the cheapest setting within
 * the tolerance, the deciding assumption and the break-even, each computed here from the result.
 */
export function tcoMarkdown(result: TcoResult, s: TcoSensitivity): string[] {
  const verdictText: Readonly<Record<string, string>> = {
    within: "within",
    outside: "**outside**",
    unclear: "undecided",
    unmeasured: "not measured",
  };
  const rows = result.rows.map((r, i) => [
    r.setting,
    r.macUnitsPerDevice.toLocaleString("en-US"),
    usd(r.hardwareUsdPerYear),
    usd(r.energyUsdPerYear),
    usd(r.totalUsdPerYear),
    i === 0 ? "baseline" : `${usd(r.savingUsdPerYear)} (${(100 * r.savingFraction).toFixed(1)} %)`,
    r.accuracy ? intervalText(r.accuracy.testError, 2) : "",
    r.accuracy ? intervalText(r.accuracy.ratio, 3) : "",
    r.accuracy ? String(r.accuracy.ratio.n) : "",
    r.accuracy ? r.accuracy.source.split(" ")[0]! : "",
    verdictText[r.verdict]!,
  ]);
  const w = result.workload;
  const sources = [...new Set(result.rows.flatMap((r) => (r.accuracy ? [r.accuracy.source] : [])))];
  const out = [
    `Workload: ${w.network}, ${w.epochs} epochs of ${w.trainExamples.toLocaleString("en-US")} examples, ` +
      `${w.runsPerMonth} runs a month, each within ${w.deadlineHours} h; target ${result.target.id}, ` +
      `${result.capacity} capacity (${CAPACITY_TEXT[result.capacity]}).`,
    "",
    markdownTable(
      [
        "setting",
        "MACs per device",
        "hardware $/yr",
        "energy $/yr",
        "total $/yr",
        "saving vs float32",
        "test error % [95 % CI]",
        "÷ float32 [95 % CI]",
        "n",
        "measured in",
        `within ${100 * result.tolerance} % of float32?`,
      ],
      rows,
      ["l", "r", "r", "r", "r", "r", "r", "r", "r", "l", "l"],
    ),
    "",
    `Errors measured in: ${sources.join("; ")}. "within": the ratio's 95 % interval lies at or below ` +
      `${1 + result.tolerance}; "outside": wholly above it; "undecided": it straddles it.`,
    "",
  ];
  const cheapestWithin = result.rows
    .filter((r) => r.verdict === "within" && r !== result.rows[0])
    .sort((a, b) => a.totalUsdPerYear - b.totalUsdPerYear)[0];
  const cheapest = [...result.rows].sort((a, b) => a.totalUsdPerYear - b.totalUsdPerYear)[0]!;
  const d = s.bars[0]!;
  const focus = result.rows.find((r) => r.setting === s.setting)!;
  out.push(
    `- Cheapest setting: ${cheapest.setting}, ${usd(cheapest.totalUsdPerYear)} a year against float32's ` +
      `${usd(result.rows[0]!.totalUsdPerYear)} (its error: ${verdictText[cheapest.verdict]}).` +
      (cheapestWithin
        ? ` Cheapest whose error is within the tolerance: ${cheapestWithin.setting}, ` +
          `${usd(cheapestWithin.totalUsdPerYear)}.`
        : " No setting but float32 has an error shown within the tolerance at this n."),
    `- ${s.setting} saves ${usd(focus.savingUsdPerYear)} a year (${(100 * focus.savingFraction).toFixed(1)} %). ` +
      `The assumption that moves that saving most is ${d.label} (\`${d.name}\`): from ${valueText(d.low, d.unit)} ` +
      `to ${valueText(d.high, d.unit)} the saving goes from ${usd(d.savingAtLow)} to ${usd(d.savingAtHigh)}.`,
    s.breakEvenEpochFactor === null
      ? `- ${s.setting} saves nothing here, so there is no break-even.`
      : `- Break-even: ${s.setting} stays cheaper than float32 until it needs ${sig(s.breakEvenEpochFactor)}× ` +
          "float32's epochs to reach the same error.",
    "",
  );
  return out;
}
