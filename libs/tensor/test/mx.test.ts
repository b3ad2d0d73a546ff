/**
 * The quantizeMx kernel: hand-computed blocks on every backend (facts of OCP MX 1.0 §6.3 and the element grids,
 * worked out below), then native == @lowprec/formats' quantizeMx bit for bit (values, scale codes, stats, the
 * stream's counter) on every MX preset, block sizes 32, 16, 7 and 1 with a ragged last block, every rounding mode, on
 * every SIMD path; and the messages for bad arguments.
 */
import { describe, expect, it } from "vitest";
import {
  MX_ELEMENTS,
  MX_PRESETS,
  emptyMxStats,
  mx,
  quantizeMx,
  randomBits,
  type MxFormat,
  type MxQuantizeStats,
  type RoundingMode,
} from "@lowprec/formats";
import { nativeAvailable, ShapeError, TsBackend, withSimd, type Backend } from "../src/index.js";
import { loadAddon } from "../src/backends/native.js";
import { describeForBackends, firstBitDifference, rng, SIMD } from "./helpers.js";

const MODES: RoundingMode[] = ["nearest-even", "nearest-away", "toward-zero", "stochastic"];
const F = (...v: number[]): Float32Array => Float32Array.from(v);
const bitsOf = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const stats = (s: Partial<MxQuantizeStats>): MxQuantizeStats => ({ ...emptyMxStats(), ...s });

