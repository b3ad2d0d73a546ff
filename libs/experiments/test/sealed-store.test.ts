// The result store reads only verified run files: a run.json's seed counts only when the file verifies and the
// folder is the planned run of that seed (no phantom seeds), seeds are bounded, and a damaged summary.json of an
// otherwise intact run is re-derived from its metrics with the numbers runTraining wrote.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EpochMetrics, TrainConfig } from "@lowprec/maxout";
import { ManifestWriter } from "@lowprec/storage";
import { backendInfo } from "@lowprec/tensor";
import { expandRuns, loadExperiment, type PlannedRun } from "../src/definitions.js";
import { currentEnvironment } from "../src/environment.js";
import { MAX_STORED_SEEDS, storedRunDir, storedSeeds } from "../src/results.js";
import { runId } from "../src/run-id.js";
import { summarize } from "../src/run.js";
import { runMeta, storedState } from "../src/store.js";
import { verifyStore } from "../src/verify.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-sealed-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const def = loadExperiment("table2");

/** Two epochs of made-up metrics (epoch 0 first), with the running best as the trainer keeps it. */
function history(): EpochMetrics[] {
  const row = (epoch: number, valid: number, test: number, best: [number, number, number]): EpochMetrics => ({
    epoch,
    learningRate: 0.1,
    momentum: 0.5,
    loss: epoch ? 1 / epoch : Number.NaN,
    trainError: 50 - epoch,
    validError: valid,
    testError: test,
    validLoss: 1,
    trainSeconds: 2,
    seconds: 3,
    examplesPerSecond: 500,
    bestEpoch: best[0],
    bestValidError: best[1],
    bestTestError: best[2],
  });
  return [row(0, 90, 91, [0, 90, 91]), row(1, 12, 13.5, [1, 12, 13.5]), row(2, 14, 15, [1, 12, 13.5])];
}

/** A finished run written as a run folder writes it (sealed), with run.json `meta`. */
function store(dataDir: string, run: PlannedRun, meta: object = runMeta(run)): string {
  const dir = storedRunDir(dataDir, run);
  mkdirSync(dir, { recursive: true });
  const w = ManifestWriter.open(dir);
  const environment = currentEnvironment(["test"]);
  w.write("config.json", `${JSON.stringify({ runId: run.runId, config: run.config, environment, earlier: [] })}\n`);
  w.write("metrics.json", `${JSON.stringify(history(), null, 1)}\n`);
  const summary = summarize(run.config, history(), { name: "ts", blas: false, threads: 1 });
  w.write("summary.json", `${JSON.stringify(summary, null, 2)}\n`);
  w.write("run.json", `${JSON.stringify(meta, null, 2)}\n`);
  w.settle();
  return dir;
}

describe("storedSeeds", () => {
  it("counts a seed only from a verified run.json of the planned run of that seed", () => {
    const dataDir = join(root, "seeds");
    const [first] = expandRuns(def, "smoke");
    const second = expandRuns(def, "smoke", { seeds: 2 }).find((r) => r.seed === first!.seed + 1)!;
    store(dataDir, first!);
    expect(storedSeeds(def, "smoke", dataDir)).toBe(1);
    // a foreign run.json (verified, but its folder is not the planned run of seed 1240)
    store(dataDir, { ...second, runId: "0000000000000000" }, { ...runMeta(second), seed: 1240 });
    expect(storedSeeds(def, "smoke", dataDir)).toBe(1);
    // a flipped byte in a real one is damage, not a seed
    const dir = store(dataDir, second);
    expect(storedSeeds(def, "smoke", dataDir)).toBe(2);
    const p = join(dir, "run.json");
    writeFileSync(p, readFileSync(p, "utf8").replace(`"seed": ${second.seed}`, '"seed": 9234'));
    expect(storedSeeds(def, "smoke", dataDir)).toBe(1);
  });

  it(`refuses more than ${MAX_STORED_SEEDS} seeds with one line naming the file`, () => {
    const dataDir = join(root, "many");
    const [first] = expandRuns(def, "smoke");
    const dir = store(dataDir, { ...first!, runId: "1111111111111111" }, { ...runMeta(first!), seed: 9234 });
    expect(() => storedSeeds(def, "smoke", dataDir)).toThrow(
      `${join(dir, "run.json")}: seed 9234 would make 8001 seeds per cell of table2/smoke (at most 100)`,
    );
  });
});

describe("storedState", () => {
  it("re-derives a damaged summary.json from the verified metrics: the same numbers, and says so", () => {
    const dataDir = join(root, "summary");
    const run = expandRuns(def, "smoke")[0]!;
    const one = run.config as TrainConfig;
    const config = { ...one, hyper: { ...one.hyper, epochs: 2 } };
    const twoEpochs = { ...run, config, runId: runId(config) };
    const dir = store(dataDir, twoEpochs);
    const s = storedState(join(dataDir, "results"), twoEpochs);
    expect(s.state).toBe("done");
    const written = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(dir, "summary.json"), JSON.stringify({ ...written, testErrorAtBestValid: 3.5 }, null, 2));
    const again = storedState(join(dataDir, "results"), twoEpochs);
    if (again.state !== "done") throw new Error(`expected done, got ${again.state}`);
    expect(again.summary.testErrorAtBestValid).toBe(13.5);
    expect(again.summary.bestEpoch).toBe(1);
    expect(again.summary.epochsDone).toBe(2);
    expect(again.note).toMatch(/^summary\.json is damaged \(.*\): summary re-derived from metrics$/);
    // the backend as config.json recorded it (this process's), its conv and SIMD paths included
    const { reason: _, ...info } = backendInfo();
    expect(again.summary.backend).toEqual(info);
    // damaged metrics as well: nothing to re-derive from
    writeFileSync(join(dir, "metrics.json"), "[]\n");
    const bad = storedState(join(dataDir, "results"), twoEpochs);
    expect(bad.state).toBe("damaged");
    expect(verifyStore(dataDir).map((c) => c.state)).toEqual(["damaged"]);
  });
});

describe("verifyStore", () => {
  it("a folder whose writer was killed before its first write (a stale lock only) is intact, not unsealed", () => {
    const dataDir = join(root, "stale");
    const dir = join(dataDir, "runs", "x");
    mkdirSync(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const holder = { pid: dead, host: hostname(), started: "2026-01-01T00:00:00.000Z", command: "t" };
    writeFileSync(join(dir, ".lock"), JSON.stringify(holder));
    expect(verifyStore(dataDir)).toEqual([{ dir, state: "intact", problems: [] }]);
    writeFileSync(join(dir, "config.json"), "{}");
    expect(verifyStore(dataDir)[0]?.problems).toEqual([
      { file: "manifest.sealed", why: "unsealed (written before run files were sealed)" },
    ]);
    expect(() => verifyStore(join(root, "nowhere"))).toThrow(`${join(root, "nowhere")}: no such data root`);
  });
});
