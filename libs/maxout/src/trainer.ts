/**
 * The training loop (the authors' Trainer): evaluate the untrained network, calibrate the DFXP scales
 * (METHOD.md §2.3), then per epoch: shuffle, train on mini-batches, evaluate validation and test, keep
 * the test error of the best validation epoch, write metrics, telemetry and a checkpoint.
 */
import type { Kernels } from "@lowprec/tensor";
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import { calibrationEpochsOf, usesDynamicFixed, type TrainConfig } from "./config.js";
import { Network, type LayerState } from "./network.js";
import { dataRecord, type DataProvenance, type EpochMetrics, type RunOutput, type ScaleRow } from "./output.js";
import type { LayerPrecisionState } from "@lowprec/precision";
import { scaleWindowWarnings } from "./scale-window.js";
import { epochOrder, learningRateAt, momentumAt } from "./schedule.js";
import { inputShapeProblem } from "./shapes.js";

/**
 * Images (NCHW, count × c × h × w; or flat, count × features, for a network whose first layer is dense) and their
 * labels, as @lowprec/datasets hands them out. Name, class names and provenance, when present, go to the output.
 */
export interface Dataset {
  readonly images: Float32Array;
  readonly labels: ArrayLike<number>;
  readonly count: number;
  readonly shape: readonly [number, number, number] | readonly [number];
  readonly name?: string;
  readonly classNames?: readonly string[];
  readonly provenance?: DataProvenance;
}

export interface Splits {
  readonly train: Dataset;
  readonly valid: Dataset;
  readonly test: Dataset;
}

export interface TrainOptions {
  /** the compute backend (e.g. getBackend() of @lowprec/tensor) */
  readonly kernels: Kernels;
  /** continue from the output's checkpoint when there is one */
  readonly resume?: boolean;
  /** return after this epoch's checkpoint (0: after the calibration), as if the process were killed (tests) */
  readonly stopAfterEpoch?: number;
  /** written beside the configuration (backend, versions, command line) */
  readonly environment?: Record<string, unknown>;
  /** milliseconds clock (default performance.now) */
  readonly clock?: () => number;
}

export interface TrainResult {
  readonly history: readonly EpochMetrics[];
  /** the reported number: test error (percent) at the epoch of lowest validation error */
  readonly bestTestError: number;
  readonly bestValidError: number;
  readonly bestEpoch: number;
  /** false when stopped by `stopAfterEpoch` */
  readonly completed: boolean;
  readonly network: Network;
}

/** The loss became NaN or infinite: names the epoch, the batch and the group that overflowed. */
export class DivergenceError extends Error {
  override readonly name = "DivergenceError";
  /** `batch` counts from 1 */
  constructor(
    readonly phase: string,
    readonly epoch: number,
    readonly batch: number,
    readonly layer: number,
    readonly group: string,
    loss: number,
  ) {
    super(
      `training diverged: loss is ${loss} at ${phase} epoch ${epoch}, batch ${batch}` +
        `; first non-finite values in layer ${layer}, group ${group}`,
    );
  }
}

/** The header of a checkpoint (the arrays are the parameters and velocities). */
interface CheckpointHeader {
  version: 1;
  config: TrainConfig;
  epoch: number;
  history: EpochMetrics[];
  examplesInWindow: number;
  /** absent in checkpoints written before windows could count batches */
  batchesInWindow?: number;
  examplesSeen: number;
  /** false when a run of 0 epochs skipped its calibration (absent in older checkpoints: true) */
  calibrated?: boolean;
  layers: LayerState[];
  input: LayerPrecisionState | undefined;
}

function checkData(config: TrainConfig, data: Splits, classes: number): void {
  for (const [name, d] of Object.entries(data) as [string, Dataset][]) {
    const size = d.shape.reduce((a: number, b: number) => a * b, 1);
    const problem = inputShapeProblem(config.network, d.shape);
    if (problem) throw new RangeError(`${name} set: ${problem}`);
    if (d.images.length !== d.count * size)
      throw new RangeError(`${name} set: ${d.images.length} pixels for ${d.count} images of ${size}`);
    if (d.labels.length !== d.count)
      throw new RangeError(`${name} set: ${d.labels.length} labels for ${d.count} images`);
    for (let i = 0; i < d.count; i++) {
      const l = d.labels[i]!;
      if (!Number.isInteger(l) || l < 0 || l >= classes)
        throw new RangeError(`${name} set: label ${l} of example ${i} is not a class in [0, ${classes})`);
    }
  }
}

/** The examples of a split of `count` used under a limit (0 = all). */
function limited(limit: number, count: number): number {
  return limit > 0 ? Math.min(limit, count) : count;
}

/**
 * Every split must give at least one batch; otherwise its error would be 0 / 0 = NaN reported as a result. Checked
 * before anything is written, and by callers before they clear an old run for this one (`lowprec train --force`).
 */
