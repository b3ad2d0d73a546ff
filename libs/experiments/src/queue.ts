/**
 * Sweeps on a job queue (BullMQ on Redis), for many machines: `enqueueSweep` adds each missing run of a sweep
 * as a job whose id is the run's place in the result store (`<experiment>/<variant>/<run-id>`: the run id alone
 * repeats across experiments, which store the same float32 baseline each), so enqueueing twice adds nothing;
 * `startQueueWorker` (queue-worker.ts) takes jobs on any machine and trains them with the sweep's own worker
 * process; `sweepStatus` says what is queued, running (where, at which epoch), done and failed.
 *
 * bullmq is imported only inside these functions (the type imports vanish at compile time), so the default path
 * (a local sweep) never loads it and never needs Redis.
 *
 * Which worker may run a job. A run trained by other code than the one that enqueued it (a second clone with a
 * constant edited) or written into another results store (a worker with another --data-dir) is a wrong or lost
 * result that nobody notices. So each job carries the enqueuer's code identity (code-identity.ts) and results
 * store id (store-identity.ts), and jobs go to one BullMQ queue per (store, code) pair,
 * `lowprec-runs.<store id>.<fingerprint>` (16 hex digits each): a worker consumes only the queue of its own
 * store and code, so it never receives a job it must refuse. This was chosen over taking every job and putting
 * refused ones back (moveToDelayed): a put-back job would bounce between mismatched workers, spend their
 * attention, and could starve behind them; here a job waits, untouched, in a queue that only a matching worker
 * reads, keeping its id (enqueueing stays idempotent per run), attempts and back-off. A worker still says what
 * it does not run: it lists the other queues (a Redis hash, `lowprec:queues`, that every enqueue updates) and
 * prints, at start and then at most once a minute when the picture changes, one line per queue with waiting
 * jobs: which jobs, for which code or store, and its own. A job whose data does not match the queue it sits in
 * (added by hand) fails at once, naming both.
 *
 * Redis itself is checked at connect (checkRedis): the URL's database must exist (ioredis reports a failed
 * SELECT as an event and goes on in database 0), and a server that loses its jobs on restart (appendonly no)
 * is refused unless the caller accepts it (--allow-volatile).
 */
import type { ConnectionOptions, Job, JobsOptions, Queue } from "bullmq";
import type { Redis as RedisConnection } from "ioredis";
import type { RunConfig } from "./vit-run.js";
import { codeIdentity, describeCode, type CodeIdentity } from "./code-identity.js";
import { runDataAvailable } from "./data.js";
import { expandRuns, type ExperimentDef, type PlannedRun, type VariantName } from "./definitions.js";
import type { RunSummary } from "./run.js";
import { resultsRoot, runDir, runMeta, storedState, type RunMeta } from "./store.js";
import { storeIdentity, type StoreIdentity } from "./store-identity.js";

/**
 * The prefix of every sweep queue's name (one Redis database may serve many experiments, stores and codes);
 * also the one queue of versions before jobs carried their code and store, which no worker reads any more.
 */
export const QUEUE_NAME = "lowprec-runs";

/** The Redis hash of every queue ever enqueued to: queue name → QueueInfo (JSON), for workers' messages. */
export const QUEUE_REGISTRY = "lowprec:queues";

/** A queue's store and code: who may run its jobs. */
export interface QueueTarget {
  /** the BullMQ queue name */
  readonly name: string;
  readonly store: StoreIdentity;
  readonly code: CodeIdentity;
}

/** The queue of results store `root` and this process's code (the store's id is created when missing). */
export function queueTarget(root: string, code: CodeIdentity = codeIdentity()): QueueTarget {
  const store = storeIdentity(root, true);
  return { name: queueNameOf(store, code), store, code };
}

/** `lowprec-runs.<store id>.<fingerprint>`, 16 hex digits each (BullMQ forbids ':' in queue names). */
export function queueNameOf(store: Pick<StoreIdentity, "id">, code: Pick<CodeIdentity, "fingerprint">): string {
  return `${QUEUE_NAME}.${store.id.slice(0, 16)}.${code.fingerprint.slice(0, 16)}`;
}

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
  readonly config: RunConfig;
  readonly meta: RunMeta;
  /** the enqueuing command line, recorded in each run */
  readonly command: readonly string[];
  /** the enqueuer's code: only a worker running the same code (fingerprint) trains the job */
  readonly code: CodeIdentity;
  /** the results store the enqueuer saw: its id (compared) and path there (for messages) */
  readonly store: StoreIdentity;
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

