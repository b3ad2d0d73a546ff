/**
 * Run folder locks across machines. A run folder's `.lock` (@lowprec/storage's lockFolder) names the pid and
 * host of its writer; on the writer's own host a dead pid is taken over, but another host cannot check a pid.
 * So a queue worker keeps a heartbeat beside the lock while its run trains: `.heartbeat` (host, pid of the lock
 * holder, job id, a beat counter), rewritten every `lockDuration / 3`. A worker on another host that BullMQ has
 * handed the job to (which it does only after the holder's job lock in Redis expired: the job stalled) takes the
 * folder over only when the heartbeat belongs to that lock and does not change for a whole observation window
 * (`lockDuration`, three beats): a holder that is alive and reaches the shared folder keeps beating and keeps its
 * folder, whatever Redis says (the new worker's attempt fails as "in use" and is retried later, when it finds the
 * finished run). The window compares beats, not clocks, so skewed clocks between hosts do not matter. A lock
 * without a heartbeat (a local `lowprec sweep` or `lowprec train` on another host) is never taken over from
 * another host: its own host takes it over when it runs anything on the folder, or a person removes it.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { LockedError, pidAlive, writeFileAtomic, type LockHolder } from "@lowprec/storage";

export const HEARTBEAT_FILE = ".heartbeat";

/** Node's longest timer (2^31 - 1 ms): a longer one fires at once, with a TimeoutOverflowWarning each time. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const bounded = (ms: number) => Math.max(1, Math.min(ms, MAX_TIMER_MS));
const LOCK_FILE = ".lock";

/** What `.heartbeat` holds. */
export interface Heartbeat {
  readonly host: string;
  /** the pid of the process holding the folder's lock (the worker process training the run) */
  readonly pid: number;
  readonly job: string;
  /** incremented at every beat */
  readonly beat: number;
  /** ISO 8601, for people: takeover compares beats, not times */
  readonly time: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function parse<T>(text: string | undefined): Partial<T> | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null ? (v as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}

/** Beats `<dir>/.heartbeat` every `everyMs` for the lock holder `pid`; stop() removes it if it is still ours. */
export function startHeartbeat(dir: string, pid: number, job: string, everyMs: number): { stop(): void } {
  const path = join(dir, HEARTBEAT_FILE);
  const host = hostname();
  let beat = 0;
  const write = () => {
    beat++;
    const hb: Heartbeat = { host, pid, job, beat, time: new Date().toISOString() };
    try {
      writeFileAtomic(path, `${JSON.stringify(hb)}\n`);
    } catch {
      // NOTE: a missed beat is harmless (three beats make a window); a folder gone for good fails the run itself.
    }
  };
  write();
  const timer = setInterval(write, bounded(everyMs));
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      const hb = parse<Heartbeat>(readText(path));
      if (hb?.host === host && hb.pid === pid && hb.job === job) rmSync(path, { force: true });
    },
  };
}

export interface ClaimOptions {
  /** how long the heartbeat must stand still before a lock of another host is taken over */
  readonly windowMs: number;
  /** how often to look at it meanwhile (default windowMs / 10) */
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, bounded(ms)));

/**
 * Prepares `dir` for this host's worker: a lock of another host whose queue heartbeat stands still for
 * `windowMs` is taken over; a live one, or one without a heartbeat, is refused (LockedError: retry later).
 * A lock of this host is given `windowMs` for its process to end, then left to lockFolder (which takes over a
 * dead pid's lock); a process still alive is refused.
 */
export async function claimFolder(dir: string, opts: ClaimOptions): Promise<void> {
  const lockPath = join(dir, LOCK_FILE);
  const lockText = readText(lockPath);
  if (lockText === undefined) return;
  const holder = parse<LockHolder>(lockText);
  if (holder?.host === undefined || typeof holder.pid !== "number") return;
  const full = holder as LockHolder;
  const t0 = Date.now();
  const poll = opts.pollMs ?? Math.max(50, opts.windowMs / 10);
  if (holder.host === hostname()) {
    // NOTE: a killed worker's training process stops at its next batch: give it the window to go.
    while (pidAlive(full.pid) && readText(lockPath) === lockText) {
      if (Date.now() - t0 >= opts.windowMs) throw new LockedError(dir, full);
      await sleep(poll);
    }
    return;
  }
  const hbPath = join(dir, HEARTBEAT_FILE);
  const first = readText(hbPath);
  const hb = parse<Heartbeat>(first);
  if (hb?.host !== holder.host || hb.pid !== holder.pid) throw new LockedError(dir, full, "and has no queue heartbeat");
  while (Date.now() - t0 < opts.windowMs) {
    await sleep(poll);
    if (readText(hbPath) !== first || readText(lockPath) !== lockText) throw new LockedError(dir, full);
  }
  // NOTE: race-safe removal, as lockFolder's own takeover: move the lock aside, check it is the one judged dead.
  const grave = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(lockPath, grave);
  } catch {
    return; // gone meanwhile: lockFolder's O_EXCL create decides
  }
  if (readText(grave) !== lockText) {
    try {
      linkSync(grave, lockPath);
    } catch {
      // another process holds the slot now: lockFolder will refuse
    }
    rmSync(grave, { force: true });
    throw new LockedError(dir, full);
  }
  rmSync(grave, { force: true });
  rmSync(hbPath, { force: true });
  opts.log?.(
    `took over ${dir} from pid ${holder.pid} on ${holder.host}: its heartbeat (beat ${hb.beat}) ` +
      `stood still for ${Math.round(opts.windowMs / 1000)} s`,
  );
}

/** After this host's worker process `pid` died: removes its lock (and the heartbeat) if they are still there. */
export function releaseDeadLock(dir: string, pid: number): void {
  const lockPath = join(dir, LOCK_FILE);
  const holder = parse<LockHolder>(readText(lockPath));
  if (holder?.host === hostname() && holder.pid === pid) rmSync(lockPath, { force: true });
  const hb = parse<Heartbeat>(readText(join(dir, HEARTBEAT_FILE)));
  if (hb?.host === hostname() && hb.pid === pid) rmSync(join(dir, HEARTBEAT_FILE), { force: true });
}
