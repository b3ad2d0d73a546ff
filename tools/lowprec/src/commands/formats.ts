/** `lowprec formats`: describe formats and show how values round in them. */
import {
  PRESETS,
  describe,
  dynamicFixed,
  encode,
  fixed,
  randomBits,
  float,
  roundScalar,
  ROUNDING_MODES,
  type Format,
} from "@lowprec/formats";
import { closest, isDecimal, UsageError, type Command } from "../command.js";

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

/** Every spelling --format accepts, in words: "a preset (float32, ...), eEmM (e.g. e5m10), ...". */
export function acceptedFormats(): string {
  const forms = FORMAT_SPELLINGS.map((f) => `${f.form} (e.g. ${f.example})`);
  return `a preset (${Object.keys(PRESETS).join(", ")}), ${forms.join(", ")}`;
}

/** Parses a format spec as accepted on the command line; an unknown one lists every accepted spelling. */
export function parseFormat(spec: string): Format {
  const preset = PRESETS[spec];
  if (preset) return preset;
  for (const f of FORMAT_SPELLINGS) {
    const m = f.pattern.exec(spec);
    if (m) return f.make(m);
  }
  const near = closest(spec, [...Object.keys(PRESETS), ...FORMAT_SPELLINGS.map((f) => f.example)]);
  throw new UsageError(
    `unknown format "${spec}"${near ? ` (did you mean "${near}"?)` : ""}; accepted: ${acceptedFormats()}`,
  );
}

/** The items of --value, all checked before anything is printed: an empty item is named by its position (from 1). */
function parseValues(list: string | undefined): { text: string; x: number }[] | undefined {
  if (list === undefined) return undefined;
  return list.split(",").map((item, i) => {
    const text = item.trim();
    if (text === "") throw new UsageError(`option --value: item ${i + 1} is empty`);
    // NOTE: plain decimal as every number of the command line (not "0x10", "+1"), and the specials a float holds
    if (!(isDecimal(text) || /^(NaN|-?Infinity)$/.test(text)))
      throw new UsageError(`option --value: "${text}" is not a number`);
    const x = Number(text);
    return { text, x };
  });
}

export const command: Command = {
  name: "formats",
  summary: "describe number formats and round values to them",
  synopsis: "[--format SPEC] [--value X[,X...]] [--rounding MODE] [--integer-bits N] [--seed N]",
  description:
    "Describes number formats and rounds values to them. Without --format, lists the presets and the\n" +
    "paper's formats. SPEC (B: bits, sign included; I: integer bits; E, M: exponent and mantissa bits):\n" +
    `${acceptedFormats()}.`,
  options: {
    format: { type: "string", value: "SPEC", description: "the format to describe and round to" },
    value: { type: "string", value: "X[,X...]", description: "values to round (NaN, Infinity allowed)" },
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
  },
  async run(args) {
    const spec = args.string("format");
    if (spec === undefined) {
      args.refuse(["value", "rounding", "integer-bits", "seed"], "they need --format");
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
      return 0;
    }
    const format = parseFormat(spec);
    if (format.kind !== "dynamic-fixed")
      args.refuse(["integer-bits"], `${format.name} fixes its own radix point; only dynamic fixed point takes it`);
    // NOTE: dynamic fixed point needs a radix point to round at all: 5 integer bits unless given (as the help says).
    const integerBits =
      format.kind === "dynamic-fixed"
        ? args.number("integer-bits", { integer: true, min: -64, max: 64 }, 5)
        : undefined;
    const rounding = args.choice("rounding", ROUNDING_MODES, "nearest-even");
    if (rounding !== "stochastic") args.refuse(["seed"], "only stochastic rounding draws random numbers");
    const seed = args.number("seed", { integer: true, min: 0, max: 2 ** 32 - 1 }, 1);
    const values = parseValues(args.string("value"));
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
