/** Every kernel on hand-computed cases, run on every backend; plus bad input. */
import { expect, it } from "vitest";
import { fixed, randomBits } from "@lowprec/formats";
import { poolOutputSize, convOutputSize, ShapeError } from "../src/index.js";
import { describeForBackends } from "./helpers.js";

const F = (...v: number[]) => Float32Array.from(v);
const conv1 = {
  batch: 1,
  inChannels: 1,
  height: 3,
  width: 3,
  outChannels: 1,
  kernelH: 2,
  kernelW: 2,
  padH: 0,
  padW: 0,
  strideH: 1,
  strideW: 1,
};
const x9 = F(1, 2, 3, 4, 5, 6, 7, 8, 9);

it("output sizes follow cuda-convnet (METHOD.md §4.4)", () => {
  expect([poolOutputSize(32, 3, 2), poolOutputSize(16, 3, 2), poolOutputSize(8, 3, 2)]).toEqual([16, 8, 4]);
  expect([poolOutputSize(21, 4, 2), poolOutputSize(9, 4, 2), poolOutputSize(6, 2, 2)]).toEqual([10, 4, 3]);
  expect([poolOutputSize(2, 3, 2), poolOutputSize(5, 1, 3), poolOutputSize(0, 3, 2)]).toEqual([1, 2, 0]);
  expect([convOutputSize(32, 5, 2, 1), convOutputSize(28, 8, 0, 1), convOutputSize(10, 8, 3, 1)]).toEqual([32, 21, 9]);
});

