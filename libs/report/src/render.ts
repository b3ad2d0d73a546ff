/** Rendering: Vega-Lite spec → SVG (vega, no canvas) → PNG (resvg), both byte-for-byte deterministic. */
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import * as vl from "vega-lite";
import { FONT_FAMILY, type VegaLiteSpec } from "./figures.js";

/** Parts of vega's runtime that its type declarations leave out (vega re-exports vega-scenegraph's). */
interface VegaInternals {
  resetSVGDefIds?: () => void;
  textMetrics?: { canvas?: (use: boolean) => void };
}

/**
 * Text widths from vega's estimate (0.8 em a character), never from a canvas package that may or may not be
 * installed: the layout then depends on the spec alone.
 */
function pinTextMetrics(): void {
  (vega as unknown as VegaInternals).textMetrics?.canvas?.(false);
}

/** Attribute numbers with more than 3 decimals (transforms, coordinates) rounded to 3: no float noise. */
function roundAttributes(svg: string): string {
  return svg.replace(/ ([a-zA-Z][\w:-]*)="([^"]*)"/g, (whole, name: string, value: string) => {
    if (name.startsWith("aria-")) return whole;
    const v = value.replace(/-?\d+\.\d{4,}(?:e[+-]?\d+)?/g, (num) => {
      const r = Number(Number(num).toFixed(3));
      return String(Object.is(r, -0) ? 0 : r);
    });
    return ` ${name}="${v}"`;
  });
}

/**
 * Renders a Vega-Lite spec to SVG. The same spec gives the same bytes: clip and gradient ids restart at every
 * call, text is measured by estimate, and coordinates are rounded to 3 decimals.
 */
export async function toSvg(spec: VegaLiteSpec): Promise<string> {
  pinTextMetrics();
  (vega as unknown as VegaInternals).resetSVGDefIds?.();
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
  try {
    return `${roundAttributes(await view.toSVG())}\n`;
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises an SVG (from toSvg) to PNG at `scale` × its size (default 2, for sharp text), with the system's
 * fonts and FONT_FAMILY ("DejaVu Sans", Debian's fonts-dejavu-core) as the default family. Deterministic.
 */
export function toPng(svg: string, scale = 2): Uint8Array {
  if (!(scale > 0 && Number.isFinite(scale))) throw new Error(`toPng: scale must be a positive number, got ${scale}`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
    shapeRendering: 2,
    textRendering: 1,
  });
  return new Uint8Array(resvg.render().asPng());
}

/** The largest SVG (in characters) figureBundle keeps beside its PNG; larger figures are shown as PNG only. */
export const BUNDLE_SVG_LIMIT = 60_000;

/**
 * One figure as a notebook output's MIME bundle: `image/svg+xml` (the SVG as given) and `image/png` (toPng at
 * `pngScale`, default 1, base64), so that a renderer that strips SVG still shows the PNG. An SVG longer than
 * `maxSvgChars` (default BUNDLE_SVG_LIMIT) is left out and the figure is the PNG alone, which keeps a committed
 * notebook small.
 */
export function figureBundle(
  svg: string,
  options: { readonly maxSvgChars?: number; readonly pngScale?: number } = {},
): Record<string, string> {
  if (!svg.trimStart().startsWith("<svg")) throw new Error(`figureBundle: not an SVG (starts "${svg.slice(0, 20)}")`);
  const limit = options.maxSvgChars ?? BUNDLE_SVG_LIMIT;
  const png = Buffer.from(toPng(svg, options.pngScale ?? 1)).toString("base64");
  return svg.length <= limit ? { "image/svg+xml": svg, "image/png": png } : { "image/png": png };
}
