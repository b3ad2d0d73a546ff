import { describe, expect, it } from "vitest";
import {
  binary16,
  binary32,
  describe as describeFormat,
  dynamicFixed,
  fixed,
  float,
  fp8e4m3,
  fp8e5m2,
  identity,
  representableValues,
  roundScalar,
} from "../src/index.js";

describe("representableValues", () => {
  it("lists a fixed point grid: 4 bits, 1 integer bit is k/4 for |k| ≤ 7 (hand-computed)", () => {
    const q = fixed({ bits: 4, integerBits: 1 });
    expect(representableValues(q)).toEqual([-7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((k) => k / 4));
    expect(representableValues(q, { min: 0, max: 1 })).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it("moves a dynamic fixed point grid with the group's integer bits", () => {
    const q = dynamicFixed({ bits: 4 });
    expect(representableValues(q, { integerBits: 3, min: 0 })).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(representableValues(q, { integerBits: -1, min: 0 })).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => k / 16));
    expect(() => representableValues(q)).toThrow("dynamic fixed point needs the group's integerBits");
  });

  it("lists a tiny float: 1 sign, 2 exponent, 1 mantissa bit, subnormals, IEEE specials (hand-computed)", () => {
    // bias 1: field 0 holds 0 and 0.5 (subnormal), field 1 holds 1 and 1.5, field 2 holds 2 and 3, field 3 is ±∞/NaN
    const tiny = float({ exponent: 2, mantissa: 1 });
    const positive = [0.5, 1, 1.5, 2, 3];
    expect(representableValues(tiny)).toEqual([...positive.map((v) => -v).reverse(), 0, ...positive]);
    const values = representableValues(tiny);
    expect(values.filter((v) => v === 0)).toHaveLength(1);
    expect(Object.is(values[positive.length], 0)).toBe(true); // +0, not −0
  });

  it("counts the finite values of binary16 and FP8 E4M3 (one zero, no infinities or NaN)", () => {
    // binary16: 2^16 codes, 2 × 1024 with the exponent field all ones (±∞, NaN), ±0 counted once
    const half = representableValues(binary16);
    expect(half).toHaveLength(2 ** 16 - 2 * 1024 - 1);
    expect(half.at(-1)).toBe(65504);
    expect(half.find((v) => v > 0)).toBe(2 ** -24);
    // E4M3 (OCP "fn"): only S.1111.111 is NaN, so 254 finite codes and 253 values
    const e4m3 = representableValues(fp8e4m3);
    expect(e4m3).toHaveLength(253);
    expect(e4m3.at(-1)).toBe(describeFormat(fp8e4m3).max);
    expect(e4m3.at(-1)).toBe(448);
  });

  it("misses no value: every listed value rounds to itself, a quarter of the way to the next rounds back to it", () => {
    const cases = [
      { format: fp8e5m2, options: {} },
      { format: fp8e4m3, options: {} },
      { format: fixed({ bits: 8, integerBits: 3 }), options: {} },
      { format: dynamicFixed({ bits: 8 }), options: { integerBits: -2 } },
    ];
    for (const { format, options } of cases) {
      const values = representableValues(format, options);
      const round = (x: number) => roundScalar(x, format, options) + 0; // a float rounds −ε to −0: the value 0
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        expect(round(v), `${format.name} ${v}`).toBe(v);
        if (i + 1 < values.length) {
          const step = values[i + 1]! - v;
          expect(round(v + step / 4), `${format.name} after ${v}`).toBe(v);
          expect(round(v + (3 * step) / 4), `${format.name} before ${v + step}`).toBe(v + step);
        }
      }
    }
  });

  it("refuses what it cannot enumerate or that makes no sense, naming it", () => {
    expect(() => representableValues(binary32)).toThrow(
      "representableValues: binary32 has 32-bit codes, more than the 16 enumerated",
    );
    expect(() => representableValues(identity)).toThrow("float32 has 32-bit codes");
    expect(() => representableValues(fixed({ bits: 8, integerBits: 3 }), { integerBits: 2 })).toThrow(
      "representableValues: integerBits 2 is for dynamic fixed point only (fixed8.3 is fixed)",
    );
    expect(() => representableValues(binary16, { min: 1, max: 0 })).toThrow(
      "representableValues: min 1 and max 0 are not an interval",
    );
  });
});
