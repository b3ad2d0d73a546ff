/**
 * The full network's backward pass against central finite differences of the summed loss, in fp32,
 * with dropout masks held fixed (the dropout streams are rewound before every forward pass).
 */
import { describe, expect, it } from "vitest";
import { Network } from "../src/index.js";
import { convNet, denseNet, kernels, lcg, toyConfig, toyData } from "./helpers.js";

function check(network: typeof denseNet, gradientDivisor: "classes" | "batch") {
  // NOTE: softmax W = 0 (the authors' init) would make every lower gradient zero; start it uniform here.
  const config = toyConfig(network, "fp32", { faithfulness: { softmaxInit: "uniform", gradientDivisor } });
  const n = 6;
  const net = new Network(config, kernels, n);
  net.init();
  // non-zero biases so that bias gradients are exercised away from symmetric points
  const r = lcg(99);
  for (const l of net.layers) for (let i = 0; i < l.params.b.length; i++) l.params.b[i] = 0.2 * (r() - 0.5);
  const d = toyData(n, network.input, 4, 5);
  const labels = Int32Array.from(d.labels);
  const counters = net.layers.map((l) => l.dropout.counter);
  const loss = (): number => {
    net.layers.forEach((l, i) => {
      l.dropout.counter = counters[i]!;
    });
    net.softmax.setLabels(labels);
    let a = d.images;
    for (const l of net.layers) a = l.forward(a, n);
    return net.softmax.lastLoss;
  };
  const f0 = loss();
  let dy: Float32Array | undefined;
  for (let i = net.layers.length - 1; i >= 0; i--) dy = net.layers[i]!.backward(dy, n, i > 0);
  // the backward pass computes ∂(Σ loss)/∂θ divided by the number of classes (or the batch)
  const divisor = gradientDivisor === "classes" ? 4 : n;
  let worst = 0,
    compared = 0,
    kinks = 0;
  for (const l of net.layers) {
    for (const [param, grad] of [
      [l.params.w, l.params.gw.slice()],
      [l.params.b, l.params.gb.slice()],
    ] as const) {
      const pick = lcg(l.index + 17);
      for (let t = 0; t < 12; t++) {
        const i = Math.floor(pick() * param.length);
        const old = param[i]!,
          h = 1e-3;
        param[i] = old + h;
        const up = loss();
        param[i] = old - h;
        const down = loss();
        param[i] = old;
        // NOTE: a max (maxout piece, pooling window) switching inside ±h is a kink, where no derivative
        // exists: the two one-sided differences disagree. Such samples are skipped (and counted).
        const right = (up - f0) / h,
          left = (f0 - down) / h;
        if (Math.abs(right - left) > 0.05 * (Math.abs(right) + Math.abs(left)) + 1e-4) {
          kinks++;
          continue;
        }
        const numeric = (up - down) / (2 * h) / divisor;
        const analytic = grad[i]!;
        const err = Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic));
        worst = Math.max(worst, err);
        compared++;
      }
    }
  }
  return { worst, compared, kinks };
}

describe("gradient check of the full network (fp32)", () => {
  it("maxout FC network: backward pass = finite differences", () => {
    const { worst, compared, kinks } = check(denseNet, "classes");
    expect(compared + kinks).toBe(72);
    expect(kinks).toBeLessThan(8);
    expect(worst).toBeLessThan(2e-2);
  });
  it("maxout conv network (bias after pooling, overlapping ceil-mode pooling)", () => {
    const { worst, kinks } = check(convNet, "classes");
    expect(kinks).toBeLessThan(8);
    expect(worst).toBeLessThan(2e-2);
  });
  it("with the textbook gradient divisor (batch mean) too", () => {
    expect(check(denseNet, "batch").worst).toBeLessThan(2e-2);
  });
});