describeForBackends("quantizeMx, hand-computed blocks", (be) => {
  it("MXFP4 (E2M1: 0, 0.5, 1, 1.5, 2, 3, 4, 6): scale from the maximum, saturation, flush, −0", () => {
    // block 1: max 7, floor(log2 7) = 2 = emax of E2M1, so X = 2^0 (code 127); 0.1 < 0.25 flushes to 0; −0.3 is
    // nearer 0.5 than 0; 7 saturates to 6; 2.6 lies between 2 and 3, nearer 3 (E2M1's step in [2, 4) is 1).
    // block 2: max 0.75, floor(log2) = −1, X = 2^−3 (code 124): 0.75 / X = 6 exactly, −0.2 / X = −1.6 → −1.5,
    // −0.01 / X = −0.08 → −0 (flushed, sign kept); 0 stays 0.
    const x = F(0.1, -0.3, 7, 2.6, 0.75, -0.2, -0.01, 0);
    const y = new Float32Array(8),
      scales = new Uint8Array(2);
    const st = be().quantizeMx({ x, y, format: mx(MX_ELEMENTS.fp4e2m1, { block: 4 }), scales });
    expect(Array.from(scales)).toEqual([127, 124]);
    expect(bitsOf(y)).toEqual(bitsOf(F(0, -0.5, 6, 3, 0.75, -0.1875, -0, 0)));
    expect(Object.is(y[6], -0)).toBe(true);
    expect(st).toEqual(stats({ count: 8, blocks: 2, overflow: 1, flushed: 2, zeros: 1, amax: 7 }));
  });

  it("MXFP8 E4M3 (max 448, smallest subnormal 2^−9) and the ragged last block", () => {
    // block of 3: max 1000, floor(log2) = 9, emax 8: X = 2 (code 128). 1000 / 2 = 500 > 448 saturates: 896;
    // 1 / 2 = 0.5 is exact: 1; 0.001 / 2 = 0.0005 < 2^−10 (half the smallest subnormal): flushed.
    // last block, alone: 3 → floor(log2 3) = 1, X = 2^−7 (code 120); 3 · 2^7 = 384 = 1.5 · 2^8 exact.
    const x = F(1000, 1, 0.001, 3);
    const y = new Float32Array(4),
      scales = new Uint8Array(2);
    const st = be().quantizeMx({ x, y, format: mx(MX_ELEMENTS.fp8e4m3, { block: 3 }), scales });
    expect(Array.from(scales)).toEqual([128, 120]);
    expect(Array.from(y)).toEqual([896, 1, 0, 3]);
    expect(st).toEqual(stats({ count: 4, blocks: 2, overflow: 1, flushed: 1, amax: 1000 }));
  });

  it("MXFP8 E4M3, full blocks of 32 (the kernels' common case): ties, subnormal elements, saturation, ±0", () => {
    // max fround(1.9): floor(log2) = 0, emax 8: X = 2^−8 (code 119). In X's units: 1 → 256, 0.875 → 224 exact;
    // 0.53125 → 136, a tie of 128 (1.000 · 2^7) and 144 (1.001 · 2^7), to the even 128: 0.5; 0.59375 → 152, a tie of
    // 144 and 160 (1.010 · 2^7): 160, 0.625; 0.515625 → 132 → 128: 0.5. Subnormal elements (step 2^−9, 2^−17 in x):
    // 3 · 2^−18 → 1.5 · 2^−9, a tie of 2^−9 (001) and 2^−8 (010): 2^−16; ±2^−18 → 2^−10, half the smallest
    // subnormal, a tie to the even 0: flushed (−0 keeps its sign); 2^−130 (a float32 subnormal) flushed too.
    // fround(1.9) → 486.4, 1.8 → 460.8, 1.76 → 450.56: each above 448, counted, saturated to 448 (1.75).
    // ±0 stay. The 14 others: 0.25 → 64 exact.
    const head = [1.9, 1, 0.875, 0.53125, 0.59375, 0.515625, 3 * 2 ** -18, 2 ** -18, -(2 ** -18), 2 ** -130, 1.8];
    const tail = [-1.76, 0, -0, -0.25, 0.25, 0.25, 0.25];
    const v = [...head, ...tail, ...Array.from({ length: 14 }, () => 0.25)];
    const want = [1.75, 1, 0.875, 0.5, 0.625, 0.5, 2 ** -16, 0, -0, 0, 1.75, -1.75, 0, -0, -0.25, 0.25, 0.25, 0.25];
    const w = [...want, ...Array.from({ length: 14 }, () => 0.25)];
    expect(v.length).toBe(32);
    const format = mx(MX_ELEMENTS.fp8e4m3, { block: 32 });
    const one = stats({ count: 32, blocks: 1, overflow: 3, flushed: 3, zeros: 2, amax: Math.fround(1.9) });
    // flat
    const y = new Float32Array(32),
      scales = new Uint8Array(1);
    expect(be().quantizeMx({ x: F(...v), y, format, scales })).toEqual(one);
    expect(bitsOf(y)).toEqual(bitsOf(F(...w)));
    expect(Array.from(scales)).toEqual([119]);
    // two lines: the block, and the block times 2^10 (X = 2^2, code 129; every result times 2^10)
    const two = { ...one, count: 64, blocks: 2, overflow: 6, flushed: 6, zeros: 4, amax: Math.fround(1.9) * 1024 };
    const rows = F(...v, ...v.map((a) => a * 1024)),
      rowsWant = F(...w, ...w.map((a) => a * 1024));
    const y2 = new Float32Array(64),
      s2 = new Uint8Array(2);
    expect(
      be().quantizeMx({ x: rows, y: y2, format, scales: s2, matrix: { rows: 2, cols: 32, along: "rows" } }),
    ).toEqual(two);
    expect(bitsOf(y2)).toEqual(bitsOf(rowsWant));
    expect(Array.from(s2)).toEqual([119, 129]);
    // the same lines as the columns of a 32 × 2 matrix
    const cols = new Float32Array(64),
      colsWant = new Float32Array(64);
    for (let r = 0; r < 32; r++)
      for (let c = 0; c < 2; c++) {
        cols[r * 2 + c] = rows[c * 32 + r]!;
        colsWant[r * 2 + c] = rowsWant[c * 32 + r]!;
      }
    const y3 = new Float32Array(64),
      s3 = new Uint8Array(2);
    expect(
      be().quantizeMx({ x: cols, y: y3, format, scales: s3, matrix: { rows: 32, cols: 2, along: "columns" } }),
    ).toEqual(two);
    expect(bitsOf(y3)).toEqual(bitsOf(colsWant));
    expect(Array.from(s3)).toEqual([119, 129]);
  });

  it("MXINT8 (k / 64, |k| ≤ 127): rounding modes on a tie, a single +0", () => {
    // max 1: X = 1 (code 127, emax 0). −0.3 · 64 = −19.2 → −19; 0.5 + 3 · 2^−7 = 33.5 / 64: a tie, to the even 34
    // (nearest-even), 34 (away), 33 (toward zero); −0 becomes +0.
    const x = F(1, -0.3, 0.5 + 3 * 2 ** -7, -0);
    const want: Record<string, number[]> = {
      "nearest-even": [1, -19 / 64, 34 / 64, 0],
      "nearest-away": [1, -19 / 64, 34 / 64, 0],
      "toward-zero": [1, -19 / 64, 33 / 64, 0],
    };
    for (const rounding of ["nearest-even", "nearest-away", "toward-zero"] as const) {
      const y = new Float32Array(4),
        scales = new Uint8Array(1);
      be().quantizeMx({ x, y, format: MX_PRESETS.mxint8!, rounding, scales });
      expect(Array.from(scales)).toEqual([127]);
      expect(bitsOf(y)).toEqual(bitsOf(F(...want[rounding]!)));
    }
  });

  it("stochastic: up exactly when the draw at counter + i is below frac · 2^32", () => {
    // MXINT8, one block of 32 with max 1 (X = 1): 3/128 · 64 = 1.5, so element i rounds to 2/64 when
    // randomBits(seed, counter + i) < 2^31, else to 1/64; 1 is exact whatever the draw. The draws cross 2^32.
    const n = 32,
      x = new Float32Array(n).fill(3 / 128);
    x[0] = 1;
    const r = { seed: 77, counter: 2 ** 32 - 20 };
    const y = new Float32Array(n);
    be().quantizeMx({ x, y, format: MX_PRESETS.mxint8!, rounding: "stochastic", rng: r });
    expect(r.counter).toBe(2 ** 32 - 20 + n);
    const want = Array.from(x, (_, i) => (i === 0 ? 1 : randomBits(77, 2 ** 32 - 20 + i) < 2 ** 31 ? 2 / 64 : 1 / 64));
    expect(Array.from(y)).toEqual(want);
    expect(new Set(want.slice(1)).size).toBe(2);
  });

  it("NaN and ±Infinity make their block NaN (code 255); an all-zero block; the E8M0 clamp at 2^−127", () => {
    // blocks of 2: [1, NaN] and [Inf, 2] are NaN blocks; [0, −0]: the maximum counts as 2^−126, s = −126 − 2 →
    // clamped to −127 (code 0); [2^−149, 2^−140] (float32 subnormals): s = −140 − 2 < −127 → code 0, and
    // 2^−140 / 2^−127 = 2^−13 < 0.25 flushes (both flushed); [2^127 · 1.5, 1]: s = 127 − 2 (code 252), 1.5 · 2^127
    // / 2^125 = 6 exactly, 1 / 2^125 flushes.
    const x = F(1, NaN, Infinity, 2, 0, -0, 2 ** -149, 2 ** -140, 1.5 * 2 ** 127, 1);
    const y = new Float32Array(10),
      scales = new Uint8Array(5);
    const st = be().quantizeMx({ x, y, format: mx(MX_ELEMENTS.fp4e2m1, { block: 2 }), scales });
    expect(Array.from(scales)).toEqual([255, 255, 0, 0, 252]);
    expect(bitsOf(y).slice(0, 4)).toEqual([0x7fc00000, 0x7fc00000, 0x7fc00000, 0x7fc00000]);
    expect(bitsOf(y).slice(4)).toEqual(bitsOf(F(0, -0, 0, 0, 1.5 * 2 ** 127, 0)));
    expect(st).toEqual(
      stats({ count: 10, blocks: 5, nanBlocks: 2, nan: 1, flushed: 3, zeros: 2, amax: 1.5 * 2 ** 127 }),
    );
    // INT8: the all-zero block's scale is 2^−126 (code 1), −126 − emax 0 needs no clamp
    const s8 = new Uint8Array(1);
    be().quantizeMx({ x: F(0, -0), y: new Float32Array(2), format: MX_PRESETS.mxint8!, scales: s8 });
    expect(Array.from(s8)).toEqual([1]);
    // E5M2 (emax 15, subnormals down to 2^−16): 2^−140 / 2^−127 = 2^−13 is kept, so the value survives
    const y5 = new Float32Array(1);
    be().quantizeMx({ x: F(2 ** -140), y: y5, format: MX_PRESETS.mxfp8e5m2! });
    expect(y5[0]).toBe(2 ** -140);
  });

  it("in place by default; an empty input", () => {
    const x = F(7, 0.3);
    be().quantizeMx({ x, format: MX_PRESETS.mxfp4e2m1! });
    expect(Array.from(x)).toEqual([6, 0.5]); // X = 1: 7 saturates, 0.3 is nearer E2M1's 0.5 than 0
    const st = be().quantizeMx({ x: new Float32Array(0), format: MX_PRESETS.mxfp4e2m1!, scales: new Uint8Array(0) });
    expect(st).toEqual(emptyMxStats());
  });

  it("bad arguments throw a ShapeError naming the kernel and the argument", () => {
    const x = new Float32Array(40);
    const format = MX_PRESETS.mxfp8e4m3!;
    expect(() => be().quantizeMx({ x, format, scales: new Uint8Array(1) })).toThrow(
      /quantizeMx: scales has length 1, expected 2 = ⌈n \/ block⌉ = ⌈40 \/ 32⌉/,
    );
    expect(() => be().quantizeMx({ x, y: new Float32Array(3), format })).toThrow(/quantizeMx: y has length 3/);
    const notMx = MX_ELEMENTS.fp8e4m3 as unknown as MxFormat;
    expect(() => be().quantizeMx({ x, format: notMx })).toThrow(ShapeError);
    expect(() => be().quantizeMx({ x, format: notMx })).toThrow(/quantizeMx: format must be an MX format/);
    const bad = { ...format, block: 0 };
    expect(() => be().quantizeMx({ x, format: bad })).toThrow(/block must be an integer in \[1, 2\^20\], got 0/);
    expect(() => be().quantizeMx({ x, format, rounding: "stochastic" })).toThrow(/quantizeMx: .*rng/);
  });
});

