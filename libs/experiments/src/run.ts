/** One training run into a run folder: open (locked), train (resuming when asked), summarise, close. */
import {
  checkSplits,
  DivergenceError,
  train,
  type EpochMetrics,
  type ProgressEvent,
  type Splits,
} from "@lowprec/maxout";
import { backendInfo, getBackend, type BackendInfo } from "@lowprec/tensor";
import { codeIdentity, describeCode } from "./code-identity.js";
import { bitDifferences, bitSettings, currentEnvironment } from "./environment.js";
import { startHeartbeat, type HeartbeatHandle } from "./queue-lock.js";
import { RunFolder, type OpenMode } from "./run-folder.js";
import { runId } from "./run-id.js";
import { checkVitSplits, isVitConfig, trainVitRun, type RunConfig } from "./vit-run.js";

/** summary.json: the reported numbers of a run. */
export interface RunSummary {
  runId: string;
  preset: string;
  precision: string;
  epochs: number;
  /** epochs trained so far */
  epochsDone: number;
  completed: boolean;
  bestEpoch: number;
  bestValidError: number;
  /** the reported number: test error (percent) at the epoch of lowest validation error */
  testErrorAtBestValid: number;
  lastTestError: number | null;
  secondsPerEpoch: number | null;
  trainSecondsPerEpoch: number | null;
  backend: ReturnType<typeof backendInfo>;
}

export interface RunOptions {
  readonly dir: string;
  readonly mode: OpenMode;
  /** the command line, recorded in config.json and the lock */
  readonly command?: readonly string[];
  readonly log?: (line: string) => void;
  /** stop after this epoch's checkpoint, as if killed (tests) */
  readonly stopAfterEpoch?: number;
  /** progress bars (default: stdout is a TTY) */
  readonly interactive?: boolean;
  /** called with every progress event */
  readonly onEvent?: (e: ProgressEvent) => void;
  /** called once the folder is open and locked, before training (e.g. to write run.json through the folder) */
  readonly beforeTraining?: (folder: RunFolder) => void;
  /** a queue run: beat the folder's heartbeat (queue-lock.ts) from this process, every `everyMs` at most */
  readonly heartbeat?: { readonly job: string; readonly everyMs: number };
  /**
   * resume a run whose earlier sessions ran other code (another code fingerprint, or none recorded): refused
   * otherwise, since its numbers would mix two programs; with it, a warning, and config.json keeps both
   */
  readonly allowOtherCode?: boolean;
}

/** A resume by other code than the run's earlier sessions, refused (RunOptions.allowOtherCode). */
export class OtherCodeError extends Error {
  override readonly name = "OtherCodeError";
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

/**
 * The summary of a run from its configuration and its metrics (every epoch so far, epoch 0 first): written by
 * runTraining when the run stops, and re-derived from a verified metrics.json when summary.json is damaged.
 * The best epoch and its errors are the last epoch's running best (the trainer tracks them per epoch).
 */
export function summarize(config: RunConfig, history: readonly EpochMetrics[], backend: BackendInfo): RunSummary {
  const trained = history.filter((m) => m.epoch > 0);
  const last = trained.at(-1);
  const final = history.at(-1);
  return {
    runId: runId(config),
    preset: config.preset,
    precision: config.precision.name,
    epochs: config.hyper.epochs,
    epochsDone: last?.epoch ?? 0,
    completed: (last?.epoch ?? 0) >= config.hyper.epochs,
    bestEpoch: final?.bestEpoch ?? 0,
    bestValidError: final?.bestValidError ?? Number.NaN,
    testErrorAtBestValid: final?.bestTestError ?? Number.NaN,
    lastTestError: last?.testError ?? null,
    secondsPerEpoch: mean(trained.map((m) => m.seconds)),
    trainSecondsPerEpoch: mean(trained.map((m) => m.trainSeconds)),
    backend,
  };
}

/** Trains `config` on `data` into `opts.dir`; the summary is written whether the run completes or stops. */
export function runTraining(
  config: RunConfig,
  data: Splits,
  opts: RunOptions,
): { history: readonly EpochMetrics[]; summary: RunSummary } {
  const log = opts.log ?? ((l: string) => console.log(l));
  const command = opts.command ?? [];
  // NOTE: before the folder opens: mode "force" deletes the run in it, which a configuration that cannot train on
  // this data (a batch larger than a split) must not cost.
  if (isVitConfig(config)) checkVitSplits(config, data);
  else checkSplits(config, data);
  // NOTE: the heartbeat is beaten here, by the process that holds the lock and trains, from its progress events
  // (a timer would not fire during a synchronous epoch); a beat throws LockLostError once the folder is taken over.
  let heart: HeartbeatHandle | undefined;
  const onEvent = opts.onEvent;
  const folder = RunFolder.open(opts.dir, {
    mode: opts.mode,
    command,
    log,
    ...(opts.interactive !== undefined ? { interactive: opts.interactive } : {}),
    ...(onEvent || opts.heartbeat
      ? {
          onEvent: (e: ProgressEvent) => {
            heart?.beat();
            onEvent?.(e);
          },
        }
      : {}),
  });
  try {
    const earlier = folder.previousEnvironment();
    const now = codeIdentity();
    if (earlier && earlier.code?.fingerprint !== now.fingerprint) {
      const what = `${opts.dir}: the run was trained by ${describeCode(earlier.code)}, this is ${describeCode(now)}`;
      if (!opts.allowOtherCode)
        throw new OtherCodeError(
          `${what}; resume it with this code anyway with --allow-other-code (lowprec train --resume, sweep, ` +
            "worker), or start over (remove the folder, or lowprec train --force)",
        );
      log(`WARNING: ${what}: resuming anyway (--allow-other-code); config.json keeps both identities`);
    }
    if (opts.heartbeat) heart = startHeartbeat(folder.lock, opts.heartbeat.job, opts.heartbeat.everyMs);
    const before = folder.previousBits();
    if (before) {
      const diff = bitDifferences(before, bitSettings());
      if (diff.length)
        log(`warning: resuming under other settings (${diff.join("; ")}): the result will not be bit-identical`);
    }
    opts.beforeTraining?.(folder);
    const environment = currentEnvironment(command);
    const trainOptions = {
      kernels: getBackend(),
      resume: folder.resumable,
      environment: { ...environment },
      ...(opts.stopAfterEpoch !== undefined ? { stopAfterEpoch: opts.stopAfterEpoch } : {}),
    };
    const { history } = isVitConfig(config)
      ? trainVitRun(config, data, folder, trainOptions)
      : train(config, data, folder, trainOptions);
    const summary = summarize(config, history, backendInfo());
    if (!Number.isFinite(summary.testErrorAtBestValid) || !Number.isFinite(summary.bestValidError))
      throw new DivergenceError("evaluation", summary.bestEpoch, 0, -1, "none", summary.testErrorAtBestValid);
    folder.writeSummary(summary);
    return { history, summary };
  } finally {
    heart?.stop();
    folder.close();
  }
}
