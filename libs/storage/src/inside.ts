/** Paths built from names (an experiment's, a run's) must stay inside the folder they were built under. */
import { isAbsolute, relative, resolve, sep } from "node:path";

/** A path that would leave its root: names both. */
export class OutsideRootError extends Error {
  override readonly name = "OutsideRootError";
}

/**
 * `path` resolved, when it lies inside `root` (or is `root`); else OutsideRootError. Lexical (resolve, then
 * compare): a name such as "../../x" or an absolute one cannot lead a write out of the data root, whatever the
 * validation before it let through.
 */
export function insideRoot(root: string, path: string): string {
  const r = resolve(root);
  const p = resolve(r, path);
  const rel = relative(r, p);
  if (!(rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel))) return p;
  throw new OutsideRootError(`${path}: outside ${r}, where it must be`);
}
