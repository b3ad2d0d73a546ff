/**
 * native == reference: bit for bit for every quantize kernel (all formats, all rounding modes, edge values,
 * the same stochastic seed) and every elementwise/layer kernel; gemm and convolution within the float32
 * accumulation bound |Δ| ≤ (k + 2) · 2^-23 · Σ|a||b| (k = length of each dot product).
 */
import { describe, expect, it } from "vitest";
import {
  binary16,
  bfloat16,
  dynamicFixed,
  fixed,
  float,
  floatMax,
  fp8e4m3,
  fp8e5m2,
  identity,
  quantize,
  type Format,
  type RoundingMode,
} from "@lowprec/formats";
import {
  convOutputSize,
  getBackend,
  nativeAvailable,
  poolOutputSize,
  setNativeBlas,
  TsBackend,
  withSimd,
  type Backend,
  type QuantizeSpec,
} from "../src/index.js";
import { loadAddon } from "../src/backends/native.js";
import { describeForBackends, firstBitDifference, randomArray, rng, SIMD } from "./helpers.js";

/** Nonzero finite inputs whose result is ±0, counted from the arrays: what stats.flushed must say. */
function flushedIn(x: Float32Array, y: Float32Array): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]) && x[i] !== 0 && y[i] === 0) n++;
  return n;
}
/** ±0 inputs: what stats.zeros must say. */
const zerosIn = (x: Float32Array): number => x.filter((v) => v === 0).length;

const available = nativeAvailable().available;
const MODES: RoundingMode[] = ["nearest-even", "nearest-away", "toward-zero", "stochastic"];

interface Case {
  format: Format;
  integerBits?: number;
  label: string;
}
const CASES: Case[] = [
  { format: binary16, label: "binary16" },
  { format: bfloat16, label: "bfloat16" },
  { format: fp8e4m3, label: "fp8e4m3" },
  { format: fp8e5m2, label: "fp8e5m2" },
  {
    format: float({ exponent: 5, mantissa: 10, subnormals: false, name: "e5m10-nosub" }),
    label: "e5m10 no subnormals",
  },
  { format: float({ exponent: 5, mantissa: 2, overflow: "saturate", name: "e5m2-sat" }), label: "e5m2 saturating" },
  {
    format: float({ exponent: 4, mantissa: 3, specials: "fn", overflow: "infinity", name: "e4m3-fn-nan" }),
    label: "e4m3fn overflow to NaN",
  },
  { format: fixed({ bits: 20, integerBits: 5 }), label: "fixed 20/5" },
  { format: fixed({ bits: 10, integerBits: 3 }), label: "fixed 10/3" },
  { format: fixed({ bits: 32, integerBits: 5 }), label: "fixed 32/5" },
  ...[-3, 0, 3, 7, 20].map((ib) => ({
    format: dynamicFixed({ bits: 10 }),
    integerBits: ib,
    label: `dynamic-fixed 10, integerBits ${ib}`,
  })),
  { format: dynamicFixed({ bits: 12 }), integerBits: 5, label: "dynamic-fixed 12/5" },
  { format: identity, label: "identity" },
];

