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
 *
 * A worker reads only the queue of its own results store and code (queue.ts says why); at start, and then at
 * most once a minute when the picture changes (every ten minutes when it does not), it prints one line per
 * other queue with waiting jobs, so jobs a worker does not take are never silent. Its timers stay below Node's
 * limit (2^31 - 1 ms; beyond it a timer fires at once, in a loop): lock durations and intervals are bounded.
 */
import { fork, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Job } from "bullmq";
import { formatDuration, validateConfig } from "@lowprec/maxout";
import type { PlannedRun } from "./definitions.js";
import { describeCode } from "./code-identity.js";
import {
  connectRedis,
  formatOtherQueues,
  jobId,
  otherQueues,
  parseQueueUrl,
  queueTarget,
  sharedDirectory,
  type QueueJobData,
  type QueueProgress,
  type QueueResult,
  type ResultLocation,
} from "./queue.js";
import { claimFolder, MAX_TIMER_MS, releaseDeadLock } from "./queue-lock.js";
import { runId } from "./run-id.js";
import { isVitConfig, validateVitRunConfig } from "./vit-run.js";
import type { RunSummary } from "./run.js";
import { damagedAdvice, storedState } from "./store.js";
import { describeRun, THREADS_PER_RUN, workerPath } from "./sweep.js";
import { epochExamples } from "./estimate.js";
import { describeResult, runNotes } from "./run-lines.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";

/** Failures a retry cannot fix (the error's name, as the worker process reports it): the job fails at once. */
export const UNRECOVERABLE_ERRORS: ReadonlySet<string> = new Set([
  "DivergenceError",
  "ConfigError",
  "DefinitionError",
  "CorruptFileError",
  "CheckpointError",
  "DataFormatError",
  "OtherCodeError",
]);

