// The results' provenance columns (issue 21): `commit` (the run's code commit, "+dirty" for a work tree with
// uncommitted changes, "unknown" when not recorded) and `testExamples` (how many test images the reported error
// was measured on: the trainer evaluates whole batches only, so 5,000 images at batch 128 are 39 batches, 4,992
// images); and collectReport's refusal of dirty runs (unless allowed), counted in provenance.json and on the page.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expandRuns, loadExperiment, type PlannedRun } from "../src/definitions.js";
import { buildReport, collectReport, type Provenance } from "../src/report.js";
import { collectResults, evaluatedExamples, plannedSeeds, runCommit, storedRunDir } from "../src/results.js";
import { environment, storeInterrupted, storeRun } from "./store-runs.js";

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

describe("collectReport: run by run", () => {
  const provenanceOf = (out: string, variant = "smoke") =>
    JSON.parse(readFileSync(join(out, "results", variant, "provenance.json"), "utf8")) as Provenance;
  const table = (out: string, name: string, variant = "smoke") =>
    readFileSync(join(out, "results", variant, name), "utf8");
  /** rounding's first `n` smoke runs on PI-MNIST */
  const roundingRuns = (n: number) => expandRuns(loadExperiment("rounding"), "smoke").slice(0, n);
  const lines = (text: string, dataset: string) => text.split("\n").filter((l) => l.includes(`,${dataset},`));

  it("runs the store lacks are kept from the collection, rows and counts; runs it holds are its own", async () => {
    const first = join(root, "merge-a");
    for (const [i, run] of piMnistRuns().entries())
      storeRun(first, run, environment(A, false, `2026-01-0${i + 1}T00:00:00.000Z`), 10_000);
    const out = join(root, "merge-report");
    collectReport(first, "smoke", out, { refuseDirty: true });
    const table2 = table(out, "table2.csv");
    expect(Object.keys(provenanceOf(out).collection?.runs ?? {})).toHaveLength(3);

    // another machine, another session: only rounding's runs
    const second = join(root, "merge-b");
    for (const [i, run] of roundingRuns(2).entries())
      storeRun(second, run, { ...environment(A, false, `2026-02-0${i + 1}T00:00:00.000Z`), host: "h2" }, 10_000);
    collectReport(second, "smoke", out, { refuseDirty: true });
    const p = provenanceOf(out);
    expect(table(out, "table2.csv")).toBe(table2);
    expect(
      Object.values(p.collection?.runs ?? {})
        .map((r) => r.experiment)
        .sort(),
    ).toEqual(["rounding", "rounding", "table2", "table2", "table2"]);
    expect(p.runs).toBe(5);
    expect(p.commits).toEqual([{ commit: A, runs: 5 }]);
    expect(p.gitCommit).toBe(A);
    expect(p.commands).toEqual(["lowprec sweep rounding --variant smoke", "lowprec sweep table2 --variant smoke"]);
    // the data entries of both add up: PI-MNIST's three splits, 5 runs each
    expect(p.data?.map((d) => [d.split, d.runs])).toEqual([
      ["train", 5],
      ["valid", 5],
      ["test", 5],
    ]);
    // the latest run's machine heads the page; both are listed with their runs
    expect([p.host, p.collected]).toEqual(["h2", "2026-02-02T00:00:00.000Z"]);
    expect(p.machines).toEqual([
      { machine: "test, 2 cores (h)", runs: 3 },
      { machine: "test, 2 cores (h2)", runs: 2 },
    ]);
    await buildReport(out, "smoke");
    const page = readFileSync(join(out, "README.md"), "utf8");
    expect(page).toMatch(/\| machine +\| test, 2 cores \(h\): 3 runs; test, 2 cores \(h2\): 2 runs +\|/);
    expect(page).toContain("All 5 runs were trained from one commit");

    // collecting the same store again changes nothing
    const again = table(out, "rounding.csv");
    collectReport(second, "smoke", out, { refuseDirty: true });
    expect([table(out, "table2.csv"), table(out, "rounding.csv")]).toEqual([table2, again]);

    // the first store again, with one more table2 run: 4 table2 runs, the 2 rounding runs kept
    const dfxp = expandRuns(loadExperiment("table2"), "smoke").find(
      (r) => r.setting === "dfxp" && r.dataset === "pi-mnist",
    )!;
    storeRun(first, dfxp, environment(A, false, "2026-03-01T00:00:00.000Z"), 10_000);
    collectReport(first, "smoke", out, { refuseDirty: true });
    expect(provenanceOf(out).runs).toBe(6);
    expect(lines(table(out, "table2.csv"), "pi-mnist").filter((l) => l.includes(",done,"))).toHaveLength(4);
  });

  it("table2's PI-MNIST rows kept while a store adds its MNIST conv rows", () => {
    const first = join(root, "share-a");
    for (const run of piMnistRuns()) storeRun(first, run, environment(A, false, "2026-01-01T00:00:00.000Z"));
    const out = join(root, "share-report");
    collectReport(first, "smoke", out);
    const before = table(out, "table2.csv");
    const second = join(root, "share-b");
    const conv = expandRuns(loadExperiment("table2"), "smoke").filter((r) => r.dataset === "mnist-conv");
    for (const run of conv.slice(0, 2)) storeRun(second, run, environment(A, false, "2026-01-05T00:00:00.000Z"));
    collectReport(second, "smoke", out);
    const after = table(out, "table2.csv");
    expect(lines(after, "pi-mnist")).toEqual(lines(before, "pi-mnist"));
    expect(lines(after, "pi-mnist").filter((l) => l.includes(",done,"))).toHaveLength(3);
    expect(lines(after, "mnist-conv").filter((l) => l.includes(",done,"))).toHaveLength(2);
    expect(provenanceOf(out).runs).toBe(5);
  });

  it("a store with fewer finished runs keeps the others; --force keeps the store's only", () => {
    const full = join(root, "fewer-a");
    for (const run of roundingRuns(3)) storeRun(full, run, environment(B, false, "2026-01-01T00:00:00.000Z"));
    const out = join(root, "fewer-report");
    collectReport(full, "smoke", out);
    const text = table(out, "rounding.csv");
    const fewer = join(root, "fewer-b");
    storeRun(fewer, roundingRuns(1)[0]!, environment(B, false, "2026-01-01T00:00:00.000Z"));
    collectReport(fewer, "smoke", out);
    expect(table(out, "rounding.csv")).toBe(text);
    expect(provenanceOf(out).runs).toBe(3);
    collectReport(fewer, "smoke", out, { force: true });
    expect(provenanceOf(out).runs).toBe(1);
  });

  it("a collection that does not verify is named, not merged", () => {
    const dataDir = join(root, "damaged-a");
    for (const run of roundingRuns(2)) storeRun(dataDir, run, environment(B, false, "2026-01-01T00:00:00.000Z"));
    const out = join(root, "damaged-report");
    collectReport(dataDir, "smoke", out);
    const csv = join(out, "results", "smoke", "rounding.csv");
    writeFileSync(csv, readFileSync(csv, "utf8").replace(/5/, "6"));
    const other = join(root, "damaged-b");
    storeRun(other, piMnistRuns()[0]!, environment(B, false, "2026-01-01T00:00:00.000Z"));
    expect(() => collectReport(other, "smoke", out)).toThrow(
      new RegExp(
        `^${csv}: does not match provenance\\.json .*\\(--force replaces the collection with the store's runs\\)$`,
      ),
    );
  });

  it("an interrupted run: its numbers so far and epochs done, never a result; the longer one kept", () => {
    const def = loadExperiment("table2");
    const [fp32, half] = ["fp32", "half"].map(
      (s) => expandRuns(def, "budget").find((r) => r.dataset === "pi-mnist" && r.setting === s && r.seed === 1234)!,
    );
    expect(fp32!.config.hyper.epochs).toBe(50);
    const first = join(root, "partial-a");
    storeRun(first, fp32!, environment(A, false, "2026-01-01T00:00:00.000Z"), 10_000);
    storeInterrupted(first, half!, environment(A, false, "2026-01-01T00:00:00.000Z"), [3, 2.5, 2.0, 2.2]);
    const rows = collectResults(def, "budget", first, 1);
    const row = rows.find((r) => r.runId === half!.runId)!;
    // epochs 1..4 done; best validation at epoch 3 (valid 2.0 + 1), its test error 2.0
    expect([row.status, row.epochsDone, row.bestEpoch, row.validError, row.testError]).toEqual([
      "interrupted after epoch 4",
      4,
      3,
      3,
      2,
    ]);
    expect(row.normalizedError).toBeNaN();
    expect(row.seconds).toBe(4 * 10);
    const out = join(root, "partial-report");
    collectReport(first, "budget", out);
    expect(provenanceOf(out, "budget").runs).toBe(1);
    const partialLine = lines(table(out, "table2.csv", "budget"), "pi-mnist").find((l) => l.includes(half!.runId))!;
    expect(partialLine).toContain("interrupted after epoch 4");
    // a new machine: the run started again and is at epoch 2; the committed row with 4 epochs stays
    const second = join(root, "partial-b");
    storeRun(second, fp32!, environment(A, false, "2026-02-01T00:00:00.000Z"), 10_000);
    storeInterrupted(second, half!, environment(A, false, "2026-02-01T00:00:00.000Z"), [3, 2.5]);
    collectReport(second, "budget", out);
    expect(lines(table(out, "table2.csv", "budget"), "pi-mnist").find((l) => l.includes(half!.runId))).toBe(
      partialLine,
    );
  });
});

