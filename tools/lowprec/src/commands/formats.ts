/** `lowprec formats`: describe formats and show how values round in them. */
import {
  PRESETS,
  describe,
  dynamicFixed,
  encode,
  fixed,
  float,
  roundScalar,
  ROUNDING_MODES,
  type Format,
  type RoundingMode,
} from "@lowprec/formats";
import { UsageError, flagString, parseArgs, type Command } from "../command.js";

const usage = `usage: lowprec formats [--format SPEC] [--value X[,X...]] [--rounding MODE] [--integer-bits N]

Describes number formats and rounds values to them.
  SPEC: a preset (${Object.keys(PRESETS).join(", ")}), eEmM (e.g. e5m10), fixedB.I (e.g. fixed20.5), dfxpB (e.g. dfxp10)
  --rounding: ${ROUNDING_MODES.join(", ")} (default nearest-even)
  --integer-bits: the group's integer bits, for dynamic fixed point
Without --format, lists the presets and the paper's formats.`;

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

export const command: Command = {
  name: "formats",
  summary: "describe number formats and round values to them",
  usage,
  async run(argv) {
    const args = parseArgs(argv, [], ["format", "value", "rounding", "integer-bits"]);
    const spec = flagString(args, "format");
    const ibText = flagString(args, "integer-bits");
    const integerBits = ibText === undefined ? undefined : Number(ibText);
    if (spec === undefined) {
      const formats = [
        ...Object.values(PRESETS),
        fixed({ bits: 20, integerBits: 5 }),
        dynamicFixed({ bits: 10 }),
        dynamicFixed({ bits: 12 }),
      ];
      for (const f of formats)
        console.log(
          `${f.name.padEnd(12)} ${describe(f, f.kind === "dynamic-fixed" ? 5 : undefined).summary}${f.kind === "dynamic-fixed" ? " (at 5 integer bits)" : ""}`,
        );
      return 0;
    }
    const format = parseFormat(spec);
    const rounding = (flagString(args, "rounding") ?? "nearest-even") as RoundingMode;
    if (!ROUNDING_MODES.includes(rounding)) throw new UsageError(`unknown rounding "${rounding}"`);
    console.log(describe(format, integerBits).summary);
    const values = flagString(args, "value");
    if (values !== undefined) {
      const width = describe(format, integerBits).totalBits;
      for (const text of values.split(",")) {
        const x = Number(text);
        if (Number.isNaN(x) && text.trim() !== "NaN") throw new UsageError(`--value: "${text}" is not a number`);
        const r = roundScalar(x, format, { rounding, integerBits, draw: 0 });
        const code =
          Number.isNaN(r) && format.kind !== "float"
            ? "-"
            : encode(r, format, { integerBits }).toString(2).padStart(width, "0");
        console.log(`${text.trim().padStart(14)} → ${(Object.is(r, -0) ? "-0" : String(r)).padEnd(22)} ${code}`);
      }
    }
    return 0;
  },
};
