/**
 * Markdown tables: a generic one, the paper's Table 2 beside our runs (test errors, and ratios to float32), and
 * the results of an experiment by setting. Every mean, sd and interval comes from stats.ts (`summarize`).
 */
import type { ResultRow } from "./rows.js";
import { formatSummary, summarize } from "./stats.js";

/** Reference numbers of the paper's Table 2: rows by setting, columns by dataset, percent. */
export interface PaperTable2 {
  title: string;
  provenance: string;
  rows: {
    /** Matched against ResultRow.setting. */
    setting: string;
    label: string;
    propagationBits: number;
    updateBits: number;
    /** Test error in percent, keyed by dataset (ResultRow.dataset). */
    values: Record<string, number>;
    /** A reference row only (e.g. Goodfellow et al.'s numbers): no runs of ours are expected. */
    reference?: boolean;
  }[];
}

/** The datasets of the paper, in its column order, with their display names. */
export const DATASETS: readonly { id: string; label: string }[] = Object.freeze([
  { id: "pi-mnist", label: "PI MNIST" },
  { id: "mnist-conv", label: "MNIST (conv)" },
  { id: "cifar10", label: "CIFAR-10" },
  { id: "svhn", label: "SVHN" },
]);

/** Columns beyond Table 2's four: the networks of the beyond-the-paper experiments. */
const OTHER_LABELS: Readonly<Record<string, string>> = { "vit-mnist": "ViT on MNIST" };

/** The display name of a dataset id ("pi-mnist" → "PI MNIST"); unknown ids are shown as they are. */
export function datasetLabel(id: string): string {
  return DATASETS.find((d) => d.id === id)?.label ?? (Object.hasOwn(OTHER_LABELS, id) ? OTHER_LABELS[id]! : id);
}

