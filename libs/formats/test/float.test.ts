import { describe, expect, it } from "vitest";
import {
  bfloat16,
  binary16,
  binary32,
  decode,
  describe as describeFormat,
  encode,
  float,
  fp8e4m3,
  fp8e5m2,
  roundScalar,
  type FloatFormat,
} from "../src/index.js";
import { TWINS, halfToNumber } from "./twins.js";

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe("binary16 encodings against the IEEE definition", () => {
  it("decodes all 65,536 codes to the value the bit layout defines", () => {
    for (let c = 0; c < 65536; c++) {
      const want = halfToNumber(c);
      const got = decode(c, binary16);
      if (!same(got, want)) throw new Error(`code 0x${c.toString(16)}: decode ${got}, IEEE ${want}`);
    }
  });
  it("encodes every non-NaN code's value back to the same code", () => {
    for (let c = 0; c < 65536; c++) {
      const v = halfToNumber(c);
      if (Number.isNaN(v)) continue;
      const back = encode(v, binary16);
      if (back !== c) throw new Error(`value ${v} (0x${c.toString(16)}) encodes to 0x${back.toString(16)}`);
    }
  });
  it("has the standard limits", () => {
    const d = describeFormat(binary16);
    expect([d.totalBits, d.max, d.minNormal, d.minSubnormal, d.ulpAtOne]).toEqual([
      16,
      65504,
      2 ** -14,
      2 ** -24,
      2 ** -10,
    ]);
    expect(encode(NaN, binary16)).toBe(0x7e00);
    expect(encode(-Infinity, binary16)).toBe(0xfc00);
  });
});

describe.each(TWINS)("binary16 rounding (%s)", (_, round) => {
  it("rounds known values to nearest, ties to even", () => {
    const cases: [number, number][] = [
      [1 / 3, 0.333251953125], // 0x3555
      [65504, 65504],
      [65519.99, 65504],
      [65520, Infinity],
      [-65520, -Infinity],
      [1e9, Infinity],
      [2 ** -24, 2 ** -24],
      [2 ** -25, 0],
      [-(2 ** -25), -0],
      [3 * 2 ** -25, 2 ** -23],
      [2 ** -26, 0],
      [1 + 2 ** -11, 1],
      [1 + 3 * 2 ** -11, 1 + 2 ** -9],
      [2049, 2048],
      [2051, 2052],
      [-0, -0],
      [0, 0],
      [Infinity, Infinity],
      [NaN, NaN],
    ];
    const got = round(
      cases.map((c) => c[0]),
      binary16,
    );
    cases.forEach(([x, want], i) => {
      expect(got[i], `round(${x})`).toSatisfy((g: number) => same(g, want));
    });
  });
  it("rounds ties away from zero and toward zero when asked", () => {
    expect(round([2 ** -25, 1 + 2 ** -11, -(1 + 2 ** -11), 2049], binary16, { rounding: "nearest-away" })).toEqual([
      2 ** -24,
      1 + 2 ** -10,
      -(1 + 2 ** -10),
      2050,
    ]);
    expect(
      round([1 + 2 ** -10 - 2 ** -20, -2051.9, 65520, 1e9, Infinity], binary16, { rounding: "toward-zero" }),
    ).toEqual([1, -2050, 65504, 65504, Infinity]);
  });
  it("rounds a float64 input once, not through float32 first (no double rounding)", () => {
    const x = 1 + 2 ** -11 + 2 ** -40; // float32 would round it to the tie 1 + 2^-11, then to 1
    expect(Math.fround(x)).toBe(1 + 2 ** -11);
    expect(round([x], binary16)).toEqual([1 + 2 ** -10]);
  });
  it("saturates instead of overflowing when the format says so", () => {
    const sat = float({ exponent: 5, mantissa: 10, overflow: "saturate" });
    expect(round([65520, -1e30, Infinity, -Infinity], sat)).toEqual([65504, -65504, 65504, -65504]);
  });
  it("flushes results below the smallest normal to zero without subnormals", () => {
    const ftz = float({ exponent: 5, mantissa: 10, subnormals: false });
    const got = round([2 ** -15, -(2 ** -15), 2 ** -14 - 2 ** -26, 2 ** -14], ftz);
    expect(got.map((v) => (Object.is(v, -0) ? "-0" : v))).toEqual([0, "-0", 2 ** -14, 2 ** -14]);
  });
});

/** Every finite positive value of a small format, ascending, from its codes. */
function positiveValues(f: FloatFormat): number[] {
  const width = 1 + f.exponent + f.mantissa,
    vals: number[] = [];
  for (let c = 0; c < 2 ** (width - 1); c++) {
    const v = decode(c, f);
    if (Number.isFinite(v)) vals.push(v);
  }
  return vals;
}

