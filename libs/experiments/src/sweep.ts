/**
 * Sweeps: run what is missing of an experiment's variant, in parallel worker processes, resuming interrupted
 * runs from their checkpoints. Every run trains with one native thread and one BLAS thread, whatever the
 * number of jobs, so a run's bits do not depend on how many ran beside it (`--jobs 2` = `--jobs 1`, bit for
 * bit); the default number of jobs is the number of cores.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, freemem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatDuration } from "@lowprec/maxout";
import { datasetAvailable } from "./data.js";
import { expandRuns, TRAIN_EXAMPLES, type ExperimentDef, type PlannedRun, type VariantName } from "./definitions.js";
import { damagedAdvice, resultsRoot, runDir, runMeta, storedState } from "./store.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";

/** Memory an SVHN run needs at its peak (its splits in float32 are 7.75 GB), rounded up. */
const SVHN_RUN_BYTES = 10e9;

/** Threads of each run in a sweep (native kernels and BLAS alike). */
export const THREADS_PER_RUN = 1;

export interface SweepOptions {
  readonly experiment: ExperimentDef;
  readonly variant: VariantName;
  /** the data root: datasets in raw/, results in results/ */
  readonly dataDir: string;
  /** runs at once (default: the number of cores) */
  readonly jobs?: number;
  /** runs per cell (seeds preset, preset + 1, ...) */
  readonly seeds?: number;
  /** keep only runs matching every key=value */
  readonly only?: Readonly<Record<string, string>>;
  /** list the runs and an estimate instead of running them */
  readonly dryRun?: boolean;
  readonly log?: (line: string) => void;
  /** the command line, recorded in each run */
  readonly command?: readonly string[];
}

export interface SweepReport {
  readonly planned: number;
  /** done before this sweep started */
  readonly skipped: number;
  readonly ran: number;
  readonly failed: readonly { readonly run: PlannedRun; readonly message: string }[];
  /** not run: their dataset's files are missing */
  readonly missing: readonly PlannedRun[];
  /** not run and not counted as done: a file of the stored run is not what was written (never overwritten) */
  readonly damaged: readonly { readonly run: PlannedRun; readonly file: string; readonly why: string }[];
  readonly seconds: number;
}

/** Validation and test examples of each dataset (the paper's splits). */
const EVAL_EXAMPLES: Readonly<Record<string, number>> = {
  "pi-mnist": 20_000,
  "mnist-conv": 20_000,
  cifar10: 15_000,
  svhn: 32_032,
};
/** Seconds per example-equivalent (a training example, or three evaluated ones) at one thread, measured. */
const DEFAULT_RATE: Readonly<Record<string, number>> = {
  "pi-mnist": 1.2e-4,
  "mnist-conv": 4e-3,
  cifar10: 1.2e-2,
  svhn: 1.2e-2,
};

/** The work of one epoch of a run, in example-equivalents. */
function epochUnits(run: PlannedRun): number {
  const c = run.config;
  const train = c.trainLimit || TRAIN_EXAMPLES[run.dataset];
  const evalN = c.evalLimit ? 2 * c.evalLimit : (EVAL_EXAMPLES[run.dataset] ?? 0);
  const slower = c.precision.format === "float32" ? 1 : 1.3;
  return (train + evalN / 3) * slower;
}

/** Estimated seconds for the epochs a run still has to train. */
export function estimateSeconds(run: PlannedRun, epochsLeft: number, rate = DEFAULT_RATE): number {
  return epochsLeft * epochUnits(run) * (rate[run.dataset] ?? 1e-2);
}

/** The compiled sweep worker (worker.ts), which the queue worker forks too. */
export function workerPath(): string {
  // NOTE: from src/ (tests) or dist/, the compiled worker is ../dist/worker.js.
  const p = fileURLToPath(new URL("../dist/worker.js", import.meta.url));
  if (!existsSync(p)) throw new Error(`${p} is missing: build first (npm run build)`);
  return p;
}

export const describeRun = (r: PlannedRun): string =>
  [r.dataset, r.setting, ...Object.entries(r.point).map(([k, v]) => `${k}=${v}`), `seed ${r.seed}`].join(" ");

