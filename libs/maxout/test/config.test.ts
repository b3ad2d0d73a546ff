/** Presets as data, configuration resolution and validation, schedules, shuffling, checkpoints, shapes. */
import { describe, expect, it } from "vitest";
import {
  CheckpointError,
  ConfigError,
  decodeCheckpoint,
  encodeCheckpoint,
  epochOrder,
  learningRateAt,
  momentumAt,
  NETWORK_PRESETS,
  networkShapes,
  resolveConfig,
  resolveGroup,
  PRECISION_PRESETS,
} from "../src/index.js";

describe("presets", () => {
  it("the four networks' output sizes follow METHOD.md §4.4 (ceil-mode pooling)", () => {
    const outs = (p: keyof typeof NETWORK_PRESETS) => networkShapes(NETWORK_PRESETS[p].network).map((l) => l.outputs);
    expect(outs("pi-mnist")).toEqual([240, 240, 10]);
    expect(outs("mnist-conv")).toEqual([48 * 10 * 10, 48 * 4 * 4, 24 * 3 * 3, 10]);
    expect(outs("cifar10")).toEqual([64 * 16 * 16, 128 * 8 * 8, 128 * 4 * 4, 400, 10]);
    expect(networkShapes(NETWORK_PRESETS["pi-mnist"].network)[0]!.parameters).toBe(784 * 1200 + 1200);
  });

  it("precision presets resolve to the paper's formats per group", () => {
    const fmt = (p: keyof typeof PRECISION_PRESETS, g: "w" | "z") => {
      const r = resolveGroup(PRECISION_PRESETS[p], 0, g);
      return [r.propagation?.name, r.update?.name, r.knobs.rounding];
    };
    expect(fmt("fp32", "w")).toEqual([undefined, undefined, "nearest-even"]);
    expect(fmt("half", "z")).toEqual(["binary16", "binary16", "nearest-even"]);
    expect(fmt("fixed", "w")).toEqual(["fixed20.5", "fixed20.5", "nearest-away"]);
    expect(fmt("dfxp", "w")).toEqual(["dfxp10", "dfxp12", "nearest-away"]);
    expect(resolveGroup(PRECISION_PRESETS.dfxp, 1, "dEdw").scaling).toEqual({
      kind: "overflow-rate",
      maxRate: 1e-4,
      initialIntegerBits: 5,
    });
    // the authors' window: 100 batches, counted per epoch (the network closes it)
    expect(PRECISION_PRESETS.dfxp.scaling).toEqual({ kind: "overflow-rate", maxRate: 1e-4, everyBatches: 100 });
  });

  it("overrides apply per layer and group, later ones winning", () => {
    const spec = {
      ...PRECISION_PRESETS.dfxp,
      overrides: [
        { group: "dEdw" as const, propagationBits: 14 },
        { layer: 1, group: "dEdw" as const, rounding: "stochastic" as const },
      ],
    };
    expect(resolveGroup(spec, 0, "dEdw").propagation?.name).toBe("dfxp14");
    expect(resolveGroup(spec, 0, "dEdw").knobs.rounding).toBe("nearest-away");
    expect(resolveGroup(spec, 1, "dEdw").knobs.rounding).toBe("stochastic");
    expect(resolveGroup(spec, 1, "z").propagation?.name).toBe("dfxp10");
  });
});