/** Values that hit every branch: ties, ±max, beyond max, subnormals, ±0, ±Inf, NaN, and a spread of magnitudes. */
function edgeValues(c: Case, r: () => number): Float32Array {
  const v: number[] = [
    0,
    -0,
    Infinity,
    -Infinity,
    NaN,
    1e-40,
    -1e-40,
    1.4e-45,
    3.4028234663852886e38,
    -3.4028234663852886e38,
  ];
  const f = c.format;
  if (f.kind === "float") {
    const max = floatMax(f),
      t = f.mantissa,
      emin = 1 - f.bias;
    const sub = 2 ** (emin - t);
    v.push(
      max,
      -max,
      max * 1.0001,
      max * (1 + 2 ** (-t - 1)),
      max * 2,
      -max * 3,
      sub,
      -sub,
      sub / 2,
      sub * 1.5,
      sub * 2.5,
      sub / 3,
      2 ** emin,
      2 ** emin * (1 - 2 ** -t),
    );
    for (let k = 0; k < 40; k++) {
      const e = Math.floor(r() * 10) - 3;
      const m = 1 + (Math.floor(r() * 2 ** t) + 0.5) * 2 ** -t;
      v.push(m * 2 ** e, -m * 2 ** e);
    }
  } else if (f.kind === "fixed" || f.kind === "dynamic-fixed") {
    const ib = f.kind === "fixed" ? f.integerBits : c.integerBits!;
    const step = 2 ** (ib - f.bits + 1),
      max = (2 ** (f.bits - 1) - 1) * step;
    v.push(
      max,
      -max,
      max + step / 2,
      -max - step / 2,
      max * 2,
      max - step / 2,
      step / 2,
      -step / 2,
      step * 1.5,
      -step * 2.5,
      step / 4,
    );
    for (let k = 0; k < 40; k++) {
      const j = Math.floor((r() * 2 - 1) * 2 ** Math.min(f.bits - 1, 20));
      v.push((j + 0.5) * step, j * step, (j + 2 ** -20) * step, (j + 1 - 2 ** -20) * step);
    }
  }
  for (let k = 0; k < 2000; k++) v.push((r() < 0.5 ? -1 : 1) * 2 ** (r() * 60 - 30) * (1 + r()));
  const out = Float32Array.from([...v, 0, 0]);
  // NaNs with a payload and a sign (a negative quiet NaN, a signalling NaN): results must be the canonical NaN.
  new Uint32Array(out.buffer).set([0xffc00001, 0x7f800001], v.length);
  return out;
}

