/** Vega-Lite specifications of the paper's figures, of the dynamic fixed point telemetry and of cost vs error. */
import type { TopLevelSpec } from "vega-lite";
import { datasetLabel, DATASETS } from "./markdown.js";
import type { ResultRow, ScaleRow } from "./rows.js";
import { sampleSd } from "./stats.js";

/** A Vega-Lite specification (vega-lite's TopLevelSpec). */
export type VegaLiteSpec = TopLevelSpec;

type Config = NonNullable<TopLevelSpec["config"]>;
type Layer = Extract<TopLevelSpec, { layer: unknown }>["layer"][number];
type InlineData = { values: Record<string, string | number | boolean>[] };

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
  header: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: "normal" },
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

/** A colour per dataset, the same in every figure. */
const DATASET_COLORS: Readonly<Record<string, string>> = {
  "pi-mnist": "#4c78a8",
  "mnist-conv": "#f58518",
  cifar10: "#e45756",
  svhn: "#54a24b",
};
// NOTE: ten distinct colours (Vega's tableau10), one per group of a layer.
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

const FORMAT_LABELS: Readonly<Record<string, string>> = {
  float32: "float32",
  binary16: "half (binary16)",
  fixed: "fixed point",
  "dynamic-fixed": "dynamic fixed point",
};
const FORMAT_ORDER = ["float32", "binary16", "fixed", "dynamic-fixed"];

/** The display name of a format id ("dynamic-fixed" → "dynamic fixed point"). */
export function formatLabel(id: string): string {
  return FORMAT_LABELS[id] ?? id;
}

function orderBy(known: readonly string[]) {
  return (a: string, b: string) => {
    const [i, j] = [known.indexOf(a), known.indexOf(b)];
    return (i < 0 ? known.length : i) - (j < 0 ? known.length : j) || a.localeCompare(b);
  };
}

const datasetIds = DATASETS.map((d) => d.id);
const sortedUnique = (xs: readonly string[], order: (a: string, b: string) => number) => [...new Set(xs)].sort(order);

function datasetScale(ids: readonly string[]): { domain: string[]; range: string[] } {
  const domain = sortedUnique(ids, orderBy(datasetIds));
  const spare = PALETTE.filter((c) => !Object.values(DATASET_COLORS).includes(c));
  let k = 0;
  const range = domain.map((id) => DATASET_COLORS[id] ?? spare[k++ % spare.length]!);
  return { domain: domain.map(datasetLabel), range };
}

/** Powers of ten from below lo to above hi: the ticks of a log axis, which vega would otherwise crowd. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(Number(`1e${e}`));
  return out;
}

/** "1–3" for consecutive integers, else "1, 4, 7". */
function rangeList(values: readonly number[]): string {
  const s = [...new Set(values)].sort((a, b) => a - b);
  if (s.length > 2 && s.every((v, i) => i === 0 || v === s[i - 1]! + 1)) return `${s[0]}–${s[s.length - 1]}`;
  return s.join(", ");
}

/** A 3-significant-digit rendering that keeps float noise out of the data (and so out of the SVG). */
const round3 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(3)) : x);
const round6 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(6)) : x);

interface SeriesFigure {
  title: string;
  kind: string;
  rows: readonly ResultRow[];
  x: (r: ResultRow) => number;
  xTitle: string;
  xLog?: boolean;
  /** Series colour: a label, and the colour scale (ordered domain and range) of the drawn rows. */
  color: (r: ResultRow) => string;
  colorTitle: string;
  colorScale: (drawn: readonly ResultRow[]) => { domain: string[]; range: string[] };
  /** Second series key, drawn as dash pattern and point shape (omitted when it has a single value). */
  dash?: (r: ResultRow) => string;
  dashTitle?: string;
  dashDomain?: string[];
  knees: { x: number; label: string }[];
}

