/**
 * What an OCP Microscaling (MX) multiply-accumulate costs, priced with the same structures and calibrated
 * constants as every other MAC here (model.ts). An MX dot product of two blocks of k elements (OCP MX 1.0 §6.2)
 * is X_A·X_B · Σ_i P_i·Q_i: k element products summed, then the block sum scaled once by the product of the two
 * shared E8M0 scales. The model's assumptions, per MAC:
 *
 * - one multiplier of two elements: a float element (FP8, FP6, FP4) is a float multiplier of its exponent and
 *   significand; INT8 is an 8×8 integer multiplier;
 * - one add into the accumulator: with a float element, each product is added into the float `accumulator` (as a
 *   float32-accumulating MX unit does); with INT8 the k products are summed exactly in an integer adder of
 *   2·8 + ⌈log2 k⌉ bits, and the block sum is converted and added into the float accumulator once per block;
 * - once per block (so 1/k of it per MAC): the two 8-bit E8M0 scale exponents added (a 9-bit adder, one carry bit
 *   for the sum) and that sum added to the exponent of the block sum (an adder of the accumulator's exponent width);
 * - storage: an element's bits plus 8 bits of scale per k elements.
 *
 * Not modelled: the conversion of a float32 block sum to the accumulator when they differ, the normalisation of
 * the sum of products inside the block beyond one float add per product, and any sharing of the per-block logic
 * across a row of a systolic array. FPGA DSP blocks: those of the element multiplier. Read the figures as the
 * model's trend; no measured MX unit is in the reference data, so every figure is extrapolated.
 */
import type { Format, MxFormat } from "@lowprec/formats";
import {
  adderStructure,
  addStructures,
  datapathOf,
  multiplierStructure,
  UnsupportedFormatError,
  type Datapath,
  ZERO_STRUCTURE,
  type Structure,
} from "./datapath.js";
import { price, type OperatorCost } from "./model.js";

/** Bits of an E8M0 shared scale (OCP MX 1.0 §5.4). */
export const E8M0_BITS = 8;

function scaled(s: Structure, by: number): Structure {
  return {
    partialProductBits: s.partialProductBits * by,
    adderBits: s.adderBits * by,
    roundingBits: s.roundingBits * by,
    shifterBits: s.shifterBits * by,
  };
}

function checkMxFormat(f: unknown): MxFormat {
  const o = f as { kind?: unknown; block?: unknown; element?: unknown; name?: unknown } | null;
  if (o === null || typeof o !== "object" || o.kind !== "mx")
    throw new UnsupportedFormatError(`hwcost: expected an MX format (kind "mx", from mx() of @lowprec/formats)`);
  if (typeof o.block !== "number" || !Number.isInteger(o.block) || o.block < 1)
    throw new UnsupportedFormatError(
      `hwcost: MX format "${String(o.name)}": block must be a positive integer, got ${String(o.block)}`,
    );
  return f as MxFormat;
}

/** The datapath of an MX format's element (FP8/FP6/FP4: a float; INT8: an 8-bit integer). */
export function mxElementDatapath(format: MxFormat): Datapath {
  return datapathOf(checkMxFormat(format).element, "MX element");
}

/** Storage bits per value of an MX format: the element's bits plus its share of the block's 8-bit scale. */
export function mxStorageBits(format: MxFormat): number {
  const f = checkMxFormat(format);
  const d = mxElementDatapath(f);
  const element = d.kind === "integer" ? d.bits : 1 + d.exponent + d.significand - 1;
  return element + E8M0_BITS / f.block;
}

/** The bill of materials of one MX MAC with a float `accumulator`, the per-block logic spread over its k MACs. */
export function mxMacStructure(format: MxFormat, accumulator: Format): Structure {
  const f = checkMxFormat(format);
  const e = mxElementDatapath(f),
    a = datapathOf(accumulator, "accumulator");
  if (a.kind !== "float")
    throw new UnsupportedFormatError(
      `hwcost: an MX MAC accumulates into a float (the block sum is scaled by a power of two), got ${accumulator.name}`,
    );
  const k = f.block;
  // per block: E8M0 + E8M0 (9-bit adder) and the scale added to the block sum's exponent
  const perBlock: Structure = {
    partialProductBits: 0,
    adderBits: E8M0_BITS + 1 + a.exponent,
    roundingBits: 0,
    shifterBits: 0,
  };
  if (e.kind === "integer") {
    const sumBits = 2 * e.bits + Math.ceil(Math.log2(k));
    const perMac = addStructures(multiplierStructure(e), { ...ZERO_STRUCTURE, adderBits: sumBits });
    return addStructures(perMac, scaled(addStructures(perBlock, adderStructure(a)), 1 / k));
  }
  return addStructures(addStructures(multiplierStructure(e), adderStructure(a)), scaled(perBlock, 1 / k));
}

/**
 * Cost of one MX multiply-accumulate: element × element, accumulated into `accumulator` (a float format, e.g.
 * binary32), with the block's scale logic shared by its k MACs. See the module comment for what is assumed.
 */
export function mxMacCost(format: MxFormat, accumulator: Format): OperatorCost {
  return price(mxMacStructure(format, accumulator), mxElementDatapath(format), [
    `asic+fpga: MX ${format.name}: element ${format.element.name} and the block logic are outside the reference` +
      " data (no measured MX unit)",
  ]);
}
