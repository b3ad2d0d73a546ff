/**
 * The queue worker: takes jobs of the sweep queue (queue.ts) and trains each in a child process, the sweep's own
 * worker (worker.ts: runTraining in the run folder, mode resume, one thread), so a queue run and a local sweep's
 * run are the same code and give the same bits. Training is synchronous, so it must not run in this process:
 * here the event loop stays free to renew the jobs' locks in Redis and report each epoch (job.updateProgress).
 * The run folder's heartbeat (queue-lock.ts) is beaten by the training process, which holds the folder's lock:
 * a stopped worker process then does not make its still-training run look dead, and a stopped training process
 * does not look alive; a training process whose folder was taken over stops at its next batch or write.
 *
 * Failures: a run that a retry cannot fix (a bad configuration, a diverging run, a corrupt file) fails its job
 * at once with its message (BullMQ's UnrecoverableError); anything else (a crashed worker process, a folder in
 * use, a lost connection) fails the attempt and BullMQ retries it with exponential back-off, a bounded number
 * of times (the job's attempts). A worker that dies mid-run stops renewing its job's lock; another worker's
 * stalled-job check puts the job back and the next worker resumes the run from its last checkpoint. A worker
 * that is stopped (close(), SIGINT, SIGTERM) kills its training processes and puts their jobs back at once,
 * without spending an attempt.
 */
import { fork, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import type { Job } from "bullmq";
import { formatDuration, validateConfig } from "@lowprec/maxout";
import type { PlannedRun } from "./definitions.js";
import {
  jobId,
  parseQueueUrl,
  QUEUE_NAME,
  sharedDirectory,
  type QueueJobData,
  type QueueProgress,
  type QueueResult,
  type ResultLocation,
} from "./queue.js";
import { claimFolder, releaseDeadLock } from "./queue-lock.js";
import { runId } from "./run-id.js";
import type { RunSummary } from "./run.js";
import { storedState } from "./store.js";
import { describeRun, THREADS_PER_RUN, workerPath } from "./sweep.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";

/** Failures a retry cannot fix (the error's name, as the worker process reports it): the job fails at once. */
export const UNRECOVERABLE_ERRORS: ReadonlySet<string> = new Set([
  "DivergenceError",
  "ConfigError",
  "DefinitionError",
  "CorruptFileError",
  "CheckpointError",
  "DataFormatError",
]);

export interface QueueWorkerOptions {
  /** `redis://host:port` */
  readonly url: string;
  /** this machine's data root: datasets in raw/, and (unless `location` says otherwise) the shared results/ */
  readonly dataDir: string;
  readonly location?: ResultLocation;
  /** runs at once: training processes of one thread each (default 1) */
  readonly jobs?: number;
  /** how long a job's lock in Redis lasts without renewal (default 30 s); also the folder takeover window */
  readonly lockDurationMs?: number;
  /** how often this worker looks for stalled jobs, whose worker stopped renewing (default 30 s) */
  readonly stalledIntervalMs?: number;
  /** how many times a job may stall before it fails (default 3) */
  readonly maxStalledCount?: number;
  readonly log?: (line: string) => void;
}

export interface QueueWorker {
  /** host:pid, as the status shows it */
  readonly name: string;
  /** kills the training processes, puts their jobs back in the queue, disconnects */
  close(): Promise<void>;
}

type Outcome =
  | { readonly type: "done"; readonly summary: RunSummary; readonly seconds: number }
  | { readonly type: "failed"; readonly message: string; readonly kind: string }
  | { readonly type: "exit"; readonly how: string };

/** One training process (the sweep's worker.ts), reused from run to run. */
class Trainer {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  alive = true;
  busy = false;
  constructor(env: NodeJS.ProcessEnv) {
    this.proc = fork(workerPath(), [], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.type !== "ready") return;
        this.proc.off("message", onMessage);
        resolve();
      };
      this.proc.on("message", onMessage);
      this.proc.once("exit", (code, signal) => reject(new Error(`worker process exited (${signal ?? code})`)));
    });
    this.ready.catch(() => {});
    this.proc.once("exit", () => {
      this.alive = false;
    });
  }
  get pid(): number {
    return this.proc.pid ?? -1;
  }
  /** Trains one run; resolves with how it ended (never rejects). */
  run(job: WorkerJob, onEpoch: (epoch: number, epochs: number) => void): Promise<Outcome> {
    return new Promise((resolve) => {
      const finish = (o: Outcome) => {
        this.proc.off("message", onMessage);
        this.proc.off("exit", onExit);
        resolve(o);
      };
      const onMessage = (m: WorkerMessage) => {
        if (m.type === "epoch") onEpoch(m.epoch, m.epochs);
        else if (m.type === "done") finish({ type: "done", summary: m.summary, seconds: m.seconds });
        else if (m.type === "failed") finish({ type: "failed", message: m.message, kind: m.kind });
      };
      const onExit = (code: number | null, signal: string | null) =>
        finish({ type: "exit", how: signal ?? `code ${code}` });
      if (!this.alive) return finish({ type: "exit", how: "before the run" });
      this.proc.on("message", onMessage);
      this.proc.on("exit", onExit);
      this.proc.send(job);
    });
  }
}

