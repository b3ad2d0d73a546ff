/**
 * From a format to the hardware that multiplies and adds it: a datapath (integer or floating point)
 * and a bill of materials counted in four kinds of bits, which the calibrated models then price.
 */
import type { Format } from "@lowprec/formats";

/** A format the cost model does not cover, or a width it cannot price. Names the format. */
export class UnsupportedFormatError extends RangeError {
  override readonly name = "UnsupportedFormatError";
}

/** What the hardware sees of a format. */
export type Datapath =
  /** two's complement integer of `bits` (sign included): fixed point and dynamic fixed point */
  | { readonly kind: "integer"; readonly bits: number }
  /** sign + `exponent` bits + significand of `significand` bits (hidden bit included: p = mantissa + 1) */
  | { readonly kind: "float"; readonly exponent: number; readonly significand: number };

/** Widths the model accepts (wider is not meaningful for a single MAC; the data covers 8–32 bits). */
export const WIDTH_LIMITS = Object.freeze({ integerBits: [2, 64], exponent: [1, 15], mantissa: [0, 63] } as const);

function describeFormat(f: unknown): string {
  if (typeof f !== "object" || f === null) return JSON.stringify(f);
  const o = f as { name?: unknown; kind?: unknown };
  return `"${String(o.name ?? "?")}" (kind ${JSON.stringify(o.kind)})`;
}

function checkWidth(
  f: unknown,
  field: string,
  value: unknown,
  [min, max]: readonly [number, number],
  role: string,
): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new UnsupportedFormatError(
      `hwcost: ${role} format ${describeFormat(f)}` +
        `: ${field} must be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  return value;
}

/**
 * The datapath of a format. Fixed and dynamic fixed point are integers of `bits` (a dynamic group's
 * scale is a shift applied once per tensor, not per MAC); the identity format is binary32.
 * @param role what the format is used for, for the error message (e.g. "multiplier")
 */
export function datapathOf(format: Format, role = "operand"): Datapath {
  const f = format as unknown;
  const kind = (f as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case "identity":
      return { kind: "float", exponent: 8, significand: 24 };
    case "float": {
      const o = f as { exponent?: unknown; mantissa?: unknown };
      const exponent = checkWidth(f, "exponent", o.exponent, WIDTH_LIMITS.exponent, role);
      const mantissa = checkWidth(f, "mantissa", o.mantissa, WIDTH_LIMITS.mantissa, role);
      return { kind: "float", exponent, significand: mantissa + 1 };
    }
    case "fixed":
    case "dynamic-fixed":
      return {
        kind: "integer",
        bits: checkWidth(f, "bits", (f as { bits?: unknown }).bits, WIDTH_LIMITS.integerBits, role),
      };
    default:
      throw new UnsupportedFormatError(
        `hwcost: ${role} format ${describeFormat(f)} is not covered by the cost model` +
          ` (covered kinds: float, fixed, dynamic-fixed, identity)`,
      );
  }
}

/** Total width of a datapath's values in storage, sign included. */
export function storageBits(d: Datapath): number {
  return d.kind === "integer" ? d.bits : 1 + d.exponent + d.significand - 1;
}

/**
 * A bill of materials, in bits of four kinds of logic. Each kind gets one calibrated coefficient per
 * cost quantity (picojoules, square micrometres, ALMs).
 */
export interface Structure {
  /** partial-product bits of an integer multiplier: the product of the operand widths */
  readonly partialProductBits: number;
  /** bits of carry-propagate adders: integer adds, exponent adds, the significand adder of a float add */
  readonly adderBits: number;
  /** bits of a float multiplier's normalisation and rounding logic: the 2p-bit product */
  readonly roundingBits: number;
  /** bits of a float adder's alignment and normalisation shifters: p'·ceil(log2 p') with p' = p + 3 */
  readonly shifterBits: number;
}

export const ZERO_STRUCTURE: Structure = Object.freeze({
  partialProductBits: 0,
  adderBits: 0,
  roundingBits: 0,
  shifterBits: 0,
});

export function addStructures(a: Structure, b: Structure): Structure {
  return {
    partialProductBits: a.partialProductBits + b.partialProductBits,
    adderBits: a.adderBits + b.adderBits,
    roundingBits: a.roundingBits + b.roundingBits,
    shifterBits: a.shifterBits + b.shifterBits,
  };
}

/** A multiplier of two operands of datapath `d`. */
export function multiplierStructure(d: Datapath): Structure {
  if (d.kind === "integer") return { ...ZERO_STRUCTURE, partialProductBits: d.bits * d.bits };
  const p = d.significand;
  // significand product p×p, exponent add, normalise (1-bit shift) and round the 2p-bit product
  return { partialProductBits: p * p, adderBits: d.exponent, roundingBits: 2 * p, shifterBits: 0 };
}

/** An adder (the accumulator of a MAC) of datapath `d`. */
export function adderStructure(d: Datapath): Structure {
  if (d.kind === "integer") return { ...ZERO_STRUCTURE, adderBits: d.bits };
  // significand adder with guard, round and sticky bits; exponent compare; two barrel shifters' worth
  const wide = d.significand + 3;
  return {
    partialProductBits: 0,
    adderBits: wide + d.exponent,
    roundingBits: 0,
    shifterBits: wide * Math.ceil(Math.log2(wide)),
  };
}

/** The width of the integer multiplier that a datapath needs (operand bits, or the significand). */
export function multiplierWidth(d: Datapath): number {
  return d.kind === "integer" ? d.bits : d.significand;
}