// Every SIMD path of the native kernels (the default one and the others, through withSimd).
for (const path of SIMD)
  describe(`parity [${path}]: native quantize == @lowprec/formats quantize, bit for bit`, () => {
    const nb = (): Backend => withSimd(path);
    for (const c of CASES)
      for (const rounding of MODES)
        it(`${c.label}, ${rounding}`, () => {
          const x = edgeValues(c, rng(c.label.length * 31 + rounding.length));
          for (const counter of [0, 2 ** 32 - 100, 2 ** 45 + 3]) {
            const want = new Float32Array(x.length),
              got = new Float32Array(x.length);
            const s1 = { seed: 1234, counter },
              s2 = { seed: 1234, counter };
            const ref = quantize(x, c.format, { rounding, integerBits: c.integerBits, rng: s1, out: want }).stats;
            const stats = nb().quantize({ x, y: got, format: c.format, rounding, integerBits: c.integerBits, rng: s2 });
            const i = firstBitDifference(want, got);
            expect(i, i < 0 ? "" : `x=${x[i]} want ${want[i]} got ${got[i]}`).toBe(-1);
            expect(stats).toEqual(ref);
            expect(ref.flushed).toBe(flushedIn(x, want));
            expect(ref.zeros).toBe(zerosIn(x));
            // every format but identity flushes some of the edge values (below half a step or a subnormal)
            if (c.format.kind !== "identity") expect(ref.flushed).toBeGreaterThan(0);
            expect(s2.counter).toBe(s1.counter);
          }
          // in place gives the same bits
          const inPlace = x.slice(),
            want = quantize(x, c.format, {
              rounding,
              integerBits: c.integerBits,
              rng: { seed: 9, counter: 0 },
              out: new Float32Array(x.length),
            }).out as Float32Array;
          nb().quantize({
            x: inPlace,
            format: c.format,
            rounding,
            integerBits: c.integerBits,
            rng: { seed: 9, counter: 0 },
          });
          expect(firstBitDifference(want, inPlace)).toBe(-1);
        });

    // binary16 with nearest-even has its own 8-lane kernel (F16C) when the CPU has it, bfloat16 one on the bits: every
    // length class (shorter than a vector, exactly one, a ragged tail, several threads), unaligned starts, in place,
    // and a sweep of float32 patterns over every sign, exponent and kept mantissa bits (binary16's top 10 of float32's
    // 23, bfloat16's top 7) with the dropped low bits at a tie, either side of it, zero and random, plus the ties of
    // the subnormal range (odd multiples of half the smallest subnormal).
    const kernels = [
      {
        format: binary16,
        low: 13,
        sweepBits: 19,
        halfSubnormal: 2 ** -25,
        // NaN inputs' counts and canonical NaN, Inf overflow counts; 2^-25 (the tie of binary16's smallest
        // subnormal 2^-24) and 1e-45 flush to zero, −3·2^-25 does not; 32751.9 rounds up to half the range (32752)
        specials: [NaN, -Infinity, 65520, -65519.99, 32752, 32751.9, 2 ** -25, -(2 ** -25) * 3, 1e-45],
        counts: [2, 1, 3, 5],
      },
      {
        format: bfloat16,
        low: 16,
        sweepBits: 16,
        halfSubnormal: 2 ** -134,
        // (2 − 2^-8)·2^127, the tie above the largest finite value (2 − 2^-7)·2^127, rounds to even: ∞
        // (counted as overflow); a float32 ulp below it rounds to the largest; half the largest, and a float32
        // ulp below the tie under it (rounds down, not counted); 2^-134 and 1e-45 flush, −3·2^-134 does not
        specials: [
          NaN,
          -Infinity,
          (2 - 2 ** -8) * 2 ** 127,
          -((2 - 2 ** -8) * 2 ** 127 - 2 ** 104),
          (2 - 2 ** -7) * 2 ** 126,
          (2 - 2 ** -7) * 2 ** 126 - 2 ** 118 - 2 ** 103,
          2 ** -134,
          -(2 ** -134) * 3,
          1e-45,
        ],
        counts: [2, 1, 3, 4],
      },
    ];
    for (const k of kernels)
      it(`${k.format.name}, nearest-even: lengths 1..100003, unaligned, in place, every exponent and tie`, () => {
        const r = rng(16);
        const format = k.format;
        const edges = edgeValues({ format, label: format.name }, r);
        const tie = 2 ** (k.low - 1),
          lowMask = 2 ** k.low - 1;
        const sweep = new Uint32Array(2 ** k.sweepBits + 2 * 4097);
        const low = [0, tie, tie - 1, tie + 1];
        for (let h = 0; h < 2 ** k.sweepBits; h++)
          sweep[h] = ((h << k.low) | (h % 5 < 4 ? low[h % 5]! : Math.floor(r() * lowMask))) >>> 0;
        const subs = new Float32Array(sweep.buffer, 2 ** k.sweepBits * 4);
        for (let j = 0; j <= 4096; j++) {
          subs[2 * j] = j * k.halfSubnormal;
          subs[2 * j + 1] = -j * k.halfSubnormal;
        }
        const subBits = new Uint32Array(sweep.buffer, 2 ** k.sweepBits * 4);
        // a float32 ulp off the tie (or off 0)
        for (let j = 0; j < subBits.length; j += 3) subBits[j] = subBits[j]! + (j % 2 === 0 ? 1 : -1);
        const pool = new Float32Array(edges.length + sweep.length);
        pool.set(edges);
        pool.set(new Float32Array(sweep.buffer), edges.length);
        const check = (x: Float32Array, what: string) => {
          const want = new Float32Array(x.length),
            got = new Float32Array(x.length);
          const ref = quantize(x, format, { rounding: "nearest-even", out: want }).stats;
          const stats = nb().quantize({ x, y: got, format, rounding: "nearest-even" });
          const i = firstBitDifference(want, got);
          expect(i, i < 0 ? "" : `${what}: x=${x[i]} want ${want[i]} got ${got[i]}`).toBe(-1);
          expect(stats, what).toEqual(ref);
          expect(ref.flushed, what).toBe(flushedIn(x, want));
          expect(ref.zeros, what).toBe(zerosIn(x));
          const inPlace = x.slice();
          expect(nb().quantize({ x: inPlace, format, rounding: "nearest-even" }), what).toEqual(ref);
          expect(firstBitDifference(want, inPlace), `${what} in place`).toBe(-1);
          return ref;
        };
        for (const len of [1, 2, 7, 8, 9, 15, 16, 17, 31, 1000, 100_003])
          for (const start of [0, 1, 3, edges.length - len, pool.length - len - 5])
            if (start >= 0) check(pool.subarray(start, start + len), `length ${len} at ${start}`);
        expect(check(pool, `the whole pool (${pool.length})`).flushed).toBeGreaterThan(0);
        // [flushed, NaN, overflows (−∞, ∞ or the largest), at or above half the range]
        const sp = check(Float32Array.from(k.specials), "specials");
        expect([sp.flushed, sp.nan, sp.overflow, sp.overflowHalfRange]).toEqual(k.counts);
      });

    it("binary16, nearest-even fused into a kernel (scale) equals the reference quantize", () => {
      const r = rng(17),
        n = 100_003;
      const x = Float32Array.from({ length: n }, () => (r() < 0.5 ? -1 : 1) * 2 ** (r() * 50 - 30) * (1 + r()));
      x[5] = NaN;
      x[n - 1] = Infinity;
      x[n - 2] = 65520 * 3;
      const q = { format: binary16, rounding: "nearest-even" as const };
      const want = new Float32Array(n),
        got = new Float32Array(n);
      const ref = TsBackend.scale({ alpha: 1 / 3, x, y: want, quantize: q });
      const st = nb().scale({ alpha: 1 / 3, x, y: got, quantize: q });
      expect(firstBitDifference(want, got)).toBe(-1);
      expect(st).toEqual(ref);
    });

    it("a large array splits across threads with the same bits and stats (stochastic)", () => {
      const x = randomArray(300_001, rng(5), 40);
      const q = { format: fixed({ bits: 10, integerBits: 3 }), rounding: "stochastic" as const };
      const want = new Float32Array(x.length),
        got = new Float32Array(x.length);
      const ref = TsBackend.quantize({ x, y: want, ...q, rng: { seed: 3, counter: 11 } });
      const st = nb().quantize({ x, y: got, ...q, rng: { seed: 3, counter: 11 } });
      expect(firstBitDifference(want, got)).toBe(-1);
      expect(st).toEqual(ref);
      expect(st.flushed).toBe(flushedIn(x, want));
      expect(st.flushed).toBeGreaterThan(0);
    });
  });

