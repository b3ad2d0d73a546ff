/**
 * A number line of formats: one row per format, one tick per representable value, in one or more panels that
 * show the same rows over different ranges (the whole line, then a zoom near zero). The values come from the
 * caller (e.g. @lowprec/formats' `representableValues`): this module only draws plain numbers.
 */
import { REPORT_CONFIG, type VegaLiteSpec } from "./figures.js";

/** The three families of the paper, for colour: the colours of half, fixed and dynamic fixed point elsewhere. */
export type NumberLineFamily = "float" | "fixed" | "dynamic-fixed";

const FAMILY_COLORS: Readonly<Record<NumberLineFamily, string>> = {
  float: "#54a24b",
  fixed: "#e45756",
  "dynamic-fixed": "#4c78a8",
};

/** One row: a format's representable values. */
export interface NumberLine {
  /** the row's name on the y axis (under it, per panel: the count of values shown, their steps, `max`) */
  readonly label: string;
  readonly family: NumberLineFamily;
  /** the values to draw (those outside a panel's domain are left out of that panel) */
  readonly values: readonly number[];
  /** the format's largest finite value: marked with a ▼ where a panel shows it (values beyond it saturate) */
  readonly max: number;
}

/** One panel: the rows over [lo, hi]. */
export interface NumberLinePanel {
  readonly domain: readonly [number, number];
  /** the x axis title */
  readonly title: string;
}

const ROW_HEIGHT = 50;
const WIDTH = 560;
/** The y axis's width, the same in every panel so that the panels' lines align. */
const LABEL_WIDTH = 300;

/** A power of two below 1 as "1/16", anything else as a number of at most 6 significant digits. */
export function stepText(step: number): string {
  const e = Math.log2(step);
  if (Number.isInteger(e) && e < 0) return `1/${2 ** -e}`;
  return String(Number(step.toPrecision(6)));
}

/**
 * The two lines under a row's name: "9 values, step 1/16" (or "81 values, step 1/512 to 1/2" where the gaps between
 * neighbouring values vary) and "largest 7.9375" (at most 8 significant digits).
 */
export function rowNote(values: readonly number[], max: number): [string, string] {
  const gaps = values.slice(1).map((v, i) => v - values[i]!);
  const largest = `largest ${Number(max.toPrecision(8))}`;
  if (gaps.length === 0) return [`${values.length} value${values.length === 1 ? "" : "s"}`, largest];
  const lo = Math.min(...gaps),
    hi = Math.max(...gaps);
  const steps = lo === hi ? stepText(lo) : `${stepText(lo)} to ${stepText(hi)}`;
  return [`${values.length} values, step ${steps}`, largest];
}

/**
 * The Vega-Lite spec: panels stacked vertically, each with every row (in the given order), a tick per value in
 * its domain, and a ▼ above a row's largest value when it lies in the domain. Throws a RangeError naming the
 * problem for no rows or panels, a repeated label, an empty or reversed domain, or a non-finite value.
 */
export function numberLineSpec(
  lines: readonly NumberLine[],
  panels: readonly NumberLinePanel[],
  title: { readonly text: string; readonly subtitle?: string | readonly string[] },
): VegaLiteSpec {
  if (lines.length === 0) throw new RangeError("numberLineSpec: no rows");
  if (panels.length === 0) throw new RangeError("numberLineSpec: no panels");
  const labels = lines.map((l) => l.label);
  const repeated = labels.find((l, i) => labels.indexOf(l) !== i);
  if (repeated !== undefined) throw new RangeError(`numberLineSpec: the label "${repeated}" names two rows`);
  for (const p of panels) {
    const [lo, hi] = p.domain;
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
      throw new RangeError(`numberLineSpec: panel "${p.title}" has the domain [${lo}, ${hi}]`);
  }
  for (const l of lines) {
    const bad = [...l.values, l.max].find((v) => !Number.isFinite(v));
    if (bad !== undefined) throw new RangeError(`numberLineSpec: row "${l.label}" holds the value ${bad}`);
  }
  const color = {
    field: "family",
    type: "nominal" as const,
    scale: {
      domain: Object.keys(FAMILY_COLORS),
      range: Object.values(FAMILY_COLORS),
    },
    legend: null,
  };
  const vconcat = panels.map((p) => {
    const [lo, hi] = p.domain;
    const inside = (v: number) => v >= lo && v <= hi;
    const shown = new Map(lines.map((l) => [l, l.values.filter(inside)]));
    const rowLabel = (l: NumberLine) => [l.label, ...rowNote(shown.get(l)!, l.max)].join("\n");
    const y = {
      field: "row",
      type: "nominal" as const,
      sort: lines.map(rowLabel),
      title: null,
      axis: {
        labelExpr: "split(datum.label, '\\n')",
        labelLimit: LABEL_WIDTH - 8,
        labelPadding: 8,
        labelLineHeight: 14,
        minExtent: LABEL_WIDTH,
        maxExtent: LABEL_WIDTH,
        ticks: false,
        domain: false,
      },
    };
    const ticks = lines.flatMap((l) => shown.get(l)!.map((value) => ({ row: rowLabel(l), family: l.family, value })));
    const maxima = lines
      .filter((l) => inside(l.max))
      .map((l) => ({ row: rowLabel(l), family: l.family, value: l.max }));
    const x = {
      field: "value",
      type: "quantitative" as const,
      title: p.title,
      axis: { format: "~g" },
      scale: { domain: [lo, hi], nice: false, zero: false },
    };
    return {
      width: WIDTH,
      height: ROW_HEIGHT * lines.length,
      layer: [
        {
          data: { values: ticks },
          mark: { type: "tick" as const, thickness: 1, size: ROW_HEIGHT * 0.5, opacity: 1, aria: false },
          encoding: { x, y, color },
        },
        {
          data: { values: maxima },
          mark: {
            type: "point" as const,
            shape: "triangle-down",
            filled: true,
            size: 55,
            yOffset: -ROW_HEIGHT * 0.33,
            opacity: 1,
            aria: false,
          },
          encoding: { x, y, color },
        },
      ],
    };
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    config: { ...REPORT_CONFIG, axisY: { grid: false }, axisX: { grid: false } },
    title: { text: title.text, ...(title.subtitle === undefined ? {} : { subtitle: [title.subtitle].flat() }) },
    spacing: 22,
    vconcat,
  };
}
