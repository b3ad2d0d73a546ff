// MX blocks worked by hand: the shared scale, the elements' rounding and codes, the specials, the E8M0 range, and
// stochastic rounding; through both the definition (mxScaleCode, roundMx) and the array pass (quantizeMx).
import { describe, expect, it } from "vitest";
import {
  binary16,
  decodeE8M0,
  decodeMx,
  describeMx,
  dynamicFixed,
  e8m0Exponent,
  encodeE8M0,
  encodeMx,
  fixed,
  fp8e5m2,
  mx,
  MX_ELEMENTS,
  MX_PRESETS,
  mxElementEmax,
  quantize,
  quantizeMx,
  type MxFormat,
  type RoundingMode,
} from "../src/index.js";
import { mxArray, mxScalar } from "./mx-twins.js";

const P = (name: string): MxFormat => MX_PRESETS[name]!;
const fp4 = (block: number) => mx(MX_ELEMENTS.fp4e2m1, { block });

describe("E8M0 scale codes", () => {
  it("code c is 2^(c − 127); 255 is NaN; there is no zero", () => {
    expect([decodeE8M0(0), decodeE8M0(1), decodeE8M0(127), decodeE8M0(128), decodeE8M0(254)]).toEqual([
      2 ** -127,
      2 ** -126,
      1,
      2,
      2 ** 127,
    ]);
    expect(decodeE8M0(255)).toBeNaN();
    expect([encodeE8M0(-127), encodeE8M0(0), encodeE8M0(127), encodeE8M0(NaN)]).toEqual([0, 127, 254, 255]);
    expect([e8m0Exponent(124), e8m0Exponent(255)]).toEqual([-3, NaN]);
  });
  it("refuses what it cannot hold, naming the value", () => {
    expect(() => encodeE8M0(128)).toThrow("invalid E8M0 exponent: expected an integer in [-127, 127], got 128");
    expect(() => encodeE8M0(0.5)).toThrow(/got 0.5/);
    expect(() => decodeE8M0(256)).toThrow("invalid E8M0 code: expected an integer in [0, 255], got 256");
  });
});

describe("MX formats", () => {
  it("emax_elem is the exponent of each element type's largest power of two", () => {
    const emax = Object.values(MX_PRESETS).map((f) => [f.name, mxElementEmax(f.element)]);
    expect(Object.fromEntries(emax)).toEqual({
      mxfp8e4m3: 8,
      mxfp8e5m2: 15,
      mxfp6e3m2: 4,
      mxfp6e2m3: 2,
      mxfp4e2m1: 2,
      mxint8: 0,
    });
  });
  it("blocks of 32 by default, any block size from 1; bits per element count the shared scale", () => {
    expect(Object.values(MX_PRESETS).map((f) => f.block)).toEqual([32, 32, 32, 32, 32, 32]);
    expect(Object.values(MX_PRESETS).map((f) => describeMx(f).bitsPerElement)).toEqual([
      8.25, 8.25, 6.25, 6.25, 4.25, 8.25,
    ]);
    expect(mx(MX_ELEMENTS.int8, { block: 1 }).block).toBe(1);
    expect(describeMx(fp4(16)).bitsPerElement).toBe(4.5);
  });
  it("refuses a bad element or block size, naming it", () => {
    expect(() => mx(MX_ELEMENTS.fp4e2m1, { block: 0 })).toThrow(
      "invalid mx block size: expected an integer in [1, 1048576], got 0",
    );
    expect(() => mx(MX_ELEMENTS.fp4e2m1, { block: 2.5 })).toThrow(/got 2.5/);
    expect(() => mx(fp8e5m2)).toThrow(
      "invalid mx element fp8e5m2: the MX conversion saturates at the element's largest value (OCP MX 1.0 §6.3);" +
        ' give it with overflow "saturate" (as MX_ELEMENTS.fp8e5m2)',
    );
    expect(() => mx(binary16)).toThrow("invalid mx element binary16: 16 bits, an MX element has at most 8");
    // beyond the spec: fixed point elements up to 16 bits quantize, but have no OCP codes
    const int12 = mx(fixed({ bits: 12, integerBits: 1 }), { name: "mxint12" });
    expect(Array.from(quantizeMx(Float32Array.of(1 + 2 ** -10, 0.5 + 2 ** -12), int12).out)).toEqual([
      1 + 2 ** -10,
      0.5,
    ]);
    expect(() => encodeMx([1], int12)).toThrow(
      "encodeMx: mxint12 has 12-bit elements: OCP MX codes have at most 8 bits",
    );
    expect(() => mx(fixed({ bits: 17, integerBits: 1 }))).toThrow(/17 bits, .*a fixed point one: 16/);
    // @ts-expect-error: dynamic fixed point has no static grid, so it is no element type
    expect(() => mx(dynamicFixed({ bits: 8 }))).toThrow(
      "invalid mx element: expected a float or a fixed point format, got dfxp8 (dynamic-fixed)",
    );
  });
  it("is no element-wise format: quantize refuses it", () => {
    // @ts-expect-error: an MX format is not a Format
    expect(() => quantize(new Float32Array(2), P("mxfp4e2m1"))).toThrow(/invalid format/);
  });
});