/** Max over elements of |got − want| / bound; must be ≤ 1. */
function boundRatio(got: Float32Array, want: Float32Array, absRef: Float32Array, k: number): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const bound = (k + 2) * 2 ** -23 * absRef[i]! + 1e-30;
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / bound);
  }
  return worst;
}
const abs = (a: Float32Array) => a.map(Math.abs);

describe.skipIf(!available)("parity: native gemm and conv within the float32 bound", () => {
  for (const blas of [true, false])
    it(`gemm on random shapes (incl. 0, 1, odd), all transposes, alpha/beta [${blas ? "BLAS" : "own kernel"}]`, () => {
      setNativeBlas(blas);
      const r = rng(blas ? 1 : 2);
      const dims = [
        [1, 1, 1],
        [0, 3, 2],
        [3, 0, 2],
        [3, 2, 0],
        [7, 5, 3],
        [33, 17, 65],
        [4, 1030, 9],
        [129, 70, 300],
        [5, 600, 257],
      ];
      for (const [m, n, k] of dims as [number, number, number][])
        for (const transA of [false, true])
          for (const transB of [false, true]) {
            const a = randomArray(m * k, r),
              b = randomArray(k * n, r),
              c0 = randomArray(m * n, r);
            const alpha = 0.75,
              beta = transA ? 0.5 : 0;
            const want = c0.slice(),
              got = c0.slice(),
              absRef = new Float32Array(m * n);
            TsBackend.gemm({ m, n, k, a, b, c: want, transA, transB, alpha, beta });
            getBackend("native").gemm({ m, n, k, a, b, c: got, transA, transB, alpha, beta });
            TsBackend.gemm({ m, n, k, a: abs(a), b: abs(b), c: absRef, transA, transB });
            for (let i = 0; i < absRef.length; i++) absRef[i] = absRef[i]! + Math.abs(c0[i]!);
            expect(boundRatio(got, want, absRef, k), `${m}x${n}x${k} ${transA} ${transB}`).toBeLessThanOrEqual(1);
          }
      setNativeBlas(true);
    });

  it("conv forward, backward data, backward filter on random geometries (padding, stride, 1x1, batch 0)", () => {
    const r = rng(7);
    const geos = [
      [2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1],
      [0, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1],
      [3, 2, 9, 8, 5, 5, 5, 2, 2, 2, 2],
      [2, 4, 6, 7, 6, 1, 1, 0, 0, 1, 1],
      [1, 3, 11, 5, 2, 4, 2, 3, 0, 3, 1],
      [2, 16, 8, 8, 8, 5, 5, 2, 2, 1, 1],
    ];
    for (const g of geos) {
      const [batch, inChannels, height, width, outChannels, kernelH, kernelW, padH, padW, strideH, strideW] =
        g as number[] as [number, number, number, number, number, number, number, number, number, number, number];
      const s = { batch, inChannels, height, width, outChannels, kernelH, kernelW, padH, padW, strideH, strideW };
      const oh = convOutputSize(height, kernelH, padH, strideH),
        ow = convOutputSize(width, kernelW, padW, strideW);
      const x = randomArray(batch * inChannels * height * width, r),
        w = randomArray(outChannels * inChannels * kernelH * kernelW, r);
      const dy = randomArray(batch * outChannels * oh * ow, r);
      const K = inChannels * kernelH * kernelW;
      const y1 = new Float32Array(dy.length),
        y2 = new Float32Array(dy.length),
        ya = new Float32Array(dy.length);
      TsBackend.conv2dForward({ ...s, x, w, y: y1 });
      getBackend("native").conv2dForward({ ...s, x, w, y: y2 });
      TsBackend.conv2dForward({ ...s, x: abs(x), w: abs(w), y: ya });
      expect(boundRatio(y2, y1, ya, K), `forward ${g}`).toBeLessThanOrEqual(1);
      const d1 = new Float32Array(x.length),
        d2 = new Float32Array(x.length),
        da = new Float32Array(x.length);
      TsBackend.conv2dBackwardData({ ...s, dy, w, dx: d1 });
      getBackend("native").conv2dBackwardData({ ...s, dy, w, dx: d2 });
      TsBackend.conv2dBackwardData({ ...s, dy: abs(dy), w: abs(w), dx: da });
      expect(boundRatio(d2, d1, da, outChannels * kernelH * kernelW), `data ${g}`).toBeLessThanOrEqual(1);
      const w0 = randomArray(w.length, r),
        f1 = w0.slice(),
        f2 = w0.slice(),
        fa = new Float32Array(w.length);
      TsBackend.conv2dBackwardFilter({ ...s, x, dy, dw: f1, beta: 0.5 });
      getBackend("native").conv2dBackwardFilter({ ...s, x, dy, dw: f2, beta: 0.5 });
      TsBackend.conv2dBackwardFilter({ ...s, x: abs(x), dy: abs(dy), dw: fa });
      for (let i = 0; i < fa.length; i++) fa[i] = fa[i]! + Math.abs(w0[i]!);
      expect(boundRatio(f2, f1, fa, batch * oh * ow), `filter ${g}`).toBeLessThanOrEqual(1);
    }
  });

  it("conv forward fused with stochastic quantize equals conv then one quantize pass", () => {
    const s = {
      batch: 3,
      inChannels: 2,
      height: 5,
      width: 5,
      outChannels: 4,
      kernelH: 3,
      kernelW: 3,
      padH: 1,
      padW: 1,
      strideH: 1,
      strideW: 1,
    };
    const r = rng(8),
      x = randomArray(3 * 2 * 25, r),
      w = randomArray(4 * 2 * 9, r);
    const q = { format: dynamicFixed({ bits: 8 }), integerBits: 1, rounding: "stochastic" as const };
    const y1 = new Float32Array(3 * 4 * 25),
      y2 = new Float32Array(y1.length);
    getBackend("native").conv2dForward({ ...s, x, w, y: y1 });
    const want = quantize(y1, q.format, { ...q, rng: { seed: 4, counter: 100 } }).stats;
    const st = getBackend("native").conv2dForward({
      ...s,
      x,
      w,
      y: y2,
      quantize: { ...q, rng: { seed: 4, counter: 100 } },
    });
    expect(firstBitDifference(y1, y2)).toBe(-1);
    expect(st).toEqual(want);
  });
});

