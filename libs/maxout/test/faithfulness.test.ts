/** Every faithfulness switch, both ways: what it changes, checked against hand-derived expectations. */
import { describe, expect, it } from "vitest";
import { FAITHFUL, MemoryOutput, Network, train, type NetworkSpec } from "../src/index.js";
import { maxNormFactor } from "../src/layers/parameters.js";
import { convNet, denseNet, kernels, toyConfig, toyData, toySplits } from "./helpers.js";

const step = (net: Network, n: number, seed = 7, lr = 0.05) => {
  const d = toyData(n, net.config.network.input, 4, seed);
  return net.trainStep(d.images, Int32Array.from(d.labels), n, lr, 0.5);
};

describe("faithfulness switches", () => {
  const divisor =
    "gradientDivisor: (p − t)/n_classes summed (authors) vs the batch mean — gradients differ by batch/classes";
  it(divisor, () => {
    const grads = (gradientDivisor: "classes" | "batch") => {
      const net = new Network(toyConfig(denseNet, "fp32", { faithfulness: { gradientDivisor } }), kernels, 20);
      net.init();
      step(net, 20, 7, 0);
      return net.layers[2]!.params.gw.slice();
    };
    const a = grads("classes"),
      b = grads("batch");
    expect(a.some((v) => v !== 0)).toBe(true);
    for (let i = 0; i < a.length; i++) expect(a[i]!).toBeCloseTo((b[i]! * 20) / 4, 6);
  });

  it("convMaxNormAxis: norms across filters at each (in, kh, kw) (authors) vs one norm per filter", () => {
    for (const axis of ["filters", "per-filter"] as const) {
      const net = new Network(toyConfig(convNet, "fp32", { faithfulness: { convMaxNormAxis: axis } }), kernels, 20);
      net.init();
      const p = net.layers[0]!.params;
      for (let i = 0; i < p.w.length; i++) p.w[i] = 1 + (i % 7) * 0.1; // every norm well above 0.9
      step(net, 20, 7, 0);
      const rows = p.rows,
        cols = p.cols,
        c = 0.9;
      const colNorm = (j: number) => Math.hypot(...Array.from({ length: rows }, (_, r) => p.w[r * cols + j]!));
      const rowNorm = (r: number) => Math.hypot(...Array.from(p.w.subarray(r * cols, (r + 1) * cols)));
      if (axis === "filters") {
        for (let j = 0; j < cols; j++) expect(colNorm(j)).toBeCloseTo(c, 5);
        expect(rowNorm(0)).not.toBeCloseTo(c, 2);
      } else {
        for (let r = 0; r < rows; r++) expect(rowNorm(r)).toBeCloseTo(c, 5);
        expect(colNorm(0)).not.toBeCloseTo(c, 2);
      }
    }
  });

  it("maxNormRescale: every column × min(n, c)/(1e-7 + n) (authors) vs only columns above c", () => {
    const always = { ...FAITHFUL, maxNormRescale: "always" as const },
      above = { ...FAITHFUL, maxNormRescale: "above-limit" as const };
    expect(maxNormFactor(1, 2, always)).toBe(Math.fround(1 / (1 + 1e-7)));
    expect(maxNormFactor(1, 2, above)).toBe(1);
    expect(maxNormFactor(4, 2, always)).toBe(Math.fround(2 / (4 + 1e-7)));
    expect(maxNormFactor(4, 2, above)).toBe(0.5);
  });

  it("softmaxInit: softmax W starts at zero (authors) vs uniform", () => {
    for (const softmaxInit of ["zeros", "uniform"] as const) {
      const net = new Network(toyConfig(denseNet, "fp32", { faithfulness: { softmaxInit } }), kernels, 20);
      net.init();
      const w = net.layers[2]!.params.w;
      const bound = Math.sqrt(6 / (5 + 4));
      if (softmaxInit === "zeros") expect(w.every((v) => v === 0)).toBe(true);
      else {
        expect(w.some((v) => v !== 0)).toBe(true);
        expect(w.every((v) => Math.abs(v) <= bound)).toBe(true);
      }
    }
  });

  it("roundInput: the raw input is used as given (authors) vs rounded with Q_p", () => {
    const inputs = (roundInput: boolean) => {
      const net = new Network(toyConfig(denseNet, "dfxp", { faithfulness: { roundInput } }), kernels, 20);
      net.init();
      step(net, 20);
      return net.inputPrecision;
    };
    expect(inputs(false)).toBeUndefined();
    expect(inputs(true)!.integerBits("y")).toBe(5);
  });

  it("ties: a tied max passes its gradient to every tied piece (authors) or to the first only", () => {
    // two identical pieces per unit: every maxout is a tie
    const net1: NetworkSpec = {
      input: [1, 2, 2],
      layers: [
        { kind: "maxout-dense", units: 2, pieces: 2, keepProb: 1, testScale: 1, maxNorm: 100, lrScale: 1 },
        { kind: "softmax", classes: 4, keepProb: 1, testScale: 1, maxNorm: 100, lrScale: 1 },
      ],
    };
    const grads = (ties: "all" | "first") => {
      const net = new Network(toyConfig(net1, "fp32", { faithfulness: { ties, softmaxInit: "uniform" } }), kernels, 20);
      net.init();
      const w = net.layers[0]!.params.w; // (4 inputs × 4 columns): column 2u and 2u+1 are unit u's pieces
      for (let i = 0; i < 4; i++) {
        w[i * 4 + 1] = w[i * 4]!;
        w[i * 4 + 3] = w[i * 4 + 2]!;
      }
      step(net, 20, 7, 0);
      return net.layers[0]!.params.gb.slice();
    };
    const all = grads("all"),
      first = grads("first");
    expect(all[0]).toBe(all[1]);
    expect(all[0]).not.toBe(0);
    expect(first[1]).toBe(0);
    expect(first[0]).toBe(all[0]);
  });

  it("dropPartialBatches: floor(N / batch) batches (authors) vs a last partial batch", () => {
    const batches = (dropPartialBatches: boolean) => {
      const out = new MemoryOutput();
      let n = 0;
      const orig = out.progress.bind(out);
      out.progress = (e) => {
        if (e.kind === "batch") n++;
        orig(e);
      };
      const r = train(
        toyConfig(denseNet, "fp32", { hyper: { epochs: 1, batch: 30 }, faithfulness: { dropPartialBatches } }),
        toySplits(denseNet.input, 4, [200, 50, 50]),
        out,
        { kernels },
      );
      return { n, valid: r.history[1]!.validError };
    };
    expect(batches(true).n).toBe(6);
    expect(batches(false).n).toBe(7);
    // valid: 30 of 50 examples (an error rate in steps of 1/30) vs all 50 (steps of 1/50)
    expect((batches(true).valid * 30) / 100).toBeCloseTo(Math.round((batches(true).valid * 30) / 100), 9);
    expect((batches(false).valid * 50) / 100).toBeCloseTo(Math.round((batches(false).valid * 50) / 100), 9);
  });

  it("scaleBiasAtTest: b̂·scale at test time (authors) vs b̂", () => {
    for (const scaleBiasAtTest of [true, false]) {
      const net = new Network(toyConfig(denseNet, "fp32", { faithfulness: { scaleBiasAtTest } }), kernels, 20);
      net.init();
      const p = net.layers[1]!.params; // test scale 0.5
      p.b.fill(0.75);
      net.prepareTest();
      expect(p.bTest[0]).toBe(scaleBiasAtTest ? 0.375 : 0.75);
      expect(p.wTest[0]).toBe(Math.fround(p.w[0]! * 0.5));
    }
  });

  it("selectFromEpochZero: the untrained network competes for the best epoch (authors) or not", () => {
    // with a learning rate of 0 nothing changes: epoch 0 and 1 tie, and ties keep the earlier epoch
    const best = (selectFromEpochZero: boolean) =>
      train(
        toyConfig(denseNet, "fp32", {
          hyper: { epochs: 1, learningRate: 0, learningRateFinal: 0 },
          faithfulness: { selectFromEpochZero },
        }),
        toySplits(denseNet.input),
        new MemoryOutput(),
        { kernels },
      ).bestEpoch;
    expect(best(true)).toBe(0);
    expect(best(false)).toBe(1);
  });
});
