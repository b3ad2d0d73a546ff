import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import { Ajv, type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import {
  costErrorSpec,
  FIGURE_KINDS,
  figureSpec,
  type ResultRow,
  telemetrySpec,
  toPng,
  toSvg,
  type VegaLiteSpec,
} from "../src/index.ts";
import { makeRow, makeScales, sweep } from "./fixtures.ts";

const require = createRequire(import.meta.url);

/** Vega-Lite's own JSON schema (draft-07), compiled once: ajv's default class is its draft-07 validator. */
let validate: ValidateFunction;
beforeAll(() => {
  const schema: object = JSON.parse(readFileSync(require.resolve("vega-lite/build/vega-lite-schema.json"), "utf8"));
  // strictTypes off: the schema puts `minimum` beside `anyOf` branches without `type: number`, which is valid
  // JSON Schema that ajv's strict mode only lints; union types likewise. The three formats are not checked.
  const ajv = new Ajv({
    allErrors: true,
    strictTypes: false,
    allowUnionTypes: true,
    formats: { "color-hex": true, uri: true, "uri-reference": true },
  });
  validate = ajv.compile(schema);
});

function expectValid(spec: VegaLiteSpec): void {
  const ok = validate(spec);
  expect(ok ? [] : validate.errors?.slice(0, 5)).toEqual([]);
}

/**
 * A structural XML check: one root element, every tag closed in order, attributes as name="value", no stray
 * `<` or `&` in text. (resvg's strict XML parser reads the same SVG in toPng.)
 */
function expectWellFormedXml(xml: string): void {
  const stack: string[] = [];
  let roots = 0;
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[a-zA-Z][\w:-]*="[^"<]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    expect(/&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(text), `bad entity in ${text}`).toBe(false);
    if (lt < 0) break;
    tag.lastIndex = lt;
    const m = tag.exec(xml);
    expect(m, `malformed tag at ${lt}: ${xml.slice(lt, lt + 80)}`).not.toBeNull();
    const [whole, close, name, , selfClose] = m!;
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) roots++;
    i = lt + whole.length;
  }
  expect(stack).toEqual([]);
  expect(roots).toBe(1);
}

/** Counts the SVG paths vega writes for marks of one kind: `aria-roledescription="point"` for point marks. */
const countRole = (svg: string, role: string) =>
  svg.match(new RegExp(`<path [^>]*aria-roledescription="${role}"`, "g"))?.length ?? 0;

/** Distinct keys of rows: the number of means a figure draws. */
const distinct = (rows: readonly ResultRow[], key: (r: ResultRow) => string) => new Set(rows.map(key)).size;

const datasets = ["pi-mnist", "mnist-conv", "cifar10", "svhn"];
const figureRows: Record<(typeof FIGURE_KINDS)[number], ResultRow[]> = {
  "radix-point": sweep("radix-point", "integerBits", [1, 2, 3, 4, 5, 6, 8], datasets, [1, 2, 3]),
  "prop-bits": [
    ...sweep("prop-bits", "propagationBits", [12, 16, 20, 24], datasets, [1, 2], { format: "fixed" }),
    ...sweep("prop-bits", "propagationBits", [6, 8, 10, 12], datasets, [1, 2], { format: "dynamic-fixed" }),
  ],
  "update-bits": [
    ...sweep("update-bits", "updateBits", [16, 20, 24], ["pi-mnist"], [1], { format: "fixed" }),
    ...sweep("update-bits", "updateBits", [10, 12, 14], ["pi-mnist"], [1], { format: "dynamic-fixed" }),
  ],
  "overflow-rate": [8, 10, 12].flatMap((bits) =>
    sweep("overflow-rate", "maxOverflowRate", [1e-6, 1e-4, 1e-2], ["pi-mnist"], [1, 2], {
      format: "dynamic-fixed",
      propagationBits: bits,
    }),
  ),
};
const seriesKey: Record<(typeof FIGURE_KINDS)[number], (r: ResultRow) => string> = {
  "radix-point": (r) => `${r.dataset} ${r.integerBits}`,
  "prop-bits": (r) => `${r.dataset} ${r.format} ${r.propagationBits}`,
  "update-bits": (r) => `${r.dataset} ${r.format} ${r.updateBits}`,
  "overflow-rate": (r) => `${r.propagationBits} ${r.maxOverflowRate}`,
};

