/**
 * Sweeps on a job queue (BullMQ on Redis), for many machines: `enqueueSweep` adds each missing run of a sweep
 * as a job whose id is the run's place in the result store (`<experiment>/<variant>/<run-id>`: the run id alone
 * repeats across experiments, which store the same float32 baseline each), so enqueueing twice adds nothing;
 * `startQueueWorker` (queue-worker.ts) takes jobs on any machine and trains them with the sweep's own worker
 * process; `sweepStatus` says what is queued, running (where, at which epoch), done and failed.
 *
 * bullmq is imported only inside these functions (the type imports vanish at compile time), so the default path
 * (a local sweep) never loads it and never needs Redis.
 */
import type { ConnectionOptions, Job, JobsOptions, Queue } from "bullmq";
import type { TrainConfig } from "@lowprec/maxout";
import { datasetAvailable } from "./data.js";
import { expandRuns, type ExperimentDef, type PlannedRun, type VariantName } from "./definitions.js";
import type { RunSummary } from "./run.js";
import { resultsRoot, runDir, runMeta, storedState, type RunMeta } from "./store.js";

/** The queue every sweep's jobs go to (one Redis database may serve many experiments). */
export const QUEUE_NAME = "lowprec-runs";

/**
 * Where results and checkpoints go: a location every worker reaches. Today a shared directory (the data root's
 * results/, e.g. on NFS); an object store would implement the same two members.
 */
export interface ResultLocation {
  /** the results root, as storedState and the run folders see it */
  readonly root: string;
  /** the folder of one run */
  runDir(run: Pick<PlannedRun, "experiment" | "variant" | "runId">): string;
}

/** The results root of a data root shared by every worker. */
export function sharedDirectory(dataDir: string): ResultLocation {
  const root = resultsRoot(dataDir);
  return { root, runDir: (run) => runDir(root, run) };
}

/** What a job carries: everything a worker needs, without the experiment file (the configuration is resolved). */
export interface QueueJobData {
  readonly config: TrainConfig;
  readonly meta: RunMeta;
  /** the enqueuing command line, recorded in each run */
  readonly command: readonly string[];
}

/** A running job's progress (job.updateProgress). */
export interface QueueProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** host:pid of the worker process */
  readonly worker: string;
}

/** What a finished job returns. */
export interface QueueResult {
  readonly summary: RunSummary;
  readonly worker: string;
  /** whether it trained (false: the store already held the finished run) */
  readonly trained: boolean;
}

/** The job id of a run: its place in the result store (BullMQ forbids ':' in ids). */
export function jobId(run: Pick<PlannedRun, "experiment" | "variant" | "runId">): string {
  return `${run.experiment}/${run.variant}/${run.runId}`.replaceAll(":", "_");
}

/** `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS) → connection options. */
export function parseQueueUrl(url: string): { host: string; port: number; db: number; options: ConnectionOptions } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RangeError(`--queue: expected redis://host:port, got "${url}"`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:")
    throw new RangeError(`--queue: expected redis://host:port, got "${url}"`);
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText ? Number(dbText) : 0;
  if (!u.hostname || !Number.isInteger(db) || db < 0)
    throw new RangeError(`--queue: expected redis://host:port[/db], got "${url}"`);
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const options: Record<string, unknown> = { host, port, db };
  if (u.username) options["username"] = decodeURIComponent(u.username);
  if (u.password) options["password"] = decodeURIComponent(u.password);
  if (u.protocol === "rediss:") options["tls"] = {};
  return { host, port, db, options: options as ConnectionOptions };
}

/** Connection options for a short-lived client (enqueue, status): fail in seconds when Redis is unreachable. */
function clientConnection(url: string): ConnectionOptions {
  const { options } = parseQueueUrl(url);
  return {
    ...options,
    connectTimeout: 5_000,
    maxRetriesPerRequest: 2,
    retryStrategy: (times: number) => (times > 3 ? null : 300 * times),
  } as ConnectionOptions;
}