/** Starts a worker on the sweep queue; it runs until close(). */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const { Worker, UnrecoverableError, WaitingError } = await import("bullmq");
  const log = opts.log ?? ((l: string) => console.log(l));
  const location = opts.location ?? sharedDirectory(opts.dataDir);
  const name = `${hostname()}:${process.pid}`;
  const jobs = Math.max(1, opts.jobs ?? 1);
  const lockDuration = opts.lockDurationMs ?? 30_000;
  const env = {
    ...process.env,
    LOWPREC_THREADS: String(THREADS_PER_RUN),
    OPENBLAS_NUM_THREADS: String(THREADS_PER_RUN),
  };
  const trainers: Trainer[] = [];
  let closing = false;
  const acquire = async (): Promise<Trainer> => {
    for (let i = trainers.length - 1; i >= 0; i--) if (!trainers[i]!.alive) trainers.splice(i, 1);
    let t = trainers.find((x) => !x.busy);
    if (!t) {
      t = new Trainer(env);
      trainers.push(t);
    }
    t.busy = true;
    await t.ready;
    return t;
  };

  /** One job; throws what went wrong (classified by `processor`). */
  const runJob = async (job: Job<QueueJobData, QueueResult>, token?: string): Promise<QueueResult> => {
    const { config, meta, command } = job.data;
    const id = job.id ?? jobId(meta);
    // NOTE: a job is input from the network: check it as a file would be checked, before anything runs.
    try {
      validateConfig(config);
    } catch (e) {
      throw new UnrecoverableError(`job ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (runId(config) !== meta.runId)
      throw new UnrecoverableError(`job ${id}: its configuration's run id is ${runId(config)}, not ${meta.runId}`);
    const run: PlannedRun = { ...meta, config };
    const what = `${id} (${describeRun(run)})`;
    const dir = location.runDir(meta);
    const before = storedState(location.root, run);
    if (before.state === "done") {
      log(`already done ${what}: nothing to train`);
      return { summary: before.summary, worker: name, trained: false };
    }
    const from = before.state === "interrupted" ? before.epochsDone : 0;
    log(`start ${what}: attempt ${job.attemptsStarted}${from ? `, resuming after epoch ${from}` : ""}`);
    const progress = (epoch: number) => {
      const p: QueueProgress = { epoch, epochs: config.hyper.epochs, worker: name };
      job.updateProgress(p).catch(() => {});
    };
    progress(from);
    await claimFolder(dir, { windowMs: lockDuration, log });
    if (closing) return putBack(job, token);
    const trainer = await acquire();
    let outcome: Outcome;
    try {
      const heartbeat = { job: id, everyMs: Math.max(100, Math.floor(lockDuration / 3)) };
      const work: WorkerJob = { type: "run", dir, config, meta, dataDir: opts.dataDir, command, heartbeat };
      outcome = await trainer.run(work, progress);
    } finally {
      trainer.busy = false;
    }
    if (outcome.type === "done") {
      const s = outcome.summary;
      log(
        `done ${what}: test ${s.testErrorAtBestValid.toFixed(2)} % (valid ${s.bestValidError.toFixed(2)} %, ` +
          `epoch ${s.bestEpoch}) in ${formatDuration(outcome.seconds)}`,
      );
      return { summary: s, worker: name, trained: true };
    }
    if (outcome.type === "failed") {
      const e = new Error(outcome.message);
      e.name = outcome.kind;
      throw e;
    }
    releaseDeadLock(dir, trainer.pid);
    if (closing) return putBack(job, token);
    throw new Error(`worker process exited (${outcome.how}) during the run`);
  };

  /** Runs a job; a failure a retry cannot fix becomes an UnrecoverableError (failed at once), others are retried. */
  const processor = async (job: Job<QueueJobData, QueueResult>, token?: string): Promise<QueueResult> => {
    try {
      return await runJob(job, token);
    } catch (e) {
      if (e instanceof WaitingError) throw e;
      const already = e instanceof UnrecoverableError;
      const err = e instanceof Error ? e : new Error(String(e));
      const unrecoverable = already || UNRECOVERABLE_ERRORS.has(err.name);
      const left = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
      const next = unrecoverable ? "not retried" : left > 0 ? `${left} attempt(s) left` : "no attempt left";
      log(`FAILED ${job.id}: ${err.message} (${next})`);
      throw unrecoverable && !already ? new UnrecoverableError(err.message) : err;
    }
  };

  /** Back to the queue without spending an attempt (the worker is stopping). */
  const putBack = async (job: Job<QueueJobData, QueueResult>, token: string | undefined): Promise<never> => {
    await job.moveToWait(token);
    log(`put back ${job.id}: this worker is stopping`);
    throw new WaitingError();
  };

  const { options } = parseQueueUrl(opts.url);
  const worker = new Worker<QueueJobData, QueueResult>(QUEUE_NAME, processor, {
    connection: { ...options, maxRetriesPerRequest: null },
    name,
    concurrency: jobs,
    lockDuration,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 3,
  });
  let lastError = 0;
  worker.on("error", (e) => {
    // NOTE: Redis down: ioredis reconnects by itself; say so every 10 s at most.
    if (Date.now() - lastError < 10_000) return;
    lastError = Date.now();
    log(`queue: ${e.message} (retrying)`);
  });
  worker.on("lockRenewalFailed", (ids) => log(`queue: could not renew the lock of ${ids.join(", ")}`));
  log(`worker ${name}: ${jobs} job(s) of ${THREADS_PER_RUN} thread(s) on ${opts.url}, results in ${location.root}`);
  return {
    name,
    async close() {
      closing = true;
      const closed = worker.close();
      for (const t of trainers) if (t.alive) t.proc.kill("SIGTERM");
      await closed;
    },
  };
}