/** Describes which runs a figure averages: datasets, variants, epochs, seeds, and what was left out. */
function describeRuns(kind: string, all: readonly ResultRow[], drawn: readonly ResultRow[]): string[] {
  const lines: string[] = [];
  if (drawn.length === 0) lines.push("no finished run yet");
  else {
    const variants = [...new Set(drawn.map((r) => r.variant))].sort().join(", ");
    const epochs = rangeList(drawn.map((r) => r.epochs));
    const subsets = [...new Set(drawn.map((r) => r.trainLimit))].sort((a, b) => a - b);
    const subset = subsets.every((t) => t === 0) ? "" : ` · training subset ${subsets.map(String).join(", ")}`;
    const seeds = [...new Set(drawn.map((r) => r.seed))];
    const seedText = `seed${seeds.length > 1 ? "s" : ""} ${rangeList(seeds)}`;
    lines.push(`${variants} variant · ${epochs} epochs · ${seedText}${subset}`);
  }
  const notDone = all.filter((r) => r.status !== "done").length;
  const noBaseline = all.filter((r) => r.status === "done" && !Number.isFinite(r.normalizedError)).length;
  const missing: string[] = [];
  if (notDone > 0) missing.push(`${notDone} of ${all.length} ${kind} runs not done`);
  if (noBaseline > 0) missing.push(`${noBaseline} without a float32 baseline, not drawn`);
  if (missing.length > 0) lines.push(missing.join("; "));
  return lines;
}

