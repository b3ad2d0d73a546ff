/**
 * The native fast paths of convolution and max pooling against hand-computed values and the TypeScript
 * reference: the oneDNN convolutions (when the addon is built with oneDNN) and the im2col + gemm path next to
 * them, within the float32 accumulation bound |Δ| ≤ (k + 2) · 2^-23 · Σ|a||b|; the vectorised pooling kernels
 * bit for bit (NaN, ±0, ties, clipped ceil-mode windows, windows wider than the stride and with gaps, rows past
 * the register-sized fast path); the dropout mask against randomBits at its exact threshold.
 */
import { afterAll, describe, expect, it } from "vitest";
import { dynamicFixed, quantize, randomBits } from "@lowprec/formats";
import {
  convOutputSize,
  getBackend,
  nativeAvailable,
  poolOutputSize,
  TsBackend,
  withSimd,
  type Backend,
  type Conv2dShape,
  type MaxPoolShape,
} from "../src/index.js";
import { loadAddon } from "../src/backends/native.js";
import { firstBitDifference, randomArray, rng, SIMD } from "./helpers.js";

const available = nativeAvailable().available;
const addon = available ? loadAddon() : undefined;
const built = addon?.info().dnnl === true;
/** The conv paths of this build: oneDNN (when built with it) and im2col + gemm. */
const PATHS: ("onednn" | "im2col")[] = built ? ["onednn", "im2col"] : ["im2col"];
const usePath = (p: "onednn" | "im2col") => addon?.useDnnl?.(p === "onednn");
const dnnlRuns = () => addon?.info().dnnlConvs ?? 0;
const nb = () => getBackend("native");
const abs = (a: Float32Array) => a.map(Math.abs);

/** Max over elements of |got − want| / bound; must be ≤ 1. */
function boundRatio(got: Float32Array, want: Float32Array, absRef: Float32Array, k: number): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const bound = (k + 2) * 2 ** -23 * absRef[i]! + 1e-30;
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / bound);
  }
  return worst;
}

type Geo = [number, number, number, number, number, number, number, number, number, number, number];
const shapeOf = (g: Geo): Conv2dShape => {
  const [batch, inChannels, height, width, outChannels, kernelH, kernelW, padH, padW, strideH, strideW] = g;
  return { batch, inChannels, height, width, outChannels, kernelH, kernelW, padH, padW, strideH, strideW };
};

