// `lowprec report --collect` and runs trained from a work tree with uncommitted changes (issue 21): refused in one
// line naming the run (experiment, run id, folder) and the flag, the committed tables left as they were; collected
// with --allow-dirty, provenance.json counting them and the page saying so; a page of runs from one clean commit
// says that. The runs are the rounding smoke runs of fp32 and fixed-nearest (a second or two each); their
// config.json is then rewritten through the folder's seal to name a clean or a dirty commit, so the test does not
// depend on the state of the checkout it runs in.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManifestWriter } from "@lowprec/storage";
import { describe, expect, it } from "vitest";
import { lowprec } from "./lowprec.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-report-dirty-"));
const L = (args: string[]) => lowprec(args, { timeout: 600_000 });
const C = "c".repeat(40);

const data = join(root, "data");
const runs = join(data, "results", "rounding", "smoke");

/** Rewrites the run's config.json (through its seal) as if trained at commit C, dirty or not. */
function trainedAt(id: string, dirty: boolean): void {
  const dir = join(runs, id);
  const rec = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as {
    environment: { gitCommit: string; code?: { commit: string; dirty: boolean } };
  };
  rec.environment.gitCommit = dirty ? `${C}+dirty` : C;
  if (rec.environment.code) rec.environment.code = { ...rec.environment.code, commit: C, dirty };
  ManifestWriter.open(dir).write("config.json", `${JSON.stringify(rec, null, 2)}\n`);
}

const collect = (out: string, extra: string[] = []) =>
  L(["report", "--collect", "--variant", "smoke", "--data-dir", data, "--out", out, ...extra]);
const results = (out: string) => join(out, "results", "smoke");
const provenanceOf = (out: string) =>
  JSON.parse(readFileSync(join(results(out), "provenance.json"), "utf8")) as {
    runs: number;
    dirtyRuns?: number;
    commits?: { commit: string; runs: number }[];
  };
const snapshot = (out: string) =>
  Object.fromEntries(
    readdirSync(results(out))
      .sort()
      .map((f) => [f, readFileSync(join(results(out), f), "utf8")]),
  );

describe("lowprec report --collect and dirty work trees", () => {
  it("refuses a dirty run in one line naming it and the flag; --allow-dirty collects it and the page says so", () => {
    for (const setting of ["fp32", "fixed-nearest"]) {
      const only = `setting=${setting}`;
      const r = L(["sweep", "rounding", "--variant", "smoke", "--only", only, "--jobs", "1", "--data-dir", data]);
      expect(r.status, r.err).toBe(0);
    }
    const [first, second] = readdirSync(runs).sort();
    trainedAt(first!, false);
    trainedAt(second!, false);

    // every run from one clean commit: collected, and the page says so
    const out = join(root, "out");
    let r = collect(out);
    expect(r.status, r.err).toBe(0);
    expect(provenanceOf(out).dirtyRuns).toBe(0);
    expect(provenanceOf(out).commits).toEqual([{ commit: C, runs: 2 }]);
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain(
      `All 2 runs were trained from one commit, ${C}, with no uncommitted changes.`,
    );
    // the table's columns: the commit, and 500 test images (evalLimit 500 at batch 100: 5 whole batches)
    const csv = readFileSync(join(results(out), "rounding.csv"), "utf8")
      .trim()
      .split("\n");
    const cols = csv[0]!.split(",");
    const done = csv.slice(1).filter((l) => l.includes(",done,"));
    expect(done).toHaveLength(2);
    for (const line of done) {
      const cells = line.split(",");
      expect(cells[cols.indexOf("commit")]).toBe(C);
      expect(cells[cols.indexOf("testExamples")]).toBe("500");
    }

    // one run dirty: refused, one line, the collected tables untouched
    trainedAt(second!, true);
    const before = snapshot(out);
    r = collect(out);
    expect(r.status).toBe(1);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err.trim()).toBe(
      `lowprec report: ${join(runs, second!)}: run ${second} of rounding was trained from a work tree with ` +
        "uncommitted changes (commit cccccccccccc+dirty); --allow-dirty collects it anyway and the report says so",
    );
    expect(snapshot(out)).toEqual(before);

    // with --allow-dirty: collected, counted, and said on the page
    r = collect(out, ["--allow-dirty"]);
    expect(r.status, r.err).toBe(0);
    expect(provenanceOf(out).dirtyRuns).toBe(1);
    expect(provenanceOf(out).commits).toEqual([
      { commit: C, runs: 1 },
      { commit: `${C}+dirty`, runs: 1 },
    ]);
    const page = readFileSync(join(out, "README.md"), "utf8");
    expect(page).toContain(
      "1 of 2 runs were trained from a work tree with uncommitted changes (+dirty): no commit holds their exact code.",
    );
    expect(page).toMatch(/\| commit of the runs +\| cccccccccccc \(1 runs\), cccccccccccc\+dirty \(1 runs\) +\|/);
  }, 300_000);

  it("--allow-dirty without --collect is refused", () => {
    const r = L(["report", "--allow-dirty", "--out", join(root, "none")]);
    expect(r.status).toBe(2);
    expect(r.err.split("\n")[0]).toBe("lowprec report: --allow-dirty: only --collect reads the runs' commits");
  });
});