describe.each(TWINS)("exhaustive round trips and midpoints (%s)", (_, round) => {
  for (const f of [binary16, fp8e4m3, fp8e5m2, float({ exponent: 3, mantissa: 2 })]) {
    it(`${f.name}: every value rounds to itself, every midpoint follows the tie rule`, () => {
      const vals = positiveValues(f);
      const all = [...vals, ...vals.map((v) => -v)];
      const back = round(all, f, { f64: false });
      const moved = all.filter((v, i) => !Object.is(back[i], v));
      expect(moved, "values that did not round to themselves").toEqual([]);
      const mids = vals.slice(1).map((v, i) => (v + vals[i]!) / 2);
      const even = round(mids, f);
      // NOTE: float32 in and out takes quantize's integer-bits path for ties to even; the midpoints are exact in
      // float32.
      expect(round(mids, f, { f64: false }), "float32 midpoints").toEqual(even);
      const away = round(mids, f, { rounding: "nearest-away" });
      const zero = round(mids, f, { rounding: "toward-zero" });
      const wrong: string[] = [];
      mids.forEach((m, i) => {
        const lo = vals[i]!,
          hi = vals[i + 1]!;
        const loEven = encode(lo, f) % 2 === 0;
        if (even[i] !== (loEven ? lo : hi) || away[i] !== hi || zero[i] !== lo)
          wrong.push(`${m}: even ${even[i]}, away ${away[i]}, zero ${zero[i]}`);
      });
      expect(wrong, "midpoints breaking the tie rule").toEqual([]);
    });
  }
});

describe("bfloat16 and fp8 against their specifications", () => {
  it("bfloat16 spot values", () => {
    expect(roundScalar(1 / 3, bfloat16)).toBe(0.333984375); // 0x3EAB
    expect(encode(1 / 3, bfloat16)).toBe(0x3eab);
    expect(decode(0x7f7f, bfloat16)).toBe(3.3895313892515355e38);
    expect(decode(0x0001, bfloat16)).toBe(2 ** -133);
    expect(roundScalar(1 + 2 ** -8, bfloat16)).toBe(1); // tie to even
  });
  it("OCP E4M3: no infinities, max 448, NaN only at S.1111.111", () => {
    expect(describeFormat(fp8e4m3).max).toBe(448);
    expect(decode(0x7e, fp8e4m3)).toBe(448);
    expect(decode(0x7f, fp8e4m3)).toBeNaN();
    expect(decode(0x78, fp8e4m3)).toBe(256); // top binade holds normals
    expect(decode(0x01, fp8e4m3)).toBe(2 ** -9);
    expect(roundScalar(464, fp8e4m3)).toBe(448); // tie between 448 and (NaN code) 480 goes to even 448
    expect(roundScalar(1e6, fp8e4m3)).toBe(448);
    expect(roundScalar(Infinity, fp8e4m3)).toBe(448);
    expect(roundScalar(1e6, float({ exponent: 4, mantissa: 3, specials: "fn", overflow: "infinity" }))).toBeNaN();
    expect(roundScalar(1 / 3, fp8e4m3)).toBe(0.34375);
  });
  it("OCP E5M2: max 57344, 61439.9 → 57344, 61440 → Infinity (gfloat's boundary values)", () => {
    expect(describeFormat(fp8e5m2).max).toBe(57344);
    expect(roundScalar(61439.9, fp8e5m2)).toBe(57344);
    expect(roundScalar(61440, fp8e5m2)).toBe(Infinity);
    expect(roundScalar(61440, float({ exponent: 5, mantissa: 2, overflow: "saturate" }))).toBe(57344);
  });
  it("binary32 rounds float64 like Math.fround", () => {
    const xs = [1 / 3, Math.PI, 1e-40, -1e-45, 3.4028235677973366e38, 1e39, 2 ** -150, 3 * 2 ** -151];
    for (const x of xs) expect(roundScalar(x, binary32)).toBe(Math.fround(x));
  });
});

describe("invalid float formats", () => {
  it.each([
    [{ exponent: 0, mantissa: 3 }, /exponent/],
    [{ exponent: 9, mantissa: 3 }, /exponent/],
    [{ exponent: 2.5, mantissa: 3 }, /exponent/],
    [{ exponent: 5, mantissa: 24 }, /mantissa/],
    [{ exponent: 5, mantissa: -1 }, /mantissa/],
    [{ exponent: 4, mantissa: 0, specials: "fn" as const }, /mantissa/],
    [{ exponent: 8, mantissa: 7, bias: 0 }, /bias/],
  ])("rejects %j", (o, msg) => {
    expect(() => float(o)).toThrow(RangeError);
    expect(() => float(o)).toThrow(msg);
  });
  it("rejects codes outside the width", () => {
    expect(() => decode(65536, binary16)).toThrow(/not an unsigned 16-bit/);
    expect(() => decode(-1, binary16)).toThrow(RangeError);
  });
});