function seriesFigure(f: SeriesFigure): VegaLiteSpec {
  const all = f.rows.filter((r) => r.experiment === f.kind);
  const drawn = all.filter(
    (r) =>
      r.status === "done" && Number.isFinite(r.normalizedError) && Number.isFinite(f.x(r)) && (!f.xLog || f.x(r) > 0),
  );
  const dashValues = f.dash ? sortedUnique(drawn.map(f.dash), orderBy(f.dashDomain ?? [])) : [];
  const useDash = f.dash !== undefined && dashValues.length > 1;
  const groups = new Map<string, ResultRow[]>();
  for (const r of drawn) {
    const key = JSON.stringify([f.color(r), useDash ? f.dash!(r) : "", f.x(r)]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const means = [...groups.values()].map((g) => {
    const ys = g.map((r) => r.normalizedError);
    const y = ys.reduce((a, b) => a + b, 0) / ys.length;
    const sd = g.length > 1 ? sampleSd(ys) : 0;
    return {
      x: round6(f.x(g[0]!)),
      color: f.color(g[0]!),
      dash: useDash ? f.dash!(g[0]!) : "",
      y: round6(y),
      lo: round6(y - sd),
      hi: round6(y + sd),
      n: g.length,
      seeds: rangeList(g.map((r) => r.seed)),
      testError: round3(g.reduce((a, r) => a + r.testError, 0) / g.length),
    };
  });
  means.sort((a, b) => a.color.localeCompare(b.color) || a.dash.localeCompare(b.dash) || a.x - b.x);
  const runs = drawn.map((r) => ({
    x: round6(f.x(r)),
    color: f.color(r),
    dash: useDash ? f.dash!(r) : "",
    y: round6(r.normalizedError),
    seed: r.seed,
  }));
  const several = means.filter((m) => m.n > 1);
  const xs = [...new Set(means.map((m) => m.x))].sort((a, b) => a - b);
  const kneeXs = f.knees.map((k) => k.x);
  const xScale = f.xLog ? { type: "log" as const, padding: 12 } : { zero: false, nice: false, padding: 12 };
  const xAxis = f.xLog
    ? {
        title: f.xTitle,
        values: decades(Math.min(...xs, ...kneeXs), Math.max(...xs, ...kneeXs)),
        format: ".0e",
        grid: true,
      }
    : xs.length > 0 && xs.length <= 14 && xs.every(Number.isInteger)
      ? { title: f.xTitle, values: xs, format: "d" }
      : { title: f.xTitle, tickMinStep: 1, format: "~g" };
  const x = { field: "x", type: "quantitative" as const, scale: xScale, axis: xAxis };
  const y = {
    field: "y",
    type: "quantitative" as const,
    scale: { zero: false, nice: true },
    axis: { title: "test error ÷ float32 error", format: ".2~f" },
  };
  const color = {
    field: "color",
    type: "nominal" as const,
    title: f.colorTitle,
    scale: f.colorScale(drawn),
    legend: { orient: "right" as const },
  };
  // The second key as dash pattern (lines, with the legend: long strokes) and shape (points, no second legend).
  const dashLegend = { symbolType: "stroke", symbolSize: 500, symbolStrokeWidth: 2, symbolStrokeColor: "#333" };
  const dashEncoding = useDash
    ? {
        strokeDash: {
          field: "dash",
          type: "nominal" as const,
          title: f.dashTitle ?? "",
          sort: dashValues,
          legend: dashLegend,
        },
      }
    : {};
  const shapeEncoding = useDash
    ? { shape: { field: "dash", type: "nominal" as const, sort: dashValues, legend: null } }
    : {};
  const meansData: InlineData = { values: means };
  const layers: Layer[] = [
    {
      data: { values: [{ y: 1 }] },
      mark: { type: "rule", strokeDash: [6, 4], color: "#444", strokeWidth: 1.2 },
      encoding: { y: { field: "y", type: "quantitative" } },
    },
  ];
  if (f.knees.length > 0) {
    // Labels at the top of the plot, one line each so that close knees do not overprint (y in pixels).
    const knees = { values: f.knees.map((k, i) => ({ x: k.x, label: k.label, py: 4 + 16 * i })) };
    layers.push(
      {
        data: knees,
        mark: { type: "rule", strokeDash: [2, 3], color: "#777", strokeWidth: 1.2 },
        encoding: { x: { field: "x", type: "quantitative" } },
      },
      {
        data: knees,
        mark: { type: "text", align: "left", baseline: "top", dx: 4, color: "#333", fontSize: 11 },
        encoding: {
          x: { field: "x", type: "quantitative" },
          y: { field: "py", type: "quantitative", scale: null },
          text: { field: "label", type: "nominal" },
        },
      },
    );
  }
  if (several.length > 0) {
    layers.push(
      {
        data: { values: several },
        mark: { type: "rule", strokeWidth: 1.2, opacity: 0.7 },
        encoding: { x, y: { field: "lo", type: "quantitative" }, y2: { field: "hi" }, color },
      },
      {
        data: { values: runs },
        mark: { type: "circle", size: 22, opacity: 0.45 },
        encoding: { x, y, color },
      },
    );
  }
  layers.push(
    {
      data: meansData,
      mark: { type: "line", strokeWidth: 2 },
      encoding: { x, y, color, ...dashEncoding },
    },
    {
      data: meansData,
      mark: { type: "point", filled: true, size: 60, opacity: 1 },
      encoding: {
        x,
        y,
        color,
        ...shapeEncoding,
        tooltip: [
          { field: "color", type: "nominal", title: f.colorTitle },
          { field: "x", type: "quantitative", title: f.xTitle },
          { field: "y", type: "quantitative", title: "normalised test error" },
          { field: "testError", type: "quantitative", title: "test error (%)" },
          { field: "n", type: "quantitative", title: "runs" },
          { field: "seeds", type: "nominal", title: "seeds" },
        ],
      },
    },
  );
  return {
    $schema: SCHEMA_URL,
    title: {
      text: f.title,
      subtitle: [
        ...describeRuns(f.kind, all, drawn),
        several.length > 0 ? "points: mean over seeds · dots: single runs · bars: ±1 sd" : "points: single runs",
        "dashed line: float32's error · dotted: the paper's knee",
      ],
    },
    width: 480,
    height: 300,
    config: REPORT_CONFIG,
    layer: layers,
  };
}

/** Paper Fig. (radix point): fixed point test error vs integer bits, a series per dataset, the knee at 5. */
export function radixPointSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure({
    kind: "radix-point",
    title: "Fixed point: test error vs radix point position",
    rows,
    x: (r) => r.integerBits,
    xTitle: "integer bits (radix point position)",
    color: (r) => datasetLabel(r.dataset),
    colorTitle: "dataset",
    colorScale: (drawn) => datasetScale(drawn.map((r) => r.dataset)),
    knees: [{ x: 5, label: "paper: 5" }],
  });
}

function widthFigure(kind: "prop-bits" | "update-bits", rows: readonly ResultRow[]): VegaLiteSpec {
  const prop = kind === "prop-bits";
  return seriesFigure({
    kind,
    title: prop ? "Test error vs width of the propagations" : "Test error vs width of the parameter updates",
    rows,
    x: (r) => (prop ? r.propagationBits : r.updateBits),
    xTitle: prop ? "propagation width (bits, sign included)" : "parameter update width (bits, sign included)",
    color: (r) => datasetLabel(r.dataset),
    colorTitle: "dataset",
    colorScale: (drawn) => datasetScale(drawn.map((r) => r.dataset)),
    dash: (r) => formatLabel(r.format),
    dashTitle: "format",
    dashDomain: FORMAT_ORDER.map(formatLabel),
    knees: prop
      ? [
          { x: 20, label: "paper, fixed: 20" },
          { x: 10, label: "paper, dynamic: 10" },
        ]
      : [
          { x: 20, label: "paper, fixed: 20" },
          { x: 12, label: "paper, dynamic: 12" },
        ],
  });
}

/** Paper Fig. (propagation width): a series per format × dataset, knees at 20 (fixed) and 10 (dynamic fixed). */
export function propBitsSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return widthFigure("prop-bits", rows);
}

