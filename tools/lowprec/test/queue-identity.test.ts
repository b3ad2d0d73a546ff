// Which worker may run a queued job, and what the queue checks of Redis (issue 20, items 2, 5, 6, 7, 11), each
// case reproduced first, against real redis-servers on free ports (as queue.test.ts):
//  - two clones, the second with the learning rate edited in its built maxout presets: its worker on the same
//    queue and store never takes the first clone's job and says so; the job completes when a worker of the
//    first clone starts, and its config.json names the code that ran it;
//  - a worker with another --data-dir never takes a job for another store, and says which store; a worker that
//    reaches the same store by another path (another machine's mount) takes it;
//  - Redis with appendonly no: enqueueing (and a worker) refused, with --allow-volatile a warning; a restart of
//    that server then loses every job, which is what the refusal prevents; CONFIG disabled: a warning;
//  - `--queue …/99` on a server of 16 databases: an error naming both numbers; /15 lands in database 15;
//  - `--lock-duration 1e12`: a usage error, and no TimeoutOverflowWarning from any timer the worker arms;
//  - a local sweep meeting an interrupted run of other code names it and --allow-other-code, the rest goes on.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Redis, sleep, stopAll, waitFor, Worker } from "./queue-helpers.js";
import { bin, lowprec } from "./lowprec.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis as RedisClient } from "ioredis";
import {
  codeIdentity,
  loadExperiment,
  startQueueWorker,
  startHeartbeat,
  sweepStatus,
  type QueueRunStatus,
} from "@lowprec/experiments";
import { lockFolder, ManifestWriter } from "@lowprec/storage";

const repo = new URL("../../../", import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), "lowprec-queue-identity-"));
const redisInstalled = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;

afterAll(async () => {
  await stopAll();
  rmSync(root, { recursive: true, force: true });
});

const L = (args: string[], binPath = bin) => lowprec(args, { binPath, timeout: 300_000 });

const FP32 = ["--only", "setting=fp32"];
const enqueue = (url: string, dataDir: string, extra: string[] = [], binPath = bin) =>
  L(["sweep", "rounding", "--variant", "smoke", "--queue", url, "--data-dir", dataDir, ...extra], binPath);
const status = (dataDir: string, url: string, only = true): Promise<QueueRunStatus[]> =>
  sweepStatus({
    experiment: loadExperiment("rounding"),
    variant: "smoke",
    dataDir,
    url,
    log: () => {},
    ...(only ? { only: { setting: "fp32" } } : {}),
  });
const fp = (f: string) => f.slice(0, 12);
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A second clone of the built code at `<root>/clone`: package.json, dist/ (and the addon, the experiment
 * definitions) of every workspace package, node_modules entries linked to the repository's except @lowprec/*,
 * which point into the clone; then its PI-MNIST learning rate is halved in maxout's dist/presets.js.
 */
function makeClone(): string {
  const clone = join(root, "clone");
  const pkgs: [string, string][] = [
    ...readdirSync(join(repo, "libs")).map((n): [string, string] => [`libs/${n}`, n]),
    ["tools/lowprec", "cli"],
  ];
  mkdirSync(join(clone, "node_modules", "@lowprec"), { recursive: true });
  for (const [rel, name] of pkgs) {
    const from = join(repo, rel);
    const to = join(clone, rel);
    for (const part of [
      "package.json",
      "dist",
      "bin",
      "experiments",
      "data",
      "native/build/Release/lowprec_tensor.node",
    ])
      if (existsSync(join(from, part))) cpSync(join(from, part), join(to, part), { recursive: true });
    symlinkSync(to, join(clone, "node_modules", "@lowprec", name));
  }
  for (const e of readdirSync(join(repo, "node_modules")))
    if (e !== "@lowprec" && e !== ".bin") symlinkSync(join(repo, "node_modules", e), join(clone, "node_modules", e));
  const presets = join(clone, "libs", "maxout", "dist", "presets.js");
  const text = readFileSync(presets, "utf8");
  expect(text).toContain("learningRate: 0.05,");
  writeFileSync(presets, text.replace("learningRate: 0.05,", "learningRate: 0.025,"));
  return join(clone, "tools", "lowprec", "bin", "lowprec.js");
}