function escapeCell(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

/**
 * A GitHub-flavoured Markdown table, columns padded to a common width so the source reads as a table too.
 * Pipes in cells are escaped and line breaks become `<br>`; a short row is padded with empty cells.
 * `align` per column: "l" (default) or "r".
 */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ("l" | "r")[],
): string {
  const n = header.length;
  rows.forEach((r, i) => {
    if (r.length > n) throw new Error(`markdownTable: row ${i + 1} has ${r.length} cells, the header ${n}`);
  });
  const cells = [header, ...rows].map((r) => Array.from({ length: n }, (_, j) => escapeCell(r[j] ?? "")));
  const widths = Array.from({ length: n }, (_, j) => Math.max(3, ...cells.map((r) => r[j]!.length)));
  const right = (j: number) => align?.[j] === "r";
  const line = (r: readonly string[]) =>
    `| ${r.map((c, j) => (right(j) ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, j) => (right(j) ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}

const pct = (x: number) => x.toFixed(2);
const ratio = (x: number) => x.toFixed(3);
const signed = (x: number) => {
  const d = Math.abs(x).toFixed(2);
  return d === "0.00" ? "±0.00" : `${x > 0 ? "+" : "−"}${d}`;
};

/** "seeds 1–3" for three or more consecutive seeds, else "seeds 1, 4, 7" ("seed 1" for one). */
function seedList(seeds: readonly number[]): string {
  const s = [...new Set(seeds)].sort((a, b) => a - b);
  if (s.length === 1) return `seed ${s[0]}`;
  if (s.length > 2 && s.every((v, i) => i === 0 || v === s[i - 1]! + 1)) return `seeds ${s[0]}–${s[s.length - 1]}`;
  return `seeds ${s.join(", ")}`;
}

/** `s` ending in a full stop (added when it has none). */
const sentence = (s: string): string => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);

const isDone = (r: ResultRow): boolean => r.status === "done" && Number.isFinite(r.testError);

/**
 * "100 ep, all train, 10000 test": epochs, training subset and test images of a run, the variant unless paper,
 * and the data when it is not the dataset's own ("JPEG copy of the real images (cifar10-jpeg)").
 */
function configLabel(r: ResultRow): string {
  const parts = [`${r.epochs} ep`, r.trainLimit > 0 ? `${r.trainLimit} train` : "all train"];
  parts.push(Number.isFinite(r.testExamples) ? `${r.testExamples} test` : "test images not recorded");
  if (r.variant !== "paper") parts.push(r.variant);
  if (r.data) parts.push(dataLabel(r.data));
  return parts.join(", ");
}

/** "cifar10-jpeg: JPEG copy of the real images" → "JPEG copy of the real images (cifar10-jpeg)". */
function dataLabel(data: string): string {
  const at = data.indexOf(": ");
  return at < 0 ? data : `${data.slice(at + 2)} (${data.slice(0, at)})`;
}

/**
 * The done rows of a cell in groups of one configuration (variant, epochs, training subset, test images): the
 * paper's variant first, then the longest training, then the whole training set before subsets.
 */
function configurations(rows: readonly ResultRow[]): ResultRow[][] {
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows.filter(isDone)) {
    const key = [r.variant, r.epochs, r.trainLimit, r.testExamples, r.data].join("\u0000");
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const order = (r: ResultRow): number[] => [r.variant === "paper" ? 0 : 1, -r.epochs, r.trainLimit === 0 ? 0 : 1];
  const byOrder = (a: ResultRow, b: ResultRow): number => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return (
      a.variant.localeCompare(b.variant) ||
      b.trainLimit - a.trainLimit ||
      (Number.isFinite(b.testExamples) ? b.testExamples : -1) - (Number.isFinite(a.testExamples) ? a.testExamples : -1)
    );
  };
  return [...groups.values()].sort((a, b) => byOrder(a[0]!, b[0]!));
}

/** Why a run is not a result, from its status: "not run", "not run: data missing", "damaged: config.json", ... */
function reason(status: string): string {
  if (status.startsWith("damaged:")) return status.split(":").slice(0, 2).join(":").trim();
  return status.replace(/\s*\(.*\)\s*$/, "").trim();
}

/**
 * What a cell without a finished run says: the reasons (the rows' statuses) and the commands that would run it,
 * `lowprec fetch-data --dataset D` first when its data is missing, then `lowprec sweep E --variant V --only
 * dataset=D` (a sweep skips what is done and resumes what was interrupted). Nothing to run while one is running.
 */
function notRunCell(rows: readonly ResultRow[]): string {
  const reasons = [...new Set(rows.map((r) => reason(r.status)))].sort();
  const first = rows[0];
  if (first === undefined) return "not run";
  const sweep = `\`lowprec sweep ${first.experiment} --variant ${first.variant} --only dataset=${first.dataset}\``;
  const lines = [reasons.join("; ")];
  if (reasons.some((r) => r.includes("image folder missing")))
    lines.push(`put the image folder at \`<data root>/raw/${first.data.split(": ")[0]}\`, then`, sweep);
  else if (reasons.some((r) => r.includes("data missing")))
    lines.push(`\`lowprec fetch-data --dataset ${first.dataset}\`, then`, sweep);
  else if (reasons.some((r) => r.startsWith("damaged"))) lines.push("move the damaged run folder away, then", sweep);
  else if (!reasons.every((r) => r === "in progress")) lines.push(sweep);
  return lines.join("<br>");
}

/**
 * A run stopped before its last epoch whose numbers so far are known (status "interrupted after epoch N",
 * `epochsDone` and the errors so far): shown as progress, never as a result.
 */
export const isPartial = (r: ResultRow): boolean =>
  r.status.startsWith("interrupted") && Number.isFinite(r.testError) && Number.isFinite(r.epochsDone);

/**
 * The best validation epochs and run times of a configuration's runs: "best epoch 612, 1.12 h" for one run;
 * "best epochs 580–640, 1.10 h per run" (the range, the mean time) for several.
 */
function bestAndTime(rows: readonly ResultRow[]): string {
  const hours = rows.map((r) => r.seconds / 3600).filter(Number.isFinite);
  const time =
    hours.length === 0 ? "time not recorded" : `${(hours.reduce((a, b) => a + b, 0) / hours.length).toFixed(2)} h`;
  if (rows.length === 1) return `best epoch ${rows[0]!.bestEpoch}, ${time}`;
  const epochs = rows.map((r) => r.bestEpoch);
  const [lo, hi] = [Math.min(...epochs), Math.max(...epochs)];
  return `best epochs ${lo === hi ? `${lo} in each` : `${lo}–${hi}`}, ${time}${hours.length > 0 ? " per run" : ""}`;
}