/**
 * Blocks of k values that meet every case: random signs and magnitudes over 2^±40, NaN (with payloads), ±Infinity,
 * all-zero blocks, float32 subnormals and values below 2^−127 · 2^emax (the E8M0 clamp), values near float32's
 * largest, exact ties of the element grids, then a ragged last block of ⌈k/2⌉ values.
 */
function mxData(k: number, seed: number): Float32Array {
  const r = rng(seed);
  const v: number[] = [];
  const block = (f: (j: number) => number): void => {
    for (let j = 0; j < k; j++) v.push(f(j));
  };
  const sign = (): number => (r() < 0.5 ? -1 : 1);
  for (let b = 0; b < 12; b++) block(() => sign() * 2 ** (r() * 80 - 40) * (1 + r()));
  for (let b = 0; b < 6; b++) block(() => sign() * 2 ** (r() * 8 - 4) * (1 + r()));
  block((j) => (j === k >> 1 ? NaN : r()));
  block((j) => (j === k - 1 ? Infinity : r()));
  block((j) => (j === 0 ? -Infinity : -r()));
  block((j) => (j % 2 === 0 ? 0 : -0));
  // subnormals; 2^−149 flushes in every element type (2^−149 / 2^−127 = 2^−22)
  block((j) => sign() * 2 ** -149 * (j === 0 ? 1 : Math.floor(1 + r() * 2 ** 22)));
  block(() => sign() * 2 ** (-125 - r() * 20) * (1 + r())); // the clamp
  block(() => sign() * 2 ** 127 * (1 + r() * 0.999)); // near float32's largest
  // quotients x / 2^s far below float32's normals (2^−100 / 2^(100 − emax)): exact only in float64
  block((j) => (j === 0 ? 2 ** 100 : sign() * 2 ** -(100 + r() * 49) * (1 + r())));
  block((j) => (j === 0 ? 1.999 : sign() * r())); // above every element's largest value once scaled: saturates
  block((j) => sign() * (j === 0 ? 1 : 2 ** -Math.floor(r() * 12) * (1 + Math.floor(r() * 16) / 16 + 1 / 32)));
  block((j) => (j % 3 === 0 ? 0 : sign() * 2 ** (r() * 40 - 20)));
  for (let j = 0; j < Math.ceil(k / 2); j++) v.push(sign() * 2 ** (r() * 10 - 5));
  const out = Float32Array.from(v);
  // NaNs with a sign and a payload: the results must be the canonical NaN
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i])) u[i] = i % 2 === 0 ? 0xffc00001 : 0x7f800001;
  return out;
}

