/**
 * Vega-Lite specifications of the paper's figures, of Table 2 as ratios to float32, of the dynamic fixed point
 * telemetry and of cost vs error; and the sentences a caption may state about the paper's figures.
 *
 * A point of the paper's figures is a mean over seeds of the per-seed normalised error (`normalizedError`: test
 * error ÷ the float32 error of the same dataset, length, subset and seed), drawn with its 95 % t interval
 * (`summarize` of stats.ts) as an error bar when it has two seeds or more.
 */
import type { TopLevelSpec } from "vega-lite";
import { GROUP_FAMILIES } from "./facts.js";
import { DATASETS, datasetLabel, type PaperTable2 } from "./markdown.js";
import type { ResultRow, ScaleRow } from "./rows.js";
import { type Summary, summarize } from "./stats.js";

/** A Vega-Lite specification (vega-lite's TopLevelSpec). */
export type VegaLiteSpec = TopLevelSpec;

type Config = NonNullable<TopLevelSpec["config"]>;
type FacetedSpec = Extract<TopLevelSpec, { facet: unknown }>;
type Layer = Extract<FacetedSpec["spec"], { layer: unknown }>["layer"][number];
type Datum = Record<string, string | number | boolean | null>;

/** The one font family of every figure: vega lays text out in it and resvg draws the PNG with it. */
export const FONT_FAMILY = "DejaVu Sans";

const SCHEMA_URL = "https://vega.github.io/schema/vega-lite/v5.json";

/** The look shared by every figure: one font, text of at least 11 px, a white background. */
export const REPORT_CONFIG: Config = {
  font: FONT_FAMILY,
  background: "white",
  padding: 12,
  view: { stroke: "#bbb" },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: "normal",
    titlePadding: 8,
    gridColor: "#e6e6e6",
    labelOverlap: true,
  },
  legend: {
    labelFontSize: 12,
    titleFontSize: 12,
    titleFontWeight: "bold",
    labelLimit: 260,
    symbolSize: 80,
    symbolOpacity: 1,
  },
  header: { labelFontSize: 13, titleFontSize: 13, titleFontWeight: "normal" },
  title: { fontSize: 15, subtitleFontSize: 12, subtitleColor: "#444", anchor: "start", offset: 10 },
  text: { fontSize: 11 },
};

/** The figures of the paper that figureSpec draws. */
export type FigureKind = "radix-point" | "prop-bits" | "update-bits" | "overflow-rate";
export const FIGURE_KINDS: readonly FigureKind[] = Object.freeze([
  "radix-point",
  "prop-bits",
  "update-bits",
  "overflow-rate",
] as const);

/**
 * The figures drawn like the paper's from an experiment's rows (a series per setting, normalised error against a
 * swept field): the paper's four, and beyond the paper the scaling policies (`policiesSpec`).
 */
export type SeriesFigureKind = FigureKind | "scaling" | "transformer";

/** The scaling experiment's policies, in the order its figure and facts give them. */
export const SCALING_POLICIES: readonly string[] = Object.freeze([
  "overflow-rate",
  "delayed-amax",
  "current-amax",
  "predictive",
  "block-scaled",
  // the control: block-scaled with float32 stored parameters (bfloat16 above)
  "block-scaled-f32",
]);

/** A colour per dataset, the same in every figure. */
const DATASET_COLORS: Readonly<Record<string, string>> = {
  "pi-mnist": "#4c78a8",
  "mnist-conv": "#f58518",
  cifar10: "#e45756",
  svhn: "#54a24b",
};
/** Ten distinct colours (Vega's tableau10). */
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];
/** Marker shapes, in the order series take them. */
const SHAPES = ["circle", "square", "triangle-up", "diamond", "cross", "triangle-down", "triangle-left", "wedge"];

const FORMAT_LABELS: Readonly<Record<string, string>> = {
  float32: "float32",
  binary16: "half (binary16)",
  fixed: "fixed point",
  "dynamic-fixed": "dynamic fixed point",
};
const FORMAT_ORDER = ["float32", "binary16", "fixed", "dynamic-fixed"];
/** A colour and a marker per format, the same in every figure. */
const FORMAT_STYLE: Readonly<Record<string, { color: string; shape: string }>> = {
  float32: { color: "#666666", shape: "circle" },
  binary16: { color: "#54a24b", shape: "diamond" },
  fixed: { color: "#e45756", shape: "square" },
  "dynamic-fixed": { color: "#4c78a8", shape: "triangle-up" },
};

/** The display name of a format id ("dynamic-fixed" → "dynamic fixed point"). */
export function formatLabel(id: string): string {
  return FORMAT_LABELS[id] ?? id;
}

/** The grey of the float32 rule and of the paper's marks that belong to no series. */
const GREY = "#777777";

function orderBy(known: readonly string[]) {
  return (a: string, b: string) => {
    const [i, j] = [known.indexOf(a), known.indexOf(b)];
    return (i < 0 ? known.length : i) - (j < 0 ? known.length : j) || a.localeCompare(b);
  };
}

const datasetIds = DATASETS.map((d) => d.id);
const byDataset = orderBy(datasetIds);
const sortedUnique = <T>(xs: readonly T[], order: (a: T, b: T) => number): T[] => [...new Set(xs)].sort(order);
const numeric = (a: number, b: number) => a - b;

/** The colour scale of datasets (display names as domain). */
function datasetScale(ids: readonly string[]): { domain: string[]; range: string[] } {
  const domain = sortedUnique(ids, byDataset);
  const spare = PALETTE.filter((c) => !Object.values(DATASET_COLORS).includes(c));
  let k = 0;
  const range = domain.map((id) => DATASET_COLORS[id] ?? spare[k++ % spare.length]!);
  return { domain: domain.map(datasetLabel), range };
}

/** A colour and a shape per series label, in the given order; `fixed` styles known labels. */
interface SeriesStyle {
  domain: string[];
  colors: string[];
  shapes: string[];
}
function seriesStyle(
  labels: readonly string[],
  fixed: Readonly<Record<string, { color: string; shape: string }>> = {},
): SeriesStyle {
  const usedColors = new Set(labels.map((l) => fixed[l]?.color).filter((c) => c !== undefined));
  const usedShapes = new Set(labels.map((l) => fixed[l]?.shape).filter((s) => s !== undefined));
  const colors = PALETTE.filter((c) => !usedColors.has(c));
  const shapes = SHAPES.filter((s) => !usedShapes.has(s));
  let k = 0;
  const out: SeriesStyle = { domain: [...labels], colors: [], shapes: [] };
  for (const l of labels) {
    const f = fixed[l];
    out.colors.push(f?.color ?? colors[k % colors.length]!);
    out.shapes.push(f?.shape ?? shapes[k % shapes.length]!);
    if (f === undefined) k++;
  }
  return out;
}

/** Powers of ten from below lo to above hi: the ticks of a log axis, which vega would otherwise crowd. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(Number(`1e${e}`));
  return out;
}

/** "a", "a and b", "a, b and c". */
function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** "3" or "2–3": the range of a list of counts. */
function countRange(ns: readonly number[]): string {
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

/** A 6-significant-digit rendering that keeps float noise out of the data (and so out of the SVG). */
const round6 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);
/** A finite number rounded for the data, or null (JSON and vega have no NaN). */
const num = (x: number): number | null => (Number.isFinite(x) ? round6(x) : null);

