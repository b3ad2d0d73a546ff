/**
 * Atomic, durable writes: the bytes go to a temp file beside the target, are fsynced, and the temp file is
 * renamed over the target; then the folder is fsynced so the rename itself survives a power cut. A reader
 * sees the old file or the new one, never a mix; a failed write leaves no temp file behind.
 */
import { randomBytes } from "node:crypto";
import { lstatSync, readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { errnoCode, fileError } from "./errors.js";
import { fsOps } from "./fsops.js";

/** `.<name>.tmp-<pid>-<hex>`: the pid lets removeStaleTemps tell a live writer's temp file from a dead one's. */
const TEMP_NAME = /^\.(.+)\.tmp-(\d+)-([0-9a-f]+)$/;

/**
 * Fault injection (tests only): `LOWPREC_FAULT_KILL=<text>:<n>` kills this process with SIGKILL in the middle
 * of the n-th atomic write (1-based) whose path contains <text>, after half of its bytes reached the temp file,
 * so a test can check that a kill during a checkpoint or cache write loses nothing and leaves nothing behind.
 */
const FAULT = /^(.+):(\d+)$/.exec(process.env["LOWPREC_FAULT_KILL"] ?? "");
let faultCount = 0;
function faultPoint(path: string, written: number, total: number): void {
  if (!FAULT || !path.includes(FAULT[1]!) || written < total / 2) return;
  faultCount++;
  if (faultCount === Number(FAULT[2])) process.kill(process.pid, "SIGKILL");
}

/**
 * A named fault point outside writeFileAtomic (tests only): `LOWPREC_FAULT_KILL=<text>:<n>` kills this process at
 * the n-th call whose `label` contains <text>, counted with the writes' own fault points.
 */
export function faultStep(label: string): void {
  if (!FAULT || !label.includes(FAULT[1]!)) return;
  faultCount++;
  if (faultCount === Number(FAULT[2])) process.kill(process.pid, "SIGKILL");
}

/** A fresh temp path beside `path` (same folder, so the final rename is atomic), named for this process. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Writes atomically and durably: temp file `.<name>.tmp-<pid>-<hex>` in the same folder, write, fsync, close,
 * rename, fsync the folder. On any failure the temp file is removed and an Error is thrown whose message names
 * `path` (ENOSPC: "<path>: no space left on device"; EROFS: "<path>: read-only file system"; EACCES likewise).
 * `data` may also be a list of chunks, written back to back (for contents beyond one Uint8Array's limit).
 * `beforeRename` runs once the temp file is durable, just before the rename; what it throws is thrown as is (the
 * temp file removed, the target untouched): a fenced writer passes its lock's assertHeld, so that a process
 * stopped during a long write and taken over meanwhile does not land that write (see lock.ts).
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array | readonly Uint8Array[],
  opts: { readonly beforeRename?: () => void } = {},
): void {
  const chunks: readonly Uint8Array[] =
    typeof data === "string" ? [Buffer.from(data, "utf8")] : data instanceof Uint8Array ? [data] : data;
  const tmp = tempPathFor(path);
  let fd = -1;
  let refused: { error: unknown } | undefined;
  try {
    // NOTE: "wx" never writes into an existing file (a random name should not exist; if it does, fail).
    fd = fsOps.openSync(tmp, "wx", 0o666);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    let written = 0;
    let faulted = false;
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) {
        // NOTE: with fault injection on, the first half goes in one write so the kill lands mid-file.
        const half = FAULT && !faulted ? Math.max(1, Math.floor(total / 2) - written) : c.length;
        const n = fsOps.writeSync(fd, c, off, Math.min(c.length - off, 1 << 30, half));
        off += n;
        written += n;
        if (FAULT && !faulted && written >= total / 2) {
          faulted = true;
          faultPoint(path, written, total);
        }
      }
    }
    fsOps.fsyncSync(fd);
    const closing = fd;
    fd = -1;
    fsOps.closeSync(closing);
    try {
      opts.beforeRename?.();
    } catch (e) {
      refused = { error: e };
      throw e;
    }
    fsOps.renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) {
      try {
        fsOps.closeSync(fd);
      } catch {
        // the write already failed; that error is the one to report
      }
    }
    try {
      fsOps.rmSync(tmp, { force: true });
    } catch {
      // nothing more can be done; removeStaleTemps collects it once this process has exited
    }
    if (refused) throw refused.error;
    const code = errnoCode(e);
    if (code === "ENOENT") throw fileError(path, e, `cannot write: the folder ${dirname(path)} does not exist`);
    throw fileError(path, e);
  }
  syncFolder(dirname(path), path);
}

/** Codes of a folder fsync that the platform or file system does not support (the data itself is synced). */
const UNSUPPORTED_DIR_SYNC = new Set(["EISDIR", "EINVAL", "ENOTSUP", "EPERM", "EACCES", "EBADF"]);

/** fsyncs a folder so a rename in it is durable (`path` names the failure). */
export function syncFolder(dir: string, path: string): void {
  let fd = -1;
  try {
    fd = fsOps.openSync(dir, "r");
    fsOps.fsyncSync(fd);
  } catch (e) {
    const code = errnoCode(e);
    if (code === undefined || !UNSUPPORTED_DIR_SYNC.has(code)) throw fileError(path, e);
  } finally {
    if (fd >= 0) fsOps.closeSync(fd);
  }
}

/** True when a process with this pid exists on this host (EPERM: it exists but belongs to another user). */
export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === "EPERM";
  }
}

/**
 * Removes temp files left by writeFileAtomic of processes that are dead (pid not alive on this host) in `dir`;
 * returns the removed paths. A missing folder holds none. Best effort: a file that cannot be removed stays.
 * In a folder shared between hosts a pid means nothing on the other host: run it on folders of one machine.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw fileError(dir, e);
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || pidAlive(pid)) continue;
    const p = join(dir, name);
    try {
      if (!lstatSync(p).isFile()) continue;
      fsOps.rmSync(p, { force: true });
      removed.push(p);
    } catch {
      // vanished meanwhile, or not ours to remove
    }
  }
  return removed;
}
