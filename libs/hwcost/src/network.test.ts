import { describe, expect, it } from "vitest";
import { loadNetworks } from "./data.js";
import {
  convOutputSize,
  countLayer,
  countNetwork,
  poolOutputSize,
  ShapeError,
  type ConvShape,
  type NetworkShape,
} from "./network.js";

const net = (id: string): NetworkShape => {
  const n = loadNetworks().networks.find((x) => x.id === id);
  if (!n) throw new Error(`no network ${id}`);
  return n;
};

/** Independent count: walk every output position and kernel tap of a convolution (padding taps included). */
function bruteForceConvMacs(c: ConvShape): number {
  let macs = 0;
  for (let oy = 0; oy * c.stride - c.padding + c.kernel <= c.height + c.padding; oy++)
    for (let ox = 0; ox * c.stride - c.padding + c.kernel <= c.width + c.padding; ox++)
      for (let f = 0; f < c.maps * c.pieces; f++)
        for (let ch = 0; ch < c.inChannels; ch++)
          for (let ky = 0; ky < c.kernel; ky++) for (let kx = 0; kx < c.kernel; kx++) macs++;
  return macs;
}

describe("MAC counts against hand computation", () => {
  it("PI-MNIST forward is 784·1200 + 240·1200 + 240·10 = 1,231,200 MACs per example", () => {
    const c = countNetwork(net("pi-mnist"));
    expect(c.forwardMacsPerExample).toBe(784 * 1200 + 240 * 1200 + 240 * 10);
    expect(c.forwardMacsPerExample).toBe(1_231_200);
    expect(c.layers.map((l) => l.forwardMacs)).toEqual([940_800, 288_000, 2_400]);
  });

  it("PI-MNIST backward: weight gradients for all layers, input gradients for all but the first", () => {
    const c = countNetwork(net("pi-mnist"));
    expect(c.backwardMacsPerExample).toBe(2 * 1_231_200 - 784 * 1200);
    expect(c.layers[0]!.inputGradientMacs).toBe(0);
    expect(c.layers[1]!.inputGradientMacs).toBe(240 * 1200);
  });

  it("PI-MNIST parameters and update operations per step", () => {
    const c = countNetwork(net("pi-mnist"));
    const weights = 784 * 1200 + 240 * 1200 + 240 * 10,
      biases = 1200 + 1200 + 10;
    expect(c.weights).toBe(weights);
    expect(c.biases).toBe(biases);
    // momentum and learning-rate multiplies per parameter, max-norm square and rescale per weight
    expect(c.updateMultipliesPerStep).toBe(2 * (weights + biases) + 2 * weights);
    expect(c.updateAddsPerStep).toBe(2 * (weights + biases) + weights);
    expect(c.stepsPerEpoch).toBe(500);
  });

  it("MNIST conv layer 1: 1x28x28, 96 filters 8x8, no padding: 21·21 positions × 96 × 64 taps", () => {
    const l = countLayer(net("mnist-conv").layers[0]!, 0, true);
    expect(l.geometry).toEqual({ convHeight: 21, convWidth: 21, poolHeight: 10, poolWidth: 10 });
    expect(l.forwardMacs).toBe(21 * 21 * 96 * 64);
    expect(l.forwardMacs).toBe(2_709_504);
    expect(l.weights).toBe(96 * 64);
    expect(l.outputs).toBe(48 * 10 * 10);
  });

  it("a small conv layer by hand: 2x5x5, 4 filters 3x3, pad 1, pool 2/2 (ceil mode)", () => {
    const shape: ConvShape = {
      kind: "conv",
      inChannels: 2,
      height: 5,
      width: 5,
      maps: 2,
      pieces: 2,
      kernel: 3,
      padding: 1,
      stride: 1,
      pool: { size: 2, stride: 2 },
    };
    const l = countLayer(shape, 1, false);
    expect(l.geometry).toEqual({ convHeight: 5, convWidth: 5, poolHeight: 3, poolWidth: 3 }); // ceil((5-2)/2)+1 = 3
    expect(l.forwardMacs).toBe(5 * 5 * 4 * 2 * 9);
    expect(l.inputGradientMacs).toBe(1800);
    expect(l.weightGradientMacs).toBe(1800);
    expect(l.weightedSums).toBe(4 * 25 + 4 * 9);
    expect(l.outputs).toBe(2 * 9);
  });

  it("conv MACs agree with a brute-force walk over positions and taps", () => {
    const shapes: ConvShape[] = [
      ...net("cifar10")
        .layers.filter((l): l is ConvShape => l.kind === "conv")
        .map((l) => ({ ...l, maps: 2, inChannels: 2 })),
      ...net("mnist-conv")
        .layers.filter((l): l is ConvShape => l.kind === "conv")
        .map((l) => ({ ...l, maps: 3, inChannels: 2 })),
      {
        kind: "conv",
        inChannels: 3,
        height: 7,
        width: 9,
        maps: 2,
        pieces: 3,
        kernel: 4,
        padding: 2,
        stride: 1,
        pool: { size: 2, stride: 1 },
      },
    ];
    for (const s of shapes) expect(countLayer(s, 0, true).forwardMacs).toBe(bruteForceConvMacs(s));
  });

  it("cuda-convnet geometry (METHOD.md §4.4): CIFAR 32→16→8→4, MNIST 28→21→10, 10→9→4, 4→6→3", () => {
    expect(
      net("cifar10")
        .layers.slice(0, 3)
        .map((l, i) => countLayer(l, i, i === 0).geometry?.poolHeight),
    ).toEqual([16, 8, 4]);
    expect(
      net("mnist-conv")
        .layers.slice(0, 3)
        .map((l, i) => countLayer(l, i, i === 0).geometry),
    ).toEqual([
      { convHeight: 21, convWidth: 21, poolHeight: 10, poolWidth: 10 },
      { convHeight: 9, convWidth: 9, poolHeight: 4, poolWidth: 4 },
      { convHeight: 6, convWidth: 6, poolHeight: 3, poolWidth: 3 },
    ]);
    expect(poolOutputSize(30, 3, 2)).toBe(15); // ceil(27/2)+1 = 15; floor mode would give 14
    expect(convOutputSize(32, 5, 2, 1)).toBe(32);
  });

  it("steps per epoch drop the partial batch (METHOD.md §5.6)", () => {
    expect(countNetwork(net("mnist-conv")).stepsPerEpoch).toBe(390);
    expect(countNetwork(net("cifar10")).stepsPerEpoch).toBe(351);
    expect(countNetwork(net("svhn")).stepsPerEpoch).toBe(4674);
  });
});

