/**
 * The results of an experiment's variant as one tidy table (one row per planned run, done or not), with each
 * run's error normalised by the baseline setting's (float32 in the paper's figures) for the same dataset,
 * seed, length and subset. Read from the result store; written and read as CSV by @lowprec/report.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { EpochMetrics } from "@lowprec/maxout";
import type { ResultRow } from "@lowprec/report";
import { CorruptFileError } from "@lowprec/storage";
import { commitLabel } from "./code-identity.js";
import { runDataAvailable, sourceDir } from "./data.js";
import {
  expandRuns,
  presetDefaults,
  type DatasetName,
  type ExperimentDef,
  type PlannedRun,
  type VariantName,
} from "./definitions.js";
import { summarize } from "./run.js";
import { readConfigRecord, readDataRecord, readRunJson } from "./run-folder.js";
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
    const base = presetDefaults(String(m?.dataset))?.seed;
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

/**
 * The seeds per cell a collection plans: the variant's own (`seeds`, 1 when absent), or more when the store holds
 * more (storedSeeds). A store that lacks some cells' runs still plans every seed of the variant, so their rows say
 * "not run" rather than vanish.
 */
export function plannedSeeds(def: ExperimentDef, variant: VariantName, dataDir: string): number {
  return Math.max(def.variants[variant]?.seeds ?? 1, storedSeeds(def, variant, dataDir));
}

/**
 * The commit of the code a run trained with, from its config.json's environment: `code` ({commit, dirty}) when
 * recorded, else `gitCommit` (`<sha>` or `<sha>+dirty`); "+dirty" when the work tree had uncommitted changes;
 * "unknown" when neither names a commit (runs outside a git checkout, or records without either field).
 */
export function runCommit(environment: unknown): string {
  const env = (typeof environment === "object" && environment !== null ? environment : {}) as {
    code?: { commit?: unknown; dirty?: unknown };
    gitCommit?: unknown;
  };
  const named = (c: unknown): c is string => typeof c === "string" && c !== "" && !c.startsWith("unknown");
  const code = env.code;
  if (named(code?.commit) && typeof code.dirty === "boolean")
    return commitLabel({ commit: code.commit, dirty: code.dirty });
  return named(env.gitCommit) ? env.gitCommit : "unknown";
}

/** Whether a commit as runCommit gives it was made from a work tree with uncommitted changes. */
export function isDirtyCommit(commit: string): boolean {
  return commit.endsWith("+dirty");
}

/** What of a run's configuration decides how many test images its error is measured on. */
export interface EvaluationConfig {
  /** the first `evalLimit` examples of the validation and test splits; 0: all */
  readonly evalLimit: number;
  readonly hyper: { readonly batch: number };
  /** a Maxout run's switches (a ViT run has none: it evaluates every example) */
  readonly faithfulness?: { readonly dropPartialBatches: boolean };
}

/**
 * How many examples of a split of `splitCount` the trainer evaluates (@lowprec/maxout's trainer.ts, `evaluate`):
 * the first min(evalLimit, splitCount) (all when evalLimit is 0), in batches of `hyper.batch`; with
 * `dropPartialBatches` (the authors' rule, on by default) only floor(count / batch) whole batches, so a partial
 * last batch is not evaluated. 5,000 images at batch 128: 39 batches, 4,992 images.
 */
export function evaluatedExamples(config: EvaluationConfig, splitCount: number): number {
  const count = config.evalLimit > 0 ? Math.min(config.evalLimit, splitCount) : splitCount;
  const batch = config.hyper.batch;
  return config.faithfulness?.dropPartialBatches ? Math.floor(count / batch) * batch : count;
}

/**
 * The test split of each dataset as the loaders give it (@lowprec/datasets): MNIST's t10k file, CIFAR-10's
 * test_batch, SVHN's test_32x32.mat. Used for runs whose folder has no data.json (made before runs recorded
 * their data, always on these files); a run with data.json counts its own test split.
 */
