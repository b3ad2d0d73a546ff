/**
 * A run's scale telemetry reduced to one row per layer and group: where each group's scale settled, how far it
 * moved, how often it overflowed or flushed values to zero, and when it first overflowed more than the rule allows.
 * Small enough to commit for a network of many layers (a ViT's 38 layers × 10–16 groups), and what the report and
 * notebook 08 read to say which groups need the most integer bits.
 */
import Papa from "papaparse";
import type { ScaleRow } from "./rows.js";

/** One layer's group over a run. */
export interface GroupSummary {
  readonly layer: number;
  /** the layer's name (e.g. "block2.attn"), or its index when no name was given */
  readonly name: string;
  readonly group: string;
  /** training windows (calibration excluded) */
  readonly windows: number;
  /** integer bits after the last calibration window (NaN without calibration) */
  readonly calibratedBits: number;
  /** integer bits after the last training window */
  readonly lastBits: number;
  readonly minBits: number;
  readonly maxBits: number;
  /** mean and largest overflow rate over the training windows */
  readonly meanOverflowRate: number;
  readonly maxOverflowRate: number;
  /** mean rate of nonzero values rounded to zero over the training windows (NaN when none was observed) */
  readonly meanFlushRate: number;
  /** largest |x| over every window */
  readonly amax: number;
  /**
   * training examples seen (calibration included) at the first window, calibration or training, whose overflow
   * rate exceeded `maxRate`; NaN when none did
   */
  readonly firstOverflowExamples: number;
}

export const GROUP_SUMMARY_COLUMNS: readonly (keyof GroupSummary & string)[] = [
  "layer",
  "name",
  "group",
  "windows",
  "calibratedBits",
  "lastBits",
  "minBits",
  "maxBits",
  "meanOverflowRate",
  "maxOverflowRate",
  "meanFlushRate",
  "amax",
  "firstOverflowExamples",
];

const meanOf = (xs: readonly number[]): number =>
  xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * One row per (layer, group) of `rows`, in the order they first appear; `names` names the layers by index;
 * `maxRate` is the overflow-rate rule's largest rate kept (the paper's 1e-4).
 */
export function summarizeGroups(
  rows: readonly ScaleRow[],
  names: readonly string[] = [],
  maxRate = 1e-4,
): GroupSummary[] {
  const byKey = new Map<string, ScaleRow[]>();
  for (const r of rows) {
    const key = `${r.layer}\u0000${r.group}`;
    const list = byKey.get(key);
    if (list) list.push(r);
    else byKey.set(key, [r]);
  }
  return [...byKey.values()].map((list) => {
    const first = list[0]!;
    const training = list.filter((r) => r.phase === "training");
    const calibration = list.filter((r) => r.phase === "calibration");
    const bits = list.map((r) => r.integerBits).filter(Number.isFinite);
    const over = list.find((r) => r.overflowRate > maxRate);
    const flush = training.map((r) => r.flushRate ?? Number.NaN).filter(Number.isFinite);
    return {
      layer: first.layer,
      name: names[first.layer] ?? String(first.layer),
      group: first.group,
      windows: training.length,
      calibratedBits: calibration.at(-1)?.integerBits ?? Number.NaN,
      lastBits: training.at(-1)?.integerBits ?? Number.NaN,
      minBits: bits.length === 0 ? Number.NaN : Math.min(...bits),
      maxBits: bits.length === 0 ? Number.NaN : Math.max(...bits),
      meanOverflowRate: meanOf(training.map((r) => r.overflowRate)),
      maxOverflowRate: training.length === 0 ? Number.NaN : Math.max(...training.map((r) => r.overflowRate)),
      meanFlushRate: meanOf(flush),
      amax: Math.max(0, ...list.map((r) => r.amax).filter(Number.isFinite)),
      firstOverflowExamples: over?.examples ?? Number.NaN,
    };
  });
}

