/**
 * The results of an experiment's variant as one tidy table (one row per planned run, done or not), with each
 * run's error normalised by the baseline setting's (float32 in the paper's figures) for the same dataset,
 * seed, length and subset. Read from the result store; written and read as CSV by @lowprec/report.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { NETWORK_PRESETS } from "@lowprec/maxout";
import type { ResultRow } from "@lowprec/report";
import { CorruptFileError } from "@lowprec/storage";
import { datasetAvailable } from "./data.js";
import { expandRuns, type DatasetName, type ExperimentDef, type PlannedRun, type VariantName } from "./definitions.js";
import { readRunJson } from "./run-folder.js";
import { damagedAdvice, resultsRoot, runDir, storedState, type RunMeta } from "./store.js";

/** The most seeds per cell the store may hold (a run.json claiming more is refused, not planned for). */
export const MAX_STORED_SEEDS = 100;

/**
 * How many seeds the store holds for a variant (at least 1). Seeds come only from run.json files that verify
 * against their folder's manifest, and count only when the folder is the planned run of this variant with that
 * seed (its run id is the planned one), so a damaged or foreign run.json never adds phantom runs to the plan.
 */
export function storedSeeds(def: ExperimentDef, variant: VariantName, dataDir: string): number {
  const dir = join(resultsRoot(dataDir), def.name, variant);
  if (!existsSync(dir)) return 1;
  let most = 1;
  for (const id of readdirSync(dir).sort()) {
    const folder = join(dir, id);
    const p = join(folder, "run.json");
    if (!existsSync(p)) continue;
    let m: Partial<RunMeta> | null;
    try {
      m = readRunJson(folder, "run.json") as Partial<RunMeta> | null;
    } catch (e) {
      // NOTE: damaged or unsealed: collectResults reports the folder; its seed is not evidence of anything
      if (e instanceof CorruptFileError) continue;
      throw e;
    }
    // NOTE: a variant's seeds are the preset's seed, + 1, + 2, ... (expandRuns).
    const base = NETWORK_PRESETS[m?.dataset as DatasetName]?.hyper.seed;
    if (base === undefined || typeof m?.seed !== "number" || !Number.isSafeInteger(m.seed)) continue;
    const n = m.seed - base + 1;
    if (n <= most) continue;
    if (n > MAX_STORED_SEEDS)
      throw new RangeError(
        `${p}: seed ${m.seed} would make ${n} seeds per cell of ${def.name}/${variant} (at most ${MAX_STORED_SEEDS})`,
      );
    if (expandRuns(def, variant, { seeds: n }).some((r) => r.runId === id && r.seed === m.seed)) most = n;
  }
  return most;
}

function rowOf(run: PlannedRun, dataDir: string, log: (line: string) => void): ResultRow {
  const c = run.config;
  const p = c.precision;
  const scaled = p.format === "dynamic-fixed" || p.groupScale === true;
  const base: ResultRow = {
    experiment: run.experiment,
    variant: run.variant,
    runId: run.runId,
    dataset: run.dataset,
    setting: run.setting,
    format: p.format,
    propagationBits: p.propagationBits,
    updateBits: p.updateBits,
    integerBits: p.integerBits,
    // NOTE: only formats with a moving scale use the overflow rate (fp32, half, fixed carry an unused default).
    maxOverflowRate: scaled && p.scaling.kind === "overflow-rate" ? p.scaling.maxRate : Number.NaN,
    rounding: p.format === "float32" ? "none" : p.rounding,
    scaling: scaled ? p.scaling.kind : "none",
    seed: run.seed,
    epochs: c.hyper.epochs,
    trainLimit: c.trainLimit,
    status: "not run",
    bestEpoch: Number.NaN,
    validError: Number.NaN,
    testError: Number.NaN,
    baselineTestError: Number.NaN,
    normalizedError: Number.NaN,
    seconds: Number.NaN,
    commit: "",
    testExamples: Number.NaN,
  };
  if (!datasetAvailable(run.dataset, dataDir))
    return { ...base, status: "not run: data missing (run `lowprec fetch-data`)" };
  const s = storedState(resultsRoot(dataDir), run);
  if (s.state === "interrupted") return { ...base, status: `interrupted after epoch ${s.epochsDone}` };
  if (s.state === "new") return base;
  if (s.state === "in progress") return { ...base, status: "in progress" };
  const dir = runDir(resultsRoot(dataDir), run);
  if (s.state === "damaged") {
    log(`${join(dir, s.file)}: damaged: ${s.why}; not used as a result (${damagedAdvice(dir)})`);
    return { ...base, status: `damaged: ${s.file}: ${s.why}` };
  }
  if (s.note) log(`${dir}: ${s.note}`);
  const m = s.summary;
  return {
    ...base,
    status: "done",
    bestEpoch: m.bestEpoch,
    validError: m.bestValidError,
    testError: m.testErrorAtBestValid,
    seconds: (m.secondsPerEpoch ?? Number.NaN) * m.epochsDone,
  };
}

/**
 * One row per planned run of `variant` (all stored seeds), baseline-normalised. A damaged run's status is
 * `damaged: <file>: <why>` (never a result); `log` hears one line per damaged run and per re-derived summary.
 */
export function collectResults(
  def: ExperimentDef,
  variant: VariantName,
  dataDir: string,
  seeds = storedSeeds(def, variant, dataDir),
  log: (line: string) => void = () => undefined,
): ResultRow[] {
  const runs = expandRuns(def, variant, { seeds });
  const rows = runs.map((r) => rowOf(r, dataDir, log));
  if (def.baseline === undefined) return rows;
  const key = (r: ResultRow, run: PlannedRun) =>
    [r.dataset, r.seed, r.epochs, r.trainLimit, run.config.evalLimit].join("|");
  const baseline = new Map<string, number>();
  runs.forEach((run, i) => {
    const r = rows[i]!;
    if (r.setting === def.baseline && r.status === "done") baseline.set(key(r, run), r.testError);
  });
  return rows.map((r, i) => {
    const b = baseline.get(key(r, runs[i]!)) ?? Number.NaN;
    return { ...r, baselineTestError: b, normalizedError: r.status === "done" ? r.testError / b : Number.NaN };
  });
}

/** The folder of a stored run, for telemetry (the scales/ files). */
export function storedRunDir(dataDir: string, run: PlannedRun): string {
  return runDir(resultsRoot(dataDir), run);
}
