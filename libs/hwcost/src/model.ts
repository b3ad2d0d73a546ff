/**
 * The parametric cost of a multiplier, an adder and a multiply-accumulator (MAC) of given formats,
 * priced with the calibrated constants. ASIC (45 nm: picojoules, square micrometres) and FPGA
 * (Stratix V: ALMs, DSP blocks) are separate objects; their numbers are never added together.
 */
import type { Format } from "@lowprec/formats";
import { calibration, dspBlocks, priceStructure } from "./calibrate.js";
import {
  adderStructure,
  addStructures,
  datapathOf,
  multiplierStructure,
  UnsupportedFormatError,
  type Datapath,
  type Structure,
} from "./datapath.js";

/** 45 nm ASIC cost of one operation (Horowitz's technology). */
export interface AsicCost {
  /** energy of one operation */
  readonly picojoules: number;
  /** silicon area of one operator */
  readonly squareMicrometres: number;
}

/** Stratix V FPGA resources of one operator (Table 1's technology). */
export interface FpgaCost {
  /** adaptive logic modules */
  readonly alms: number;
  /** DSP blocks (18×18 tiles) */
  readonly dsps: number;
}

export interface OperatorCost {
  readonly asic: AsicCost;
  readonly fpga: FpgaCost;
  readonly structure: Structure;
  /**
   * why this estimate lies outside the range the constants were fitted on (empty when inside), each
   * note prefixed by the technology it concerns (`asic:`, `fpga:`, `asic+fpga:`): read such numbers
   * as trends, not values
   */
  readonly extrapolated: readonly string[];
}

/** The widths the reference data spans, per technology. */
export const CALIBRATED_RANGE = Object.freeze({
  asic: { integerBits: [8, 32], floatSignificand: [11, 24], floatExponent: [5, 8] },
  fpga: {
    integerMultiplierBits: [16, 32],
    integerAccumulatorBits: [32, 32],
    floatSignificand: [11, 24],
    floatExponent: [5, 8],
  },
} as const);

function outside(v: number, [lo, hi]: readonly [number, number]): boolean {
  return v < lo || v > hi;
}

function extrapolation(d: Datapath, role: "multiplier" | "accumulator", name: string): string[] {
  const notes: string[] = [];
  const r = CALIBRATED_RANGE;
  if (d.kind === "integer") {
    if (outside(d.bits, r.asic.integerBits))
      notes.push(`asic: ${role} ${name} has ${d.bits} bits, data spans ${r.asic.integerBits.join("-")}`);
    const fpgaRange = role === "multiplier" ? r.fpga.integerMultiplierBits : r.fpga.integerAccumulatorBits;
    if (outside(d.bits, fpgaRange))
      notes.push(`fpga: ${role} ${name} has ${d.bits} bits, Table 1 spans ${fpgaRange.join("-")}`);
  } else {
    if (outside(d.significand, r.asic.floatSignificand) || outside(d.exponent, r.asic.floatExponent))
      notes.push(
        `asic+fpga: ${role} ${name} (exponent ${d.exponent}, significand ${d.significand})` +
          ` is outside the data's binary16..binary32`,
      );
  }
  return notes;
}

/** Prices a bill of materials (ASIC and FPGA); DSP blocks from the multiplier datapath when there is one. */
export function price(s: Structure, multiplier: Datapath | undefined, extrapolated: string[]): OperatorCost {
  const c = calibration();
  const [a, b, g] = c.alms;
  return {
    asic: { picojoules: priceStructure(s, c.picojoules), squareMicrometres: priceStructure(s, c.squareMicrometres) },
    fpga: {
      alms: a * s.partialProductBits + b * (s.adderBits + s.roundingBits) + g * s.shifterBits,
      dsps: multiplier ? dspBlocks(multiplier) : 0,
    },
    structure: s,
    extrapolated,
  };
}

/** Cost of one multiplier whose two operands are in `format`. */
export function multiplierCost(format: Format): OperatorCost {
  const d = datapathOf(format, "multiplier");
  return price(multiplierStructure(d), d, extrapolation(d, "multiplier", format.name));
}

/** Cost of one adder (an accumulator) of `format`. */
export function adderCost(format: Format): OperatorCost {
  const d = datapathOf(format, "accumulator");
  return price(adderStructure(d), undefined, extrapolation(d, "accumulator", format.name));
}

/**
 * Cost of one multiply-accumulator: a multiplier of `multiplier`-format operands feeding an adder of
 * `accumulator` format. A product wider than the accumulator is assumed truncated into it (free).
 */
export function macCost(multiplier: Format, accumulator: Format): OperatorCost {
  const m = datapathOf(multiplier, "multiplier"),
    a = datapathOf(accumulator, "accumulator");
  if (m.kind !== a.kind)
    throw new UnsupportedFormatError(
      `hwcost: a MAC with a ${m.kind} multiplier (${multiplier.name})` +
        ` and a ${a.kind} accumulator (${accumulator.name}) is not covered` +
        `: the model has no converter between them`,
    );
  return price(addStructures(multiplierStructure(m), adderStructure(a)), m, [
    ...extrapolation(m, "multiplier", multiplier.name),
    ...extrapolation(a, "accumulator", accumulator.name),
  ]);
}
