/** One training run into a run folder: open (locked), train (resuming when asked), summarise, close. */
import {
  DivergenceError,
  train,
  type ProgressEvent,
  type Splits,
  type TrainConfig,
  type TrainResult,
} from "@lowprec/maxout";
import { backendInfo, getBackend } from "@lowprec/tensor";
import { bitDifferences, bitSettings, currentEnvironment } from "./environment.js";
import { startHeartbeat, type HeartbeatHandle } from "./queue-lock.js";
import { RunFolder, type OpenMode } from "./run-folder.js";
import { runId } from "./run-id.js";

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
  /** called once the folder is open and locked, before training (e.g. to write a sidecar file: check the lock) */
  readonly beforeTraining?: (folder: RunFolder) => void;
  /** a queue run: beat the folder's heartbeat (queue-lock.ts) from this process, every `everyMs` at most */
  readonly heartbeat?: { readonly job: string; readonly everyMs: number };
}

const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

/** Trains `config` on `data` into `opts.dir`; the summary is written whether the run completes or stops. */
export function runTraining(
  config: TrainConfig,
  data: Splits,
  opts: RunOptions,
): { result: TrainResult; summary: RunSummary } {
  const log = opts.log ?? ((l: string) => console.log(l));
  const command = opts.command ?? [];
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
    if (opts.heartbeat) heart = startHeartbeat(folder.lock, opts.heartbeat.job, opts.heartbeat.everyMs);
    const before = folder.previousBits();
    if (before) {
      const diff = bitDifferences(before, bitSettings());
      if (diff.length)
        log(`warning: resuming under other settings (${diff.join("; ")}): the result will not be bit-identical`);
    }
    opts.beforeTraining?.(folder);
    const environment = currentEnvironment(command);
    const result = train(config, data, folder, {
      kernels: getBackend(),
      resume: folder.resumable,
      environment: { ...environment },
      ...(opts.stopAfterEpoch !== undefined ? { stopAfterEpoch: opts.stopAfterEpoch } : {}),
    });
    const trained = result.history.filter((m) => m.epoch > 0);
    const last = trained.at(-1);
    const summary: RunSummary = {
      runId: runId(config),
      preset: config.preset,
      precision: config.precision.name,
      epochs: config.hyper.epochs,
      epochsDone: last?.epoch ?? 0,
      completed: result.completed,
      bestEpoch: result.bestEpoch,
      bestValidError: result.bestValidError,
      testErrorAtBestValid: result.bestTestError,
      lastTestError: last?.testError ?? null,
      secondsPerEpoch: mean(trained.map((m) => m.seconds)),
      trainSecondsPerEpoch: mean(trained.map((m) => m.trainSeconds)),
      backend: backendInfo(),
    };
    if (!Number.isFinite(summary.testErrorAtBestValid) || !Number.isFinite(summary.bestValidError))
      throw new DivergenceError("evaluation", summary.bestEpoch, 0, -1, "none", summary.testErrorAtBestValid);
    folder.writeSummary(summary);
    return { result, summary };
  } finally {
    heart?.stop();
    folder.close();
  }
}
