/**
 * @lowprec/transformer: a small vision Transformer trained under the paper's precision policy (METHOD.md §9):
 * patch embedding, learned positions, pre-norm multi-head self-attention and GELU MLP blocks, mean pooling,
 * LayerNorm and a linear classifier; every product's operands and every gradient rounded through
 * @lowprec/precision, the stored parameters at the update width; momentum SGD.
 */
export {
  VIT_MNIST,
  VIT_CIFAR10,
  VIT_MNIST_HYPER,
  VIT_PRESETS,
  VitConfigError,
  validateVitSpec,
  validateVitHyper,
  tokenCount,
  patchSize,
  learningRateAt,
  type VitSpec,
  type VitHyper,
  type VitPreset,
  type VitPresetName,
} from "./config.js";
export { Params, Linear, LayerNormLayer, Positions, type ParamLayer, type LinearPrecision } from "./layers.js";
export { AttentionCore, splitHeads, mergeHeads, type AttentionPrecision } from "./attention.js";
export {
  Vit,
  BLOCK_PARTS,
  vitLayerNames,
  validateVitPrecision,
  meanTokens,
  attentionSpec,
  type StepLoss,
} from "./network.js";
export {
  trainVit,
  checkVitCheckpoint,
  evaluate,
  measure,
  epochOrder,
  type VitData,
  type VitEpoch,
  type VitTrainOptions,
  type VitResult,
  type WindowClose,
} from "./train.js";