export function checkSplits(config: TrainConfig, data: Splits): void {
  const { trainLimit, evalLimit, faithfulness } = config;
  const batch = config.hyper.batch;
  const splits: [string, Dataset, number, string][] = [
    ["train", data.train, trainLimit, "trainLimit"],
    ["valid", data.valid, evalLimit, "evalLimit"],
    ["test", data.test, evalLimit, "evalLimit"],
  ];
  for (const [name, d, limit, limitName] of splits) {
    const count = limited(limit, d.count);
    const batches = faithfulness.dropPartialBatches ? Math.floor(count / batch) : Math.ceil(count / batch);
    if (batches > 0) continue;
    const cut = count < d.count ? ` (${limitName} ${limit} of ${d.count})` : "";
    const dropped =
      count > 0 && faithfulness.dropPartialBatches ? " (partial batches are dropped: dropPartialBatches)" : "";
    throw new RangeError(`${name} split: ${count} examples${cut} give no batch of ${batch}${dropped}`);
  }
}

/** Trains `config` on `data`, writing through `output`. Deterministic: same config and seed, same bits. */
export function train(config: TrainConfig, data: Splits, output: RunOutput, options: TrainOptions): TrainResult {
  return new Run(config, data, output, options).run();
}

type Phase = "calibration" | "training";

/** The state of one run: the network, batch buffers, history and the telemetry window. */
class Run {
  private readonly net: Network;
  private readonly clock: () => number;
  private readonly batch: number;
  private readonly inSize: number;
  private readonly xBatch: Float32Array;
  private readonly yBatch: Int32Array;
  private readonly order: Int32Array;
  private examplesSeen = 0;
  /** whether the calibration epochs ran (or none were due) */
  private calibrated = false;
  private history: EpochMetrics[] = [];

  constructor(
    readonly config: TrainConfig,
    readonly data: Splits,
    readonly output: RunOutput,
    readonly options: TrainOptions,
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.batch = config.hyper.batch;
    this.net = new Network(config, options.kernels, this.batch);
    checkData(config, data, this.net.classes);
    this.inSize = this.net.inputSize;
    this.xBatch = new Float32Array(this.batch * this.inSize);
    this.yBatch = new Int32Array(this.batch);
    this.order = new Int32Array(limited(config.trainLimit, data.train.count));
    this.checkBatches();
  }

  private checkBatches(): void {
    checkSplits(this.config, this.data);
  }

  run(): TrainResult {
    const { config, output, options } = this;
    // NOTE: a resume is decoded and checked in full before writeConfig: a refused one leaves the output as it was.
    const saved = options.resume ? output.readCheckpoint() : undefined;
    const resumedAt = saved ? this.restore(saved) : undefined;
    output.writeData?.(dataRecord(this.data));
    output.writeConfig(config, options.environment ?? {});
    if (resumedAt !== undefined) output.progress?.({ kind: "resumed", epoch: resumedAt });
    for (const message of scaleWindowWarnings(config, this.order.length))
      output.progress?.({ kind: "warning", message });
    const startEpoch = resumedAt ?? this.begin();
    // A run of 0 epochs skipped the calibration; resumed with epochs to train, it calibrates now.
    if (resumedAt === 0 && !this.calibrated && this.needsCalibration()) {
      this.output.writeScales(0, this.calibrate());
      this.checkpoint(0);
    }
    let completed = !(options.stopAfterEpoch === startEpoch && startEpoch < config.hyper.epochs);
    for (let epoch = startEpoch + 1; completed && epoch <= config.hyper.epochs; epoch++) {
      this.epoch(epoch);
      if (options.stopAfterEpoch === epoch && epoch < config.hyper.epochs) completed = false;
    }
    const b = this.best();
    return {
      history: this.history,
      bestEpoch: b.epoch,
      bestValidError: b.valid,
      bestTestError: b.test,
      completed,
      network: this.net,
    };
  }

  private batchesOf(n: number): number {
    return this.config.faithfulness.dropPartialBatches ? Math.floor(n / this.batch) : Math.ceil(n / this.batch);
  }

  /** Epoch 0: initialise, evaluate the untrained network, calibrate the DFXP scales; returns 0. */
  private begin(): number {
    const { hyper } = this.config;
    this.net.init();
    const t0 = this.clock();
    const v = this.evaluate(this.data.valid),
      t = this.evaluate(this.data.test);
    const bare: EpochMetrics = {
      epoch: 0,
      learningRate: learningRateAt(hyper, 1),
      momentum: momentumAt(hyper, 1),
      loss: NaN,
      trainError: NaN,
      validError: v.error,
      testError: t.error,
      validLoss: v.loss,
      trainSeconds: 0,
      seconds: 0,
      examplesPerSecond: 0,
      bestEpoch: 0,
      bestValidError: v.error,
      bestTestError: t.error,
    };
    this.history.push(bare);
    const rows = this.needsCalibration() ? this.calibrate() : [];
    const b = this.best();
    Object.assign(bare, {
      seconds: (this.clock() - t0) / 1000,
      bestEpoch: b.epoch,
      bestValidError: b.valid,
      bestTestError: b.test,
    });
    this.output.writeScales(0, rows);
    this.output.writeMetrics(this.history);
    this.checkpoint(0);
    return 0;
  }