describe("the budget page's Table 2 with the paper-length runs", () => {
  it("finished and stopped paper-length runs join Table 2, with a sentence on where they stand", async () => {
    const def = loadExperiment("table2");
    const pick = (variant: "budget" | "paper", setting: string) =>
      expandRuns(def, variant).find((r) => r.dataset === "pi-mnist" && r.setting === setting && r.seed === 1234)!;
    const dataDir = join(root, "paper-length");
    storeRun(dataDir, pick("budget", "fp32"), environment(A, false, "2026-01-01T00:00:00.000Z"), 10_000);
    storeRun(dataDir, pick("paper", "fp32"), environment(A, false, "2026-01-02T00:00:00.000Z"), 10_000);
    storeInterrupted(
      dataDir,
      pick("paper", "half"),
      environment(A, false, "2026-01-03T00:00:00.000Z"),
      [3, 2.5, 2, 2.2],
    );
    const out = join(root, "paper-length-report");
    collectReport(dataDir, "budget", out);
    collectReport(dataDir, "paper", out);
    await buildReport(out, "budget");
    const page = readFileSync(join(out, "README.md"), "utf8");
    expect(page).toContain(
      "Paper-length runs (the `paper` variant, read from `results/paper/`): PI MNIST: 1 of 4 runs finished, 1 " +
        "stopped part way (half at epoch 4 of 800), 2 not started. `lowprec sweep table2 --variant paper",
    );
    expect(page).toContain("2.00 so far: epoch 4 of 800 (best validation at 3), seed 1234, 800 ep, all train");
    // the paper-length fp32 run's line comes first in its cell, then the budget's
    const fp32 = page.split("\n").find((l) => l.startsWith("| Single precision"))!;
    expect(fp32.indexOf("800 ep")).toBeLessThan(fp32.indexOf("50 ep"));
    expect(fp32).toMatch(/800 ep, all train, 10000 test, best epoch 1, 0\.00 h<br>/);
  });

  it("once a column's paper-length runs all finished, the sentence says so, with no command", async () => {
    const def = loadExperiment("table2");
    const dataDir = join(root, "paper-length-done");
    const runs = expandRuns(def, "paper").filter((r) => r.dataset === "pi-mnist" && r.seed === 1234);
    runs.forEach((r, i) => {
      storeRun(dataDir, r, environment(A, false, `2026-01-0${i + 1}T00:00:00.000Z`), 10_000);
    });
    const budget = expandRuns(def, "budget").find((r) => r.dataset === "pi-mnist" && r.setting === "fp32")!;
    storeRun(dataDir, budget, environment(A, false, "2026-01-05T00:00:00.000Z"), 10_000);
    const out = join(root, "paper-length-done-report");
    collectReport(dataDir, "budget", out);
    collectReport(dataDir, "paper", out);
    await buildReport(out, "budget");
    const page = readFileSync(join(out, "README.md"), "utf8");
    expect(page).toContain(
      "Paper-length runs (the `paper` variant, read from `results/paper/`): PI MNIST: 4 of 4 runs finished.\n",
    );
    expect(page).not.toContain("continues them");
  });

  it("the images variant's CIFAR-10 runs join Table 2, labelled with their data", async () => {
    const def = loadExperiment("table2");
    const dataDir = join(root, "images-variant");
    for (const split of ["train", "test"]) mkdirSync(join(dataDir, "raw", "cifar10-jpeg", split), { recursive: true });
    const run = expandRuns(def, "images").find((r) => r.setting === "fp32" && r.seed === 1234)!;
    storeRun(dataDir, run, environment(A, false, "2026-01-01T00:00:00.000Z"), 10_000);
    const budget = expandRuns(def, "budget").find((r) => r.dataset === "pi-mnist" && r.setting === "fp32")!;
    storeRun(dataDir, budget, environment(A, false, "2026-01-01T00:00:00.000Z"), 10_000);
    const out = join(root, "images-variant-report");
    collectReport(dataDir, "budget", out);
    collectReport(dataDir, "images", out);
    await buildReport(out, "budget");
    const page = readFileSync(join(out, "README.md"), "utf8");
    const fp32 = page.split("\n").find((l) => l.startsWith("| Single precision"))!;
    expect(fp32).toContain(
      "seed 1234, 5 ep, all train, 9984 test, images, JPEG copy of the real images (cifar10-jpeg)",
    );
    // the findings on CIFAR-10 read those runs, and their evidence names the data
    const evidence =
      "images variant, 5 epochs on the whole training set, data: cifar10-jpeg: JPEG copy of the real images";
    expect(page.split("\n").find((l) => l.includes("Dynamic fixed point on CIFAR-10"))).toContain(evidence);
    // and the command that would test them runs more of the same runs: the images variant, not the official files'
    expect(page.split("\n").find((l) => l.includes("Dynamic fixed point on CIFAR-10"))).toContain(
      "to test: `lowprec sweep table2 --variant images --seeds 3 --only dataset=cifar10`",
    );
    await expect(buildReport(out, "images")).rejects.toThrow("the images variant is a section of the budget report");
  });
});

describe("plannedSeeds", () => {
  it("plans the variant's own seeds even when the store holds none of a cell's runs", () => {
    const empty = join(root, "empty-store");
    mkdirSync(empty, { recursive: true });
    const def = loadExperiment("table2");
    // budget: 3 seeds per cell; smoke: 1 (no seeds field)
    expect(plannedSeeds(def, "budget", empty)).toBe(3);
    expect(plannedSeeds(def, "smoke", empty)).toBe(1);
    // so a collection from an empty store still lists every planned seed, as "not run"
    const rows = collectResults(def, "budget", empty);
    expect(new Set(rows.map((r) => r.seed))).toEqual(new Set([1234, 1235, 1236]));
    expect(rows.every((r) => r.status.startsWith("not run"))).toBe(true);
  });
});