/** Paper Fig. (update width): a series per format × dataset, knees at 20 (fixed) and 12 (dynamic fixed). */
export function updateBitsSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return widthFigure("update-bits", rows);
}

/** Paper Fig. (overflow rate): dynamic fixed point error vs maximum overflow rate (log x), a series per width. */
export function overflowRateSpec(rows: readonly ResultRow[]): VegaLiteSpec {
  return seriesFigure({
    kind: "overflow-rate",
    title: "Dynamic fixed point: test error vs maximum overflow rate",
    rows,
    x: (r) => r.maxOverflowRate,
    xLog: true,
    xTitle: "maximum overflow rate (log scale)",
    color: (r) => `${r.propagationBits} bits`,
    colorTitle: "propagation width",
    colorScale: (drawn) => {
      const widths = [...new Set(drawn.map((r) => r.propagationBits))].sort((a, b) => a - b).map((b) => `${b} bits`);
      return { domain: widths, range: widths.map((_, i) => PALETTE[i % PALETTE.length]!) };
    },
    dash: (r) => datasetLabel(r.dataset),
    dashTitle: "dataset",
    dashDomain: DATASETS.map((d) => d.label),
    knees: [{ x: 1e-4, label: "paper: 1e-4 (0.01 %)" }],
  });
}

/** The paper's figure `kind` from result rows (rows of other experiments are ignored). */
export function figureSpec(kind: FigureKind, rows: readonly ResultRow[]): VegaLiteSpec {
  switch (kind) {
    case "radix-point":
      return radixPointSpec(rows);
    case "prop-bits":
      return propBitsSpec(rows);
    case "update-bits":
      return updateBitsSpec(rows);
    case "overflow-rate":
      return overflowRateSpec(rows);
    default:
      throw new Error(`figureSpec: unknown figure "${String(kind)}"; known: ${FIGURE_KINDS.join(", ")}`);
  }
}

/** At most this many points per line of the telemetry figure (more bloat the SVG and hide the trend). */
const TELEMETRY_POINTS = 120;

