// Fenced takeovers (issue 20, item 4), for real: `lowprec worker` processes on a real redis-server, the second
// one under `unshare --uts` with another hostname (so it cannot check the first one's pids and must judge it by
// its heartbeat), one run whose epochs take about a second. Found on main: the first worker's parent stopped
// with SIGSTOP while its training child trained on; the heartbeat (beaten by the parent) stood still, the other
// host took the folder over, and both wrote it (metrics.json's epoch count went backwards). Now:
// - parent stopped, child training: the child beats, so the folder stays its own; the other host's attempts are
//   refused as "in use" and the retry finds the run done;
// - parent and child stopped: the other host takes over (a new lock token), and the child, continued, stops at
//   its next beat with LockLostError, writing nothing.
// In both the epoch count never goes backwards and the run ends bit for bit as an uninterrupted one.
// Skipped where redis-server or `unshare --uts` (root) is missing.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { bin } from "./lowprec.js";
import { Redis, stopAll, waitFor, Worker, type WorkerOptions } from "./queue-helpers.js";
import { afterAll, describe, expect, it } from "vitest";
import { enqueueSweep, expandRuns, loadExperiment, runDir, sweepStatus } from "@lowprec/experiments";
import { pidAlive } from "@lowprec/storage";

const root = mkdtempSync(join(tmpdir(), "lowprec-fence-"));
const OTHER = "fence-other-host";
/** Workers that notice a stalled job within seconds (a takeover window of 2 s: the lock duration). */
const WORKER_OPTIONS: WorkerOptions = {
  extra: ["--lock-duration", "2000", "--stalled-interval", "1000"],
  readyMs: 60_000,
};
const redisInstalled = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;
const probe = spawnSync("unshare", ["--uts", "sh", "-c", `hostname ${OTHER} && hostname`], { encoding: "utf8" });
const unshareWorks = probe.status === 0 && probe.stdout.trim() === OTHER;
if (!redisInstalled || !unshareWorks)
  console.warn("fence tests skipped: they need redis-server and `unshare --uts` (root) for a second hostname");

/** pids this file stopped with SIGSTOP: continued in afterAll whatever happened (a stopped orphan would linger). */
const stoppedPids = new Set<number>();
afterAll(async () => {
  for (const pid of stoppedPids) if (pidAlive(pid)) process.kill(pid, "SIGCONT");
  await stopAll();
});

/** One fp32 run of 12 epochs on 6,000 PI-MNIST examples: about a second an epoch. */
const def = join(root, "fence.json");
writeFileSync(
  def,
  JSON.stringify({
    name: "fence",
    title: "fence test",
    description: "one run with epochs of about a second",
    datasets: ["pi-mnist"],
    baseline: "fp32",
    settings: [{ name: "fp32", precision: "fp32" }],
    variants: { smoke: { description: "s", epochs: 12, trainLimit: 6000, evalLimit: 500, compressSchedule: true } },
  }),
);
const experiment = loadExperiment(def);
const run = expandRuns(experiment, "smoke")[0]!;
const folderIn = (dataDir: string) => runDir(join(dataDir, "results"), run);

const readJson = <T>(path: string): T | undefined => {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
};
const epochsIn = (dir: string) => readJson<{ epoch: number }[]>(join(dir, "metrics.json"))?.map((m) => m.epoch);

/** metrics.json without its timings: what must equal an uninterrupted run's bit for bit. */
function numbers(dir: string): unknown {
  const rows = readJson<Record<string, unknown>[]>(join(dir, "metrics.json")) ?? [];
  return rows.map(({ seconds: _s, trainSeconds: _t, examplesPerSecond: _e, ...rest }) => rest);
}

/** The uninterrupted run, once. */
let straightDir: string | undefined;
function straight(): string {
  if (!straightDir) {
    const d = join(root, "straight");
    const r = spawnSync(process.execPath, [bin, "sweep", def, "--variant", "smoke", "--jobs", "1", "--data-dir", d], {
      encoding: "utf8",
      timeout: 600_000,
    });
    expect(r.status, r.stderr).toBe(0);
    straightDir = folderIn(d);
  }
  return straightDir;
}