describe.skipIf(!available)("native convolution paths", () => {
  afterAll(() => usePath("onednn"));

  it("backendInfo tells which conv path is active", () => {
    usePath("im2col");
    expect(nb().info.conv).toBe("im2col");
    usePath("onednn");
    expect(nb().info.conv).toBe(built ? "onednn" : "im2col");
  });

  for (const path of PATHS) {
    it(`[${path}] all-ones input and filter give the count of taps inside the image (exact)`, () => {
      usePath(path);
      // 2 images, 17 channels (not a multiple of 8 or 16), 4×4, 5 filters 3×3, padding 1, stride 1.
      const s = shapeOf([2, 17, 4, 4, 5, 3, 3, 1, 1, 1, 1]);
      const ones = (n: number) => new Float32Array(n).fill(1);
      // taps inside a 4-wide axis for output i: 2 at the edges, 3 inside
      const taps = [2, 3, 3, 2];
      const before = dnnlRuns();
      const y = new Float32Array(2 * 5 * 16);
      nb().conv2dForward({ ...s, x: ones(2 * 17 * 16), w: ones(5 * 17 * 9), y });
      for (let i = 0; i < y.length; i++) {
        const r = Math.floor((i % 16) / 4),
          c = i % 4;
        expect(y[i], `y[${i}]`).toBe(17 * taps[r]! * taps[c]!);
      }
      // backward data: dx[c][h][w] = filters × (outputs whose window covers (h, w)), the same 2/3/3/2 pattern
      const dx = new Float32Array(2 * 17 * 16);
      nb().conv2dBackwardData({ ...s, dy: ones(2 * 5 * 16), w: ones(5 * 17 * 9), dx });
      for (let i = 0; i < dx.length; i++) {
        const r = Math.floor((i % 16) / 4),
          c = i % 4;
        expect(dx[i], `dx[${i}]`).toBe(5 * taps[r]! * taps[c]!);
      }
      // backward filter: dw[o][c][kh][kw] = batch × (outputs whose tap (kh, kw) falls inside): 3 or 4 per axis
      const dw = new Float32Array(5 * 17 * 9);
      nb().conv2dBackwardFilter({ ...s, x: ones(2 * 17 * 16), dy: ones(2 * 5 * 16), dw });
      const hits = [3, 4, 3];
      for (let i = 0; i < dw.length; i++) {
        const kh = Math.floor((i % 9) / 3),
          kw = i % 3;
        expect(dw[i], `dw[${i}]`).toBe(2 * hits[kh]! * hits[kw]!);
      }
      // all three ran on oneDNN when it is the active path (17 ≥ 16 input channels: backward data too)
      expect(dnnlRuns() - before).toBe(path === "onednn" ? 3 : 0);
    });

    it(`[${path}] random geometries against the reference within the float32 bound`, () => {
      usePath(path);
      const r = rng(path === "onednn" ? 31 : 32);
      const geos: Geo[] = [
        [1, 17, 9, 7, 5, 3, 3, 1, 1, 1, 1], // batch 1, odd channel counts
        [2, 20, 8, 8, 33, 5, 5, 2, 2, 1, 1], // channels not multiples of 8/16
        [3, 16, 11, 10, 24, 4, 2, 3, 0, 3, 1], // kernel larger than the stride, unequal strides and padding
        [2, 1, 28, 28, 12, 8, 8, 0, 0, 1, 1], // one input channel (the MNIST first layer, smaller)
        [2, 3, 12, 12, 8, 5, 5, 2, 2, 2, 2], // three input channels, stride 2
        [1, 24, 5, 5, 8, 1, 1, 0, 0, 1, 1], // 1×1 kernel
        [2, 18, 4, 4, 10, 5, 5, 3, 3, 1, 1], // kernel larger than the image (MNIST third layer, smaller)
        [1, 16, 6, 6, 4, 2, 2, 3, 3, 2, 2], // padding larger than the kernel: border outputs see only zeros
        [0, 16, 5, 5, 8, 3, 3, 1, 1, 1, 1], // batch 0
      ];
      for (const g of geos) {
        const s = shapeOf(g);
        const oh = convOutputSize(s.height, s.kernelH, s.padH, s.strideH),
          ow = convOutputSize(s.width, s.kernelW, s.padW, s.strideW);
        const x = randomArray(s.batch * s.inChannels * s.height * s.width, r),
          w = randomArray(s.outChannels * s.inChannels * s.kernelH * s.kernelW, r),
          dy = randomArray(s.batch * s.outChannels * oh * ow, r);
        const K = s.inChannels * s.kernelH * s.kernelW;
        const before = dnnlRuns();
        const y1 = new Float32Array(dy.length),
          y2 = new Float32Array(dy.length).fill(Number.NaN),
          ya = new Float32Array(dy.length);
        TsBackend.conv2dForward({ ...s, x, w, y: y1 });
        nb().conv2dForward({ ...s, x, w, y: y2 });
        TsBackend.conv2dForward({ ...s, x: abs(x), w: abs(w), y: ya });
        expect(boundRatio(y2, y1, ya, K), `forward ${g}`).toBeLessThanOrEqual(1);
        const d1 = new Float32Array(x.length),
          d2 = new Float32Array(x.length).fill(Number.NaN),
          da = new Float32Array(x.length);
        TsBackend.conv2dBackwardData({ ...s, dy, w, dx: d1 });
        nb().conv2dBackwardData({ ...s, dy, w, dx: d2 });
        TsBackend.conv2dBackwardData({ ...s, dy: abs(dy), w: abs(w), dx: da });
        expect(boundRatio(d2, d1, da, s.outChannels * s.kernelH * s.kernelW), `data ${g}`).toBeLessThanOrEqual(1);
        for (const beta of [0, 0.5]) {
          const w0 = randomArray(w.length, r),
            f1 = w0.slice(),
            f2 = w0.slice(),
            fa = new Float32Array(w.length);
          TsBackend.conv2dBackwardFilter({ ...s, x, dy, dw: f1, beta });
          nb().conv2dBackwardFilter({ ...s, x, dy, dw: f2, beta });
          TsBackend.conv2dBackwardFilter({ ...s, x: abs(x), dy: abs(dy), dw: fa });
          for (let i = 0; i < fa.length; i++) fa[i] = fa[i]! + Math.abs(beta * w0[i]!);
          expect(boundRatio(f2, f1, fa, s.batch * oh * ow), `filter ${g} beta ${beta}`).toBeLessThanOrEqual(1);
        }
        // on the oneDNN path every call with images went through it (backward data from 16 input channels up)
        const want = path === "onednn" && s.batch > 0 ? 3 + (s.inChannels >= 16 ? 1 : 0) : 0;
        expect(dnnlRuns() - before, `oneDNN calls for ${g}`).toBe(want);
      }
    });

    it(`[${path}] fused stochastic quantize equals the conv then one quantize pass (bits and stats)`, () => {
      usePath(path);
      const s = shapeOf([3, 16, 6, 5, 20, 3, 3, 1, 1, 1, 1]);
      const r = rng(40),
        x = randomArray(3 * 16 * 30, r),
        w = randomArray(20 * 16 * 9, r),
        dy = randomArray(3 * 20 * 30, r);
      const q = { format: dynamicFixed({ bits: 8 }), integerBits: 2, rounding: "stochastic" as const };
      const check = (run: (quantize?: typeof q & { rng: { seed: number; counter: number } }) => unknown) => {
        const plain = run() as Float32Array;
        const want = quantize(plain.slice(), q.format, { ...q, rng: { seed: 9, counter: 1000 } });
        const spec = { ...q, rng: { seed: 9, counter: 1000 } };
        const st = run(spec);
        return { want, st, spec };
      };
      let out = new Float32Array(0);
      const fwd = check((quantize) => {
        out = new Float32Array(3 * 20 * 30);
        const st = nb().conv2dForward({ ...s, x, w, y: out, ...(quantize ? { quantize } : {}) });
        return quantize ? st : out;
      });
      expect(firstBitDifference(fwd.want.out as Float32Array, out)).toBe(-1);
      expect(fwd.st).toEqual(fwd.want.stats);
      expect(fwd.spec.rng.counter).toBe(1000 + out.length);
      const data = check((quantize) => {
        out = new Float32Array(x.length);
        const st = nb().conv2dBackwardData({ ...s, dy, w, dx: out, ...(quantize ? { quantize } : {}) });
        return quantize ? st : out;
      });
      expect(firstBitDifference(data.want.out as Float32Array, out)).toBe(-1);
      expect(data.st).toEqual(data.want.stats);
      const filt = check((quantize) => {
        out = new Float32Array(w.length);
        const st = nb().conv2dBackwardFilter({ ...s, x, dy, dw: out, ...(quantize ? { quantize } : {}) });
        return quantize ? st : out;
      });
      expect(firstBitDifference(filt.want.out as Float32Array, out)).toBe(-1);
      expect(filt.st).toEqual(filt.want.stats);
    });
  }

  it.skipIf(!built)("oneDNN gives the same bits on every call (backward filter sums over the batch)", () => {
    usePath("onednn");
    const s = shapeOf([64, 32, 12, 12, 64, 5, 5, 2, 2, 1, 1]);
    const r = rng(50),
      x = randomArray(64 * 32 * 144, r),
      dy = randomArray(64 * 64 * 144, r),
      w = randomArray(64 * 32 * 25, r);
    const runs = () => {
      const y = new Float32Array(dy.length),
        dx = new Float32Array(x.length),
        dw = new Float32Array(w.length);
      nb().conv2dForward({ ...s, x, w, y });
      nb().conv2dBackwardData({ ...s, dy, w, dx });
      nb().conv2dBackwardFilter({ ...s, x, dy, dw });
      return [y, dx, dw];
    };
    const before = dnnlRuns();
    const a = runs(),
      b = runs();
    expect(dnnlRuns() - before).toBe(6);
    for (let i = 0; i < 3; i++) expect(firstBitDifference(a[i]!, b[i]!), `output ${i}`).toBe(-1);
  });
});

