/**
 * `lowprec train`: trains one of the paper's networks at one precision setting, writing the run folder
 * (config.json, metrics.csv/json, scales/, checkpoint.bin, summary.json) atomically as it goes.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { loadCifar10, loadMnist, loadSvhn, type Splits as DataSplits } from "@lowprec/datasets";
import {
  formatBar,
  formatEpochLine,
  NETWORK_PRESETS,
  PRECISION_PRESETS,
  resolveConfig,
  train,
  type ConfigOverrides,
  type EpochMetrics,
  type Faithfulness,
  type PrecisionSpec,
  type ProgressEvent,
  type RunOutput,
  type ScaleRow,
  type Splits,
  type TrainConfig,
  type TrainResult,
} from "@lowprec/maxout";
import { backendInfo, getBackend } from "@lowprec/tensor";
import { flagNumber, flagString, parseArgs, UsageError, type Command, type ParsedArgs } from "../command.js";
import { resolveDataDir } from "../paths.js";
import { zcaKernelsOnce } from "../zca-kernels.js";

// ** the run folder **

/** Writes `data` to `path` atomically: a temp file in the same folder, then rename. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const METRIC_COLUMNS: (keyof EpochMetrics)[] = [
  "epoch",
  "learningRate",
  "momentum",
  "loss",
  "trainError",
  "validError",
  "testError",
  "validLoss",
  "trainSeconds",
  "seconds",
  "examplesPerSecond",
  "bestEpoch",
  "bestValidError",
  "bestTestError",
];
const SCALE_COLUMNS: (keyof ScaleRow)[] = [
  "phase",
  "epoch",
  "batch",
  "examples",
  "layer",
  "group",
  "integerBits",
  "overflowRate",
  "overflowRateHalfRange",
  "amax",
];

function csv<T>(columns: (keyof T)[], rows: readonly T[]): string {
  const cell = (v: unknown): string => (v === undefined || (typeof v === "number" && Number.isNaN(v)) ? "" : String(v));
  return `${[columns.join(","), ...rows.map((r) => columns.map((c) => cell(r[c])).join(","))].join("\n")}\n`;
}

/** A RunOutput over a folder: every file is replaced atomically. */
export class FolderOutput implements RunOutput {
  private readonly interactive: boolean;
  constructor(
    readonly dir: string,
    private readonly log: (line: string) => void = (l) => console.log(l),
    interactive?: boolean,
  ) {
    mkdirSync(dir, { recursive: true });
    this.interactive = interactive ?? Boolean(process.stdout.isTTY);
  }
  writeConfig(config: TrainConfig, environment: Record<string, unknown>): void {
    writeAtomic(join(this.dir, "config.json"), `${JSON.stringify({ config, environment }, null, 2)}\n`);
  }
  writeMetrics(history: readonly EpochMetrics[]): void {
    writeAtomic(join(this.dir, "metrics.csv"), csv(METRIC_COLUMNS, history));
    writeAtomic(join(this.dir, "metrics.json"), `${JSON.stringify(history, null, 1)}\n`);
  }
  writeScales(epoch: number, rows: readonly ScaleRow[]): void {
    writeAtomic(join(this.dir, "scales", `epoch-${String(epoch).padStart(4, "0")}.csv`), csv(SCALE_COLUMNS, rows));
  }
  writeCheckpoint(bytes: Uint8Array): void {
    writeAtomic(join(this.dir, "checkpoint.bin"), bytes);
  }
  readCheckpoint(): Uint8Array | undefined {
    const p = join(this.dir, "checkpoint.bin");
    return existsSync(p) ? new Uint8Array(readFileSync(p)) : undefined;
  }
  progress(e: ProgressEvent): void {
    if (e.kind === "batch") {
      if (this.interactive && (e.batch % 5 === 0 || e.batch === e.batches))
        process.stdout.write(`\r${formatBar(`${e.phase} epoch ${e.epoch} batch`, e.batch, e.batches)}`);
      return;
    }
    if (this.interactive) process.stdout.write("\r\x1b[2K");
    if (e.kind === "start" && e.phase === "calibration")
      this.log(`calibrating the DFXP scales: epoch ${e.epoch} (${e.batches} batches at the calibration width)`);
    if (e.kind === "resumed") this.log(`resumed after epoch ${e.epoch} from ${join(this.dir, "checkpoint.bin")}`);
    if (e.kind === "epoch") this.log(formatEpochLine(e.metrics, e.epochs, e.etaSeconds));
  }
}

// ** data **