describe("configuration", () => {
  it("overrides any hyper-parameter and keeps the rest of the preset", () => {
    const c = resolveConfig("pi-mnist", "dfxp", { hyper: { epochs: 3, batch: 50 }, precision: { propagationBits: 8 } });
    expect([c.hyper.epochs, c.hyper.batch, c.hyper.learningRate, c.hyper.seed]).toEqual([3, 50, 0.05, 1234]);
    expect([c.precision.propagationBits, c.precision.updateBits]).toEqual([8, 12]);
    expect(resolveConfig("svhn", "fp32").hyper).toMatchObject({
      epochs: 200,
      shuffle: "batches",
      learningRateSaturationEpochs: 100,
    });
  });

  it("bounds epochs and calibration epochs (issue 20: 1e9 calibration epochs ran until killed)", () => {
    expect(() => resolveConfig("pi-mnist", "fp32", { hyper: { epochs: 1e20 } })).toThrow(
      new ConfigError("invalid config hyper.epochs: expected an integer in [0, 100000], got 100000000000000000000"),
    );
    expect(() => resolveConfig("pi-mnist", "dfxp", { precision: { calibrationEpochs: 1e9 } })).toThrow(
      new ConfigError("invalid config precision.calibrationEpochs: expected an integer in [0, 100], got 1000000000"),
    );
    expect(
      resolveConfig("pi-mnist", "dfxp", { hyper: { epochs: 100_000 }, precision: { calibrationEpochs: 100 } }),
    ).toBeDefined();
  });

  it("names the bad field and value", () => {
    expect(() => resolveConfig("pi-mnist", "fp32", { hyper: { batch: 0 } })).toThrow(
      new ConfigError("invalid config hyper.batch: expected an integer ≥ 1, got 0"),
    );
    expect(() => resolveConfig("pi-mnist", "dfxp", { precision: { propagationBits: 40 } })).toThrow(
      /precision.propagationBits: expected an integer in \[2, 32\].*got 40/,
    );
    expect(() => resolveConfig("pi-mnist", "dfxp", { precision: { rounding: "up" as never } })).toThrow(
      /precision.rounding/,
    );
    expect(() => resolveConfig("nope", "fp32")).toThrow(/unknown network preset "nope"/);
    expect(() => resolveConfig("pi-mnist", "fixed", { precision: { integerBits: 25 } })).toThrow(
      /precision.integerBits/,
    );
    expect(() => resolveConfig("pi-mnist", "dfxp", { precision: { overrides: [{ group: "q" as never }] } })).toThrow(
      /overrides\[0\].group/,
    );
    expect(() => resolveConfig("pi-mnist", "fp32", { faithfulness: { ties: "most" as never } })).toThrow(
      /faithfulness.ties: expected "all" or "first", got "most"/,
    );
    expect(() => resolveConfig("pi-mnist", "fp32", { faithfulness: { shuffle: 1 } as never })).toThrow(
      /faithfulness.shuffle/,
    );
  });
});

describe("schedules (per epoch, linear)", () => {
  const h = NETWORK_PRESETS["pi-mnist"].hyper;
  it("learning rate 0.05 → 0.005 over 400 epochs, then constant", () => {
    expect(learningRateAt(h, 1)).toBe(0.05);
    expect(learningRateAt(h, 2)).toBeCloseTo(0.05 - 0.045 / 400, 12);
    expect(learningRateAt(h, 201)).toBeCloseTo(0.0275, 12);
    expect(learningRateAt(h, 401)).toBe(0.005);
    expect(learningRateAt(h, 800)).toBe(0.005);
  });
  it("momentum 0.5 → 0.7 over 200 epochs", () => {
    expect(momentumAt(h, 1)).toBe(0.5);
    expect(momentumAt(h, 101)).toBeCloseTo(0.6, 12);
    expect(momentumAt(h, 201)).toBe(0.7);
  });
});

describe("shuffling", () => {
  it("a seeded permutation per epoch; calibration (epoch 0) keeps the dataset order", () => {
    const a = epochOrder(1234, 1, 100, 10, "examples");
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(epochOrder(1234, 1, 100, 10, "examples")).toEqual(a);
    expect(epochOrder(1234, 2, 100, 10, "examples")).not.toEqual(a);
    expect(epochOrder(1234, 0, 100, 10, "examples")).toEqual(Int32Array.from({ length: 100 }, (_, i) => i));
  });
  it("'batches' keeps each batch's examples together (SVHN)", () => {
    const o = epochOrder(1, 3, 50, 10, "batches");
    for (let b = 0; b < 5; b++) {
      const first = o[b * 10]!;
      expect(first % 10).toBe(0);
      for (let k = 0; k < 10; k++) expect(o[b * 10 + k]).toBe(first + k);
    }
  });
});

describe("checkpoint encoding", () => {
  it("round-trips the header (NaN included) and the arrays bit for bit", () => {
    const arrays = new Map([
      ["a", Float32Array.of(1, -0, NaN, 3.5)],
      ["b", new Float32Array(0)],
      ["c", Float32Array.of(1e-45)],
    ]);
    const { header, arrays: back } = decodeCheckpoint(encodeCheckpoint({ x: 1, loss: NaN, inf: -Infinity }, arrays));
    expect(header).toEqual({ x: 1, loss: NaN, inf: -Infinity });
    for (const [k, v] of arrays) expect(new Uint32Array(back.get(k)!.buffer)).toEqual(new Uint32Array(v.buffer));
  });
  it("rejects other bytes and truncated files", () => {
    expect(() => decodeCheckpoint(new Uint8Array(20))).toThrow(CheckpointError);
    const bytes = encodeCheckpoint({}, new Map([["a", new Float32Array(10)]]));
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(/checkpoint is corrupt: truncated/);
  });
});
