/** Markdown tables: a generic one, and the paper's Table 2 beside our runs. */
import type { ResultRow } from "./rows.js";
import { mean, sampleSd } from "./stats.js";

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
  { id: "mnist-conv", label: "MNIST" },
  { id: "cifar10", label: "CIFAR-10" },
  { id: "svhn", label: "SVHN" },
]);

/** The display name of a dataset id ("pi-mnist" → "PI MNIST"); unknown ids are shown as they are. */
export function datasetLabel(id: string): string {
  return DATASETS.find((d) => d.id === id)?.label ?? id;
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
const signed = (x: number) => {
  const d = Math.abs(x).toFixed(2);
  return d === "0.00" ? "±0.00" : `${x > 0 ? "+" : "−"}${d}`;
};

/** "1–3" for consecutive seeds, else "1, 4, 7". */
function seedList(seeds: readonly number[]): string {
  const s = [...new Set(seeds)].sort((a, b) => a - b);
  if (s.length > 2 && s.every((v, i) => i === 0 || v === s[i - 1]! + 1)) return `${s[0]}–${s[s.length - 1]}`;
  return s.join(", ");
}

/** Why a cell has no done run, from the statuses of its rows. */
function notRun(rows: readonly ResultRow[]): string {
  const kinds = new Set(rows.map((r) => r.status.split(":")[0]!.trim()));
  kinds.delete("not run");
  return kinds.size === 0 ? "not run" : `not run (${[...kinds].sort().join(", ")})`;
}

function configLabel(r: ResultRow): string {
  const parts = [`${r.epochs} ep`];
  if (r.trainLimit > 0) parts.push(`${r.trainLimit} train`);
  if (r.variant !== "paper") parts.push(r.variant);
  return parts.join(", ");
}

/** One cell: each configuration (variant, epochs, subset) of done runs on its own line, then the paper's value. */
function table2Cell(rows: readonly ResultRow[], paper: number | undefined): string {
  const done = rows.filter((r) => r.status === "done" && Number.isFinite(r.testError));
  const ref = paper === undefined || !Number.isFinite(paper) ? undefined : paper;
  if (done.length === 0) return ref === undefined ? notRun(rows) : `${notRun(rows)} (paper ${pct(ref)})`;
  const groups = new Map<string, ResultRow[]>();
  for (const r of done) {
    const key = `${r.variant}\u0000${r.epochs}\u0000${r.trainLimit}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // The paper's variant first, then the longest training, then the whole training set before subsets.
  const order = (r: ResultRow): number[] => [r.variant === "paper" ? 0 : 1, -r.epochs, r.trainLimit === 0 ? 0 : 1];
  const byOrder = (a: ResultRow, b: ResultRow): number => {
    const [x, y] = [order(a), order(b)];
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return a.variant.localeCompare(b.variant) || b.trainLimit - a.trainLimit;
  };
  return [...groups.values()]
    .sort((a, b) => byOrder(a[0]!, b[0]!))
    .map((g) => {
      const errors = g.map((r) => r.testError);
      const m = mean(errors);
      const ours = g.length > 1 ? `${pct(m)} ± ${pct(sampleSd(errors))}` : pct(m);
      const vsPaper = ref === undefined ? "" : ` (paper ${pct(ref)}, ${signed(m - ref)})`;
      const seeds = g.length > 1 ? `seeds ${seedList(g.map((r) => r.seed))}` : `seed ${g[0]!.seed}`;
      return `**${ours}**${vsPaper} n=${g.length}, ${seeds}, ${configLabel(g[0]!)}`;
    })
    .join("<br>");
}

/**
 * The paper's Table 2 beside our runs, as one Markdown table: a row per setting of `paper` (matched to
 * ResultRow.setting), a column per dataset. A cell shows our test error (mean ± sample sd when several seeds
 * share a configuration) in bold, the paper's number and our difference to it, the number of runs, their seeds
 * and epochs; "not run" when no row of that cell is done. A paper row with no result row at all (or marked
 * `reference`), such as Goodfellow et al.'s, is shown as reference numbers only. Rows of other experiments than
 * "table2" are ignored. A legend line follows the table.
 */
export function table2Markdown(rows: readonly ResultRow[], paper: PaperTable2): string {
  const ours = rows.filter((r) => r.experiment === "table2");
  const datasets = [...DATASETS.map((d) => d.id)];
  for (const id of [...paper.rows.flatMap((p) => Object.keys(p.values)), ...ours.map((r) => r.dataset)])
    if (!datasets.includes(id)) datasets.push(id);
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
  // Settings we ran that the paper's table has no row for.
  const known = new Set(paper.rows.map((p) => p.setting));
  const extra = [...new Set(ours.map((r) => r.setting))].filter((s) => !known.has(s)).sort();
  for (const s of extra) {
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
    `${paper.title} (${paper.provenance}). Test error in percent at the best validation epoch; **bold**: ours ` +
    "(mean ± sample standard deviation over the n runs that share a configuration), then the paper's number and " +
    "ours − paper; ep = epochs trained; “not run” = no finished run. Bits include the sign.";
  return `${markdownTable(header, body, align)}\n\n${legend}\n`;
}
