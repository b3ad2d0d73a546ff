/**
 * The result store: `<root>/<experiment>/<variant>/<run-id>/` holds one run folder (see run-folder.ts) plus
 * `run.json`, what the run is within its experiment (dataset, setting, swept values, seed). The run id is a
 * hash of the resolved configuration, so the same run is never stored twice and a changed definition never
 * mistakes an old run for a new one. Every file of a stored run is verified against its manifest before it is
 * used: a damaged run is never a result.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { EpochMetrics } from "@lowprec/maxout";
import { CorruptFileError, insideRoot, lockHolder, verifyFolder, type FileProblem } from "@lowprec/storage";
import type { BackendInfo } from "@lowprec/tensor";
import type { PlannedRun } from "./definitions.js";
import { isRunFile, readConfigRecord, readRunJson, type ConfigRecord } from "./run-folder.js";
import { summarize, type RunSummary } from "./run.js";

/** What run.json holds. */
export type RunMeta = Omit<PlannedRun, "config">;

/** The results root under a data root. */
export function resultsRoot(dataDir: string): string {
  return join(dataDir, "results");
}

/** The folder of a planned run: inside `root` whatever the names hold (OutsideRootError otherwise). */
export function runDir(root: string, run: Pick<PlannedRun, "experiment" | "variant" | "runId">): string {
  return insideRoot(root, join(run.experiment, run.variant, run.runId));
}

/**
 * A stored run's state: finished (its summary; `note` when the summary was re-derived from verified metrics),
 * interrupted (a checkpoint to resume), not started, damaged (a file is not what was written: never a result),
 * or in progress (a live writer holds the folder and its files are changing).
 */
export type StoredState =
  | { readonly state: "done"; readonly summary: RunSummary; readonly note?: string }
  | { readonly state: "interrupted"; readonly epochsDone: number }
  | { readonly state: "new" }
  | { readonly state: "damaged"; readonly file: string; readonly why: string }
  | { readonly state: "in progress" };

/** What to do with a damaged run folder, for messages. */
export function damagedAdvice(dir: string): string {
  return `move ${dir} away (or delete it) and run it again`;
}

/**
 * The problems of a run folder (verifyFolder over the run files; the checkpoint's bytes are hashed only when
 * `checkpoint` is set, since a result does not read it: its presence and entry are still checked). A damaged
 * manifest is one problem naming it.
 */
export function runProblems(dir: string, checkpoint = false): FileProblem[] {
  try {
    return verifyFolder(dir, isRunFile, checkpoint ? undefined : (name) => name !== "checkpoint.bin");
  } catch (e) {
    if (e instanceof CorruptFileError) return [{ file: "manifest.sealed", why: e.why }];
    throw e;
  }
}

/** The backend a run recorded in config.json, as summary.json states it. */
function backendOf(env: ConfigRecord["environment"]): BackendInfo {
  const b = env.bits;
  return {
    name: b.backend as BackendInfo["name"],
    blas: b.blas,
    threads: b.threads,
    ...(b.conv ? { conv: b.conv as BackendInfo["conv"] } : {}),
    ...(b.simd ? { simd: b.simd as BackendInfo["simd"] } : {}),
  };
}

/** The state of `run` in the store (a summary of another run id is not "done": it is someone else's). */
export function storedState(root: string, run: PlannedRun): StoredState {
  const dir = runDir(root, run);
  if (!existsSync(dir) || readdirSync(dir).every((f) => f.startsWith("."))) return { state: "new" };
  const problems = runProblems(dir);
  if (problems.length > 0) {
    if (lockHolder(dir) !== undefined) return { state: "in progress" };
    const bad = problems[0]!;
    // NOTE: only the summary is damaged and what it is computed from verifies: the run's numbers are intact.
    if (problems.every((p) => p.file === "summary.json") && existsSync(join(dir, "metrics.json"))) {
      const rec = readConfigRecord(dir);
      const history = readRunJson(dir, "metrics.json") as EpochMetrics[];
      if (rec !== undefined && Array.isArray(history)) {
        const summary = summarize(rec.config, history, backendOf(rec.environment));
        if (summary.runId === run.runId && summary.completed)
          return {
            state: "done",
            summary,
            note: `summary.json is damaged (${bad.why}): summary re-derived from metrics`,
          };
      }
    }
    return { state: "damaged", file: bad.file, why: bad.why };
  }
  if (existsSync(join(dir, "summary.json"))) {
    const s = readRunJson(dir, "summary.json") as RunSummary;
    if (s.runId === run.runId && s.completed) return { state: "done", summary: s };
  }
  if (existsSync(join(dir, "checkpoint.bin"))) {
    const done = existsSync(join(dir, "metrics.json")) ? (readRunJson(dir, "metrics.json") as unknown[]).length - 1 : 0;
    return { state: "interrupted", epochsDone: Math.max(0, done) };
  }
  return { state: "new" };
}

/** run.json of a planned run. */
export function runMeta(run: PlannedRun): RunMeta {
  const { config: _config, ...meta } = run;
  return meta;
}