describe("bad shapes", () => {
  it("a layer whose input does not match the previous output names both layers", () => {
    const bad: NetworkShape = {
      batch: 10,
      trainExamples: 100,
      layers: [
        { kind: "dense", inputs: 784, units: 240, pieces: 5 },
        { kind: "softmax", inputs: 1200, classes: 10 },
      ],
    };
    expect(() => countNetwork(bad)).toThrow(ShapeError);
    expect(() => countNetwork(bad)).toThrow(/layer 1 \(softmax\): expects 1200 inputs but layer 0 gives 240/);
  });

  it("negative and fractional sizes", () => {
    expect(() => countLayer({ kind: "dense", inputs: -3, units: 2, pieces: 1 }, 0, true)).toThrow(
      /layer 0 \(dense\)\.inputs: expected a positive integer, got -3/,
    );
    expect(() => countLayer({ kind: "softmax", inputs: 4, classes: 2.5 }, 2, false)).toThrow(
      /classes: expected a positive integer, got 2.5/,
    );
  });

  it("a pool window larger than its input", () => {
    const s: ConvShape = {
      kind: "conv",
      inChannels: 1,
      height: 4,
      width: 4,
      maps: 1,
      pieces: 1,
      kernel: 3,
      padding: 0,
      stride: 1,
      pool: { size: 3, stride: 2 },
    };
    expect(() => countLayer(s, 0, true)).toThrow(/pool: window 3 is larger than its input 2/);
  });
});