/** How checkRedis meets a server that loses its jobs on restart. */
export interface RedisChecks {
  /** accept it (--allow-volatile): a warning line instead of the refusal */
  readonly allowVolatile?: boolean;
  /** only warn, whatever allowVolatile says (reading the status loses nothing) */
  readonly warnOnly?: boolean;
  readonly log?: (line: string) => void;
}

/** A server setting read with CONFIG GET; undefined where CONFIG is disabled (renamed away, managed Redis). */
async function configGet(client: RedisConnection, key: string): Promise<string | undefined> {
  try {
    const r = (await client.call("CONFIG", "GET", key)) as unknown;
    return Array.isArray(r) && typeof r[1] === "string" ? r[1] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks the server's guarantees on an open connection: database `db` exists (a bad index is an error naming it
 * and the server's count), and jobs survive a restart (appendonly yes; else refused, or a warning as `checks`
 * says; a warning when CONFIG is disabled and nothing can be checked).
 */
export async function checkRedis(client: RedisConnection, url: string, db: number, checks: RedisChecks = {}) {
  const log = checks.log ?? ((l: string) => console.log(l));
  const databases = await configGet(client, "databases");
  if (databases !== undefined && db >= Number(databases))
    throw new RangeError(
      `--queue ${url}: database ${db} does not exist: the server has ${databases} (0 to ${Number(databases) - 1}); ` +
        "use one of those, or raise `databases` in redis.conf",
    );
  // NOTE: ioredis sends SELECT when it connects but reports a failure only as an 'error' event and goes on in
  // database 0; selecting again here makes a failure an error even where CONFIG cannot tell the count.
  try {
    await client.call("SELECT", String(db));
  } catch (e) {
    throw new RangeError(`--queue ${url}: cannot use database ${db}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const appendonly = await configGet(client, "appendonly");
  if (appendonly === undefined) {
    log(
      `warning: ${url}: CONFIG is disabled on this server, so whether it keeps jobs across a restart ` +
        "(appendonly yes) cannot be checked",
    );
    return;
  }
  if (appendonly !== "yes") {
    const save = await configGet(client, "save");
    const snapshots = save ? `, except those in its last RDB snapshot (save "${save}")` : "";
    const what =
      `${url}: Redis runs with appendonly no: queued jobs are lost when it restarts${snapshots}; ` +
      "start it with `redis-server --appendonly yes` or run `redis-cli CONFIG SET appendonly yes`";
    if (checks.warnOnly) log(`warning: ${what}`);
    else if (checks.allowVolatile) log(`WARNING: ${what}; going on (--allow-volatile)`);
    else throw new Error(`${what} (or accept the loss with --allow-volatile)`);
    return;
  }
  if ((await configGet(client, "appendfsync")) === "no")
    log(`warning: ${url}: appendfsync no: the jobs of the last seconds before a crash may be lost (everysec, always)`);
}

/** A plain connection to the queue's server, checked (checkRedis); the caller disconnects it. */
export async function connectRedis(url: string, checks: RedisChecks = {}): Promise<RedisConnection> {
  const { Redis } = await import("ioredis");
  const { db } = parseQueueUrl(url);
  const client = new Redis({ ...(clientConnection(url) as object), lazyConnect: true });
  // NOTE: without a listener an 'error' event would throw; the awaited calls below reject with the reason.
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    client.disconnect();
    throw new Error(`cannot reach the queue at ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    await checkRedis(client, url, db, checks);
  } catch (e) {
    client.disconnect();
    throw e;
  }
  return client;
}

/** Opens the queue of `target` (bullmq loaded here, on first use), after checking the server (checkRedis). */
export async function openQueue(
  url: string,
  target: Pick<QueueTarget, "name">,
  checks: RedisChecks = {},
): Promise<Queue<QueueJobData, QueueResult>> {
  const { Queue } = await import("bullmq");
  (await connectRedis(url, checks)).disconnect();
  const queue = new Queue<QueueJobData, QueueResult>(target.name, { connection: clientConnection(url) });
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

/** What the registry says of a queue. */
export interface QueueInfo {
  readonly store: StoreIdentity;
  readonly code: CodeIdentity;
}

/** Records `target` in the registry, for the messages of workers that do not run its jobs. */
async function register(client: RedisConnection, target: QueueTarget): Promise<void> {
  const info: QueueInfo = { store: target.store, code: target.code };
  await client.hset(QUEUE_REGISTRY, target.name, JSON.stringify(info));
}

/** Jobs waiting (or delayed) in one queue that this worker does not read. */
export interface OtherQueue {
  readonly name: string;
  /** undefined: the single queue of versions before jobs carried their code and store */
  readonly info?: QueueInfo;
  readonly waiting: number;
  /** a few of their job ids */
  readonly ids: readonly string[];
}

/** The queues other than `own` with jobs waiting, from the registry (and the queue of older versions). */
export async function otherQueues(client: RedisConnection, own: string): Promise<OtherQueue[]> {
  const registry = await client.hgetall(QUEUE_REGISTRY);
  const names = [QUEUE_NAME, ...Object.keys(registry).sort()].filter((n) => n !== own);
  const out: OtherQueue[] = [];
  for (const name of names) {
    // NOTE: BullMQ's key layout: the wait and paused lists, the delayed and prioritized sorted sets.
    const k = (s: string) => `bull:${name}:${s}`;
    const [wait, paused, delayed, prioritized] = await Promise.all([
      client.llen(k("wait")),
      client.llen(k("paused")),
      client.zcard(k("delayed")),
      client.zcard(k("prioritized")),
    ]);
    const waiting = wait + paused + delayed + prioritized;
    if (waiting === 0) continue;
    const ids = [...(await client.lrange(k("wait"), -3, -1)), ...(await client.zrange(k("delayed"), 0, 2))];
    let info: QueueInfo | undefined;
    try {
      info = registry[name] ? (JSON.parse(registry[name]) as QueueInfo) : undefined;
    } catch {
      info = undefined;
    }
    out.push({ name, waiting, ids: ids.slice(0, 3), ...(info ? { info } : {}) });
  }
  return out;
}

/** One line per other queue: what waits there, for which store or code, and why this worker leaves it. */
export function formatOtherQueues(own: QueueTarget, others: readonly OtherQueue[]): string[] {
  return others.map((q) => {
    const ids = q.ids.length ? ` (${q.ids.join(", ")}${q.waiting > q.ids.length ? ", …" : ""})` : "";
    const jobs = `${q.waiting} job(s)${ids}`;
    if (!q.info)
      return `not run here: ${jobs} in ${q.name}, enqueued by a version without code identity: enqueue them again`;
    if (q.info.store.id !== own.store.id)
      return (
        `not run here: ${jobs} for store ${q.info.store.id.slice(0, 12)} at ${q.info.store.path}; ` +
        `this worker's store is ${own.store.id.slice(0, 12)} at ${own.store.path}`
      );
    return (
      `not run here: ${jobs} for ${describeCode(q.info.code)} in this store; this worker runs ` +
      `${describeCode(own.code)}: a worker of that code runs them`
    );
  });
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
  /** go on (with a warning) when Redis loses its jobs on restart (appendonly no) */
  readonly allowVolatile?: boolean;
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
  const checks = { allowVolatile: opts.allowVolatile === true, log };
  const target = queueTarget(root);
  const client = await connectRedis(opts.url, checks);
  try {
    await register(client, target);
  } finally {
    client.disconnect();
  }
  const queue = await openQueue(opts.url, target, { ...checks, log: () => {} });
  const counts = { added: 0, queued: 0, done: 0, failed: 0, retried: 0, missing: 0 };
  try {
    for (const run of runs) {
      if (!runDataAvailable(run, opts.dataDir)) {
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
      const data: QueueJobData = {
        config: run.config,
        meta: runMeta(run),
        command: opts.command ?? [],
        code: target.code,
        store: target.store,
      };
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
      `${counts.missing} without data (queue ${opts.url}, ${target.name}: for workers of ` +
      `${describeCode(target.code)} on store ${target.store.id.slice(0, 12)})`,
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
  // NOTE: the queue of this code and this store; a store never enqueued to has no id yet, and no jobs.
  const store = storeIdentity(root, false);
  const checks = { warnOnly: true, ...(opts.log ? { log: opts.log } : {}) };
  const queue = store ? await openQueue(opts.url, { name: queueNameOf(store, codeIdentity()) }, checks) : undefined;
  if (!store) (await connectRedis(opts.url, checks)).disconnect();
  try {
    const out: QueueRunStatus[] = [];
    for (const run of runs) {
      const job: Job<QueueJobData, QueueResult> | undefined = await queue?.getJob(jobId(run));
      const state = job ? await job.getState() : "unknown";
      if (!job || state === "unknown") {
        const s = runDataAvailable(run, opts.dataDir) ? storedState(root, run).state : "missing";
        out.push({ run, state: s === "done" ? "done" : s === "missing" ? "data missing" : "not queued" });
        continue;
      }
      const common = { run, attemptsStarted: job.attemptsStarted, attemptsMade: job.attemptsMade };
      // NOTE: done means done in this store (what `lowprec results` reads), not only completed in the queue
      if (state === "completed" && storedState(root, run).state !== "done") out.push({ run, state: "not queued" });
      else if (state === "completed") out.push({ ...common, state: "done", worker: job.returnvalue?.worker ?? "" });
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
    await queue?.close();
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