for (const path of SIMD)
  describe(`parity [${path}]: native layer, elementwise kernels == reference, bit for bit, fused quantize`, () => {
    const nb = (): Backend => withSimd(path);
    const spec = (): QuantizeSpec => ({
      format: fixed({ bits: 10, integerBits: 2 }),
      rounding: "stochastic",
      rng: { seed: 21, counter: 2 ** 32 - 7 },
    });
    const both = (
      run: (be: Backend, q: QuantizeSpec) => unknown,
      outs: () => (Float32Array | Int32Array | Uint8Array)[],
    ) => {
      const q1 = spec(),
        q2 = spec();
      const o1 = outs(),
        r1 = run(TsBackend, q1);
      const snap = o1.map((a) => a.slice());
      const o2 = outs(),
        r2 = run(nb(), q2);
      for (let i = 0; i < snap.length; i++) {
        const a = snap[i]!,
          b = o2[i]!;
        if (a instanceof Float32Array) expect(firstBitDifference(a, b as Float32Array), `output ${i}`).toBe(-1);
        else expect([...b]).toEqual([...a]);
      }
      expect(r2).toEqual(r1);
      expect(q2.rng!.counter).toBe(q1.rng!.counter);
    };
    // Values on a coarse grid, so maxout and pooling see ties.
    const grid = (n: number, r: () => number) =>
      Float32Array.from({ length: n }, () => Math.round((r() * 2 - 1) * 4) / 4);

    for (const [N, U, K, S] of [
      [3, 5, 2, 7],
      [1, 1, 1, 1],
      [0, 4, 3, 2],
      [4, 7, 5, 1],
      [2, 64, 2, 33],
    ] as [number, number, number, number][])
      it(`maxout forward/backward, bias add/grad on ${N}×${U}×${K}×${S}`, () => {
        const r = rng(N * 100 + U),
          x = grid(N * U * K * S, r),
          dy = randomArray(N * U * S, r),
          bias = randomArray(U * K, r);
        let y = new Float32Array(0),
          arg = new Int32Array(0),
          dx = new Float32Array(0);
        both(
          (be, q) => be.maxoutForward({ batch: N, units: U, pieces: K, spatial: S, x, y, argmax: arg, quantize: q }),
          () => [(y = new Float32Array(N * U * S)), (arg = new Int32Array(N * U * S))],
        );
        for (const ties of ["all", "first"] as const)
          both(
            (be, q) =>
              be.maxoutBackward({
                batch: N,
                units: U,
                pieces: K,
                spatial: S,
                x,
                argmax: arg,
                dy,
                dx,
                ties,
                quantize: q,
              }),
            () => [(dx = new Float32Array(x.length))],
          );
        both(
          (be, q) => be.biasAdd({ batch: N, channels: U * K, spatial: S, x, bias, y: dx, quantize: q }),
          () => [(dx = new Float32Array(x.length))],
        );
        let db = new Float32Array(0);
        both(
          (be, q) => be.biasGrad({ batch: N, channels: U * K, spatial: S, dy: x, db, quantize: q }),
          () => [(db = new Float32Array(U * K))],
        );
      });

    for (const [N, C, H, W, size, stride] of [
      [2, 3, 7, 9, 3, 2],
      [1, 1, 1, 1, 3, 2],
      [1, 2, 4, 4, 2, 2],
      [0, 2, 5, 5, 3, 2],
      [3, 4, 10, 10, 4, 2],
      [1, 1, 6, 5, 1, 3],
      [2, 2, 8, 8, 3, 1],
    ] as number[][])
      it(`max pool forward/backward (both tie rules) on ${N}×${C}×${H}×${W}, ${size}/${stride}`, () => {
        const r = rng(H * 7 + W),
          x = grid(N! * C! * H! * W!, r);
        const oh = poolOutputSize(H!, size!, stride!),
          ow = poolOutputSize(W!, size!, stride!);
        const shape = { batch: N!, channels: C!, height: H!, width: W!, size: size!, stride: stride! };
        let y = new Float32Array(0),
          arg = new Int32Array(0),
          dx = new Float32Array(0);
        const dy = randomArray(N! * C! * oh * ow, r);
        both(
          (be, q) => be.maxPoolForward({ ...shape, x, y, argmax: arg, quantize: q }),
          () => [(y = new Float32Array(dy.length)), (arg = new Int32Array(dy.length))],
        );
        for (const ties of ["all", "first"] as const)
          both(
            (be, q) => be.maxPoolBackward({ ...shape, x, argmax: arg, dy, dx, ties, quantize: q }),
            () => [(dx = new Float32Array(x.length))],
          );
      });

    it("softmax backward, dropout, masks, norms, scale columns, axpby, scale, add", () => {
      const r = rng(99),
        n = 12_345;
      const probs = randomArray(64 * 10, r).map(Math.abs),
        labels = Int32Array.from({ length: 64 }, () => Math.floor(r() * 10));
      let out = new Float32Array(0);
      both(
        (be, q) =>
          be.softmaxCrossEntropyBackward({
            batch: 64,
            classes: 10,
            probs,
            labels,
            dlogits: out,
            scale: 0.1,
            quantize: q,
          }),
        () => [(out = new Float32Array(640))],
      );
      let mask = new Uint8Array(0);
      both(
        (be) => be.dropoutMask({ mask, keepProb: 0.5, rng: { seed: 3, counter: 2 ** 32 - 50 } }),
        () => [(mask = new Uint8Array(n))],
      );
      const x = randomArray(n, r, 3),
        y0 = randomArray(n, r, 3);
      both(
        (be) => be.applyMask({ x, mask, y: out }),
        () => [(out = new Float32Array(n))],
      );
      both(
        (be) => be.columnNorms({ rows: 123, cols: 100, w: x.subarray(0, 12_300), norms: out }),
        () => [(out = new Float32Array(100))],
      );
      both(
        (be, q) =>
          be.scaleColumns({
            rows: 123,
            cols: 100,
            w: x.subarray(0, 12_300),
            factors: y0.subarray(0, 100),
            y: out,
            quantize: q,
          }),
        () => [(out = new Float32Array(12_300))],
      );
      both(
        (be, q) => be.axpby({ alpha: 0.7, x, beta: -0.01, y: out, quantize: q }),
        () => [(out = y0.slice())],
      );
      both(
        (be, q) => be.scale({ alpha: 1 / 3, x, y: out, quantize: q }),
        () => [(out = new Float32Array(n))],
      );
      both(
        (be, q) => be.add({ a: x, b: y0, y: out, quantize: q }),
        () => [(out = new Float32Array(n))],
      );
    });

    it("softmax forward: probabilities within 2 float32 ulps, loss within 1e-12 relative, same errors", () => {
      const r = rng(5),
        logits = randomArray(128 * 10, r, 8),
        labels = Int32Array.from({ length: 128 }, () => Math.floor(r() * 10));
      const p1 = new Float32Array(1280),
        p2 = new Float32Array(1280);
      const a = TsBackend.softmaxCrossEntropyForward({ batch: 128, classes: 10, logits, labels, probs: p1 });
      const b = nb().softmaxCrossEntropyForward({ batch: 128, classes: 10, logits, labels, probs: p2 });
      for (let i = 0; i < p1.length; i++) expect(Math.abs(p1[i]! - p2[i]!)).toBeLessThanOrEqual(2 * 2 ** -23 * p1[i]!);
      expect(Math.abs(a.loss - b.loss)).toBeLessThanOrEqual(1e-12 * a.loss);
      expect(b.errors).toBe(a.errors);
    });
  });

