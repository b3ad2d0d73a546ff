/**
 * Sweeps: run what is missing of an experiment's variant, in parallel worker processes, resuming interrupted
 * runs from their checkpoints. Every run trains with one native thread and one BLAS thread, whatever the
 * number of jobs, so a run's bits do not depend on how many ran beside it (`--jobs 2` = `--jobs 1`, bit for
 * bit); the default number of jobs is the number of cores.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, freemem, hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatDuration } from "@lowprec/maxout";
import { pidAlive, type LockHolder } from "@lowprec/storage";
import { runDataAvailable } from "./data.js";
import { expandRuns, planRuns, type ExperimentDef, type PlannedRun, type VariantName } from "./definitions.js";
import {
  describeBasis,
  epochExamples,
  poolSeconds,
  RunHistory,
  storedSample,
  type PoolItem,
  type SweepEstimate,
} from "./estimate.js";
import { describeResult, runNotes } from "./run-lines.js";
import { damagedAdvice, resultsRoot, runDir, runMeta, storedState } from "./store.js";
import type { WorkerJob, WorkerMessage } from "./worker.js";

/** Memory an SVHN run needs at its peak (its splits in float32 are 7.75 GB), rounded up. */
const SVHN_RUN_BYTES = 10e9;

/** The `kind` of a worker's "failed" message for a run that another process finished before this one opened it. */
export const FINISHED_ELSEWHERE = "FinishedElsewhere";

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
  /** resume interrupted runs made by other code (RunOptions.allowOtherCode) */
  readonly allowOtherCode?: boolean;
  /**
   * this machine's finished runs, for the estimates (default: read from the store); the sweep adds the runs it
   * finishes, so sweeps run one after the other (reproduce) can share one
   */
  readonly history?: RunHistory;
}

export interface SweepReport {
  readonly planned: number;
  /** done before this sweep started */
  readonly skipped: number;
  readonly ran: number;
  readonly failed: readonly { readonly run: PlannedRun; readonly message: string }[];
  /** not run: their dataset's files are missing */
  readonly missing: readonly PlannedRun[];
  /** finished by another process (a concurrent sweep of the same store) while this one ran */
  readonly finishedElsewhere: number;
  /** still running in another process on another host when this sweep ended: neither done nor failed here */
  readonly elsewhere: readonly { readonly run: PlannedRun; readonly holder: LockHolder | undefined }[];
  /** not run and not counted as done: a file of the stored run is not what was written (never overwritten) */
  readonly damaged: readonly { readonly run: PlannedRun; readonly file: string; readonly why: string }[];
  readonly seconds: number;
  /** the estimate printed when the sweep started (or by the dry run): of the runs it had to run */
  readonly estimate: SweepEstimate;
}

/** The estimate of a sweep's runs to run on `jobs` workers (see estimate.ts). */
function sweepEstimate(
  history: RunHistory,
  items: readonly { readonly run: PlannedRun; readonly left: number }[],
  jobs: number,
): SweepEstimate {
  const from = new Set<string>();
  let builtIn = 0;
  const pool: PoolItem[] = items.map(({ run, left }) => {
    const e = history.estimate(run, left, THREADS_PER_RUN);
    if (e.from.length === 0) builtIn++;
    for (const id of e.from) from.add(id);
    return { dataset: run.dataset, seconds: e.seconds };
  });
  return { seconds: poolSeconds(pool, jobs), runs: items.length, builtIn, from, history: history.size };
}

/** "1 epoch", "20 epochs". */
const epochsText = (n: number): string => `${n} epoch${n === 1 ? "" : "s"}`;

/** A run's notes (calibration epochs, scales that cannot settle) as the tail of its line, or "". */
const notesTail = (run: PlannedRun): string => {
  const notes = runNotes(run.config, epochExamples(run.config).train);
  return notes.length ? `; ${notes.join("; ")}` : "";
};

/** The compiled sweep worker (worker.ts), which the queue worker forks too. */
export function workerPath(): string {
  // NOTE: from src/ (tests) or dist/, the compiled worker is ../dist/worker.js.
  const p = fileURLToPath(new URL("../dist/worker.js", import.meta.url));
  if (!existsSync(p)) throw new Error(`${p} is missing: build first (npm run build)`);
  return p;
}

export const describeRun = (r: PlannedRun): string =>
  [r.dataset, r.setting, ...Object.entries(r.point).map(([k, v]) => `${k}=${v}`), `seed ${r.seed}`].join(" ");

