import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { inflateSync } from "node:zlib";
import { Ajv, type ValidateFunction } from "ajv";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CostErrorPoint,
  costErrorSpec,
  FIGURE_KINDS,
  type FigureKind,
  figureBundle,
  figureFacts,
  figureKnees,
  figureSpec,
  imageColours,
  policiesSpec,
  scaleRatesSpec,
  imageGridSpec,
  type PaperTable2,
  type ResultRow,
  type ScaleRow,
  summarize,
  table2RatioSpec,
  telemetrySpec,
  toPng,
  toSvg,
  type VegaLiteSpec,
} from "../src/index.ts";
import { makeRow, PAPER, sweep } from "./fixtures.ts";

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

/** Counts the error bars: vega writes each bar of an errorbar mark as a `<line>` whose role is "errorbar". */
const countErrorBars = (svg: string) => svg.match(/<line [^>]*aria-roledescription="errorbar"/g)?.length ?? 0;

/** The aria labels of the point marks (vega lists the tooltip's fields and values in them). */
const pointLabels = (svg: string) =>
  [...svg.matchAll(/<path aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point"/g)].map(
    (m) => m[1]!,
  );

/** The legend's entries: each symbol's path, fill and label. */
function legendEntries(svg: string): { d: string; fill: string; label: string }[] {
  const re = new RegExp(
    'role-legend-symbol"[^>]*><path [^>]*?d="([^"]+)" fill="([^"]+)"' +
      '[\\s\\S]*?role-legend-label"[^>]*><text[^>]*>([^<]*)</text>',
    "g",
  );
  return [...svg.matchAll(re)].map((m) => ({ d: m[1]!, fill: m[2]!, label: m[3]! }));
}

/** The texts of the title's subtitle lines. */
function subtitle(spec: VegaLiteSpec): string[] {
  const title = (spec as { title?: { subtitle?: string | string[] } }).title;
  const s = title?.subtitle ?? [];
  return typeof s === "string" ? [s] : s;
}

type Datum = Record<string, string | number | boolean | null>;
/** The inline data of a faceted figure, of one `part`. */
const part = (spec: VegaLiteSpec, name: string) =>
  (spec as { data: { values: Datum[] } }).data.values.filter((v) => v.part === name);

/** Result rows of one (dataset, format, x) point: one row per given ratio, seeds 1, 2, ... */
function point(
  experiment: string,
  field: "integerBits" | "propagationBits" | "updateBits" | "maxOverflowRate",
  x: number,
  ratios: readonly number[],
  over: Partial<ResultRow> = {},
): ResultRow[] {
  return ratios.map((ratio, i) =>
    makeRow({
      experiment,
      seed: i + 1,
      runId: `${experiment}-${over.dataset ?? "pi-mnist"}-${over.format ?? "fixed"}-${x}-${i + 1}`,
      [field]: x,
      ...over,
      testError: ratio,
      baselineTestError: 1,
      normalizedError: ratio,
    }),
  );
}

/** The float32 baseline run of one seed (drawn as the rule at 1, never as a point). */
const baseline = (experiment: string, seed: number, over: Partial<ResultRow> = {}) =>
  makeRow({
    experiment,
    seed,
    runId: `${experiment}-fp32-${seed}`,
    setting: "fp32",
    format: "float32",
    propagationBits: 32,
    updateBits: 32,
    integerBits: 0,
    testError: 1,
    baselineTestError: 1,
    normalizedError: 1,
    ...over,
  });

const datasets = ["pi-mnist", "mnist-conv", "cifar10", "svhn"];
const figureRows: Record<FigureKind, ResultRow[]> = {
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
const seriesKey: Record<FigureKind, (r: ResultRow) => string> = {
  "radix-point": (r) => `${r.dataset} ${r.integerBits}`,
  "prop-bits": (r) => `${r.dataset} ${r.format} ${r.propagationBits}`,
  "update-bits": (r) => `${r.dataset} ${r.format} ${r.updateBits}`,
  "overflow-rate": (r) => `${r.propagationBits} ${r.maxOverflowRate}`,
};

describe("paper figures", () => {
  for (const kind of FIGURE_KINDS) {
    it(`${kind}: a valid spec whose SVG has one point per mean and one bar per mean of several seeds`, async () => {
      const own = figureRows[kind];
      // Rows of other experiments and runs that are not done are left out.
      const notDone = makeRow({ experiment: kind, status: "running", normalizedError: Number.NaN });
      const rows = [...own, notDone, ...figureRows[kind === "radix-point" ? "prop-bits" : "radix-point"]];
      const spec = figureSpec(kind, rows);
      expectValid(spec);
      const svg = await toSvg(spec);
      expectWellFormedXml(svg);
      const means = new Set(own.map(seriesKey[kind])).size;
      expect(countRole(svg, "point")).toBe(means);
      expect(countErrorBars(svg)).toBe(own.length > means ? means : 0);
      expect(svg).toContain('font-family="DejaVu Sans"');
      expect(svg).toMatch(/<line [^>]*stroke="#777777" stroke-width="1" stroke-dasharray="6,4"/); // the rule at 1
      expect(svg).toContain(">float32 = 1</text>");
      expect(subtitle(spec).join("\n")).toContain("PI MNIST: 1 of");
      // No text below 11 px.
      const sizes = [...svg.matchAll(/font-size="([\d.]+)px"/g)].map((m) => Number(m[1]));
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(11);
    });
  }

  it("draws a 95 % t interval over 3 seeds as an error bar, and none for a point of n = 1", async () => {
    // Ratios 0.9, 1.0, 1.1: mean 1, sd 0.1, half width t(0.975, 2) · 0.1 / √3 = 4.302653 · 0.057735 = 0.248414.
    const rows = [
      ...point("prop-bits", "propagationBits", 16, [0.9, 1.0, 1.1]),
      ...point("prop-bits", "propagationBits", 20, [0.95, 0.96, 0.97]),
      ...point("prop-bits", "propagationBits", 24, [1.02]),
      ...[1, 2, 3].map((s) => baseline("prop-bits", s)),
    ];
    const spec = figureSpec("prop-bits", rows);
    expectValid(spec);
    const at16 = part(spec, "point").find((p) => p.x === 16)!;
    expect(at16.lo).toBeCloseTo(1 - 0.248414, 5);
    expect(at16.hi).toBeCloseTo(1 + 0.248414, 5);
    expect(part(spec, "point").find((p) => p.x === 24)).toMatchObject({ n: 1, lo: null, hi: null });
    const svg = await toSvg(spec);
    expect(countRole(svg, "point")).toBe(3);
    expect(countErrorBars(svg)).toBe(2);
    const bar16 = svg.match(/<line aria-label="[^"]*hi: 1\.24841; lo: 0\.751586"[^>]*aria-roledescription="errorbar"/);
    expect(bar16).not.toBeNull();
    expect(subtitle(spec)).toContain("n = 1–3 seeds per point; no bar (n = 1): fixed point at 24 bits");
  });

  it("the subtitle states dataset, epochs, subset, test images and seeds per point; unrun datasets by cause", () => {
    const rows = [
      ...point("update-bits", "updateBits", 12, [1.1, 1.2], { format: "dynamic-fixed", trainLimit: 10000 }),
      ...point("update-bits", "updateBits", 14, [1.0, 1.1, 1.2], { format: "dynamic-fixed", trainLimit: 10000 }),
      ...point("update-bits", "updateBits", 12, [1], {
        dataset: "cifar10",
        status: "not run: data missing (run `lowprec fetch-data`)",
        normalizedError: Number.NaN,
      }),
      makeRow({ experiment: "update-bits", dataset: "svhn", status: "running", normalizedError: Number.NaN }),
    ];
    const lines = subtitle(figureSpec("update-bits", rows));
    expect(lines).toContain(
      "PI MNIST · paper variant · 50 epochs · training subset 10000 images · " + "10000 test images",
    );
    expect(lines).toContain("n = 2–3 seeds per point; bar: 95 % t interval of the mean");
    expect(lines).toContain("CIFAR-10 not run: its data files are absent");
    expect(lines).toContain("SVHN: nothing drawn (1 running)");
    expect(lines.join("\n")).not.toMatch(/runs not done|of \d+ update-bits/);
    // Neither unrun dataset gets a panel.
    expect(part(figureSpec("update-bits", rows), "point").map((p) => p.dataset)).toEqual(["PI MNIST", "PI MNIST"]);
  });

  it("radix-point: the float32 baseline (integerBits 0) is the rule at 1, never a point at x = 0", async () => {
    const rows = [
      ...[1, 2].map((s) => baseline("radix-point", s)),
      ...[3, 4, 5, 6].flatMap((x) => point("radix-point", "integerBits", x, [1.1, 1.2])),
    ];
    const spec = figureSpec("radix-point", rows);
    expect(part(spec, "point").map((p) => p.x)).toEqual([3, 4, 5, 6]);
    expect(part(spec, "baseline")).toEqual([{ part: "baseline", dataset: "PI MNIST", y: 1 }]);
    const svg = await toSvg(spec);
    const xs = pointLabels(svg).map((l) => Number(l.match(/^integer bits \(radix point position\): ([\d.]+);/)![1]));
    expect(xs).toEqual([3, 4, 5, 6]);
    // The x axis is ticked at the swept positions only: no 0.
    const ticks = svg.match(/aria-label="X-axis[\s\S]*?role-axis-label[\s\S]*?<\/g>/)![0];
    expect([...ticks.matchAll(/>(\d+)<\/text>/g)].map((m) => m[1])).toEqual(["3", "4", "5", "6"]);
  });

  for (const kind of ["prop-bits", "update-bits"] as const) {
    it(`${kind}: float32 is the rule at 1; one colour and one marker per format, both in one legend`, async () => {
      const field = kind === "prop-bits" ? "propagationBits" : "updateBits";
      const rows = [
        ...[1, 2].map((s) => baseline(kind, s)),
        ...[12, 16, 20, 24].flatMap((x) => point(kind, field, x, [1.3, 1.2], { format: "fixed" })),
        ...[8, 10, 12].flatMap((x) => point(kind, field, x, [1.1, 1.0], { format: "dynamic-fixed" })),
      ];
      const spec = figureSpec(kind, rows);
      expectValid(spec);
      expect(part(spec, "point").some((p) => p.x === 32)).toBe(false);
      const svg = await toSvg(spec);
      expect(countRole(svg, "point")).toBe(7);
      expect(pointLabels(svg).some((l) => /: 32;/.test(l))).toBe(false);
      expect(svg).not.toContain(">32</text>");
      // Every swept width is a labelled tick, 8 to 24.
      for (const w of [8, 10, 12, 16, 20, 24]) expect(svg).toContain(`>${w}</text>`);
      // The rule is drawn first (below the series).
      const order = ["child_layer_0_marks", "child_layer_3_marks", "child_layer_4_marks"].map((c) => svg.indexOf(c));
      expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
      expect(svg.match(/role-mark child_layer_0_marks[\s\S]*?<\/g>/)![0]).toMatch(/stroke-dasharray="6,4"/);
      const legend = legendEntries(svg);
      expect(svg.match(/class="mark-group role-legend"/g)).toHaveLength(1);
      expect(legend.map((e) => e.label)).toEqual(["fixed point", "dynamic fixed point"]);
      expect(new Set(legend.map((e) => e.fill)).size).toBe(2);
      expect(new Set(legend.map((e) => e.d)).size).toBe(2);
      // The points take their format's legend colour.
      const fixedFill = legend[0]!.fill;
      const fixedPoints = svg.match(/<path aria-label="[^"]*format: fixed point;[^>]*>/g)!;
      expect(fixedPoints).toHaveLength(4);
      for (const p of fixedPoints) expect(p).toContain(`fill="${fixedFill}"`);
    });
  }

  it("prop-bits and update-bits mark the paper's knees in their series' colours", async () => {
    for (const [kind, field, dynamic] of [
      ["prop-bits", "propagationBits", 10],
      ["update-bits", "updateBits", 12],
    ] as const) {
      const rows = [
        ...[12, 16, 20, 24].flatMap((x) => point(kind, field, x, [1.3, 1.2], { format: "fixed" })),
        ...[8, 10, 12].flatMap((x) => point(kind, field, x, [1.1, 1.0], { format: "dynamic-fixed" })),
      ];
      const spec = figureSpec(kind, rows);
      const knees = [...part(spec, "knee"), ...part(spec, "knee-left")];
      expect(knees.map((k) => [k.x, k.label]).sort()).toEqual(
        [
          [20, "paper: fixed ≈ 20"],
          [dynamic, `paper: dynamic ≈ ${dynamic}`],
        ].sort(),
      );
      const svg = await toSvg(spec);
      const legend = legendEntries(svg);
      const colorOf = (label: string) => legend.find((e) => e.label === label)!.fill;
      expect(svg).toMatch(new RegExp(`fill="${colorOf("fixed point")}"[^>]*>paper: fixed ≈ 20</text>`));
      expect(svg).toMatch(
        new RegExp(`fill="${colorOf("dynamic fixed point")}"[^>]*>paper: dynamic ≈ ${dynamic}</text>`),
      );
      // The labels sit above every point: their y (pixels from the top) is less than every point's.
      const tops = knees.map((k) => Number(k.top));
      const pointYs = [...svg.matchAll(/aria-roledescription="point" transform="translate\([\d.]+,([\d.]+)\)/g)].map(
        (m) => Number(m[1]),
      );
      expect(Math.max(...tops) + 12).toBeLessThan(Math.min(...pointYs));
    }
  });

  it("overflow-rate: log x ticked at the swept rates, a colour and a marker per width, the paper's 1e-4", async () => {
    const spec = figureSpec("overflow-rate", figureRows["overflow-rate"]);
    expect(JSON.stringify(spec)).toContain('"type":"log"');
    const svg = await toSvg(spec);
    for (const t of ["1e-6", "1e-4", "1e-2", "paper: 1e-4"]) expect(svg).toContain(`>${t}</text>`);
    expect(svg).not.toContain(">1e-5</text>");
    const legend = legendEntries(svg);
    expect(legend.map((e) => e.label)).toEqual(["8 bits", "10 bits", "12 bits"]);
    expect(new Set(legend.map((e) => e.fill)).size).toBe(3);
    expect(new Set(legend.map((e) => e.d)).size).toBe(3);
  });

  it("draws an empty figure when nothing is done", async () => {
    const spec = figureSpec("radix-point", [makeRow({ experiment: "radix-point", status: "running" })]);
    expectValid(spec);
    const svg = await toSvg(spec);
    expect(countRole(svg, "point")).toBe(0);
    expect(subtitle(spec)[0]).toBe("no finished run with a float32 baseline yet");
  });

  it("rejects an unknown kind, two runs of one seed in a point, and a point mixing lengths", () => {
    expect(() => figureSpec("nope" as "radix-point", [])).toThrow(/unknown figure "nope"/);
    const twice = [
      ...point("prop-bits", "propagationBits", 12, [1.1]),
      ...point("prop-bits", "propagationBits", 12, [1.2]),
    ];
    twice[1]!.runId = "other";
    expect(() => figureSpec("prop-bits", twice)).toThrow(
      "prop-bits figure: runs prop-bits-pi-mnist-fixed-12-1 and other are both seed 1 of pi-mnist fixed point " +
        "at x = 12",
    );
    const mixed = point("prop-bits", "propagationBits", 12, [1.1, 1.2]);
    mixed[1]!.epochs = 20;
    expect(() => figureSpec("prop-bits", mixed)).toThrow(/differ in epochs \(50 vs 20\)/);
  });
});

describe("figureFacts", () => {
  // Hand computations: t(0.975, 2) = 4.302653; sd of (a − d, a, a + d) is d; half width = 4.302653 · d / √3.
  //   fixed 12: 1.5, 1.6, 1.7 → 1.60 ± 0.248 = [1.35, 1.85], above 1
  //   fixed 16: 0.9, 1.0, 1.1 → 1.00 [0.75, 1.25], contains 1
  //   fixed 20: 0.95, 0.96, 0.97 → 0.96 ± 0.0248 = [0.94, 0.98], below 1, the lowest mean
  //   fixed 24: 1.02 alone, n = 1
  //   dynamic 8: 1.2, 1.3, 1.4 → 1.30 [1.05, 1.55]; 10: [0.75, 1.25]; 12: [0.94, 0.98]
  const rows = [
    ...point("prop-bits", "propagationBits", 12, [1.5, 1.6, 1.7]),
    ...point("prop-bits", "propagationBits", 16, [0.9, 1.0, 1.1]),
    ...point("prop-bits", "propagationBits", 20, [0.95, 0.96, 0.97]),
    ...point("prop-bits", "propagationBits", 24, [1.02]),
    ...point("prop-bits", "propagationBits", 8, [1.2, 1.3, 1.4], { format: "dynamic-fixed" }),
    ...point("prop-bits", "propagationBits", 10, [0.9, 1.0, 1.1], { format: "dynamic-fixed" }),
    ...point("prop-bits", "propagationBits", 12, [0.95, 0.96, 0.97], { format: "dynamic-fixed" }),
  ];

  it("states, per series, the lowest mean, where the interval contains, exceeds or undercuts 1, and n = 1", () => {
    expect(figureFacts("prop-bits", rows)).toEqual([
      "PI MNIST, fixed point: the mean ratio to float32 is lowest at 20 bits (0.96 [0.94, 0.98], n = 3).",
      "PI MNIST, fixed point: the 95 % interval contains 1 (float32) at 16 bits.",
      "PI MNIST, fixed point: the 95 % interval lies above 1 at 12 bits.",
      "PI MNIST, fixed point: the 95 % interval lies below 1 at 20 bits.",
      "PI MNIST, fixed point: 24 bits: single runs (n = 1), no interval.",
      "PI MNIST, dynamic fixed point: the mean ratio to float32 is lowest at 12 bits (0.96 [0.94, 0.98], n = 3).",
      "PI MNIST, dynamic fixed point: the 95 % interval contains 1 (float32) at 10 bits.",
      "PI MNIST, dynamic fixed point: the 95 % interval lies above 1 at 8 bits.",
      "PI MNIST, dynamic fixed point: the 95 % interval lies below 1 at 12 bits.",
      "PI MNIST, dynamic fixed point: from 10 bits up (the widest swept: 12), no 95 % interval lies wholly " +
        "above 1; the paper's knee: about 10 bits.",
    ]);
  });

  it("figureKnees: our knee beside the paper's, by the facts' rule", () => {
    expect(figureKnees("prop-bits", rows)).toEqual([
      // fixed: 24 bits is a single run (no interval), so no knee; dynamic: 10 and 12 reach 1, 8 does not
      {
        dataset: "pi-mnist",
        series: "fixed point",
        knee: undefined,
        narrowest: 12,
        widest: 24,
        paper: 20,
        epochs: 50,
        trainLimit: 0,
      },
      {
        dataset: "pi-mnist",
        series: "dynamic fixed point",
        knee: 10,
        narrowest: 8,
        widest: 12,
        paper: 10,
        epochs: 50,
        trainLimit: 0,
      },
    ]);
    const flat = [
      ...point("update-bits", "updateBits", 8, [0.9, 1.0, 1.1], { format: "dynamic-fixed" }),
      ...point("update-bits", "updateBits", 12, [0.95, 0.96, 0.97], { format: "dynamic-fixed" }),
    ];
    expect(figureKnees("update-bits", flat).map((k) => [k.knee, k.narrowest, k.paper])).toEqual([[8, 8, 12]]);
    expect(figureKnees("update-bits", [])).toEqual([]);
    expect(() => figureKnees("radix-point", rows)).toThrow('"radix-point" is not a width figure');
  });

  it("says so when every point is a single run, and names ties", () => {
    const single = [
      ...point("radix-point", "integerBits", 4, [1.1]),
      ...point("radix-point", "integerBits", 5, [0.91]),
      ...point("radix-point", "integerBits", 6, [0.91]),
    ];
    expect(figureFacts("radix-point", single)).toEqual([
      "PI MNIST, fixed point: the mean ratio to float32 is lowest at 5 and 6 integer bits (each 0.91, n = 1).",
      "PI MNIST, fixed point: every point is a single run (n = 1), so no point has an interval to compare with 1.",
    ]);
  });
});

describe("Table 2 as ratios", () => {
  const paper: PaperTable2 = {
    title: "Table 2",
    provenance: "test",
    rows: [
      { ...PAPER.rows[0]!, reference: true },
      PAPER.rows[1]!,
      PAPER.rows[2]!,
      {
        setting: "dfxp",
        label: "Dynamic fixed point",
        propagationBits: 10,
        updateBits: 12,
        values: { "pi-mnist": 1.28, "mnist-conv": 0.59, cifar10: 14.82, svhn: 4.95 },
      },
    ],
  };
  const t2 = (dataset: string, setting: string, format: string, ratios: number[]) =>
    ratios.map((r, i) =>
      makeRow({
        dataset,
        setting,
        format,
        seed: i + 1,
        runId: `${dataset}-${setting}-${i + 1}`,
        propagationBits: setting === "dfxp" ? 10 : 20,
        updateBits: setting === "dfxp" ? 12 : 20,
        testError: r,
        baselineTestError: 1,
        normalizedError: r,
      }),
    );
  const rows = [
    ...t2("pi-mnist", "fp32", "float32", [1, 1, 1]),
    ...t2("pi-mnist", "dfxp", "dynamic-fixed", [1.1, 1.2, 1.3]),
    ...t2("pi-mnist", "fixed", "fixed", [1.15]),
    ...t2("mnist-conv", "fp32", "float32", [1, 1, 1]),
    ...t2("mnist-conv", "dfxp", "dynamic-fixed", [1.0, 1.05, 1.1]),
    makeRow({ dataset: "cifar10", setting: "dfxp", status: "not run: data missing (x)" }),
  ];

  it("puts the paper's ratio (its Table 2 ÷ its float32) beside ours with its interval", async () => {
    const spec = table2RatioSpec(rows, paper);
    expectValid(spec);
    // PI MNIST: dfxp 1.28 / 1.05 = 1.219048, fixed 1.39 / 1.05 = 1.323810; MNIST: dfxp 0.59 / 0.51 = 1.156863.
    expect(part(spec, "paper").map((p) => [p.dataset, p.setting, p.ratio])).toEqual([
      ["PI MNIST", "fixed point 20/20", 1.32381],
      ["PI MNIST", "dynamic fixed point 10/12", 1.21905],
      ["MNIST (conv)", "dynamic fixed point 10/12", 1.15686],
    ]);
    const ours = part(spec, "ours").find((p) => p.dataset === "PI MNIST" && p.setting === "dynamic fixed point 10/12")!;
    expect(ours).toMatchObject({ ratio: 1.2, n: 3 });
    expect(ours.lo).toBeCloseTo(1.2 - 0.248414, 5);
    const svg = await toSvg(spec);
    // the tooltip reads the interval from the data (a field the data lack would read NaN)
    expect(svg).toContain("95 % interval, low: 0.951586");
    // Axis 0 to max(1.5, 1.448) · 1.08 = 1.62 over 300 px: the paper's PI MNIST dfxp diamond at 1.219048 / 1.62
    // · 300 = 225.7 px.
    const diamond = svg.match(
      new RegExp(
        'aria-label="[^"]*setting: dynamic fixed point 10/12; source: paper[^"]*" role="graphics-symbol" ' +
          'aria-roledescription="point" transform="translate\\(([\\d.]+),',
        "g",
      ),
    );
    expect(diamond).toHaveLength(2);
    const xs = diamond!.map((m) => Number(m.match(/translate\(([\d.]+),/)![1]));
    expect(xs[0]).toBeCloseTo(225.75, 0);
    expect(xs[1]).toBeCloseTo((1.156863 / 1.62) * 300, 0);
    expect(countErrorBars(svg)).toBe(2); // PI MNIST dfxp and MNIST dfxp; PI MNIST fixed is n = 1
    const legend = legendEntries(svg);
    expect(legend.map((e) => e.label)).toEqual(["ours: mean, 95 % interval", "paper: Table 2 ÷ float32"]);
    expect(legend[1]!.fill).toBe("#ffffff"); // hollow
    expect(legend[0]!.d).not.toBe(legend[1]!.d);
    const lines = subtitle(spec);
    expect(lines).toContain("n = 1–3 seeds per circle; no bar (n = 1): PI MNIST fixed");
    expect(lines).toContain("CIFAR-10 not run: its data files are absent");
  });

  it("names a paper table without the float32 row", () => {
    expect(() => table2RatioSpec(rows, { ...paper, rows: paper.rows.filter((r) => r.setting !== "fp32") })).toThrow(
      'table2RatioSpec: the paper\'s table (test) has no "fp32" row',
    );
  });
});

/** Telemetry rows with the ten groups of a layer: 2 layers, 2 calibration windows then 4 training windows. */
function scaleRows(): ScaleRow[] {
  const groups = ["w", "b", "z", "y", "dEdy", "dEdz", "dEdw", "dEdb", "update_w", "update_b"];
  const rows: ScaleRow[] = [];
  for (let layer = 0; layer < 2; layer++)
    for (const group of groups)
      for (let step = 0; step < 6; step++)
        rows.push({
          phase: step < 2 ? "calibration" : "training",
          epoch: step < 2 ? step + 1 : step - 1,
          batch: 100,
          examples: (step + 1) * 1000,
          layer,
          group,
          integerBits: 4 - Math.min(step, 3),
          overflowRate: step % 2 === 0 ? 0 : 1e-4,
          overflowRateHalfRange: 0,
          amax: 1,
        });
  return rows;
}

describe("telemetry and cost figures", () => {
  it("telemetry: a column per group family, a row per layer, calibration shaded and labelled", async () => {
    const spec = telemetrySpec(scaleRows());
    expectValid(spec);
    const svg = await toSvg(spec);
    expectWellFormedXml(svg);
    for (const family of ["weights and biases", "weighted sums and outputs", "gradients", "momentum velocities"])
      expect(svg.match(new RegExp(`>${family}</text>`, "g"))).toHaveLength(2); // integer bits and overflow rate
    // One line per (layer, group); one band per panel: 4 families × 2 layers × 2 grids.
    expect(countRole(svg, "line mark")).toBe(20);
    expect(svg.match(/aria-roledescription="rect mark"/g)).toHaveLength(16);
    // The band spans 0 to the last calibration window (2000 examples) of a 0–6000 axis.
    const band = (spec as { vconcat: { data: { values: Datum[] } }[] }).vconcat[0]!.data.values.find(
      (v) => v.part === "bits-band",
    );
    expect(band).toMatchObject({ x0: 0, x1: 2000 });
    expect(svg.match(/>← calibration<\/text>/g)).toHaveLength(2);
    expect(subtitle(spec).join("\n")).toContain("shaded band: calibration (epochs 1, 2");
    expect(subtitle(spec)).toContain("x: training examples seen, calibration included");
    expect(svg).toContain(">examples seen</text>");
    // Within a panel, the groups of the family have distinct colours; across the figure, ten colours.
    const legend = legendEntries(svg);
    expect(legend.map((e) => e.label)).toEqual([
      "w",
      "b",
      "z",
      "y",
      "dEdy",
      "dEdz",
      "dEdw",
      "dEdb",
      "update_w",
      "update_b",
    ]);
    expect(new Set(legend.map((e) => e.fill)).size).toBe(10);
  });

  it("scaling policies: a line per policy in the policies' order, the float32 line, the facts per policy", async () => {
    const policies = ["block-scaled", "overflow-rate", "predictive"];
    const rows = policies.flatMap((p) =>
      sweep("scaling", "propagationBits", [6, 8], ["pi-mnist"], [1, 2, 3], {
        setting: p,
        format: p === "block-scaled" ? "mxint" : "dynamic-fixed",
      }).map((r) => ({ ...r, runId: `${p}-${r.runId}` })),
    );
    const spec = policiesSpec(rows);
    expectValid(spec);
    const svg = await toSvg(spec);
    expectWellFormedXml(svg);
    // the legend in SCALING_POLICIES' order, whatever the rows' order
    expect(legendEntries(svg).map((e) => e.label)).toEqual(["overflow-rate", "predictive", "block-scaled"]);
    expect(svg).toContain(">propagation width (bits, with sign)</text>");
    const facts = figureFacts("scaling", rows);
    for (const p of policies) expect(facts.some((f) => f.startsWith(`PI MNIST, ${p}:`))).toBe(true);
  });

  it("a log axis cuts an interval that reaches below 0 at its bottom, and the subtitle names it", async () => {
    // predictive at 8 bits: ratios 1, 1, 25 (a seed that did not train): mean 9, sd 13.856, half-width
    // t(2) · sd / √3 = 4.3027 · 8 = 34.42: the interval [-25.42, 43.42]; the mean above 3 puts the axis on a log scale
    const rows = [
      ...point("scaling", "propagationBits", 8, [1, 1.02, 1.04], { setting: "overflow-rate", format: "dynamic-fixed" }),
      ...point("scaling", "propagationBits", 8, [1, 1, 25], { setting: "predictive", format: "dynamic-fixed" }),
    ].map((r) => ({ ...r, runId: `${r.setting}-${r.seed}` }));
    const spec = policiesSpec(rows);
    expectValid(spec);
    const scale = JSON.stringify(spec).match(/"type":"log","domain":\[([^\]]+)\]/);
    const [bottom, top] = scale![1]!.split(",").map(Number);
    // the domain from the smallest positive value (the rule's low, 0.970) ÷ 1.15, never a negative number
    expect(bottom).toBeCloseTo((1.02 - (4.302652729749462 * 0.02) / Math.sqrt(3)) / 1.15, 5);
    expect(top).toBeGreaterThan(43.42);
    const predictive = part(spec, "point").find((d) => d.series === "predictive")!;
    expect(predictive.lo).toBeCloseTo(bottom!, 5);
    expect(predictive.intervalLo).toBeCloseTo(9 - (4.302652729749462 * Math.sqrt(192)) / Math.sqrt(3), 4);
    expect(subtitle(spec)).toContain(
      "interval reaching below the axis (its bar cut at the bottom): predictive at 8 bits (low -25.42)",
    );
    expectWellFormedXml(await toSvg(spec));
    // no cut, no line
    expect(subtitle(policiesSpec(rows.filter((r) => r.setting === "overflow-rate"))).join("\n")).not.toContain(
      "below the axis",
    );
  });

  it("scale rates: training windows only, the groups asked for, a zero at the floor below the least rate", async () => {
    const rows = scaleRows().map((r, i) => ({ ...r, flushRate: i % 3 === 0 ? 0 : 0.25 }));
    const spec = scaleRatesSpec(rows, "overflow-rate at 6 bits", ["y", "dEdy"]);
    expectValid(spec);
    const svg = await toSvg(spec);
    expectWellFormedXml(svg);
    expect(legendEntries(svg).map((e) => e.label)).toEqual(["y", "dEdy"]);
    const values = (spec as unknown as { data: { values: Datum[] } }).data.values;
    // 2 layers × 2 groups × 2 rates × 4 training windows (the 2 calibration windows are not drawn)
    expect(values).toHaveLength(32);
    expect(Math.min(...values.map((v) => v.examples as number))).toBe(3000);
    // overflow rates 0 and 1e-4: the floor is a decade below the smallest positive rate, 1e-5
    expect(new Set(values.filter((v) => v.rate === "overflow rate (saturated)").map((v) => v.value))).toEqual(
      new Set([1e-5, 1e-4]),
    );
    expect(subtitle(spec)).toContain("rates: mean over bins of telemetry windows; 0 drawn at 1e-5");
    for (const label of ["overflow rate (saturated)", "flush rate (nonzero → 0)", "layer 0", "layer 1"])
      expect(svg).toContain(`>${label}</text>`);
  });

  const cost = (dataset: string, setting: string, pj: number, errors: number[], pareto: boolean): CostErrorPoint => ({
    dataset,
    setting,
    picojoulesPerMac: pj,
    testError: summarize(errors),
    pareto,
  });
  const points = [
    cost("pi-mnist", "fp32", 4.6, [1.0, 1.05, 1.1], true),
    cost("pi-mnist", "fixed", 0.9, [1.35, 1.39, 1.43], false),
    cost("pi-mnist", "dfxp", 0.35, [1.2, 1.28, 1.36], true),
    cost("mnist-conv", "fp32", 4.6, [0.51], true),
    cost("mnist-conv", "dfxp", 0.35, [0.59], true),
  ];

  it("cost/error: error bars over seeds, an error axis from 0, labels inside the frame, beyond the paper", async () => {
    const spec = costErrorSpec(points);
    expectValid(spec);
    const svg = await toSvg(spec);
    expectWellFormedXml(svg);
    // the tooltip reads the interval from the data (a field the data lack would read NaN)
    expect(svg).not.toContain("interval, low: NaN");
    expect(svg).toContain("interval, low: 0.925793");
    expect(countRole(svg, "point")).toBe(points.length);
    expect(countRole(svg, "line mark")).toBe(2);
    expect(countErrorBars(svg)).toBe(3); // the PI MNIST points; MNIST's are single runs
    expect(subtitle(spec)[0]).toBe("n = 1–3 seeds per point; no bar (n = 1): MNIST (conv) fp32, MNIST (conv) dfxp");
    expect((spec as { title: { text: string } }).title.text).toContain("beyond the paper");
    expect(svg).toContain(">PI MNIST</text>");
    // Each panel's error axis starts at 0.
    expect(svg.match(/>0\.0<\/text>|>0<\/text>/g)!.length).toBeGreaterThanOrEqual(2);
    // The labels, at ~7 px a character of 11 px text, stay inside the 320 × 220 panels.
    const labels = [
      ...svg.matchAll(
        new RegExp(
          '<text aria-label="[^"]*" role="graphics-symbol" aria-roledescription="text mark" ' +
            'text-anchor="(\\w+)" transform="translate\\((-?[\\d.]+),(-?[\\d.]+)\\)"[^>]*>([^<]+)<',
          "g",
        ),
      ),
    ];
    expect(labels.map((m) => m[4]).sort()).toEqual(["dfxp", "dfxp", "fixed", "fp32", "fp32"]);
    for (const [, anchor, xs, ys, text] of labels) {
      const [x, y, w] = [Number(xs), Number(ys), text!.length * 7];
      const [left, right] = anchor === "start" ? [x, x + w] : anchor === "end" ? [x - w, x] : [x - w / 2, x + w / 2];
      expect(left, text).toBeGreaterThanOrEqual(0);
      expect(right, text).toBeLessThanOrEqual(320);
      expect(y, text).toBeGreaterThanOrEqual(0);
      expect(y, text).toBeLessThanOrEqual(220);
    }
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

describe("figures for notebooks", () => {
  it("figureBundle: SVG and its PNG in one output; a large SVG as PNG alone", async () => {
    const svg = await toSvg(figureSpec("radix-point", figureRows["radix-point"]));
    const [, w, h] = svg.match(/^<svg [^>]*width="(\d+)" height="(\d+)"/)!.map(Number);
    const both = figureBundle(svg);
    expect(Object.keys(both).sort()).toEqual(["image/png", "image/svg+xml"]);
    expect(both["image/svg+xml"]).toBe(svg);
    const png = readPng(Buffer.from(both["image/png"]!, "base64"));
    expect([png.width, png.height]).toEqual([w, h]);
    const sharp = readPng(Buffer.from(figureBundle(svg, { pngScale: 2 })["image/png"]!, "base64"));
    expect([sharp.width, sharp.height]).toEqual([2 * w!, 2 * h!]);
    expect(Object.keys(figureBundle(svg, { maxSvgChars: svg.length - 1 }))).toEqual(["image/png"]);
    expect(() => figureBundle("not an svg")).toThrow('figureBundle: not an SVG (starts "not an svg")');
  });

  it("imageColours: each image stretched to its own range, channels together; a flat image mid-grey", () => {
    // 3 channels of 1×2: red 0, 4; green 2, 2; blue 4, 0 → range [0, 4]
    expect(imageColours(Float32Array.from([0, 4, 2, 2, 4, 0]), [3, 1, 2])).toEqual(["#0080ff", "#ff8000"]);
    expect(imageColours(Float32Array.from([-1, 1]), [1, 1, 2])).toEqual(["#000000", "#ffffff"]);
    expect(imageColours(Float32Array.from([7, 7]), [1, 2, 1])).toEqual(["#808080", "#808080"]);
    expect(() => imageColours(new Float32Array(5), [3, 1, 2])).toThrow("has 6 values, got 5");
    expect(() => imageColours(new Float32Array(4), [2, 1, 2])).toThrow("1 or 3 channels, got 2");
    expect(() => imageColours(Float32Array.from([0, Number.NaN]), [1, 1, 2])).toThrow("a value is NaN");
  });

  it("imageGridSpec: a rectangle per pixel, rows in order with their labels, valid Vega-Lite", async () => {
    const image = (k: number) => Float32Array.from({ length: 3 * 4 * 4 }, (_, i) => Math.sin(i + k));
    const rows = [
      { label: "raw", images: [image(0), image(1)] },
      { label: "after", images: [image(2), image(3)] },
    ];
    const spec = imageGridSpec(rows, { shape: [3, 4, 4], title: "t", columnLabels: ["a", "b"] });
    expectValid(spec);
    const values = (spec as { data: { values: { row: string; column: string; colour: string }[] } }).data.values;
    expect(values).toHaveLength(2 * 2 * 16);
    expect(values[0]).toEqual({ row: "raw", column: "a", x: 0, y: 0, colour: imageColours(image(0), [3, 4, 4])[0] });
    expect(values.at(-1)).toMatchObject({ row: "after", column: "b", x: 3, y: 3 });
    const svg = await toSvg(spec);
    // one 2×2 square per pixel (pixelSize 2), in the image's colours
    const squares = [...svg.matchAll(/<path d="M[\d.]+,[\d.]+h2v2h-2Z" fill="(#[0-9a-f]{6})"\/>/g)].map((m) => m[1]);
    expect(squares).toHaveLength(2 * 2 * 16);
    expect(squares.slice(0, 16)).toEqual(imageColours(image(0), [3, 4, 4]));
    expect(svg).toContain(">raw</text>");
    expect(svg).toContain(">after</text>");
    const png = readPng(toPng(svg, 1));
    expect(png.width).toBeGreaterThan(2 * 8);
    expect(() => imageGridSpec([], { shape: [3, 4, 4], title: "t" })).toThrow("no images");
    expect(() =>
      imageGridSpec([rows[0]!, { label: "x", images: [image(0)] }], { shape: [3, 4, 4], title: "t" }),
    ).toThrow('row "x" has 1 images, not 2');
    expect(() => imageGridSpec(rows, { shape: [3, 4, 4], title: "t", columnLabels: ["a"] })).toThrow(
      "2 distinct column labels needed, got 1",
    );
    expect(() => imageGridSpec([rows[0]!, rows[0]!], { shape: [3, 4, 4], title: "t" })).toThrow(
      "two rows share a label",
    );
    expect(() => imageGridSpec([rows[0]!], { shape: [3, 4, 4], title: "t", pixelSize: 1 })).not.toThrow();
  });
});