/** A maximum overflow rate as the paper writes it: 0.0001 → "1e-4", 0.0003 → "3e-4". */
function rateText(x: number): string {
  const [m, e] = x.toExponential().split("e");
  return `${Number(m)}e${Number(e)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The paper's four figures: points over seeds
// ---------------------------------------------------------------------------------------------------------------

interface Knee {
  /** The series whose colour the mark takes (none: grey, drawn whenever the panel has points). */
  series?: string;
  x: number;
  label: string;
}

interface KindDef {
  title: string;
  xTitle: string;
  xLog: boolean;
  x: (r: ResultRow) => number;
  /** Rows drawn as points: not the float32 baseline (drawn as the rule at 1), and with a usable x. */
  point: (r: ResultRow) => boolean;
  series: (r: ResultRow) => string;
  seriesTitle: string;
  style: (labels: readonly string[]) => SeriesStyle;
  /** Orders series labels. */
  order: (a: string, b: string) => number;
  knees: readonly Knee[];
  /** "8, 10 and 12 bits" */
  xText: (xs: readonly number[]) => string;
  /** Larger x is more precision (widths): the facts then say from which x up no interval lies above 1. */
  widths: boolean;
}

const formatOrder = orderBy(FORMAT_ORDER.map(formatLabel));
const formatStyle = (labels: readonly string[]) =>
  seriesStyle(labels, Object.fromEntries(Object.entries(FORMAT_STYLE).map(([id, s]) => [formatLabel(id), s])));
const notFloat32 = (r: ResultRow) => r.format !== "float32";
const bitsText = (unit: string) => (xs: readonly number[]) =>
  `${listText(xs.map(String))} ${unit}${xs.length === 1 && xs[0] === 1 ? "" : "s"}`;

const KINDS: Readonly<Record<SeriesFigureKind, KindDef>> = {
  "radix-point": {
    title: "Fixed point: test error vs radix point position",
    xTitle: "integer bits (radix point position)",
    xLog: false,
    x: (r) => r.integerBits,
    point: (r) => notFloat32(r) && Number.isFinite(r.integerBits),
    series: (r) => formatLabel(r.format),
    seriesTitle: "format",
    style: formatStyle,
    order: formatOrder,
    knees: [{ series: formatLabel("fixed"), x: 5, label: "paper: lowest at 5" }],
    xText: bitsText("integer bit"),
    widths: false,
  },
  "prop-bits": {
    title: "Test error vs width of the propagations",
    xTitle: "propagation width (bits, with sign)",
    xLog: false,
    x: (r) => r.propagationBits,
    point: (r) => notFloat32(r) && Number.isFinite(r.propagationBits),
    series: (r) => formatLabel(r.format),
    seriesTitle: "format",
    style: formatStyle,
    order: formatOrder,
    knees: [
      { series: formatLabel("fixed"), x: 20, label: "paper: fixed ≈ 20" },
      { series: formatLabel("dynamic-fixed"), x: 10, label: "paper: dynamic ≈ 10" },
    ],
    xText: bitsText("bit"),
    widths: true,
  },
  "update-bits": {
    title: "Test error vs width of the parameter updates",
    xTitle: "update width (bits, with sign)",
    xLog: false,
    x: (r) => r.updateBits,
    point: (r) => notFloat32(r) && Number.isFinite(r.updateBits),
    series: (r) => formatLabel(r.format),
    seriesTitle: "format",
    style: formatStyle,
    order: formatOrder,
    knees: [
      { series: formatLabel("fixed"), x: 20, label: "paper: fixed ≈ 20" },
      { series: formatLabel("dynamic-fixed"), x: 12, label: "paper: dynamic ≈ 12" },
    ],
    xText: bitsText("bit"),
    widths: true,
  },
  "overflow-rate": {
    title: "Dynamic fixed point: test error vs maximum overflow rate",
    xTitle: "maximum overflow rate (log scale)",
    xLog: true,
    x: (r) => r.maxOverflowRate,
    point: (r) => r.format === "dynamic-fixed" && Number.isFinite(r.maxOverflowRate) && r.maxOverflowRate > 0,
    series: (r) => `${r.propagationBits} bits`,
    seriesTitle: "propagation width",
    style: (labels) => seriesStyle(labels),
    order: (a, b) => Number.parseFloat(a) - Number.parseFloat(b) || a.localeCompare(b),
    knees: [{ x: 1e-4, label: "paper: 1e-4" }],
    xText: (xs) => listText(xs.map(rateText)),
    widths: false,
  },
  scaling: {
    title: "Scaling policies: test error vs width of the propagations",
    xTitle: "propagation width (bits, with sign)",
    xLog: false,
    x: (r) => r.propagationBits,
    point: (r) => notFloat32(r) && Number.isFinite(r.propagationBits),
    series: (r) => r.setting,
    seriesTitle: "scaling policy",
    style: (labels) => seriesStyle(labels),
    order: orderBy(SCALING_POLICIES),
    knees: [],
    xText: bitsText("bit"),
    widths: true,
  },
  transformer: {
    title: "Dynamic fixed point: test error vs width of the propagations, a Transformer beside a Maxout network",
    xTitle: "propagation width (bits, with sign; updates at 12)",
    xLog: false,
    x: (r) => r.propagationBits,
    point: (r) => r.format === "dynamic-fixed" && Number.isFinite(r.propagationBits),
    series: (r) => formatLabel(r.format),
    seriesTitle: "format",
    style: formatStyle,
    order: formatOrder,
    knees: [{ series: formatLabel("dynamic-fixed"), x: 10, label: "paper (Maxout): dynamic ≈ 10" }],
    xText: bitsText("bit"),
    widths: true,
  },
};

/** One point of a paper figure: the runs of one dataset, series and x, over seeds. */
interface SeriesPoint {
  dataset: string;
  series: string;
  x: number;
  /** The per-seed normalised errors, summarised. */
  ratio: Summary;
  /** The per-seed test errors (percent), summarised. */
  testError: Summary;
  runs: ResultRow[];
}

/** The rows of a figure, split: its points, and everything the subtitle must account for. */
interface FigureData {
  def: KindDef;
  /** Every row of the experiment. */
  all: ResultRow[];
  points: SeriesPoint[];
  /** The done rows the points average, plus the done float32 baseline rows of the drawn datasets. */
  drawnRows: ResultRow[];
  /** Done point rows without a float32 baseline (no finite normalizedError). */
  noBaseline: ResultRow[];
  datasets: string[];
}

function figureData(kind: SeriesFigureKind, rows: readonly ResultRow[]): FigureData {
  const def = KINDS[kind];
  const all = rows.filter((r) => r.experiment === kind);
  const done = all.filter((r) => r.status === "done");
  const pointRows = done.filter(def.point);
  const usable = pointRows.filter((r) => Number.isFinite(r.normalizedError));
  const noBaseline = pointRows.filter((r) => !Number.isFinite(r.normalizedError));
  const groups = new Map<string, ResultRow[]>();
  for (const r of usable) {
    const key = JSON.stringify([r.dataset, def.series(r), def.x(r)]);
    const group = groups.get(key) ?? [];
    const same = group.find((g) => g.seed === r.seed);
    if (same !== undefined)
      throw new Error(
        `${kind} figure: runs ${same.runId} and ${r.runId} are both seed ${r.seed} of ${r.dataset} ` +
          `${def.series(r)} at x = ${def.x(r)}; pass the rows of one variant`,
      );
    const first = group[0];
    if (first !== undefined)
      for (const field of ["variant", "epochs", "trainLimit"] as const)
        if (first[field] !== r[field])
          throw new Error(
            `${kind} figure: runs ${first.runId} and ${r.runId} (${r.dataset} ${def.series(r)} at x = ${def.x(r)}) ` +
              `differ in ${field} (${first[field]} vs ${r[field]}); a point averages seeds of one configuration`,
          );
    groups.set(key, [...group, r]);
  }
  const points = [...groups.values()].map((g) => {
    const runs = g.slice().sort((a, b) => a.seed - b.seed);
    return {
      dataset: runs[0]!.dataset,
      series: def.series(runs[0]!),
      x: def.x(runs[0]!),
      ratio: summarize(runs.map((r) => r.normalizedError)),
      testError: summarize(runs.map((r) => r.testError)),
      runs,
    };
  });
  points.sort((a, b) => byDataset(a.dataset, b.dataset) || def.order(a.series, b.series) || a.x - b.x);
  const datasets = sortedUnique(
    points.map((p) => p.dataset),
    byDataset,
  );
  const baselines = done.filter((r) => r.format === "float32" && datasets.includes(r.dataset));
  return { def, all, points, drawnRows: [...usable, ...baselines], noBaseline, datasets };
}

/**
 * The conditions of the drawn runs, one line when every dataset shares them, else one line per dataset:
 * dataset, variant, epochs, training subset (0 = the whole set), test images (when recorded).
 */
function conditionLines(rows: readonly ResultRow[]): string[] {
  const perDataset = sortedUnique(
    rows.map((r) => r.dataset),
    byDataset,
  ).map((d) => {
    const mine = rows.filter((r) => r.dataset === d);
    const values = <T extends string | number>(f: (r: ResultRow) => T) =>
      [...new Set(mine.map(f))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const epochs = values((r) => r.epochs);
    const limits = values((r) => r.trainLimit);
    const tests = values((r) => r.testExamples).filter((t) => Number.isFinite(t));
    const parts = [
      `${values((r) => r.variant).join(", ")} variant`,
      `${epochs.join(", ")} epoch${epochs.length === 1 && epochs[0] === 1 ? "" : "s"}`,
      limits.length === 1 && limits[0] === 0
        ? "whole training set"
        : `training subset ${limits.map((t) => (t === 0 ? "whole set" : `${t} images`)).join(", ")}`,
    ];
    if (tests.length > 0) parts.push(`${tests.join(", ")} test images`);
    return { label: datasetLabel(d), text: parts.join(" · ") };
  });
  if (perDataset.length === 0) return [];
  if (perDataset.every((p) => p.text === perDataset[0]!.text))
    return [`${listText(perDataset.map((p) => p.label))} · ${perDataset[0]!.text}`];
  return perDataset.map((p) => `${p.label}: ${p.text}`);
}

/** "running", "failed", "not run": the first word(s) of a status, before any detail. */
const statusKind = (status: string) => status.split(/[:(]/)[0]!.trim();

/** Lines for what is not drawn: datasets without a finished run (and why), runs not done, runs without a baseline. */
function missingLines(all: readonly ResultRow[], drawn: readonly string[], noBaseline: readonly ResultRow[]): string[] {
  const lines: string[] = [];
  const datasets = sortedUnique(
    all.map((r) => r.dataset),
    byDataset,
  );
  const absent: string[] = [];
  for (const d of datasets) {
    const mine = all.filter((r) => r.dataset === d);
    const notDone = mine.filter((r) => r.status !== "done");
    if (drawn.includes(d)) {
      if (notDone.length > 0) lines.push(`${datasetLabel(d)}: ${notDone.length} of ${mine.length} runs not done`);
      continue;
    }
    if (notDone.length > 0 && notDone.every((r) => r.status.startsWith("not run: data missing"))) {
      absent.push(datasetLabel(d));
      continue;
    }
    const counts = new Map<string, number>();
    for (const r of notDone) counts.set(statusKind(r.status), (counts.get(statusKind(r.status)) ?? 0) + 1);
    const text = [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
    lines.push(`${datasetLabel(d)}: nothing drawn${text === "" ? "" : ` (${text})`}`);
  }
  if (absent.length > 0)
    lines.unshift(`${listText(absent)} not run: ${absent.length === 1 ? "its" : "their"} data files are absent`);
  if (noBaseline.length > 0)
    lines.push(`${noBaseline.length} finished run${noBaseline.length === 1 ? "" : "s"} without a float32 baseline`);
  return lines;
}

/** The subtitle line about seeds: n per point, and which points are single runs (drawn without a bar). */
function seedLine(points: readonly SeriesPoint[], def: KindDef, several: boolean): string {
  const ns = points.map((p) => p.ratio.n);
  const head = `n = ${countRange(ns)} seed${Math.max(...ns) === 1 ? "" : "s"} per point`;
  const singles = points.filter((p) => p.ratio.n < 2);
  if (singles.length === 0) return `${head}; bar: 95 % t interval of the mean`;
  if (singles.length === points.length) return `${head}: single runs, no interval`;
  const parts: string[] = [];
  for (const d of sortedUnique(
    singles.map((p) => p.dataset),
    byDataset,
  ))
    for (const s of sortedUnique(
      singles.filter((p) => p.dataset === d).map((p) => p.series),
      def.order,
    )) {
      const xs = singles.filter((p) => p.dataset === d && p.series === s).map((p) => p.x);
      parts.push(`${several ? `${datasetLabel(d)} ` : ""}${s} at ${def.xText(xs)}`);
    }
  return `${head}; no bar (n = 1): ${parts.join("; ")}`;
}

/** Nice tick values of the normalised error on a log axis. */
const RATIO_TICKS = [0.2, 0.5, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000];
/** The same over a wider range: 1-2-5 steps. */
const COARSE_RATIO_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/** Pixel size of a paper figure's panel. */
const PANEL = { width: 480, height: 300 };
/** Rough width of a character of 11 px text, for placing the knee labels. */
const CHAR_PX = 7;
const KNEE_ROW_PX = 15;

function seriesFigure(kind: SeriesFigureKind, rows: readonly ResultRow[]): VegaLiteSpec {
  const data = figureData(kind, rows);
  const { def, points } = data;
  const several = data.datasets.length > 1;
  const width = several ? 420 : PANEL.width;
  const { height } = PANEL;
  const seriesLabels = sortedUnique(
    points.map((p) => p.series),
    def.order,
  );
  const style = def.style(seriesLabels);
  const colorOf = (s: string) => style.colors[style.domain.indexOf(s)] ?? GREY;

  // x: the swept values as ticks; the knees of drawn series (or of none) inside the domain.
  const xs = sortedUnique(
    points.map((p) => p.x),
    numeric,
  );
  const knees = def.knees.filter((k) => k.series === undefined || seriesLabels.includes(k.series));
  const xAll = [...xs, ...knees.map((k) => k.x)];
  const pos = def.xLog ? Math.log10 : (v: number) => v;
  const unpos = def.xLog ? (v: number) => 10 ** v : (v: number) => v;
  const [p0, p1] = xAll.length > 0 ? [pos(Math.min(...xAll)), pos(Math.max(...xAll))] : [0, 1];
  const pad = p1 > p0 ? 0.05 * (p1 - p0) : 0.5;
  const xDomain = [round6(unpos(p0 - pad)), round6(unpos(p1 + pad))];
  const px = (v: number) => ((pos(v) - (p0 - pad)) / (p1 - p0 + 2 * pad)) * width;

  // Series that share an x in a panel are drawn a few pixels apart, so their bars do not overprint.
  const shared = points.some((p) =>
    points.some((q) => q !== p && q.dataset === p.dataset && q.x === p.x && q.series !== p.series),
  );
  const dodgePx = shared ? 5 : 0;
  const xPlot = (p: SeriesPoint) => {
    const inPanel = sortedUnique(
      points.filter((q) => q.dataset === p.dataset).map((q) => q.series),
      def.order,
    );
    const offset = (inPanel.indexOf(p.series) - (inPanel.length - 1) / 2) * dodgePx;
    return round6(unpos(pos(p.x) + (offset / width) * (p1 - p0 + 2 * pad)));
  };

  // Knee labels in rows at the top, each row above every point; a label that would run off the right edge is
  // drawn to the left of its mark.
  const placed: { x: number; label: string; series: string | null; color: string; row: number; left: boolean }[] = [];
  const ends: number[] = [];
  for (const k of knees.slice().sort((a, b) => a.x - b.x)) {
    const w = k.label.length * CHAR_PX + 6;
    const at = px(k.x);
    const left = at + w > width;
    const [a, b] = left ? [at - w, at] : [at, at + w];
    let row = ends.findIndex((end) => end < a);
    if (row < 0) row = ends.length;
    ends[row] = b;
    placed.push({
      x: k.x,
      label: k.label,
      series: k.series ?? null,
      color: k.series ? colorOf(k.series) : GREY,
      row,
      left,
    });
  }
  const band = placed.length > 0 ? (Math.max(...placed.map((k) => k.row)) + 1) * KNEE_ROW_PX + 8 : 8;

  // y: the normalised error from 0 (linear), or on a log axis when some point is above 3; headroom for the labels.
  const ys = points.flatMap((p) => [p.ratio.mean, p.ratio.lo, p.ratio.hi]).filter(Number.isFinite);
  const yMax = Math.max(1, ...ys);
  const yLog = yMax > 3;
  // NOTE: a t interval of few seeds may reach below 0; a log axis has no place for it (its bar is cut, below)
  const yMin = Math.min(1, ...(yLog ? ys.filter((v) => v > 0) : ys));
  const frac = height / (height - band);
  let yDomain: number[];
  let yTicks: number[];
  if (yLog) {
    const lo = Math.min(yMin, 1) / 1.15;
    const top = 10 ** (Math.log10(lo) + (Math.log10(yMax * 1.05) - Math.log10(lo)) * frac);
    yDomain = [round6(lo), round6(top)];
    // NOTE: over more than a decade and a half, the ticks between 0.5 and 2 crowd the float32 label: 1-2-5 only
    const ticks = Math.log10(top / lo) > 1.5 ? COARSE_RATIO_TICKS : RATIO_TICKS;
    yTicks = ticks.filter((t) => t >= lo && t <= top);
  } else {
    const top = Math.max(yMax * 1.05, 1.2) * frac;
    const step = top > 2.5 ? 0.5 : 0.25;
    yDomain = [0, round6(top)];
    yTicks = Array.from({ length: Math.floor(top / step) + 1 }, (_, i) => round6(i * step));
  }

  const values: Datum[] = [];
  const bottom = yDomain[0]!;
  const cut = points.filter((p) => p.ratio.n >= 2 && p.ratio.lo < bottom);
  for (const d of data.datasets) values.push({ part: "baseline", dataset: datasetLabel(d), y: 1 });
  for (const p of points)
    values.push({
      part: "point",
      dataset: datasetLabel(p.dataset),
      series: p.series,
      x: round6(p.x),
      xPlot: xPlot(p),
      y: round6(p.ratio.mean),
      // drawn from the axis' bottom when the interval reaches below it; the tooltip gives the interval's own low
      lo: num(Math.max(p.ratio.lo, bottom)),
      intervalLo: num(p.ratio.lo),
      hi: num(p.ratio.hi),
      n: p.ratio.n,
      seeds: p.runs.map((r) => r.seed).join(", "),
      testError: round6(p.testError.mean),
    });
  for (const d of data.datasets)
    for (const k of placed)
      if (k.series === null || points.some((p) => p.dataset === d && p.series === k.series))
        values.push({
          part: k.left ? "knee-left" : "knee",
          dataset: datasetLabel(d),
          x: round6(k.x),
          label: k.label,
          color: k.color,
          top: 4 + k.row * KNEE_ROW_PX,
        });

  const only = (...parts: string[]) => [{ filter: { field: "part", oneOf: parts } }];
  const xScale = def.xLog
    ? { type: "log" as const, domain: xDomain, nice: false }
    : { domain: xDomain, nice: false, zero: false };
  const xAxis = {
    title: def.xTitle,
    values: xs.map(round6),
    format: def.xLog ? "" : "d",
    labelExpr: def.xLog ? rateLabelExpr : undefined,
    labelOverlap: false,
    grid: true,
  };
  const x = { field: "xPlot", type: "quantitative" as const, scale: xScale, axis: xAxis, title: def.xTitle };
  const xTrue = { field: "x", type: "quantitative" as const, scale: xScale, axis: xAxis, title: def.xTitle };
  // Short: vega estimates text at 0.8 em a character, and a rotated title longer than the panel pads the figure.
  const yTitle = `test error ÷ float32's${yLog ? " (log)" : ""}`;
  const yScale = yLog
    ? { type: "log" as const, domain: yDomain, nice: false }
    : { domain: yDomain, nice: false, zero: true };
  const yAxis = {
    title: yTitle,
    values: yTicks,
    labelExpr: "datum.value === 1 ? 'float32 = 1' : format(datum.value, '~g')",
    labelOverlap: false,
  };
  const y = { field: "y", type: "quantitative" as const, scale: yScale, axis: yAxis, title: yTitle };
  const color = {
    field: "series",
    type: "nominal" as const,
    title: def.seriesTitle,
    scale: { domain: style.domain, range: style.colors },
  };
  const shape = {
    field: "series",
    type: "nominal" as const,
    title: def.seriesTitle,
    scale: { domain: style.domain, range: style.shapes },
  };
  const kneeColor = { field: "color", type: "nominal" as const, scale: null };
  const kneeText = (align: "left" | "right"): Layer => ({
    transform: only(align === "left" ? "knee" : "knee-left"),
    mark: { type: "text", align, baseline: "top", dx: align === "left" ? 4 : -4, fontSize: 11 },
    encoding: {
      x: xTrue,
      y: { field: "top", type: "quantitative", scale: null },
      text: { field: "label", type: "nominal" },
      color: kneeColor,
    },
  });
  const layers: Layer[] = [
    {
      transform: only("baseline"),
      mark: { type: "rule", color: GREY, strokeWidth: 1, strokeDash: [6, 4] },
      encoding: { y },
    },
    {
      transform: only("knee", "knee-left"),
      mark: { type: "rule", strokeWidth: 1.2, strokeDash: [2, 3] },
      encoding: {
        x: xTrue,
        y: { field: "top", type: "quantitative", scale: null },
        y2: { value: height },
        color: kneeColor,
      },
    },
    {
      transform: [...only("point"), { filter: "datum.n >= 2" }],
      mark: { type: "errorbar", ticks: true, thickness: 1.5 },
      encoding: {
        x,
        y: { field: "lo", type: "quantitative", scale: yScale, axis: yAxis, title: yTitle },
        y2: { field: "hi" },
        color,
      },
    },
    {
      transform: only("point"),
      mark: { type: "line", strokeWidth: 1.8 },
      encoding: { x, y, color },
    },
    {
      transform: only("point"),
      mark: { type: "point", filled: true, size: 70, opacity: 1 },
      encoding: {
        x,
        y,
        color,
        shape,
        tooltip: [
          { field: "dataset", type: "nominal" },
          { field: "series", type: "nominal", title: def.seriesTitle },
          { field: "x", type: "quantitative", title: def.xTitle },
          { field: "y", type: "quantitative", title: "mean ratio to float32" },
          { field: "intervalLo", type: "quantitative", title: "95 % interval, low" },
          { field: "hi", type: "quantitative", title: "95 % interval, high" },
          { field: "n", type: "quantitative", title: "seeds" },
          { field: "seeds", type: "nominal", title: "seed values" },
          { field: "testError", type: "quantitative", title: "mean test error (%)" },
        ],
      },
    },
    kneeText("left"),
    kneeText("right"),
  ];
  const subtitle: string[] = [];
  if (points.length === 0) subtitle.push("no finished run with a float32 baseline yet");
  else {
    subtitle.push(...conditionLines(data.drawnRows));
    subtitle.push(seedLine(points, def, several));
    subtitle.push(
      points.every((p) => p.ratio.n < 2)
        ? "point: one run's test error ÷ float32's of the same seed"
        : "point: mean over seeds of the ratio to float32 of the same seed",
    );
  }
  subtitle.push(...missingLines(data.all, data.datasets, data.noBaseline));
  subtitle.push(`dashed grey line: float32 (ratio 1)${placed.length > 0 ? " · dotted: the paper's value" : ""}`);
  if (dodgePx > 0) subtitle.push(`series that share an x are drawn ${dodgePx} px apart`);
  if (cut.length > 0)
    subtitle.push(
      `interval reaching below the axis (its bar cut at the bottom): ${cut
        .map(
          (p) =>
            `${several ? `${datasetLabel(p.dataset)} ` : ""}${p.series} at ${def.xText([p.x])} ` +
            `(low ${p.ratio.lo.toFixed(2)})`,
        )
        .join("; ")}`,
    );
  return {
    $schema: SCHEMA_URL,
    title: { text: def.title, subtitle },
    config: REPORT_CONFIG,
    data: { values },
    facet: {
      field: "dataset",
      type: "nominal",
      title: null,
      sort: data.datasets.map(datasetLabel),
      header: { labelFontSize: 13, labelFontWeight: "bold" },
    },
    columns: Math.min(Math.max(data.datasets.length, 1), 2),
    spec: { width, height, layer: layers },
  };
}

