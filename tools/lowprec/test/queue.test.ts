// Sweeps on a job queue, against a real redis-server on 127.0.0.1 (a free port, a temporary folder, appendonly
// with appendfsync always), started and stopped here; workers are `lowprec worker` processes. Two workers finish
// a smoke sweep with every run done once and a local sweep's table; a worker killed with SIGKILL mid-run has its
// run resumed by the other from the checkpoint, with an uninterrupted run's numbers; Redis killed and restarted
// mid-sweep loses no job; enqueueing is idempotent; a failure a retry cannot fix fails at once, a transient one
// is retried a bounded number of times. Skipped only where redis-server is not installed (never in CI).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeKillExperiment } from "./experiments.js";
import { Redis, sleep, stopAll, stopProcess, waitFor, Worker } from "./queue-helpers.js";
import { bin, lowprec } from "./lowprec.js";
import { afterAll, describe, expect, it } from "vitest";
import {
  expandRuns,
  jobId,
  loadExperiment,
  openQueue,
  queueTarget,
  runDir,
  runId,
  runMeta,
  sweepStatus,
  type QueueJobData,
  type QueueRunStatus,
} from "@lowprec/experiments";
import { lockFolder, ManifestWriter, pidAlive } from "@lowprec/storage";
import type { TrainConfig } from "@lowprec/maxout";

const root = mkdtempSync(join(tmpdir(), "lowprec-queue-"));
const redisInstalled = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
if (!redisInstalled)
  console.warn("queue tests skipped: redis-server is not installed (Debian: apt-get install redis-server)");

afterAll(stopAll);

const L = (args: string[]) => lowprec(args, { timeout: 600_000 });

/** The results table's errors, through `lowprec results` (as sweep.test.ts compares sweeps). */
function errors(experiment: string, dataDir: string): string[][] {
  const csv = join(dataDir, "results.csv");
  const r = L(["results", experiment, "--variant", "smoke", "--data-dir", dataDir, "--csv", csv]);
  expect(r.status, r.err).toBe(0);
  const [head, ...lines] = readFileSync(csv, "utf8").trim().split("\n");
  const cols = head!.split(",");
  const at = (name: string) => cols.indexOf(name);
  return lines.map((l) => {
    const c = l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((x) => x.replace(/,$/, ""));
    return ["runId", "status", "bestEpoch", "validError", "testError"].map((k) => c[at(k)] ?? "");
  });
}

async function status(experiment: string, dataDir: string, url: string): Promise<QueueRunStatus[]> {
  return sweepStatus({ experiment: loadExperiment(experiment), variant: "smoke", dataDir, url });
}
const allDone = async (experiment: string, dataDir: string, url: string) =>
  (await status(experiment, dataDir, url)).every((r) => r.state === "done");
const enqueue = (experiment: string, url: string, dataDir: string, extra: string[] = []) =>
  L(["sweep", experiment, "--variant", "smoke", "--queue", url, "--data-dir", dataDir, ...extra]);

/** How many times each id occurs. */
const tally = (ids: readonly string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map());

/** The rounding smoke sweep run locally, once: the table the queue's must equal. */
let localTable: string[][] | undefined;
function localRounding(): string[][] {
  if (!localTable) {
    const d = join(root, "local-rounding");
    expect(L(["sweep", "rounding", "--variant", "smoke", "--jobs", "1", "--data-dir", d]).status).toBe(0);
    localTable = errors("rounding", d);
  }
  return localTable;
}

/** Checks the run folders of a finished sweep: a summary each, every epoch once in the metrics. */
function checkFolders(experiment: string, dataDir: string): void {
  const dir = join(dataDir, "results", experiment, "smoke");
  for (const id of readdirSync(dir)) {
    expect(existsSync(join(dir, id, "summary.json")), id).toBe(true);
    expect(existsSync(join(dir, id, ".lock")), id).toBe(false);
    const epochs = (JSON.parse(readFileSync(join(dir, id, "metrics.json"), "utf8")) as { epoch: number }[]).map(
      (m) => m.epoch,
    );
    expect(epochs, id).toEqual([...epochs.keys()]);
  }
}

