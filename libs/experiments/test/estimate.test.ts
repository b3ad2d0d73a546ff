// Estimates from the store's own history: a store holding finished runs with known seconds gives the exact estimate
// a hand computation gives; runs of another host, of another format or of a training split more than 8× another
// size are not evidence, and the estimate says it fell back to the built-in rates.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { calibrationEpochsOf, type EpochMetrics, type TrainConfig } from "@lowprec/maxout";
import { ManifestWriter } from "@lowprec/storage";
import { expandRuns, loadExperiment, type PlannedRun } from "../src/definitions.js";
import { currentEnvironment } from "../src/environment.js";
import {
  addEstimates,
  describeBasis,
  epochExamples,
  poolSeconds,
  RUN_OVERHEAD_SECONDS,
  RunHistory,
  storedSample,
  WORKER_START_SECONDS,
} from "../src/estimate.js";
import { summarize } from "../src/run.js";
import { runDir, runMeta, resultsRoot } from "../src/store.js";
import { runSweep } from "../src/sweep.js";

const tmp = mkdtempSync(join(tmpdir(), "lowprec-estimate-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const def = loadExperiment("table2");
/** PI-MNIST's smoke runs of Table 2 with two seeds: seed 1234's are stored finished, seed 1235's are to run. */
const plan = expandRuns(def, "smoke", { seeds: 2, only: { dataset: "pi-mnist" } });
const stored = plan.filter((r) => r.seed === 1234);

/**
 * Metrics of a one-epoch run: epoch 0 (the untrained network evaluated in 1 s, then each calibration epoch in 1.5 s),
 * epoch 1 (a training pass of 2 s, an evaluation of 1 s).
 */
function metrics(run: PlannedRun): EpochMetrics[] {
  const row = (epoch: number, trainSeconds: number, seconds: number): EpochMetrics => ({
    epoch,
    learningRate: 0.1,
    momentum: 0.5,
    loss: 1,
    trainError: 50,
    validError: 60 - epoch,
    testError: 61 - epoch,
    validLoss: 1,
    trainSeconds,
    seconds,
    examplesPerSecond: 500,
    bestEpoch: epoch,
    bestValidError: 60 - epoch,
    bestTestError: 61 - epoch,
  });
  return [row(0, 0, 1 + 1.5 * calibrationEpochsOf(run.config as TrainConfig)), row(1, 2, 3)];
}

/** A finished run written as a run folder writes it (sealed), on host `host`, at one thread. */
function store(dataDir: string, run: PlannedRun, host?: string): void {
  const dir = runDir(resultsRoot(dataDir), run);
  mkdirSync(dir, { recursive: true });
  const w = ManifestWriter.open(dir);
  const env = currentEnvironment(["test"]);
  const environment = { ...env, host: host ?? env.host, bits: { ...env.bits, threads: 1 } };
  w.write("config.json", `${JSON.stringify({ runId: run.runId, config: run.config, environment, earlier: [] })}\n`);
  w.write("metrics.json", `${JSON.stringify(metrics(run), null, 1)}\n`);
  const summary = summarize(run.config, metrics(run), { name: "native", blas: true, threads: 1 });
  w.write("summary.json", `${JSON.stringify(summary, null, 2)}\n`);
  w.write("run.json", `${JSON.stringify(runMeta(run), null, 2)}\n`);
  w.settle();
}

describe("the estimate of a sweep from this machine's finished runs", () => {
  const dataDir = join(tmp, "history");
  for (const r of stored) store(dataDir, r);

  it("reads each finished run's training pass, evaluation and calibration epoch", () => {
    const fp32 = stored.find((r) => r.setting === "fp32")!;
    const dfxp = stored.find((r) => r.setting === "dfxp")!;
    const s = storedSample(runDir(resultsRoot(dataDir), fp32));
    expect(s).toMatchObject({ format: "float32", threads: 1, train: 1000, evaluated: 1000, trainSeconds: 2 });
    expect(s?.evalSeconds).toBe(1);
    expect(s?.calibrationSeconds).toBeUndefined();
    // epoch 0 took 1 + 2 × 1.5 = 4 s: 1 s of evaluation, two calibration epochs of 1.5 s
    expect(storedSample(runDir(resultsRoot(dataDir), dfxp))?.calibrationSeconds).toBe(1.5);
  });

  it("gives the exact estimate of the runs to run, and says what it is from", () => {
    const lines: string[] = [];
    const report = runSweep({
      experiment: def,
      variant: "smoke",
      dataDir,
      seeds: 2,
      only: { dataset: "pi-mnist" },
      jobs: 1,
      dryRun: true,
      log: (l) => lines.push(l),
    });
    return report.then((r) => {
      // a run without calibration: its files, epoch 0's evaluation, one epoch (2 s of training + 1 s of evaluation)
      const plain = RUN_OVERHEAD_SECONDS + 1 + (2 + 1);
      // dfxp: epoch 0's evaluation and two calibration epochs of 1.5 s first
      const dfxp = RUN_OVERHEAD_SECONDS + 1 + 2 * 1.5 + (2 + 1);
      expect(plain).toBe(4.5);
      expect(dfxp).toBe(7.5);
      // one job: it starts, loads MNIST once (1.4 s), then runs the four runs one after the other
      expect(r.estimate.seconds).toBeCloseTo(WORKER_START_SECONDS + 1.4 + 3 * plain + dfxp, 9);
      expect(r.estimate).toMatchObject({ runs: 4, builtIn: 0, history: 4 });
      expect(describeBasis(r.estimate)).toBe("from 4 finished runs on this machine");
      expect(lines.at(-1)).toBe(
        "table2/smoke: 8 runs, 4 done, 4 to run, 0 without data; " +
          "about 23s with 1 job(s) of 1 thread(s) (from 4 finished runs on this machine)",
      );
      expect(lines.filter((l) => / pi-mnist (fp32|half|fixed) seed 1235: 1 epoch, to run, ~5s$/.test(l))).toHaveLength(
        3,
      );
      expect(lines.find((l) => l.includes("pi-mnist dfxp seed 1235"))).toMatch(
        /: 1 epoch, to run, ~8s; dfxp: 2 calibration epochs before the 1 training epoch; warning: too short/,
      );
    });
  });

  it("two jobs: the busiest worker's time", () => {
    const items = [
      { dataset: "pi-mnist" as const, seconds: 4.5 },
      { dataset: "pi-mnist" as const, seconds: 7.5 },
      { dataset: "pi-mnist" as const, seconds: 4.5 },
      { dataset: "mnist-conv" as const, seconds: 1 },
    ];
    // each worker starts and loads MNIST; worker 1 runs 4.5 s, worker 2 7.5 s; worker 1, free first, takes the third
    // (4.5 s more), worker 2 the fourth (1 s, MNIST already loaded: conv trains on the same images); worker 1 ends last
    const start = WORKER_START_SECONDS + 1.4;
    expect(poolSeconds(items, 2)).toBeCloseTo(start + 4.5 + 4.5, 9);
    expect(poolSeconds(items.slice(0, 1), 4)).toBeCloseTo(start + 4.5, 9);
    expect(poolSeconds([], 2)).toBe(0);
  });
});

describe("what is not evidence", () => {
  it("another host's runs: built-in rates, no history on this machine", () => {
    const dataDir = join(tmp, "elsewhere");
    for (const r of stored) store(dataDir, r, "another-host");
    const h = RunHistory.fromStore(resultsRoot(dataDir));
    expect(h.size).toBe(0);
    const run = plan.find((r) => r.seed === 1235)!;
    expect(h.estimate(run, 1, 1).from).toEqual([]);
    const e = { seconds: 1, runs: 1, builtIn: 1, from: new Set<string>(), history: 0 };
    expect(describeBasis(e)).toBe("built-in rate; no history on this machine");
  });

  it("another format, another thread count, or a training split more than 8× the size: the built-in rates", () => {
    const dataDir = join(tmp, "similar");
    const fp32 = stored.find((r) => r.setting === "fp32")!;
    store(dataDir, fp32);
    const h = RunHistory.fromStore(resultsRoot(dataDir));
    expect(h.size).toBe(1);
    const half = plan.find((r) => r.setting === "half" && r.seed === 1235)!;
    expect(h.estimate(half, 1, 1).from).toEqual([]);
    expect(h.estimate(fp32, 1, 2).from).toEqual([]);
    expect(h.estimate(fp32, 1, 1).from).toHaveLength(1);
    // the budget variant's figure runs train on 10,000 examples (10× the smoke's 1,000), Table 2's on 50,000
    const budget = expandRuns(loadExperiment("radix-point"), "budget", { only: { dataset: "pi-mnist" } }).find(
      (r) => r.setting === "fp32",
    )!;
    expect(epochExamples(budget.config).train).toBe(10_000);
    expect(h.estimate(budget, 20, 1).from).toEqual([]);
    // 8,000 examples (8×): still similar, scaled in proportion
    const near = { ...fp32, config: { ...fp32.config, trainLimit: 8000 } };
    const e = h.estimate(near, 1, 1);
    expect(e.from).toHaveLength(1);
    expect(e.seconds).toBeCloseTo(RUN_OVERHEAD_SECONDS + 1 + (2 * 8 + 1), 9);
  });

  it("several sweeps add up, and the basis counts each finished run once", () => {
    const a = { seconds: 10, runs: 2, builtIn: 0, from: new Set(["x", "y"]), history: 5 };
    const b = { seconds: 5, runs: 3, builtIn: 1, from: new Set(["y", "z"]), history: 5 };
    const t = addEstimates([a, b]);
    expect(t).toMatchObject({ seconds: 15, runs: 5, builtIn: 1, history: 5 });
    expect(describeBasis(t)).toBe(
      "from 3 finished runs on this machine; " +
        "built-in rate for 1 of the 5 runs (no similar finished run on this machine)",
    );
    expect(describeBasis({ ...t, runs: 0 })).toBe("nothing to run");
  });
});
