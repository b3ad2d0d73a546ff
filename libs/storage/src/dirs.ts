/** Checks that a folder can be written before a long job starts, with one line saying why not. */
import { constants, realpathSync, statSync, type Stats } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { errnoCode, fileError } from "./errors.js";
import { fsOps } from "./fsops.js";

/** Kernel pseudo file systems: nothing of ours belongs there, and mkdir -p on /proc/x spins forever on Node 20. */
const PSEUDO_ROOTS = ["/proc", "/sys"];

function underPseudo(abs: string): string | undefined {
  return PSEUDO_ROOTS.find((r) => abs === r || abs.startsWith(`${r}${sep}`));
}

/**
 * Checks that a folder can be written (creating it if missing): a parent that is not a directory, a read-only
 * file system, or no permission → Error naming the folder in one line. Refuses paths under /proc and /sys.
 * Walks up to the first existing ancestor and checks that it is a writable folder before creating anything.
 */
export function ensureWritableDir(dir: string): void {
  const abs = resolve(dir);
  const refuse = (p: string) => {
    const root = underPseudo(p);
    if (root) throw new Error(`${dir}: cannot write under ${root} (a kernel pseudo file system, not for data)`);
  };
  refuse(abs);
  let existing = abs;
  let st: Stats;
  for (;;) {
    try {
      st = statSync(existing);
      break;
    } catch (e) {
      const code = errnoCode(e);
      if (code !== "ENOENT" && code !== "ENOTDIR") throw fileError(dir, e);
      const up = dirname(existing);
      if (up === existing) throw fileError(dir, e);
      existing = up;
    }
  }
  let real = existing;
  try {
    real = realpathSync(existing);
  } catch {
    // keep the path as given; the checks below still apply
  }
  refuse(real);
  if (!st.isDirectory())
    throw new Error(existing === abs ? `${dir}: exists and is not a folder` : `${dir}: ${existing} is not a folder`);
  try {
    fsOps.accessSync(existing, constants.W_OK | constants.X_OK);
  } catch (e) {
    const code = errnoCode(e);
    if (code === "EACCES" || code === "EPERM")
      throw fileError(dir, e, `permission denied (${existing} is not writable by this user)`);
    throw fileError(dir, e);
  }
  if (existing !== abs) {
    try {
      fsOps.mkdirSync(abs, { recursive: true });
    } catch (e) {
      throw fileError(dir, e);
    }
  }
}
