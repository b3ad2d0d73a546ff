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
import { isDecimal, UsageError, type Command } from "../command.js";

/** Parses a format spec as accepted on the command line. */
export function parseFormat(spec: string): Format {
  const preset = PRESETS[spec];
  if (preset) return preset;
  let m = /^e(\d+)m(\d+)$/.exec(spec);
  if (m) return float({ exponent: Number(m[1]), mantissa: Number(m[2]) });
  m = /^fixed(\d+)\.(-?\d+)$/.exec(spec);
  if (m) return fixed({ bits: Number(m[1]), integerBits: Number(m[2]) });
  m = /^dfxp(\d+)$/.exec(spec);
  if (m) return dynamicFixed({ bits: Number(m[1]) });
  throw new UsageError(`unknown format "${spec}"`);
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
    "paper's formats. SPEC: a preset (" +
    Object.keys(PRESETS).join(", ") +
    "),\neEmM (e.g. e5m10), fixedB.I (e.g. fixed20.5) or dfxpB (e.g. dfxp10).",
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
