/** Where the command line keeps data and results: one rule for every command. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root (this file is tools/lowprec/{src,dist}/paths.*). */
export function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

/**
 * The data root: `--data-dir` if given, else $LOWPREC_DATA, else the repository's `data/`.
 * Datasets live in `<root>/raw`, caches in `<root>/cache`, run outputs in `<root>/runs`, sweeps in `<root>/results`.
 */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.LOWPREC_DATA) return resolve(env.LOWPREC_DATA);
  return resolve(repoRoot(), "data");
}

/** The `--data-dir` option of every command that reads or writes the data root. */
export const DATA_DIR_OPTION = {
  type: "string",
  value: "DIR",
  description: "data root ($LOWPREC_DATA, else the repository's data/)",
} as const;
