/** `lowprec formats`: describe formats and show how values round in them, MX block formats included. */
import { readFileSync } from "node:fs";
import {
  PRESETS,
  MX_BLOCK_LIMIT,
  MX_PRESETS,
  describe,
  describeMx,
  dynamicFixed,
  e8m0Exponent,
  encode,
  encodeMx,
  fixed,
  randomBits,
  float,
  mx,
  quantizeMx,
  roundScalar,
  ROUNDING_MODES,
  type Format,
  type MxFormat,
  type RoundingMode,
} from "@lowprec/formats";
import { closest, isDecimal, UsageError, type Args, type Command } from "../command.js";

/** One spelling of --format besides the presets: how it is written, an example, and the format it makes. */
interface FormatSpelling {
  readonly form: string;
  readonly example: string;
  readonly pattern: RegExp;
  readonly make: (m: RegExpExecArray) => Format;
}

/** The spellings --format takes besides the presets: the parser's own table, which its help and errors list. */
export const FORMAT_SPELLINGS: readonly FormatSpelling[] = [
  {
    form: "eEmM",
    example: "e5m10",
    pattern: /^e(\d+)m(\d+)$/,
    make: (m) => float({ exponent: Number(m[1]), mantissa: Number(m[2]) }),
  },
  {
    form: "fixedB.I",
    example: "fixed20.5",
    pattern: /^fixed(\d+)\.(-?\d+)$/,
    make: (m) => fixed({ bits: Number(m[1]), integerBits: Number(m[2]) }),
  },
  { form: "dfxpB", example: "dfxp10", pattern: /^dfxp(\d+)$/, make: (m) => dynamicFixed({ bits: Number(m[1]) }) },
];

/** Every spelling --format accepts, in words: "a preset (float32, ...), an MX preset (...), eEmM (e.g. e5m10), ...". */
export function acceptedFormats(): string {
  const forms = FORMAT_SPELLINGS.map((f) => `${f.form} (e.g. ${f.example})`);
  return (
    `a preset (${Object.keys(PRESETS).join(", ")}), an MX preset (${Object.keys(MX_PRESETS).join(", ")}), ` +
    forms.join(", ")
  );
}

/** Parses a format spec as accepted on the command line; an unknown one lists every accepted spelling. */
export function parseFormat(spec: string): Format | MxFormat {
  const preset = PRESETS[spec] ?? MX_PRESETS[spec];
  if (preset) return preset;
  for (const f of FORMAT_SPELLINGS) {
    const m = f.pattern.exec(spec);
    if (m) return f.make(m);
  }
  const known = [...Object.keys(PRESETS), ...Object.keys(MX_PRESETS), ...FORMAT_SPELLINGS.map((f) => f.example)];
  const near = closest(spec, known);
  throw new UsageError(
    `unknown format "${spec}"${near ? ` (did you mean "${near}"?)` : ""}; accepted: ${acceptedFormats()}`,
  );
}

/** A value to round: as written, and its number. */
interface Value {
  readonly text: string;
  readonly x: number;
}

// NOTE: plain decimal as every number of the command line (not "0x10", "+1"), and the specials a float holds.
const isValue = (text: string) => isDecimal(text) || /^(NaN|-?Infinity)$/.test(text);

/** The items of --value, all checked before anything is printed: an empty item is named by its position (from 1). */
function parseValues(list: string): Value[] {
  return list.split(",").map((item, i) => {
    const text = item.trim();
    if (text === "") throw new UsageError(`option --value: item ${i + 1} is empty`);
    if (!isValue(text)) throw new UsageError(`option --value: "${text}" is not a number`);
    return { text, x: Number(text) };
  });
}

/**
 * The lines of --values-file, one number each (spaces around it and a final newline allowed), all checked before
 * anything is printed. A bad file is one line naming it and the line (from 1), exit 1 as for a bad definition file.
 */