/** A vega expression labelling a log axis tick as the paper writes rates: 0.0001 → "1e-4". */
const rateLabelExpr = "replace(replace(format(datum.value, '.0e'), 'e-0', 'e-'), 'e+0', 'e+')";

/** Paper Fig. (radix point): fixed point error vs integer bits, a panel per dataset; the paper's lowest at 5. */
export function radixPointSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure("radix-point", rows);
}

/** Paper Fig. (propagation width): a series per format (colour and marker); knees at 20 (fixed), 10 (dynamic). */
export function propBitsSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure("prop-bits", rows);
}

/** Paper Fig. (update width): a series per format (colour and marker); knees at 20 (fixed), 12 (dynamic). */
export function updateBitsSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure("update-bits", rows);
}

/** Paper Fig. (overflow rate): dynamic fixed point error vs maximum overflow rate (log x), a series per width. */
export function overflowRateSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure("overflow-rate", rows);
}

/**
 * Beyond the paper: the scaling experiment's normalised error against the propagation width, a series per policy
 * (mean over seeds and its 95 % interval), a panel per dataset.
 */
export function policiesSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure("scaling", rows);
}

/**
 * Beyond the paper: the transformer experiment's dynamic fixed point rows, normalised error against the propagation
 * width (updates at 12), a panel per network (the ViT, the paper's PI-MNIST Maxout network on the same subset).
 */
