/**
 * How long runs take: the dry run's and the sweep's "about …", and reproduce's total. Calibrated from this machine's
 * own finished runs in the result store when it holds similar ones (same preset, precision format and thread count;
 * a training split within a factor of 8), else from built-in rates; every estimate says which.
 *
 * A run is its epoch 0 (the untrained network evaluated, then the dynamic fixed point calibration epochs), then its
 * training epochs, each a training pass and an evaluation of the validation and test sets. A finished run records
 * each epoch's seconds and training seconds (metrics.json), its configuration and host (config.json): from these, the
 * seconds of a training pass, of an evaluation and of a calibration epoch, scaled to the planned run's examples. A
 * sweep adds what its runs do not record: each worker's start and its data set's loading, and a few tenths of a
 * second per run for its files; it runs the runs on its jobs in order, so its time is that of the busiest job.
 */
import { existsSync, readdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { EpochMetrics } from "@lowprec/maxout";
import { DATASETS, TRAIN_EXAMPLES, type DatasetName } from "./definitions.js";
import { readConfigRecord, readRunJson } from "./run-folder.js";
import type { RunSummary } from "./run.js";
import { runCalibrationEpochs, type RunConfig } from "./vit-run.js";

/** Validation and test examples of each dataset (the paper's splits). */
const EVAL_SPLITS: Readonly<Record<DatasetName, { readonly valid: number; readonly test: number }>> = {
  "pi-mnist": { valid: 10_000, test: 10_000 },
  "mnist-conv": { valid: 10_000, test: 10_000 },
  cifar10: { valid: 5_000, test: 10_000 },
  svhn: { valid: 6_000, test: 26_032 },
  "vit-mnist": { valid: 10_000, test: 10_000 },
};

/**
 * Built-in seconds per training example at one thread, measured on a 2-core AMD EPYC (the budget runs of
 * reports/results: PI-MNIST's Table 2 column, 418 s for 50 epochs of 50,000 examples and 20,000 evaluated, float32);
 * an evaluated example counts a third of a trained one.
 */
const BUILT_IN_RATE: Readonly<Record<DatasetName, number>> = {
  "pi-mnist": 1.5e-4,
  "mnist-conv": 4e-3,
  cifar10: 1.2e-2,
  svhn: 1.2e-2,
  // the ViT in dfxp 10/12 (lowprec train --preset vit-mnist --train-limit 2000): 3.7 s per epoch of 2,000 images
  // while two CIFAR-10 runs held both cores
  "vit-mnist": 1.9e-3,
};

/**
 * Built-in cost of a format relative to float32 (the budget runs of reports/results on 10,000 PI-MNIST examples,
 * formats.csv: binary16 1.06, dynamic fixed 1.12 with its calibration, bfloat16 1.52, FP8 1.42–1.49; fixed point,
 * radix-point.csv and prop-bits.csv: 1.2–1.6).
 */
const BUILT_IN_FORMAT_COST: Readonly<Record<string, number>> = {
  float32: 1,
  binary16: 1.05,
  "dynamic-fixed": 1.05,
  fixed: 1.3,
  bfloat16: 1.5,
  fp8e4m3: 1.45,
  fp8e5m2: 1.45,
};

/**
 * Built-in seconds an epoch costs whatever its size (shuffling, the test-time copies of the weights, the first
 * epoch's warm-up), measured with the smoke variant on the machine above: runs of 1,000 PI-MNIST examples take
 * 0.3–0.9 s an epoch where the rate alone says 0.2 s.
 */
const BUILT_IN_EPOCH_SECONDS: Readonly<Record<DatasetName, number>> = {
  "pi-mnist": 0.4,
  "mnist-conv": 1,
  cifar10: 1,
  svhn: 1,
  "vit-mnist": 1,
};

/** Seconds a run spends beside its epochs (opening, its files written and synced), measured as above. */
export const RUN_OVERHEAD_SECONDS = 0.5;

/** Seconds a sweep worker takes to start (fork, modules, native addon), measured as above. */
export const WORKER_START_SECONDS = 1;

/**
 * Seconds a worker takes to load a data set the first time (MNIST, embedded: measured as above). CIFAR-10 and SVHN
 * are not counted: their loading was not measured here (SVHN's preprocessing cache alone is 7.75 GB).
 */
const LOAD_SECONDS: Readonly<Record<DatasetName, number>> = {
  "pi-mnist": 1.4,
  "mnist-conv": 1.4,
  cifar10: 0,
  svhn: 0,
  "vit-mnist": 1.4,
};

/** The data a worker loads once for several presets (MNIST conv trains on PI-MNIST's images). */
const LOADED_AS: Readonly<Record<DatasetName, string>> = {
  "pi-mnist": "mnist",
  "mnist-conv": "mnist",
  cifar10: "cifar10",
  svhn: "svhn",
  "vit-mnist": "mnist",
};

/** A training split more than this many times larger or smaller than a finished run's is not estimated from it. */
export const SIMILAR_SIZE = 8;

const isDataset = (p: string): p is DatasetName => (DATASETS as readonly string[]).includes(p);

/** The examples an epoch of `config` trains on and evaluates (validation and test together). */
export function epochExamples(config: RunConfig): { train: number; evaluated: number } {
  const preset = isDataset(config.preset) ? config.preset : "pi-mnist";
  const train = TRAIN_EXAMPLES[preset];
  const { valid, test } = EVAL_SPLITS[preset];
  const lim = (limit: number, n: number) => (limit > 0 ? Math.min(limit, n) : n);
  return {
    train: lim(config.trainLimit, train),
    evaluated: lim(config.evalLimit, valid) + lim(config.evalLimit, test),
  };
}

/** What one finished run on this machine measured, per epoch. */
export interface RunSample {
  /** the run's folder (to count the runs an estimate used) */
  readonly id: string;
  readonly preset: string;
  readonly format: string;
  readonly threads: number;
  readonly train: number;
  readonly evaluated: number;
  /** seconds of a training pass (the mean over its training epochs) */
  readonly trainSeconds: number;
  /** seconds of an evaluation of the validation and test sets (the mean over its training epochs) */
  readonly evalSeconds: number;
  /** seconds of a calibration epoch, when it had any */
  readonly calibrationSeconds?: number;
}

/** A finished run's sample from its configuration and metrics (undefined when it trained no epoch). */
export function runSample(
  id: string,
  config: RunConfig,
  threads: number,
  history: readonly EpochMetrics[],
): RunSample | undefined {
  const trained = history.filter((m) => m.epoch > 0);
  const first = history.find((m) => m.epoch === 0);
  if (trained.length === 0 || first === undefined) return undefined;
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const trainSeconds = mean(trained.map((m) => m.trainSeconds));
  const evalSeconds = mean(trained.map((m) => Math.max(0, m.seconds - m.trainSeconds)));
  if (!(Number.isFinite(trainSeconds) && Number.isFinite(evalSeconds) && trainSeconds > 0)) return undefined;
  const cal = runCalibrationEpochs(config);
  const { train, evaluated } = epochExamples(config);
  return {
    id,
    preset: config.preset,
    format: config.precision.format,
    threads,
    train,
    evaluated,
    trainSeconds,
    evalSeconds,
    ...(cal > 0 ? { calibrationSeconds: Math.max(0, first.seconds - evalSeconds) / cal } : {}),
  };
}

/**
 * The sample of the finished run in `dir` when every session of it ran on host `host` (verified reads; undefined for
 * a run not finished, another host's, or one whose files do not verify).
 */
export function storedSample(dir: string, host = hostname()): RunSample | undefined {
  try {
    if (!existsSync(join(dir, "summary.json"))) return undefined;
    const s = readRunJson(dir, "summary.json") as Partial<RunSummary>;
    if (s.completed !== true) return undefined;
    const rec = readConfigRecord(dir);
    if (rec === undefined || ![rec.environment, ...(rec.earlier ?? [])].every((e) => e.host === host)) return undefined;
    const history = readRunJson(dir, "metrics.json");
    if (!Array.isArray(history)) return undefined;
    return runSample(dir, rec.config, rec.environment.bits.threads, history as EpochMetrics[]);
  } catch {
    // NOTE: a damaged or unreadable run is no evidence of speed; the sweep and `lowprec verify` name it.
    return undefined;
  }
}

/** The estimate of one run: its seconds and the finished runs it was derived from (none: the built-in rates). */
export interface RunEstimate {
  readonly seconds: number;
  readonly from: readonly string[];
}

/** What a planned run needs for its estimate. */
export interface EstimatedRun {
  readonly dataset: DatasetName;
  readonly config: RunConfig;
}

/** Seconds of a run's parts at a sample's speed, scaled to its examples. */
interface EpochCost {
  readonly train: number;
  readonly evaluation: number;
  readonly calibration: number;
}

/** The finished runs of this machine a sweep estimates from, and the estimates. */
export class RunHistory {
  private readonly samples: RunSample[] = [];
  private readonly ids = new Set<string>();

  constructor(samples: readonly RunSample[] = []) {
    for (const s of samples) this.add(s);
  }

  /** The finished runs on this host under a results root (every experiment and variant). */
  static fromStore(root: string, host = hostname()): RunHistory {
    const h = new RunHistory();
    const dirs = (d: string) =>
      existsSync(d)
        ? readdirSync(d, { withFileTypes: true })
            .filter((e) => e.isDirectory() && !e.name.startsWith("."))
            .map((e) => join(d, e.name))
        : [];
    for (const experiment of dirs(root))
      for (const variant of dirs(experiment))
        for (const run of dirs(variant)) {
          const s = storedSample(run, host);
          if (s) h.add(s);
        }
    return h;
  }

  /** Adds a finished run (once per id). */
  add(s: RunSample): void {
    if (this.ids.has(s.id)) return;
    this.ids.add(s.id);
    this.samples.push(s);
  }

  get size(): number {
    return this.samples.length;
  }

  /** The samples a run is estimated from: its preset, format and threads, the nearest training split (within 8×). */
  private similar(run: EstimatedRun, threads: number, train: number): RunSample[] {
    const same = this.samples.filter(
      (s) => s.preset === run.config.preset && s.format === run.config.precision.format && s.threads === threads,
    );
    const distance = (s: RunSample) => Math.abs(Math.log(s.train / train));
    let best = Infinity;
    for (const s of same) best = Math.min(best, distance(s));
    if (!(best <= Math.log(SIMILAR_SIZE))) return [];
    return same.filter((s) => distance(s) === best);
  }

  /** The seconds of a run's parts from its similar samples, or the built-in rates. */
  private epochCost(run: EstimatedRun, threads: number): { cost: EpochCost; from: string[] } {
    const { train, evaluated } = epochExamples(run.config);
    const near = this.similar(run, threads, train);
    if (near.length === 0) {
      const rate = BUILT_IN_RATE[run.dataset] * (BUILT_IN_FORMAT_COST[run.config.precision.format] ?? 1.5);
      const fixed = BUILT_IN_EPOCH_SECONDS[run.dataset];
      const pass = train * rate + fixed / 2;
      return { cost: { train: pass, evaluation: (evaluated / 3) * rate + fixed / 2, calibration: pass }, from: [] };
    }
    const mean = (f: (s: RunSample) => number) => near.reduce((a, s) => a + f(s), 0) / near.length;
    const cost = {
      train: mean((s) => (s.trainSeconds * train) / s.train),
      evaluation: mean((s) => (s.evaluated > 0 ? (s.evalSeconds * evaluated) / s.evaluated : 0)),
      calibration: mean((s) => ((s.calibrationSeconds ?? s.trainSeconds) * train) / s.train),
    };
    return { cost, from: near.map((s) => s.id) };
  }

  /**
   * The seconds of a run with `epochsLeft` training epochs to go (all of them: epoch 0 and the calibration too) at
   * `threads` threads, its files included.
   */
  estimate(run: EstimatedRun, epochsLeft: number, threads: number): RunEstimate {
    const { cost, from } = this.epochCost(run, threads);
    const fresh = epochsLeft >= run.config.hyper.epochs;
    const first = fresh ? cost.evaluation + runCalibrationEpochs(run.config) * cost.calibration : 0;
    return { seconds: RUN_OVERHEAD_SECONDS + first + epochsLeft * (cost.train + cost.evaluation), from };
  }
}

/** A run of a sweep's estimate: its dataset (which data its worker loads) and its seconds. */
export interface PoolItem {
  readonly dataset: DatasetName;
  readonly seconds: number;
}

/**
 * The seconds a sweep of `items` takes on `jobs` workers: each starts, loads a data set the first time it needs it,
 * and takes the next run when it is free (in order, as the sweep hands them out); the sweep ends with its busiest
 * worker. No runs, no time.
 */
export function poolSeconds(items: readonly PoolItem[], jobs: number): number {
  if (items.length === 0) return 0;
  const workers = Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, () => ({
    free: WORKER_START_SECONDS,
    loaded: new Set<string>(),
  }));
  for (const item of items) {
    let w = workers[0]!;
    for (const x of workers) if (x.free < w.free) w = x;
    const data = LOADED_AS[item.dataset];
    // NOTE: a worker keeps one data set at a time (worker.ts): another one replaces it.
    if (!w.loaded.has(data)) {
      w.free += LOAD_SECONDS[item.dataset];
      w.loaded.clear();
      w.loaded.add(data);
    }
    w.free += item.seconds;
  }
  return Math.max(...workers.map((w) => w.free));
}

