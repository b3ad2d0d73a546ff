/**
 * Replacing a whole folder at once. The new contents are written into `.<name>.swap-<pid>-<hex>.new` beside the
 * folder (each file durable), then the old folder is renamed aside to `….old`, the new one renamed in, and the
 * old one removed; the parent folder is fsynced after each rename. POSIX has no atomic exchange of two folders
 * (Linux's RENAME_EXCHANGE is not in Node), so a kill can land between the two renames: the next
 * replaceDirAtomic or recoverDirSwap on the folder finishes the swap (the new folder is complete by then: the
 * renames start only after it was filled and synced) and removes what is left. A reader that recovers first
 * sees the old folder whole or the new one whole, never files of both.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { faultStep, pidAlive, syncFolder } from "./atomic.js";
import { ensureWritableDir } from "./dirs.js";
import { errnoCode, fileError } from "./errors.js";
import { fsOps } from "./fsops.js";

/** `.<name>.swap-<pid>-<hex>.new|old`: the pid tells a live swap from a dead one's leftovers. */
const SWAP_NAME = /^\.(.+)\.swap-(\d+)-([0-9a-f]+)\.(new|old)$/;

function removeTree(path: string): void {
  try {
    fsOps.rmSync(path, { recursive: true, force: true });
  } catch {
    // best effort: a dead swap's leftovers are collected again at the next recovery
  }
}

/**
 * Finishes or undoes a swap of `target` that a dead process left half done, and removes its leftovers; returns
 * one line per action (nothing when there was nothing to do). With `target` missing and a dead swap's old folder
 * beside it, the swap is finished when its new folder is there (complete by construction), else undone (the old
 * folder is put back). Swaps of live processes (this one included) are left alone.
 */
export function recoverDirSwap(target: string): string[] {
  const abs = resolve(target);
  const parent = dirname(abs);
  const name = basename(abs);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch (e) {
    const code = errnoCode(e);
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw fileError(parent, e);
  }
  const dead = new Map<string, { new?: string; old?: string }>();
  for (const entry of entries.sort()) {
    const m = SWAP_NAME.exec(entry);
    if (!m || m[1] !== name) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || pidAlive(pid)) continue;
    const key = `${m[2]}-${m[3]}`;
    const swap = dead.get(key) ?? {};
    swap[m[4] as "new" | "old"] = join(parent, entry);
    dead.set(key, swap);
  }
  if (dead.size === 0) return [];
  const done: string[] = [];
  if (!existsSync(abs)) {
    // NOTE: killed between the renames: the old folder is aside and the new one (if any) not yet in
    for (const swap of dead.values()) {
      const from = swap.new && swap.old ? swap.new : swap.old;
      if (!from) continue;
      try {
        fsOps.renameSync(from, abs);
      } catch (e) {
        throw fileError(abs, e, `cannot finish an interrupted swap (${from}): ${errnoCode(e) ?? String(e)}`);
      }
      done.push(`${target}: ${from === swap.new ? "finished" : "undid"} a swap interrupted by a kill`);
      if (from === swap.new) delete swap.new;
      else delete swap.old;
      break;
    }
  }
  for (const swap of dead.values())
    for (const p of [swap.new, swap.old]) {
      if (!p) continue;
      removeTree(p);
      done.push(`${target}: removed ${basename(p)}, left by a dead process`);
    }
  syncFolder(parent, abs);
  return done;
}

/**
 * Replaces folder `target` with a new one that `fill(dir)` writes (into a fresh folder beside it; write its files
 * with writeFileAtomic, so each is durable): the old folder is renamed aside, the new one in, the old removed.
 * A folder missing before is simply created. First recovers any swap of `target` a dead process left (see
 * recoverDirSwap). When fill or a rename fails, the old folder stays (or is put back) and the new one is
 * removed, and the error is thrown. The parent folder must be writable (checked first).
 */
export function replaceDirAtomic(target: string, fill: (dir: string) => void): void {
  const abs = resolve(target);
  const parent = dirname(abs);
  ensureWritableDir(parent);
  recoverDirSwap(abs);
  const stem = join(parent, `.${basename(abs)}.swap-${process.pid}-${randomBytes(4).toString("hex")}`);
  const fresh = `${stem}.new`;
  const old = `${stem}.old`;
  try {
    fsOps.mkdirSync(fresh);
  } catch (e) {
    throw fileError(fresh, e);
  }
  try {
    fill(fresh);
    syncFolder(fresh, fresh);
  } catch (e) {
    removeTree(fresh);
    throw e;
  }
  faultStep(`${abs}#swap-filled`);
  let aside = false;
  try {
    try {
      fsOps.renameSync(abs, old);
      aside = true;
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e;
    }
    if (aside) {
      syncFolder(parent, abs);
      faultStep(`${abs}#swap-aside`);
    }
    fsOps.renameSync(fresh, abs);
  } catch (e) {
    if (aside && !existsSync(abs)) {
      try {
        fsOps.renameSync(old, abs);
      } catch {
        // recoverDirSwap puts it back once this process has exited
      }
    }
    removeTree(fresh);
    throw fileError(abs, e);
  }
  syncFolder(parent, abs);
  faultStep(`${abs}#swap-in`);
  if (aside) removeTree(old);
}
