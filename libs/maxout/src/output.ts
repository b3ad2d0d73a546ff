/**
 * What a run writes, behind an interface the caller provides (the library knows no files): the
 * configuration, per-epoch metrics, scale telemetry, checkpoints, and progress events.
 */
import type { TrainConfig } from "./config.js";
import type { ScaleRecord } from "./policy.js";

/** One epoch's metrics (epoch 0: the untrained network; errors in percent). */
export interface EpochMetrics {
  epoch: number;
  learningRate: number;
  momentum: number;
  /** mean training loss per example (dropout pass), NaN at epoch 0 */
  loss: number;
  /** training error of the dropout passes, percent */
  trainError: number;
  validError: number;
  testError: number;
  validLoss: number;
  /** seconds of the training passes of the epoch */
  trainSeconds: number;
  /** seconds of the epoch including evaluation */
  seconds: number;
  examplesPerSecond: number;
  /** best validation epoch so far and its test error (the reported number) */
  bestEpoch: number;
  bestValidError: number;
  bestTestError: number;
}

/** A scale telemetry row: a group's integer bits and overflow rates at the end of a window. */
export interface ScaleRow extends ScaleRecord {
  /** "calibration" for the DFXP range-initialisation epochs */
  phase: "calibration" | "training";
  epoch: number;
  /** batches done in the epoch when the window closed */
  batch: number;
  /** training examples seen by the run (calibration included) */
  examples: number;
}

export type ProgressEvent =
  | { kind: "start"; phase: "calibration" | "training"; epoch: number; epochs: number; batches: number }
  | { kind: "batch"; phase: "calibration" | "training"; epoch: number; batch: number; batches: number }
  | { kind: "epoch"; metrics: EpochMetrics; epochs: number; etaSeconds: number }
  | { kind: "resumed"; epoch: number };

export interface RunOutput {
  /** the resolved configuration (and a description of the environment), once per run */
  writeConfig(config: TrainConfig, environment: Record<string, unknown>): void;
  /** every epoch so far (the implementation rewrites its metrics file atomically) */
  writeMetrics(history: readonly EpochMetrics[]): void;
  /** the scale rows of one epoch (epoch 0 holds the calibration windows) */
  writeScales(epoch: number, rows: readonly ScaleRow[]): void;
  /** the state after an epoch; must replace the previous one atomically */
  writeCheckpoint(bytes: Uint8Array): void;
  /** the last checkpoint, if any */
  readCheckpoint(): Uint8Array | undefined;
  progress?(event: ProgressEvent): void;
}

/** An in-memory RunOutput (tests, notebooks). */
export class MemoryOutput implements RunOutput {
  config: TrainConfig | undefined;
  environment: Record<string, unknown> = {};
  history: EpochMetrics[] = [];
  scales = new Map<number, ScaleRow[]>();
  checkpoint: Uint8Array | undefined;
  events: ProgressEvent[] = [];

  writeConfig(config: TrainConfig, environment: Record<string, unknown>): void {
    this.config = config;
    this.environment = environment;
  }
  writeMetrics(history: readonly EpochMetrics[]): void {
    this.history = history.map((m) => ({ ...m }));
  }
  writeScales(epoch: number, rows: readonly ScaleRow[]): void {
    this.scales.set(epoch, [...rows]);
  }
  writeCheckpoint(bytes: Uint8Array): void {
    this.checkpoint = bytes.slice();
  }
  readCheckpoint(): Uint8Array | undefined {
    return this.checkpoint;
  }
  progress(event: ProgressEvent): void {
    if (event.kind !== "batch") this.events.push(event);
  }
}