/** Opens the sweep queue (bullmq loaded here, on first use). */
export async function openQueue(url: string): Promise<Queue<QueueJobData, QueueResult>> {
  const { Queue } = await import("bullmq");
  const queue = new Queue<QueueJobData, QueueResult>(QUEUE_NAME, { connection: clientConnection(url) });
  // NOTE: without a listener an 'error' event would throw; the awaited calls below reject with the reason.
  queue.on("error", () => {});
  try {
    await queue.waitUntilReady();
  } catch (e) {
    await queue.close().catch(() => {});
    throw new Error(`cannot reach the queue at ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return queue;
}

export interface QueueSweepOptions {
  readonly experiment: ExperimentDef;
  readonly variant: VariantName;
  /** the data root of this machine: datasets (to skip runs without data), results (to skip finished runs) */
  readonly dataDir: string;
  /** `redis://host:port` */
  readonly url: string;
  readonly seeds?: number;
  readonly only?: Readonly<Record<string, string>>;
  readonly log?: (line: string) => void;
}

export interface EnqueueOptions extends QueueSweepOptions {
  /** tries per job before it is failed (transient failures: a crashed worker process, a folder in use) */
  readonly attempts?: number;
  /** the first retry's delay in milliseconds, doubled at each retry (exponential back-off) */
  readonly backoffMs?: number;
  /** put failed jobs back in the queue (otherwise they stay failed, with their message) */
  readonly retryFailed?: boolean;
  readonly command?: readonly string[];
}

export interface EnqueueReport {
  readonly planned: number;
  /** jobs added (new, or re-added because the store lost a completed job's result) */
  readonly added: number;
  /** jobs already in the queue (waiting, delayed or running) */
  readonly queued: number;
  /** finished in the store: not enqueued */
  readonly done: number;
  /** failed jobs left as they are (retryFailed puts them back) */
  readonly failed: number;
  readonly retried: number;
  /** not enqueued: their dataset's files are missing here */
  readonly missing: number;
}

/** The default job options: 3 attempts, 30 s, 60 s back-off, jobs kept after they finish. */
export const JOB_DEFAULTS = { attempts: 3, backoffMs: 30_000 } as const;

function plannedRuns(opts: QueueSweepOptions): PlannedRun[] {
  const runs = expandRuns(opts.experiment, opts.variant, {
    ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
    ...(opts.only ? { only: opts.only } : {}),
  });
  if (runs.length === 0) throw new RangeError("no run matches (check --only)");
  return runs;
}

/** Enqueues each missing run of a sweep, idempotently: a finished or already queued run is not enqueued again. */
export async function enqueueSweep(opts: EnqueueOptions): Promise<EnqueueReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const runs = plannedRuns(opts);
  const root = resultsRoot(opts.dataDir);
  const jobOptions: JobsOptions = {
    attempts: opts.attempts ?? JOB_DEFAULTS.attempts,
    backoff: { type: "exponential", delay: opts.backoffMs ?? JOB_DEFAULTS.backoffMs },
    removeOnComplete: false,
    removeOnFail: false,
  };
  const queue = await openQueue(opts.url);
  const counts = { added: 0, queued: 0, done: 0, failed: 0, retried: 0, missing: 0 };
  try {
    for (const run of runs) {
      if (!datasetAvailable(run.dataset, opts.dataDir)) {
        counts.missing++;
        continue;
      }
      if (storedState(root, run).state === "done") {
        counts.done++;
        continue;
      }
      const id = jobId(run);
      const job = await queue.getJob(id);
      if (job) {
        const state = await job.getState();
        if (state === "failed" && opts.retryFailed) {
          await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
          counts.retried++;
          continue;
        }
        if (state === "failed") {
          counts.failed++;
          continue;
        }
        if (state !== "completed" && state !== "unknown") {
          counts.queued++;
          continue;
        }
        // NOTE: completed in the queue but not in this store (results removed, or another results folder):
        // queue it again; a worker that finds the finished run in its store returns it without training.
        if (state === "completed") await job.remove();
      }
      const data: QueueJobData = { config: run.config, meta: runMeta(run), command: opts.command ?? [] };
      await queue.add(run.runId, data, { ...jobOptions, jobId: id });
      counts.added++;
    }
  } finally {
    await queue.close();
  }
  const name = `${opts.experiment.name}/${opts.variant}`;
  log(
    `${name}: ${runs.length} runs: ${counts.added} enqueued, ${counts.queued} already queued, ${counts.done} done, ` +
      `${counts.failed} failed${counts.retried ? `, ${counts.retried} failed put back` : ""}, ` +
      `${counts.missing} without data (queue ${opts.url})`,
  );
  return { planned: runs.length, ...counts };
}

/** The queue state of one planned run. */
export interface QueueRunStatus {
  readonly run: PlannedRun;
  readonly state: "queued" | "running" | "done" | "failed" | "not queued" | "data missing";
  /** host:pid of the worker running it */
  readonly worker?: string;
  readonly epoch?: number;
  readonly epochs?: number;
  /** why it failed, or the last transient failure of a queued job waiting for its retry */
  readonly message?: string;
  /** attempts started so far (a stalled run resumed by another worker counts twice) */
  readonly attemptsStarted?: number;
  readonly attemptsMade?: number;
}

export function isQueueProgress(p: unknown): p is QueueProgress {
  const o = p as Partial<QueueProgress> | null;
  return typeof o === "object" && o !== null && typeof o.epoch === "number" && typeof o.epochs === "number";
}

/** Where each run of a sweep stands in the queue (and in the store, for runs done before they were enqueued). */
export async function sweepStatus(opts: QueueSweepOptions): Promise<QueueRunStatus[]> {
  const runs = plannedRuns(opts);
  const root = resultsRoot(opts.dataDir);
  const queue = await openQueue(opts.url);
  try {
    const out: QueueRunStatus[] = [];
    for (const run of runs) {
      const job: Job<QueueJobData, QueueResult> | undefined = await queue.getJob(jobId(run));
      const state = job ? await job.getState() : "unknown";
      if (!job || state === "unknown") {
        const s = datasetAvailable(run.dataset, opts.dataDir) ? storedState(root, run).state : "missing";
        out.push({ run, state: s === "done" ? "done" : s === "missing" ? "data missing" : "not queued" });
        continue;
      }
      const common = { run, attemptsStarted: job.attemptsStarted, attemptsMade: job.attemptsMade };
      if (state === "completed") out.push({ ...common, state: "done", worker: job.returnvalue?.worker ?? "" });
      else if (state === "failed") out.push({ ...common, state: "failed", message: job.failedReason });
      else if (state === "active") {
        const p = job.progress;
        out.push({
          ...common,
          state: "running",
          worker: isQueueProgress(p) ? p.worker : (job.processedBy ?? "?"),
          ...(isQueueProgress(p) ? { epoch: p.epoch, epochs: p.epochs } : {}),
        });
      } else out.push({ ...common, state: "queued", ...(job.failedReason ? { message: job.failedReason } : {}) });
    }
    return out;
  } finally {
    await queue.close();
  }
}

/** The status as lines: one of counts, then one per run that is running, failed or waiting for a retry. */
export function formatSweepStatus(name: string, url: string, rows: readonly QueueRunStatus[]): string[] {
  const count = (s: QueueRunStatus["state"]) => rows.filter((r) => r.state === s).length;
  const states = ["queued", "running", "done", "failed", "not queued", "data missing"] as const;
  const lines = [`${name} on ${url}: ${rows.length} runs: ${states.map((s) => `${count(s)} ${s}`).join(", ")}`];
  const what = (r: QueueRunStatus) => {
    const p = r.run.point;
    const point = Object.entries(p).map(([k, v]) => ` ${k}=${v}`);
    return `${r.run.runId}  ${r.run.dataset} ${r.run.setting}${point.join("")} seed ${r.run.seed}`;
  };
  for (const r of rows) {
    const tries = r.attemptsStarted && r.attemptsStarted > 1 ? `, start ${r.attemptsStarted}` : "";
    if (r.state === "running")
      lines.push(`  running  ${what(r)}: epoch ${r.epoch ?? "?"} of ${r.epochs ?? "?"} on ${r.worker}${tries}`);
    else if (r.state === "failed") lines.push(`  failed   ${what(r)}: ${r.message ?? ""}`);
    else if (r.state === "queued" && r.message) lines.push(`  queued   ${what(r)}: to retry after: ${r.message}`);
  }
  return lines;
}
