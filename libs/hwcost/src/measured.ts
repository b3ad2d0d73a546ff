/**
 * Measured values instead of modelled ones where the reference data has them: the paper's Table 1
 * measured four multiplier-accumulators on a Stratix V, and a MAC of exactly one of those settings is
 * shown with Table 1's ALMs and DSP blocks (the model's value beside it), every other MAC with the model's.
 */
import type { Format } from "@lowprec/formats";
import { table1Datapaths } from "./calibrate.js";
import { loadTable1, type Table1Row } from "./data.js";
import { datapathOf, type Datapath } from "./datapath.js";

/** Where a MAC's FPGA figures (ALMs, DSP blocks) come from. */
export type FpgaSource = "Table 1 (measured)" | "model";
export const FPGA_SOURCES: readonly FpgaSource[] = Object.freeze(["Table 1 (measured)", "model"]);

/**
 * The kind of Table 1 row a format can match: IEEE-style floats and the identity format (float32, the
 * paper's single precision) are "float"; only plain fixed point is "fixed". Dynamic fixed point has the
 * same integer datapath but is not what Table 1 measured, so it is never matched.
 */
function table1Kind(f: Format): Table1Row["format"] | undefined {
  switch (f.kind) {
    case "float":
    case "identity":
      return "float";
    case "fixed":
      return "fixed";
    default:
      return undefined;
  }
}

function sameDatapath(a: Datapath, b: Datapath): boolean {
  if (a.kind === "integer") return b.kind === "integer" && a.bits === b.bits;
  return b.kind === "float" && a.exponent === b.exponent && a.significand === b.significand;
}

/**
 * Table 1's row for a MAC of `multiplier`-format operands and an `accumulator`-format adder, or
 * `undefined` when Table 1 did not measure that MAC. A row matches when the format kind is the row's
 * (float or fixed; see `table1Kind`) and both widths are the row's as the data file's `interpretation`
 * reads them: "float 32" is binary32 (8 exponent, 23 mantissa bits), "float 16" binary16 (5, 10), so
 * bfloat16 matches nothing; "fixed N" is an N-bit integer whatever its radix point.
 * @example measuredMac(identity, identity)?.alms // Table 1's float 32/32 row
 */
export function measuredMac(multiplier: Format, accumulator: Format): Table1Row | undefined {
  const kind = table1Kind(multiplier);
  if (kind === undefined || table1Kind(accumulator) !== kind) return undefined;
  const m = datapathOf(multiplier, "multiplier"),
    a = datapathOf(accumulator, "accumulator");
  return loadTable1().rows.find((r) => {
    if (r.format !== kind) return false;
    const d = table1Datapaths(r);
    return sameDatapath(d.multiplier, m) && sameDatapath(d.accumulator, a);
  });
}

/** A Table 1 row's short label, as the calibration prints it: `float 32/32`. */
export function table1Label(r: Table1Row): string {
  return `${r.format} ${r.multiplierBits}/${r.accumulatorBits}`;
}
