import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { type NumberLine, numberLineSpec, rowNote, stepText, toSvg } from "../src/index.ts";

const require = createRequire(import.meta.url);

/** The paths (one per mark) inside the `<g>` whose class names `marks`, up to its closing tag (0: `<g …/>`). */
function marksIn(svg: string, marks: string): number {
  const at = svg.indexOf(`${marks}"`);
  expect(at, `no mark group ${marks}`).toBeGreaterThan(0);
  const open = svg.slice(at, svg.indexOf(">", at) + 1);
  if (open.endsWith("/>")) return 0;
  const body = svg.slice(at, svg.indexOf("</g>", at));
  return body.match(/<path /g)?.length ?? 0;
}

const LINES: NumberLine[] = [
  { label: "quarters", family: "fixed", values: [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75], max: 1.75 },
  { label: "powers", family: "float", values: [0, 0.125, 0.25, 0.5, 1, 2, 4], max: 4 },
  { label: "eighths", family: "dynamic-fixed", values: [0, 0.125, 0.25, 0.375, 0.5], max: 0.875 },
];

describe("numberLineSpec", () => {
  it("writes steps as fractions of powers of two and notes a row's count, steps and largest value", () => {
    expect([1 / 16, 1 / 512, 0.5, 1, 2, 0.3].map(stepText)).toEqual(["1/16", "1/512", "1/2", "1", "2", "0.3"]);
    expect(rowNote([0, 0.0625, 0.125], 7.9375)).toEqual(["3 values, step 1/16", "largest 7.9375"]);
    expect(rowNote([0, 0.125, 0.25, 0.5, 1], 448)).toEqual(["5 values, step 1/8 to 1/2", "largest 448"]);
    expect(rowNote([0], 1)).toEqual(["1 value", "largest 1"]);
    expect(rowNote([], 1)).toEqual(["0 values", "largest 1"]);
  });

  it("is a valid Vega-Lite spec", () => {
    const schema: object = JSON.parse(readFileSync(require.resolve("vega-lite/build/vega-lite-schema.json"), "utf8"));
    const ajv = new Ajv({
      allErrors: true,
      strictTypes: false,
      allowUnionTypes: true,
      formats: { "color-hex": true, uri: true, "uri-reference": true },
    });
    const validate = ajv.compile(schema);
    const spec = numberLineSpec(LINES, [{ domain: [0, 2], title: "x" }], { text: "t", subtitle: "s" });
    expect(validate(spec) ? [] : validate.errors?.slice(0, 5)).toEqual([]);
  });

  it("draws a tick per value inside each panel's domain and a ▼ at each largest value inside it", async () => {
    const svg = await toSvg(
      numberLineSpec(
        LINES,
        [
          { domain: [0, 2], title: "whole" },
          { domain: [0, 0.5], title: "zoom" },
        ],
        { text: "Values" },
      ),
    );
    // whole: 8 + 6 + 5 ticks (4 lies beyond 2); the maxima 1.75 and 0.875 are inside, 4 is not
    expect(marksIn(svg, "concat_0_layer_0_marks")).toBe(8 + 6 + 5);
    expect(marksIn(svg, "concat_0_layer_1_marks")).toBe(2);
    // zoom: 3 + 4 + 5 ticks, no maximum
    expect(marksIn(svg, "concat_1_layer_0_marks")).toBe(3 + 4 + 5);
    expect(marksIn(svg, "concat_1_layer_1_marks")).toBe(0);
    // the notes count what each panel shows
    expect(svg).toContain(">6 values, step 1/8 to 1<");
    expect(svg).toContain(">4 values, step 1/8 to 1/4<");
    expect(svg).toContain(">3 values, step 1/4<");
    expect(svg).toContain(">largest 0.875<");
  });

  it("refuses what it cannot draw, naming it", () => {
    const panel = [{ domain: [0, 1] as const, title: "p" }];
    expect(() => numberLineSpec([], panel, { text: "t" })).toThrow("numberLineSpec: no rows");
    expect(() => numberLineSpec(LINES, [], { text: "t" })).toThrow("numberLineSpec: no panels");
    expect(() => numberLineSpec([LINES[0]!, LINES[0]!], panel, { text: "t" })).toThrow(
      'numberLineSpec: the label "quarters" names two rows',
    );
    expect(() => numberLineSpec(LINES, [{ domain: [1, 1], title: "flat" }], { text: "t" })).toThrow(
      'numberLineSpec: panel "flat" has the domain [1, 1]',
    );
    expect(() =>
      numberLineSpec([{ label: "inf", family: "float", values: [0, Infinity], max: 1 }], panel, { text: "t" }),
    ).toThrow('numberLineSpec: row "inf" holds the value Infinity');
  });
});
