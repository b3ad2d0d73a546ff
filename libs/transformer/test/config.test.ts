/**
 * Bad input is refused in one line naming the field: a patch that does not divide the image, heads that do not
 * divide d, an unknown group or layer in a precision override, a block-scaled format, impossible hyper-parameters.
 * The learning-rate schedule and the layer numbering, by hand.
 */
import { PRECISION_PRESETS, type PrecisionSpec } from "@lowprec/precision";
import { TsBackend } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import {
  type LinearPrecision,
  learningRateAt,
  tokenCount,
  VIT_MNIST,
  VIT_MNIST_HYPER,
  Vit,
  VitConfigError,
  validateVitHyper,
  vitLayerNames,
} from "../src/index.js";

const make = (spec = VIT_MNIST, precision: PrecisionSpec = PRECISION_PRESETS.fp32) =>
  new Vit(spec, precision, TsBackend, 2, 1);

describe("the network's shape", () => {
  it("the preset: 16 tokens of 7×7 patches, 2 + 9·4 + 2 precision layers named in order", () => {
    expect(tokenCount(VIT_MNIST)).toBe(16);
    const names = vitLayerNames(4);
    expect(names).toHaveLength(40);
    expect(names.slice(0, 4)).toEqual(["embed", "pos", "block1.ln1", "block1.q"]);
    expect(names[6]).toBe("block1.attn");
    expect(names.slice(-3)).toEqual(["block4.fc2", "norm", "head"]);
    expect(make().precisions).toHaveLength(40);
  });

  it("a patch that does not divide the image, heads that do not divide d: one line naming the field", () => {
    expect(() => make({ ...VIT_MNIST, patch: 5 })).toThrow(
      new VitConfigError("patch: 5 does not divide the image height 28"),
    );
    expect(() => make({ ...VIT_MNIST, image: { channels: 1, height: 28, width: 21 }, patch: 14 })).toThrow(
      "patch: 14 does not divide the image width 21",
    );
    expect(() => make({ ...VIT_MNIST, heads: 5 })).toThrow("heads: 5 heads do not divide dim 64");
    expect(() => make({ ...VIT_MNIST, blocks: 0 })).toThrow("blocks: 0 is not a positive integer");
    expect(() => make({ ...VIT_MNIST, classes: 1 })).toThrow("classes: 1 (at least 2 expected)");
  });
});

describe("the precision policy", () => {
  const dfxp = PRECISION_PRESETS.dfxp;
  it("an override naming an unknown group or a layer beyond the last: one line naming the field", () => {
    expect(() => make(VIT_MNIST, { ...dfxp, overrides: [{ group: "logits", propagationBits: 12 }] })).toThrow(
      /^precision\.overrides\[0\]\.group: "logits" is not a group of the ViT \(w, b, z, y, .*, scores, probs, /,
    );
    expect(() => make(VIT_MNIST, { ...dfxp, overrides: [{}, { layer: 40, propagationBits: 12 }] })).toThrow(
      "precision.overrides[1].layer: 40 (the ViT has layers 0 to 39)",
    );
  });

  it("an override of an attention group reaches that group only", () => {
    const net = make(VIT_MNIST, { ...dfxp, overrides: [{ group: "scores", propagationBits: 14 }] });
    const attn = net.precisions[6]!;
    expect(attn.rule("scores").propagation?.name).toBe("dfxp14");
    expect(attn.rule("probs").propagation?.name).toBe("dfxp10");
    expect((net.precisions[3] as LinearPrecision).rule("z").propagation?.name).toBe("dfxp10");
  });

  it("an impossible policy is refused naming the field (validatePrecisionSpec), an MX one built", () => {
    expect(() => make(VIT_MNIST, { ...PRECISION_PRESETS.mxfp8, integerBits: 3 })).toThrow(
      "invalid config precision.integerBits: expected 0 (an MX block's scale comes from its maximum), got 3",
    );
    expect(make(VIT_MNIST, PRECISION_PRESETS.mxfp8).precisions[6]!.rule("dEdscores").mx?.name).toBe("mxfp8e5m2");
  });
});

describe("hyper-parameters and the schedule", () => {
  it("refuses impossible values naming the field", () => {
    expect(() => validateVitHyper({ ...VIT_MNIST_HYPER, batch: 0 })).toThrow("batch: 0 is not a positive integer");
    expect(() => validateVitHyper({ ...VIT_MNIST_HYPER, momentum: 1 })).toThrow("momentum: 1 (in [0, 1) expected)");
    expect(() => validateVitHyper({ ...VIT_MNIST_HYPER, learningRate: -1 })).toThrow("learningRate: -1");
    expect(() => validateVitHyper({ ...VIT_MNIST_HYPER, warmupEpochs: 11 })).toThrow("warmupEpochs: 11");
  });

  it("warm-up then linear decay, by hand: 0.1 over 10 steps with 4 of warm-up", () => {
    const h = { ...VIT_MNIST_HYPER, learningRate: 0.1 };
    const rates = Array.from({ length: 10 }, (_, s) => learningRateAt(h, s, 10, 4));
    // step s: min((s+1)/4, 1 − s/10) · 0.1
    expect(rates.map((r) => +r.toFixed(6))).toEqual([0.025, 0.05, 0.075, 0.07, 0.06, 0.05, 0.04, 0.03, 0.02, 0.01]);
  });
});