  /**
   * DFXP range initialisation (METHOD.md §2.3): train at the calibration width with range updates, then
   * restore the initial W and b. The scales stay; the authors keep the momentum and the schedule.
   */
  private calibrate(): ScaleRow[] {
    const { hyper, precision, faithfulness } = this.config;
    const initial = new Map<string, Float32Array>();
    for (const [name, a] of this.net.parameterArrays()) initial.set(name, a.slice());
    this.net.setCalibrating(true);
    const rows: ScaleRow[] = [];
    for (let c = 1; c <= precision.calibrationEpochs; c++)
      rows.push(...this.trainEpoch("calibration", c, learningRateAt(hyper, 1), momentumAt(hyper, 1)).rows);
    this.net.setCalibrating(false);
    this.calibrated = true;
    for (const [name, a] of this.net.parameterArrays()) {
      const isVelocity = name.endsWith(".update_w") || name.endsWith(".update_b");
      if (!isVelocity) a.set(initial.get(name)!);
      else if (!faithfulness.keepMomentumAfterCalibration) a.fill(0);
    }
    return rows;
  }

  /** Dynamic fixed point calibrates before training; a run of 0 epochs trains nothing, so it skips that. */
  private needsCalibration(): boolean {
    return calibrationEpochsOf(this.config) > 0;
  }

  /** Whether the configuration calibrates at all (a run of 0 epochs postpones it to a resume with epochs). */
  private wantsCalibration(): boolean {
    const { precision } = this.config;
    return usesDynamicFixed(precision) && precision.calibrationEpochs > 0;
  }

  /** One training epoch, evaluation, metrics, telemetry and checkpoint. */
  private epoch(epoch: number): void {
    const { hyper } = this.config;
    const lr = learningRateAt(hyper, epoch),
      momentum = momentumAt(hyper, epoch);
    const t0 = this.clock();
    const r = this.trainEpoch("training", epoch, lr, momentum);
    const t1 = this.clock();
    const v = this.evaluate(this.data.valid),
      t = this.evaluate(this.data.test);
    const t2 = this.clock();
    const m: EpochMetrics = {
      epoch,
      learningRate: lr,
      momentum,
      loss: r.loss / r.examples,
      trainError: (100 * r.errors) / r.examples,
      validError: v.error,
      testError: t.error,
      validLoss: v.loss,
      trainSeconds: (t1 - t0) / 1000,
      seconds: (t2 - t0) / 1000,
      examplesPerSecond: r.examples / ((t1 - t0) / 1000),
      bestEpoch: 0,
      bestValidError: NaN,
      bestTestError: NaN,
    };
    this.history.push(m);
    const b = this.best();
    m.bestEpoch = b.epoch;
    m.bestValidError = b.valid;
    m.bestTestError = b.test;
    this.output.writeMetrics(this.history);
    this.output.writeScales(epoch, r.rows);
    this.checkpoint(epoch);
    const done = this.history.filter((h) => h.epoch > 0);
    const mean = done.reduce((s, h) => s + h.seconds, 0) / done.length;
    this.output.progress?.({
      kind: "epoch",
      metrics: m,
      epochs: hyper.epochs,
      etaSeconds: mean * (hyper.epochs - epoch),
    });
  }