/** The three splits a preset trains on, shaped (c, h, w) as the network expects. */
export function loadSplits(preset: string, dataDir: string): Splits {
  let s: DataSplits;
  if (preset === "pi-mnist" || preset === "mnist-conv") s = loadMnist({});
  else if (preset === "cifar10") s = loadCifar10({ dataDir, kernels: zcaKernelsOnce() });
  else if (preset === "svhn") s = loadSvhn({ dataDir });
  else throw new UsageError(`no data set for preset "${preset}"`);
  const shaped = (d: DataSplits["train"]) => {
    if (d.shape.length !== 3)
      throw new Error(`${d.name} ${d.split}: expected images of shape [c, h, w], got [${d.shape.join(", ")}]`);
    return { images: d.images, labels: d.labels, count: d.count, shape: d.shape as readonly [number, number, number] };
  };
  return { train: shaped(s.train), valid: shaped(s.valid), test: shaped(s.test) };
}

// ** options → configuration **

export const TRAIN_FLAGS = [
  "preset",
  "precision",
  "epochs",
  "batch",
  "seed",
  "lr",
  "prop-bits",
  "update-bits",
  "integer-bits",
  "max-overflow-rate",
  "range-every",
  "calibration-epochs",
  "scaling",
  "rounding",
  "train-limit",
  "eval-limit",
  "out",
  "data-dir",
  "switch",
  "name",
];

