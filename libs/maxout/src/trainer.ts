/**
 * The training loop (the authors' Trainer): evaluate the untrained network, calibrate the DFXP scales
 * (NOTES.md §1.3), then per epoch: shuffle, train on mini-batches, evaluate validation and test, keep
 * the test error of the best validation epoch, write metrics, telemetry and a checkpoint.
 */
import type { Kernels } from "@lowprec/tensor";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import { Network, type LayerState } from "./network.js";
import type { EpochMetrics, RunOutput, ScaleRow } from "./output.js";
import type { LayerPrecisionState, PrecisionSpec } from "./policy.js";
import { epochOrder, learningRateAt, momentumAt } from "./schedule.js";

/** Images (NCHW, count × c × h × w) and their labels, as @lowprec/datasets hands them out. */
export interface Dataset {
  readonly images: Float32Array;
  readonly labels: ArrayLike<number>;
  readonly count: number;
  readonly shape: readonly [number, number, number];
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
  /** return after this epoch's checkpoint, as if the process were killed (tests) */
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
  constructor(readonly phase: string, readonly epoch: number, readonly batch: number, readonly layer: number, readonly group: string, loss: number) {
    super(`training diverged: loss is ${loss} at ${phase} epoch ${epoch}, batch ${batch}; first non-finite values in layer ${layer}, group ${group}`);
  }
}

/** The header of a checkpoint (the arrays are the parameters and velocities). */
interface CheckpointHeader {
  version: 1;
  config: TrainConfig;
  epoch: number;
  history: EpochMetrics[];
  examplesInWindow: number;
  examplesSeen: number;
  layers: LayerState[];
  input: LayerPrecisionState | undefined;
}

function usesDynamicFixed(p: PrecisionSpec): boolean {
  return p.format === "dynamic-fixed" || p.overrides.some((o) => o.format === "dynamic-fixed");
}

/** Examples between two telemetry rows: the overflow-rate window, else 10,000 (the paper's). */
function telemetryWindow(p: PrecisionSpec): number {
  return p.scaling.kind === "overflow-rate" ? p.scaling.everyExamples : 10_000;
}

function checkData(config: TrainConfig, data: Splits, classes: number): void {
  const [c, h, w] = config.network.input;
  for (const [name, d] of Object.entries(data) as [string, Dataset][]) {
    const size = d.shape[0] * d.shape[1] * d.shape[2];
    if (d.shape[0] !== c || d.shape[1] !== h || d.shape[2] !== w)
      throw new RangeError(`${name} set: images of shape [${d.shape.join(", ")}] for a network whose input is [${c}, ${h}, ${w}]`);
    if (d.images.length !== d.count * size) throw new RangeError(`${name} set: ${d.images.length} pixels for ${d.count} images of ${size}`);
    if (d.labels.length !== d.count) throw new RangeError(`${name} set: ${d.labels.length} labels for ${d.count} images`);
    for (let i = 0; i < d.count; i++) {
      const l = d.labels[i]!;
      if (!Number.isInteger(l) || l < 0 || l >= classes) throw new RangeError(`${name} set: label ${l} of example ${i} is not a class in [0, ${classes})`);
    }
  }
}