/** rows × cols values of mxData's kinds: its blocks for seeds rows·31 + cols, +1, … laid end to end. */
function mxMatrixData(k: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let at = 0, seed = rows * 31 + cols; at < out.length; seed++) {
    const d = mxData(k, seed).subarray(0, out.length - at);
    out.set(d, at);
    at += d.length;
  }
  return out;
}

const PRESETS = Object.values(MX_PRESETS);
const BLOCKS = [32, 16, 7, 1];

function parity(nb: () => Backend, format: MxFormat, rounding: RoundingMode): void {
  const x = mxData(format.block, format.name.length * 7 + format.block + rounding.length);
  for (const counter of [0, 2 ** 32 - 50]) {
    const s1 = { seed: 99, counter },
      s2 = { seed: 99, counter };
    const want = new Float32Array(x.length),
      got = new Float32Array(x.length);
    const ref = quantizeMx(x, format, { rounding, rng: s1, out: want });
    const scales = new Uint8Array(ref.scales.length);
    const st = nb().quantizeMx({ x, y: got, format, rounding, rng: s2, scales });
    const i = firstBitDifference(want, got);
    expect(i, i < 0 ? "" : `i=${i} x=${x[i]} want ${want[i]} got ${got[i]}`).toBe(-1);
    expect(Array.from(scales)).toEqual(Array.from(ref.scales));
    expect(st).toEqual(ref.stats);
    expect(s2.counter).toBe(s1.counter);
    // the data meets the cases it is made for
    expect(ref.stats.nanBlocks).toBe(3);
    expect(ref.stats.flushed).toBeGreaterThan(0);
    expect(ref.stats.overflow).toBeGreaterThan(0);
    expect(Array.from(ref.scales)).toContain(0);
  }
  // in place gives the same bits
  const inPlace = x.slice(),
    want = quantizeMx(x, format, { rounding, rng: { seed: 5, counter: 0 }, out: new Float32Array(x.length) }).out;
  nb().quantizeMx({ x: inPlace, format, rounding, rng: { seed: 5, counter: 0 } });
  expect(firstBitDifference(want as Float32Array, inPlace)).toBe(-1);
}

