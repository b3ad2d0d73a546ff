// The data a run is handed: a flat [features] view feeds a network whose first layer is dense (PI-MNIST's [784]
// beside [1, 28, 28]) and trains to the same bits; a convolution wants [c, h, w]; the output receives the data's
// record (name, shape, provenance) before the configuration.
import { describe, expect, it } from "vitest";
import {
  inputShapeProblem,
  MemoryOutput,
  NETWORK_PRESETS,
  train,
  type DataProvenance,
  type Splits,
} from "../src/index.js";
import { convNet, denseNet, kernels, toyConfig, toySplits } from "./helpers.js";

const flat = (s: Splits): Splits => {
  const f = (d: Splits["train"]) => ({ ...d, shape: [d.images.length / d.count] as const });
  return { train: f(s.train), valid: f(s.valid), test: f(s.test) };
};

describe("inputShapeProblem", () => {
  it("accepts [c, h, w] and, for a dense first layer, the flat view with as many features", () => {
    expect(inputShapeProblem(denseNet, [1, 4, 4])).toBeUndefined();
    expect(inputShapeProblem(denseNet, [16])).toBeUndefined();
    expect(inputShapeProblem(NETWORK_PRESETS["pi-mnist"].network, [784])).toBeUndefined();
    expect(inputShapeProblem(NETWORK_PRESETS["pi-mnist"].network, [1, 28, 28])).toBeUndefined();
  });

  it("names the shapes when they do not fit", () => {
    expect(inputShapeProblem(denseNet, [15])).toBe(
      "images of shape [15] for a network whose input is [1, 4, 4] (16 features)",
    );
    expect(inputShapeProblem(denseNet, [1, 4, 5])).toBe(
      "images of shape [1, 4, 5] for a network whose input is [1, 4, 4]",
    );
    expect(inputShapeProblem(convNet, [98])).toBe(
      "images of shape [98] (a flat view) for a network whose first layer is a convolution; pass [2, 7, 7] images",
    );
    expect(inputShapeProblem(denseNet, [4, 4])).toMatch(/^images of shape \[4, 4\] .*expected \[1, 4, 4\] or.*\[16\]$/);
  });
});

describe("train on a flat view", () => {
  it("a dense network trains on [16] exactly as on [1, 4, 4]", () => {
    const config = toyConfig(denseNet, "fp32");
    const a = train(config, toySplits(denseNet.input), new MemoryOutput(), { kernels });
    const b = train(config, flat(toySplits(denseNet.input)), new MemoryOutput(), { kernels });
    expect(b.history.map((m) => [m.loss, m.validError, m.testError])).toEqual(
      a.history.map((m) => [m.loss, m.validError, m.testError]),
    );
  });

  it("a convolutional network refuses the flat view, naming the split", () => {
    expect(() =>
      train(toyConfig(convNet, "fp32"), flat(toySplits(convNet.input)), new MemoryOutput(), { kernels }),
    ).toThrow(/^train set: images of shape \[98\] \(a flat view\)/);
  });
});

describe("the output receives the data record", () => {
  it("name, count, shape, class names and provenance of each split; no images", () => {
    const provenance: DataProvenance = {
      files: [{ path: "/x/train-images-idx3-ubyte", sha256: "ab".repeat(32), bytes: 123 }],
      split: "training file examples 0..199",
      preprocessing: ["pixels / 255"],
    };
    const s = toySplits(denseNet.input);
    const named: Splits = {
      train: { ...s.train, name: "toy", classNames: ["a", "b", "c", "d"], provenance },
      valid: s.valid,
      test: s.test,
    };
    const out = new MemoryOutput();
    train(toyConfig(denseNet, "fp32", { hyper: { epochs: 1 } }), named, out, { kernels });
    expect(out.data?.train).toEqual({
      name: "toy",
      count: 200,
      shape: [1, 4, 4],
      classNames: ["a", "b", "c", "d"],
      provenance,
    });
    expect(out.data?.valid).toEqual({ count: 60, shape: [1, 4, 4] });
    for (const split of ["train", "valid", "test"] as const) {
      expect(Object.keys(out.data?.[split] ?? {})).not.toContain("images");
      expect(Object.keys(out.data?.[split] ?? {})).not.toContain("labels");
    }
  });
});