/** One line per partial run: "1.25 so far, epoch 393 of 800 (best 380), seed 1234, …" (not bold: not a result). */
function partialLines(rows: readonly ResultRow[]): string[] {
  return rows
    .filter(isPartial)
    .map(
      (r) =>
        `${pct(r.testError)} so far: epoch ${r.epochsDone} of ${r.epochs} (best validation at ${r.bestEpoch}), ` +
        `seed ${r.seed}, ${configLabel(r)}, interrupted`,
    );
}

/**
 * The runs of a cell that are not done, as "+2 runs not done (in progress)"; "" when every run is done. In a cell
 * whose runs come from several variants (CIFAR-10: the images variant beside the budget's official files), each
 * reason names its variant: "+3 runs not done (budget variant: not run: data missing)".
 */
function notDoneNote(rows: readonly ResultRow[]): string {
  const left = rows.filter((r) => !isDone(r) && !isPartial(r));
  if (left.length === 0) return "";
  const mixed = new Set(rows.map((r) => r.variant)).size > 1;
  const why = (r: ResultRow) => (mixed ? `${r.variant} variant: ${reason(r.status)}` : reason(r.status));
  const reasons = [...new Set(left.map(why))].sort().join("; ");
  return `<br>+${left.length} run${left.length === 1 ? "" : "s"} not done (${reasons})`;
}

/** One Table 2 cell: each configuration of done runs on its own line (summary of the test errors), then the paper's. */
function table2Cell(rows: readonly ResultRow[], paper: number | undefined): string {
  const ref = paper === undefined || !Number.isFinite(paper) ? undefined : paper;
  const groups = configurations(rows);
  const partial = partialLines(rows);
  if (groups.length === 0 && partial.length === 0)
    return ref === undefined ? notRunCell(rows) : `${notRunCell(rows)}<br>(paper ${pct(ref)})`;
  const lines = groups.map((g) => {
    const s = summarize(g.map((r) => r.testError));
    const vsPaper = ref === undefined ? "" : ` (paper ${pct(ref)}, ${signed(s.mean - ref)})`;
    // NOTE: a paper-length run also says when it peaked and how long it took
    const length = g[0]!.variant === "paper" ? `, ${bestAndTime(g)}` : "";
    return `**${formatSummary(s, 2)}**${vsPaper}, ${seedList(g.map((r) => r.seed))}, ${configLabel(g[0]!)}${length}`;
  });
  const paperOnly = groups.length === 0 && ref !== undefined ? [`(paper ${pct(ref)})`] : [];
  return [...lines, ...partial, ...paperOnly].join("<br>") + notDoneNote(rows);
}

/** The datasets of a Table 2: the paper's four in its order, then any other of the paper's table or of the rows. */
function table2Datasets(rows: readonly ResultRow[], paper: PaperTable2): string[] {
  const datasets = [...DATASETS.map((d) => d.id)];
  for (const id of [...paper.rows.flatMap((p) => Object.keys(p.values)), ...rows.map((r) => r.dataset)])
    if (!datasets.includes(id)) datasets.push(id);
  return datasets;
}

/** Settings we ran that the paper's table has no row for, sorted. */
function extraSettings(rows: readonly ResultRow[], paper: PaperTable2): string[] {
  const known = new Set(paper.rows.map((p) => p.setting));
  return [...new Set(rows.map((r) => r.setting))].filter((s) => !known.has(s)).sort();
}

/**
 * The paper's Table 2 beside our runs, as one Markdown table: a row per setting of `paper` (matched to
 * ResultRow.setting), a column per dataset. A cell shows, for each configuration of done runs (variant, epochs,
 * training subset, test images), our test error in bold as `formatSummary` gives it (mean ± sample sd [95 % t
 * interval], n; "n=1 (no interval)" for one run), the paper's number and our difference to it, the seeds and
 * the configuration; a cell without a done run gives the reason (the rows' statuses) and the commands that would
 * run it. A paper row with no result row at all (or marked `reference`), such as Goodfellow et al.'s, is shown
 * as reference numbers only. Rows of other experiments than "table2" are ignored. A legend line follows.
 */