/** A sweep's jobs: asked or the cores, no more than runs, and (unasked) no more SVHN runs than the memory holds. */
function chooseJobs(opts: SweepOptions, todo: number, svhn: boolean, log: (line: string) => void): number {
  let jobs = Math.max(1, Math.min(opts.jobs ?? cpus().length, todo || 1));
  // NOTE: an SVHN run holds about 8.4 GB while it trains (9.7 GB while it loads): by default, no more at once
  // than the free memory holds.
  if (opts.jobs === undefined && svhn) {
    const fit = Math.max(1, Math.floor(freemem() / SVHN_RUN_BYTES));
    if (fit < jobs) {
      const need = (jobs * SVHN_RUN_BYTES) / 1e9;
      log(`svhn: ${jobs} jobs would need ${need} GB; running ${fit} at once (--jobs N to choose)`);
      jobs = fit;
    }
  }
  return jobs;
}

/** The runs without data, counted by dataset. */
function missingByDataset(missing: readonly PlannedRun[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of missing) counts.set(r.dataset, (counts.get(r.dataset) ?? 0) + 1);
  return counts;
}

const logMissing = (counts: ReadonlyMap<string, number>, log: (line: string) => void): void => {
  for (const [d, n] of counts) log(`${d}: not run: data missing (run \`lowprec fetch-data\`); ${n} runs`);
};

/**
 * A dry run: one line per run as it is planned (planRuns builds them one at a time), then the totals. Only counts
 * and the runs without data are kept, so the first line comes at once whatever the plan's size (itself bounded by
 * MAX_PLANNED_RUNS).
 */
function dryRun(opts: SweepOptions, log: (line: string) => void): SweepReport {
  const root = resultsRoot(opts.dataDir);
  const history = opts.history ?? RunHistory.fromStore(root);
  const toRun: { run: PlannedRun; left: number }[] = [];
  const available = new Map<string, boolean>();
  const missing: PlannedRun[] = [];
  const damaged: { run: PlannedRun; file: string; why: string }[] = [];
  let planned = 0;
  let skipped = 0;
  let svhn = false;
  const runs = planRuns(opts.experiment, opts.variant, {
    ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
    ...(opts.only ? { only: opts.only } : {}),
  });
  for (const r of runs) {
    planned++;
    const where = r.source?.images ?? r.dataset;
    let have = available.get(where);
    if (have === undefined) available.set(where, (have = runDataAvailable(r, opts.dataDir)));
    let state: string;
    let eta = "";
    if (!have) {
      missing.push(r);
      state = "not run: data missing";
    } else {
      const s = storedState(root, r);
      if (s.state === "done") {
        skipped++;
        state = s.note ? `done (${s.note})` : "done";
      } else if (s.state === "damaged") {
        damaged.push({ run: r, file: s.file, why: s.why });
        state = `damaged: ${s.file}: ${s.why}`;
      } else {
        const left = r.config.hyper.epochs - (s.state === "interrupted" ? s.epochsDone : 0);
        const t = history.estimate(r, left, THREADS_PER_RUN).seconds;
        toRun.push({ run: r, left });
        svhn ||= r.dataset === "svhn";
        state = left < r.config.hyper.epochs ? `resume (${epochsText(left)} left)` : "to run";
        eta = `, ~${formatDuration(t)}${notesTail(r)}`;
      }
    }
    log(`  ${r.runId}  ${describeRun(r)}: ${epochsText(r.config.hyper.epochs)}, ${state}${eta}`);
  }
  if (planned === 0) throw new RangeError("no run matches (check --only)");
  const jobs = chooseJobs(opts, toRun.length, svhn, log);
  logMissing(missingByDataset(missing), log);
  const estimate = sweepEstimate(history, toRun, jobs);
  log(
    `${opts.experiment.name}/${opts.variant}: ${planned} runs, ${skipped} done, ${toRun.length} to run, ` +
      `${missing.length} without data${damaged.length ? `, ${damaged.length} damaged` : ""}; ` +
      `about ${formatDuration(estimate.seconds)} with ${jobs} job(s) of ${THREADS_PER_RUN} thread(s) ` +
      `(${describeBasis(estimate)})`,
  );
  return {
    planned,
    skipped,
    ran: 0,
    failed: [],
    missing,
    damaged,
    finishedElsewhere: 0,
    elsewhere: [],
    seconds: 0,
    estimate,
  };
}