describe("paper figures", () => {
  for (const kind of FIGURE_KINDS) {
    it(`${kind}: a valid spec whose SVG has one point per mean and one dot per run`, async () => {
      const own = figureRows[kind];
      // Rows of other experiments and runs that are not done are left out.
      const notDone = makeRow({ experiment: kind, status: "running", normalizedError: Number.NaN });
      const rows = [...own, notDone, ...figureRows[kind === "radix-point" ? "prop-bits" : "radix-point"]];
      const spec = figureSpec(kind, rows);
      expectValid(spec);
      const svg = await toSvg(spec);
      expectWellFormedXml(svg);
      const means = distinct(own, seriesKey[kind]);
      expect(countRole(svg, "point")).toBe(means);
      const several = own.length > means;
      expect(countRole(svg, "circle")).toBe(several ? own.length : 0);
      expect(svg).toContain('font-family="DejaVu Sans"');
      expect(svg).toMatch(/stroke-dasharray="6,4"/); // the rule at y = 1
      expect(svg).toContain("1 of");
      // No text below 11 px.
      const sizes = [...svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1]));
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    });
  }

  it("overflow-rate draws a log x axis with decade ticks and the knee at 1e-4", async () => {
    const spec = figureSpec("overflow-rate", figureRows["overflow-rate"]);
    const json = JSON.stringify(spec);
    expect(json).toContain('"type":"log"');
    expect(json).toContain('"values":[0.000001,0.00001,0.0001,0.001,0.01]');
    const svg = await toSvg(spec);
    for (const t of ["1e-6", "1e-4", "1e-2", "paper: 1e-4 (0.01 %)"]) expect(svg).toContain(`>${t}</text>`);
  });

  it("prop-bits marks the paper's knees at 20 (fixed) and 10 (dynamic fixed)", async () => {
    const svg = await toSvg(figureSpec("prop-bits", figureRows["prop-bits"]));
    expect(svg).toContain(">paper, fixed: 20</text>");
    expect(svg).toContain(">paper, dynamic: 10</text>");
    expect(svg).toContain(">dynamic fixed point</text>"); // the format legend
  });

  it("draws an empty figure when nothing is done", async () => {
    const spec = figureSpec("radix-point", [makeRow({ experiment: "radix-point", status: "running" })]);
    expectValid(spec);
    const svg = await toSvg(spec);
    expect(countRole(svg, "point")).toBe(0);
    expect(svg).toContain("no finished run yet");
  });

  it("rejects an unknown kind", () => {
    expect(() => figureSpec("nope" as "radix-point", [])).toThrow(/unknown figure "nope"/);
  });
});

describe("telemetry and cost figures", () => {
  it("telemetry: valid spec, a line per layer and group, log overflow axis", async () => {
    const scales = makeScales();
    const spec = telemetrySpec(scales);
    expectValid(spec);
    const svg = await toSvg(spec);
    expectWellFormedXml(svg);
    // One line per (layer, group) in the integer-bits panels.
    expect(countRole(svg, "line mark")).toBe(4);
    expect(JSON.stringify(spec)).toContain('"type":"log"');
    expect(svg).toContain(">layer 1</text>");
    expect(svg).toContain("0 drawn at 1e-5");
  });

  it("cost/error: valid spec, one point per network, a line through the front of each dataset", async () => {
    const points = [
      { dataset: "pi-mnist", setting: "fp32", picojoulesPerMac: 4.6, testError: 1.05, pareto: true },
      { dataset: "pi-mnist", setting: "fixed", picojoulesPerMac: 0.9, testError: 1.39, pareto: false },
      { dataset: "pi-mnist", setting: "dfxp", picojoulesPerMac: 0.35, testError: 1.28, pareto: true },
      { dataset: "svhn", setting: "fp32", picojoulesPerMac: 4.6, testError: 2.71, pareto: true },
      { dataset: "svhn", setting: "dfxp", picojoulesPerMac: 0.35, testError: 4.95, pareto: true },
    ];
    const spec = costErrorSpec(points);
    expectValid(spec);
    const svg = await toSvg(spec);
    expectWellFormedXml(svg);
    expect(countRole(svg, "point")).toBe(points.length);
    expect(countRole(svg, "line mark")).toBe(2);
    for (const s of ["fp32", "fixed", "dfxp"]) expect(svg).toContain(`>${s}</text>`);
  });
});