export function table2Markdown(rows: readonly ResultRow[], paper: PaperTable2): string {
  const ours = rows.filter((r) => r.experiment === "table2");
  const datasets = table2Datasets(ours, paper);
  const header = ["Format", "Prop. bits", "Up. bits", ...datasets.map(datasetLabel)];
  const body = paper.rows.map((p) => {
    const mine = ours.filter((r) => r.setting === p.setting);
    const reference = p.reference === true || mine.length === 0;
    const cells = datasets.map((d) => {
      const v = p.values[d];
      if (reference) return v === undefined || !Number.isFinite(v) ? "—" : `paper ${pct(v)}`;
      return table2Cell(
        mine.filter((r) => r.dataset === d),
        v,
      );
    });
    const label = reference ? `${p.label} (reference)` : p.label;
    return [label, String(p.propagationBits), String(p.updateBits), ...cells];
  });
  for (const s of extraSettings(ours, paper)) {
    const mine = ours.filter((r) => r.setting === s);
    const first = mine[0]!;
    const cells = datasets.map((d) =>
      table2Cell(
        mine.filter((r) => r.dataset === d),
        undefined,
      ),
    );
    body.push([`${s} (not in the paper)`, String(first.propagationBits), String(first.updateBits), ...cells]);
  }
  const align: ("l" | "r")[] = ["l", "r", "r", ...datasets.map((): "l" => "l")];
  const legend =
    `${sentence(paper.title)} ${sentence(paper.provenance)} Test error in percent at the best validation ` +
    "epoch; **bold**: ours, mean ± sample standard deviation [95 % Student-t interval of the mean], n = runs " +
    "(seeds) of one configuration, or the single value with “n=1 (no interval)”; then the paper's number and " +
    "ours − paper; ep = epochs trained, train = training examples (all: the whole training set), test = test " +
    "images the error was measured on; a paper-length run adds its best validation epoch and its run time. A run " +
    "stopped part way shows its error so far and its epoch, not in bold (not a result). A cell without a finished " +
    "run gives the reason and the commands that run it. Bits include the sign.";
  return `${markdownTable(header, body, align)}\n\n${legend}\n`;
}

/** One cell of the ratio table: each configuration's per-seed ratios summarised, then the paper's ratio. */
function ratioCell(rows: readonly ResultRow[], paperRatio: number | undefined): string {
  const ref = paperRatio === undefined || !Number.isFinite(paperRatio) ? "" : ` (paper ${ratio(paperRatio)})`;
  const groups = configurations(rows);
  if (groups.length === 0)
    return `${[...new Set(rows.map((r) => reason(r.status)))].sort().join("; ") || "not run"}${ref}`;
  const lines = groups.map((g) => {
    const paired = g.map((r) => r.normalizedError).filter(Number.isFinite);
    const config = groups.length > 1 ? `, ${configLabel(g[0]!)}` : "";
    if (paired.length === 0) return `no float32 run of the same seed${ref}${config}`;
    return `**${formatSummary(summarize(paired), 3)}**${ref}${config}`;
  });
  return lines.join("<br>");
}

/**
 * Table 2 as ratios to float32: a row per setting of `paper` other than `baseline` and reference rows (marked
 * `reference`, or without any result row, as in table2Markdown), and any setting the rows add; a column per
 * dataset. Ours: each done run's `normalizedError` (its test error ÷ the float32 run's of the same dataset, seed,
 * epochs, training subset and test images), summarised over those per-seed ratios with `formatSummary` (3
 * decimals); the paper's: its value ÷ its `baseline` row's value in the same column. Rows of other experiments
 * than "table2" are ignored. A legend line follows.
 */
