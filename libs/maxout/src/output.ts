/**
 * What a run writes, behind an interface the caller provides (the library knows no files): the
 * configuration, the data it trains on, per-epoch metrics, scale telemetry, checkpoints, and progress events.
 */
import type { TrainConfig } from "./config.js";
import type { ScaleRecord } from "@lowprec/precision";

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

/** Where one split came from, as @lowprec/datasets records it: the files read, the cut, the preprocessing. */
export interface DataProvenance {
  /** every input file, with its SHA-256 (hex) and size in bytes */
  readonly files: readonly { readonly path: string; readonly sha256: string; readonly bytes: number }[];
  /** how the split was cut from the files, in words */
  readonly split: string;
  /** preprocessing steps applied, in order, with their parameters */
  readonly preprocessing: readonly string[];
  /** the cache entry the arrays were read from or written to, if any */
  readonly cacheFile?: string;
}

/** One split of a run's data: what the trainer was handed (name, class names, provenance when the data has them). */
export interface SplitRecord {
  readonly name?: string;
  readonly count: number;
  readonly shape: readonly number[];
  readonly classNames?: readonly string[];
  readonly provenance?: DataProvenance;
}

/** The data a run trains and evaluates on (before any train or eval limit of the configuration). */
export interface DataRecord {
  readonly train: SplitRecord;
  readonly valid: SplitRecord;
  readonly test: SplitRecord;
}

/** A split as the trainer receives it, reduced to what describes it. */
interface DescribedSplit {
  readonly count: number;
  readonly shape: readonly number[];
  readonly name?: string;
  readonly classNames?: readonly string[];
  readonly provenance?: DataProvenance;
}

/** The DataRecord of three splits (the fields they have; images and labels left out). */
export function dataRecord(data: {
  readonly train: DescribedSplit;
  readonly valid: DescribedSplit;
  readonly test: DescribedSplit;
}): DataRecord {
  const one = (d: DescribedSplit): SplitRecord => ({
    ...(d.name !== undefined ? { name: d.name } : {}),
    count: d.count,
    shape: [...d.shape],
    ...(d.classNames ? { classNames: [...d.classNames] } : {}),
    ...(d.provenance ? { provenance: d.provenance } : {}),
  });
  return { train: one(data.train), valid: one(data.valid), test: one(data.test) };
}

export type ProgressEvent =
  | { kind: "start"; phase: "calibration" | "training"; epoch: number; epochs: number; batches: number }
  | { kind: "batch"; phase: "calibration" | "training"; epoch: number; batch: number; batches: number }
  | { kind: "epoch"; metrics: EpochMetrics; epochs: number; etaSeconds: number }
  | { kind: "resumed"; epoch: number }
  /** something the run will not do as its configuration may suggest (e.g. scales that cannot move) */
  | { kind: "warning"; message: string };

/** Where a run writes; `C` is its configuration's type (a Maxout TrainConfig here; other networks have theirs). */
export interface RunOutput<C = TrainConfig> {
  /** the resolved configuration (and a description of the environment), once per run */
  writeConfig(config: C, environment: Record<string, unknown>): void;
  /**
   * the data the run trains on, once per run, just before writeConfig; an implementation that keeps the record
   * of an earlier session may refuse to resume on other data by throwing (then nothing is written)
   */
  writeData?(data: DataRecord): void;
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
  data: DataRecord | undefined;
  history: EpochMetrics[] = [];
  scales = new Map<number, ScaleRow[]>();
  checkpoint: Uint8Array | undefined;
  events: ProgressEvent[] = [];

  writeConfig(config: TrainConfig, environment: Record<string, unknown>): void {
    this.config = config;
    this.environment = environment;
  }
  writeData(data: DataRecord): void {
    this.data = data;
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
