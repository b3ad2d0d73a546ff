/**
 * Run folder locks across machines. A run folder's `.lock` (@lowprec/storage's lockFolder) names the pid and
 * host of its writer and a fencing token; on the writer's own host a dead pid is taken over, but another host
 * cannot check a pid. So a queue run keeps a heartbeat beside the lock while it trains: `.heartbeat` (host, pid
 * and token of the lock holder, job id, a beat counter). It is beaten by the process that holds the lock and
 * trains (the worker's training child, worker.ts), from its progress events, every `lockDuration / 3` at most:
 * training is synchronous, so a timer would not fire during an epoch, and a beat from another process (the
 * worker's parent, as before) says nothing about the writer: a stopped parent let the heartbeat stand still while
 * its child trained on, a stopped child left the parent beating for it. A worker on another host that BullMQ has
 * handed the job to (which it does only after the holder's job lock in Redis expired: the job stalled) takes the
 * folder over only when the heartbeat belongs to that lock and does not change for a whole observation window
 * (`lockDuration`, three beats): a holder that trains and reaches the shared folder keeps beating and keeps its
 * folder, whatever Redis says (the new worker's attempt fails as "in use" and is retried later, when it finds the
 * finished run). The window compares beats, not clocks, so skewed clocks between hosts do not matter. A lock
 * without a heartbeat (a local `lowprec sweep` or `lowprec train` on another host) is never taken over from
 * another host: its own host takes it over when it runs anything on the folder, or a person removes it.
 *
 * Fencing: a holder judged dead may only be stopped (SIGSTOP, a frozen VM, a long GC or swap storm) and go on
 * later. The takeover writes a lock with a new token; the old holder checks its token before every write (the
 * run folder's writes and the heartbeat call FolderLock.assertHeld) and stops with LockLostError at the first,
 * so two processes never write one folder. What is left is the time between a check and its rename (a whole
 * file write, or, with writeFileAtomic's beforeRename check, the instant before the rename syscall): a process
 * stopped exactly there for a whole window still lands that one file; closing it needs the storage itself to
 * check the token, which a shared POSIX folder cannot do.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  LockedError,
  LockLostError,
  pidAlive,
  writeFileAtomic,
  type FolderLock,
  type LockHolder,
} from "@lowprec/storage";

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
  /** the fencing token of that lock (absent in heartbeats of older versions) */
  readonly token?: string;
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

/** A heartbeat, beaten by the lock holder itself: see startHeartbeat. */
export interface HeartbeatHandle {
  /** beats if `everyMs` passed since the last beat; throws LockLostError once the lock is not ours */
  beat(): void;
  /** removes `.heartbeat` if it is still ours */
  stop(): void;
}

/**
 * Beats `<dir>/.heartbeat` for `lock`, held by this process: once now, then at each beat() call (the training's
 * progress events) when `everyMs` passed. Before each beat, and again just before its file is renamed into place,
 * the lock is checked (assertHeld): a process that was taken over stops at its next batch, or mid-beat, instead of
 * beating over the new holder's heartbeat.
 */
export function startHeartbeat(
  lock: Pick<FolderLock, "dir" | "token" | "assertHeld">,
  job: string,
  everyMs: number,
): HeartbeatHandle {
  const path = join(lock.dir, HEARTBEAT_FILE);
  const host = hostname();
  const pid = process.pid;
  let beat = 0;
  let last = 0;
  const write = () => {
    lock.assertHeld();
    beat++;
    last = performance.now();
    const hb: Heartbeat = { host, pid, token: lock.token, job, beat, time: new Date().toISOString() };
    try {
      // the lock again just before the rename: a process stopped while it wrote the beat (the fsync is the long
      // part) and taken over meanwhile must not land its beat over the new holder's
      writeFileAtomic(path, `${JSON.stringify(hb)}\n`, { beforeRename: () => lock.assertHeld() });
    } catch (e) {
      if (e instanceof LockLostError) throw e;
      // NOTE: a missed beat is harmless (three beats make a window); a folder gone for good fails the run itself.
    }
  };
  write();
  return {
    beat() {
      if (performance.now() - last >= everyMs) write();
    },
    stop() {
      const hb = parse<Heartbeat>(readText(path));
      if (hb?.host === host && hb.pid === pid && hb.token === lock.token) rmSync(path, { force: true });
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
  // NOTE: the token too, when the lock has one: a heartbeat left by an earlier holder of the same pid is not its.
  if (hb?.host !== holder.host || hb.pid !== holder.pid || (holder.token !== undefined && hb.token !== holder.token))
    throw new LockedError(dir, full, "and has no queue heartbeat");
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