export const TEST_EXAMPLES: Readonly<Record<DatasetName, number>> = {
  "pi-mnist": 10_000,
  "mnist-conv": 10_000,
  cifar10: 10_000,
  svhn: 26_032,
  "vit-mnist": 10_000,
};

function rowOf(run: PlannedRun, dataDir: string, log: (line: string) => void): ResultRow {
  const c = run.config;
  const p = c.precision;
  // NOTE: an MX format's scale is per block (block-scaled): the row says so, as it names any other policy
  const scaled = p.format === "dynamic-fixed" || p.groupScale === true || p.scaling.kind === "block-scaled";
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
    epochsDone: Number.NaN,
    data: run.source ? `${run.source.images}: ${run.source.label}` : "",
  };
  if (run.source && !runDataAvailable(run, dataDir))
    return {
      ...base,
      status: `not run: image folder missing (${sourceDir(run.source, dataDir)}: train/<class>/*, test/<class>/*)`,
    };
  if (!runDataAvailable(run, dataDir)) return { ...base, status: "not run: data missing (run `lowprec fetch-data`)" };
  const s = storedState(resultsRoot(dataDir), run);
  if (s.state === "interrupted")
    return { ...base, ...soFar(run, dataDir), status: `interrupted after epoch ${s.epochsDone}` };
  if (s.state === "new") return base;
  if (s.state === "in progress") return { ...base, status: "in progress" };
  const dir = runDir(resultsRoot(dataDir), run);
  if (s.state === "damaged") {
    log(`${join(dir, s.file)}: damaged: ${s.why}; not used as a result (${damagedAdvice(dir)})`);
    return { ...base, status: `damaged: ${s.file}: ${s.why}` };
  }
  if (s.note) log(`${dir}: ${s.note}`);
  const m = s.summary;
  // NOTE: storedState verified the folder's files; config.json's configuration is `c` (the run id is its hash)
  const rec = readConfigRecord(dir);
  const testCount = readDataRecord(dir)?.test.count ?? TEST_EXAMPLES[run.dataset];
  return {
    ...base,
    status: "done",
    bestEpoch: m.bestEpoch,
    validError: m.bestValidError,
    testError: m.testErrorAtBestValid,
    seconds: (m.secondsPerEpoch ?? Number.NaN) * m.epochsDone,
    commit: runCommit(rec?.environment),
    testExamples: evaluatedExamples(c, testCount),
    epochsDone: m.epochsDone,
  };
}

/**
 * An interrupted run's numbers so far, from its history (metrics.json, verified with the folder by storedState):
 * the best validation epoch up to now, its errors, the seconds trained, the epochs done. Nothing when the run
 * has no trained epoch yet.
 */
function soFar(run: PlannedRun, dataDir: string): Partial<ResultRow> {
  const dir = runDir(resultsRoot(dataDir), run);
  if (!existsSync(join(dir, "metrics.json"))) return {};
  const rec = readConfigRecord(dir);
  const history = readRunJson(dir, "metrics.json") as EpochMetrics[];
  if (rec === undefined || !Array.isArray(history)) return {};
  // NOTE: the backend is not part of these numbers
  const m = summarize(run.config, history, { name: "ts", blas: false, threads: 1 });
  if (m.epochsDone === 0) return {};
  const testCount = readDataRecord(dir)?.test.count ?? TEST_EXAMPLES[run.dataset];
  return {
    bestEpoch: m.bestEpoch,
    validError: m.bestValidError,
    testError: m.testErrorAtBestValid,
    seconds: (m.secondsPerEpoch ?? Number.NaN) * m.epochsDone,
    commit: runCommit(rec.environment),
    testExamples: evaluatedExamples(run.config, testCount),
    epochsDone: m.epochsDone,
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
  seeds = plannedSeeds(def, variant, dataDir),
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
