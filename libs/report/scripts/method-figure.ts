// The figure of METHOD.md's overview: the paper's three kinds of format on one number line, computed, not drawn.
// Every representable value comes from @lowprec/formats (`representableValues`, code by code with `decode`), the
// picture from numberLineSpec. `npm run figures` at the repository root writes figures/method-number-line.svg and
// .png; test/method-figure.test.ts checks that the committed files are exactly what this renders.
import { fileURLToPath } from "node:url";
import { describe, dynamicFixed, fixed, type Format, fp8e4m3, representableValues } from "@lowprec/formats";
import { writeFileAtomic } from "@lowprec/storage";
import {
  type NumberLine,
  type NumberLineFamily,
  numberLineSpec,
  toPng,
  toSvg,
  type VegaLiteSpec,
} from "../src/index.ts";

/** Where the figure is committed: figures/ at the repository root. */
export const FIGURE_DIR = fileURLToPath(new URL("../../../figures/", import.meta.url));
export const FIGURE_NAME = "method-number-line";

/** The rows: four 8-bit formats (sign included), so that each row has the same 255 codes to spend. */
export const NUMBER_LINE_FORMATS: readonly {
  label: string;
  family: NumberLineFamily;
  format: Format;
  integerBits?: number;
}[] = [
  { label: "float (FP8 E4M3)", family: "float", format: fp8e4m3 },
  { label: "fixed point, I = 3", family: "fixed", format: fixed({ bits: 8, integerBits: 3 }) },
  { label: "dynamic fixed point, I = 0", family: "dynamic-fixed", format: dynamicFixed({ bits: 8 }), integerBits: 0 },
  { label: "dynamic fixed point, I = 4", family: "dynamic-fixed", format: dynamicFixed({ bits: 8 }), integerBits: 4 },
];

/** The whole line, then a zoom near zero. */
export const NUMBER_LINE_DOMAINS: readonly (readonly [number, number])[] = [
  [0, 8],
  [0, 0.5],
];

/** The rows: each format's values from 0 to the widest domain's end, and its largest value. */
export function numberLines(): NumberLine[] {
  const hi = Math.max(...NUMBER_LINE_DOMAINS.map((d) => d[1]));
  return NUMBER_LINE_FORMATS.map(({ label, family, format, integerBits }) => {
    const range = integerBits === undefined ? { min: 0, max: hi } : { integerBits, min: 0, max: hi };
    return { label, family, values: representableValues(format, range), max: describe(format, integerBits).max };
  });
}

export function methodNumberLineSpec(): VegaLiteSpec {
  const lines = numberLines();
  const [whole, zoom] = NUMBER_LINE_DOMAINS;
  return numberLineSpec(
    lines,
    [
      { domain: whole!, title: `value, from ${whole![0]} to ${whole![1]}` },
      { domain: zoom!, title: `the same rows near zero: from ${zoom![0]} to ${zoom![1]}` },
    ],
    {
      text: "Three kinds of format on one number line",
      subtitle: [
        "Four 8-bit formats (sign included): a tick per representable value ≥ 0",
        "(each is symmetric about 0); ▼ marks the largest value, where the range ends",
      ],
    },
  );
}

/** The figure's SVG and PNG (2× the SVG's size), byte for byte the same at every call. */
export async function methodNumberLine(): Promise<{ svg: string; png: Uint8Array }> {
  const svg = await toSvg(methodNumberLineSpec());
  return { svg, png: toPng(svg) };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { svg, png } = await methodNumberLine();
  for (const [ext, data] of [
    ["svg", svg],
    ["png", png],
  ] as const) {
    const path = `${FIGURE_DIR}${FIGURE_NAME}.${ext}`;
    writeFileAtomic(path, data);
    console.log(`wrote ${path}`);
  }
}