export function transformerSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure("transformer", rows);
}

/** The paper's figure `kind` from result rows (rows of other experiments are ignored). */
export function figureSpec(kind: FigureKind, rows: readonly ResultRow[]): VegaLiteSpec {
  if (!Object.hasOwn(KINDS, kind))
    throw new Error(`figureSpec: unknown figure "${String(kind)}"; known: ${FIGURE_KINDS.join(", ")}`);
  return seriesFigure(kind, rows);
}

/** Per dataset and series of the figure `kind` (in the figure's order), its points sorted by x. */
function figureSeries(kind: SeriesFigureKind, rows: readonly ResultRow[]) {
  const { def, points, datasets } = figureData(kind, rows);
  return datasets.flatMap((d) =>
    sortedUnique(
      points.filter((p) => p.dataset === d).map((p) => p.series),
      def.order,
    ).map((s) => ({
      d,
      s,
      mine: points.filter((p) => p.dataset === d && p.series === s).sort((a, b) => a.x - b.x),
    })),
  );
}

/** "1.02 [0.95, 1.09], n = 3" or "1.02, n = 1". */
function ratioText(s: Summary): string {
  return s.n < 2
    ? `${s.mean.toFixed(2)}, n = 1`
    : `${s.mean.toFixed(2)} [${s.lo.toFixed(2)}, ${s.hi.toFixed(2)}], n = ${s.n}`;
}

/**
 * The sentences a caption may state about the paper's figure `kind`, each computed from the rows the figure
 * draws (ratios to float32 of the same seed, 95 % t intervals): per dataset and series, where the mean is lowest,
 * at which x the interval contains 1, lies above or below it, which points are single runs; for the widths, from
 * which width up no interval lies above 1, beside the paper's knee.
 */
export function figureFacts(kind: SeriesFigureKind, rows: readonly ResultRow[]): string[] {
  if (!Object.hasOwn(KINDS, kind))
    throw new Error(`figureFacts: unknown figure "${String(kind)}"; known: ${FIGURE_KINDS.join(", ")}`);
  const def = KINDS[kind];
  const facts: string[] = [];
  for (const { d, s, mine } of figureSeries(kind, rows)) {
    const who = `${datasetLabel(d)}, ${s}`;
    const best = Math.min(...mine.map((p) => p.ratio.mean));
    const lowest = mine.filter((p) => p.ratio.mean === best);
    const texts = [...new Set(lowest.map((p) => ratioText(p.ratio)))];
    facts.push(
      `${who}: the mean ratio to float32 is lowest at ${def.xText(lowest.map((p) => p.x))} ` +
        `(${texts.length === 1 && lowest.length > 1 ? `each ${texts[0]}` : listText(texts)}).`,
    );
    const withInterval = mine.filter((p) => p.ratio.n >= 2);
    const singles = mine.filter((p) => p.ratio.n < 2);
    if (withInterval.length === 0) {
      facts.push(`${who}: every point is a single run (n = 1), so no point has an interval to compare with 1.`);
      continue;
    }
    const at = (ps: readonly SeriesPoint[]) => def.xText(ps.map((p) => p.x));
    const contains = withInterval.filter((p) => p.ratio.lo <= 1 && 1 <= p.ratio.hi);
    const above = withInterval.filter((p) => p.ratio.lo > 1);
    const below = withInterval.filter((p) => p.ratio.hi < 1);
    if (contains.length > 0) facts.push(`${who}: the 95 % interval contains 1 (float32) at ${at(contains)}.`);
    if (above.length > 0) facts.push(`${who}: the 95 % interval lies above 1 at ${at(above)}.`);
    if (below.length > 0) facts.push(`${who}: the 95 % interval lies below 1 at ${at(below)}.`);
    if (singles.length > 0) facts.push(`${who}: ${at(singles)}: single runs (n = 1), no interval.`);
    if (def.widths) {
      const from = kneePoint(mine);
      const knee = def.knees.find((k) => k.series === s);
      const paper = knee === undefined ? "" : `; the paper's knee: about ${knee.x} bits`;
      if (from !== undefined)
        facts.push(
          `${who}: from ${from.x} bits up (the widest swept: ${mine[mine.length - 1]!.x}), no 95 % interval ` +
            `lies wholly above 1${paper}.`,
        );
    }
  }
  return facts;
}

