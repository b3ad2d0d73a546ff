/** Text renderings of cost rows and of the calibration: an aligned table, CSV, or JSON. */
import Papa from "papaparse";
import type { Calibration, Fit } from "./calibrate.js";
import type { CostRow } from "./cost.js";
import type { TcoResult, TcoRow, TcoSensitivity } from "./tco.js";

export type TableFormat = "table" | "csv" | "json";
export const TABLE_FORMATS: readonly TableFormat[] = Object.freeze(["table", "csv", "json"]);

const COLUMNS: readonly (keyof CostRow)[] = [
  "network",
  "setting",
  "propagation",
  "update",
  "accumulator",
  "forwardMacsPerExample",
  "backwardMacsPerExample",
  "updateMultipliesPerStep",
  "macPicojoules",
  "macSquareMicrometres",
  "macAlms",
  "macDsps",
  "measuredMacAlms",
  "measuredMacDsps",
  "macFpgaSource",
  "parameterBytes",
  "activationBytesPerExample",
  "stepMacJoules",
  "stepMemoryJoules",
  "stepJoules",
  "epochJoules",
  "energyVsBaseline",
  "macAreaVsBaseline",
  "memoryLevel",
  "extrapolated",
];

/**
 * A CSV cell: integers exactly, other numbers at 10 significant digits, `null` empty, text quoted by
 * papaparse as needed.
 */
function csvCell(v: string | number | boolean | null): string {
  if (v === null) return "";
  if (typeof v !== "number") return String(v);
  if (!Number.isFinite(v)) return "";
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
}

/** CSV through papaparse: a header row, RFC 4180 quoting, `\n` line ends, numbers as csvCell writes them. */
function toCsv(header: readonly string[], rows: readonly (readonly (string | number | boolean | null)[])[]): string {
  return Papa.unparse({ fields: [...header], data: rows.map((r) => r.map(csvCell)) }, { newline: "\n" });
}

/** The calibration's reference rows beside the model, as CSV (one row per reference row of every fit). */
export function formatFitsCsv(fits: Readonly<Record<string, Fit>>): string {
  const rows: (string | number)[][] = [];
  for (const [name, f] of Object.entries(fits))
    for (const r of f.rows) rows.push([name, f.quantity, r.label, r.measured, r.modelled, r.relativeError]);
  return toCsv(["fit", "quantity", "row", "measured", "modelled", "relativeError"], rows);
}

/** A number at `digits` significant digits, whole with separators from 10^digits. */
export function sig(x: number, digits = 3): string {
  if (x === 0) return "0";
  return Math.abs(x) >= 10 ** digits ? Math.round(x).toLocaleString("en-US") : Number(x.toPrecision(digits)).toString();
}

