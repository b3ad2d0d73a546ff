import { describe, expect, it } from "vitest";
import {
  decode,
  describe as describeFormat,
  dynamicFixed,
  encode,
  fixed,
  quantize,
  roundScalar,
} from "../src/index.js";
import { TWINS } from "./twins.js";

const paper20 = fixed({ bits: 20, integerBits: 5 }); // the paper's fixed point: 1 sign + 5 integer + 14 fraction bits

describe.each(TWINS)("fixed point rounding (%s)", (_, round) => {
  it("puts the paper's 20-bit format on a 2^-14 grid and saturates at ±(32 − 2^-14)", () => {
    const max = 32 - 2 ** -14;
    expect(round([0.1, 1, -1, 31.99996, 32, 40, -40, Infinity, -Infinity], paper20)).toEqual([
      1638 / 16384,
      1,
      -1,
      max,
      max,
      max,
      -max,
      max,
      -max,
    ]); // 0.1·16384 = 1638.4 → 1638
  });
  it("resolves ties by the rounding mode (hand-computed on an 8-bit, 0-integer-bit grid of 2^-7)", () => {
    const q = fixed({ bits: 8, integerBits: 0 });
    const u = 2 ** -7,
      xs = [2.5 * u, 3.5 * u, -2.5 * u, -3.5 * u, 2.6 * u, -2.4 * u];
    expect(round(xs, q)).toEqual([2 * u, 4 * u, -2 * u, -4 * u, 3 * u, -2 * u]);
    expect(round(xs, q, { rounding: "nearest-away" })).toEqual([3 * u, 4 * u, -3 * u, -4 * u, 3 * u, -2 * u]);
    expect(round(xs, q, { rounding: "toward-zero" })).toEqual([2 * u, 3 * u, -2 * u, -3 * u, 2 * u, -2 * u]);
  });
  it("has a single zero and passes NaN through", () => {
    const got = round([-1e-9, -0, NaN], paper20);
    expect(Object.is(got[0], 0)).toBe(true);
    expect(Object.is(got[1], 0)).toBe(true);
    expect(got[2]).toBeNaN();
  });
  it("uses the group's integerBits for dynamic fixed point", () => {
    const d = dynamicFixed({ bits: 10 });
    // integerBits 2: f = 7, max = 511/128; integerBits −3: f = 12, max = 511/4096
    expect(round([1.3, 5, -5], d, { integerBits: 2 })).toEqual([166 / 128, 511 / 128, -511 / 128]); // 1.3·128 = 166.4
    expect(round([0.01, 1], d, { integerBits: -3 })).toEqual([41 / 4096, 511 / 4096]); // 0.01·4096 = 40.96
  });
});

describe("fixed point encodings", () => {
  const twosComplement =
    "uses two's complement of the total width, sign included (the paper counts the sign, the authors' NOB does not)";
  it(twosComplement, () => {
    const q4 = fixed({ bits: 4, integerBits: 1 }); // values k/4, |k| ≤ 7
    expect(describeFormat(q4).max).toBe(1.75);
    expect(encode(-1.5, q4)).toBe(0b1010);
    expect(encode(1.75, q4)).toBe(0b0111);
    expect(encode(-1.75, q4)).toBe(0b1001);
    expect(decode(0b1001, q4)).toBe(-1.75);
    expect(() => decode(0b1000, q4)).toThrow(/outside the symmetric range/);
    expect(() => encode(NaN, q4)).toThrow(/no NaN/);
    for (let c = 0; c < 16; c++) if (c !== 8) expect(encode(decode(c, q4), q4)).toBe(c);
  });
  it("describes the paper's format", () => {
    const d = describeFormat(paper20);
    expect([d.totalBits, d.max, d.minSubnormal, d.ulpAtOne]).toEqual([20, 32 - 2 ** -14, 2 ** -14, 2 ** -14]);
    expect(d.summary).toContain("1 sign, 5 integer, 14 fraction bits");
  });
});

describe("quantize statistics", () => {
  it("counts overflows at the current range and at half the range on the quantized values", () => {
    const q = fixed({ bits: 8, integerBits: 2 }); // f = 5, max = 127/32 = 3.96875, half range: |k| ≥ 63.5
    const x = new Float32Array([0.5, 1.99, 2.0, 3.96875, 3.98, -100, NaN, -1.984375, Infinity]);
    const { stats } = quantize(x, q);
    // |k|: 16, 64 (1.99·32 = 63.68), 64, 127, 127 (sat), 127 (sat), NaN, 63.5 → 64 (tie to even), 127 (Inf saturates)
    expect(stats).toEqual({ count: 9, overflow: 4, overflowHalfRange: 7, nan: 1, flushed: 0, zeros: 0, amax: 100 });
  });
  it("fills a caller's stats object and writes into a separate output", () => {
    const src = new Float64Array([1 / 3, -2]),
      out = new Float32Array(2),
      stats = { count: 0, overflow: 9, overflowHalfRange: 9, nan: 9, flushed: 9, zeros: 9, amax: 9 };
    const r = quantize(src, paper20, { out, stats });
    expect(r.out).toBe(out);
    expect(r.stats).toBe(stats);
    expect(src[0]).toBe(1 / 3);
    expect(Array.from(out)).toEqual([5461 / 16384, -2]);
    expect(stats).toEqual({ count: 2, overflow: 0, overflowHalfRange: 0, nan: 0, flushed: 0, zeros: 0, amax: 2 });
  });
  it("handles empty arrays", () => {
    expect(quantize(new Float32Array(0), paper20).stats).toEqual({
      count: 0,
      overflow: 0,
      overflowHalfRange: 0,
      nan: 0,
      flushed: 0,
      zeros: 0,
      amax: 0,
    });
  });
});

describe("invalid fixed point input", () => {
  it.each([0, 1, 33, 64, 2.5, NaN])("rejects a width of %s, naming the field", (bits) => {
    expect(() => fixed({ bits, integerBits: 0 })).toThrow(RangeError);
    expect(() => fixed({ bits, integerBits: 0 })).toThrow(/bits/);
    expect(() => dynamicFixed({ bits })).toThrow(/dynamic fixed bits/);
  });
  it("rejects more integer bits than bits", () => {
    expect(() => fixed({ bits: 8, integerBits: 8 })).toThrow(/8 integer bits do not fit in 8 bits/);
    expect(() => fixed({ bits: 8, integerBits: 1.5 })).toThrow(/integerBits/);
  });
  it("asks for the group's integerBits with dynamic fixed point", () => {
    expect(() => quantize(new Float32Array(1), dynamicFixed({ bits: 10 }))).toThrow(/needs the group's integerBits/);
    expect(() => roundScalar(1, dynamicFixed({ bits: 10 }), { integerBits: 1000 })).toThrow(/integerBits/);
  });
  it("rejects bad arrays, lengths, modes and formats", () => {
    expect(() => quantize([1, 2] as unknown as Float32Array, paper20)).toThrow(/Float32Array or Float64Array/);
    expect(() => quantize(new Float32Array(2), paper20, { out: new Float32Array(3) })).toThrow(/length 3/);
    expect(() => quantize(new Float32Array(2), paper20, { rounding: "up" as never })).toThrow(/invalid rounding "up"/);
    expect(() => quantize(new Float32Array(2), { kind: "posit" } as never)).toThrow(/invalid format/);
  });
});