/** The smallest swept width from which every wider point has an interval reaching 1 or below (points by x). */
function kneePoint(points: readonly SeriesPoint[]): SeriesPoint | undefined {
  let from: SeriesPoint | undefined;
  for (let i = points.length - 1; i >= 0 && points[i]!.ratio.n >= 2 && points[i]!.ratio.lo <= 1; i--) from = points[i];
  return from;
}

/** Our knee of one series of a width figure beside the paper's (figureKnees). */
export interface FigureKnee {
  readonly dataset: string;
  /** the series label, as the figure's legend shows it ("fixed point", "dynamic fixed point") */
  readonly series: string;
  /**
   * the narrowest swept width from which every wider swept width shows no loss (its 95 % interval of the normalised
   * error reaches 1 or lies below it, n ≥ 2): the width figureFacts names; undefined when the widest shows a loss
   * or has no interval
   */
  readonly knee: number | undefined;
  /** the narrowest and the widest swept width of the series */
  readonly narrowest: number;
  readonly widest: number;
  /** the paper's knee of this series (undefined when the paper gives none) */
  readonly paper: number | undefined;
  /** the epochs and training examples of the series' runs (0 = the whole training set) */
  readonly epochs: number;
  readonly trainLimit: number;
}

/**
 * Our knee beside the paper's for each dataset and series of a width figure ("prop-bits", "update-bits"), from
 * the rows the figure draws, by the rule of figureFacts (so a caption and this never disagree).
 */
