// The MX element types against the specification's tables: every code decoded to its value and encoded back, and
// the `finite` specials (no infinity, no NaN) they need.
import { describe, expect, it } from "vitest";
import {
  decode,
  decodeMxElement,
  describe as describeFormat,
  encode,
  float,
  MX_ELEMENTS,
  MX_PRESETS,
  quantize,
  representableValues,
  roundScalar,
  type FloatFormat,
} from "../src/index.js";

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/**
 * An independent reading of a sign-magnitude float code, from the bit layout alone: sign, exponent field E and
 * mantissa field M; E = 0 is subnormal, 2^(1 − bias) · M / 2^m, else 2^(E − bias) · (1 + M / 2^m). `top` says what
 * the all-ones exponent field holds: "ieee" (M = 0 infinity, else NaN), "fn" (all-ones M is NaN) or "finite".
 */
function bitValue(code: number, e: number, m: number, bias: number, top: "ieee" | "fn" | "finite"): number {
  const sign = code >> (e + m) ? -1 : 1,
    E = (code >> m) & ((1 << e) - 1),
    M = code & ((1 << m) - 1);
  if (E === (1 << e) - 1 && top === "ieee") return M === 0 ? sign * Infinity : NaN;
  if (E === (1 << e) - 1 && top === "fn" && M === (1 << m) - 1) return NaN;
  if (E === 0) return sign * 2 ** (1 - bias) * (M / 2 ** m);
  return sign * 2 ** (E - bias) * (1 + M / 2 ** m);
}

/** The named values of each element type's table: max normal, min normal, max subnormal, min subnormal, bias. */
const TABLES: readonly {
  name: string;
  format: FloatFormat;
  e: number;
  m: number;
  bias: number;
  top: "ieee" | "fn" | "finite";
  maxNormal: [number, number];
  minNormal: [number, number];
  maxSubnormal: [number, number];
  minSubnormal: [number, number];
}[] = [
  // [code, value]: FP8 E4M3 (OCP 8-bit float): S.1111.110 = 448, S.0001.000 = 2^-6, S.0000.111 = 0.875·2^-6
  {
    name: "FP8 E4M3",
    format: MX_ELEMENTS.fp8e4m3,
    e: 4,
    m: 3,
    bias: 7,
    top: "fn",
    maxNormal: [0b0_1111_110, 448],
    minNormal: [0b0_0001_000, 2 ** -6],
    maxSubnormal: [0b0_0000_111, 0.875 * 2 ** -6],
    minSubnormal: [0b0_0000_001, 2 ** -9],
  },
  // FP8 E5M2: S.11110.11 = 57344, S.00001.00 = 2^-14, S.00000.11 = 0.75·2^-14, S.00000.01 = 2^-16
  {
    name: "FP8 E5M2",
    format: MX_ELEMENTS.fp8e5m2,
    e: 5,
    m: 2,
    bias: 15,
    top: "ieee",
    maxNormal: [0b0_11110_11, 57344],
    minNormal: [0b0_00001_00, 2 ** -14],
    maxSubnormal: [0b0_00000_11, 0.75 * 2 ** -14],
    minSubnormal: [0b0_00000_01, 2 ** -16],
  },
  // FP6 E3M2: S.111.11 = 28, S.001.00 = 0.25, S.000.11 = 0.1875, S.000.01 = 0.0625
  {
    name: "FP6 E3M2",
    format: MX_ELEMENTS.fp6e3m2,
    e: 3,
    m: 2,
    bias: 3,
    top: "finite",
    maxNormal: [0b0_111_11, 28],
    minNormal: [0b0_001_00, 0.25],
    maxSubnormal: [0b0_000_11, 0.1875],
    minSubnormal: [0b0_000_01, 0.0625],
  },
  // FP6 E2M3: S.11.111 = 7.5, S.01.000 = 1, S.00.111 = 0.875, S.00.001 = 0.125
  {
    name: "FP6 E2M3",
    format: MX_ELEMENTS.fp6e2m3,
    e: 2,
    m: 3,
    bias: 1,
    top: "finite",
    maxNormal: [0b0_11_111, 7.5],
    minNormal: [0b0_01_000, 1],
    maxSubnormal: [0b0_00_111, 0.875],
    minSubnormal: [0b0_00_001, 0.125],
  },
  // FP4 E2M1: S.11.1 = 6, S.01.0 = 1, S.00.1 = 0.5 (the one subnormal)
  {
    name: "FP4 E2M1",
    format: MX_ELEMENTS.fp4e2m1,
    e: 2,
    m: 1,
    bias: 1,
    top: "finite",
    maxNormal: [0b0_11_1, 6],
    minNormal: [0b0_01_0, 1],
    maxSubnormal: [0b0_00_1, 0.5],
    minSubnormal: [0b0_00_1, 0.5],
  },
];