/** Trains `config` on `data`, writing through `output`. Deterministic: same config and seed, same bits. */
export function train(config: TrainConfig, data: Splits, output: RunOutput, options: TrainOptions): TrainResult {
  const clock = options.clock ?? (() => performance.now());
  const { hyper, faithfulness: f } = config;
  const B = hyper.batch;
  const net = new Network(config, options.kernels, B);
  checkData(config, data, net.classes);
  const inSize = net.inputSize;
  const xBatch = new Float32Array(B * inSize);
  const yBatch = new Int32Array(B);
  const trainCount = config.trainLimit > 0 ? Math.min(config.trainLimit, data.train.count) : data.train.count;
  const order = new Int32Array(data.train.count);
  const windowExamples = telemetryWindow(config.precision);
  let examplesInWindow = 0, examplesSeen = 0;
  let history: EpochMetrics[] = [];
  let startEpoch = 0;

  const batchesOf = (n: number): number => (f.dropPartialBatches ? Math.floor(n / B) : Math.ceil(n / B));

  /** One pass over the training set; returns summed loss, errors, examples and the telemetry rows. */
  const trainEpoch = (phase: "calibration" | "training", epoch: number, lr: number, momentum: number) => {
    epochOrder(hyper.seed, phase === "calibration" ? 0 : epoch, trainCount, B, hyper.shuffle, order.subarray(0, trainCount));
    const batches = batchesOf(trainCount);
    const rows: ScaleRow[] = [];
    let loss = 0, errors = 0, examples = 0;
    output.progress?.({ kind: "start", phase, epoch, epochs: hyper.epochs, batches });
    for (let b = 0; b < batches; b++) {
      const n = Math.min(B, trainCount - b * B);
      for (let i = 0; i < n; i++) {
        const src = order[b * B + i]!;
        xBatch.set(data.train.images.subarray(src * inSize, (src + 1) * inSize), i * inSize);
        yBatch[i] = data.train.labels[src]!;
      }
      const x = n === B ? xBatch : xBatch.subarray(0, n * inSize);
      const labels = n === B ? yBatch : yBatch.subarray(0, n);
      const r = net.trainStep(x, labels, n, lr, momentum);
      if (r.blame) throw new DivergenceError(phase, epoch, b + 1, r.blame.layer, r.blame.group, r.loss);
      loss += r.loss; errors += r.errors; examples += n;
      examplesSeen += n; examplesInWindow += n;
      if (examplesInWindow >= windowExamples) {
        for (const rec of net.takeRecords()) rows.push({ ...rec, phase, epoch, batch: b + 1, examples: examplesSeen });
        examplesInWindow = 0;
      }
      output.progress?.({ kind: "batch", phase, epoch, batch: b + 1, batches });
    }
    return { loss, errors, examples, rows };
  };

  const evaluate = (d: Dataset): { error: number; loss: number } => {
    net.prepareTest();
    const count = config.evalLimit > 0 ? Math.min(config.evalLimit, d.count) : d.count;
    const batches = batchesOf(count);
    let errors = 0, loss = 0, examples = 0;
    for (let b = 0; b < batches; b++) {
      const n = Math.min(B, count - b * B);
      for (let i = 0; i < n; i++) yBatch[i] = d.labels[b * B + i]!;
      const r = net.evaluate(d.images.subarray(b * B * inSize, (b * B + n) * inSize), n === B ? yBatch : yBatch.subarray(0, n), n);
      errors += r.errors; loss += r.loss; examples += n;
    }
    return { error: examples > 0 ? (100 * errors) / examples : NaN, loss: examples > 0 ? loss / examples : NaN };
  };

  const best = (): { epoch: number; valid: number; test: number } => {
    let r = { epoch: -1, valid: Infinity, test: NaN };
    for (const m of history) {
      if (m.epoch === 0 && !f.selectFromEpochZero) continue;
      if (m.validError < r.valid) r = { epoch: m.epoch, valid: m.validError, test: m.testError };
    }
    return r;
  };

  const checkpoint = (epoch: number): void => {
    const header: CheckpointHeader = {
      version: 1, config, epoch, history, examplesInWindow, examplesSeen,
      layers: net.layerStates(), input: net.inputPrecision?.toJSON(),
    };
    output.writeCheckpoint(encodeCheckpoint(header, net.parameterArrays()));
  };

  output.writeConfig(config, options.environment ?? {});
  const saved = options.resume ? output.readCheckpoint() : undefined;
  if (saved) {
    const { header, arrays } = decodeCheckpoint(saved);
    const h = header as CheckpointHeader;
    if (h.version !== 1) throw new RangeError(`checkpoint version ${String(h.version)} is not supported`);
    const same = (c: TrainConfig) => JSON.stringify({ ...c, hyper: { ...c.hyper, epochs: 0 } });
    if (same(h.config) !== same(config)) throw new RangeError("checkpoint: the run folder holds a run with another configuration (only hyper.epochs may change on resume)");
    for (const [name, a] of net.parameterArrays()) {
      const s = arrays.get(name);
      if (!s || s.length !== a.length) throw new RangeError(`checkpoint: array ${name} missing or of another size`);
      a.set(s);
    }
    net.restoreLayerStates(h.layers, h.input);
    history = h.history; startEpoch = h.epoch; examplesInWindow = h.examplesInWindow; examplesSeen = h.examplesSeen;
    output.progress?.({ kind: "resumed", epoch: startEpoch });
  } else {
    net.init();
    const t0 = clock();
    const v = evaluate(data.valid), t = evaluate(data.test);
    const bare: EpochMetrics = {
      epoch: 0, learningRate: learningRateAt(hyper, 1), momentum: momentumAt(hyper, 1), loss: NaN, trainError: NaN,
      validError: v.error, testError: t.error, validLoss: v.loss, trainSeconds: 0, seconds: 0, examplesPerSecond: 0,
      bestEpoch: 0, bestValidError: v.error, bestTestError: t.error,
    };
    history.push(bare);
    const calibrationRows: ScaleRow[] = [];
    if (usesDynamicFixed(config.precision) && config.precision.calibrationEpochs > 0) {
      // DFXP range initialisation: train at the calibration width with range updates, then restore the
      // initial W and b (the scales stay; the authors keep the momentum buffers and the schedule).
      const initial = new Map<string, Float32Array>();
      for (const [name, a] of net.parameterArrays()) initial.set(name, a.slice());
      net.setCalibrating(true);
      for (let c = 1; c <= config.precision.calibrationEpochs; c++)
        calibrationRows.push(...trainEpoch("calibration", c, learningRateAt(hyper, 1), momentumAt(hyper, 1)).rows);
      net.setCalibrating(false);
      for (const [name, a] of net.parameterArrays()) {
        const isVelocity = name.endsWith(".update_w") || name.endsWith(".update_b");
        if (!isVelocity) a.set(initial.get(name)!);
        else if (!f.keepMomentumAfterCalibration) a.fill(0);
      }
    }
    const b0 = best();
    Object.assign(bare, { seconds: (clock() - t0) / 1000, bestEpoch: b0.epoch, bestValidError: b0.valid, bestTestError: b0.test });
    output.writeScales(0, calibrationRows);
    output.writeMetrics(history);
    checkpoint(0);
  }

  let completed = true;
  for (let epoch = startEpoch + 1; epoch <= hyper.epochs; epoch++) {
    const lr = learningRateAt(hyper, epoch), momentum = momentumAt(hyper, epoch);
    const t0 = clock();
    const r = trainEpoch("training", epoch, lr, momentum);
    const t1 = clock();
    const v = evaluate(data.valid), t = evaluate(data.test);
    const t2 = clock();
    const m: EpochMetrics = {
      epoch, learningRate: lr, momentum, loss: r.loss / r.examples, trainError: (100 * r.errors) / r.examples,
      validError: v.error, testError: t.error, validLoss: v.loss,
      trainSeconds: (t1 - t0) / 1000, seconds: (t2 - t0) / 1000, examplesPerSecond: r.examples / ((t1 - t0) / 1000),
      bestEpoch: 0, bestValidError: NaN, bestTestError: NaN,
    };
    history.push(m);
    const b = best();
    m.bestEpoch = b.epoch; m.bestValidError = b.valid; m.bestTestError = b.test;
    output.writeMetrics(history);
    output.writeScales(epoch, r.rows);
    checkpoint(epoch);
    const done = history.filter((h) => h.epoch > 0);
    const mean = done.reduce((s, h) => s + h.seconds, 0) / done.length;
    output.progress?.({ kind: "epoch", metrics: m, epochs: hyper.epochs, etaSeconds: mean * (hyper.epochs - epoch) });
    if (options.stopAfterEpoch === epoch && epoch < hyper.epochs) { completed = false; break; }
  }
  const b = best();
  return { history, bestEpoch: b.epoch, bestValidError: b.valid, bestTestError: b.test, completed, network: net };
}