export function table2RatiosMarkdown(rows: readonly ResultRow[], paper: PaperTable2, baseline = "fp32"): string {
  const ours = rows.filter((r) => r.experiment === "table2");
  const datasets = table2Datasets(ours, paper);
  const base = paper.rows.find((p) => p.setting === baseline);
  const header = ["Format", "Prop. bits", "Up. bits", ...datasets.map(datasetLabel)];
  const body = paper.rows
    // NOTE: as in table2Markdown, a row without any result row is reference numbers only (Goodfellow et al.'s)
    .filter((p) => p.setting !== baseline && p.reference !== true && ours.some((r) => r.setting === p.setting))
    .map((p) => {
      const mine = ours.filter((r) => r.setting === p.setting);
      const cells = datasets.map((d) => {
        const [v, b] = [p.values[d], base?.values[d]];
        const paperRatio = v !== undefined && b !== undefined && b > 0 ? v / b : undefined;
        return ratioCell(
          mine.filter((r) => r.dataset === d),
          paperRatio,
        );
      });
      return [p.label, String(p.propagationBits), String(p.updateBits), ...cells];
    });
  for (const s of extraSettings(ours, paper).filter((x) => x !== baseline)) {
    const mine = ours.filter((r) => r.setting === s);
    const first = mine[0]!;
    const cells = datasets.map((d) =>
      ratioCell(
        mine.filter((r) => r.dataset === d),
        undefined,
      ),
    );
    body.push([`${s} (not in the paper)`, String(first.propagationBits), String(first.updateBits), ...cells]);
  }
  const align: ("l" | "r")[] = ["l", "r", "r", ...datasets.map((): "l" => "l")];
  const legend =
    "Test error ÷ float32's test error (1 = no loss against float32). **Bold**: ours, each run divided by the " +
    "float32 run of the same dataset, seed, epochs, training subset and test images, then mean ± sample standard " +
    "deviation [95 % Student-t interval] over those per-seed ratios, n = ratios; in brackets the paper's value ÷ " +
    "the paper's float32 value in the same column. Reference rows (Goodfellow et al.'s) are left out.";
  return `${markdownTable(header, body, align)}\n\n${legend}\n`;
}

/**
 * The conditions of the done rows, per dataset: each distinct (epochs, training subset, test images) with its
 * number of runs, and the seeds, e.g. "Conditions: PI MNIST: 20 epochs on 10000 training examples, tested on
 * 4992 test images (39 runs); seeds 1234–1236." "" when no row is done.
 */
export function conditionsLine(rows: readonly ResultRow[]): string {
  const done = rows.filter(isDone);
  const datasets = [...new Set(done.map((r) => r.dataset))];
  const parts = datasets.map((d) => {
    const mine = done.filter((r) => r.dataset === d);
    const combos = new Map<string, { row: ResultRow; runs: number }>();
    for (const r of mine) {
      const key = [r.epochs, r.trainLimit, r.testExamples, r.data].join("\u0000");
      const c = combos.get(key) ?? { row: r, runs: 0 };
      c.runs++;
      combos.set(key, c);
    }
    const each = [...combos.values()].map(({ row, runs }) => {
      const train = row.trainLimit > 0 ? `${row.trainLimit} training examples` : "the whole training set";
      const test = Number.isFinite(row.testExamples)
        ? `tested on ${row.testExamples} test images`
        : "test images not recorded";
      const data = row.data ? ` of the ${dataLabel(row.data)}` : "";
      const unit = row.epochs === 1 ? "epoch" : "epochs";
      return `${row.epochs} ${unit} on ${train}${data}, ${test} (${runs} run${runs === 1 ? "" : "s"})`;
    });
    return `${datasetLabel(d)}: ${each.join("; ")}; ${seedList(mine.map((r) => r.seed))}`;
  });
  return parts.length === 0 ? "" : `Conditions: ${parts.join(". ")}.`;
}

/**
 * The done rows of one experiment as a table: a row per (dataset, setting, propagation and update widths,
 * rounding, scaling), with a Rounding or Scaling column only when the rows hold more than one value of it. Test
 * error (%) and the normalised error (÷ the float32 run of the same dataset, seed, length, subset and test
 * images, summarised over those per-seed ratios) as `formatSummary` gives them (mean ± sample sd [95 %
 * interval], n), "—" when no run of the row has a float32 run to pair with. The conditions line
 * (`conditionsLine`) follows the table. "" when no row is done.
 */