describe.skipIf(!available)("native addon checks every length itself (no out-of-bounds access)", () => {
  it("throws on short arrays, bad dims and bad labels passed straight to the addon", () => {
    const addon = loadAddon();
    const F = (n: number) => new Float32Array(n);
    expect(() => addon.gemm(false, false, 4, 4, 4, 1, F(15), F(16), 0, F(16), null, null)).toThrow(
      /invalid argument. gemm: a has length 15, expected 16/,
    );
    expect(() => addon.gemm(false, false, 4, 4, 4, 1, F(16), F(16), 0, F(15), null, null)).toThrow(/c has length 15/);
    expect(() => addon.gemm(false, false, -1, 4, 4, 1, F(0), F(16), 0, F(0), null, null)).toThrow(
      /m must be an integer/,
    );
    expect(() =>
      addon.conv2dForward(Int32Array.of(1, 1, 3, 3, 1, 2, 2, 0, 0, 1, 1, 3, 3), F(9), F(4), F(9), null, null),
    ).toThrow(/output size/);
    expect(() =>
      addon.conv2dForward(Int32Array.of(1, 1, 3, 3, 1, 2, 2, 0, 0, 1, 1, 2, 2), F(8), F(4), F(4), null, null),
    ).toThrow(/x has length 8/);
    expect(() =>
      addon.maxPoolBackward(1, 1, 3, 3, 2, 2, F(9), Int32Array.of(0, 99, 0, 0), F(4), F(9), true, null, null),
    ).toThrow(/outside its window/);
    expect(() => addon.maxoutBackward(1, 1, 2, 1, F(2), Int32Array.of(-1), F(1), F(2), true, null, null)).toThrow(
      /outside/,
    );
    expect(() => addon.softmaxCrossEntropyBackward(1, 3, F(3), Int32Array.of(3), F(3), 1, null, null)).toThrow(
      /labels\[0\]/,
    );
    expect(() => addon.quantize(F(4), F(3), new Float64Array(12).fill(2), new Float64Array(7))).toThrow(
      /y has length 3/,
    );
    expect(() => addon.quantize(F(4), F(4), new Float64Array(12).fill(2), new Float64Array(5))).toThrow(
      /quantize stats has length 5, expected 7/,
    );
    expect(() => addon.applyMask(F(4), new Uint8Array(3), F(4))).toThrow(/mask has length 3/);
  });
});