/** Reads a PNG's chunks, checks their CRCs and returns IHDR and the inflated image data. */
function readPng(png: Uint8Array) {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  expect([...png.subarray(0, 8)]).toEqual(sig);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const { crc32 } = require("node:zlib") as { crc32: (d: Uint8Array) => number };
  let at = 8;
  let ihdr: { width: number; height: number; depth: number; colorType: number } | undefined;
  const idat: Uint8Array[] = [];
  let end = false;
  while (at < png.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    expect(view.getUint32(at + 8 + len)).toBe(crc32(png.subarray(at + 4, at + 8 + len)));
    if (type === "IHDR")
      ihdr = { width: view.getUint32(at + 8), height: view.getUint32(at + 12), depth: data[8]!, colorType: data[9]! };
    if (type === "IDAT") idat.push(data);
    if (type === "IEND") end = true;
    at += 12 + len;
  }
  expect(end).toBe(true);
  expect(ihdr).toBeDefined();
  return { ...ihdr!, pixels: inflateSync(Buffer.concat(idat)) };
}

describe("rendering", () => {
  it("is deterministic: the same spec gives the same SVG and PNG bytes", async () => {
    const spec = figureSpec("prop-bits", figureRows["prop-bits"]);
    const [a, b] = [await toSvg(spec), await toSvg(spec)];
    expect(b).toBe(a);
    await toSvg(costErrorSpec([])); // other renders between do not change ids or layout
    expect(await toSvg(spec)).toBe(a);
    // No float noise: attribute numbers (transforms, paths) have at most 3 decimals; aria labels hold the data.
    const attributes = [...a.matchAll(/ ([\w:-]+)="([^"]*)"/g)].filter((m) => !m[1]!.startsWith("aria-"));
    expect(attributes.map((m) => m[2]).join(" ")).not.toMatch(/\d\.\d{4,}/);
    expect(Buffer.from(toPng(a)).equals(Buffer.from(toPng(b)))).toBe(true);
  });

  it("writes a PNG that decodes to the SVG's size × scale, white first pixel", async () => {
    const svg = await toSvg(figureSpec("radix-point", figureRows["radix-point"]));
    const [, w, h] = svg.match(/^<svg [^>]*width="(\d+)" height="(\d+)"/)!.map(Number);
    for (const scale of [1, 2]) {
      const png = readPng(toPng(svg, scale));
      expect([png.width, png.height]).toEqual([w! * scale, h! * scale]);
      expect(png.depth).toBe(8);
      const channels = { 2: 3, 6: 4 }[png.colorType as 2 | 6];
      expect(channels).toBeDefined();
      // One filter byte per scanline, then the pixels: the size proves the whole image inflated.
      expect(png.pixels.length).toBe(png.height * (1 + png.width * channels!));
      // Whatever the first row's filter, its first pixel is stored as is: the white background.
      expect([...png.pixels.subarray(1, 1 + channels!)].every((v) => v === 255)).toBe(true);
    }
    expect(() => toPng(svg, 0)).toThrow("scale must be a positive number");
    expect(() => toPng("<svg><g></svg>")).toThrow();
  });
});
