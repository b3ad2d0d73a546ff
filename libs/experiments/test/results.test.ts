// The results' provenance columns (issue 21): `commit` (the run's code commit, "+dirty" for a work tree with
// uncommitted changes, "unknown" when not recorded) and `testExamples` (how many test images the reported error
// was measured on: the trainer evaluates whole batches only, so 5,000 images at batch 128 are 39 batches, 4,992
// images); and collectReport's refusal of dirty runs (unless allowed), counted in provenance.json and on the page.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DataRecord } from "@lowprec/maxout";
import { ManifestWriter } from "@lowprec/storage";
import { expandRuns, loadExperiment, type PlannedRun } from "../src/definitions.js";
import { buildReport, collectReport, type Provenance } from "../src/report.js";
import { collectResults, evaluatedExamples, runCommit, storedRunDir } from "../src/results.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-results-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("evaluatedExamples", () => {
  const rule = (evalLimit: number, batch: number, dropPartialBatches = true) => ({
    evalLimit,
    hyper: { batch },
    faithfulness: { dropPartialBatches },
  });

  it("whole batches only (the authors' rule): the partial last batch is not evaluated", () => {
    // the old MNIST conv budget: 5,000 test images at batch 128 = 39 whole batches = 4,992 images
    expect(evaluatedExamples(rule(5000, 128), 10_000)).toBe(4992);
    // the whole MNIST test set at batch 128: 78 batches = 9,984 images (16 left out)
    expect(evaluatedExamples(rule(0, 128), 10_000)).toBe(9984);
    expect(evaluatedExamples(rule(10_000, 128), 10_000)).toBe(9984);
    // PI-MNIST at batch 100: 100 whole batches, nothing left out
    expect(evaluatedExamples(rule(0, 100), 10_000)).toBe(10_000);
    // SVHN's 26,032 test images at batch 128: 203 batches = 25,984
    expect(evaluatedExamples(rule(0, 128), 26_032)).toBe(25_984);
    // a limit above the split's size is the split: 3,000 at 128 = 23 batches = 2,944
    expect(evaluatedExamples(rule(5000, 128), 3000)).toBe(2944);
  });

  it("every example when partial batches are kept", () => {
    expect(evaluatedExamples(rule(5000, 128, false), 10_000)).toBe(5000);
    expect(evaluatedExamples(rule(0, 128, false), 26_032)).toBe(26_032);
  });
});

describe("runCommit", () => {
  it("the code's commit, +dirty for a work tree with uncommitted changes, unknown when not recorded", () => {
    expect(runCommit({ gitCommit: `${A}+dirty`, code: { fingerprint: "f", commit: A, dirty: true } })).toBe(
      `${A}+dirty`,
    );
    expect(runCommit({ gitCommit: A, code: { fingerprint: "f", commit: A, dirty: false } })).toBe(A);
    // runs from before code identities: gitCommit only
    expect(runCommit({ gitCommit: `${B}+dirty` })).toBe(`${B}+dirty`);
    expect(runCommit({ gitCommit: B })).toBe(B);
    // outside a git checkout, or nothing recorded
    expect(runCommit({ gitCommit: "unknown", code: { fingerprint: "f", commit: "unknown", dirty: false } })).toBe(
      "unknown",
    );
    expect(runCommit({})).toBe("unknown");
    expect(runCommit(undefined)).toBe("unknown");
  });
});

/** The environment of a run trained at `commit` (dirty or not), as config.json records it. */
function environment(commit: string | undefined, dirty: boolean, started: string): Record<string, unknown> {
  const bits = { backend: "js", blas: false, conv: "", threads: 1, blasThreads: 0, blasCoreType: "", cpu: "test" };
  const env: Record<string, unknown> = { bits, host: "h", cores: 2, node: "v20", platform: "linux-x64", started };
  if (commit !== undefined) {
    env["gitCommit"] = dirty ? `${commit}+dirty` : commit;
    env["code"] = { fingerprint: "f".repeat(64), commit, dirty };
  }
  return { ...env, command: ["test"] };
}

/** A finished run in the store (sealed, as a run folder writes it): its config's environment and data record. */
function storeRun(dataDir: string, run: PlannedRun, env: Record<string, unknown>, testCount?: number): void {
  const dir = storedRunDir(dataDir, run);
  mkdirSync(dir, { recursive: true });
  const sealed = ManifestWriter.open(dir);
  const { config, ...meta } = run;
  sealed.write("run.json", JSON.stringify(meta));
  sealed.write("config.json", JSON.stringify({ runId: run.runId, config, environment: env, earlier: [] }));
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
    const split = { name: "mnist", count: 50_000, shape: [784] };
    const data: DataRecord = { train: split, valid: { ...split, count: 10_000 }, test: { ...split, count: testCount } };
    sealed.write("data.json", JSON.stringify(data));
  }
  sealed.settle();
}