/** The range of a job lock's duration (and of the stalled-job check's interval), in milliseconds. */
export const LOCK_DURATION_RANGE = { min: 1_000, max: 3_600_000 } as const;
export const STALLED_INTERVAL_RANGE = { min: 100, max: 3_600_000 } as const;

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
  /** go on (with a warning) when Redis loses its jobs on restart (appendonly no) */
  readonly allowVolatile?: boolean;
  /** resume interrupted runs made by other code (RunOptions.allowOtherCode) */
  readonly allowOtherCode?: boolean;
  /** how often to look at the other queues for the "not run here" lines (default 60 s) */
  readonly otherQueuesEveryMs?: number;
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
  run(job: WorkerJob, onEpoch: (epoch: number, epochs: number) => void, log: (l: string) => void): Promise<Outcome> {
    return new Promise((resolve) => {
      const finish = (o: Outcome) => {
        this.proc.off("message", onMessage);
        this.proc.off("exit", onExit);
        resolve(o);
      };
      const onMessage = (m: WorkerMessage) => {
        if (m.type === "epoch") onEpoch(m.epoch, m.epochs);
        // NOTE: the lines a person watching a worker needs (as a local sweep forwards them)
        else if (m.type === "log" && /^(warning|WARNING|resumed)/.test(m.line)) log(`  ${m.runId}: ${m.line}`);
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
  const stalledInterval = opts.stalledIntervalMs ?? 30_000;
  for (const [what, v, r] of [
    ["lockDurationMs", lockDuration, LOCK_DURATION_RANGE],
    ["stalledIntervalMs", stalledInterval, STALLED_INTERVAL_RANGE],
  ] as const)
    if (!Number.isInteger(v) || v < r.min || v > r.max)
      throw new RangeError(`${what}: expected an integer in [${r.min}, ${r.max}] ms; got ${v}`);
  const target = queueTarget(location.root);
  const own = target.code;
  (await connectRedis(opts.url, { allowVolatile: opts.allowVolatile === true, log })).disconnect();
  // NOTE: the connection that looks at the other queues lives as long as the worker: it reconnects forever (as
  // BullMQ's own do) and fails its commands at once while Redis is away (the worker's 'error' handler says so).
  const { Redis } = await import("ioredis");
  const { options } = parseQueueUrl(opts.url);
  const redis = new Redis({
    ...(options as object),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
  });
  redis.on("error", () => {});
  await redis.connect();
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
    // NOTE: the queue's name says which store and code its jobs are for; a job whose data says otherwise was
    // added by hand, and no worker reading this queue may run it.
    const code = job.data.code as Partial<QueueJobData["code"]> | undefined;
    const store = job.data.store as Partial<QueueJobData["store"]> | undefined;
    if (code?.fingerprint !== own.fingerprint)
      throw new UnrecoverableError(
        `job ${id} is for ${describeCode(code)}, this worker runs ${describeCode(own)}: enqueue it with ` +
          "`lowprec sweep --queue` of that code, which puts it in that code's queue",
      );
    if (store?.id !== target.store.id)
      throw new UnrecoverableError(
        `job ${id} is for store ${String(store?.id).slice(0, 12)} at ${store?.path}; this worker's store is ` +
          `${target.store.id.slice(0, 12)} at ${target.store.path}: enqueue it with \`lowprec sweep --queue\``,
      );
    // NOTE: a job is input from the network: check it as a file would be checked, before anything runs.
    try {
      if (isVitConfig(config)) validateVitRunConfig(config);
      else validateConfig(config);
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
    // NOTE: a damaged stored run is never trained over (nor retried): a person decides what to do with it.
    if (before.state === "damaged")
      throw new UnrecoverableError(`${what}: damaged: ${join(dir, before.file)}: ${before.why}; ${damagedAdvice(dir)}`);
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
      const work: WorkerJob = {
        type: "run",
        dir,
        config,
        meta,
        dataDir: opts.dataDir,
        command,
        heartbeat,
        allowOtherCode: opts.allowOtherCode === true,
      };
      outcome = await trainer.run(work, progress, log);
    } finally {
      trainer.busy = false;
    }
    if (outcome.type === "done") {
      const s = outcome.summary;
      log(
        `done ${what}: ${describeResult(s)} in ${formatDuration(outcome.seconds)}` +
          runNotes(config, epochExamples(config).train)
            .map((n) => `; ${n}`)
            .join(""),
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

  const worker = new Worker<QueueJobData, QueueResult>(target.name, processor, {
    connection: { ...options, maxRetriesPerRequest: null },
    name,
    concurrency: jobs,
    lockDuration,
    stalledInterval,
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
  log(
    `worker ${name}: ${jobs} job(s) of ${THREADS_PER_RUN} thread(s) on ${opts.url}, results in ${location.root} ` +
      `(store ${target.store.id.slice(0, 12)}), ${describeCode(own)}`,
  );
  // NOTE: the jobs this worker leaves to others, said at start and then when the picture changes (rate-limited).
  let said = "";
  let saidAt = 0;
  const lookAround = async () => {
    try {
      const lines = formatOtherQueues(target, await otherQueues(redis, target.name));
      const text = lines.join("\n");
      if (text === said && Date.now() - saidAt < 600_000) return;
      if (text === "" && said === "") return;
      said = text;
      saidAt = Date.now();
      for (const l of lines.length ? lines : ["no job waits for other code or another store any more"]) log(l);
    } catch {
      // NOTE: Redis unreachable: the worker's own 'error' handler says so.
    }
  };
  await lookAround();
  const around = setInterval(() => void lookAround(), Math.min(opts.otherQueuesEveryMs ?? 60_000, MAX_TIMER_MS));
  around.unref();
  return {
    name,
    async close() {
      closing = true;
      clearInterval(around);
      redis.disconnect();
      const closed = worker.close();
      for (const t of trainers) if (t.alive) t.proc.kill("SIGTERM");
      await closed;
    },
  };
}