/** Aligns cells in columns: left-aligned the first `leftColumns` (or those listed), the rest right-aligned. */
function alignTable(
  header: readonly string[],
  body: readonly (readonly string[])[],
  leftColumns: number | readonly number[],
): string {
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((r) => r[j]!.length)));
  const left = (j: number) => (typeof leftColumns === "number" ? j < leftColumns : leftColumns.includes(j));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, j) => (left(j) ? c.padEnd(widths[j]!) : c.padStart(widths[j]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/**
 * Renders cost rows. `table` shows a digest (3 significant digits, energies in mJ per step and J per
 * epoch, storage in kB, `*` marking an extrapolated row); `csv` and `json` carry every field, SI units.
 * The table's FPGA columns (MAC ALMs, DSPs) quote Table 1 where it measured the row's MAC, with the
 * model's values beside them ("model ALMs", "model DSPs"), and the model elsewhere; "FPGA source" says which.
 */
export function formatCostRows(rows: readonly CostRow[], format: TableFormat): string {
  if (format === "json") return JSON.stringify(rows, null, 2);
  if (format === "csv")
    return toCsv(
      COLUMNS,
      rows.map((r) => COLUMNS.map((c) => r[c])),
    );
  if (format !== "table")
    throw new RangeError(`formatCostRows: unknown format "${String(format)}" (known: ${TABLE_FORMATS.join(", ")})`);
  const header = [
    "network",
    "setting",
    "prop/update/acc",
    "fwd MACs/ex",
    "bwd MACs/ex",
    "MAC pJ",
    "MAC µm²",
    "MAC ALMs",
    "DSPs",
    "FPGA source",
    "model ALMs",
    "model DSPs",
    "params kB",
    "act kB/ex",
    "step mJ",
    "mem %",
    "epoch J",
    "energy ×base",
    "area ×base",
  ];
  const notes: string[] = [];
  const body = rows.map((r) => {
    let mark = "";
    if (r.extrapolated) {
      let k = notes.indexOf(r.extrapolated);
      if (k < 0) k = notes.push(r.extrapolated) - 1;
      mark = `*${k + 1}`;
    }
    return [
      r.network,
      r.setting + mark,
      `${r.propagation}/${r.update}/${r.accumulator}`,
      Math.round(r.forwardMacsPerExample).toLocaleString("en-US"),
      Math.round(r.backwardMacsPerExample).toLocaleString("en-US"),
      sig(r.macPicojoules),
      sig(r.macSquareMicrometres),
      sig(r.measuredMacAlms ?? r.macAlms),
      String(r.measuredMacDsps ?? r.macDsps),
      r.macFpgaSource,
      r.measuredMacAlms === null ? "" : sig(r.macAlms),
      r.measuredMacDsps === null ? "" : String(r.macDsps),
      sig(r.parameterBytes / 1e3),
      sig(r.activationBytesPerExample / 1e3),
      sig(r.stepJoules * 1e3),
      sig((100 * r.stepMemoryJoules) / r.stepJoules, 2),
      sig(r.epochJoules),
      sig(r.energyVsBaseline),
      sig(r.macAreaVsBaseline),
    ];
  });
  const memory = [...new Set(rows.map((r) => r.memoryLevel))].join(", ");
  const foot = [
    `ASIC figures: 45 nm model (fitted to Horowitz ISSCC 2014, as widely reproduced).`,
    `FPGA figures: Stratix V. "Table 1 (measured)": the paper's Table 1 (transcribed, unverified) measured this MAC`,
    `  (same format kind, multiplier and accumulator widths): its values are quoted, the model's beside them.`,
    `  "model": the cost model fitted to Table 1.`,
    `Memory traffic priced at ${memory}; storage bit-packed; ×base = ratio to the first setting of the same network.`,
    ...notes.map((n, i) => `*${i + 1} extrapolated beyond the reference data: ${n}`),
  ];
  const leftColumns = [0, 1, 2, header.indexOf("FPGA source")];
  return `${alignTable(header, body, leftColumns)}\n\n${foot.join("\n")}`;
}

function fitBlock(title: string, f: Fit): string[] {
  const unit = f.quantity;
  const coeffs = Object.entries(f.coefficients)
    .map(([k, v]) => `${k} = ${sig(v, 4)}`)
    .join(", ");
  const body = f.rows.map((r) => [
    r.label,
    sig(r.measured, 4),
    sig(r.modelled, 4),
    `${(100 * r.relativeError).toFixed(1)}%`,
  ]);
  return [
    `${title} (${unit}; ${f.freeParameters} fitted constant${f.freeParameters === 1 ? "" : "s"}` +
      `, ${f.rows.length} rows; largest |error| ${(100 * f.maxAbsRelativeError).toFixed(1)}%)`,
    `  ${coeffs}`,
    alignTable(["row", "measured", "model", "error"], body, 1).replace(/^/gm, "  "),
  ];
}

/** The calibration as text: constants and, per reference row, measured vs modelled. */
export function formatCalibration(c: Calibration): string {
  return [
    ...fitBlock("ASIC energy per operation, 45 nm", c.fits.asicEnergy),
    "",
    ...fitBlock("ASIC area per operator, 45 nm", c.fits.asicArea),
    "",
    ...fitBlock("FPGA ALMs per MAC, Stratix V (Table 1)", c.fits.fpgaAlms),
    "",
    ...fitBlock("FPGA DSP blocks per MAC, Stratix V (Table 1)", c.fits.fpgaDsps),
  ].join("\n");
}

// ---------------------------------------------------------------- total cost of ownership

const TCO_COLUMNS: readonly (keyof TcoRow)[] = [
  "setting",
  "macsPerRun",
  "macUnitsPerDevice",
  "macsPerSecondPerDevice",
  "runHoursOnOneDevice",
  "devicesForDeadline",
  "deviceHoursPerMonth",
  "devices",
  "deviceUsd",
  "hardwareUsdPerYear",
  "dynamicKwhPerYear",
  "staticKwhPerYear",
  "memoryShareOfDynamic",
  "facilityKwhPerYear",
  "energyUsdPerYear",
  "totalUsdPerYear",
  "savingUsdPerYear",
  "savingFraction",
  "verdict",
];

/** Dollars as a reader wants them: cents below $10, whole dollars with separators above. */
export function usd(x: number): string {
  const a = Math.abs(x);
  const s =
    a >= 10 ? Math.round(a).toLocaleString("en-US") : a >= 0.01 ? a.toFixed(2) : a === 0 ? "0" : a.toPrecision(2);
  return `${x < 0 ? "−" : ""}$${s}`;
}

/** An assumption's value as a reader reads it: fractions in %, dollars with their sign, "×" and PUE bare. */
export function valueText(v: number, unit: string): string {
  if (unit.startsWith("fraction")) return `${sig(100 * v)} %`;
  if (unit === "$/kWh") return `$${sig(v)}/kWh`;
  if (unit.startsWith("$")) return usd(v);
  if (unit === "×") return `${sig(v)}×`;
  if (unit.startsWith("facility W")) return sig(v);
  return `${sig(v)} ${unit}`;
}

/** An interval as `mean [lo, hi]`, or the mean alone when n < 2. */
export function intervalText(s: { n: number; mean: number; lo: number; hi: number }, digits: number): string {
  const f = (x: number) => x.toFixed(digits);
  return Number.isFinite(s.lo) && Number.isFinite(s.hi) ? `${f(s.mean)} [${f(s.lo)}, ${f(s.hi)}]` : f(s.mean);
}

const VERDICT_MARK: Readonly<Record<string, string>> = { within: "", unclear: "?", outside: "✗", unmeasured: "" };

/**
 * Renders a TCO result and the sensitivity of one setting's saving. `table`: the workload and target, one row
 * per setting (cost per year, saving against float32, measured error beside it, `✗` outside the tolerance, `?`
 * undecided), the tornado as a table (widest swing first), the deciding assumption and the break-even; `csv`: the
 * rows, every field, SI units; `json`: result and sensitivity whole.
 */
export function formatTco(result: TcoResult, sensitivity: TcoSensitivity, format: TableFormat): string {
  if (format === "json") return JSON.stringify({ ...result, sensitivity }, null, 2);
  if (format === "csv")
    return toCsv(
      [...TCO_COLUMNS, "testError", "testErrorLo", "testErrorHi", "ratio", "ratioLo", "ratioHi", "n", "measuredIn"],
      result.rows.map((r) => [
        ...TCO_COLUMNS.map((c) => r[c] as string | number),
        r.accuracy?.testError.mean ?? null,
        r.accuracy?.testError.lo ?? null,
        r.accuracy?.testError.hi ?? null,
        r.accuracy?.ratio.mean ?? null,
        r.accuracy?.ratio.lo ?? null,
        r.accuracy?.ratio.hi ?? null,
        r.accuracy?.ratio.n ?? null,
        r.accuracy?.source ?? null,
      ]),
    );
  const w = result.workload;
  const lines: string[] = [
    `workload: ${w.network}, ${w.epochs} epochs of ${w.trainExamples.toLocaleString("en-US")} examples, ` +
      `${w.runsPerMonth} runs a month, each within ${w.deadlineHours} h`,
    `target: ${result.target.id} (${result.target.description}); capacity: ${result.capacity}` +
      (result.capacity === "shared"
        ? " (the workload pays for the device-hours it uses)"
        : " (a fleet of whole devices, powered all year)"),
    "",
  ];
  const measured = result.rows.some((r) => r.accuracy);
  const header = [
    "setting",
    "MACs/device",
    "run h (1 device)",
    result.capacity === "owned" ? "devices" : "device-yr/yr",
    "hardware $/yr",
    "energy kWh/yr",
    "energy $/yr",
    "total $/yr",
    "saving vs float32",
    ...(measured ? ["test error % [95 % CI]", "÷ float32 [95 % CI]", "n", "measured in"] : []),
  ];
  const body = result.rows.map((r) => [
    r.setting,
    r.macUnitsPerDevice.toLocaleString("en-US"),
    sig(r.runHoursOnOneDevice),
    result.capacity === "owned" ? String(r.devices) : sig(r.devices),
    usd(r.hardwareUsdPerYear),
    sig(r.facilityKwhPerYear),
    usd(r.energyUsdPerYear),
    usd(r.totalUsdPerYear),
    r === result.rows[0] ? "(baseline)" : `${usd(r.savingUsdPerYear)} (${(100 * r.savingFraction).toFixed(1)} %)`,
    ...(measured
      ? r.accuracy
        ? [
            intervalText(r.accuracy.testError, 2),
            `${intervalText(r.accuracy.ratio, 3)}${VERDICT_MARK[r.verdict]}`,
            String(r.accuracy.ratio.n),
            r.accuracy.source.split(" ")[0]!,
          ]
        : ["not measured", "", "", ""]
      : []),
  ]);
  lines.push(alignTable(header, body, measured ? [0, header.length - 1] : 1), "");
  if (measured) {
    const sources = [...new Set(result.rows.flatMap((r) => (r.accuracy ? [r.accuracy.source] : [])))];
    lines.push(
      `Error measured in: ${sources.join("; ")}.`,
      `✗: the ratio's 95 % interval lies wholly above 1 + ${result.tolerance} (worse than float32 beyond the ` +
        `tolerance); ?: it straddles 1 + ${result.tolerance}; unmarked: at or below it.`,
      "",
    );
  }
  const s = sensitivity;
  lines.push(
    `Sensitivity of ${s.setting}'s saving against ${s.baseline} (${usd(s.baseSaving)}/yr at the defaults), one ` +
      "assumption at a time at its low and high value:",
    "",
    alignTable(
      ["assumption", "low", "default", "high", "saving at low", "saving at high", "swing"],
      s.bars.map((b) => [
        `${b.label} (${b.name})`,
        sig(b.low),
        sig(b.base),
        sig(b.high),
        usd(b.savingAtLow),
        usd(b.savingAtHigh),
        usd(b.swing),
      ]),
      1,
    ),
    "",
  );
  const d = s.bars[0]!;
  lines.push(
    `Deciding assumption: ${d.label} (${d.name}): from ${valueText(d.low, d.unit)} to ${valueText(d.high, d.unit)} ` +
      `the saving moves from ${usd(d.savingAtLow)} to ${usd(d.savingAtHigh)} a year.`,
    s.breakEvenEpochFactor === null
      ? `Break-even: ${s.setting} saves nothing against ${s.baseline} here.`
      : `Break-even: ${s.setting} stays cheaper than ${s.baseline} until it needs ${sig(s.breakEvenEpochFactor)}× ` +
          `${s.baseline}'s epochs (an accuracy loss paid back with longer training).`,
    'Defaults and their sources: libs/hwcost/README.md, "Total cost of ownership" (data/tco.json).',
  );
  return lines.join("\n");
}
