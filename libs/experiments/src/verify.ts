/**
 * `lowprec verify`: every run folder under a data root (`<root>/results/**` and `<root>/runs/**`) checked against
 * its manifest: every listed file present and matching its length and SHA-256, no run file the manifest does not
 * list, and a checkpoint that decodes. A folder held by a live writer is in progress (its files are changing).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError, decodeCheckpoint } from "@lowprec/maxout";
import { CorruptFileError, lockHolder, type FileProblem } from "@lowprec/storage";
import { RUN_FILES, readRunFile } from "./run-folder.js";
import { runProblems } from "./store.js";

/** One run folder's verdict. */
export interface FolderCheck {
  readonly dir: string;
  readonly state: "intact" | "damaged" | "in progress";
  /** what is wrong (damaged folders only) */
  readonly problems: readonly FileProblem[];
}

const isFolder = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Run folders at or under `dir`: folders holding a run file (or a manifest, or a writer's lock). */
function runFolders(dir: string): string[] {
  const names = readdirSync(dir);
  if (names.some((n) => (RUN_FILES as readonly string[]).includes(n) || n === ".lock")) return [dir];
  return names
    .sort()
    .map((n) => join(dir, n))
    .filter(isFolder)
    .flatMap(runFolders);
}

/** The verdict on one run folder (the checkpoint is hashed and decoded). */
export function verifyRunFolder(dir: string): FolderCheck {
  if (lockHolder(dir) !== undefined) return { dir, state: "in progress", problems: [] };
  // NOTE: a writer killed before its first write leaves only its lock (and temp files): nothing to verify
  if (readdirSync(dir).every((n) => n.startsWith("."))) return { dir, state: "intact", problems: [] };
  const problems = runProblems(dir, true);
  if (problems.length === 0 && existsSync(join(dir, "checkpoint.bin"))) {
    try {
      decodeCheckpoint(readRunFile(dir, "checkpoint.bin"));
    } catch (e) {
      if (!(e instanceof CheckpointError || e instanceof CorruptFileError)) throw e;
      problems.push({ file: "checkpoint.bin", why: e instanceof CheckpointError ? e.reason : e.why });
    }
  }
  return { dir, state: problems.length ? "damaged" : "intact", problems };
}

/** Every run folder of a data root, verified (a root that does not exist is an error naming it). */
export function verifyStore(dataDir: string): FolderCheck[] {
  if (!isFolder(dataDir)) throw new Error(`${dataDir}: no such data root (a folder)`);
  const tops = ["results", "runs"].map((d) => join(dataDir, d)).filter(isFolder);
  return tops.flatMap(runFolders).map(verifyRunFolder);
}