describe("parity [ts]: the ts kernel is formats' quantizeMx", () => {
  for (const rounding of MODES) it(rounding, () => parity(() => TsBackend, MX_PRESETS.mxfp6e2m3!, rounding));
});

for (const path of SIMD)
  describe(`parity [${path}]: native quantizeMx == @lowprec/formats quantizeMx, bit for bit`, () => {
    for (const preset of PRESETS)
      for (const block of BLOCKS)
        for (const rounding of MODES) {
          const format = mx(preset.element, { block, name: `${preset.name}-${block}` });
          it(`${format.name}, ${rounding}`, () => parity(() => withSimd(path), format, rounding));
        }

    it("large arrays (the thread pool's split) and blocks longer than one 4096-element chunk", () => {
      const r = rng(3);
      const x = Float32Array.from({ length: 200_003 }, () => (r() - 0.5) * 2 ** (r() * 30 - 15));
      for (const format of [MX_PRESETS.mxfp4e2m1!, mx(MX_ELEMENTS.int8, { block: 10_000 })])
        for (const rounding of ["nearest-even", "stochastic"] as const) {
          const ref = quantizeMx(x, format, {
            rounding,
            rng: { seed: 8, counter: 1 },
            out: new Float32Array(x.length),
          });
          const got = new Float32Array(x.length),
            scales = new Uint8Array(ref.scales.length);
          const st = withSimd(path).quantizeMx({ x, y: got, format, rounding, rng: { seed: 8, counter: 1 }, scales });
          expect(firstBitDifference(ref.out as Float32Array, got)).toBe(-1);
          expect(Array.from(scales)).toEqual(Array.from(ref.scales));
          expect(st).toEqual(ref.stats);
        }
    });
  });