/**
 * Dynamic fixed point telemetry of one run: top, each group's integer bits over training (a panel per layer, a
 * colour per group, drawn as steps); bottom, each group's overflow rate as dots on a log axis (0 drawn at a
 * floor a decade below the smallest positive rate). Long runs are thinned: the integer bits keep every change, the
 * overflow rate is averaged over at most 120 bins of examples per line.
 */
export function telemetrySpec(rows: readonly ScaleRow[]): VegaLiteSpec {
  const phases = sortedUnique(
    rows.map((r) => r.phase),
    (a, b) => a.localeCompare(b),
  );
  const groups = sortedUnique(
    rows.map((r) => r.group),
    (a, b) => a.localeCompare(b),
  );
  const lines = new Map<string, ScaleRow[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.layer, r.group, r.phase]);
    lines.set(key, [...(lines.get(key) ?? []), r]);
  }
  const positive = rows.map((r) => r.overflowRate).filter((v) => v > 0 && Number.isFinite(v));
  const floor = positive.length > 0 ? Number(`1e${Math.floor(Math.log10(Math.min(...positive))) - 1}`) : 1e-6;
  const bits: Record<string, string | number>[] = [];
  const rates: Record<string, string | number>[] = [];
  for (const key of [...lines.keys()].sort()) {
    const line = lines
      .get(key)!
      .slice()
      .sort((a, b) => a.examples - b.examples || a.batch - b.batch);
    const base = (r: ScaleRow) => ({ layer: `layer ${r.layer}`, group: r.group, phase: r.phase, epoch: r.epoch });
    line.forEach((r, i) => {
      const prev = line[i - 1];
      const changed = prev === undefined || prev.integerBits !== r.integerBits || i === line.length - 1;
      if (changed || line.length <= TELEMETRY_POINTS * 4)
        bits.push({ ...base(r), examples: r.examples, integerBits: r.integerBits });
    });
    const finite = line.filter((r) => Number.isFinite(r.overflowRate));
    const binSize = Math.max(1, Math.ceil(finite.length / TELEMETRY_POINTS));
    for (let i = 0; i < finite.length; i += binSize) {
      const bin = finite.slice(i, i + binSize);
      const rate = bin.reduce((a, r) => a + r.overflowRate, 0) / bin.length;
      const last = bin[bin.length - 1]!;
      rates.push({ ...base(last), examples: last.examples, overflowRate: round6(Math.max(rate, floor)) });
    }
  }
  const layerOrder = sortedUnique(
    rows.map((r) => `layer ${r.layer}`),
    (a, b) => Number(a.slice(6)) - Number(b.slice(6)),
  );
  const columns = Math.min(layerOrder.length, 4);
  const color = {
    field: "group",
    type: "nominal" as const,
    title: "group",
    scale: { domain: groups, range: groups.map((_, i) => PALETTE[i % PALETTE.length]!) },
  };
  const several = phases.length > 1;
  const dash = several ? { strokeDash: { field: "phase", type: "nominal" as const, title: "phase" } } : {};
  const shape = several ? { shape: { field: "phase", type: "nominal" as const, title: "phase", legend: null } } : {};
  const x = {
    field: "examples",
    type: "quantitative" as const,
    title: "examples seen",
    axis: { format: "~s", labelExpr: "datum.value === 0 ? '0' : datum.label" },
  };
  const facet = { field: "layer", type: "nominal" as const, title: null, sort: layerOrder };
  const panel = { width: 220, height: 160 };
  return {
    $schema: SCHEMA_URL,
    title: {
      text: "Dynamic fixed point scales over training",
      subtitle: [
        `${groups.length} group${groups.length === 1 ? "" : "s"} · ${layerOrder.length} layers` +
          (phases.length > 1 ? ` · phases ${phases.join(", ")}` : ""),
        `overflow rate: mean over bins of examples; 0 drawn at ${floor.toExponential(0)}`,
      ],
    },
    config: REPORT_CONFIG,
    resolve: { scale: { color: "shared" } },
    vconcat: [
      {
        data: { values: bits },
        facet,
        columns,
        spec: {
          ...panel,
          mark: { type: "line", interpolate: "step-after", strokeWidth: 1.8 },
          encoding: {
            x,
            y: { field: "integerBits", type: "quantitative", title: "integer bits", axis: { tickMinStep: 1 } },
            color,
            ...dash,
          },
        },
      },
      {
        data: { values: rates },
        facet,
        columns,
        spec: {
          ...panel,
          // Dots, not lines: a rate that drops to 0 and back would draw a comb over the whole panel.
          mark: { type: "point", filled: true, size: 14, opacity: 0.7, aria: false },
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
            ...shape,
          },
        },
      },
    ],
  };
}

