// Runs written into a result store by hand, as a run folder writes them (sealed), for the tests of results and of
// the report's collection: finished ones (a summary) and interrupted ones (a checkpoint and a history).
import { mkdirSync } from "node:fs";
import type { DataRecord } from "@lowprec/maxout";
import { ManifestWriter } from "@lowprec/storage";
import type { PlannedRun } from "../src/definitions.js";
import { storedRunDir } from "../src/results.js";

/** The environment of a run trained at `commit` (dirty or not), as config.json records it. */
export function environment(commit: string | undefined, dirty: boolean, started: string): Record<string, unknown> {
  const bits = { backend: "js", blas: false, conv: "", threads: 1, blasThreads: 0, blasCoreType: "", cpu: "test" };
  const env: Record<string, unknown> = { bits, host: "h", cores: 2, node: "v20", platform: "linux-x64", started };
  if (commit !== undefined) {
    env["gitCommit"] = dirty ? `${commit}+dirty` : commit;
    env["code"] = { fingerprint: "f".repeat(64), commit, dirty };
  }
  return { ...env, command: ["test"] };
}

/** A run folder in the store, opened for sealed writes, with its run.json and config.json written. */
function openStoredRun(dataDir: string, run: PlannedRun, env: Record<string, unknown>): ManifestWriter {
  const dir = storedRunDir(dataDir, run);
  mkdirSync(dir, { recursive: true });
  const sealed = ManifestWriter.open(dir);
  const { config, ...meta } = run;
  sealed.write("run.json", JSON.stringify(meta));
  sealed.write("config.json", JSON.stringify({ runId: run.runId, config, environment: env, earlier: [] }));
  return sealed;
}

/** A finished run in the store (sealed, as a run folder writes it): its config's environment and data record. */
export function storeRun(dataDir: string, run: PlannedRun, env: Record<string, unknown>, testCount?: number): void {
  const sealed = openStoredRun(dataDir, run, env);
  const { config } = run;
  const summary = {
    runId: run.runId,
    preset: config.preset,
    precision: config.precision.name,
    epochs: 1,
    epochsDone: 1,
    completed: true,
    bestEpoch: 1,
    bestValidError: 5,
    testErrorAtBestValid: 5,
    lastTestError: 5,
    secondsPerEpoch: 2,
    trainSecondsPerEpoch: 1,
    backend: { name: "js", blas: false, threads: 1 },
  };
  sealed.write("summary.json", JSON.stringify(summary));
  if (testCount !== undefined) {
    const files = [{ path: "/data/mnist/train-images-idx3-ubyte", sha256: "c".repeat(64), bytes: 47_040_016 }];
    const provenance = { files, split: "the first 50,000", preprocessing: ["÷ 255"] };
    const split = { name: "mnist", count: 50_000, shape: [784], provenance };
    const data: DataRecord = { train: split, valid: { ...split, count: 10_000 }, test: { ...split, count: testCount } };
    sealed.write("data.json", JSON.stringify(data));
  }
  sealed.settle();
}

/** An interrupted run in the store: a checkpoint and a history of `valid.length` epochs (test error = valid). */
export function storeInterrupted(
  dataDir: string,
  run: PlannedRun,
  env: Record<string, unknown>,
  valid: number[],
): void {
  const sealed = openStoredRun(dataDir, run, env);
  let best = { epoch: 0, valid: Number.POSITIVE_INFINITY, test: Number.NaN };
  const history = [{ epoch: 0, seconds: 0, trainSeconds: 0, validError: 90, testError: 90 }].concat(
    valid.map((v, i) => ({ epoch: i + 1, seconds: 10, trainSeconds: 8, validError: v + 1, testError: v })),
  );
  const metrics = history.map((h) => {
    if (h.epoch > 0 && h.validError < best.valid) best = { epoch: h.epoch, valid: h.validError, test: h.testError };
    return { ...h, bestEpoch: best.epoch, bestValidError: best.valid, bestTestError: best.test };
  });
  sealed.write("metrics.json", JSON.stringify(metrics));
  sealed.write("checkpoint.bin", new Uint8Array(16));
  sealed.settle();
}