describe.skipIf(!available)("a kernel missing from the addon", () => {
  it("throws naming the kernel and the backend", async () => {
    const { createNativeBackend } = await import("../src/backends/native.js");
    const addon = loadAddon();
    const be = createNativeBackend({ ...addon, gemm: undefined } as unknown as typeof addon);
    expect(() =>
      be.gemm({ m: 1, n: 1, k: 1, a: Float32Array.of(1), b: Float32Array.of(1), c: new Float32Array(1) }),
    ).toThrow(/kernel gemm is not implemented by the native backend/);
    expect(be.info.name).toBe("native");
  });
});

describeForBackends("bfloat16 nearest-even, hand-computed, across 4096-value chunks", (be) => {
  it("a chunk with a value rounding up to half the range and a NaN among chunks of small values", () => {
    // 2 · 4096 + 3 values of 0.25 (exact) but: [0] 1 + 2^−8, a tie of 1 (0x3f80, even) and 0x3f81: 1;
    // [1] −(1 + 3 · 2^−8), a tie of 0x3f81 and 0x3f82 (even): −(1 + 2^−6); [2] −0 stays −0 (a zero, not flushed);
    // [3] 2^−140 (a float32 subnormal below half of bfloat16's smallest subnormal 2^−133): flushed to +0;
    // [5000] bits 0x7efe8001, a float32 ulp above the tie 0x7efe8000 under 0x7eff0000 = half the largest
    // bfloat16: rounds up to it (counted in half, not overflow); [8194] NaN: the canonical NaN, counted.
    const n = 2 * 4096 + 3;
    const x = new Float32Array(n).fill(0.25),
      xu = new Uint32Array(x.buffer);
    x[0] = 1 + 2 ** -8;
    x[1] = -(1 + 3 * 2 ** -8);
    x[2] = -0;
    x[3] = 2 ** -140;
    xu[5000] = 0x7efe8001;
    x[8194] = Number.NaN;
    const want = new Float32Array(n).fill(0.25),
      wu = new Uint32Array(want.buffer);
    want[0] = 1;
    want[1] = -(1 + 2 ** -6);
    want[2] = -0;
    want[3] = 0;
    wu[5000] = 0x7eff0000;
    wu[8194] = 0x7fc00000;
    const y = new Float32Array(n);
    const st = be().quantize({ x, y, format: bfloat16 });
    expect(firstBitDifference(want, y)).toBe(-1);
    expect(st).toEqual({
      count: n,
      overflow: 0,
      overflowHalfRange: 1,
      nan: 1,
      flushed: 1,
      zeros: 1,
      amax: new Float32Array(new Uint32Array([0x7efe8001]).buffer)[0],
    });
  });
});