describe.skipIf(!nativeAvailable().available)("the addon's quantizeMx checks its arguments itself", () => {
  it("throws on a short y, a wrong scales length, a bad block or element, a short stats array", () => {
    const addon = loadAddon();
    const F = (n: number) => new Float32Array(n);
    // E2M1 as quantize params: [kind float, mode, seed, counter, bits, frac, t 1, emin 0, max 6, flush, saturate, ieee]
    const q = Float64Array.of(3, 0, 0, 0, 0, 0, 1, 0, 6, 0, 1, 0);
    const st = new Float64Array(8);
    expect(() => addon.quantizeMx(F(4), F(3), q, 2, 2, null, st, 0, 0, 0)).toThrow(
      /invalid argument. quantizeMx: y has length 3/,
    );
    expect(() => addon.quantizeMx(F(5), F(5), q, 2, 2, new Uint8Array(2), st, 0, 0, 0)).toThrow(
      /scales has length 2, expected 3/,
    );
    expect(() => addon.quantizeMx(F(4), F(4), q, 0, 2, null, st, 0, 0, 0)).toThrow(
      /block must be an integer in \[1, 2\^20\]/,
    );
    expect(() => addon.quantizeMx(F(4), F(4), q, 2, 200, null, st, 0, 0, 0)).toThrow(
      /emax must be an integer in \[0, 127\]/,
    );
    const identity = Float64Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(() => addon.quantizeMx(F(4), F(4), identity, 2, 2, null, st, 0, 0, 0)).toThrow(
      /the element must be fixed or float/,
    );
    expect(() => addon.quantizeMx(F(4), F(4), q, 2, 2, null, new Float64Array(7), 0, 0, 0)).toThrow(
      /stats has length 7, expected 8/,
    );
    expect(() => addon.quantizeMx(F(4), F(4), q, 2, 2, null, st, 2, 2, 3)).toThrow(/along must be 0, 1 or 2/);
    expect(() => addon.quantizeMx(F(4), F(4), q, 2, 2, null, st, 3, 2, 1)).toThrow(/rows · cols must be the length/);
    // and a valid call: E2M1 blocks of 2, [7, 1 | 0.3, 0]: scales 2^(2 − 2) and 2^(−2 − 2); 7 saturates to 6, and
    // 0.3 · 2^4 = 4.8 lies between E2M1's 4 and 6, nearer 4: 4 · 2^−4 = 0.25
    const y = F(4),
      scales = new Uint8Array(2);
    addon.quantizeMx(Float32Array.of(7, 1, 0.3, 0), y, q, 2, 2, scales, st, 0, 0, 0);
    expect(Array.from(scales)).toEqual([127, 123]);
    expect(Array.from(y)).toEqual([6, 1, 0.25, 0]);
    expect(Array.from(st)).toEqual([4, 2, 0, 0, 1, 0, 1, Math.fround(7)]);
    // the same values as a 2 × 2 matrix in blocks down its columns, (7, 0.3) and (1, 0): scales 2^(2 − 2) and
    // 2^(0 − 2); 0.3 / 1 lies above 0.25, halfway between E2M1's 0 and 0.5: 0.5; 1 / 2^−2 = 4 is exact
    addon.quantizeMx(Float32Array.of(7, 1, 0.3, 0), y, q, 2, 2, scales, st, 2, 2, 2);
    expect(Array.from(scales)).toEqual([127, 125]);
    expect(Array.from(y)).toEqual([6, 1, 0.5, 0]);
  });
});

/**
 * `matrix`: blocks along the rows or down the columns. The reference is the definition itself, written with
 * formats' flat quantizeMx on each row, or on each column copied out (element (r, c) of a column pass drawing at
 * counter + c·rows + r): no code of the kernel's.
 */
function byLines(
  x: Float32Array,
  rows: number,
  cols: number,
  along: "rows" | "columns",
  format: MxFormat,
  rounding: RoundingMode,
  counter: number,
): { y: Float32Array; scales: number[]; stats: MxQuantizeStats } {
  const y = new Float32Array(x.length),
    scales: number[] = [],
    stats = emptyMxStats();
  const [lines, len] = along === "rows" ? [rows, cols] : [cols, rows];
  const at = (l: number, j: number): number => (along === "rows" ? l * cols + j : j * cols + l);
  for (let l = 0; l < lines; l++) {
    const line = Float32Array.from({ length: len }, (_, j) => x[at(l, j)]!);
    const r = quantizeMx(line, format, { rounding, rng: { seed: 3, counter: counter + l * len } });
    for (let j = 0; j < len; j++) y[at(l, j)] = r.out[j]!;
    scales.push(...r.scales);
    for (const key of ["count", "blocks", "nanBlocks", "nan", "overflow", "flushed", "zeros"] as const)
      stats[key] += r.stats[key];
    stats.amax = Math.max(stats.amax, r.stats.amax);
  }
  return { y, scales, stats };
}

