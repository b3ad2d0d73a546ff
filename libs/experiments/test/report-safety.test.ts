// Reports that cannot be damaged by accident (issue 23, item 1). Found on main: after a smoke reproduce, the hint
// "no results of the smoke variant (lowprec report --collect)" led to collecting the budget variant from a store
// holding smoke runs only, which rewrote reports/results/budget/provenance.json into "machine unknown, 0 cores",
// "runs 0", "Commands that produced the tables: ." (collections now merge run by run, which already kept the runs;
// these tests hold every case). Here, on fabricated stores (sealed run folders written by hand):
// - onto a copy of the repository's committed budget collection, a smoke-only store and an empty one are refused in
//   one line naming what the store holds and the command for it, --force or not, and every file stays byte for
//   byte, the page rebuilt from them too;
// - a store with fewer runs keeps the others; --force keeps the store's only and says what it drops, by experiment;
//   interrupted runs only never replace finished ones, even with --force; a collection made before runs were
//   recorded one by one names what a smaller store would drop;
// - the hints: the collect command of each variant, never one that writes a smoke page into reports/.
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { expandRuns, loadExperiment, VARIANTS, type PlannedRun } from "../src/definitions.js";
import {
  buildReport,
  collectCommand,
  collectReport,
  isLocalVariant,
  localReportDir,
  storeVariants,
  type Provenance,
} from "../src/report.js";
import { runId } from "../src/run-id.js";
import { environment, storeInterrupted, storeRun } from "./store-runs.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-report-safety-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const reports = new URL("../../../reports", import.meta.url).pathname;
const A = "a".repeat(40);
const at = (day: number) => environment(A, false, `2026-01-${String(day).padStart(2, "0")}T00:00:00.000Z`);

/** Every file under `dir`, by relative path, with its SHA-256. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return files;
}

/** A copy of the repository's committed reports/ (never written in place). */
function committedCopy(name: string): string {
  const out = join(root, name);
  cpSync(reports, out, { recursive: true });
  return out;
}

const provenanceOf = (out: string, variant = "smoke") =>
  JSON.parse(readFileSync(join(out, "results", variant, "provenance.json"), "utf8")) as Provenance;

/** table2's smoke runs on PI-MNIST (fp32, half, fixed, dfxp). */
const table2Smoke = (): PlannedRun[] =>
  expandRuns(loadExperiment("table2"), "smoke").filter((r) => r.dataset === "pi-mnist");