describeForBackends("kernels", (be) => {
  it("gemm: plain, transposed, alpha/beta, beta 0 overwrites NaN, empty", () => {
    const a = F(1, 2, 3, 4),
      b = F(5, 6, 7, 8),
      c = new Float32Array(4);
    be().gemm({ m: 2, n: 2, k: 2, a, b, c });
    expect([...c]).toEqual([19, 22, 43, 50]);
    be().gemm({ m: 2, n: 2, k: 2, a, b, c, transA: true });
    expect([...c]).toEqual([26, 30, 38, 44]);
    be().gemm({ m: 2, n: 2, k: 2, a, b, c, transB: true });
    expect([...c]).toEqual([17, 23, 39, 53]);
    c.fill(1);
    be().gemm({ m: 2, n: 2, k: 2, a, b, c, alpha: 2, beta: 1 });
    expect([...c]).toEqual([39, 45, 87, 101]);
    c.fill(NaN);
    be().gemm({ m: 2, n: 2, k: 2, a, b, c });
    expect([...c]).toEqual([19, 22, 43, 50]);
    c.fill(NaN);
    be().gemm({ m: 2, n: 2, k: 0, a: F(), b: F(), c });
    expect([...c]).toEqual([0, 0, 0, 0]);
    be().gemm({ m: 0, n: 3, k: 2, a: F(), b: new Float32Array(6), c: F() });
  });

  it("gemm fused with quantize: 0.3 and 5 in fixed 4 bits / 1 integer bit -> 0.25 and the saturated 1.75", () => {
    const c = new Float32Array(2);
    const stats = be().gemm({
      m: 2,
      n: 1,
      k: 1,
      a: F(0.3, 5),
      b: F(1),
      c,
      quantize: { format: fixed({ bits: 4, integerBits: 1 }) },
    });
    expect([...c]).toEqual([0.25, 1.75]);
    expect(stats).toMatchObject({ count: 2, overflow: 1, overflowHalfRange: 1, nan: 0 });
  });

  it("conv2d forward: valid, and padded with stride 2", () => {
    const y = new Float32Array(4);
    be().conv2dForward({ ...conv1, x: x9, w: F(1, 0, 0, 1), y });
    expect([...y]).toEqual([6, 8, 12, 14]);
    be().conv2dForward({ ...conv1, padH: 1, padW: 1, strideH: 2, strideW: 2, x: x9, w: F(1, 0, 0, 1), y });
    expect([...y]).toEqual([1, 3, 7, 14]);
  });

  it("conv2d backward data and filter", () => {
    const dx = new Float32Array(9),
      dw = new Float32Array(4);
    be().conv2dBackwardData({ ...conv1, dy: F(1, 1, 1, 1), w: F(1, 0, 0, 1), dx });
    expect([...dx]).toEqual([1, 1, 0, 1, 2, 1, 0, 1, 1]);
    be().conv2dBackwardFilter({ ...conv1, x: x9, dy: F(1, 1, 1, 1), dw });
    expect([...dw]).toEqual([12, 16, 24, 28]);
    be().conv2dBackwardFilter({ ...conv1, x: x9, dy: F(1, 1, 1, 1), dw, beta: 1 });
    expect([...dw]).toEqual([24, 32, 48, 56]);
    be().conv2dBackwardFilter({ ...conv1, batch: 0, x: F(), dy: F(), dw, beta: 0.5 });
    expect([...dw]).toEqual([12, 16, 24, 28]);
  });

  it("bias add per channel and its gradient over batch and space", () => {
    const y = new Float32Array(4),
      db = new Float32Array(2);
    be().biasAdd({ batch: 1, channels: 2, spatial: 2, x: F(1, 2, 3, 4), bias: F(10, 20), y });
    expect([...y]).toEqual([11, 12, 23, 24]);
    be().biasGrad({ batch: 2, channels: 2, spatial: 1, dy: F(1, 2, 3, 4), db });
    expect([...db]).toEqual([4, 6]);
  });

  it("maxout: forward argmax, backward to every tie (all) or the first", () => {
    const y = new Float32Array(2),
      argmax = new Int32Array(2),
      dx = new Float32Array(4);
    const x = F(1, 3, 5, 5);
    be().maxoutForward({ batch: 1, units: 2, pieces: 2, spatial: 1, x, y, argmax });
    expect([...y]).toEqual([3, 5]);
    expect([...argmax]).toEqual([1, 0]);
    be().maxoutBackward({ batch: 1, units: 2, pieces: 2, spatial: 1, x, argmax, dy: F(10, 20), dx });
    expect([...dx]).toEqual([0, 10, 20, 20]);
    be().maxoutBackward({ batch: 1, units: 2, pieces: 2, spatial: 1, x, argmax, dy: F(10, 20), dx, ties: "first" });
    expect([...dx]).toEqual([0, 10, 20, 0]);
  });

  it("max pool: clipped last window, ceil mode, ties summed over overlapping windows", () => {
    const shape = { batch: 1, channels: 1, height: 3, width: 3, size: 2, stride: 2 };
    const y = new Float32Array(4),
      argmax = new Int32Array(4);
    be().maxPoolForward({ ...shape, x: F(1, 2, 3, 4, 9, 6, 7, 8, 5), y, argmax });
    expect([...y]).toEqual([9, 6, 8, 5]);
    expect([...argmax]).toEqual([4, 5, 7, 8]);
    const ones = new Float32Array(16).fill(1),
      dx = new Float32Array(16);
    const s2 = { batch: 1, channels: 1, height: 4, width: 4, size: 3, stride: 2 };
    be().maxPoolForward({ ...s2, x: ones, y, argmax });
    be().maxPoolBackward({ ...s2, x: ones, argmax, dy: F(1, 1, 1, 1), dx });
    expect([...dx]).toEqual([1, 1, 2, 1, 1, 1, 2, 1, 2, 2, 4, 2, 1, 1, 2, 1]);
    be().maxPoolBackward({ ...s2, x: ones, argmax, dy: F(1, 1, 1, 1), dx, ties: "first" });
    expect([...dx]).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it("softmax cross-entropy: probabilities, loss, errors; backward (p - onehot) * scale", () => {
    const probs = new Float32Array(4),
      dl = new Float32Array(4);
    const labels = Int32Array.of(1, 1);
    const r = be().softmaxCrossEntropyForward({ batch: 2, classes: 2, logits: F(0, Math.log(3), 2, 0), labels, probs });
    expect(probs[0]).toBeCloseTo(0.25, 7);
    expect(probs[1]).toBeCloseTo(0.75, 7);
    expect(r.loss).toBeCloseTo(-Math.log(0.75) + Math.log(1 + Math.exp(2)), 5);
    expect(r.errors).toBe(1);
    be().softmaxCrossEntropyBackward({
      batch: 1,
      classes: 2,
      probs: F(0.25, 0.75),
      labels: Int32Array.of(1),
      dlogits: dl.subarray(0, 2),
      scale: 0.1,
    });
    expect([...dl.subarray(0, 2)]).toEqual([Math.fround(0.025), Math.fround(-0.025)]);
  });

  it("dropout mask: randomBits(seed, counter + i) < p * 2^32, counter advances", () => {
    const mask = new Uint8Array(1000),
      stream = { seed: 77, counter: 5 };
    be().dropoutMask({ mask, keepProb: 0.8, rng: stream });
    expect(stream.counter).toBe(1005);
    for (let i = 0; i < 1000; i++) expect(mask[i]).toBe(randomBits(77, 5 + i) < 0.8 * 2 ** 32 ? 1 : 0);
    const kept = mask.reduce((s, m) => s + m, 0);
    expect(kept).toBeGreaterThan(760);
    expect(kept).toBeLessThan(840);
    be().dropoutMask({ mask, keepProb: 0, rng: stream });
    expect(mask.every((m) => m === 0)).toBe(true);
    be().dropoutMask({ mask, keepProb: 1, rng: stream });
    expect(mask.every((m) => m === 1)).toBe(true);
    const y = new Float32Array(3);
    be().applyMask({ x: F(1, NaN, 3), mask: Uint8Array.of(1, 0, 0), y });
    expect([...y]).toEqual([1, 0, 0]);
  });

  it("column norms over axis 0 and column scaling", () => {
    const norms = new Float32Array(2),
      y = new Float32Array(4);
    be().columnNorms({ rows: 2, cols: 2, w: F(3, 1, 4, 0), norms });
    expect([...norms]).toEqual([5, 1]);
    be().scaleColumns({ rows: 2, cols: 2, w: F(3, 1, 4, 0), factors: F(2, 0.5), y });
    expect([...y]).toEqual([6, 0.5, 8, 0]);
  });

  it("axpby, scale, add", () => {
    const y = F(1, 1);
    be().axpby({ alpha: 2, x: F(1, 2), beta: 3, y });
    expect([...y]).toEqual([5, 7]);
    be().scale({ alpha: -0.5, x: F(1, 2), y });
    expect([...y]).toEqual([-0.5, -1]);
    be().add({ a: F(1, 2), b: F(0.5, -2), y });
    expect([...y]).toEqual([1.5, 0]);
  });

  it("bad input throws a ShapeError naming the kernel and the shapes", () => {
    const c = new Float32Array(4);
    expect(() => be().gemm({ m: 2, n: 2, k: 2, a: F(1, 2, 3), b: F(1, 2, 3, 4), c })).toThrow(
      /gemm: a has length 3, expected 4 = m×k = 2×2/,
    );
    expect(() => be().gemm({ m: -1, n: 2, k: 2, a: F(), b: F(), c })).toThrow(ShapeError);
    expect(() => be().gemm({ m: 1.5, n: 2, k: 2, a: F(), b: F(), c })).toThrow(/gemm: m must be an integer/);
    expect(() => be().conv2dForward({ ...conv1, x: F(1, 2), w: F(1, 0, 0, 1), y: c })).toThrow(
      /conv2dForward: x has length 2, expected 9 = batch×inChannels×height×width = 1×1×3×3/,
    );
    expect(() => be().conv2dForward({ ...conv1, kernelH: 5, x: x9, w: new Float32Array(10), y: c })).toThrow(
      /conv2dForward: kernel 5×2 does not fit input 3×3/,
    );
    expect(() =>
      be().maxPoolForward({
        batch: 1,
        channels: 1,
        height: 3,
        width: 3,
        size: 2,
        stride: 2,
        x: x9,
        y: F(1),
        argmax: new Int32Array(4),
      }),
    ).toThrow(/maxPoolForward: y has length 1, expected 4/);
    expect(() =>
      be().maxPoolBackward({
        batch: 1,
        channels: 1,
        height: 3,
        width: 3,
        size: 2,
        stride: 2,
        x: x9,
        argmax: Int32Array.of(8, 5, 7, 8),
        dy: F(1, 1, 1, 1),
        dx: new Float32Array(9),
      }),
    ).toThrow(/maxPoolBackward: .*argmax/);
    expect(() =>
      be().maxoutBackward({
        batch: 1,
        units: 1,
        pieces: 2,
        spatial: 1,
        x: F(1, 2),
        argmax: Int32Array.of(2),
        dy: F(1),
        dx: F(0, 0),
      }),
    ).toThrow(/maxoutBackward: .*argmax/);
    expect(() =>
      be().softmaxCrossEntropyForward({
        batch: 1,
        classes: 2,
        logits: F(1, 2),
        labels: Int32Array.of(2),
        probs: F(0, 0),
      }),
    ).toThrow(/softmaxCrossEntropyForward: labels\[0\] = 2 is outside \[0, 2\)/);
    expect(() => be().axpby({ alpha: 1, x: F(1, 2), beta: 1, y: F(1) })).toThrow(/axpby: y has length 1, expected 2/);
    expect(() => be().biasAdd({ batch: 1, channels: 2, spatial: 1, x: F(1, 2), bias: F(1), y: F(0, 0) })).toThrow(
      /biasAdd: bias has length 1, expected 2 = channels = 2/,
    );
    expect(() =>
      be().gemm({ m: 1, n: 1, k: 1, a: new Float64Array(1) as unknown as Float32Array, b: F(1), c: F(0) }),
    ).toThrow(/gemm: a must be a Float32Array, got Float64Array/);
    expect(() =>
      be().quantize({ x: F(1), format: fixed({ bits: 8, integerBits: 2 }), rounding: "stochastic" }),
    ).toThrow(/rng/);
  });
});
