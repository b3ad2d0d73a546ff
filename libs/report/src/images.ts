/**
 * Images as a figure: rows of images (e.g. the same examples before and after a preprocessing step), one
 * rectangle per pixel, so the figure goes through the same Vega-Lite → SVG → PNG path as every other one.
 */
import { REPORT_CONFIG, type VegaLiteSpec } from "./figures.js";

/** One row of the grid: its label and its images, each channels × height × width (CHW), as the shape says. */
export interface ImageGridRow {
  readonly label: string;
  readonly images: readonly Float32Array[];
}

export interface ImageGridOptions {
  /** [channels, height, width] of every image; 1 channel is drawn grey, 3 as red, green, blue */
  readonly shape: readonly [number, number, number];
  readonly title: string;
  readonly subtitle?: string;
  /** a label over each column (default: none) */
  readonly columnLabels?: readonly string[];
  /** displayed pixels per image pixel (default 2) */
  readonly pixelSize?: number;
}

/** Largest number of pixels drawn, over all images (each is a rectangle in the SVG). */
export const MAX_GRID_PIXELS = 100_000;

/**
 * The display colours of one CHW image: each image is stretched to its own range (its smallest value black, its
 * largest white, over all its channels together, so the balance between channels stays visible); an image of one
 * value is mid-grey. Returns "#rrggbb" per pixel, row by row.
 */
export function imageColours(image: Float32Array, shape: readonly [number, number, number]): string[] {
  const [c, h, w] = shape;
  if (c !== 1 && c !== 3) throw new RangeError(`imageColours: 1 or 3 channels, got ${c}`);
  if (image.length !== c * h * w)
    throw new RangeError(`imageColours: an image of ${c}×${h}×${w} has ${c * h * w} values, got ${image.length}`);
  let lo = Number.POSITIVE_INFINITY,
    hi = Number.NEGATIVE_INFINITY;
  for (const v of image) {
    if (!Number.isFinite(v)) throw new RangeError(`imageColours: a value is ${v}`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const level = (v: number) => (hi > lo ? Math.round((255 * (v - lo)) / (hi - lo)) : 128);
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  const out: string[] = [];
  for (let p = 0; p < h * w; p++) {
    const [r, g, b] =
      c === 1 ? [image[p]!, image[p]!, image[p]!] : [image[p]!, image[h * w + p]!, image[2 * h * w + p]!];
    out.push(`#${hex(level(r))}${hex(level(g))}${hex(level(b))}`);
  }
  return out;
}

/**
 * A grid of images: a row per ImageGridRow (its label at the left), a column per image, each image stretched to
 * its own range (imageColours). The rows must hold the same number of images. The SVG holds a rectangle per
 * pixel, so show it as a PNG (figureBundle does for a large SVG).
 */
export function imageGridSpec(rows: readonly ImageGridRow[], options: ImageGridOptions): VegaLiteSpec {
  const [, h, w] = options.shape;
  const columns = rows[0]?.images.length ?? 0;
  if (rows.length === 0 || columns === 0) throw new RangeError("imageGridSpec: no images");
  const uneven = rows.find((r) => r.images.length !== columns);
  if (uneven)
    throw new RangeError(`imageGridSpec: row "${uneven.label}" has ${uneven.images.length} images, not ${columns}`);
  if (new Set(rows.map((r) => r.label)).size !== rows.length)
    throw new RangeError("imageGridSpec: two rows share a label");
  if (rows.length * columns * h * w > MAX_GRID_PIXELS)
    throw new RangeError(`imageGridSpec: ${rows.length * columns * h * w} pixels, at most ${MAX_GRID_PIXELS}`);
  const labels = options.columnLabels;
  if (labels !== undefined && (labels.length !== columns || new Set(labels).size !== columns))
    throw new RangeError(`imageGridSpec: ${columns} distinct column labels needed, got ${labels.length}`);
  const columnName = (k: number) => labels?.[k] ?? String(k);
  const values: { row: string; column: string; x: number; y: number; colour: string }[] = [];
  for (const r of rows)
    r.images.forEach((image, k) => {
      const colours = imageColours(image, options.shape);
      for (let p = 0; p < colours.length; p++)
        values.push({ row: r.label, column: columnName(k), x: p % w, y: Math.floor(p / w), colour: colours[p]! });
    });
  const size = (options.pixelSize ?? 2) * Math.max(h, w);
  const pixels = { paddingInner: 0, paddingOuter: 0 };
  return {
    title: options.subtitle ? { text: options.title, subtitle: options.subtitle } : { text: options.title },
    config: { ...REPORT_CONFIG, view: { stroke: null } },
    data: { values },
    spacing: 4,
    facet: {
      row: {
        field: "row",
        type: "nominal",
        title: null,
        sort: rows.map((r) => r.label),
        header: { labelAngle: 0, labelAlign: "left", labelLimit: 400 },
      },
      column: {
        field: "column",
        type: "nominal",
        title: null,
        sort: Array.from({ length: columns }, (_, k) => columnName(k)),
        header: labels === undefined ? { labels: false } : {},
      },
    },
    spec: {
      width: size,
      height: size,
      mark: { type: "rect", aria: false },
      encoding: {
        x: { field: "x", type: "ordinal", axis: null, scale: pixels },
        y: { field: "y", type: "ordinal", axis: null, scale: pixels },
        color: { field: "colour", type: "nominal", scale: null, legend: null },
      },
    },
  };
}