export function figureKnees(kind: SeriesFigureKind, rows: readonly ResultRow[]): FigureKnee[] {
  if (!Object.hasOwn(KINDS, kind) || !KINDS[kind].widths)
    throw new Error(`figureKnees: "${String(kind)}" is not a width figure; width figures: prop-bits, update-bits`);
  const def = KINDS[kind];
  const out: FigureKnee[] = [];
  for (const { d, s, mine } of figureSeries(kind, rows)) {
    const first = mine[0]!.runs[0]!;
    out.push({
      dataset: d,
      series: s,
      knee: kneePoint(mine)?.x,
      narrowest: mine[0]!.x,
      widest: mine[mine.length - 1]!.x,
      paper: def.knees.find((k) => k.series === s)?.x,
      epochs: first.epochs,
      trainLimit: first.trainLimit,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Table 2 as ratios to float32
// ---------------------------------------------------------------------------------------------------------------

/**
 * Table 2 as ratios to float32, a panel per dataset with a finished run: per setting, our ratio (mean over seeds of
 * the per-seed test error ÷ float32's, with its 95 % t interval) as a filled circle with a bar, and the paper's
 * ratio (its Table 2 value ÷ its float32 value) as a hollow diamond. float32 itself is the rule at 1.
 */
export function table2RatioSpec(rows: readonly ResultRow[], paper: PaperTable2): VegaLiteSpec {
  const all = rows.filter((r) => r.experiment === "table2");
  const done = all.filter((r) => r.status === "done");
  const baseSettings = [...new Set(done.filter((r) => r.format === "float32").map((r) => r.setting))];
  if (baseSettings.length > 1)
    throw new Error(`table2RatioSpec: float32 runs under several settings (${baseSettings.join(", ")})`);
  const baseSetting = baseSettings[0] ?? "fp32";
  const paperBase = paper.rows.find((p) => p.setting === baseSetting);
  if (paperBase === undefined)
    throw new Error(`table2RatioSpec: the paper's table (${paper.provenance}) has no "${baseSetting}" row`);
  const pointRows = done.filter((r) => r.format !== "float32");
  const usable = pointRows.filter((r) => Number.isFinite(r.normalizedError));
  const noBaseline = pointRows.filter((r) => !Number.isFinite(r.normalizedError));
  const datasets = sortedUnique(
    usable.map((r) => r.dataset),
    byDataset,
  );
  const paperRows = paper.rows.filter((p) => !p.reference && p.setting !== baseSetting);
  const settings = [
    ...paperRows.map((p) => p.setting),
    ...sortedUnique(
      usable.map((r) => r.setting).filter((s) => !paperRows.some((p) => p.setting === s)),
      (a, b) => a.localeCompare(b),
    ),
  ].filter((s) => usable.some((r) => r.setting === s));
  // A setting by our format's name and its widths (propagation/update), as the other figures name formats.
  const labelOf = (s: string) => {
    const r = usable.find((q) => q.setting === s)!;
    return `${formatLabel(r.format)} ${r.propagationBits}/${r.updateBits}`;
  };
  const ours = "ours: mean, 95 % interval";
  const theirs = "paper: Table 2 ÷ float32";
  const values: Datum[] = [];
  const summaries: { dataset: string; setting: string; s: Summary }[] = [];
  for (const d of datasets) {
    values.push({ part: "baseline", dataset: datasetLabel(d), ratio: 1 });
    for (const s of settings) {
      const mine = usable.filter((r) => r.dataset === d && r.setting === s).sort((a, b) => a.seed - b.seed);
      const seeds = new Set(mine.map((r) => r.seed));
      if (seeds.size !== mine.length)
        throw new Error(`table2RatioSpec: ${d} ${s} has two runs of one seed; pass the rows of one variant`);
      if (mine.length > 0) {
        const sum = summarize(mine.map((r) => r.normalizedError));
        summaries.push({ dataset: d, setting: s, s: sum });
        values.push({
          part: "ours",
          dataset: datasetLabel(d),
          setting: labelOf(s),
          source: ours,
          ratio: round6(sum.mean),
          lo: num(sum.lo),
          hi: num(sum.hi),
          n: sum.n,
          seeds: mine.map((r) => r.seed).join(", "),
        });
      }
      // The paper's ratio beside ours: only where we have ours.
      const p = paperRows.find((q) => q.setting === s);
      const pv = p?.values[d];
      const pb = paperBase.values[d];
      if (mine.length > 0 && pv !== undefined && pb !== undefined && pb > 0)
        values.push({
          part: "paper",
          dataset: datasetLabel(d),
          setting: labelOf(s),
          source: theirs,
          ratio: round6(pv / pb),
          paperError: pv,
          paperFloat32: pb,
        });
    }
  }
  const ratios = values.flatMap((v) => [v.ratio, v.lo, v.hi]).filter((v): v is number => typeof v === "number");
  const top = Math.max(1.5, ...ratios) * 1.08;
  const step = top > 2 ? 0.5 : 0.25;
  const x = {
    field: "ratio",
    type: "quantitative" as const,
    title: "test error ÷ float32's",
    scale: { domain: [0, round6(top)], nice: false, zero: true },
    axis: { values: Array.from({ length: Math.floor(top / step) + 1 }, (_, i) => i * step), format: ".2~f" },
  };
  const y = {
    field: "setting",
    type: "nominal" as const,
    title: null,
    sort: settings.map(labelOf),
    axis: { labelLimit: 300 },
  };
  // Ours filled, the paper's hollow, both outlined in black: fill and shape on one field make one legend that
  // shows both as drawn (a stroke or colour scale on the same field would paint the legend's symbols in it).
  const source = { field: "source", type: "nominal" as const, title: null };
  const ourColor = "#4c78a8";
  const shape = { ...source, scale: { domain: [ours, theirs], range: ["circle", "diamond"] } };
  const fill = { ...source, scale: { domain: [ours, theirs], range: [ourColor, "#ffffff"] } };
  const yOffset = { field: "source", type: "nominal" as const, scale: { domain: [ours, theirs], paddingOuter: 0.5 } };
  const only = (...parts: string[]) => [{ filter: { field: "part", oneOf: parts } }];
  const layers: Layer[] = [
    {
      transform: only("baseline"),
      mark: { type: "rule", color: GREY, strokeWidth: 1, strokeDash: [6, 4] },
      encoding: { x },
    },
    {
      transform: [...only("ours"), { filter: "datum.n >= 2" }],
      mark: { type: "errorbar", ticks: true, thickness: 1.5 },
      encoding: { x: { ...x, field: "lo" }, x2: { field: "hi" }, y, yOffset, color: { value: ourColor } },
    },
    {
      transform: only("ours", "paper"),
      mark: { type: "point", size: 80, strokeWidth: 1.5, opacity: 1, filled: true },
      encoding: {
        x,
        y,
        yOffset,
        stroke: { value: "#222222" },
        shape,
        fill,
        tooltip: [
          { field: "dataset", type: "nominal" },
          { field: "setting", type: "nominal" },
          { field: "source", type: "nominal" },
          { field: "ratio", type: "quantitative", title: "ratio to float32" },
          { field: "lo", type: "quantitative", title: "95 % interval, low" },
          { field: "hi", type: "quantitative", title: "95 % interval, high" },
          { field: "n", type: "quantitative", title: "seeds" },
          { field: "paperError", type: "quantitative", title: "paper's error (%)" },
          { field: "paperFloat32", type: "quantitative", title: "paper's float32 error (%)" },
        ],
      },
    },
  ];
  const subtitle: string[] = [];
  if (summaries.length === 0) subtitle.push("no finished Table 2 run with a float32 baseline yet");
  else {
    subtitle.push(...conditionLines([...usable, ...done.filter((r) => r.format === "float32")]));
    const ns = summaries.map((s) => s.s.n);
    const singles = summaries.filter((s) => s.s.n < 2);
    const head = `n = ${countRange(ns)} seed${Math.max(...ns) === 1 ? "" : "s"} per circle`;
    if (singles.length === 0) subtitle.push(`${head}; bar: 95 % t interval of the mean ratio (same seed)`);
    else if (singles.length === summaries.length) subtitle.push(`${head}: single runs, no interval`);
    else {
      const parts = sortedUnique(
        singles.map((s) => s.dataset),
        byDataset,
      ).map(
        (d) =>
          `${datasetLabel(d)} ${singles
            .filter((s) => s.dataset === d)
            .map((s) => s.setting)
            .join(", ")}`,
      );
      subtitle.push(`${head}; no bar (n = 1): ${parts.join("; ")}`);
    }
  }
  subtitle.push("dashed grey line: float32 (ratio 1 by definition)");
  subtitle.push(...missingLines(all, datasets, noBaseline));
  return {
    $schema: SCHEMA_URL,
    title: { text: "Table 2 as ratios to float32: ours and the paper's", subtitle },
    config: REPORT_CONFIG,
    data: { values },
    facet: {
      field: "dataset",
      type: "nominal",
      title: null,
      sort: datasets.map(datasetLabel),
      header: { labelFontSize: 13, labelFontWeight: "bold" },
    },
    columns: Math.min(Math.max(datasets.length, 1), 2),
    spec: { width: 300, height: Math.max(1, settings.length) * 44, layer: layers },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Telemetry
// ---------------------------------------------------------------------------------------------------------------

/**
 * A colour per group, ten distinct ones so that one legend serves every panel; the groups of one family (one
 * panel) far apart in hue.
 */
const GROUP_COLORS: Readonly<Record<string, string>> = {
  w: "#4c78a8",
  b: "#f58518",
  z: "#e45756",
  y: "#72b7b2",
  dEdy: "#54a24b",
  dEdz: "#c9a000",
  dEdw: "#b279a2",
  dEdb: "#ff9da6",
  update_w: "#9d755d",
  update_b: "#17becf",
};

/** At most this many points per line of the telemetry figure (more bloat the SVG and hide the trend). */
const TELEMETRY_POINTS = 120;

/** Each (layer, group)'s telemetry rows in training order, by key (JSON of [layer, group]), keys sorted. */
function groupLines(rows: readonly ScaleRow[]): ScaleRow[][] {
  const lines = new Map<string, ScaleRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.layer, r.group]);
    lines.set(key, [...(lines.get(key) ?? []), r]);
  }
  return [...lines.keys()].sort().map((key) =>
    lines
      .get(key)!
      .slice()
      .sort((a, b) => a.examples - b.examples || a.epoch - b.epoch || a.batch - b.batch),
  );
}

/** Where a rate of 0 is drawn on a log axis: a decade below the smallest positive rate (1e-6 without one). */
function rateFloor(rates: readonly number[]): number {
  const positive = rates.filter((v) => v > 0 && Number.isFinite(v));
  return positive.length > 0 ? Number(`1e${Math.floor(Math.log10(Math.min(...positive))) - 1}`) : 1e-6;
}

/** A line's finite rates averaged over bins of windows (at most TELEMETRY_POINTS), each with its bin's last row. */
function binnedRates(line: readonly ScaleRow[], rate: (r: ScaleRow) => number): { last: ScaleRow; rate: number }[] {
  const finite = line.filter((r) => Number.isFinite(rate(r)));
  const binSize = Math.max(1, Math.ceil(finite.length / TELEMETRY_POINTS));
  const out: { last: ScaleRow; rate: number }[] = [];
  for (let i = 0; i < finite.length; i += binSize) {
    const bin = finite.slice(i, i + binSize);
    out.push({ last: bin[bin.length - 1]!, rate: bin.reduce((a, r) => a + rate(r), 0) / bin.length });
  }
  return out;
}

/**
 * Dynamic fixed point telemetry of one run, in small multiples: a column per group family (weights and biases,
 * weighted sums and outputs, gradients, momentum velocities; GROUP_FAMILIES of facts.ts) and a row per layer,
 * top the integer bits of each group (steps), bottom its overflow rate (dots, log axis, 0 drawn at a floor a decade
 * below the smallest positive rate). x is the number of training examples seen, calibration included; the
 * calibration phase is a shaded, labelled band. Long runs are thinned: the integer bits keep every change, the
 * overflow rate is averaged over at most 120 bins of examples per line.
 */
export function telemetrySpec(rows: readonly ScaleRow[]): VegaLiteSpec {
  const familyOf = (g: string) => GROUP_FAMILIES.find((f) => f.groups.includes(g))?.name ?? "other";
  const familyOrder = [...GROUP_FAMILIES.map((f) => f.name), "other"];
  const knownGroups = GROUP_FAMILIES.flatMap((f) => [...f.groups]);
  const groups = sortedUnique(
    rows.map((r) => r.group),
    orderBy(knownGroups),
  );
  const families = sortedUnique(
    rows.map((r) => familyOf(r.group)),
    orderBy(familyOrder),
  );
  const layerNumbers = sortedUnique(
    rows.map((r) => r.layer),
    numeric,
  );
  const layerName = (l: number) => `layer ${l}`;
  const positive = rows.map((r) => r.overflowRate).filter((v) => v > 0 && Number.isFinite(v));
  const floor = rateFloor(positive);
  const values: Datum[] = [];
  const base = (r: ScaleRow) => ({ family: familyOf(r.group), layer: layerName(r.layer), group: r.group });
  for (const line of groupLines(rows)) {
    line.forEach((r, i) => {
      const prev = line[i - 1];
      const changed = prev === undefined || prev.integerBits !== r.integerBits || i === line.length - 1;
      if (changed || line.length <= TELEMETRY_POINTS * 4)
        values.push({ part: "bits", ...base(r), examples: r.examples, integerBits: r.integerBits });
    });
    for (const { last, rate } of binnedRates(line, (r) => r.overflowRate))
      values.push({
        part: "rate",
        ...base(last),
        examples: last.examples,
        overflowRate: round6(Math.max(rate, floor)),
      });
  }
  // The calibration band: from the start to the last calibration window, in every panel; its label in the first.
  const calibration = rows.filter((r) => r.phase === "calibration");
  const calEnd = calibration.length > 0 ? Math.max(...calibration.map((r) => r.examples)) : Number.NaN;
  const calEpochs = sortedUnique(
    calibration.map((r) => r.epoch),
    numeric,
  );
  if (calibration.length > 0)
    for (const part of ["bits", "rate"])
      for (const family of families)
        for (const l of layerNumbers)
          values.push({
            part: `${part}-band`,
            family,
            layer: layerName(l),
            x0: 0,
            x1: calEnd,
            label: family === families[0] && l === layerNumbers[0] ? "← calibration" : "",
          });
  const color = {
    field: "group",
    type: "nominal" as const,
    title: "group",
    scale: { domain: groups, range: groups.map((g, i) => GROUP_COLORS[g] ?? PALETTE[i % PALETTE.length]!) },
  };
  const x = {
    field: "examples",
    type: "quantitative" as const,
    title: "examples seen",
    axis: { format: "~s", labelExpr: "datum.value === 0 ? '0' : datum.label" },
  };
  const facet = {
    column: { field: "family", type: "nominal" as const, title: null, sort: families },
    row: { field: "layer", type: "nominal" as const, title: null, sort: layerNumbers.map(layerName) },
  };
  const panel = { width: 170, height: 80 };
  const only = (...parts: string[]) => [{ filter: { field: "part", oneOf: parts } }];
  const bandLayers = (part: string): Layer[] =>
    calibration.length > 0
      ? [
          {
            transform: only(`${part}-band`),
            mark: { type: "rect", color: "#000000", opacity: 0.16 },
            encoding: { x: { ...x, field: "x0" }, x2: { field: "x1" } },
          },
          {
            transform: [...only(`${part}-band`), { filter: "datum.label !== ''" }],
            mark: { type: "text", align: "left", baseline: "top", dx: 3, dy: 3, fontSize: 11, color: "#555555" },
            encoding: { x: { ...x, field: "x1" }, y: { value: 0 }, text: { field: "label", type: "nominal" } },
          },
        ]
      : [];
  const grid = (part: "bits" | "rate", layer: Layer) => ({
    data: { values },
    facet,
    spec: { ...panel, layer: [...bandLayers(part), layer] },
    resolve: { scale: { y: "shared" as const } },
  });
  const subtitle = [
    `${groups.length} group${groups.length === 1 ? "" : "s"} in ${families.length} ` +
      `famil${families.length === 1 ? "y" : "ies"} ` +
      `(columns) · ${layerNumbers.length} layer${layerNumbers.length === 1 ? "" : "s"} (rows)`,
    calibration.length > 0
      ? `shaded band: calibration (epoch${calEpochs.length === 1 ? "" : "s"} ${calEpochs.join(", ")} of the ` +
        `calibration phase, the first ${calEnd} examples)`
      : "no calibration phase in these rows",
    calibration.length > 0 ? "x: training examples seen, calibration included" : "x: training examples seen",
    `overflow rate: mean over bins of examples; 0 drawn at ${floor.toExponential(0)}`,
  ];
  return {
    $schema: SCHEMA_URL,
    title: { text: "Dynamic fixed point scales over training", subtitle },
    config: REPORT_CONFIG,
    resolve: { scale: { color: "shared" } },
    vconcat: [
      grid("bits", {
        transform: only("bits"),
        mark: { type: "line", interpolate: "step-after", strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: "integerBits", type: "quantitative", title: "integer bits", axis: { tickMinStep: 1 } },
          color,
        },
      }),
      grid("rate", {
        transform: only("rate"),
        // Dots, not lines: a rate that drops to 0 and back would draw a comb over the whole panel.
        mark: { type: "point", filled: true, size: 12, opacity: 0.7, aria: false },
        encoding: {
          x,
          y: {
            field: "overflowRate",
            type: "quantitative",
            title: "overflow rate",
            scale: { type: "log" },
            axis: { format: ".0e", values: decades(floor, Math.max(floor * 10, ...positive)) },
          },
          color,
        },
      }),
    ],
  };
}

/**
 * What a policy loses, per group over training (beyond the paper): the overflow rate (values beyond the range:
 * saturated) and the flush rate (nonzero values rounded to 0) of each group's telemetry windows, a column per layer.
 * `title` names the run (policy, width, seed); `only` keeps those groups. The training phase only. A rate of 0 is
 * drawn at the floor below the smallest positive rate.
 */
export function scaleRatesSpec(allRows: readonly ScaleRow[], title: string, only?: readonly string[]): VegaLiteSpec {
  // NOTE: the training phase only (a calibration runs at 32 bits), and the groups asked for
  const rows = allRows.filter((r) => r.phase === "training" && (only === undefined || only.includes(r.group)));
  const knownGroups = GROUP_FAMILIES.flatMap((f) => [...f.groups]);
  const groups = sortedUnique(
    rows.map((r) => r.group),
    orderBy(knownGroups),
  );
  const layerNumbers = sortedUnique(
    rows.map((r) => r.layer),
    numeric,
  );
  const layerName = (l: number) => `layer ${l}`;
  const rates: { field: "overflowRate" | "flushRate"; label: string }[] = [
    { field: "overflowRate", label: "overflow rate (saturated)" },
    { field: "flushRate", label: "flush rate (nonzero → 0)" },
  ];
  // NOTE: telemetry written before the flush rate has none (undefined): not drawn.
  const rateOf = (r: ScaleRow, f: "overflowRate" | "flushRate"): number => r[f] ?? Number.NaN;
  const positive = rows
    .flatMap((r) => [rateOf(r, "overflowRate"), rateOf(r, "flushRate")])
    .filter((v) => v > 0 && Number.isFinite(v));
  const floor = rateFloor(positive);
  const values: Datum[] = [];
  for (const line of groupLines(rows))
    for (const { field, label } of rates)
      for (const { last, rate } of binnedRates(line, (r) => rateOf(r, field)))
        values.push({
          rate: label,
          layer: layerName(last.layer),
          group: last.group,
          examples: last.examples,
          value: round6(Math.max(rate, floor)),
        });
  return {
    $schema: SCHEMA_URL,
    title: {
      text: title,
      subtitle: [
        `${groups.length} group${groups.length === 1 ? "" : "s"} · ${layerNumbers.length} layer` +
          `${layerNumbers.length === 1 ? "" : "s"} (rows) · x: examples seen (training phase; a calibration ` +
          "before it is not drawn)",
        `rates: mean over bins of telemetry windows; 0 drawn at ${floor.toExponential(0)}`,
      ],
    },
    config: REPORT_CONFIG,
    data: { values },
    facet: {
      column: {
        field: "rate",
        type: "nominal",
        title: null,
        sort: rates.map((r) => r.label),
        header: { labelFontWeight: "bold" },
      },
      row: {
        field: "layer",
        type: "nominal",
        title: null,
        sort: layerNumbers.map(layerName),
        header: { labelAngle: 0, labelAlign: "left" },
      },
    },
    spec: {
      width: 300,
      height: 90,
      mark: { type: "line", point: { size: 14, filled: true }, strokeWidth: 1.4 },
      encoding: {
        x: {
          field: "examples",
          type: "quantitative",
          title: "examples seen",
          axis: { format: "~s", labelExpr: "datum.value === 0 ? '0' : datum.label" },
        },
        y: {
          field: "value",
          type: "quantitative",
          title: null,
          scale: { type: "log" },
          axis: { format: ".0e", values: decades(floor, Math.max(floor * 10, ...positive)) },
        },
        color: {
          field: "group",
          type: "nominal",
          title: "group",
          scale: { domain: groups, range: groups.map((g, i) => GROUP_COLORS[g] ?? PALETTE[i % PALETTE.length]!) },
        },
      },
    },
    resolve: { scale: { y: "shared" } },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Cost vs error
// ---------------------------------------------------------------------------------------------------------------

type LabelPosition = "right" | "left" | "above" | "below";
const LABEL_POSITIONS: readonly LabelPosition[] = ["right", "left", "above", "below"];
type Box = [number, number, number, number];
const overlap = (a: Box, b: Box) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];

/**
 * Where each point's label goes (right, left, above or below it, the first that stays inside the panel and clear
 * of every point, bar and label placed before it; right when none is), and the data y it is drawn at (above: the
 * bar's top, below: its bottom). Pixel sizes are estimates (7 px a character of 11 px text).
 */
function placeLabels(
  points: readonly CostErrorPoint[],
  xDomain: readonly [number, number],
  [bottom, top]: readonly [number, number],
  width: number,
  height: number,
): { position: LabelPosition; y: number }[] {
  const [l0, l1] = [Math.log10(xDomain[0]), Math.log10(xDomain[1])];
  const px = (v: number) => ((Math.log10(v) - l0) / (l1 - l0)) * width;
  const py = (v: number) => height * (1 - (v - bottom) / (top - bottom));
  const ends = (p: CostErrorPoint) => {
    const s = p.testError;
    return s.n >= 2 && Number.isFinite(s.hi) ? [s.hi, s.lo] : [s.mean, s.mean];
  };
  const taken: Box[] = [];
  for (const p of points) {
    const [x, y] = [px(p.picojoulesPerMac), py(p.testError.mean)];
    const [hi, lo] = ends(p).map(py) as [number, number];
    taken.push([x - 6, Math.min(hi, y - 6), x + 6, Math.max(lo, y + 6)]);
  }
  // The front's line, as small boxes every 4 px along each segment.
  const front = points.filter((p) => p.pareto).map((p) => [px(p.picojoulesPerMac), py(p.testError.mean)]);
  for (let i = 1; i < front.length; i++) {
    const [[x0, y0], [x1, y1]] = [front[i - 1]!, front[i]!] as [[number, number], [number, number]];
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 4));
    for (let k = 0; k <= steps; k++) {
      const [x, y] = [x0 + ((x1 - x0) * k) / steps, y0 + ((y1 - y0) * k) / steps];
      taken.push([x - 1, y - 1, x + 1, y + 1]);
    }
  }
  return points.map((p) => {
    const w = p.setting.length * CHAR_PX + 2;
    const h = 13;
    const [x, y] = [px(p.picojoulesPerMac), py(p.testError.mean)];
    const [hiV, loV] = ends(p) as [number, number];
    const [hi, lo] = [py(hiV), py(loV)];
    const boxes: Record<LabelPosition, Box> = {
      right: [x + 9, y - h / 2, x + 9 + w, y + h / 2],
      left: [x - 9 - w, y - h / 2, x - 9, y + h / 2],
      above: [x - w / 2, Math.min(hi, y - 6) - 7 - h, x + w / 2, Math.min(hi, y - 6) - 7],
      below: [x - w / 2, Math.max(lo, y + 6) + 7, x + w / 2, Math.max(lo, y + 6) + 7 + h],
    };
    const inside = (b: Box) => b[0] >= 0 && b[2] <= width && b[1] >= 0 && b[3] <= height;
    const position =
      LABEL_POSITIONS.find((q) => inside(boxes[q]) && !taken.some((t) => overlap(t, boxes[q]))) ??
      LABEL_POSITIONS.find((q) => inside(boxes[q])) ??
      "right";
    taken.push(boxes[position]);
    const yData =
      position === "above"
        ? Math.max(hiV, p.testError.mean)
        : position === "below"
          ? Math.min(loV, p.testError.mean)
          : p.testError.mean;
    return { position, y: yData };
  });
}

/** One network's point of the cost/error plot: its energy per MAC and its test error over seeds. */
export interface CostErrorPoint {
  dataset: string;
  setting: string;
  picojoulesPerMac: number;
  /** Test error (percent) over seeds: summarize() of the runs' test errors. */
  testError: Summary;
  pareto: boolean;
}

/**
 * Energy per multiply-accumulate (log axis) vs measured test error (from 0), a panel per dataset: every setting a
 * labelled point with its 95 % t interval over seeds as a bar (none for n = 1), the Pareto front (the `pareto`
 * points) filled and joined by a line, the others hollow. Not a figure of the paper.
 */
export function costErrorSpec(
  points: readonly CostErrorPoint[],
  options: { width?: number; height?: number; fromZero?: boolean } = {},
): VegaLiteSpec {
  const drawn = points.filter(
    (p) => Number.isFinite(p.picojoulesPerMac) && p.picojoulesPerMac > 0 && Number.isFinite(p.testError.mean),
  );
  const pjs = drawn.map((p) => p.picojoulesPerMac);
  const [lo, hi] = pjs.length > 0 ? [Math.min(...pjs), Math.max(...pjs)] : [1, 1];
  const xDomain = [round6(lo / 2), round6(hi * 2.5)];
  const [width, height] = [options.width ?? 320, options.height ?? 220];
  const fromZero = options.fromZero ?? true;
  const values: Datum[] = [];
  for (const d of sortedUnique(
    drawn.map((p) => p.dataset),
    byDataset,
  )) {
    const mine = drawn
      .filter((p) => p.dataset === d)
      .sort((a, b) => a.picojoulesPerMac - b.picojoulesPerMac || a.setting.localeCompare(b.setting));
    const highest = Math.max(...mine.flatMap((p) => [p.testError.mean, p.testError.hi].filter(Number.isFinite)));
    const lowest = Math.min(...mine.flatMap((p) => [p.testError.mean, p.testError.lo].filter(Number.isFinite)));
    // NOTE: from 0, the top a quarter above the highest end; else a quarter of the points' span beyond each end
    const margin = (highest - lowest) / 4 || highest / 4 || 1;
    const [bottom, top] = fromZero ? [0, highest * 1.25 || 1] : [Math.max(0, lowest - margin), highest + margin];
    const labels = placeLabels(mine, xDomain as [number, number], [bottom, top], width, height);
    // Invisible data at the top (and bottom) of each panel: the panel's error axis runs between them.
    values.push({ part: "top", dataset: datasetLabel(d), pj: xDomain[0]!, mean: round6(top) });
    if (!fromZero) values.push({ part: "top", dataset: datasetLabel(d), pj: xDomain[0]!, mean: round6(bottom) });
    for (const [i, p] of mine.entries())
      values.push({
        part: "point",
        dataset: datasetLabel(d),
        setting: p.setting,
        pj: round6(p.picojoulesPerMac),
        mean: round6(p.testError.mean),
        lo: num(p.testError.lo),
        hi: num(p.testError.hi),
        n: p.testError.n,
        front: p.pareto ? "on the Pareto front" : "dominated",
        label: labels[i]!.position,
        labelY: round6(labels[i]!.y),
      });
  }
  const datasets = datasetScale(drawn.map((p) => p.dataset));
  const x = {
    field: "pj",
    type: "quantitative" as const,
    title: "energy per MAC (pJ, log scale)",
    scale: { type: "log" as const, domain: xDomain, nice: false },
    axis: {
      values: decades(xDomain[0]!, xDomain[1]!)
        .flatMap((d) => [d, 2 * d, 5 * d])
        .map(round6)
        .filter((v) => v >= xDomain[0]! && v <= xDomain[1]!),
      format: "~g",
    },
  };
  const y = {
    field: "mean",
    type: "quantitative" as const,
    title: "test error (%)",
    scale: { zero: fromZero, nice: false },
  };
  const color = { field: "dataset", type: "nominal" as const, scale: datasets, legend: null };
  const onFront = "datum.front === 'on the Pareto front'";
  const only = (part: string) => ({ filter: { field: "part", equal: part } });
  const label = (position: LabelPosition): Layer => ({
    transform: [only("point"), { filter: { field: "label", equal: position } }],
    mark: {
      type: "text",
      fontSize: 11,
      color: "#333333",
      ...{
        right: { align: "left" as const, baseline: "middle" as const, dx: 9 },
        left: { align: "right" as const, baseline: "middle" as const, dx: -9 },
        above: { align: "center" as const, baseline: "bottom" as const, dy: -7 },
        below: { align: "center" as const, baseline: "top" as const, dy: 7 },
      }[position],
    },
    encoding: { x, y: { ...y, field: "labelY" }, text: { field: "setting", type: "nominal" } },
  });
  const ns = drawn.map((p) => p.testError.n);
  const singles = drawn.filter((p) => p.testError.n < 2);
  const seeds =
    drawn.length === 0
      ? "no point"
      : singles.length === 0
        ? `n = ${countRange(ns)} seeds per point; bar: 95 % t interval of the mean`
        : singles.length === drawn.length
          ? `n = ${countRange(ns)} seed per point: single runs, no interval`
          : `n = ${countRange(ns)} seeds per point; no bar (n = 1): ` +
            singles.map((p) => `${datasetLabel(p.dataset)} ${p.setting}`).join(", ");
  return {
    $schema: SCHEMA_URL,
    title: {
      text: "Energy per multiply-accumulate vs test error (beyond the paper)",
      subtitle: [
        seeds,
        "filled and joined: the Pareto front (nothing both cheaper and more accurate); hollow: dominated",
        fromZero ? "test error axis starts at 0" : "test error axis: the points' range (not from 0)",
      ],
    },
    config: REPORT_CONFIG,
    data: { values },
    facet: {
      field: "dataset",
      type: "nominal",
      title: null,
      sort: datasets.domain,
      header: { labelFontSize: 13, labelFontWeight: "bold" },
    },
    columns: Math.min(Math.max(datasets.domain.length, 1), 2),
    resolve: { scale: { y: "independent" } },
    spec: {
      width,
      height,
      layer: [
        {
          transform: [only("top")],
          mark: { type: "point", opacity: 0, aria: false },
          encoding: { x, y },
        },
        {
          transform: [only("point"), { filter: onFront }],
          mark: { type: "line", strokeWidth: 1.5 },
          encoding: { x, y, color },
        },
        {
          transform: [only("point"), { filter: "datum.n >= 2" }],
          mark: { type: "errorbar", ticks: true, thickness: 1.5 },
          encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color },
        },
        {
          transform: [only("point")],
          mark: { type: "point", size: 60, strokeWidth: 1.8, opacity: 1 },
          encoding: {
            x,
            y,
            color,
            fill: {
              condition: { test: onFront, field: "dataset", type: "nominal", scale: datasets, legend: null },
              value: "white",
            },
            tooltip: [
              { field: "setting", type: "nominal" },
              { field: "pj", type: "quantitative", title: "pJ per MAC" },
              { field: "mean", type: "quantitative", title: "mean test error (%)" },
              { field: "lo", type: "quantitative", title: "95 % interval, low" },
              { field: "hi", type: "quantitative", title: "95 % interval, high" },
              { field: "n", type: "quantitative", title: "seeds" },
              { field: "front", type: "nominal", title: "Pareto" },
            ],
          },
        },
        ...LABEL_POSITIONS.map(label),
      ],
    },
  };
}