  /** One pass over the training set: summed loss, errors, examples, and the telemetry rows of its windows. */
  private trainEpoch(
    phase: Phase,
    epoch: number,
    lr: number,
    momentum: number,
  ): { loss: number; errors: number; examples: number; rows: ScaleRow[] } {
    const { hyper } = this.config,
      B = this.batch,
      count = this.order.length,
      train = this.data.train;
    epochOrder(hyper.seed, phase === "calibration" ? -epoch : epoch, count, B, hyper.shuffle, this.order, {
      batchOrder: this.config.faithfulness.batchOrder ?? "whole",
    });
    this.net.beginEpoch();
    const batches = this.batchesOf(count);
    const rows: ScaleRow[] = [];
    let loss = 0,
      errors = 0,
      examples = 0;
    this.output.progress?.({ kind: "start", phase, epoch, epochs: hyper.epochs, batches });
    for (let b = 0; b < batches; b++) {
      const n = Math.min(B, count - b * B);
      for (let i = 0; i < n; i++) {
        const src = this.order[b * B + i]!;
        this.xBatch.set(train.images.subarray(src * this.inSize, (src + 1) * this.inSize), i * this.inSize);
        this.yBatch[i] = train.labels[src]!;
      }
      const x = n === B ? this.xBatch : this.xBatch.subarray(0, n * this.inSize);
      const r = this.net.trainStep(x, n === B ? this.yBatch : this.yBatch.subarray(0, n), n, lr, momentum);
      if (r.blame) throw new DivergenceError(phase, epoch, b + 1, r.blame.layer, r.blame.group, r.loss);
      loss += r.loss;
      errors += r.errors;
      examples += n;
      this.examplesSeen += n;
      if (r.windowClosed)
        for (const rec of this.net.takeRecords())
          rows.push({ ...rec, phase, epoch, batch: b + 1, examples: this.examplesSeen });
      this.output.progress?.({ kind: "batch", phase, epoch, batch: b + 1, batches });
    }
    return { loss, errors, examples, rows };
  }

  /** Test-time error (percent) and mean loss over a split (the first `evalLimit` examples when set). */
  private evaluate(d: Dataset): { error: number; loss: number } {
    const B = this.batch;
    this.net.prepareTest();
    const count = limited(this.config.evalLimit, d.count);
    let errors = 0,
      loss = 0,
      examples = 0;
    for (let b = 0; b < this.batchesOf(count); b++) {
      const n = Math.min(B, count - b * B);
      for (let i = 0; i < n; i++) this.yBatch[i] = d.labels[b * B + i]!;
      const r = this.net.evaluate(
        d.images.subarray(b * B * this.inSize, (b * B + n) * this.inSize),
        n === B ? this.yBatch : this.yBatch.subarray(0, n),
        n,
      );
      errors += r.errors;
      loss += r.loss;
      examples += n;
    }
    return { error: examples > 0 ? (100 * errors) / examples : NaN, loss: examples > 0 ? loss / examples : NaN };
  }

  /** The epoch of lowest validation error (the first on ties) and its test error: the reported number. */
  private best(): { epoch: number; valid: number; test: number } {
    let r = { epoch: -1, valid: Infinity, test: NaN };
    for (const m of this.history) {
      if (m.epoch === 0 && !this.config.faithfulness.selectFromEpochZero) continue;
      if (m.validError < r.valid) r = { epoch: m.epoch, valid: m.validError, test: m.testError };
    }
    return r;
  }

  private checkpoint(epoch: number): void {
    const header: CheckpointHeader = {
      version: 1,
      config: this.config,
      epoch,
      history: this.history,
      examplesInWindow: this.net.windowState.examples,
      batchesInWindow: this.net.windowState.batches,
      examplesSeen: this.examplesSeen,
      calibrated: this.calibrated || !this.wantsCalibration(),
      layers: this.net.layerStates(),
      input: this.net.inputPrecision?.toJSON(),
    };
    this.output.writeCheckpoint(encodeCheckpoint(header, this.net.parameterArrays()));
  }

  /**
   * Puts a checkpoint back; returns its epoch. Only hyper.epochs may differ from the saved configuration, and
   * not below the checkpoint's epoch. Writes nothing; a CheckpointError reaches the caller as it is.
   */
  private restore(saved: Uint8Array): number {
    const { header, arrays } = decodeCheckpoint(saved);
    if (header === null || typeof header !== "object") throw new CheckpointError("checkpoint is corrupt: no header");
    const h = header as CheckpointHeader;
    if (h.version !== 1) throw new RangeError(`checkpoint version ${String(h.version)} is not supported`);
    const same = (c: TrainConfig) => JSON.stringify({ ...c, hyper: { ...c.hyper, epochs: 0 } });
    if (same(h.config) !== same(this.config))
      throw new RangeError(
        "checkpoint: the run folder holds a run with another configuration (only hyper.epochs may change on resume)",
      );
    if (h.epoch > this.config.hyper.epochs)
      throw new RangeError(
        `checkpoint: the checkpoint is at epoch ${h.epoch}, beyond the ${this.config.hyper.epochs} epochs ` +
          `configured; resume with at least ${h.epoch} epochs, or start a new run`,
      );
    for (const [name, a] of this.net.parameterArrays()) {
      const s = arrays.get(name);
      if (!s || s.length !== a.length) throw new RangeError(`checkpoint: array ${name} missing or of another size`);
      a.set(s);
    }
    this.net.restoreLayerStates(h.layers, h.input);
    this.history = h.history;
    this.net.windowState = { examples: h.examplesInWindow, batches: h.batchesInWindow ?? 0 };
    this.examplesSeen = h.examplesSeen;
    this.calibrated = h.calibrated ?? true;
    return h.epoch;
  }
}