/** What console.log heard while `f` ran. */
function logged(f: () => void): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "log").mockImplementation((...m: unknown[]) => void lines.push(m.join(" ")));
  try {
    f();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe("collectReport onto the repository's committed budget collection", () => {
  const committedRuns = provenanceOf(reports, "budget").runs;

  it("a smoke-only store is refused in one line naming what it holds and the command; files unchanged", async () => {
    expect(committedRuns).toBeGreaterThan(0);
    const out = committedCopy("smoke-only-report");
    const before = snapshot(out);
    const store = join(root, "smoke-only");
    const runs = table2Smoke();
    for (const [i, run] of runs.entries()) storeRun(store, run, at(i + 1));
    const message =
      `${join(store, "results")}: no finished run of the budget variant; it holds smoke (${runs.length} finished ` +
      `runs); nothing collected, ${join(out, "results", "budget", "provenance.json")} (${committedRuns} runs) left ` +
      `as it is. For those runs: lowprec report --variant smoke --collect (writes ${join(store, "report")}/)`;
    for (const opts of [{}, { refuseDirty: true }, { force: true }, { force: true, allowDirty: true }])
      expect(() => collectReport(store, "budget", out, opts), JSON.stringify(opts)).toThrow(message);
    expect(snapshot(out)).toEqual(before);
    // the page rebuilt from the untouched collection is the committed page, byte for byte
    await buildReport(out, "budget");
    expect(snapshot(out)).toEqual(before);
    expect(readFileSync(join(out, "README.md"), "utf8")).not.toContain("machine unknown");
  }, 120_000);

  it("an empty store (the wrong data root) is refused, saying so; every file unchanged", () => {
    const out = committedCopy("empty-report");
    const before = snapshot(out);
    const store = join(root, "empty");
    for (const opts of [{}, { force: true }])
      expect(() => collectReport(store, "budget", out, opts)).toThrow(
        `${join(store, "results")}: no finished run of any variant (is it the data root of your runs? --data-dir, ` +
          `$LOWPREC_DATA); nothing collected, ${join(out, "results", "budget", "provenance.json")} ` +
          `(${committedRuns} runs) left as it is`,
      );
    expect(snapshot(out)).toEqual(before);
  });

  it("a store with one budget run adds it and keeps every committed run", () => {
    const out = committedCopy("one-more-report");
    const committed = provenanceOf(out, "budget");
    const store = join(root, "one-budget");
    // a run the committed collection does not hold: a fourth seed of table2's PI-MNIST float32
    const run = expandRuns(loadExperiment("table2"), "budget", { seeds: 4 }).find(
      (r) => r.dataset === "pi-mnist" && r.setting === "fp32" && r.seed === 1237,
    )!;
    expect(Object.keys(committed.collection?.runs ?? {})).not.toContain(`table2/${run.runId}`);
    storeRun(store, run, at(1), 10_000);
    const lines = logged(() => collectReport(store, "budget", out));
    const after = provenanceOf(out, "budget");
    expect(after.runs).toBe(committed.runs + 1);
    expect(Object.keys(after.collection?.runs ?? {})).toEqual(
      expect.arrayContaining(Object.keys(committed.collection?.runs ?? {})),
    );
    expect(lines.some((l) => l.startsWith("table2: ") && l.includes("finished runs kept from"))).toBe(true);
  });
});

describe("collectReport when a definition changes", () => {
  it("a collected run that its experiment no longer plans is dropped, and named; the planned ones are kept", () => {
    const out = join(root, "changed-def");
    const runs = table2Smoke();
    const first = join(root, "changed-def-1");
    storeRun(first, runs[0]!, at(1));
    storeRun(first, runs[1]!, at(2));
    collectReport(first, "smoke", out);
    // the collection as an older definition would have left it: runs[0] under the id of a configuration the
    // definition no longer plans (7 epochs), its files' lengths and hashes recorded again
    const dir = join(out, "results", "smoke");
    const config = { ...runs[0]!.config, hyper: { ...runs[0]!.config.hyper, epochs: 7 } };
    const stale = runId(config);
    const rename = (text: string) => text.replaceAll(runs[0]!.runId, stale);
    writeFileSync(join(dir, "table2.csv"), rename(readFileSync(join(dir, "table2.csv"), "utf8")));
    const prov = JSON.parse(rename(readFileSync(join(dir, "provenance.json"), "utf8"))) as Provenance;
    for (const f of prov.files ?? []) {
      const bytes = readFileSync(join(dir, f.name));
      f.bytes = bytes.length;
      f.sha256 = createHash("sha256").update(bytes).digest("hex");
    }
    writeFileSync(join(dir, "provenance.json"), `${JSON.stringify(prov, null, 2)}\n`);
    const second = join(root, "changed-def-2");
    storeRun(second, runs[2]!, at(3));
    const lines = logged(() => collectReport(second, "smoke", out));
    expect(lines).toContain("table2: 1 collected run dropped: its definition no longer plans them");
    expect(Object.keys(provenanceOf(out).collection?.runs ?? {}).sort()).toEqual(
      [`table2/${runs[1]!.runId}`, `table2/${runs[2]!.runId}`].sort(),
    );
    expect(readFileSync(join(dir, "table2.csv"), "utf8")).not.toContain(stale);
  });
});

describe("collectReport with --force", () => {
  it("keeps the store's runs only and says what it drops, by experiment", () => {
    const full = join(root, "force-full");
    const t2 = table2Smoke();
    const rounding = expandRuns(loadExperiment("rounding"), "smoke").slice(0, 2);
    for (const [i, run] of t2.entries()) storeRun(full, run, at(i + 1));
    for (const [i, run] of rounding.entries()) storeRun(full, run, at(i + 10));
    const out = join(root, "force-report");
    collectReport(full, "smoke", out);
    expect(provenanceOf(out).runs).toBe(t2.length + rounding.length);
    const fewer = join(root, "force-fewer");
    storeRun(fewer, t2[0]!, at(1));
    // without --force nothing is dropped
    collectReport(fewer, "smoke", out);
    expect(provenanceOf(out).runs).toBe(t2.length + rounding.length);
    const lines = logged(() => collectReport(fewer, "smoke", out, { force: true }));
    const dropped = t2.length - 1 + rounding.length;
    expect(lines).toContain(
      `--force: ${dropped} finished runs (rounding ${rounding.length}, table2 ${t2.length - 1}) of ` +
        `${join(out, "results", "smoke")} dropped (the store lacks them)`,
    );
    expect(provenanceOf(out).runs).toBe(1);
  });

  it("never replaces finished runs with interrupted ones only; every file unchanged", () => {
    const def = loadExperiment("table2");
    const [fp32, half] = ["fp32", "half"].map(
      (s) => expandRuns(def, "budget").find((r) => r.dataset === "pi-mnist" && r.setting === s && r.seed === 1234)!,
    );
    const first = join(root, "partial-finished");
    storeRun(first, fp32!, at(1), 10_000);
    const out = join(root, "partial-report");
    collectReport(first, "budget", out);
    const before = snapshot(out);
    const second = join(root, "partial-only");
    storeInterrupted(second, half!, at(2), [3, 2.5]);
    expect(() => collectReport(second, "budget", out, { force: true })).toThrow(
      `${join(second, "results")}: no finished run of the budget variant (interrupted ones only); --force would ` +
        `replace the 1 finished runs of ${join(out, "results", "budget", "provenance.json")} with none: refused, ` +
        "the collection is left as it is",
    );
    expect(snapshot(out)).toEqual(before);
    // without --force the interrupted run joins the finished one
    collectReport(second, "budget", out);
    expect(provenanceOf(out, "budget").runs).toBe(1);
  });
});

describe("a collection made before runs were recorded one by one", () => {
  it("a store with fewer runs is refused, naming what would be dropped by experiment", () => {
    const full = join(root, "legacy-full");
    const t2 = table2Smoke();
    for (const [i, run] of t2.entries()) storeRun(full, run, at(i + 1));
    const out = join(root, "legacy-report");
    collectReport(full, "smoke", out);
    const path = join(out, "results", "smoke", "provenance.json");
    const { collection: _dropped, ...older } = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(path, `${JSON.stringify(older, null, 2)}\n`);
    const before = snapshot(out);
    const fewer = join(root, "legacy-fewer");
    storeRun(fewer, t2[0]!, at(1));
    expect(() => collectReport(fewer, "smoke", out)).toThrow(
      `${join(fewer, "results")}: 1 finished run of the smoke variant, fewer than the ${t2.length} the report's ` +
        `provenance.json lists (${join(out, "results", "smoke")}); collecting would drop ${t2.length - 1} finished ` +
        `runs (table2 ${t2.length - 1}) (--force replaces it anyway)`,
    );
    expect(snapshot(out)).toEqual(before);
  });
});

describe("the hints", () => {
  it("the collect command of each variant; smoke's report is local (<data root>/report/)", () => {
    expect(collectCommand("budget")).toBe("lowprec report --collect");
    expect(collectCommand("smoke")).toBe("lowprec report --variant smoke --collect");
    expect(collectCommand("paper", "--data-dir /d")).toBe("lowprec report --variant paper --collect --data-dir /d");
    expect(VARIANTS.filter(isLocalVariant)).toEqual(["smoke"]);
    expect(localReportDir("/d")).toBe(join("/d", "report"));
  });

  it("a page with no collection names the command that collects it, never budget's for smoke", async () => {
    const out = join(root, "no-collection");
    await expect(buildReport(out, "smoke")).rejects.toThrow(
      `${join(out, "results", "smoke")}: no results of the smoke variant (lowprec report --variant smoke --collect)`,
    );
    await expect(buildReport(out, "budget")).rejects.toThrow(
      /: no results of the budget variant \(lowprec report --collect\)$/,
    );
    await expect(
      buildReport(out, "smoke", { collect: "lowprec report --variant smoke --collect --out X" }),
    ).rejects.toThrow(/\(lowprec report --variant smoke --collect --out X\)$/);
  });

  it("storeVariants counts a store's finished runs by variant, most first", () => {
    const store = join(root, "variants");
    expect(storeVariants(store)).toEqual([]);
    for (const [i, run] of table2Smoke().entries()) storeRun(store, run, at(i + 1));
    const budget = expandRuns(loadExperiment("table2"), "budget").find((r) => r.setting === "fp32")!;
    storeRun(store, budget, at(9));
    // an interrupted run is not finished
    const half = expandRuns(loadExperiment("table2"), "budget").find((r) => r.setting === "half")!;
    storeInterrupted(store, half, at(10), [3]);
    expect(storeVariants(store)).toEqual([
      { variant: "smoke", runs: table2Smoke().length },
      { variant: "budget", runs: 1 },
    ]);
  });
});

describe("--recollect: a committed collection remade from its own runs, the store empty", () => {
  it("the paper collection: every run and table kept, its 800-epoch telemetry thinned to commit size", () => {
    const out = committedCopy("recollect-paper");
    const before = provenanceOf(out, "paper");
    const table = readFileSync(join(out, "results", "paper", "table2.csv"), "utf8");
    const store = join(root, "recollect-empty");
    // without --recollect an empty store is refused, as ever
    expect(() => collectReport(store, "paper", out)).toThrow("no finished run of any variant");
    collectReport(store, "paper", out, { recollect: true });
    const after = provenanceOf(out, "paper");
    expect(after.runs).toBe(before.runs);
    expect(Object.keys(after.collection?.runs ?? {})).toEqual(Object.keys(before.collection?.runs ?? {}));
    expect(readFileSync(join(out, "results", "paper", "table2.csv"), "utf8")).toBe(table);
    const csv = readFileSync(join(out, "results", "paper", "telemetry.csv"), "utf8");
    expect(csv.length).toBeLessThan(400_000);
    const which = JSON.parse(readFileSync(join(out, "results", "paper", "telemetry.json"), "utf8"));
    expect(which.thinned).toMatch(/^calibration whole; training: the last window of every \d+th epoch/);
    // a second recollect changes nothing: thinning is idempotent
    const once = snapshot(join(out, "results", "paper"));
    collectReport(store, "paper", out, { recollect: true });
    expect(snapshot(join(out, "results", "paper"))).toEqual(once);
  });

  it("a store-less recollect of a variant with no collection is refused as an empty store is", () => {
    const out = join(root, "recollect-none");
    expect(() => collectReport(join(root, "recollect-empty2"), "paper", out, { recollect: true })).toThrow(
      "no finished run of any variant",
    );
  });
});
