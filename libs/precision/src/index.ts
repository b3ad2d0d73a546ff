/**
 * @lowprec/precision: where a network rounds (Courbariaux, David & Bengio, arXiv 1412.7024; METHOD.md §2–§3, and
 * METHOD.md §8 beyond the paper): the groups of a layer, the named rounding points of a training step, each group's
 * format, width, rounding and scaling policy, the presets, and the run-time state that moves the scales. A trainer
 * consults it by point name; it knows nothing of layers' arithmetic.
 */
export {
  GROUPS,
  ROUNDING_POINTS,
  MX_OPERANDS,
  PAPER_LAYER,
  MX_PRECISION_FORMATS,
  MX_MAX_BLOCK,
  MXINT_BITS,
  PRECISION_FORMATS,
  FLOAT_FORMATS,
  SCALABLE_FORMATS,
  PRECISION_PRESETS,
  LayerPrecision,
  resolveGroup,
  usesDynamicFixed,
  scaleWindowOf,
  mixSeed,
  isMxFormat,
  isFloatFormat,
  mxElementWidth,
  policyMx,
  policyFloat,
  scaledFloat,
  floatScaleExponent,
  type GroupName,
  type Width,
  type Step,
  type RoundingPoint,
  type PointName,
  type PolicyTable,
  type MxOperand,
  type MxOperandName,
  type MxOperandSpec,
  type MxPrecisionFormat,
  type FloatPrecisionFormat,
  type PrecisionFormat,
  type ScalingSpec,
  type GroupKnobs,
  type GroupOverride,
  type PrecisionSpec,
  type GroupRule,
  type RoundingEvent,
  type ScaleRecord,
  type PrecisionPresetName,
  type LayerPrecisionState,
} from "./policy.js";
export {
  validatePrecisionSpec,
  PrecisionSpecError,
  MAX_CALIBRATION_EPOCHS,
  BEYOND_PAPER_FLOATS,
} from "./validate.js";
export { MxScratch, mxOperand, type MxLayout } from "./mx-operand.js";
export { justInTimeKernels } from "./just-in-time.js";
export {
  ATTENTION_GROUPS,
  ATTENTION_POINTS,
  ATTENTION_CORE,
  ATTENTION_MX_OPERANDS,
  type AttentionMxOperand,
  LINEAR_POINTS,
  TRANSFORMER_LINEAR,
  type AttentionGroup,
  type AttentionPoint,
  type LinearPoint,
} from "./transformer.js";