/** The code identity a copy of the code computes for itself. */
function identityOf(binPath: string): { fingerprint: string; commit: string } {
  const dist = pathToFileURL(join(binPath, "..", "..", "..", "..", "libs", "experiments", "dist", "index.js")).href;
  const script = `import { codeIdentity } from ${JSON.stringify(dist)};\nconsole.log(JSON.stringify(codeIdentity()));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", cwd: repo });
  return JSON.parse(r.stdout) as { fingerprint: string; commit: string };
}

describe.skipIf(!redisInstalled)("which worker runs a queued job", () => {
  let cloneBin = "";
  beforeAll(() => {
    cloneBin = makeClone();
  });

  it("two clones, one with the learning rate edited: its worker leaves the other's job, which completes", async () => {
    const original = codeIdentity();
    const edited = identityOf(cloneBin);
    expect(edited.fingerprint).not.toBe(original.fingerprint);
    expect(edited.commit).toBe("unknown");
    const redis = await Redis.start(root, "clones");
    const d = join(root, "clones");
    const e = enqueue(redis.url, d, FP32);
    expect(e.status, e.err).toBe(0);
    expect(e.out).toMatch(/1 runs: 1 enqueued/);
    // the hostile case: the clone's worker on the same queue and store
    const other = new Worker(redis.url, d, { binPath: cloneBin });
    await other.ready();
    const line = new RegExp(
      `^not run here: 1 job\\(s\\) \\(rounding/smoke/[0-9a-f]+\\) for code ${fp(original.fingerprint)} ` +
        `\\(commit [0-9a-f]{12}(\\+dirty)?\\) in this store; this worker runs code ${fp(edited.fingerprint)} ` +
        "\\(no git commit\\): a worker of that code runs them$",
      "m",
    );
    await waitFor("the clone's worker to say what it leaves", 10_000, () => line.test(other.out));
    console.log(line.exec(other.out)?.[0]);
    await sleep(3000);
    expect(other.starts()).toEqual([]);
    expect((await status(d, redis.url)).map((r) => r.state)).toEqual(["queued"]);
    // a worker of the enqueuer's code takes it
    const mine = new Worker(redis.url, d);
    await mine.ready();
    await waitFor("the job to be done", 120_000, async () => (await status(d, redis.url))[0]?.state === "done");
    expect(mine.trained()).toHaveLength(1);
    expect(other.starts()).toEqual([]);
    const dir = join(d, "results", mine.trained()[0]!);
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as {
      environment: { code: { fingerprint: string }; gitCommit: string };
    };
    expect(config.environment.code.fingerprint).toBe(original.fingerprint);
    // the clone's own jobs go to its own queue, which its worker runs
    const mineEnqueue = enqueue(redis.url, d, FP32, cloneBin);
    expect(mineEnqueue.out).toMatch(/1 runs: 1 enqueued/);
    await waitFor("the clone's worker to run its own job", 120_000, () => other.trained().length === 1);
    expect(other.trained()[0]).not.toBe(mine.trained()[0]); // its resolved configuration differs: another run id
    const cloneConfig = JSON.parse(readFileSync(join(d, "results", other.trained()[0]!, "config.json"), "utf8")) as {
      environment: { code: { fingerprint: string } };
    };
    expect(cloneConfig.environment.code.fingerprint).toBe(edited.fingerprint);
    expect(await other.stop(root)).toBe(0);
    expect(await mine.stop(root)).toBe(0);
    await redis.down();
  }, 400_000);

  it("a worker with another --data-dir leaves a job of another store; a link to that store runs it", async () => {
    const redis = await Redis.start(root, "stores");
    const [q2, q3, q3link] = ["q2", "q3", "q3-mounted-elsewhere"].map((n) => join(root, n));
    expect(enqueue(redis.url, q3!, FP32).out).toMatch(/1 runs: 1 enqueued/);
    const id3 = readFileSync(join(q3!, "results", ".store-id"), "utf8").trim();
    const w2 = new Worker(redis.url, q2!);
    await w2.ready();
    const id2 = readFileSync(join(q2!, "results", ".store-id"), "utf8").trim();
    expect(id2).not.toBe(id3);
    const line = new RegExp(
      `^not run here: 1 job\\(s\\) \\(rounding/smoke/[0-9a-f]+\\) for store ${id3.slice(0, 12)} at ` +
        `${literal(join(q3!, "results"))}; this worker's store is ${id2.slice(0, 12)} ` +
        `at ${literal(join(q2!, "results"))}$`,
      "m",
    );
    await waitFor("the worker to say what it leaves", 10_000, () => line.test(w2.out));
    console.log(line.exec(w2.out)?.[0]);
    await sleep(3000);
    expect(w2.starts()).toEqual([]);
    expect(existsSync(join(q2!, "results", "rounding"))).toBe(false);
    // the item-5 report: the enqueuer's store says queued (not "done" elsewhere)
    expect((await status(q3!, redis.url)).map((r) => r.state)).toEqual(["queued"]);
    symlinkSync(q3!, q3link!);
    const w3 = new Worker(redis.url, q3link!);
    await w3.ready();
    await waitFor("the job to be done", 120_000, async () => (await status(q3!, redis.url))[0]?.state === "done");
    expect(w3.trained()).toHaveLength(1);
    expect(w2.starts()).toEqual([]);
    // --status says done only for what the store holds (what `lowprec results` reads)
    rmSync(join(q3!, "results", w3.trained()[0]!), { recursive: true });
    expect((await status(q3!, redis.url)).map((r) => r.state)).toEqual(["not queued"]);
    expect(await w2.stop(root)).toBe(0);
    expect(await w3.stop(root)).toBe(0);
    await redis.down();
  }, 300_000);
});

