/**
 * @lowprec/maxout: the paper's Maxout networks trained with every multiplication's operands rounded to
 * a chosen format (Courbariaux, David & Bengio, arXiv 1412.7024). The method (where it rounds) is
 * @lowprec/precision's, re-exported here.
 */
// NOTE: the policy (where the paper rounds) is @lowprec/precision's; all of it is re-exported, so that users of this
// library see one package.
export * from "@lowprec/precision";
export {
  NETWORK_PRESETS,
  type NetworkPresetName,
  type NetworkPreset,
  type NetworkSpec,
  type LayerSpec,
  type HyperParameters,
  type MaxoutDenseSpec,
  type MaxoutConvSpec,
  type SoftmaxSpec,
  type LayerCommon,
} from "./presets.js";
export {
  resolveConfig,
  validateConfig,
  FAITHFUL,
  SWITCH_VALUES,
  CONDITIONAL_SWITCHES,
  hasOverflowRateScale,
  hasScaleKind,
  usesDynamicFixed,
  calibrationEpochsOf,
  convFanOut,
  ConfigError,
  MAX_CALIBRATION_EPOCHS,
  MAX_EPOCHS,
  type TrainConfig,
  type ConfigOverrides,
  type Faithfulness,
} from "./config.js";
export { learningRateAt, momentumAt, epochOrder, AUTHORS_BATCH_CHUNK, type OrderOptions } from "./schedule.js";
export {
  scaleWindowRule,
  scaleWindowWarnings,
  windowsClosed,
  describeWindow,
  type ScaleWindowRule,
  type ScaleWindowState,
} from "./scale-window.js";
export { Network, type StepResult, type Blame } from "./network.js";
export {
  train,
  checkSplits,
  DivergenceError,
  type Dataset,
  type Splits,
  type TrainOptions,
  type TrainResult,
} from "./trainer.js";
export {
  MemoryOutput,
  dataRecord,
  type RunOutput,
  type EpochMetrics,
  type ScaleRow,
  type ProgressEvent,
  type DataRecord,
  type SplitRecord,
  type DataProvenance,
} from "./output.js";
export { encodeCheckpoint, decodeCheckpoint, CheckpointError, CHECKPOINT_MAGIC } from "./checkpoint.js";
export { formatEpochLine, formatBar, formatDuration, describeBest } from "./progress.js";
export { networkShapes, inputShapeProblem, type LayerShape } from "./shapes.js";
