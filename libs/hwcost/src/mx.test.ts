import { binary16, binary32, fixed, MX_PRESETS, mx, MX_ELEMENTS, type MxFormat } from "@lowprec/formats";
import { describe, expect, it } from "vitest";
import { UnsupportedFormatError } from "./datapath.js";
import { macCost } from "./model.js";
import { mxMacCost, mxMacStructure, mxStorageBits } from "./mx.js";

const P = MX_PRESETS as Record<string, MxFormat>;

describe("MX multiply-accumulate: the bill of materials, counted by hand", () => {
  it("mxfp8e4m3 into binary32, k = 32", () => {
    // multiplier: significand p = 4 → 4·4 partial-product bits, a 4-bit exponent add, rounding of the 2p = 8-bit
    // product; binary32 adder: p' = 24 + 3 = 27 → 27 + 8 adder bits, 27·ceil(log2 27) = 27·5 = 135 shifter bits;
    // per block (÷ 32): 9-bit E8M0 sum + the 8-bit exponent add of the scaling = 17 adder bits
    expect(mxMacStructure(P.mxfp8e4m3!, binary32)).toEqual({
      partialProductBits: 16,
      adderBits: 4 + 35 + 17 / 32,
      roundingBits: 8,
      shifterBits: 135,
    });
  });
  it("mxint8 into binary32, k = 32: exact integer block sums, one float add per block", () => {
    // 8×8 multiplier; a 2·8 + log2 32 = 21-bit integer adder per MAC; per block (÷ 32): 17 scale bits and one
    // binary32 add (35 adder bits, 135 shifter bits)
    expect(mxMacStructure(P.mxint8!, binary32)).toEqual({
      partialProductBits: 64,
      adderBits: 21 + (17 + 35) / 32,
      roundingBits: 0,
      shifterBits: 135 / 32,
    });
  });
  it("a block of 16 shares the block logic over 16 MACs, and ⌈log2 k⌉ sizes the integer sum", () => {
    const m16 = mx(MX_ELEMENTS.int8, { block: 16 });
    expect(mxMacStructure(m16, binary32).adderBits).toBe(20 + 52 / 16);
    const m7 = mx(MX_ELEMENTS.int8, { block: 7 });
    expect(mxMacStructure(m7, binary32).adderBits).toBeCloseTo(16 + 3 + 52 / 7, 12);
  });
});

describe("MX storage", () => {
  it("element bits plus 8 scale bits per block", () => {
    expect(mxStorageBits(P.mxfp8e4m3!)).toBe(8.25);
    expect(mxStorageBits(P.mxfp8e5m2!)).toBe(8.25);
    expect(mxStorageBits(P.mxfp6e3m2!)).toBe(6.25);
    expect(mxStorageBits(P.mxfp6e2m3!)).toBe(6.25);
    expect(mxStorageBits(P.mxfp4e2m1!)).toBe(4.25);
    expect(mxStorageBits(P.mxint8!)).toBe(8.25);
    expect(mxStorageBits(mx(MX_ELEMENTS.fp4e2m1, { block: 16 }))).toBe(4.5);
  });
});

describe("MX MAC cost", () => {
  it("orders as the widths do: FP4 < FP6 < FP8 < binary32 MAC, in energy and area", () => {
    const pj = (f: MxFormat) => mxMacCost(f, binary32).asic.picojoules;
    const um = (f: MxFormat) => mxMacCost(f, binary32).asic.squareMicrometres;
    expect(pj(P.mxfp4e2m1!)).toBeLessThan(pj(P.mxfp6e2m3!));
    expect(pj(P.mxfp6e3m2!)).toBeLessThan(pj(P.mxfp8e4m3!));
    expect(pj(P.mxfp8e4m3!)).toBeLessThan(macCost(binary32, binary32).asic.picojoules);
    expect(um(P.mxfp4e2m1!)).toBeLessThan(um(P.mxfp8e4m3!));
    expect(um(P.mxfp8e4m3!)).toBeLessThan(macCost(binary32, binary32).asic.squareMicrometres);
    // each figure is the calibrated price of the structure above, and is flagged as extrapolated
    const c = mxMacCost(P.mxfp8e4m3!, binary32);
    expect(c.asic.picojoules).toBeGreaterThan(0);
    expect(c.fpga.dsps).toBe(1);
    expect(c.extrapolated.join(" ")).toContain("no measured MX unit");
  });
  it("a float16 accumulator is cheaper than binary32 for the same element", () => {
    expect(mxMacCost(P.mxfp8e4m3!, binary16).asic.picojoules).toBeLessThan(
      mxMacCost(P.mxfp8e4m3!, binary32).asic.picojoules,
    );
  });
  it("refuses an integer accumulator and a format that is not MX, in one line naming it", () => {
    const acc = fixed({ bits: 32, integerBits: 10 });
    expect(() => mxMacCost(P.mxint8!, acc)).toThrow(UnsupportedFormatError);
    expect(() => mxMacCost(P.mxint8!, acc)).toThrow(/accumulates into a float.*fixed32/);
    expect(() => mxMacCost(binary16 as unknown as MxFormat, binary32)).toThrow(/expected an MX format/);
  });
});