/**
 * Watches a run folder every 50 ms: each change of metrics.json's epoch count and of the lock's and heartbeat's
 * hosts, in order, so that a count going backwards between two looks is seen.
 */
function watch(dir: string) {
  const counts: number[] = [];
  const lockHosts: string[] = [];
  const beatHosts: string[] = [];
  const push = (xs: string[] | number[], x: string | number | undefined) => {
    if (x !== undefined && xs.at(-1) !== x) (xs as (string | number)[]).push(x);
  };
  const timer = setInterval(() => {
    push(counts, epochsIn(dir)?.length);
    push(lockHosts, readJson<{ host: string }>(join(dir, ".lock"))?.host);
    push(beatHosts, readJson<{ host: string }>(join(dir, ".heartbeat"))?.host);
  }, 50);
  return { counts, lockHosts, beatHosts, stop: () => clearInterval(timer) };
}

const nonDecreasing = (xs: readonly number[]) => xs.every((x, i) => i === 0 || x >= xs[i - 1]!);

/** Waits until the run in `dir` has at least `epochs` epochs and a checkpoint at least as new as its metrics. */
async function checkpointed(dir: string, epochs: number): Promise<number> {
  let at = 0;
  await waitFor(`a checkpoint after epoch ${epochs}`, 180_000, () => {
    const e = epochsIn(dir);
    if (!e || e.length - 1 < epochs || !existsSync(join(dir, "checkpoint.bin"))) return false;
    // NOTE: stop between epochs' writes, not between an epoch's metrics and its checkpoint (a resume would then
    // rightly redo that epoch)
    if (statSync(join(dir, "checkpoint.bin")).mtimeMs < statSync(join(dir, "metrics.json")).mtimeMs) return false;
    at = e.length - 1;
    return true;
  });
  return at;
}

async function setUp(name: string) {
  const redis = await Redis.start(root, name);
  const d = join(root, name);
  // the first worker alone, so that it is the one that takes the run
  const a = new Worker(redis.url, d, WORKER_OPTIONS);
  await a.ready();
  const r = await enqueueSweep({
    experiment,
    variant: "smoke",
    dataDir: d,
    url: redis.url,
    attempts: 12,
    backoffMs: 500,
    log: () => {},
  });
  expect(r.added).toBe(1);
  const dir = folderIn(d);
  await waitFor("worker a to start the run", 60_000, () => /^start /m.test(a.out));
  const b = new Worker(redis.url, d, { ...WORKER_OPTIONS, hostname: OTHER });
  await b.ready();
  const done = async () => (await sweepStatus({ experiment, variant: "smoke", dataDir: d, url: redis.url }))[0];
  return { redis, d, dir, a, b, done };
}

