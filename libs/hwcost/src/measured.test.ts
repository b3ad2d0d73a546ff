import { bfloat16, binary16, binary32, dynamicFixed, fixed, float, identity, type Format } from "@lowprec/formats";
import { describe, expect, it } from "vitest";
import { loadTable1, type Table1Row } from "./data.js";
import { UnsupportedFormatError } from "./datapath.js";
import { measuredMac, table1Label } from "./measured.js";

/** Table 1's row of a format and widths, read from the data file (throws when the file lacks it). */
function row(format: Table1Row["format"], multiplierBits: number, accumulatorBits: number): Table1Row {
  const r = loadTable1().rows.find(
    (x) => x.format === format && x.multiplierBits === multiplierBits && x.accumulatorBits === accumulatorBits,
  );
  if (!r) throw new Error(`table1.json has no ${format} ${multiplierBits}/${accumulatorBits} row`);
  return r;
}

/** The formats a Table 1 row names: binary32/binary16 for "float 32"/"float 16", N-bit fixed point for "fixed N". */
function formatsOf(r: Table1Row): [Format, Format] {
  const ieee = (bits: number): Format => (bits === 32 ? binary32 : binary16);
  return r.format === "float"
    ? [ieee(r.multiplierBits), ieee(r.accumulatorBits)]
    : [fixed({ bits: r.multiplierBits, integerBits: 5 }), fixed({ bits: r.accumulatorBits, integerBits: 10 })];
}

describe("measuredMac: Table 1's row for a MAC of given formats", () => {
  it("finds every row of the data file from the formats it names", () => {
    for (const r of loadTable1().rows) expect(measuredMac(...formatsOf(r)), table1Label(r)).toBe(r);
  });

  it("the identity format (float32, the paper's single precision) is Table 1's float 32", () => {
    expect(measuredMac(identity, identity)).toBe(row("float", 32, 32));
    expect(measuredMac(identity, binary32)).toBe(row("float", 32, 32));
  });

  it("a fixed-point row matches whatever the radix point", () => {
    const acc = fixed({ bits: 32, integerBits: 31 });
    expect(measuredMac(fixed({ bits: 16, integerBits: 0 }), acc)).toBe(row("fixed", 16, 32));
    expect(measuredMac(fixed({ bits: 16, integerBits: 12 }), acc)).toBe(row("fixed", 16, 32));
  });

  it.each<[string, Format, Format]>([
    [
      "fixed 20/32 (the paper's fixed-20 setting)",
      fixed({ bits: 20, integerBits: 5 }),
      fixed({ bits: 32, integerBits: 10 }),
    ],
    [
      "fixed 16/16 (the accumulator's width differs)",
      fixed({ bits: 16, integerBits: 5 }),
      fixed({ bits: 16, integerBits: 5 }),
    ],
    ["dfxp 10/32 (the paper's dfxp-10-12 setting)", dynamicFixed({ bits: 10 }), dynamicFixed({ bits: 32 })],
    [
      "dfxp 16/32 (fixed 16/32's datapath, but not fixed point)",
      dynamicFixed({ bits: 16 }),
      dynamicFixed({ bits: 32 }),
    ],
    [
      "fixed 16 × dfxp 32 (the accumulator's kind differs)",
      fixed({ bits: 16, integerBits: 5 }),
      dynamicFixed({ bits: 32 }),
    ],
    ["bfloat16/bfloat16 (16 bits, but not binary16's exponent and mantissa)", bfloat16, bfloat16],
    ["binary16 × binary32 (mixed widths)", binary16, binary32],
    ["e8m22 (31 bits)", float({ exponent: 8, mantissa: 22 }), float({ exponent: 8, mantissa: 22 })],
  ])("%s: no row", (_, multiplier, accumulator) => {
    expect(measuredMac(multiplier, accumulator)).toBeUndefined();
  });

  it("a width the model cannot price is an UnsupportedFormatError, as in macCost", () => {
    const wide = { kind: "fixed", name: "fixed99", bits: 99, integerBits: 5 } as const;
    expect(() => measuredMac(wide, fixed({ bits: 32, integerBits: 10 }))).toThrow(UnsupportedFormatError);
  });
});