/** Runs (or lists, with `dryRun`) what is missing of a sweep. */
export async function runSweep(opts: SweepOptions): Promise<SweepReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  const runs = expandRuns(opts.experiment, opts.variant, {
    ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
    ...(opts.only ? { only: opts.only } : {}),
  });
  if (runs.length === 0) throw new RangeError("no run matches (check --only)");
  const root = resultsRoot(opts.dataDir);
  const missing = runs.filter((r) => !datasetAvailable(r.dataset, opts.dataDir));
  const rate = { ...DEFAULT_RATE };
  const todo: { run: PlannedRun; left: number }[] = [];
  const damaged: { run: PlannedRun; file: string; why: string }[] = [];
  let skipped = 0;
  for (const run of runs) {
    if (missing.includes(run)) continue;
    const s = storedState(root, run);
    if (s.state === "done") {
      skipped++;
      if (s.note) log(`  ${describeRun(run)}: ${s.note}`);
      if (s.summary.secondsPerEpoch) rate[run.dataset] = s.summary.secondsPerEpoch / epochUnits(run);
    } else if (s.state === "damaged") {
      // NOTE: never trained over: the folder is evidence of what went wrong, and a person decides what to do.
      const dir = runDir(root, run);
      damaged.push({ run, file: s.file, why: s.why });
      log(`damaged ${describeRun(run)}: ${join(dir, s.file)}: ${s.why}; not run (${damagedAdvice(dir)})`);
    } else todo.push({ run, left: run.config.hyper.epochs - (s.state === "interrupted" ? s.epochsDone : 0) });
  }
  let jobs = Math.max(1, Math.min(opts.jobs ?? cpus().length, todo.length || 1));
  // NOTE: an SVHN run holds about 8.4 GB while it trains (9.7 GB while it loads): by default, no more at once
  // than the free memory holds.
  if (opts.jobs === undefined && todo.some((t) => t.run.dataset === "svhn")) {
    const fit = Math.max(1, Math.floor(freemem() / SVHN_RUN_BYTES));
    if (fit < jobs) {
      const need = (jobs * SVHN_RUN_BYTES) / 1e9;
      log(`svhn: ${jobs} jobs would need ${need} GB; running ${fit} at once (--jobs N to choose)`);
      jobs = fit;
    }
  }
  const name = `${opts.experiment.name}/${opts.variant}`;
  for (const d of new Set(missing.map((r) => r.dataset)))
    log(
      `${d}: not run: data missing (run \`lowprec fetch-data\`); ${missing.filter((r) => r.dataset === d).length} runs`,
    );
  const estimate = (items: typeof todo) => items.reduce((s, t) => s + estimateSeconds(t.run, t.left, rate), 0) / jobs;
  log(
    `${name}: ${runs.length} runs, ${skipped} done, ${todo.length} to run, ${missing.length} without data` +
      `${damaged.length ? `, ${damaged.length} damaged` : ""}; ` +
      `about ${formatDuration(estimate(todo))} with ${jobs} job(s) of ${THREADS_PER_RUN} thread(s)`,
  );
  if (opts.dryRun) {
    for (const r of runs) {
      const t = todo.find((x) => x.run === r);
      const bad = damaged.find((x) => x.run === r);
      const state = missing.includes(r)
        ? "not run: data missing"
        : bad
          ? `damaged: ${bad.file}: ${bad.why}`
          : !t
            ? "done"
            : t.left < r.config.hyper.epochs
              ? `resume (${t.left} epochs left)`
              : "to run";
      const eta = t ? `, ~${formatDuration(estimateSeconds(r, t.left, rate))}` : "";
      log(`  ${r.runId}  ${describeRun(r)}: ${r.config.hyper.epochs} epochs, ${state}${eta}`);
    }
    return { planned: runs.length, skipped, ran: 0, failed: [], missing, damaged, seconds: 0 };
  }
  const failed: { run: PlannedRun; message: string }[] = [];
  let ran = 0;
  const queue = [...todo];
  const running = new Map<ChildProcess, (typeof todo)[number]>();
  const progress = () => {
    const left = [...queue, ...running.values()];
    const elapsed = (performance.now() - t0) / 1000;
    log(
      `progress: ${skipped + ran + failed.length}/${runs.length - missing.length - damaged.length} runs, ` +
        `elapsed ${formatDuration(elapsed)}, ETA ${formatDuration(estimate(left))}`,
    );
  };
  if (queue.length > 0)
    await new Promise<void>((resolveAll, rejectAll) => {
      const env = {
        ...process.env,
        LOWPREC_THREADS: String(THREADS_PER_RUN),
        OPENBLAS_NUM_THREADS: String(THREADS_PER_RUN),
      };
      const next = (w: ChildProcess) => {
        const item = queue.shift();
        if (!item) {
          running.delete(w);
          w.disconnect();
          if (running.size === 0 && queue.length === 0) resolveAll();
          return;
        }
        running.set(w, item);
        const job: WorkerJob = {
          type: "run",
          dir: runDir(root, item.run),
          config: item.run.config,
          meta: runMeta(item.run),
          dataDir: opts.dataDir,
          command: opts.command ?? [],
        };
        w.send(job);
      };
      const path = workerPath();
      for (let i = 0; i < jobs; i++) {
        const w = fork(path, [], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
        w.on("message", (m: WorkerMessage) => {
          const item = running.get(w);
          if (m.type === "ready") return next(w);
          if (!item) return;
          if (m.type === "log") {
            // the lines a person waiting on a sweep needs: warnings, resumes, and the data sets' preprocessing
            if (/^(warning|resumed|ZCA|cifar10:|svhn:)/.test(m.line)) log(`  ${describeRun(item.run)}: ${m.line}`);
          } else if (m.type === "epoch") item.left = m.epochs - m.epoch;
          else if (m.type === "done") {
            ran++;
            const s = m.summary;
            const ep = s.secondsPerEpoch;
            if (ep) rate[item.run.dataset] = ep / epochUnits(item.run);
            log(
              `done ${describeRun(item.run)}: test ${s.testErrorAtBestValid.toFixed(2)} % ` +
                `(valid ${s.bestValidError.toFixed(2)} %, epoch ${s.bestEpoch}) in ${formatDuration(m.seconds)}`,
            );
            progress();
            next(w);
          } else if (m.type === "failed") {
            failed.push({ run: item.run, message: m.message });
            log(`FAILED ${describeRun(item.run)}: ${m.message}`);
            progress();
            next(w);
          }
        });
        w.on("exit", (code, signal) => {
          const item = running.get(w);
          running.delete(w);
          if (item) {
            failed.push({ run: item.run, message: `worker exited (${signal ?? `code ${code}`})` });
            log(`FAILED ${describeRun(item.run)}: worker exited (${signal ?? `code ${code}`})`);
          }
          if (running.size === 0 && queue.length === 0) resolveAll();
          else if (running.size === 0) rejectAll(new Error("every worker exited with runs left"));
        });
      }
    });
  return { planned: runs.length, skipped, ran, failed, missing, damaged, seconds: (performance.now() - t0) / 1000 };
}