describe.each(TABLES)("MX element $name", (t) => {
  const codes = 2 ** (1 + t.e + t.m);
  it("has the table's layout, largest and smallest values", () => {
    expect([t.format.exponent, t.format.mantissa, t.format.bias, t.format.subnormals]).toEqual([
      t.e,
      t.m,
      t.bias,
      true,
    ]);
    for (const [code, value] of [t.maxNormal, t.minNormal, t.maxSubnormal, t.minSubnormal]) {
      expect(decode(code, t.format), `code ${code.toString(2)}`).toBe(value);
      expect(decode(code + codes / 2, t.format), `code ${code.toString(2)} with the sign bit`).toBe(-value);
    }
    const d = describeFormat(t.format);
    expect([d.totalBits, d.max, d.minNormal, d.minSubnormal]).toEqual([
      1 + t.e + t.m,
      t.maxNormal[1],
      t.minNormal[1],
      t.minSubnormal[1],
    ]);
  });
  it("decodes every code to the value its bits define, and encodes every non-NaN value back to its code", () => {
    let finite = 0;
    for (let c = 0; c < codes; c++) {
      const want = bitValue(c, t.e, t.m, t.bias, t.top),
        got = decode(c, t.format);
      if (!same(got, want)) throw new Error(`code ${c.toString(2)}: decode ${got}, bits say ${want}`);
      if (Number.isFinite(want)) finite++;
      if (Number.isNaN(want) || !Number.isFinite(want)) continue;
      const back = encode(want, t.format);
      if (back !== c) throw new Error(`value ${want} (code ${c.toString(2)}) encodes to ${back.toString(2)}`);
    }
    // E4M3: two NaN codes; E5M2: two infinities and six NaNs; the finite types: every code a number
    expect(finite).toBe({ fn: codes - 2, ieee: codes - 8, finite: codes }[t.top]);
  });
  it("lists its values with representableValues (each once, one zero)", () => {
    const values = representableValues(t.format);
    expect(values.length).toBe({ fn: codes - 3, ieee: codes - 9, finite: codes - 1 }[t.top]);
    expect(values.at(-1)).toBe(t.maxNormal[1]);
    expect(values[0]).toBe(-t.maxNormal[1]);
  });
  it("saturates beyond its largest value, in every rounding mode, and ±Infinity too", () => {
    const max = t.maxNormal[1];
    for (const rounding of ["nearest-even", "nearest-away", "toward-zero", "stochastic"] as const)
      for (const x of [max * 1.01, max * 4, Infinity])
        expect([roundScalar(x, t.format, { rounding }), roundScalar(-x, t.format, { rounding })]).toEqual([max, -max]);
  });
});

describe("FP4 E2M1: the whole table", () => {
  it("codes 0..15 are 0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives", () => {
    const values = Array.from({ length: 16 }, (_, c) => decode(c, MX_ELEMENTS.fp4e2m1));
    expect(values).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6, -0, -0.5, -1, -1.5, -2, -3, -4, -6]);
  });
});

describe("MX element INT8: two's complement, implicit scale 2^-6", () => {
  const int8 = MX_ELEMENTS.int8,
    mxint8 = MX_PRESETS.mxint8!;
  it("codes 0x00..0x7F are k/64, 0x81..0xFF are (k − 256)/64, and encode back", () => {
    for (let c = 0; c < 256; c++) {
      if (c === 0x80) continue;
      const want = (c < 128 ? c : c - 256) / 64;
      expect(decode(c, int8)).toBe(want);
      expect(decodeMxElement(c, mxint8)).toBe(want);
      expect(encode(want, int8)).toBe(c);
    }
    expect([decode(0x7f, int8), decode(0x01, int8), decode(0xff, int8)]).toEqual([1 + 63 / 64, 1 / 64, -1 / 64]);
  });
  it("0x80 is −2 in an MX block; the symmetric conversion never writes it (−2 saturates to −127/64)", () => {
    expect(decodeMxElement(0x80, mxint8)).toBe(-2);
    expect(() => decode(0x80, int8)).toThrow(/outside the symmetric range/);
    expect(roundScalar(-2, int8)).toBe(-127 / 64);
    expect(encode(-2, int8)).toBe(0x81);
  });
});

describe('float specials "finite": no infinity, no NaN', () => {
  const e3m2 = MX_ELEMENTS.fp6e3m2;
  it("is refused with an overflow to infinity, and saturates by default", () => {
    expect(() => float({ exponent: 3, mantissa: 2, specials: "finite", overflow: "infinity" })).toThrow(
      'invalid float overflow: a "finite" format has no infinity and no NaN to overflow to (expected "saturate")' +
        ", got infinity",
    );
    expect(float({ exponent: 3, mantissa: 2, specials: "finite" }).overflow).toBe("saturate");
    expect(() => float({ exponent: 3, mantissa: 2, specials: "none" as "finite" })).toThrow(
      'invalid float specials: expected "ieee", "fn" or "finite", got none',
    );
  });
  it("uses the all-ones exponent for numbers: 16, 20, 24, 28 (E3M2's top binade)", () => {
    expect([0b011100, 0b011101, 0b011110, 0b011111].map((c) => decode(c, e3m2))).toEqual([16, 20, 24, 28]);
  });
  it("has no NaN code: encode throws, quantize passes NaN through and counts it", () => {
    expect(() => encode(NaN, e3m2)).toThrow('encode: NaN has no fp6e3m2 code (a "finite" format has no NaN)');
    for (const x of [Float32Array.of(NaN, 30, -Infinity, 0.03), Float64Array.of(NaN, 30, -Infinity, 0.03)]) {
      const { stats } = quantize(x, e3m2);
      expect(Array.from(x)).toEqual([NaN, 28, -28, 0]);
      expect([stats.nan, stats.overflow, stats.flushed]).toEqual([1, 2, 1]);
    }
  });
  it("describes itself as such", () => {
    expect(describeFormat(e3m2).summary).toBe(
      "6-bit float: 1 sign, 3 exponent (bias 3), 2 mantissa bits; max 28, subnormals, overflow saturates" +
        ", no infinities or NaN",
    );
  });
});