describe.each([
  ["definition", mxScalar],
  ["quantizeMx", mxArray],
] as const)("MX blocks by hand (%s)", (_, run) => {
  it("FP4: mixed magnitudes, exact ties to even, saturation and flushes, with their codes", () => {
    // max 6.5: floor(log2) = 2, emax 2, X = 2^0. 0.1 → 0 (below 0.25); 0.25, a tie of 0 and 0.5 → 0 (even code);
    // 0.75, a tie of 0.5 and 1 → 1; −1.3 → −1.5; 2.5, a tie of 2 and 3 → 2; 5, a tie of 4 and 6 → 4; −6.5 → −6
    // (saturated); 3.9 → 4
    const x = [0.1, 0.25, 0.75, -1.3, 2.5, 5, -6.5, 3.9];
    const r = run(x, fp4(8));
    expect(r.values).toEqual([0, 0, 1, -1.5, 2, 4, -6, 4]);
    expect([r.scales, r.overflow, r.flushed]).toEqual([[127], [1], [2]]);
    expect(Array.from(encodeMx(x, fp4(8)).elements)).toEqual([
      0b0000, 0b0000, 0b0010, 0b1011, 0b0100, 0b0110, 0b1111, 0b0110,
    ]);
    // the same block 2^-20 smaller: the same elements under the scale 2^-20 (code 107)
    const small = run(
      x.map((v) => v * 2 ** -20),
      fp4(8),
    );
    expect(small.values).toEqual([0, 0, 1, -1.5, 2, 4, -6, 4].map((v) => v * 2 ** -20));
    expect(small.scales).toEqual([107]);
  });
  it("FP8 E4M3: a tie below the smallest subnormal flushes, 500 saturates at 448, 448 itself does not", () => {
    // max 500: floor(log2) = 8 = emax, X = 1. 0.3 = 1.2·2^-2 → 1.25·2^-2; 2^-10 is half of 2^-9: a tie → 0
    const x = [1, 0.3, -500, 2 ** -10, 448];
    const r = run(x, P("mxfp8e4m3"));
    expect(r.values).toEqual([1, 0.3125, -448, 0, 448]);
    expect([r.scales, r.overflow, r.flushed]).toEqual([[127], [1], [1]]);
    expect(Array.from(encodeMx(x, P("mxfp8e4m3")).elements)).toEqual([
      0x38, 0b0_0101_010, 0b1_1111_110, 0, 0b0_1111_110,
    ]);
  });
  it("FP8 E4M3 and INT8: exact ties round to the even code", () => {
    // E4M3, X = 1 (max 256 = 2^8): 1.0625 lies between 1 (0x38) and 1.125 (0x39) → 0x38; 1.1875 between 0x39 and
    // 1.25 (0x3A) → 0x3A
    const e4 = encodeMx([256, 1.0625, 1.1875, -1.0625], P("mxfp8e4m3"));
    expect([Array.from(e4.scales), Array.from(e4.elements)]).toEqual([[127], [0x78, 0x38, 0x3a, 0xb8]]);
    expect(run([256, 1.0625, 1.1875, -1.0625], P("mxfp8e4m3")).values).toEqual([256, 1, 1.25, -1]);
    // INT8, X = 1 (max 1): 0.5/64 → 0, 1.5/64 → 2/64, 2.5/64 → 2/64, −2.5/64 → −2/64 (code 0xFE)
    const x = [1, 0.5 / 64, 1.5 / 64, 2.5 / 64, -2.5 / 64];
    expect(run(x, P("mxint8")).values).toEqual([1, 0, 2 / 64, 2 / 64, -2 / 64]);
    expect(Array.from(encodeMx(x, P("mxint8")).elements)).toEqual([0x40, 0, 2, 2, 0xfe]);
  });
  it("a NaN in a block makes its scale NaN and all its values NaN; the next block is not touched", () => {
    const r = run([1, NaN, 2, 3, 1, 2, 3, 4], mx(MX_ELEMENTS.fp6e2m3, { block: 4 }));
    expect(r.values).toEqual([NaN, NaN, NaN, NaN, 1, 2, 3, 4]);
    expect([r.scales, r.overflow, r.flushed]).toEqual([
      [255, 127],
      [0, 0],
      [0, 0],
    ]);
    const e2m3 = mx(MX_ELEMENTS.fp6e2m3, { block: 4 });
    expect(Array.from(decodeMx(encodeMx([1, NaN, 2, 3], e2m3), e2m3))).toEqual([NaN, NaN, NaN, NaN]);
  });
  it("±Infinity makes the block NaN too (its maximum, so its scale, is not finite), even in E5M2", () => {
    for (const f of [P("mxfp8e5m2"), P("mxint8"), fp4(32)]) {
      const r = run([1, -Infinity, 0.5, 1, Infinity], mx(f.element, { block: 2 }));
      expect(r.values).toEqual([NaN, NaN, 0.5, 1, NaN]);
      expect(r.scales).toEqual([255, 127 + 0 - mxElementEmax(f.element), 255]);
    }
  });
  it("an all-zero block takes the scale of float32's smallest normal, and stays zeros (signs kept by floats)", () => {
    const fp = run([0, -0, 0, 0], mx(MX_ELEMENTS.fp8e4m3, { block: 4 }));
    expect(fp.values).toEqual([0, -0, 0, 0]);
    expect([fp.scales, fp.flushed]).toEqual([[0], [0]]); // 2^max(−126 − 8, −127) = 2^-127
    const int = run([0, -0, 0, 0], mx(MX_ELEMENTS.int8, { block: 4 }));
    expect(int.values).toEqual([0, 0, 0, 0]); // two's complement has one zero
    expect(int.scales).toEqual([1]); // 2^(−126 − 0)
  });
  it("E8M0's largest scale: INT8 up to 2^127 · 1.98 in float32; beyond 2^127 in float64 the scale is NaN", () => {
    // max 1.5·2^127: floor(log2) = 127 − emax 0 → code 254; 1.5 exact; 2^120 / 2^127 = 2^-7, a tie of 0 and 2^-6 → 0
    const r = run([1.5 * 2 ** 127, 2 ** 120, -(2 ** 126)], mx(MX_ELEMENTS.int8, { block: 3 }), { f64: false });
    expect(r.values).toEqual([1.5 * 2 ** 127, 0, -(2 ** 126)]);
    expect([r.scales, r.flushed]).toEqual([[254], [1]]);
    // E4M3 needs a float64 maximum of 2^135 for 2^127; at 2^136 the scale would be 2^128: NaN
    const e4 = mx(MX_ELEMENTS.fp8e4m3, { block: 2 });
    const top = run([2 ** 135, 3 * 2 ** 131, 2 ** 136, 1], e4);
    expect(top.values).toEqual([2 ** 135, 3 * 2 ** 131, NaN, NaN]);
    expect(top.scales).toEqual([254, 255]);
  });
  it("E8M0's smallest scale: below 2^-127 the scale is clamped and the block's tiny values flush", () => {
    // max 2^-120: floor(log2) − 8 = −128, clamped to −127 (code 0): 2^-120 / 2^-127 = 128 exactly;
    // 2^-137 / 2^-127 = 2^-10, half of E4M3's 2^-9: a tie → 0; 3·2^-138 → 0.75·2^-9 → 2^-9, so 2^-136
    const r = run([2 ** -120, 2 ** -137, 3 * 2 ** -138], mx(MX_ELEMENTS.fp8e4m3, { block: 3 }), { f64: false });
    expect(r.values).toEqual([2 ** -120, 0, 2 ** -136]);
    expect([r.scales, r.flushed]).toEqual([[0], [1]]);
    // exactly at the edge, no clamp: 2^-119 → 2^-127
    expect(run([2 ** -119], P("mxfp8e4m3")).scales).toEqual([0]);
    expect(run([2 ** -118], P("mxfp8e4m3")).scales).toEqual([1]);
  });
  it("a short last block gets its own scale", () => {
    const r = run([4, 1, 0.5, 0.5], fp4(3));
    expect([r.values, r.scales]).toEqual([
      [4, 1, 0.5, 0.5],
      [127, 124],
    ]);
  });
});