describe.skipIf(!redisInstalled || !unshareWorks)("fenced takeovers", () => {
  it("worker a's parent stopped (SIGSTOP) while its child trains: the child keeps the folder, finishes", async () => {
    const expected = numbers(straight());
    const { redis, dir, a, b, done } = await setUp("parent-stopped");
    const seen = watch(dir);
    const at = await checkpointed(dir, 2);
    const child = readJson<{ pid: number; host: string }>(join(dir, ".lock"))!;
    expect(child.host).toBe(hostname());
    expect(child.pid).not.toBe(a.proc.pid);
    process.kill(a.proc.pid!, "SIGSTOP");
    stoppedPids.add(a.proc.pid!);
    // the job stalls (a's parent renews nothing), b gets it, finds the child's heartbeat beating: in use
    // (on main, where a's parent beat the heartbeat, b took the folder over here and both wrote it)
    const inUse = new RegExp(`^FAILED \\S+: ${dir} is in use by pid ${child.pid} on ${hostname()}`, "m");
    await waitFor("worker b to find the folder in use", 120_000, () => inUse.test(b.out) || /took over/.test(b.out));
    expect(b.out, "b must not take the folder over from a's training child").not.toMatch(/took over/);
    await waitFor("the run to finish", 300_000, async () => (await done())?.state === "done");
    process.kill(a.proc.pid!, "SIGCONT");
    seen.stop();
    await a.stop(root, "parent-stopped-a");
    await b.stop(root, "parent-stopped-b");
    await redis.down();

    expect(b.out).not.toMatch(/took over/);
    expect(b.out).toMatch(/^already done /m);
    expect(seen.counts.length).toBeGreaterThan(0);
    expect(nonDecreasing(seen.counts), seen.counts.join(" ")).toBe(true);
    expect(seen.lockHosts).toEqual([hostname()]);
    expect(seen.beatHosts).toEqual([hostname()]);
    expect(epochsIn(dir)).toEqual([...Array(13).keys()]);
    expect(numbers(dir)).toEqual(expected);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    console.log(`parent stopped after epoch ${at}: epoch counts seen ${seen.counts.join(" ")}; b never took over`);
  }, 900_000);

  it("worker a stopped whole (parent and child): b takes over, a's child continued stops writing", async () => {
    const expected = numbers(straight());
    const { redis, dir, a, b, done } = await setUp("child-stopped");
    const seen = watch(dir);
    const at = await checkpointed(dir, 2);
    const child = readJson<{ pid: number }>(join(dir, ".lock"))!.pid;
    for (const pid of [child, a.proc.pid!]) {
      process.kill(pid, "SIGSTOP");
      stoppedPids.add(pid);
    }
    await waitFor("worker b to take the folder over", 120_000, () =>
      new RegExp(`^took over ${dir} from pid ${child} on ${hostname()}`, "m").test(b.out),
    );
    await waitFor("b's training process to hold the lock and write an epoch", 120_000, () => {
      const lock = readJson<{ host: string }>(join(dir, ".lock"));
      return lock?.host === OTHER && (epochsIn(dir)?.length ?? 0) - 1 > at;
    });
    const lock = readJson<{ host: string; pid: number; token: string }>(join(dir, ".lock"))!;
    const beat = readJson<{ host: string; pid: number; token: string }>(join(dir, ".heartbeat"))!;
    expect(beat).toMatchObject({ host: OTHER, pid: lock.pid, token: lock.token });
    // a continued: its child is mid-epoch; at its next batch it beats, finds the token changed and stops
    for (const pid of [child, a.proc.pid!]) process.kill(pid, "SIGCONT");
    await waitFor("a's training process to report the takeover", 120_000, () =>
      /^FAILED \S+: .* the folder was taken over by pid \d+ on host fence-other-host at .*; this process stopped/m.test(
        a.out,
      ),
    );
    await waitFor("the run to finish", 300_000, async () => (await done())?.state === "done");
    seen.stop();
    await a.stop(root, "child-stopped-a");
    await b.stop(root, "child-stopped-b");
    await redis.down();

    expect(nonDecreasing(seen.counts), seen.counts.join(" ")).toBe(true);
    expect(seen.lockHosts).toEqual([hostname(), OTHER]);
    expect(seen.beatHosts).toEqual([hostname(), OTHER]);
    expect(b.out).toMatch(new RegExp(`^start \\S+ .*resuming after epoch ${at}$`, "m"));
    expect(epochsIn(dir)).toEqual([...Array(13).keys()]);
    expect(numbers(dir)).toEqual(expected);
    const config = readJson<{ earlier: unknown[] }>(join(dir, "config.json"))!;
    expect(config.earlier).toHaveLength(1);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    console.log(
      `a stopped after epoch ${at}; b took over and resumed; epoch counts seen ${seen.counts.join(" ")}; ` +
        "a's child stopped with LockLostError",
    );
  }, 900_000);
});