export function resultsTableMarkdown(rows: readonly ResultRow[]): string {
  const done = rows.filter(isDone);
  if (done.length === 0) return "";
  const withRounding = new Set(done.map((r) => r.rounding)).size > 1;
  const withScaling = new Set(done.map((r) => r.scaling)).size > 1;
  const keyOf = (r: ResultRow) =>
    [r.dataset, r.setting, r.propagationBits, r.updateBits, r.rounding, r.scaling].join("\u0000");
  const groups = new Map<string, ResultRow[]>();
  for (const r of done) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
  const header = [
    "Dataset",
    "Setting",
    "Prop. bits",
    "Up. bits",
    ...(withRounding ? ["Rounding"] : []),
    ...(withScaling ? ["Scaling"] : []),
    "Test error (%)",
    "Normalised (÷ float32)",
  ];
  const body = [...groups.values()].map((g) => {
    const r = g[0]!;
    const paired = g.map((x) => x.normalizedError).filter(Number.isFinite);
    return [
      datasetLabel(r.dataset),
      r.setting,
      String(r.propagationBits),
      String(r.updateBits),
      ...(withRounding ? [r.rounding] : []),
      ...(withScaling ? [r.scaling] : []),
      formatSummary(summarize(g.map((x) => x.testError)), 2),
      paired.length === 0 ? "—" : formatSummary(summarize(paired), 3),
    ];
  });
  const align = header.map((h): "l" | "r" => (h.endsWith("bits") ? "r" : "l"));
  return `${markdownTable(header, body, align)}\n\n${conditionsLine(done)}\n`;
}

/** "1.04 [0.98, 1.10]" or "1.04 (n = 1)" of a summary of ratios, 3 decimals. */
function ratioShort(s: ReturnType<typeof summarize>): string {
  return s.n < 2 ? `${s.mean.toFixed(3)} (n = 1)` : `${s.mean.toFixed(3)} [${s.lo.toFixed(3)}, ${s.hi.toFixed(3)}]`;
}

/**
 * The same settings on several networks, side by side: a row per (setting, propagation and update widths,
 * scaling), a column per dataset of `datasets` with its normalised error (÷ the float32 run of the same dataset and
 * seed) as `formatSummary` gives it, "—" where that network has no paired run. Then one sentence per row run on
 * every network with an interval: whether the networks' 95 % intervals overlap, and which mean is higher. Rows of
 * float32 (the baseline, 1 by construction) are left out. "" when no row is done.
 */
export function networksSideBySide(
  rows: readonly ResultRow[],
  datasets: readonly string[],
): { markdown: string; facts: string[] } {
  const done = rows.filter((r) => isDone(r) && datasets.includes(r.dataset) && r.format !== "float32");
  if (done.length === 0) return { markdown: "", facts: [] };
  const keyOf = (r: ResultRow) => [r.setting, r.propagationBits, r.updateBits, r.scaling].join("\u0000");
  const groups = new Map<string, ResultRow[]>();
  for (const r of done) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
  const header = ["Setting", "Prop. bits", "Up. bits", ...datasets.map((d) => `${datasetLabel(d)} (÷ float32)`)];
  const facts: string[] = [];
  const body = [...groups.values()].map((g) => {
    const r = g[0]!;
    const per = datasets.map((d) => {
      const paired = g
        .filter((x) => x.dataset === d)
        .map((x) => x.normalizedError)
        .filter(Number.isFinite);
      return paired.length === 0 ? undefined : summarize(paired);
    });
    const label = `${r.setting} ${r.propagationBits}/${r.updateBits}`;
    if (per.every((s) => s !== undefined && s.n >= 2)) {
      const ss = per as ReturnType<typeof summarize>[];
      const overlap = Math.max(...ss.map((s) => s.lo)) <= Math.min(...ss.map((s) => s.hi));
      const hi = ss.reduce((m, s, i) => (s.mean > ss[m]!.mean ? i : m), 0);
      const texts = ss.map((s, i) => `${datasetLabel(datasets[i]!)} ${ratioShort(s)}`).join(", ");
      facts.push(
        `${label}: ${texts}; ${overlap ? "the 95 % intervals overlap" : "the 95 % intervals do not overlap"}, ` +
          `the higher mean is ${datasetLabel(datasets[hi]!)}'s.`,
      );
    }
    return [
      r.setting,
      String(r.propagationBits),
      String(r.updateBits),
      ...per.map((s) => (s === undefined ? "—" : formatSummary(s, 3))),
    ];
  });
  const align = header.map((h): "l" | "r" => (h.endsWith("bits") ? "r" : "l"));
  return { markdown: `${markdownTable(header, body, align)}\n\n${conditionsLine(done)}\n`, facts };
}