describeForBackends("quantizeMx over a matrix: blocks along the rows or down the columns", (be) => {
  const cases: [number, number, number][] = [
    [5, 70, 32], // ragged rows: 32 + 32 + 6 per row
    [70, 5, 32], // ragged columns
    [8, 48, 16], // rows a multiple of the block (one flat pass)
    [3, 9, 4],
    // the native column pass runs 64 columns at a time (a vector lane each): columns over several such groups and
    // a ragged last group, ragged bands of rows, NaN blocks in some lanes only
    [40, 150, 16],
    [33, 64, 32],
  ];
  for (const [rows, cols, k] of cases)
    for (const along of ["rows", "columns"] as const)
      it(`${rows} × ${cols}, block ${k}, along the ${along}: each line quantized on its own, every mode`, () => {
        const x = mxMatrixData(k, rows, cols);
        expect(x.length).toBe(rows * cols);
        const elements = [MX_ELEMENTS.fp6e2m3, MX_ELEMENTS.int8, MX_ELEMENTS.fp8e4m3];
        for (const format of elements.map((e) => mx(e, { block: k })))
          for (const rounding of MODES) {
            const want = byLines(x, rows, cols, along, format, rounding, 1000);
            const s = { seed: 3, counter: 1000 };
            const y = new Float32Array(x.length),
              scales = new Uint8Array(want.scales.length);
            const st = be().quantizeMx({ x, y, format, rounding, rng: s, scales, matrix: { rows, cols, along } });
            const i = firstBitDifference(want.y, y);
            expect(i, i < 0 ? "" : `i=${i} x=${x[i]} want ${want.y[i]} got ${y[i]}`).toBe(-1);
            expect(Array.from(scales)).toEqual(want.scales);
            expect(st).toEqual(want.stats);
            expect(s.counter).toBe(rounding === "stochastic" ? 1000 + rows * cols : 1000);
          }
        // in place gives the same bits
        const format = mx(MX_ELEMENTS.fp6e2m3, { block: k });
        const inPlace = x.slice();
        be().quantizeMx({ x: inPlace, format, matrix: { rows, cols, along } });
        expect(firstBitDifference(byLines(x, rows, cols, along, format, "nearest-even", 0).y, inPlace)).toBe(-1);
      });

  it("a block's scale comes from its own line: one large value moves only its row's (or column's) block", () => {
    // 2 × 4, blocks of 4, E2M1 (emax 2). Row 0 holds 8: its scale is 2^(3 − 2) = 2 and 0.25 / 2 = 0.125 flushes;
    // row 1's largest is 1: scale 2^−2, so its 0.25 is exactly E2M1's 1.
    const x = F(8, 0.25, 0.5, 1, 1, 0.25, 0.5, 1);
    const y = new Float32Array(8);
    const scales = new Uint8Array(2);
    const format = mx(MX_ELEMENTS.fp4e2m1, { block: 4 });
    be().quantizeMx({ x, y, format, scales, matrix: { rows: 2, cols: 4, along: "rows" } });
    expect(Array.from(scales)).toEqual([128, 125]);
    expect(Array.from(y)).toEqual([8, 0, 0, 1, 1, 0.25, 0.5, 1]); // 0.5 / 2 = 0.25: a tie, to the even 0; 1 / 2 = 0.5
    // down the columns (4 blocks of 2): column 0 is (8, 1): scale 2, 1 / 2 = 0.5 is exact; column 1 (0.25, 0.25)
    const sc = new Uint8Array(4);
    be().quantizeMx({ x, y, format, scales: sc, matrix: { rows: 2, cols: 4, along: "columns" } });
    expect(Array.from(sc)).toEqual([128, 123, 124, 125]);
    expect(Array.from(y)).toEqual(Array.from(x));
  });

  it("bad layouts throw a ShapeError naming the field", () => {
    const x = new Float32Array(12),
      format = MX_PRESETS.mxfp8e4m3!;
    expect(() => be().quantizeMx({ x, format, matrix: { rows: 5, cols: 2, along: "rows" } })).toThrow(
      /quantizeMx: matrix 5 × 2 holds 10 values, x has 12/,
    );
    expect(() => be().quantizeMx({ x, format, matrix: { rows: 1.5, cols: 8, along: "rows" } })).toThrow(
      /matrix.rows must be an integer ≥ 0, got 1.5/,
    );
    const along = "diagonal" as "rows";
    expect(() => be().quantizeMx({ x, format, matrix: { rows: 3, cols: 4, along } })).toThrow(
      /matrix.along must be "rows" or "columns", got "diagonal"/,
    );
    expect(() =>
      be().quantizeMx({ x, format, scales: new Uint8Array(3), matrix: { rows: 3, cols: 4, along: "columns" } }),
    ).toThrow(/scales has length 3, expected 4 = 4 × ⌈3 \/ 32⌉ \(blocks along the columns\)/);
  });
});