/** Builds the configuration from the command line (shared with `reproduce`). */
export function configFromArgs(args: ParsedArgs, precisionName: string): TrainConfig {
  const preset = flagString(args, "preset", "pi-mnist")!;
  if (!(preset in NETWORK_PRESETS))
    throw new UsageError(`--preset: unknown "${preset}" (known: ${Object.keys(NETWORK_PRESETS).join(", ")})`);
  const base = (PRECISION_PRESETS as Record<string, PrecisionSpec>)[precisionName];
  if (!base)
    throw new UsageError(
      `--precision: unknown "${precisionName}" (known: ${Object.keys(PRECISION_PRESETS).join(", ")})`,
    );
  const hyper: Record<string, unknown> = {};
  const epochs = flagNumber(args, "epochs", undefined, { integer: true, min: 0 });
  if (epochs !== undefined) hyper.epochs = epochs;
  const batch = flagNumber(args, "batch", undefined, { integer: true, min: 1 });
  if (batch !== undefined) hyper.batch = batch;
  const seed = flagNumber(args, "seed", undefined, { integer: true, min: 0 });
  if (seed !== undefined) hyper.seed = seed;
  const lr = flagNumber(args, "lr", undefined, { min: 0 });
  if (lr !== undefined) {
    // NOTE: --lr sets LR0; the final rate keeps the preset's ratio (the paper's LR0/10).
    const p = NETWORK_PRESETS[preset as keyof typeof NETWORK_PRESETS].hyper;
    hyper.learningRate = lr;
    hyper.learningRateFinal = (lr * p.learningRateFinal) / p.learningRate;
  }
  const precision: Record<string, unknown> = {};
  const num = (flag: string, field: string, integer: boolean) => {
    const v = flagNumber(args, flag, undefined, integer ? { integer: true } : {});
    if (v !== undefined) precision[field] = v;
  };
  num("prop-bits", "propagationBits", true);
  num("update-bits", "updateBits", true);
  num("integer-bits", "integerBits", true);
  num("calibration-epochs", "calibrationEpochs", true);
  const rounding = flagString(args, "rounding");
  if (rounding !== undefined) precision.rounding = rounding;
  const scalingKind = flagString(args, "scaling");
  const maxRate = flagNumber(args, "max-overflow-rate", undefined, { min: 0 });
  const every = flagNumber(args, "range-every", undefined, { integer: true, min: 1 });
  if (scalingKind === "delayed-amax") precision.scaling = { kind: "delayed-amax", history: 16, margin: 0 };
  else if (scalingKind !== undefined && scalingKind !== "overflow-rate")
    throw new UsageError(`--scaling: expected overflow-rate or delayed-amax, got "${scalingKind}"`);
  else if (maxRate !== undefined || every !== undefined) {
    const s = base.scaling.kind === "overflow-rate" ? base.scaling : { maxRate: 1e-4, everyExamples: 10_000 };
    precision.scaling = {
      kind: "overflow-rate",
      maxRate: maxRate ?? s.maxRate,
      everyExamples: every ?? s.everyExamples,
    };
  }
  const faithfulness: Record<string, unknown> = {};
  const switches = flagString(args, "switch");
  if (switches)
    for (const kv of switches.split(",")) {
      const [k, v] = kv.split("=");
      if (!k || v === undefined) throw new UsageError(`--switch: expected name=value[,name=value], got "${kv}"`);
      faithfulness[k] = v === "true" ? true : v === "false" ? false : v;
    }
  const overrides: ConfigOverrides = {
    hyper,
    precision: precision as Partial<PrecisionSpec>,
    faithfulness: faithfulness as Partial<Faithfulness>,
    trainLimit: flagNumber(args, "train-limit", 0, { integer: true, min: 0 })!,
    evalLimit: flagNumber(args, "eval-limit", 0, { integer: true, min: 0 })!,
  };
  try {
    return resolveConfig(preset, base, overrides);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Trains `config` into `dir` (resuming when asked), printing through `log`. */
export function runTraining(
  config: TrainConfig,
  data: Splits,
  dir: string,
  resume: boolean,
  log: (l: string) => void = (l) => console.log(l),
  command: readonly string[] = [],
): TrainResult {
  const info = backendInfo();
  const output = new FolderOutput(dir, log);
  const result = train(config, data, output, {
    kernels: getBackend(),
    resume,
    environment: {
      backend: info,
      node: process.version,
      command: ["lowprec", ...command],
      started: new Date().toISOString(),
    },
  });
  const trained = result.history.filter((m) => m.epoch > 0);
  const summary = {
    preset: config.preset,
    precision: config.precision.name,
    epochs: config.hyper.epochs,
    completed: result.completed,
    bestEpoch: result.bestEpoch,
    bestValidError: result.bestValidError,
    testErrorAtBestValid: result.bestTestError,
    lastTestError: trained.at(-1)?.testError ?? NaN,
    secondsPerEpoch: trained.length ? trained.reduce((s, m) => s + m.seconds, 0) / trained.length : NaN,
    trainSecondsPerEpoch: trained.length ? trained.reduce((s, m) => s + m.trainSeconds, 0) / trained.length : NaN,
    backend: info,
  };
  writeAtomic(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  return result;
}

export const command: Command = {
  name: "train",
  summary: "train a paper network at one precision setting (fp32, half, fixed, dfxp)",
  usage: `usage: lowprec train [--preset pi-mnist|mnist-conv|cifar10|svhn] [--precision fp32|half|fixed|dfxp] [options]

options:
  --epochs N              epochs (preset: 800 / 800 / 400 / 200)
  --batch N  --seed N     mini-batch size, run seed (1234)
  --lr X                  initial learning rate (the final one keeps the preset's ratio, LR0/10)
  --prop-bits N           propagation width, sign included (fixed 20, dfxp 10)
  --update-bits N         parameter-update width, sign included (fixed 20, dfxp 12)
  --integer-bits N        fixed: radix position; dfxp: initial integer bits (5)
  --max-overflow-rate X   dfxp overflow-rate rule threshold (1e-4)
  --range-every N         examples between two scale updates (10000)
  --scaling overflow-rate|delayed-amax
  --calibration-epochs N  dfxp calibration epochs before the weights are reset (2)
  --rounding MODE         nearest-away (fixed/dfxp) | nearest-even (half) | toward-zero | stochastic
  --switch k=v[,k=v]      faithfulness switches (see libs/maxout/README.md), e.g. gradientDivisor=batch
  --train-limit N         train on the first N examples;  --eval-limit N  evaluate on the first N
  --out DIR               run folder (default data/runs/<preset>-<precision>)
  --data-dir DIR          data root: datasets in DIR/raw, runs in DIR/runs (default $LOWPREC_DATA, else the repository's data/)
  --resume                continue from DIR/checkpoint.bin`,
  async run(argv) {
    const args = parseArgs(argv, ["resume"], TRAIN_FLAGS);
    const precisionName = flagString(args, "precision", "fp32")!;
    const config = configFromArgs(args, precisionName);
    const dataDir = resolveDataDir(flagString(args, "data-dir"));
    const dir = resolve(flagString(args, "out") ?? join(dataDir, "runs", `${config.preset}-${config.precision.name}`));
    const info = backendInfo();
    console.log(
      `backend: ${info.name}${info.blas ? " (OpenBLAS)" : ""}, ${info.threads} thread(s)${info.reason ? ` — ${info.reason}` : ""}`,
    );
    console.log(
      `run: ${config.preset} ${config.precision.name}, ${config.hyper.epochs} epochs, batch ${config.hyper.batch}, seed ${config.hyper.seed} → ${dir}`,
    );
    const data = loadSplits(config.preset, dataDir);
    const r = runTraining(config, data, dir, args.flags.has("resume"), (l) => console.log(l), ["train", ...argv]);
    console.log(
      `test error at the best validation epoch (${r.bestEpoch}): ${r.bestTestError.toFixed(2)}% (validation ${r.bestValidError.toFixed(2)}%)`,
    );
    return 0;
  },
};