describe("stochastic rounding of MX elements", () => {
  it("is unbiased: FP4's 1.3 comes back as 1 or 1.5, its mean error within 5 standard errors of 0", () => {
    const blocks = 4000,
      k = 32;
    const x = new Float32Array(blocks * k).map((_, i) => (i % k === 0 ? 4 : 1.3)); // 4 sets X = 1
    const { stats } = quantizeMx(x, fp4(k), { rounding: "stochastic", rng: { seed: 21, counter: 0 } });
    let sum = 0,
      n = 0,
      others = 0;
    x.forEach((v, i) => {
      if (i % k === 0) return;
      if (v !== 1 && v !== 1.5) others++;
      sum += v - Math.fround(1.3);
      n++;
    });
    expect(others).toBe(0);
    expect(stats.overflow).toBe(0);
    const p = (Math.fround(1.3) - 1) / 0.5; // probability of rounding up
    const se = (0.5 * Math.sqrt(p * (1 - p))) / Math.sqrt(n);
    expect(Math.abs(sum / n)).toBeLessThan(5 * se);
  });
  it("draws value i from position counter + i, as quantize does, and advances the counter", () => {
    const x = new Float64Array(100).map((_, i) => Math.sin(i) * 3);
    const a = mxArray(Array.from(x), fp4(7), { rounding: "stochastic", seed: 5 });
    const s = mxScalar(Array.from(x), fp4(7), { rounding: "stochastic", seed: 5 });
    expect(a).toEqual(s);
    const rng = { seed: 5, counter: 0 };
    quantizeMx(Float64Array.from(x), fp4(7), { rounding: "stochastic", rng });
    expect(rng.counter).toBe(100);
    expect(() => quantizeMx(x, fp4(7), { rounding: "stochastic" })).toThrow(/quantizeMx: stochastic rounding needs/);
  });
});