describe("without --queue", () => {
  it("nothing loads bullmq or ioredis (a local sweep needs no Redis)", () => {
    // NOTE: a module hook that makes both unresolvable: the local path must not notice, the queue path must.
    const hooks = join(root, "no-redis-hooks.mjs");
    writeFileSync(
      hooks,
      "export async function resolve(s, c, next) {\n" +
        '  if (s === "bullmq" || s === "ioredis") throw new Error("loaded " + s);\n' +
        "  return next(s, c);\n}\n",
    );
    const entry = join(root, "no-redis.mjs");
    writeFileSync(entry, `import { register } from "node:module";\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["--import", entry, bin, ...args], { encoding: "utf8", timeout: 120_000 });
    const d = join(root, "no-redis");
    const local = run(["sweep", "rounding", "--variant", "smoke", "--dry-run", "--data-dir", d]);
    expect(local.status, local.stderr).toBe(0);
    expect(local.stdout).toMatch(/rounding\/smoke: 5 runs/);
    const queued = run(["sweep", "rounding", "--variant", "smoke", "--queue", "redis://127.0.0.1:1", "--data-dir", d]);
    // the queue path checks Redis with ioredis before it opens the queue with bullmq
    expect(queued.stderr).toMatch(/loaded (bullmq|ioredis)/);
  });
});

// NOTE: the native suites' rule (libs/tensor/test/registry.test.ts): CI installs redis-server, so there a
// missing one is a broken install step, not a reason to skip.
describe.runIf(process.env["CI"] === "true")("in CI", () => {
  it("redis-server is installed", () => {
    expect(redisInstalled, "redis-server is missing: .ci/run installs it").toBe(true);
  });
});

describe.skipIf(!redisInstalled)("sweeps on a job queue", () => {
  it("two workers share a smoke sweep: every run done once, the table of a local sweep", async () => {
    const local = localRounding();
    const times: Record<string, number> = {};
    for (const workers of [2, 1]) {
      const redis = await Redis.start(root, `share-${workers}`);
      const d = join(root, `share-${workers}`);
      const ws = Array.from({ length: workers }, () => new Worker(redis.url, d));
      await Promise.all(ws.map((w) => w.ready()));
      const t0 = Date.now();
      const e = enqueue("rounding", redis.url, d);
      expect(e.status, e.err).toBe(0);
      expect(e.out).toMatch(/rounding\/smoke: 5 runs: 5 enqueued, 0 already queued, 0 done, 0 failed/);
      await waitFor("the sweep to finish", 300_000, () => allDone("rounding", d, redis.url));
      times[workers] = (Date.now() - t0) / 1000;
      const rows = await status("rounding", d, redis.url);
      for (const w of ws) expect(await w.stop(root)).toBe(0);
      await redis.down();
      const starts = ws.flatMap((w) => w.starts());
      expect(starts).toHaveLength(5);
      expect([...tally(starts).values()]).toEqual([1, 1, 1, 1, 1]);
      expect(ws.flatMap((w) => w.trained()).sort()).toEqual([...starts].sort());
      for (const w of ws) expect(w.starts().length, w.out).toBeGreaterThan(0);
      expect(rows.map((r) => [r.state, r.attemptsStarted])).toEqual(Array(5).fill(["done", 1]));
      checkFolders("rounding", d);
      expect(errors("rounding", d)).toEqual(local);
    }
    console.log(
      `rounding smoke sweep (5 runs) from enqueue to done: one worker ${times[1]!.toFixed(1)} s, ` +
        `two workers ${times[2]!.toFixed(1)} s`,
    );
  }, 900_000);

  it("a worker killed with SIGKILL mid-run: the other resumes the run from its checkpoint, same numbers", async () => {
    // NOTE: runs of four epochs (as sweep.test.ts's killed sweep), so that the kill lands after a checkpoint.
    const def = writeKillExperiment(join(root, "kill.json"));
    const straight = join(root, "kill-straight");
    expect(L(["sweep", def, "--variant", "smoke", "--jobs", "1", "--data-dir", straight]).status).toBe(0);

    const redis = await Redis.start(root, "kill");
    const d = join(root, "kill-queue");
    const fast = ["--lock-duration", "2000", "--stalled-interval", "1000"];
    const [a, b] = [new Worker(redis.url, d, { extra: fast }), new Worker(redis.url, d, { extra: fast })];
    await Promise.all([a.ready(), b.ready()]);
    expect(enqueue(def, redis.url, d).out).toMatch(/kill\/smoke: 3 runs: 3 enqueued/);
    const folder = (id: string) => join(d, "results", id);
    const epochsDone = (id: string) => {
      try {
        return (JSON.parse(readFileSync(join(folder(id), "metrics.json"), "utf8")) as unknown[]).length - 1;
      } catch {
        return 0;
      }
    };
    // a's current run once it has a checkpoint after epoch 1 or later
    const current = () => {
      const id = a.starts().at(-1);
      return id && !a.trained().includes(id) && epochsDone(id) >= 1 && existsSync(join(folder(id), "checkpoint.bin"))
        ? id
        : undefined;
    };
    await waitFor("worker a to checkpoint a run", 120_000, () => current() !== undefined);
    const killed = current()!;
    const holder = JSON.parse(readFileSync(join(folder(killed), ".lock"), "utf8")) as { pid: number };
    const at = epochsDone(killed);
    await stopProcess(a.proc, "SIGKILL");
    await waitFor("the other worker to finish the sweep", 300_000, () => allDone(def, d, redis.url));
    const rows = await status(def, d, redis.url);
    expect(await b.stop(root)).toBe(0);
    await redis.down();
    // the orphaned training process of a stopped at its next batch
    await waitFor("a's training process to end", 30_000, () => !pidAlive(holder.pid));

    expect(a.starts().filter((x) => x === killed)).toHaveLength(1);
    expect(b.starts().filter((x) => x === killed)).toHaveLength(1);
    expect(b.out).toMatch(new RegExp(`^start ${killed} .*: attempt 2, resuming after epoch [1-4]$`, "m"));
    const starts = tally([...a.starts(), ...b.starts()]);
    expect([...starts.entries()].filter(([id]) => id !== killed).map(([, k]) => k)).toEqual([1, 1]);
    for (const r of rows) expect([r.state, r.attemptsStarted]).toEqual(["done", jobId(r.run) === killed ? 2 : 1]);
    const config = JSON.parse(readFileSync(join(folder(killed), "config.json"), "utf8")) as { earlier: unknown[] };
    expect(config.earlier).toHaveLength(1);
    checkFolders("kill", d);
    const table = errors(def, d);
    expect(table).toEqual(errors(def, straight));
    const resumedAt = new RegExp(`^start ${killed} .*resuming after epoch (\\d+)$`, "m").exec(b.out)?.[1];
    console.log(
      `killed worker a in ${killed} with epoch ${at} done; worker b resumed after epoch ${resumedAt}; ` +
        `test errors ${table.map((r) => r[4]).join(", ")} % (uninterrupted: the same)`,
    );
  }, 900_000);

  it("Redis killed and restarted mid-sweep (appendonly, appendfsync always) loses no job", async () => {
    const local = localRounding();
    const redis = await Redis.start(root, "restart");
    const d = join(root, "restart");
    const w = new Worker(redis.url, d);
    await w.ready();
    expect(enqueue("rounding", redis.url, d).out).toMatch(/5 enqueued/);
    await waitFor("a first run to finish", 120_000, () => w.trained().length >= 1);
    const before = await status("rounding", d, redis.url);
    expect(before.filter((r) => r.state === "not queued")).toHaveLength(0);
    await redis.down("SIGKILL");
    await sleep(1500);
    await redis.up();
    const after = await status("rounding", d, redis.url);
    const states = (rows: QueueRunStatus[]) => rows.map((r) => r.state).join(" ");
    console.log(`Redis killed with the runs ${states(before)}; restarted with ${states(after)}`);
    expect(after.filter((r) => r.state === "not queued")).toHaveLength(0);
    expect(after.filter((r) => r.state === "done").length).toBeGreaterThanOrEqual(1);
    await waitFor("the sweep to finish after the restart", 300_000, () => allDone("rounding", d, redis.url));
    expect(await w.stop(root)).toBe(0);
    await redis.down();
    expect([...tally(w.trained()).values()]).toEqual([1, 1, 1, 1, 1]);
    checkFolders("rounding", d);
    expect(errors("rounding", d)).toEqual(local);
  }, 900_000);

  it("enqueueing is idempotent: twice adds nothing the second time; a finished run is not enqueued", async () => {
    const redis = await Redis.start(root, "idem");
    const d = join(root, "idem");
    expect(L(["sweep", "rounding", "--variant", "smoke", "--only", "setting=fp32", "--data-dir", d]).status).toBe(0);
    const first = enqueue("rounding", redis.url, d);
    expect(first.out).toMatch(/5 runs: 4 enqueued, 0 already queued, 1 done, 0 failed, 0 without data/);
    const second = enqueue("rounding", redis.url, d);
    expect(second.out).toMatch(/5 runs: 0 enqueued, 4 already queued, 1 done, 0 failed, 0 without data/);
    const s = enqueue("rounding", redis.url, d, ["--status"]);
    expect(s.out).toMatch(/5 runs: 4 queued, 0 running, 1 done, 0 failed, 0 not queued/);
    const queue = await openQueue(redis.url, queueTarget(join(d, "results")));
    try {
      expect(await queue.getJobCounts("waiting", "active", "delayed", "completed", "failed")).toEqual({
        waiting: 4,
        active: 0,
        delayed: 0,
        completed: 0,
        failed: 0,
      });
      const fp32 = expandRuns(loadExperiment("rounding"), "smoke", { only: { setting: "fp32" } })[0]!;
      expect(await queue.getJob(jobId(fp32))).toBeUndefined();
    } finally {
      await queue.close();
    }
    await redis.down();
  }, 300_000);

  it("a failure a retry cannot fix fails at once; a transient one is retried with back-off, boundedly", async () => {
    const redis = await Redis.start(root, "fail");
    const d = join(root, "fail");
    const def = loadExperiment("rounding");
    const [corrupt, locked] = ["fp32", "fixed-nearest"].map(
      (s) => expandRuns(def, "smoke", { only: { setting: s } })[0]!,
    );
    // a corrupt checkpoint (CorruptFileError in the training process), a bad configuration (ConfigError before
    // anything runs), a folder held by a live process (this one): in use, retried twice 200 ms apart
    mkdirSync(runDir(join(d, "results"), corrupt!), { recursive: true });
    // NOTE: sealed (listed in its manifest) as a run folder writes it, so the bytes reach the checkpoint decoder
    const sealed = ManifestWriter.open(runDir(join(d, "results"), corrupt!));
    sealed.write("checkpoint.bin", "not a checkpoint");
    sealed.settle();
    const lock = lockFolder(runDir(join(d, "results"), locked!), "queue test");
    const good = corrupt!.config as TrainConfig;
    const bad = { ...good, hyper: { ...good.hyper, learningRate: -1 } };
    const badMeta = { ...runMeta(corrupt!), experiment: "bad", runId: runId(bad) };
    const target = queueTarget(join(d, "results"));
    const queue = await openQueue(redis.url, target);
    const opts = { attempts: 3, backoff: { type: "exponential", delay: 200 }, removeOnComplete: false };
    try {
      for (const [run, meta, config, attempts] of [
        [corrupt!, runMeta(corrupt!), corrupt!.config, 3],
        [locked!, runMeta(locked!), locked!.config, 2],
        [corrupt!, badMeta, bad, 3],
      ] as const) {
        const data: QueueJobData = { config, meta, command: ["test"], code: target.code, store: target.store };
        await queue.add(run.runId, data, { ...opts, attempts, jobId: jobId(meta) });
      }
      const w = new Worker(redis.url, d, { extra: ["--lock-duration", "1000", "--stalled-interval", "1000"] });
      await w.ready();
      const ids = [jobId(corrupt!), jobId(locked!), jobId(badMeta)];
      await waitFor("three failed jobs", 120_000, async () => (await queue.getJobCounts("failed"))["failed"] === 3);
      const [c, l, b] = await Promise.all(ids.map((id) => queue.getJob(id)));
      expect([c!.attemptsStarted, c!.failedReason]).toEqual([1, expect.stringMatching(/checkpoint\.bin/)]);
      expect([b!.attemptsStarted, b!.failedReason]).toEqual([1, expect.stringMatching(/learningRate/)]);
      expect([l!.attemptsStarted, l!.failedReason]).toEqual([
        2,
        expect.stringContaining(`in use by pid ${process.pid}`),
      ]);
      expect(w.out).toMatch(/^FAILED .*\(not retried\)$/m);
      expect(w.out).toMatch(/^FAILED .*\(1 attempt\(s\) left\)$/m);
      // the folder is free again: --retry-failed puts the sweep's failed runs back, and this one now trains
      lock.release();
      const only = ["--only", "setting=fixed-nearest"];
      expect(enqueue("rounding", redis.url, d, [...only, "--retry-failed"]).out).toMatch(/1 failed put back/);
      await waitFor("the retried run", 120_000, async () => (await l!.getState()) === "completed");
      expect(await w.stop(root)).toBe(0);
    } finally {
      lock.release();
      await queue.close();
      await redis.down();
    }
  }, 300_000);
});