/** CSV cell of a number: integers exactly, others at 6 significant digits, NaN empty. */
function cell(v: number | string): string {
  if (typeof v === "string") return v;
  if (Number.isNaN(v)) return "";
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

export function groupSummariesToCsv(rows: readonly GroupSummary[]): string {
  const data = rows.map((r) => GROUP_SUMMARY_COLUMNS.map((c) => cell(r[c])));
  return `${Papa.unparse({ fields: [...GROUP_SUMMARY_COLUMNS], data }, { newline: "\n", quotes: false })}\n`;
}

/** Reads groupSummariesToCsv's output; a missing column or a cell that is not a number is named with its row. */
export function groupSummariesFromCsv(text: string, source: string): GroupSummary[] {
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  if (parsed.errors.length > 0) throw new Error(`${source}: malformed CSV: ${parsed.errors[0]!.message}`);
  const fields = parsed.meta.fields ?? [];
  for (const c of GROUP_SUMMARY_COLUMNS)
    if (!fields.includes(c)) throw new Error(`${source}: header: missing column "${c}"`);
  return parsed.data.map((r, i) => {
    const num = (c: keyof GroupSummary & string): number => {
      const t = (r[c] ?? "").trim();
      const v = t === "" ? Number.NaN : Number(t);
      if (t !== "" && !Number.isFinite(v)) throw new Error(`${source}: row ${i + 1}, column "${c}": not a number`);
      return v;
    };
    return {
      layer: num("layer"),
      name: r["name"] ?? "",
      group: r["group"] ?? "",
      windows: num("windows"),
      calibratedBits: num("calibratedBits"),
      lastBits: num("lastBits"),
      minBits: num("minBits"),
      maxBits: num("maxBits"),
      meanOverflowRate: num("meanOverflowRate"),
      maxOverflowRate: num("maxOverflowRate"),
      meanFlushRate: num("meanFlushRate"),
      amax: num("amax"),
      firstOverflowExamples: num("firstOverflowExamples"),
    };
  });
}

/** The range of a list of integers as text: "3" or "−2 to 5". */
function span(xs: readonly number[]): string {
  const f = xs.filter(Number.isFinite);
  if (f.length === 0) return "—";
  const [lo, hi] = [Math.min(...f), Math.max(...f)];
  const t = (v: number) => (v < 0 ? `−${-v}` : String(v));
  return lo === hi ? t(lo) : `${t(lo)} to ${t(hi)}`;
}

/**
 * Per group (over its layers): the span of its last integer bits, its mean overflow and flush rates, and the
 * fewest examples seen at its first overflow above the rule's rate; sorted by the largest last integer bits.
 */
export function groupsAcrossLayers(summary: readonly GroupSummary[]): {
  readonly group: string;
  readonly layers: number;
  readonly lastBits: string;
  readonly maxLastBits: number;
  readonly meanOverflowRate: number;
  readonly meanFlushRate: number;
  readonly firstOverflowExamples: number;
}[] {
  const groups = [...new Set(summary.map((s) => s.group))];
  return groups
    .map((group) => {
      const mine = summary.filter((s) => s.group === group);
      const firsts = mine.map((s) => s.firstOverflowExamples).filter(Number.isFinite);
      return {
        group,
        layers: mine.length,
        lastBits: span(mine.map((s) => s.lastBits)),
        maxLastBits: Math.max(...mine.map((s) => s.lastBits).filter(Number.isFinite), Number.NEGATIVE_INFINITY),
        meanOverflowRate: meanOf(mine.map((s) => s.meanOverflowRate).filter(Number.isFinite)),
        meanFlushRate: meanOf(mine.map((s) => s.meanFlushRate).filter(Number.isFinite)),
        firstOverflowExamples: firsts.length === 0 ? Number.NaN : Math.min(...firsts),
      };
    })
    .sort((a, b) => b.maxLastBits - a.maxLastBits || a.group.localeCompare(b.group));
}