/** A sweep's (or several sweeps') estimate: seconds, runs to run, and which of them were estimated from history. */
export interface SweepEstimate {
  readonly seconds: number;
  readonly runs: number;
  /** runs estimated from the built-in rates */
  readonly builtIn: number;
  /** the finished runs the others were estimated from */
  readonly from: ReadonlySet<string>;
  /** finished runs of this machine in the store */
  readonly history: number;
}

/** Several sweeps' estimates as one (reproduce's total: one experiment after the other). */
export function addEstimates(estimates: readonly SweepEstimate[]): SweepEstimate {
  return {
    seconds: estimates.reduce((s, e) => s + e.seconds, 0),
    runs: estimates.reduce((s, e) => s + e.runs, 0),
    builtIn: estimates.reduce((s, e) => s + e.builtIn, 0),
    from: new Set(estimates.flatMap((e) => [...e.from])),
    history: Math.max(0, ...estimates.map((e) => e.history)),
  };
}

/**
 * What an estimate was made from, in words: "from 37 finished runs on this machine", "built-in rate; no history on
 * this machine", or both with the count of each.
 */
export function describeBasis(e: SweepEstimate): string {
  if (e.runs === 0) return "nothing to run";
  const runs = (n: number) => `${n} finished run${n === 1 ? "" : "s"}`;
  if (e.builtIn === 0) return `from ${runs(e.from.size)} on this machine`;
  const why = e.history === 0 ? "no history on this machine" : "no similar finished run on this machine";
  if (e.builtIn === e.runs) return `built-in rate; ${why}`;
  return `from ${runs(e.from.size)} on this machine; built-in rate for ${e.builtIn} of the ${e.runs} runs (${why})`;
}