/** One network's point of the cost/error plot. */
export interface CostErrorPoint {
  dataset: string;
  setting: string;
  picojoulesPerMac: number;
  testError: number;
  pareto: boolean;
}

/**
 * Energy per multiply-accumulate vs measured test error, a panel per dataset (each with its own error axis):
 * every setting a labelled point, the Pareto front (the `pareto` points) joined by a line, the others hollow.
 */
export function costErrorSpec(points: readonly CostErrorPoint[]): VegaLiteSpec {
  const drawn = points.filter((p) => Number.isFinite(p.picojoulesPerMac) && p.picojoulesPerMac > 0);
  const values = drawn
    .map((p) => ({
      dataset: datasetLabel(p.dataset),
      setting: p.setting,
      pj: round6(p.picojoulesPerMac),
      testError: round6(p.testError),
      front: p.pareto ? "on the Pareto front" : "dominated",
    }))
    .sort((a, b) => a.dataset.localeCompare(b.dataset) || a.pj - b.pj || a.setting.localeCompare(b.setting));
  const datasets = datasetScale(drawn.map((p) => p.dataset));
  const pjs = values.map((v) => v.pj);
  const x = {
    field: "pj",
    type: "quantitative" as const,
    title: "energy per MAC (pJ, log scale)",
    scale: { type: "log" as const },
    axis: pjs.length > 0 ? { values: decades(Math.min(...pjs), Math.max(...pjs)), format: "~g" } : {},
  };
  const y = { field: "testError", type: "quantitative" as const, title: "test error (%)", scale: { zero: false } };
  const color = {
    field: "dataset",
    type: "nominal" as const,
    scale: datasets,
    legend: null,
  };
  return {
    $schema: SCHEMA_URL,
    title: {
      text: "Energy per multiply-accumulate vs test error",
      subtitle: ["filled and joined: the Pareto front (lower energy and lower error); hollow: dominated"],
    },
    config: REPORT_CONFIG,
    data: { values },
    facet: { field: "dataset", type: "nominal", title: null, sort: datasets.domain },
    columns: Math.min(Math.max(datasets.domain.length, 1), 2),
    resolve: { scale: { y: "independent" } },
    spec: {
      width: 320,
      height: 220,
      layer: [
        {
          transform: [{ filter: "datum.front === 'on the Pareto front'" }],
          mark: { type: "line", strokeWidth: 1.5 },
          encoding: { x, y, color },
        },
        {
          mark: { type: "point", size: 60, strokeWidth: 1.8 },
          encoding: {
            x,
            y,
            color,
            fill: {
              condition: {
                test: "datum.front === 'on the Pareto front'",
                field: "dataset",
                type: "nominal",
                scale: datasets,
                legend: null,
              },
              value: "white",
            },
            tooltip: [
              { field: "setting", type: "nominal" },
              { field: "pj", type: "quantitative", title: "pJ per MAC" },
              { field: "testError", type: "quantitative", title: "test error (%)" },
              { field: "front", type: "nominal", title: "Pareto" },
            ],
          },
        },
        {
          mark: { type: "text", align: "left", dx: 7, dy: -7, fontSize: 11, color: "#333" },
          encoding: { x, y, text: { field: "setting", type: "nominal" } },
        },
      ],
    },
  };
}
