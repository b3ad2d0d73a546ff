/** Finite-difference checks of every backward pass, on every backend: L = Σ r ⊙ f(x) (softmax: the loss). */
import { expect, it } from "vitest";
import { convOutputSize, poolOutputSize, type Backend } from "../src/index.js";
import { describeForBackends, randomArray, rng } from "./helpers.js";

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);

/** Central differences of L at a sample of indices (first, last and random ones) vs the analytic gradient. */
function checkGradient(
  x: Float32Array,
  grad: Float32Array,
  loss: () => number,
  h: number,
  tol: number,
  r: () => number,
): void {
  const idx = new Set([0, x.length - 1]);
  while (idx.size < Math.min(x.length, 24)) idx.add(Math.floor(r() * x.length));
  for (const i of idx) {
    const x0 = x[i]!;
    x[i] = x0 + h;
    const up = loss();
    x[i] = x0 - h;
    const down = loss();
    x[i] = x0;
    const fd = (up - down) / (Math.fround(x0 + h) - Math.fround(x0 - h));
    expect(Math.abs(fd - grad[i]!), `index ${i}: fd ${fd} analytic ${grad[i]}`).toBeLessThanOrEqual(
      tol * (1 + Math.abs(fd)),
    );
  }
}

/** Distinct values (no ties), so max-based kernels are differentiable at x. */
function distinct(n: number, r: () => number): Float32Array {
  const a = Float32Array.from({ length: n }, (_, i) => i * 0.37 + 0.1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describeForBackends("gradients (finite differences)", (be: () => Backend) => {
  it("convolution backward data and filter (padding 1, stride 2, and padding 2, stride 1)", () => {
    for (const [padH, strideH] of [
      [1, 2],
      [2, 1],
    ] as [number, number][]) {
      const s = {
        batch: 2,
        inChannels: 3,
        height: 7,
        width: 6,
        outChannels: 4,
        kernelH: 3,
        kernelW: 2,
        padH,
        padW: padH,
        strideH,
        strideW: strideH,
      };
      const r = rng(11 + padH),
        oh = convOutputSize(7, 3, padH, strideH),
        ow = convOutputSize(6, 2, padH, strideH);
      const x = randomArray(2 * 3 * 42, r),
        w = randomArray(4 * 3 * 6, r),
        rr = randomArray(2 * 4 * oh * ow, r);
      const y = new Float32Array(rr.length),
        dx = new Float32Array(x.length),
        dw = new Float32Array(w.length);
      const loss = () => {
        be().conv2dForward({ ...s, x, w, y });
        return dot(rr, y);
      };
      be().conv2dBackwardData({ ...s, dy: rr, w, dx });
      be().conv2dBackwardFilter({ ...s, x, dy: rr, dw });
      checkGradient(x, dx, loss, 2 ** -6, 1e-3, r);
      checkGradient(w, dw, loss, 2 ** -6, 1e-3, r);
    }
  });

  it("max pooling backward (overlapping 3/2 windows, clipped edge)", () => {
    const shape = { batch: 2, channels: 2, height: 8, width: 7, size: 3, stride: 2 };
    const r = rng(3),
      x = distinct(2 * 2 * 56, r);
    const n = 2 * 2 * poolOutputSize(8, 3, 2) * poolOutputSize(7, 3, 2);
    const rr = randomArray(n, r),
      y = new Float32Array(n),
      arg = new Int32Array(n),
      dx = new Float32Array(x.length);
    const loss = () => {
      be().maxPoolForward({ ...shape, x, y, argmax: arg });
      return dot(rr, y);
    };
    loss();
    be().maxPoolBackward({ ...shape, x, argmax: arg, dy: rr, dx });
    checkGradient(x, dx, loss, 2 ** -8, 1e-4, r);
  });

  it("maxout backward (pieces 3, spatial 4)", () => {
    const d = { batch: 2, units: 3, pieces: 3, spatial: 4 };
    const r = rng(4),
      x = distinct(2 * 9 * 4, r),
      rr = randomArray(2 * 3 * 4, r);
    const y = new Float32Array(rr.length),
      arg = new Int32Array(rr.length),
      dx = new Float32Array(x.length);
    const loss = () => {
      be().maxoutForward({ ...d, x, y, argmax: arg });
      return dot(rr, y);
    };
    loss();
    be().maxoutBackward({ ...d, x, argmax: arg, dy: rr, dx });
    checkGradient(x, dx, loss, 2 ** -8, 1e-4, r);
  });

  it("softmax cross-entropy backward with scale 1 is the gradient of the summed loss", () => {
    const r = rng(5),
      logits = randomArray(4 * 10, r, 3),
      labels = Int32Array.of(3, 0, 9, 3);
    const probs = new Float32Array(40),
      dl = new Float32Array(40);
    const loss = () => be().softmaxCrossEntropyForward({ batch: 4, classes: 10, logits, labels, probs }).loss;
    loss();
    be().softmaxCrossEntropyBackward({ batch: 4, classes: 10, probs, labels, dlogits: dl, scale: 1 });
    checkGradient(logits, dl, loss, 2 ** -10, 1e-3, r);
  });
});