describe.skipIf(!redisInstalled)("Redis checked at connect", () => {
  it("appendonly no: refused without --allow-volatile, a warning with it; a restart then loses every job", async () => {
    const redis = await Redis.start(root, "volatile", ["--appendonly", "no"]);
    const d = join(root, "volatile");
    const refused = enqueue(redis.url, d);
    expect(refused.status).toBe(1);
    console.log(refused.err.trim());
    expect(refused.err.trim().split("\n")).toHaveLength(1);
    expect(refused.err).toContain(`${redis.url}: Redis runs with appendonly no`);
    expect(refused.err).toContain("redis-server --appendonly yes");
    expect(refused.err).toContain("CONFIG SET appendonly yes");
    expect(refused.err).toContain("--allow-volatile");
    const worker = L(["worker", "--queue", redis.url, "--data-dir", d]);
    expect(worker.status).toBe(1);
    expect(worker.err).toContain("appendonly no");
    const allowed = enqueue(redis.url, d, ["--allow-volatile"]);
    expect(allowed.status, allowed.err).toBe(0);
    expect(allowed.out).toMatch(/^WARNING: .*appendonly no.*\(--allow-volatile\)$/m);
    expect(allowed.out).toMatch(/5 runs: 5 enqueued/);
    expect((await status(d, redis.url, false)).map((r) => r.state)).toEqual(Array(5).fill("queued"));
    // what the refusal prevents: the server restarts, and the queue is empty without a word
    await redis.down();
    await redis.up();
    const after = await status(d, redis.url, false);
    console.log(`after a restart of an appendonly-no Redis: ${after.map((r) => r.state).join(", ")}`);
    expect(after.map((r) => r.state)).toEqual(Array(5).fill("not queued"));
    await redis.down();
  }, 300_000);

  it("CONFIG disabled: a warning that the guarantee cannot be checked", async () => {
    const redis = await Redis.start(root, "no-config", ["--appendonly", "yes", "--rename-command", "CONFIG", '""']);
    const r = enqueue(redis.url, join(root, "no-config"), FP32);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/^warning: .*CONFIG is disabled.*cannot be checked$/m);
    expect(r.out).toMatch(/1 runs: 1 enqueued/);
    await redis.down();
  }, 120_000);

  it("a database index beyond the server's count is an error naming both; /15 lands in database 15", async () => {
    const redis = await Redis.start(root, "databases");
    const d = join(root, "databases");
    for (const r of [enqueue(`${redis.url}/99`, d), L(["worker", "--queue", `${redis.url}/99`, "--data-dir", d])]) {
      expect(r.status).toBe(1);
      expect(r.err).toContain("database 99 does not exist: the server has 16 (0 to 15)");
    }
    expect(enqueue(`${redis.url}/15`, d, FP32).out).toMatch(/1 enqueued/);
    const keys = async (db: number) => {
      const c = new RedisClient({ host: "127.0.0.1", port: redis.port, db });
      try {
        return await c.keys("bull:*");
      } finally {
        c.disconnect();
      }
    };
    expect((await keys(15)).length).toBeGreaterThan(0);
    expect(await keys(0)).toEqual([]);
    await redis.down();
  }, 120_000);
});