export function readValuesFile(file: string): Value[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new Error(
      code === "ENOENT" ? `${file}: no such values file` : `${file}: cannot read (${(e as Error).message})`,
    );
  }
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new Error(`${file}: no values (one number per line)`);
  return lines.map((line, i) => {
    const t = line.trim();
    if (t === "") throw new Error(`${file}: line ${i + 1} is empty (one number per line)`);
    if (!isValue(t)) throw new Error(`${file}: line ${i + 1}: "${t}" is not a number`);
    return { text: t, x: Number(t) };
  });
}

/** A JSON number as JavaScript prints it, −0 kept; NaN, which JSON lacks, as null. */
const jsonNumber = (v: number) => (Number.isNaN(v) ? "null" : Object.is(v, -0) ? "-0" : String(v));

/**
 * Rounds `values` to an MX format (the library's quantizeMx and encodeMx: this prints, it does not round) and
 * prints them block by block, or as one JSON object: {"format", "block", "scales" (each block's scale exponent,
 * null for a NaN scale), "decoded" (every value after quantization)}.
 */
function printMx(format: MxFormat, values: Value[], rounding: RoundingMode, seed: number, json: boolean): void {
  const xs = Float64Array.from(values, (v) => v.x);
  const q = quantizeMx(xs, format, { rounding, rng: { seed, counter: 0 }, out: new Float64Array(xs.length) });
  const scales = Array.from(q.scales, e8m0Exponent);
  if (json) {
    const list = (a: ArrayLike<number>) => `[${Array.from(a, jsonNumber).join(",")}]`;
    console.log(
      `{"format":${JSON.stringify(format.name)},"block":${format.block},"scales":${list(scales)}` +
        `,"decoded":${list(q.out)}}`,
    );
    return;
  }
  const { elements } = encodeMx(xs, format, { rounding, rng: { seed, counter: 0 } });
  const width = describe(format.element).totalBits;
  console.log(describeMx(format).summary);
  for (let b = 0; b < scales.length; b++) {
    const s = scales[b]!,
      code = q.scales[b]!.toString(2).padStart(8, "0");
    const counts = Number.isNaN(s)
      ? ": a NaN or an infinity among its values, or its maximum beyond the scale's 2^127: all NaN"
      : `, ${q.overflow[b]} saturated, ${q.flushed[b]} flushed to zero`;
    console.log(
      `block ${b + 1} of ${scales.length}: scale ${Number.isNaN(s) ? "NaN" : `2^${s}`} (E8M0 ${code})${counts}`,
    );
    for (let i = b * format.block; i < Math.min(values.length, (b + 1) * format.block); i++) {
      const r = q.out[i]!;
      const bits = Number.isNaN(s) ? "-" : elements[i]!.toString(2).padStart(width, "0");
      console.log(`${values[i]!.text.padStart(14)} → ${(Object.is(r, -0) ? "-0" : String(r)).padEnd(22)} ${bits}`);
    }
  }
}

/** The values of --value or --values-file (not both), or none. */
function valuesOf(args: Args): Value[] | undefined {
  if (args.has("value") && args.has("values-file"))
    args.refuse(["value", "values-file"], "give the values one way, not both");
  const list = args.string("value"),
    file = args.string("values-file");
  return list !== undefined ? parseValues(list) : file !== undefined ? readValuesFile(file) : undefined;
}