// on every SIMD path: AVX-512 (16 windows at a time), AVX2 (8) and the plain loops
for (const path of SIMD)
  describe(`native max pooling fast paths [${path}] == reference, bit for bit`, () => {
    const nb = (): Backend => withSimd(path);

    it("hand-computed windows: ceil mode clips the last window; ties route to every equal position", () => {
      // 6×6 plane x[r][c] = 6r + c, size 3, stride 2: 3 windows per axis starting at 0, 2, 4 (the last one 2 wide)
      const x = Float32Array.from({ length: 36 }, (_, i) => i);
      const shape: MaxPoolShape = { batch: 1, channels: 1, height: 6, width: 6, size: 3, stride: 2 };
      expect(poolOutputSize(6, 3, 2)).toBe(3);
      const y = new Float32Array(9),
        arg = new Int32Array(9);
      nb().maxPoolForward({ ...shape, x, y, argmax: arg });
      // the max of each window is its bottom-right position: rows/cols 2, 4, 5
      const last = [2, 4, 5];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++) {
          expect(arg[i * 3 + j]).toBe(6 * last[i]! + last[j]!);
          expect(y[i * 3 + j]).toBe(6 * last[i]! + last[j]!);
        }
      // a constant 4×4 plane, size 2, stride 1: every position ties in every window covering it
      const flat = new Float32Array(16).fill(0.5);
      const s2: MaxPoolShape = { batch: 1, channels: 1, height: 4, width: 4, size: 2, stride: 1 };
      const a2 = new Int32Array(9),
        y2 = new Float32Array(9),
        dx = new Float32Array(16);
      nb().maxPoolForward({ ...s2, x: flat, y: y2, argmax: a2 });
      expect([...a2]).toEqual([0, 1, 2, 4, 5, 6, 8, 9, 10]); // the first position of each window
      nb().maxPoolBackward({ ...s2, x: flat, argmax: a2, dy: new Float32Array(9).fill(1), dx, ties: "all" });
      expect([...dx]).toEqual([1, 2, 2, 1, 2, 4, 4, 2, 2, 4, 4, 2, 1, 2, 2, 1]);
      nb().maxPoolBackward({ ...s2, x: flat, argmax: a2, dy: new Float32Array(9).fill(1), dx, ties: "first" });
      expect([...dx]).toEqual([1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
    });

    // Values on a coarse grid (ties), with NaN, ±0 and ±Infinity sprinkled in.
    const special = [Number.NaN, 0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
    const data = (n: number, r: () => number, specials: boolean) =>
      Float32Array.from({ length: n }, () => {
        const u = r();
        if (specials && u < 0.04) return special[Math.floor(r() * special.length)]!;
        return Math.round((r() * 2 - 1) * 3) / 2;
      });

    const shapes: [number, number, number, number, number, number][] = [
      [2, 5, 21, 21, 4, 2], // MNIST first layer: permute path, clipped last window
      [1, 3, 32, 32, 3, 2], // CIFAR first layer: 16 windows per row, 32 columns (two AVX-512 or four AVX2 registers)
      [2, 7, 9, 9, 4, 2], // MNIST second layer
      [1, 2, 6, 6, 2, 2], // size = stride
      [1, 3, 40, 37, 4, 3], // rows wider than 32: gather path
      [2, 3, 12, 12, 3, 2], // 12 columns: two AVX2 registers, the second one partly masked
      [1, 2, 9, 7, 2, 2], // 7 columns: one AVX2 register
      [1, 2, 9, 70, 3, 2], // more than 16 windows per row: several 16-wide chunks, reference backward
      [1, 1, 140, 5, 3, 2], // more than 64 output rows: reference backward
      [2, 3, 10, 11, 1, 3], // size < stride: positions no window covers get 0
      [1, 2, 11, 13, 2, 3], // size < stride, clipped
      [1, 1, 3, 2, 5, 2], // image smaller than one window: a single clipped window
      [1, 1, 1, 1, 3, 2],
      [3, 4, 17, 17, 5, 1], // stride 1, heavy overlap
      [0, 2, 5, 5, 3, 2], // batch 0
    ];
    for (const [N, C, H, W, size, stride] of shapes)
      for (const specials of [false, true])
        it(`${N}×${C}×${H}×${W}, ${size}/${stride}${specials ? ", with NaN/±0/±Inf" : ""}`, () => {
          const r = rng(H * 131 + W * 7 + size + (specials ? 1 : 0));
          const x = data(N * C * H * W, r, specials);
          const shape: MaxPoolShape = { batch: N, channels: C, height: H, width: W, size, stride };
          const n = N * C * poolOutputSize(H, size, stride) * poolOutputSize(W, size, stride);
          const y1 = new Float32Array(n),
            y2 = new Float32Array(n),
            a1 = new Int32Array(n),
            a2 = new Int32Array(n);
          TsBackend.maxPoolForward({ ...shape, x, y: y1, argmax: a1 });
          nb().maxPoolForward({ ...shape, x, y: y2, argmax: a2 });
          expect(firstBitDifference(y1, y2)).toBe(-1);
          expect([...a2]).toEqual([...a1]);
          const dy = randomArray(n, r);
          for (const ties of ["all", "first"] as const) {
            const d1 = new Float32Array(x.length),
              d2 = new Float32Array(x.length).fill(Number.NaN);
            TsBackend.maxPoolBackward({ ...shape, x, argmax: a1, dy, dx: d1, ties });
            nb().maxPoolBackward({ ...shape, x, argmax: a1, dy, dx: d2, ties });
            expect(firstBitDifference(d1, d2), ties).toBe(-1);
          }
        });
  });

for (const path of SIMD)
  describe(`native dropout mask [${path}]: the integer threshold test (blocks of draws)`, () => {
    const nb = (): Backend => withSimd(path);

    it("keeps exactly the draws below keepProb·2^32, also when a draw equals it, across a 2^32 counter step", () => {
      const seed = 1234,
        counter = 2 ** 32 - 1500,
        n = 5000;
      const draws = Array.from({ length: n }, (_, i) => randomBits(seed, counter + i));
      // thresholds on a draw (equal: not kept), half a step above it (kept), and plain fractions
      const probe = draws[2222]!;
      for (const keepProb of [probe / 2 ** 32, (probe + 0.5) / 2 ** 32, 0.2, 0.5, 1 - 2 ** -40]) {
        const mask = new Uint8Array(n),
          rng = { seed, counter };
        nb().dropoutMask({ mask, keepProb, rng });
        expect(rng.counter).toBe(counter + n);
        for (let i = 0; i < n; i++) if (mask[i] !== (draws[i]! < keepProb * 2 ** 32 ? 1 : 0)) expect(i).toBe(-1);
      }
      const mask = new Uint8Array(n);
      nb().dropoutMask({ mask, keepProb: probe / 2 ** 32, rng: { seed, counter } });
      expect(mask[2222]).toBe(0);
      nb().dropoutMask({ mask, keepProb: (probe + 0.5) / 2 ** 32, rng: { seed, counter } });
      expect(mask[2222]).toBe(1);
    });
  });
