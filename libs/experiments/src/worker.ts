/**
 * A sweep worker: a child process (forked by sweep.ts) that trains the runs it is sent, one at a time, with
 * the same run code as `lowprec train`, and reports over IPC. It loads each dataset once. It exits as soon as
 * its parent is gone (checked at every batch), so a killed sweep leaves no orphan training: the interrupted
 * run keeps its last checkpoint and is resumed by the next sweep.
 */
import type { Splits } from "@lowprec/maxout";
import type { RunConfig } from "./vit-run.js";
import { LockedError, type LockHolder } from "@lowprec/storage";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadSplits, MNIST_LAYOUT_PRESETS, runSource } from "./data.js";
import { readRunJson } from "./run-folder.js";
import { runTraining } from "./run.js";
import type { RunSummary } from "./run.js";
import { FINISHED_ELSEWHERE } from "./sweep.js";
import type { RunMeta } from "./store.js";

/** What the sweep sends a worker. */
export interface WorkerJob {
  readonly type: "run";
  readonly dir: string;
  readonly config: RunConfig;
  readonly meta: RunMeta;
  readonly dataDir: string;
  readonly command: readonly string[];
  /** refuse (FinishedElsewhere) a run the folder already holds finished: a concurrent sweep of the same store did it */
  readonly skipIfFinished?: boolean;
  /** resume a run made by other code (RunOptions.allowOtherCode) */
  readonly allowOtherCode?: boolean;
  /** a queue run: this process beats the run folder's heartbeat (queue-lock.ts) */
  readonly heartbeat?: { readonly job: string; readonly everyMs: number };
}

/** What a worker sends back. */
export type WorkerMessage =
  | { readonly type: "ready" }
  | { readonly type: "log"; readonly runId: string; readonly line: string }
  | { readonly type: "epoch"; readonly runId: string; readonly epoch: number; readonly epochs: number }
  | { readonly type: "done"; readonly runId: string; readonly summary: RunSummary; readonly seconds: number }
  | {
      readonly type: "failed";
      readonly runId: string;
      readonly message: string;
      readonly kind: string;
      /** who holds the run's folder (kind LockedError): another process running it */
      readonly holder?: LockHolder;
    };

/** The run was finished by another process between the sweep's plan and this worker's lock on its folder. */
class FinishedElsewhereError extends Error {
  override readonly name = FINISHED_ELSEWHERE;
}

/** Whether the folder holds this run, finished (a concurrent sweep's work): then it is not opened for training. */
function finishedIn(dir: string, runId: string): boolean {
  if (!existsSync(join(dir, "summary.json"))) return false;
  const s = readRunJson(dir, "summary.json") as Partial<RunSummary>;
  return s.runId === runId && s.completed === true;
}

const send = (m: WorkerMessage): void => {
  process.send?.(m);
};

const parent = process.ppid;
function watchdog(): void {
  // NOTE: orphaned (the sweep was killed): stop now; the last checkpoint is intact (no write is in flight here).
  if (process.ppid !== parent) process.exit(70);
}

const splits = new Map<string, Splits>();

function handle(job: WorkerJob): void {
  const id = job.meta.runId;
  const t0 = performance.now();
  try {
    const source = runSource(job.meta, job.dataDir);
    // NOTE: the MNIST-layout presets load the same embedded MNIST splits: one copy serves them all
    const preset = MNIST_LAYOUT_PRESETS.includes(job.config.preset) && !source ? "pi-mnist" : job.config.preset;
    const key = `${preset}:${source ? `images:${source.dir}` : ""}:${job.dataDir}`;
    let data = splits.get(key);
    if (!data) {
      // one data set at a time: SVHN's splits alone are 8 GB
      splits.clear();
      const log = (line: string) => send({ type: "log", runId: id, line });
      data = loadSplits(job.config.preset, job.dataDir, log, source);
      splits.set(key, data);
    }
    const { summary } = runTraining(job.config, data, {
      dir: job.dir,
      mode: "resume",
      command: job.command,
      interactive: false,
      allowOtherCode: job.allowOtherCode === true,
      log: (line) => send({ type: "log", runId: id, line }),
      onEvent: (e) => {
        watchdog();
        if (e.kind === "epoch") send({ type: "epoch", runId: id, epoch: e.metrics.epoch, epochs: e.epochs });
      },
      ...(job.heartbeat ? { heartbeat: job.heartbeat } : {}),
      beforeTraining: (folder) => {
        // NOTE: checked under the folder's lock, so two sweeps of one store never both train (or resume) a run.
        if (job.skipIfFinished && finishedIn(job.dir, id))
          throw new FinishedElsewhereError(`${job.dir}: finished by another process`);
        // NOTE: through the folder, so run.json is sealed like the run's other files (and the lock is checked)
        folder.writeRunMeta(job.meta);
      },
    });
    send({ type: "done", runId: id, summary, seconds: (performance.now() - t0) / 1000 });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    const holder = e instanceof LockedError ? e.holder : undefined;
    send({ type: "failed", runId: id, message: err.message, kind: err.name, ...(holder ? { holder } : {}) });
  }
}

process.on("message", (m: WorkerJob) => {
  if (m.type === "run") handle(m);
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
