/**
 * One process per folder: `<dir>/.lock` is created with O_EXCL and holds who owns it. A lock whose owner died
 * (same host, pid gone) is taken over; any other is refused with who holds it and since when.
 *
 * Fencing: every lock carries a random token, new at each take and takeover. A holder can be taken over while it
 * still runs (a stopped process on another host, judged dead by a heartbeat that stood still: see
 * @lowprec/experiments' queue-lock.ts), so a holder calls assertHeld() before each write: it re-reads `.lock`
 * (one small read) and throws LockLostError once the token there is not its own, and the process stops writing.
 */
import { randomBytes } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { pidAlive } from "./atomic.js";
import { ensureWritableDir } from "./dirs.js";
import { errnoCode, fileError } from "./errors.js";

/** Who holds a folder lock (the JSON in `<dir>/.lock`). */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO 8601 time the lock was taken */
  started: string;
  /** the command line of the holder */
  command: string;
  /** random, new at each take and takeover: whose lock this is (absent in locks of older versions) */
  token?: string;
}

/** A held lock. */
export interface FolderLock {
  /** the lock file, `<dir>/.lock` */
  readonly path: string;
  /** the locked folder */
  readonly dir: string;
  /** this lock's fencing token (LockHolder.token) */
  readonly token: string;
  /** throws LockLostError when `.lock` is no longer this lock (taken over or removed); call before every write */
  assertHeld(): void;
  /** removes the lock file (if it is still ours); idempotent */
  release(): void;
}

/** The folder is locked by another live process (or its lock file cannot be read). */
export class LockedError extends Error {
  override readonly name = "LockedError";
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
    detail = "",
  ) {
    super(
      holder
        ? `${dir} is in use by pid ${holder.pid} on ${holder.host} since ${holder.started} (${holder.command})`
        : `${dir} is in use: its lock file ${join(dir, ".lock")} ${detail}; remove it if no process uses the folder`,
    );
  }
}

/** The lock was taken over (or removed) while this process held it: it must not write the folder any more. */
export class LockLostError extends Error {
  override readonly name = "LockLostError";
  constructor(
    readonly dir: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(
      holder
        ? `${dir}: the folder was taken over by pid ${holder.pid} on host ${holder.host} at ${holder.started}; ` +
            "this process stopped writing"
        : `${dir}: the folder's lock was removed by another process; this process stopped writing`,
    );
  }
}

const LOCK_NAME = ".lock";

/**
 * Exclusive lock on a folder for a process's lifetime: creates `<dir>/.lock` with O_EXCL (`wx`), holding JSON
 * LockHolder. If the file exists: same host and pid not alive (process.kill(pid, 0) → ESRCH) → a stale lock, take
 * it over (remove + retry O_EXCL once, race-safe); otherwise throw LockedError "<dir> is in use by pid N on H
 * since T (<command>)". A held lock is released on release(), and also on process exit (process.on('exit')).
 * The folder is created when missing (see ensureWritableDir).
 */
export function lockFolder(dir: string, command?: string): FolderLock {
  ensureWritableDir(dir);
  const path = join(dir, LOCK_NAME);
  const me: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    command: command ?? defaultCommand(),
    token: randomBytes(16).toString("hex"),
  };
  const text = `${JSON.stringify(me)}\n`;
  if (!tryCreate(path, text)) {
    const seen = readLock(path);
    if (seen !== undefined) {
      if (!isStale(seen.holder)) throw new LockedError(dir, seen.holder, seen.problem);
      takeOver(dir, path, seen.text);
    }
    if (!tryCreate(path, text)) {
      const now = readLock(path);
      throw new LockedError(dir, now?.holder, now?.problem ?? "appeared and vanished while it was taken over");
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off("exit", release);
    // NOTE: remove the file only while it is still ours (a takeover race could have replaced it).
    if (readLock(path)?.text === text) rmSync(path, { force: true });
  };
  process.on("exit", release);
  // NOTE: the whole text is compared, not only the token: a lock rewritten by hand or by an older version is not ours.
  const assertHeld = () => {
    const now = readLock(path);
    if (now?.text !== text) throw new LockLostError(dir, now?.holder);
  };
  return { path, dir, token: me.token as string, assertHeld, release };
}

function defaultCommand(): string {
  return [basename(process.argv[1] ?? process.argv0), ...process.argv.slice(2)].join(" ");
}

/** Creates the lock file with O_EXCL; false when it exists. */
function tryCreate(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (e) {
    if (errnoCode(e) === "EEXIST") return false;
    throw fileError(path, e);
  }
  try {
    writeSync(fd, text);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw fileError(path, e);
  }
  closeSync(fd);
  return true;
}

/** The lock file's text and holder (undefined holder + problem when garbled); undefined when absent. */
function readLock(path: string): { text: string; holder: LockHolder | undefined; problem: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return undefined;
    return { text: "", holder: undefined, problem: `cannot be read (${errnoCode(e) ?? String(e)})` };
  }
  return { text, ...parseHolder(text) };
}

function parseHolder(text: string): { holder: LockHolder | undefined; problem: string } {
  try {
    const h = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      h !== null &&
      typeof h === "object" &&
      Number.isSafeInteger(h.pid) &&
      (h.pid as number) > 0 &&
      typeof h.host === "string" &&
      typeof h.started === "string" &&
      typeof h.command === "string" &&
      (h.token === undefined || typeof h.token === "string")
    ) {
      const holder: LockHolder = { pid: h.pid as number, host: h.host, started: h.started, command: h.command };
      if (h.token !== undefined) holder.token = h.token;
      return { holder, problem: "" };
    }
  } catch {
    // falls through
  }
  return { holder: undefined, problem: `is not a lock this library wrote (${JSON.stringify(text.slice(0, 60))})` };
}

/**
 * Who holds `dir`'s lock, when a process that may be alive does: a lock of this host whose pid is alive, or any
 * lock of another host (its pid cannot be checked from here). Undefined when there is no lock, or its holder is
 * known dead (a killed writer's lock, which the next lockFolder takes over).
 */
export function lockHolder(dir: string): LockHolder | undefined {
  const seen = readLock(join(dir, LOCK_NAME));
  if (seen?.holder === undefined || isStale(seen.holder) || seen.holder.pid === process.pid) return undefined;
  return seen.holder;
}

/** A lock of this host whose process is gone (our own pid is alive, whatever the lock says). */
function isStale(holder: LockHolder | undefined): boolean {
  return holder !== undefined && holder.host === hostname() && holder.pid !== process.pid && !pidAlive(holder.pid);
}

/**
 * Removes the stale lock whose text is `staleText`, race-safely: it is first renamed to a private name and
 * checked; if another process had meanwhile replaced it with a live lock, that lock is put back and refused.
 */
function takeOver(dir: string, path: string, staleText: string): void {
  const grave = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    renameSync(path, grave);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return; // another process removed it first; the O_EXCL retry decides
    throw fileError(path, e);
  }
  let moved = "";
  try {
    moved = readFileSync(grave, "utf8");
  } catch {
    // unreadable: treat as not the stale one
  }
  if (moved === staleText) {
    rmSync(grave, { force: true });
    return;
  }
  try {
    linkSync(grave, path);
  } catch {
    // a third process holds the slot now; the O_EXCL retry reports it
  }
  rmSync(grave, { force: true });
  throw new LockedError(dir, parseHolder(moved).holder, "was replaced while it was taken over");
}