/** Runs (or lists, with `dryRun`) what is missing of a sweep. */
export async function runSweep(opts: SweepOptions): Promise<SweepReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (opts.dryRun) return dryRun(opts, log);
  const t0 = performance.now();
  const runs = expandRuns(opts.experiment, opts.variant, {
    ...(opts.seeds !== undefined ? { seeds: opts.seeds } : {}),
    ...(opts.only ? { only: opts.only } : {}),
  });
  if (runs.length === 0) throw new RangeError("no run matches (check --only)");
  const root = resultsRoot(opts.dataDir);
  const available = new Map<string, boolean>();
  const where = (r: PlannedRun) => r.source?.images ?? r.dataset;
  const missing = runs.filter((r) => {
    if (!available.has(where(r))) available.set(where(r), runDataAvailable(r, opts.dataDir));
    return !available.get(where(r));
  });
  const history = opts.history ?? RunHistory.fromStore(root);
  const todo: { run: PlannedRun; left: number }[] = [];
  const damaged: { run: PlannedRun; file: string; why: string }[] = [];
  let skipped = 0;
  for (const run of runs) {
    if (!available.get(where(run))) continue;
    const s = storedState(root, run);
    if (s.state === "done") {
      skipped++;
      if (s.note) log(`  ${describeRun(run)}: ${s.note}`);
    } else if (s.state === "damaged") {
      // NOTE: never trained over: the folder is evidence of what went wrong, and a person decides what to do.
      const dir = runDir(root, run);
      damaged.push({ run, file: s.file, why: s.why });
      log(`damaged ${describeRun(run)}: ${join(dir, s.file)}: ${s.why}; not run (${damagedAdvice(dir)})`);
    } else todo.push({ run, left: run.config.hyper.epochs - (s.state === "interrupted" ? s.epochsDone : 0) });
  }
  const jobs = chooseJobs(
    opts,
    todo.length,
    todo.some((t) => t.run.dataset === "svhn"),
    log,
  );
  const name = `${opts.experiment.name}/${opts.variant}`;
  logMissing(missingByDataset(missing), log);
  const estimate = sweepEstimate(history, todo, jobs);
  // NOTE: the ETA of the runs left: their estimates (updated as runs finish) shared among the jobs
  const eta = (items: typeof todo) =>
    items.reduce((s, t) => s + history.estimate(t.run, t.left, THREADS_PER_RUN).seconds, 0) / jobs;
  log(
    `${name}: ${runs.length} runs, ${skipped} done, ${todo.length} to run, ${missing.length} without data` +
      `${damaged.length ? `, ${damaged.length} damaged` : ""}; ` +
      `about ${formatDuration(estimate.seconds)} with ${jobs} job(s) of ${THREADS_PER_RUN} thread(s) ` +
      `(${describeBasis(estimate)})`,
  );
  const failed: { run: PlannedRun; message: string }[] = [];
  // runs another process holds (a concurrent sweep of the same store): not failures of this one, settled at the end
  const busy: { run: PlannedRun; holder: LockHolder | undefined }[] = [];
  let finishedElsewhere = 0;
  let ran = 0;
  const queue: (typeof todo)[number][] = [];
  const running = new Map<ChildProcess, (typeof todo)[number]>();
  const progress = () => {
    const left = [...queue, ...running.values()];
    const elapsed = (performance.now() - t0) / 1000;
    log(
      `progress: ${skipped + ran + finishedElsewhere + busy.length + failed.length}/` +
        `${runs.length - missing.length - damaged.length} runs, elapsed ${formatDuration(elapsed)}, ` +
        `ETA ${formatDuration(eta(left))}`,
    );
  };
  const doneElsewhere = (run: PlannedRun) => {
    finishedElsewhere++;
    log(`done ${describeRun(run)}: finished by another process`);
  };
  const runPool = (items: typeof todo, poolJobs: number) =>
    new Promise<void>((resolveAll, rejectAll) => {
      queue.push(...items);
      if (queue.length === 0) return resolveAll();
      const env = {
        ...process.env,
        LOWPREC_THREADS: String(THREADS_PER_RUN),
        OPENBLAS_NUM_THREADS: String(THREADS_PER_RUN),
      };
      const next = (w: ChildProcess) => {
        let item = queue.shift();
        // NOTE: a concurrent sweep may have finished a run since this one planned it: do not open it again.
        while (item && storedState(root, item.run).state === "done") {
          doneElsewhere(item.run);
          item = queue.shift();
        }
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
          skipIfFinished: true,
          allowOtherCode: opts.allowOtherCode === true,
        };
        w.send(job);
      };
      const path = workerPath();
      for (let i = 0; i < poolJobs; i++) {
        const w = fork(path, [], { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
        w.on("message", (m: WorkerMessage) => {
          const item = running.get(w);
          if (m.type === "ready") return next(w);
          if (!item) return;
          if (m.type === "log") {
            // the lines a person waiting on a sweep needs: warnings, resumes, and the data sets' preprocessing
            if (/^(warning|WARNING|resumed|ZCA|cifar10:|svhn:)/.test(m.line))
              log(`  ${describeRun(item.run)}: ${m.line}`);
          } else if (m.type === "epoch") item.left = m.epochs - m.epoch;
          else if (m.type === "done") {
            ran++;
            const sample = storedSample(runDir(root, item.run));
            if (sample) history.add(sample);
            log(
              `done ${describeRun(item.run)}: ${describeResult(m.summary)} in ${formatDuration(m.seconds)}` +
                notesTail(item.run),
            );
            progress();
            next(w);
          } else if (m.type === "failed" && m.kind === FINISHED_ELSEWHERE) {
            doneElsewhere(item.run);
            next(w);
          } else if (m.type === "failed" && m.kind === "LockedError") {
            busy.push({ run: item.run, holder: m.holder });
            log(`running in another process (${holderText(m.holder)}): ${describeRun(item.run)}`);
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
  await runPool(todo, jobs);
  let elsewhere: { run: PlannedRun; holder: LockHolder | undefined }[] = [];
  // NOTE: a run another process held and left unfinished (killed, or a sweep of fewer runs) is resumed here; a third
  // process may hold it again, so a few rounds at most, then it is a failure.
  for (let round = 1; busy.length > 0; round++) {
    const settled = await settleElsewhere(root, busy.splice(0), log);
    finishedElsewhere += settled.finished;
    elsewhere = [...elsewhere, ...settled.elsewhere];
    if (settled.unfinished.length === 0) break;
    if (round === 3) {
      for (const run of settled.unfinished) {
        const message = "left unfinished by other processes three times; run the sweep again to resume it";
        failed.push({ run, message });
        log(`FAILED ${describeRun(run)}: ${message}`);
      }
      break;
    }
    log(`resuming ${settled.unfinished.length} run(s) another process left unfinished`);
    const items = settled.unfinished.map((run) => {
      const st = storedState(root, run);
      return { run, left: run.config.hyper.epochs - (st.state === "interrupted" ? st.epochsDone : 0) };
    });
    await runPool(items, Math.min(jobs, items.length));
  }
  return {
    planned: runs.length,
    skipped,
    ran,
    failed,
    missing,
    damaged,
    finishedElsewhere,
    elsewhere,
    seconds: (performance.now() - t0) / 1000,
    estimate,
  };
}

const holderText = (h: LockHolder | undefined): string => (h ? `pid ${h.pid}, ${h.host}` : "its lock file unreadable");

/** The holder of a run folder's lock: undefined when there is no lock file, "unknown" when it cannot be read. */
function lockHolder(dir: string): LockHolder | "unknown" | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, ".lock"), "utf8");
  } catch (e) {
    return (e as { code?: string }).code === "ENOENT" ? undefined : "unknown";
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder> | null;
    return h && Number.isSafeInteger(h.pid) && typeof h.host === "string" ? (h as LockHolder) : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * The runs another process held when this sweep reached them. While a holder on this machine is alive, wait for it
 * (a second a check); then the store says whether it finished the run (done, not a failure of this sweep) or left it
 * unfinished (for this sweep to resume). A holder on another host cannot be watched from here: its runs are reported
 * as running elsewhere, neither done nor failed.
 */
async function settleElsewhere(
  root: string,
  busy: readonly { run: PlannedRun; holder: LockHolder | undefined }[],
  log: (line: string) => void,
): Promise<{
  finished: number;
  unfinished: PlannedRun[];
  elsewhere: { run: PlannedRun; holder: LockHolder | undefined }[];
}> {
  const out = {
    finished: 0,
    unfinished: [] as PlannedRun[],
    elsewhere: [] as { run: PlannedRun; holder: LockHolder | undefined }[],
  };
  let pending = [...busy];
  let told = false;
  const here = hostname();
  while (pending.length > 0) {
    const still: typeof pending = [];
    for (const b of pending) {
      // NOTE: the lock first, then the store: a run is finished before its lock is released, never after.
      const h = lockHolder(runDir(root, b.run));
      if (h === "unknown" || (h !== undefined && h.host !== here)) {
        out.elsewhere.push({ run: b.run, holder: h === "unknown" ? b.holder : h });
        log(`still running in another process (${holderText(h === "unknown" ? b.holder : h)}): ${describeRun(b.run)}`);
      } else if (h !== undefined && pidAlive(h.pid)) still.push(b);
      else if (storedState(root, b.run).state === "done") {
        out.finished++;
        log(`done ${describeRun(b.run)}: finished by another process (${holderText(b.holder)})`);
      } else out.unfinished.push(b.run);
    }
    pending = still;
    if (pending.length > 0) {
      if (!told) log(`waiting for ${pending.length} run(s) running in another process on this machine`);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  return out;
}