export const command: Command = {
  name: "formats",
  summary: "describe number formats and round values to them",
  synopsis:
    "[--format SPEC] [--value X[,X...] | --values-file FILE] [--rounding MODE] [--integer-bits N] [--seed N]" +
    " [--block K] [--json]",
  description:
    "Describes number formats and rounds values to them. Without --format, lists the presets and the\n" +
    "paper's formats. SPEC (B: bits, sign included; I: integer bits; E, M: exponent and mantissa bits):\n" +
    `${acceptedFormats()}.\n` +
    "An MX format (OCP Microscaling) rounds consecutive blocks of --block values, each block sharing one\n" +
    "power-of-two scale set by its largest magnitude; a NaN or an infinity makes its block's scale NaN.",
  options: {
    format: { type: "string", value: "SPEC", description: "the format to describe and round to" },
    value: { type: "string", value: "X[,X...]", description: "values to round (NaN, Infinity allowed)" },
    "values-file": {
      type: "string",
      value: "FILE",
      description: "values to round, one number per line (instead of --value)",
    },
    rounding: { type: "string", value: "MODE", description: `${ROUNDING_MODES.join(", ")} (default nearest-even)` },
    "integer-bits": {
      type: "string",
      value: "N",
      description: "the group's integer bits, for dynamic fixed point, -64 to 64 (default 5)",
    },
    seed: {
      type: "string",
      value: "N",
      description: "stochastic rounding: value i uses draw i of this seed's stream (default 1)",
    },
    block: {
      type: "string",
      value: "K",
      description: `MX formats: values per block, 1 to ${MX_BLOCK_LIMIT} (default 32)`,
    },
    json: {
      type: "boolean",
      description: 'MX formats: print {"format", "block", "scales", "decoded"} as JSON (a scale is its exponent)',
    },
  },
  async run(args) {
    const spec = args.string("format");
    if (spec === undefined) {
      args.refuse(["value", "values-file", "rounding", "integer-bits", "seed", "block", "json"], "they need --format");
      const formats = [
        ...Object.values(PRESETS),
        fixed({ bits: 20, integerBits: 5 }),
        dynamicFixed({ bits: 10 }),
        dynamicFixed({ bits: 12 }),
      ];
      for (const f of formats) {
        const dfxp = f.kind === "dynamic-fixed";
        console.log(
          `${f.name.padEnd(12)} ${describe(f, dfxp ? 5 : undefined).summary}${dfxp ? " (at 5 integer bits)" : ""}`,
        );
      }
      for (const f of Object.values(MX_PRESETS)) console.log(`${f.name.padEnd(12)} ${describeMx(f).summary}`);
      return 0;
    }
    const parsed = parseFormat(spec);
    if (parsed.kind === "mx") args.refuse(["integer-bits"], `${parsed.name} sets each block's scale from its values`);
    else {
      if (parsed.kind !== "dynamic-fixed")
        args.refuse(["integer-bits"], `${parsed.name} fixes its own radix point; only dynamic fixed point takes it`);
      args.refuse(["block"], `${parsed.name} is not an MX format; only MX formats share a scale per block of values`);
      args.refuse(["json"], `it prints MX blocks (their scales and values); ${parsed.name} is not an MX format`);
    }
    // NOTE: dynamic fixed point needs a radix point to round at all: 5 integer bits unless given (as the help says).
    const integerBits =
      parsed.kind === "dynamic-fixed"
        ? args.number("integer-bits", { integer: true, min: -64, max: 64 }, 5)
        : undefined;
    const rounding = args.choice("rounding", ROUNDING_MODES, "nearest-even");
    if (rounding !== "stochastic") args.refuse(["seed"], "only stochastic rounding draws random numbers");
    const seed = args.number("seed", { integer: true, min: 0, max: 2 ** 32 - 1 }, 1);
    const block = args.number("block", { integer: true, min: 1, max: MX_BLOCK_LIMIT }, 32);
    if (!args.has("value") && !args.has("values-file"))
      args.refuse(["json"], "it prints rounded values: give --value or --values-file");
    const values = valuesOf(args);
    if (parsed.kind === "mx") {
      const format = block === parsed.block ? parsed : mx(parsed.element, { block, name: parsed.name });
      if (values === undefined) console.log(describeMx(format).summary);
      else printMx(format, values, rounding, seed, args.flag("json"));
      return 0;
    }
    const format = parsed;
    console.log(describe(format, integerBits).summary);
    if (values === undefined) return 0;
    const width = describe(format, integerBits).totalBits;
    for (const [i, { text, x }] of values.entries()) {
      const draw = rounding === "stochastic" ? randomBits(seed, i) : 0;
      const r = roundScalar(x, format, { rounding, ...(integerBits !== undefined ? { integerBits } : {}), draw });
      const code =
        Number.isNaN(r) && format.kind !== "float"
          ? "-"
          : encode(r, format, integerBits !== undefined ? { integerBits } : {})
              .toString(2)
              .padStart(width, "0");
      console.log(`${text.padStart(14)} → ${(Object.is(r, -0) ? "-0" : String(r)).padEnd(22)} ${code}`);
    }
    return 0;
  },
};