describe("timers", () => {
  it("--lock-duration 1e12 is a usage error; no timer of the worker overflows", async () => {
    const r = L(["worker", "--queue", "redis://127.0.0.1:1", "--lock-duration", "1e12"]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("option --lock-duration must be an integer from 1000 to 3600000, got 1e12");
    expect(r.err).not.toContain("TimeoutOverflowWarning");
    const u = "redis://127.0.0.1:1";
    await expect(startQueueWorker({ url: u, dataDir: root, lockDurationMs: 1e12 })).rejects.toThrow(RangeError);
    await expect(startQueueWorker({ url: u, dataDir: root, stalledIntervalMs: 2 ** 31 })).rejects.toThrow(
      /stalledIntervalMs/,
    );
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    const lock = lockFolder(join(root, "heartbeat"));
    const beat = startHeartbeat(lock, "j", 1e12);
    beat.beat();
    await sleep(200);
    beat.stop();
    lock.release();
    process.off("warning", onWarning);
    expect(warnings).toEqual([]);
  });
});

describe("a local sweep and a run of other code", () => {
  it("names the run and --allow-other-code, goes on with the others; with the switch it resumes", () => {
    const d = join(root, "sweep-other");
    const sweep = (extra: string[] = []) =>
      L(["sweep", "rounding", "--variant", "smoke", "--jobs", "1", "--data-dir", d, ...extra]);
    expect(sweep().status).toBe(0);
    // one of the five runs interrupted (its summary gone, its checkpoint kept) and made by other code
    const runs = join(d, "results", "rounding", "smoke");
    const [dir, rest] = readdirSync(runs).map((id) => join(runs, id));
    // (a hand edit is damage now: the interrupted one's summary rewritten through its seal, the other removed whole)
    const seal = ManifestWriter.open(dir!);
    const summary = JSON.parse(readFileSync(join(dir!, "summary.json"), "utf8")) as { completed: boolean };
    seal.write("summary.json", JSON.stringify({ ...summary, completed: false }));
    rmSync(rest!, { recursive: true });
    const configPath = join(dir!, "config.json");
    const config = JSON.parse(readFileSync(configPath, "utf8")) as { environment: { code: object } };
    config.environment.code = { fingerprint: "fe".repeat(32), commit: "unknown", dirty: false };
    // through the folder's seal, as a writer of that other code would have written it (a hand edit is damage)
    seal.write("config.json", JSON.stringify(config));
    seal.settle();
    const refused = sweep();
    expect(refused.status).toBe(1);
    const failed = refused.out.split("\n").filter((l) => l.startsWith("FAILED"));
    console.log(failed.join("\n"));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain(dir!);
    expect(failed[0]).toContain("code fefefefefefe (no git commit)");
    expect(failed[0]).toContain("--allow-other-code");
    expect(refused.out).toMatch(/rounding\/smoke: 1 ran, 3 were done, 1 failed/);
    const allowed = sweep(["--allow-other-code"]);
    expect(allowed.status, allowed.out + allowed.err).toBe(0);
    expect(allowed.out).toMatch(/^ {2}.*: WARNING: .*fefefefefefe.*resuming anyway \(--allow-other-code\)/m);
    expect(allowed.out).toMatch(/rounding\/smoke: 1 ran, 4 were done, 0 failed/);
    const after = JSON.parse(readFileSync(configPath, "utf8")) as {
      environment: { code: { fingerprint: string } };
      earlier: { code?: { fingerprint: string } }[];
    };
    expect(after.environment.code.fingerprint).toBe(codeIdentity().fingerprint);
    expect(after.earlier.at(-1)?.code?.fingerprint).toBe("fe".repeat(32));
    const train = L(["train", "--allow-other-code", "--out", join(root, "t")]);
    expect(train.status).toBe(2);
    expect(train.err).toContain("--allow-other-code: only with --resume");
  }, 300_000);
});
