/**
 * @lowprec/experiments: where the libraries meet to run the paper's experiments.
 *
 * ```ts
 * import { loadSplits, runTraining } from "@lowprec/experiments";
 * import { resolveConfig } from "@lowprec/maxout";
 * const config = resolveConfig("pi-mnist", "dfxp", { hyper: { epochs: 2 }, trainLimit: 5000, evalLimit: 2000 });
 * const { summary } = runTraining(config, loadSplits("pi-mnist", "data"), { dir: "data/runs/x", mode: "new" });
 * ```
 */
export { canonicalJson, runId } from "./run-id.js";
export {
  bitSettings,
  bitDifferences,
  currentEnvironment,
  gitCommit,
  type BitSettings,
  type Environment,
} from "./environment.js";
export {
  codeIdentity,
  commitLabel,
  describeCode,
  fingerprintOf,
  gitState,
  packageRoots,
  FINGERPRINTED_PACKAGES,
  type CodeIdentity,
} from "./code-identity.js";
export { storeIdentity, STORE_ID_FILE, type StoreIdentity } from "./store-identity.js";
export {
  RunFolder,
  RunExistsError,
  RUN_FILES,
  METRIC_COLUMNS,
  readJsonFile,
  readDataRecord,
  readConfigRecord,
  readRunFile,
  readRunJson,
  isRunFile,
  dataDifference,
  type OpenMode,
  type RunFolderOptions,
  type ConfigRecord,
} from "./run-folder.js";
export {
  loadSplits,
  datasetAvailable,
  MNIST_LAYOUT_PRESETS,
  IMAGE_LAYOUT_PRESETS,
  dataSourceName,
  type DataSource,
  type IdxSource,
  type ImagesSource,
} from "./data.js";
export { zcaKernels, zcaKernelsOnce, type ZcaKernels } from "./zca-kernels.js";
export {
  loadExperiment,
  validateExperiment,
  expandRuns,
  planRuns,
  plannedRunCount,
  MAX_PLANNED_RUNS,
  MAX_SEEDS,
  compressedSchedule,
  experimentNames,
  experimentsDir,
  DefinitionError,
  UnknownExperimentError,
  isDefinitionPath,
  DATASETS,
  VARIANTS,
  SWEEPABLE,
  TRAIN_EXAMPLES,
  shrinkScaling,
  type ExperimentDef,
  type SettingDef,
  type VariantDef,
  type PlannedRun,
  type DatasetName,
  type VariantName,
  type Sweepable,
  type ExpandOptions,
} from "./definitions.js";
export {
  resultsRoot,
  runDir,
  storedState,
  runMeta,
  runProblems,
  damagedAdvice,
  type RunMeta,
  type StoredState,
} from "./store.js";
export { verifyStore, verifyRunFolder, type FolderCheck } from "./verify.js";
export { runSweep, THREADS_PER_RUN, type SweepOptions, type SweepReport } from "./sweep.js";
export {
  addEstimates,
  describeBasis,
  epochExamples,
  poolSeconds,
  runSample,
  storedSample,
  RunHistory,
  RUN_OVERHEAD_SECONDS,
  WORKER_START_SECONDS,
  type RunEstimate,
  type RunSample,
  type SweepEstimate,
} from "./estimate.js";
export {
  calibrationNote,
  describeResult,
  runNotes,
  settleNote,
  INITIAL_INTEGER_BITS,
  SETTLE_WINDOWS,
} from "./run-lines.js";
export {
  enqueueSweep,
  sweepStatus,
  formatSweepStatus,
  openQueue,
  checkRedis,
  connectRedis,
  queueTarget,
  queueNameOf,
  otherQueues,
  formatOtherQueues,
  QUEUE_REGISTRY,
  parseQueueUrl,
  sharedDirectory,
  jobId,
  QUEUE_NAME,
  JOB_DEFAULTS,
  type ResultLocation,
  type QueueJobData,
  type QueueProgress,
  type QueueResult,
  type QueueRunStatus,
  type QueueSweepOptions,
  type EnqueueOptions,
  type EnqueueReport,
  type QueueTarget,
  type QueueInfo,
  type OtherQueue,
  type RedisChecks,
} from "./queue.js";
export {
  startQueueWorker,
  UNRECOVERABLE_ERRORS,
  LOCK_DURATION_RANGE,
  STALLED_INTERVAL_RANGE,
  type QueueWorker,
  type QueueWorkerOptions,
} from "./queue-worker.js";
export { claimFolder, startHeartbeat, HEARTBEAT_FILE, type Heartbeat, type HeartbeatHandle } from "./queue-lock.js";
export {
  collectResults,
  evaluatedExamples,
  isDirtyCommit,
  runCommit,
  storedSeeds,
  storedRunDir,
  MAX_STORED_SEEDS,
  TEST_EXAMPLES,
  type EvaluationConfig,
} from "./results.js";
export { runTraining, summarize, OtherCodeError, type RunSummary, type RunOptions } from "./run.js";
export {
  collectReport,
  buildReport,
  collectCommand,
  isLocalVariant,
  localReportDir,
  LOCAL_VARIANTS,
  paperTable2,
  storeVariants,
  type BuildOptions,
  type CollectOptions,
  type CollectionRecord,
  type MachineRecord,
  type RunProvenance,
  type Provenance,
  type DataProvenanceEntry,
} from "./report.js";
export {
  evaluateFindings,
  findingsMarkdown,
  findingsSummary,
  findingRulesPath,
  loadFindingRules,
  validateFindingRules,
  conditionsText,
  sweepKnee,
  sweepOptimum,
  FindingRulesError,
  VERDICTS,
  type Finding,
  type FindingRule,
  type FindingRules,
  type FindingsInput,
  type Verdict,
  type Knee,
  type Optimum,
  type SweepPoint,
  type Table2RatioRule,
  type Table2OrderRule,
  type NearBaselineRule,
  type OptimumRule,
  type KneeRule,
  type FlatRule,
  type CompareRule,
} from "./findings.js";
