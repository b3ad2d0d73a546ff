/**
 * The vision Transformer as a run kind: its configuration (a preset, a precision policy, a seed, the limits), resolved
 * and validated like a Maxout configuration, and its training written through the same RunOutput (config.json,
 * data.json, metrics.json with epoch 0 and the best validation epoch, the scale telemetry with the calibration windows
 * in epoch 0, atomic checkpoints, progress events), so the run folder, the store, the sweeps and the report treat
 * both networks alike. The run id of a Maxout configuration is unchanged: only a ViT configuration has `kind`.
 */
import {
  calibrationEpochsOf,
  dataRecord,
  type EpochMetrics,
  type ProgressEvent,
  type RunOutput,
  type ScaleRow,
  type Splits,
  type TrainConfig,
} from "@lowprec/maxout";
import {
  ATTENTION_GROUPS,
  calibrationEpochsFor,
  countWindowStep,
  GROUPS,
  hasScaleKind,
  PRECISION_PRESETS,
  type PrecisionSpec,
  type ScaleWindowCount,
  scaleWindowOf,
} from "@lowprec/precision";
import { decodeCheckpoint } from "@lowprec/storage";
import type { Kernels } from "@lowprec/tensor";
import {
  checkVitCheckpoint,
  trainVit,
  validateVitHyper,
  validateVitPrecision,
  validateVitSpec,
  VIT_PRESETS,
  VitConfigError,
  vitLayerNames,
  type VitData,
  type VitEpoch,
  type VitHyper,
  type VitPresetName,
  type VitSpec,
} from "@lowprec/transformer";

/** A ViT run's resolved configuration (plain JSON: written to config.json, hashed into the run id). */
export interface VitRunConfig {
  readonly kind: "vit";
  readonly preset: VitPresetName;
  readonly network: VitSpec;
  readonly hyper: VitHyper & { readonly seed: number };
  readonly precision: PrecisionSpec;
  /** train on the first N training examples only (0 = all) */
  readonly trainLimit: number;
  /** evaluate on the first N validation / test examples only (0 = all) */
  readonly evalLimit: number;
}

/** Any run's configuration: a Maxout network's (the paper's) or a vision Transformer's. */
export type RunConfig = TrainConfig | VitRunConfig;

export function isVitConfig(c: RunConfig): c is VitRunConfig {
  return (c as { kind?: unknown }).kind === "vit";
}

/** The ViT presets' names (`vit-mnist`). */
export const VIT_PRESET_NAMES: readonly string[] = Object.keys(VIT_PRESETS);

/** Whether `name` is a ViT preset (`vit-mnist`). */
export function isVitPreset(name: string): name is VitPresetName {
  return Object.hasOwn(VIT_PRESETS, name);
}

export interface VitOverrides {
  readonly hyper?: Partial<VitHyper & { readonly seed: number }>;
  readonly precision?: Partial<PrecisionSpec>;
  readonly trainLimit?: number;
  readonly evalLimit?: number;
}

/** The calibration epochs a ViT run trains (dynamic fixed point only, as the Maxout trainer). */
export function vitCalibrationEpochs(c: VitRunConfig): number {
  return calibrationEpochsFor(c.precision, c.hyper.epochs);
}

/** The calibration epochs any run trains (Maxout or ViT). */
export function runCalibrationEpochs(c: RunConfig): number {
  return isVitConfig(c) ? vitCalibrationEpochs(c) : calibrationEpochsOf(c);
}

/** Whether some group of some layer of a ViT configuration moves its scale by the overflow-rate rule. */
export function vitScalesMove(c: VitRunConfig): boolean {
  const layers = vitLayerNames(c.network.blocks).length;
  return hasScaleKind(c.precision, layers, "overflow-rate", [...GROUPS, ...ATTENTION_GROUPS]);
}

/**
 * The scale windows a ViT run closes in its calibration and training epochs on `trainCount` examples, counted up to
 * `atMost`, step by step as trainVit counts them (continuously across epochs, the partial last batch included).
 */
export function vitWindowsClosed(c: VitRunConfig, trainCount: number, atMost: number): number {
  const w = scaleWindowOf(c.precision.scaling);
  const full = Math.floor(trainCount / c.hyper.batch),
    partial = trainCount - full * c.hyper.batch;
  const sizes = [...Array<number>(full).fill(c.hyper.batch), ...(partial > 0 ? [partial] : [])];
  let closed = 0,
    count: ScaleWindowCount = { examples: 0, batches: 0 };
  for (let e = 0; e < vitCalibrationEpochs(c) + c.hyper.epochs && closed < atMost; e++)
    for (const n of sizes)
      if (countWindowStep(w, count, n)) {
        closed++;
        count = { examples: 0, batches: 0 };
      }
  return closed;
}