/** One assumption of a tornado chart: the answer with it at its low and at its high value. */
export interface TornadoInput {
  readonly label: string;
  /** the low and high values as the reader should see them, units included (e.g. "0.0575 $/kWh") */
  readonly lowText: string;
  readonly highText: string;
  readonly atLow: number;
  readonly atHigh: number;
}

/**
 * A tornado chart: one horizontal bar per assumption from the answer at its low value to the answer at its high
 * value, widest first, and a rule at the answer with every assumption at its default (`base`). The bar's two
 * halves are coloured by which end of the assumption's range they come from; each end is labelled with it.
 */
export function tornadoSpec(
  bars: readonly TornadoInput[],
  base: number,
  options: { title: string; subtitle: readonly string[]; axisTitle: string; width?: number },
): VegaLiteSpec {
  const sorted = [...bars].sort(
    (a, b) => Math.abs(b.atHigh - b.atLow) - Math.abs(a.atHigh - a.atLow) || a.label.localeCompare(b.label),
  );
  const order = sorted.map((b) => b.label);
  const values: Datum[] = sorted.flatMap((b) => [
    { label: b.label, end: "low value", from: round6(base), to: round6(b.atLow), text: b.lowText },
    { label: b.label, end: "high value", from: round6(base), to: round6(b.atHigh), text: b.highText },
  ]);
  const all = [base, ...sorted.flatMap((b) => [b.atLow, b.atHigh])];
  const span = Math.max(...all) - Math.min(...all) || Math.abs(base) || 1;
  // NOTE: room on both sides for the end labels
  const domain = [round6(Math.min(...all) - 0.35 * span), round6(Math.max(...all) + 0.35 * span)];
  const x = { field: "from", type: "quantitative" as const, title: options.axisTitle, scale: { domain, nice: false } };
  const y = { field: "label", type: "nominal" as const, title: null, sort: order, axis: { labelLimit: 320 } };
  const color = {
    field: "end",
    type: "nominal" as const,
    title: "assumption at its",
    scale: { domain: ["low value", "high value"], range: ["#4c78a8", "#f58518"] },
    legend: { orient: "bottom" as const, direction: "horizontal" as const },
  };
  return {
    $schema: SCHEMA_URL,
    title: { text: options.title, subtitle: [...options.subtitle] },
    config: REPORT_CONFIG,
    width: options.width ?? 520,
    height: { step: 26 },
    data: { values },
    layer: [
      { mark: { type: "bar", height: 16 }, encoding: { x, x2: { field: "to" }, y, color } },
      ...([">=", "<"] as const).map((op) => ({
        transform: [{ filter: `datum.to ${op} datum.from` }],
        mark: {
          type: "text" as const,
          fontSize: 10,
          color: "#333333",
          baseline: "middle" as const,
          align: op === ">=" ? ("left" as const) : ("right" as const),
          dx: op === ">=" ? 4 : -4,
        },
        encoding: { x: { ...x, field: "to" }, y, text: { field: "text", type: "nominal" as const } },
      })),
      {
        data: { values: [{ base: round6(base) }] },
        mark: { type: "rule", color: "#333333", strokeDash: [4, 3] },
        encoding: { x: { field: "base", type: "quantitative" } },
      },
    ],
  } as VegaLiteSpec;
}