/** table2's smoke runs on PI-MNIST (evalLimit 500, batch 100): fp32, half, fixed. */
function piMnistRuns(): PlannedRun[] {
  const runs = expandRuns(loadExperiment("table2"), "smoke").filter((r) => r.dataset === "pi-mnist");
  return ["fp32", "half", "fixed"].map((s) => runs.find((r) => r.setting === s)!);
}

describe("collectResults: commit and testExamples", () => {
  it("from each run's config.json and data.json", () => {
    const dataDir = join(root, "columns");
    const [fp32, half, fixed] = piMnistRuns();
    expect(fp32!.config.evalLimit).toBe(500);
    expect(fp32!.config.hyper.batch).toBe(100);
    // a test split of 450 images (data.json): min(500, 450) = 450 → 4 whole batches of 100 = 400
    storeRun(dataDir, fp32!, environment(A, true, "2026-01-01T00:00:00.000Z"), 450);
    // no data.json: MNIST's 10,000 test images, limited to 500 → 5 batches = 500
    storeRun(dataDir, half!, environment(B, false, "2026-01-02T00:00:00.000Z"));
    // no commit recorded
    storeRun(dataDir, fixed!, environment(undefined, false, "2026-01-03T00:00:00.000Z"), 10_000);
    const rows = collectResults(loadExperiment("table2"), "smoke", dataDir);
    const row = (run: PlannedRun) => rows.find((r) => r.runId === run.runId)!;
    expect([row(fp32!).commit, row(fp32!).testExamples]).toEqual([`${A}+dirty`, 400]);
    expect([row(half!).commit, row(half!).testExamples]).toEqual([B, 500]);
    expect([row(fixed!).commit, row(fixed!).testExamples]).toEqual(["unknown", 500]);
    // a run not done has neither
    const notDone = rows.find((r) => r.status !== "done")!;
    expect(notDone.commit).toBe("");
    expect(notDone.testExamples).toBeNaN();
  });
});

describe("collectReport: runs from a work tree with uncommitted changes", () => {
  const provenanceOf = (out: string) =>
    JSON.parse(readFileSync(join(out, "results", "smoke", "provenance.json"), "utf8")) as Provenance;

  it("refused with refuseDirty, naming the run; collected with allowDirty, counted and said on the page", async () => {
    const dataDir = join(root, "dirty");
    const [fp32, half, fixed] = piMnistRuns();
    storeRun(dataDir, fp32!, environment(A, false, "2026-01-01T00:00:00.000Z"));
    storeRun(dataDir, half!, environment(A, true, "2026-01-02T00:00:00.000Z"));
    storeRun(dataDir, fixed!, environment(A, false, "2026-01-03T00:00:00.000Z"));
    const out = join(root, "dirty-report");
    const folder = storedRunDir(dataDir, half!);
    expect(() => collectReport(dataDir, "smoke", out, { refuseDirty: true })).toThrow(
      `${folder}: run ${half!.runId} of table2 was trained from a work tree with uncommitted changes ` +
        "(commit aaaaaaaaaaaa+dirty); --allow-dirty collects it anyway and the report says so",
    );
    collectReport(dataDir, "smoke", out, { refuseDirty: true, allowDirty: true });
    const p = provenanceOf(out);
    expect(p.dirtyRuns).toBe(1);
    expect(p.commits).toEqual([
      { commit: A, runs: 2 },
      { commit: `${A}+dirty`, runs: 1 },
    ]);
    expect(p.gitCommit).toBe("aaaaaaaaaaaa (2 runs), aaaaaaaaaaaa+dirty (1 runs)");
    await buildReport(out, "smoke");
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain(
      "1 of 3 runs were trained from a work tree with uncommitted changes (+dirty): no commit holds their exact code.",
    );
  });

  it("all runs from one clean commit: the page says so", async () => {
    const dataDir = join(root, "clean");
    for (const [i, run] of piMnistRuns().entries())
      storeRun(dataDir, run, environment(B, false, `2026-01-0${i + 1}T00:00:00.000Z`));
    const out = join(root, "clean-report");
    collectReport(dataDir, "smoke", out, { refuseDirty: true });
    expect(provenanceOf(out).dirtyRuns).toBe(0);
    expect(provenanceOf(out).gitCommit).toBe(B);
    await buildReport(out, "smoke");
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain(
      `All 3 runs were trained from one commit, ${B}, with no uncommitted changes.`,
    );
  });
});