/**
 * A ViT preset with a precision preset (or spec) and overrides, validated: every refusal is one line naming the
 * field (an unknown preset, a width out of range, a group the ViT does not have, an MX format it does not wire).
 */
export function resolveVitConfig(
  preset: string,
  precision: string | PrecisionSpec,
  overrides: VitOverrides = {},
): VitRunConfig {
  if (!isVitPreset(preset))
    throw new VitConfigError(`unknown ViT preset "${preset}" (known: ${Object.keys(VIT_PRESETS).join(", ")})`);
  const p = VIT_PRESETS[preset];
  const base =
    typeof precision === "string" ? (PRECISION_PRESETS as Record<string, PrecisionSpec>)[precision] : precision;
  if (!base)
    throw new VitConfigError(
      `unknown precision preset "${String(precision)}" (known: ${Object.keys(PRECISION_PRESETS).join(", ")})`,
    );
  const config: VitRunConfig = {
    kind: "vit",
    preset,
    network: p.spec,
    hyper: { ...p.hyper, seed: p.seed, ...overrides.hyper },
    precision: { ...base, ...overrides.precision },
    trainLimit: overrides.trainLimit ?? 0,
    evalLimit: overrides.evalLimit ?? 0,
  };
  validateVitRunConfig(config);
  return config;
}

/** Refuses a ViT configuration that cannot run, in one line naming the field. */
export function validateVitRunConfig(c: VitRunConfig): void {
  validateVitSpec(c.network);
  validateVitHyper(c.hyper);
  const seed = c.hyper.seed;
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32))
    throw new VitConfigError(`hyper.seed: ${seed} (an integer in [0, 2^32) expected)`);
  for (const k of ["trainLimit", "evalLimit"] as const)
    if (!(Number.isInteger(c[k]) && c[k] >= 0)) throw new VitConfigError(`${k}: ${c[k]} (an integer ≥ 0 expected)`);
  validateVitPrecision(c.precision, vitLayerNames(c.network.blocks).length);
}

/** Whether the splits can feed the network: the image shape, the labels' classes, a batch within the training split. */
export function checkVitSplits(c: VitRunConfig, data: Splits): void {
  const { channels, height, width } = c.network.image;
  for (const [name, d] of Object.entries(data) as [string, Splits["train"]][]) {
    const s = d.shape;
    if (s.length !== 3 || s[0] !== channels || s[1] !== height || s[2] !== width)
      throw new VitConfigError(
        `data: the ${name} images are ${s.join("×")}; the ${c.preset} network takes ${channels}×${height}×${width}`,
      );
  }
  const n = c.trainLimit > 0 ? Math.min(c.trainLimit, data.train.count) : data.train.count;
  if (c.hyper.batch > n)
    throw new VitConfigError(`hyper.batch: ${c.hyper.batch} is more than the ${n} training examples`);
}

export interface VitRunOptions {
  readonly kernels: Kernels;
  /** continue from the output's checkpoint when there is one */
  readonly resume?: boolean;
  /** return after this training epoch's checkpoint, as if killed (0: after the calibration) */
  readonly stopAfterEpoch?: number;
  /** written beside the configuration */
  readonly environment?: Record<string, unknown>;
}

/** The training epochs a ViT checkpoint has finished (0: none, or only the calibration). */
function resumedEpoch(bytes: Uint8Array): number {
  const { header } = decodeCheckpoint(bytes);
  const epochs = (header as { epochs?: readonly VitEpoch[] }).epochs ?? [];
  return epochs.filter((e) => e.phase === "training" && e.epoch > 0).length;
}

/** The first `limit` examples of a split (all with 0), as the ViT takes them. */
function firstExamples(d: Splits["train"], limit: number): VitData {
  const count = limit > 0 ? Math.min(limit, d.count) : d.count;
  const per = d.images.length / d.count;
  const labels = d.labels instanceof Uint8Array ? d.labels : Uint8Array.from(d.labels as ArrayLike<number>);
  return { images: d.images.subarray(0, count * per), labels: labels.subarray(0, count), count };
}

/**
 * The Maxout trainer's metrics rows of a ViT history: epoch 0 (the untrained network, its seconds holding the
 * calibration epochs), then one row per training epoch with the best validation epoch so far (the first of equals).
 */