describe("a block's values decide its scale, not their order", () => {
  const rand = (seed: number) => () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  it("permuting values within a block permutes their quantized values, nothing else", () => {
    const r = rand(3);
    for (const f of Object.values(MX_PRESETS))
      for (const rounding of ["nearest-even", "nearest-away", "toward-zero"] as RoundingMode[]) {
        const x = Array.from({ length: 32 }, () => (r() - 0.5) * 2 ** Math.floor(r() * 20 - 10));
        const perm = x.map((_, i) => i).sort(() => r() - 0.5);
        const a = mxArray(x, f, { rounding }),
          b = mxArray(
            perm.map((i) => x[i]!),
            f,
            { rounding },
          );
        expect(b.scales).toEqual(a.scales);
        expect(b.values).toEqual(perm.map((i) => a.values[i]));
        expect([b.overflow, b.flushed]).toEqual([a.overflow, a.flushed]);
      }
  });
  it("moving a large value into another block raises that block's scale and lowers its own", () => {
    const x = [100, 0.3, -0.7, 0.01, 0.2, -0.4, 0.9, 0.05];
    const before = mxArray(x, fp4(4));
    const moved = [0.2, 0.3, -0.7, 0.01, 100, -0.4, 0.9, 0.05]; // 100 swapped with the second block's 0.2
    const after = mxArray(moved, fp4(4));
    // before: maxima 100 (2^(6 − 2)) and 0.9 (2^(−1 − 2)); after: 0.7 (2^(−1 − 2)) and 100 (2^(6 − 2))
    expect(before.scales).toEqual([131, 124]);
    expect(after.scales).toEqual([124, 131]);
    // under 2^4 the second block's small values flush (−0.4, 0.9 and 0.05 are below 4, half of 0.5 · 2^4)
    expect(after.values.slice(4)).toEqual([96, -0, 0, 0]);
    expect(before.values.slice(4)).toEqual([0.1875, -0.375, 0.75, 0.0625]);
  });
});
