/**
 * A vision Transformer's shape and training schedule, validated: every refusal is one line naming the field.
 */

/** The network: an image cut into patches, `blocks` pre-norm blocks of width `dim`, mean pooling, a classifier. */
export interface VitSpec {
  /** the input image: channels × height × width, stored channel after channel (as @lowprec/datasets gives it) */
  readonly image: { readonly channels: number; readonly height: number; readonly width: number };
  /** patch side in pixels; it must divide the height and the width */
  readonly patch: number;
  /** token width d */
  readonly dim: number;
  /** attention heads; they must divide d */
  readonly heads: number;
  readonly blocks: number;
  /** the MLP's hidden width (GELU between its two linear layers) */
  readonly mlp: number;
  readonly classes: number;
  /** LayerNorm's ε (default 1e-5) */
  readonly eps?: number;
}

/** Momentum SGD with a linear warm-up and a linear decay to zero (the step counts from the first training batch). */
export interface VitHyper {
  readonly epochs: number;
  readonly batch: number;
  readonly learningRate: number;
  readonly momentum: number;
  /** warm-up length in epochs (may be fractional); the rate rises linearly from 0 over it */
  readonly warmupEpochs: number;
}

/** The preset `vit-mnist`: 7×7 patches of a 28×28 image (16 tokens), d = 64, 4 heads, 4 blocks, MLP 256. */
export const VIT_MNIST: VitSpec = Object.freeze({
  image: Object.freeze({ channels: 1, height: 28, width: 28 }),
  patch: 7,
  dim: 64,
  heads: 4,
  blocks: 4,
  mlp: 256,
  classes: 10,
});

export const VIT_MNIST_HYPER: VitHyper = Object.freeze({
  epochs: 10,
  batch: 32,
  learningRate: 0.05,
  momentum: 0.9,
  warmupEpochs: 0.2,
});

/**
 * The preset `vit-cifar10`: 4×4 patches of a 32×32 colour image (64 tokens), otherwise `vit-mnist`'s network; its
 * schedule is vit-mnist's (not tuned for CIFAR-10: a starting point, measured nowhere yet).
 */
export const VIT_CIFAR10: VitSpec = Object.freeze({
  ...VIT_MNIST,
  image: Object.freeze({ channels: 3, height: 32, width: 32 }),
  patch: 4,
});

/** A named network with its schedule, as `lowprec train --preset` takes it. */
export interface VitPreset {
  readonly name: string;
  readonly description: string;
  readonly spec: VitSpec;
  readonly hyper: VitHyper;
  /** the seed of the first run (as the Maxout presets: 1234) */
  readonly seed: number;
}

/** The ViT presets: `vit-mnist` on MNIST's 28×28 grey images, `vit-cifar10` on CIFAR-10's 32×32 colour ones. */
export const VIT_PRESETS: Readonly<Record<"vit-mnist" | "vit-cifar10", VitPreset>> = Object.freeze({
  "vit-mnist": Object.freeze({
    name: "vit-mnist",
    description: "vision Transformer on MNIST: 7×7 patches (16 tokens), d 64, 4 heads, 4 pre-norm blocks, MLP 256",
    spec: VIT_MNIST,
    hyper: VIT_MNIST_HYPER,
    seed: 1234,
  }),
  "vit-cifar10": Object.freeze({
    name: "vit-cifar10",
    description: "vision Transformer on CIFAR-10: 4×4 patches (64 tokens), d 64, 4 heads, 4 pre-norm blocks, MLP 256",
    spec: VIT_CIFAR10,
    hyper: VIT_MNIST_HYPER,
    seed: 1234,
  }),
});
export type VitPresetName = keyof typeof VIT_PRESETS;

/** A spec or hyper-parameter that cannot work; the message names the field. */
export class VitConfigError extends RangeError {
  override readonly name = "VitConfigError";
}

const positiveInt = (v: number, field: string) => {
  if (!Number.isInteger(v) || v < 1) throw new VitConfigError(`${field}: ${v} is not a positive integer`);
};

/** Refuses an impossible network in one line naming the field. */
export function validateVitSpec(s: VitSpec): void {
  positiveInt(s.image.channels, "image.channels");
  positiveInt(s.image.height, "image.height");
  positiveInt(s.image.width, "image.width");
  positiveInt(s.patch, "patch");
  for (const side of ["height", "width"] as const)
    if (s.image[side] % s.patch !== 0)
      throw new VitConfigError(`patch: ${s.patch} does not divide the image ${side} ${s.image[side]}`);
  positiveInt(s.dim, "dim");
  positiveInt(s.heads, "heads");
  if (s.dim % s.heads !== 0) throw new VitConfigError(`heads: ${s.heads} heads do not divide dim ${s.dim}`);
  positiveInt(s.blocks, "blocks");
  positiveInt(s.mlp, "mlp");
  if (!Number.isInteger(s.classes) || s.classes < 2)
    throw new VitConfigError(`classes: ${s.classes} (at least 2 expected)`);
  if (s.eps !== undefined && !(s.eps > 0 && Number.isFinite(s.eps)))
    throw new VitConfigError(`eps: ${s.eps} (a positive number expected)`);
}

/** Refuses impossible hyper-parameters in one line naming the field. */
export function validateVitHyper(h: VitHyper): void {
  positiveInt(h.epochs, "epochs");
  positiveInt(h.batch, "batch");
  if (!(h.learningRate > 0 && Number.isFinite(h.learningRate)))
    throw new VitConfigError(`learningRate: ${h.learningRate} (a positive number expected)`);
  if (!(h.momentum >= 0 && h.momentum < 1)) throw new VitConfigError(`momentum: ${h.momentum} (in [0, 1) expected)`);
  if (!(h.warmupEpochs >= 0 && h.warmupEpochs <= h.epochs))
    throw new VitConfigError(`warmupEpochs: ${h.warmupEpochs} (in [0, epochs] expected)`);
}

/** Tokens per image: (height / patch) · (width / patch). */
export function tokenCount(s: VitSpec): number {
  return (s.image.height / s.patch) * (s.image.width / s.patch);
}

/** Values per patch: channels · patch². */
export function patchSize(s: VitSpec): number {
  return s.image.channels * s.patch * s.patch;
}

/** The learning rate of training step `step` (0-based) of `total`, with `warmup` steps of linear warm-up. */
export function learningRateAt(h: VitHyper, step: number, total: number, warmup: number): number {
  const up = warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1;
  const down = Math.max(0, 1 - step / total);
  return h.learningRate * Math.min(up, down);
}