export function vitMetrics(c: VitRunConfig, history: readonly VitEpoch[], trainCount: number): EpochMetrics[] {
  const rows: EpochMetrics[] = [];
  let best: EpochMetrics | undefined;
  const calibrationSeconds = history.filter((e) => e.phase === "calibration").reduce((sum, e) => sum + e.seconds, 0);
  for (const e of history) {
    if (e.phase !== "training") continue;
    const m: EpochMetrics = {
      epoch: e.epoch,
      learningRate: e.learningRate,
      momentum: c.hyper.momentum,
      loss: e.loss,
      trainError: e.trainError,
      validError: e.validError ?? Number.NaN,
      testError: e.testError ?? Number.NaN,
      validLoss: e.validLoss ?? Number.NaN,
      trainSeconds: e.trainSeconds,
      seconds: e.epoch === 0 ? e.seconds + calibrationSeconds : e.seconds,
      examplesPerSecond: e.epoch === 0 || !(e.trainSeconds > 0) ? 0 : trainCount / e.trainSeconds,
      bestEpoch: 0,
      bestValidError: Number.NaN,
      bestTestError: Number.NaN,
    };
    if (!best || m.validError < best.validError) best = m;
    rows.push({ ...m, bestEpoch: best.epoch, bestValidError: best.validError, bestTestError: best.testError });
  }
  return rows;
}

/**
 * Trains a ViT configuration on `data` into `output`, resuming from its checkpoint when asked. Checkpoints are kept
 * at the boundaries the Maxout trainer keeps (after the whole calibration, after each training epoch), so a resumed
 * run never lacks the telemetry of a window it has already closed.
 */
export function trainVitRun(
  config: VitRunConfig,
  data: Splits,
  output: RunOutput<VitRunConfig>,
  options: VitRunOptions,
): { history: EpochMetrics[]; completed: boolean } {
  validateVitRunConfig(config);
  checkVitSplits(config, data);
  const train = firstExamples(data.train, config.trainLimit);
  const valid = firstExamples(data.valid, config.evalLimit);
  const test = firstExamples(data.test, config.evalLimit);
  const calibration = vitCalibrationEpochs(config);
  const resume = options.resume ? output.readCheckpoint() : undefined;
  const emit = (e: ProgressEvent) => output.progress?.(e);
  const { seed, ...hyperRest } = config.hyper;
  const hyper: VitHyper = hyperRest;
  // NOTE: a checkpoint of another configuration is refused before this run writes anything over the folder's files
  if (resume) checkVitCheckpoint({ spec: config.network, hyper, precision: config.precision, seed, train }, resume);
  output.writeData?.(dataRecord(data));
  output.writeConfig(config, { ...options.environment });
  if (resume) emit({ kind: "resumed", epoch: resumedEpoch(resume) });
  const batches = Math.ceil(train.count / hyper.batch);
  let history: EpochMetrics[] = [];
  let rows: ScaleRow[] = [];
  let last: VitEpoch | undefined;
  const stopAfter =
    options.stopAfterEpoch === undefined ? undefined : calibration + Math.max(0, options.stopAfterEpoch);
  const result = trainVit({
    spec: config.network,
    hyper,
    precision: config.precision,
    seed,
    kernels: options.kernels,
    train,
    valid,
    test,
    ...(resume ? { resume } : {}),
    ...(stopAfter !== undefined ? { stopAfterEpochs: stopAfter } : {}),
    onScales: (records, at) => {
      for (const r of records)
        rows.push({
          ...r,
          phase: at.phase,
          epoch: at.phase === "calibration" ? 0 : at.epoch,
          batch: at.batch,
          examples: at.examples,
        });
    },
    onEpoch: (e, all) => {
      last = e;
      history = vitMetrics(config, all, train.count);
      const endsCalibration = e.phase === "calibration" && e.epoch === calibration;
      if (e.phase === "calibration" && !endsCalibration) {
        emit({ kind: "start", phase: "calibration", epoch: e.epoch + 1, epochs: calibration, batches });
        return;
      }
      if (e.epoch === 0 && calibration > 0) return; // epoch 0's row is written when the calibration ends
      output.writeMetrics(history);
      output.writeScales(e.phase === "calibration" ? 0 : e.epoch, rows);
      rows = [];
      const m = history.at(-1);
      if (m && m.epoch > 0) {
        const done = history.filter((h) => h.epoch > 0);
        const mean = done.reduce((s, h) => s + h.seconds, 0) / done.length;
        emit({ kind: "epoch", metrics: m, epochs: hyper.epochs, etaSeconds: mean * (hyper.epochs - m.epoch) });
      }
    },
    checkpoint: (bytes) => {
      // NOTE: inside the calibration only its last epoch's state is kept (the telemetry of epoch 0 is written
      // whole then); an earlier kill restarts the calibration.
      if (last && (last.phase === "training" || last.epoch === calibration)) output.writeCheckpoint(bytes);
    },
  });
  // NOTE: a finished run resumed trains no epoch: its history is the checkpoint's
  history = vitMetrics(config, result.epochs, train.count);
  const trained = result.epochs.filter((e) => e.phase === "training" && e.epoch > 0).length;
  return { history, completed: trained >= hyper.epochs };
}
