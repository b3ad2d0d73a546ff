/** Where the command line keeps data and results: one rule for every command. */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "./command.js";

/** The repository's root (this file is tools/lowprec/{src,dist}/paths.*). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

/**
 * The data root: `--data-dir` if given, else $LOWPREC_DATA, else the repository's `data/`.
 * Datasets live in `<root>/raw`, caches in `<root>/cache`, run outputs in `<root>/runs`, sweeps in `<root>/results`.
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  // NOTE: an empty --data-dir (an unset shell variable, `--data-dir "$DIR"`) would silently mean the default.
  if (flag === "") throw new UsageError("option --data-dir: empty; give a folder (or leave the option out)");
  if (flag !== undefined) return resolve(flag);
  if (env.LOWPREC_DATA) return resolve(env.LOWPREC_DATA);
  return resolve(repoRoot(), "data");
}

/**
 * The data root of a command that only reads results: it must exist, else a typo (`--data-dir /typo`) would read as
 * an empty store, every run "not run", exit 0.
 */
export function existingDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const dir = resolveDataDir(flag, env);
  if (!existsSync(dir)) throw new Error(`data root ${dir} does not exist (--data-dir, $LOWPREC_DATA)`);
  return dir;
}

/** The `--data-dir` option of every command that reads or writes the data root. */
export const DATA_DIR_OPTION = {
  type: "string",
  value: "DIR",
  description: "data root ($LOWPREC_DATA, else the repository's data/)",
} as const;
