/**
 * The result store: `<root>/<experiment>/<variant>/<run-id>/` holds one run folder (see run-folder.ts) plus
 * `run.json`, what the run is within its experiment (dataset, setting, swept values, seed). The run id is a
 * hash of the resolved configuration, so the same run is never stored twice and a changed definition never
 * mistakes an old run for a new one.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { insideRoot } from "@lowprec/storage";
import type { PlannedRun } from "./definitions.js";
import { readJsonFile } from "./run-folder.js";
import type { RunSummary } from "./run.js";

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

/** A stored run's state: finished (its summary), interrupted (a checkpoint to resume), or not started. */
export type StoredState =
  | { readonly state: "done"; readonly summary: RunSummary }
  | { readonly state: "interrupted"; readonly epochsDone: number }
  | { readonly state: "new" };

/** The state of `run` in the store (a summary of another run id is not "done": it is someone else's). */
export function storedState(root: string, run: PlannedRun): StoredState {
  const dir = runDir(root, run);
  const summaryPath = join(dir, "summary.json");
  if (existsSync(summaryPath)) {
    const s = readJsonFile(summaryPath) as RunSummary;
    if (s.runId === run.runId && s.completed) return { state: "done", summary: s };
  }
  if (existsSync(join(dir, "checkpoint.bin"))) {
    const metrics = join(dir, "metrics.json");
    const done = existsSync(metrics) ? (readJsonFile(metrics) as unknown[]).length - 1 : 0;
    return { state: "interrupted", epochsDone: Math.max(0, done) };
  }
  return { state: "new" };
}

/** run.json of a planned run. */
export function runMeta(run: PlannedRun): RunMeta {
  const { config: _config, ...meta } = run;
  return meta;
}
