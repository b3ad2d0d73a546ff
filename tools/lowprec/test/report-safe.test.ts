// `lowprec report` and its hints cannot damage the committed reports/ (issue 23, item 1). Found on main, after
// `npm run reproduce -- --variant smoke`: `lowprec report --variant smoke` said "no results of the smoke variant
// (lowprec report --collect)"; that command collected the budget variant from the smoke-only store and rewrote
// reports/results/budget/provenance.json ("machine unknown, 0 cores", "runs 0"); `--variant smoke --collect` wrote a
// smoke page over reports/README.md. Here, with a real smoke store (one rounding run, a second or two):
// - `report --collect` from it onto a copy of the committed reports/ exits 1 with one line naming what the store
//   holds and the command for it; the copy is byte for byte unchanged (--force too); the hint followed literally
//   writes <data root>/report/;
// - `report --variant smoke` reads and writes <data root>/report/ unless --out is given; its hint, followed
//   literally, works; `--variant paper` does not write a paper page over reports/README.md;
// - reproduce's closing hints never offer a smoke run to reports/;
// - and the repository's reports/ is the same at the end as at the start.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reproduceHints } from "../src/commands/reproduce.js";
import { lowprec, type Ran } from "./lowprec.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-report-safe-"));
const reports = new URL("../../../reports", import.meta.url).pathname;
const L = (args: string[], env: Record<string, string> = {}) =>
  lowprec(args, { env: { LOWPREC_DATA: join(root, "default-data"), ...env }, timeout: 600_000 });

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

/** The command a hint names, as argv for `lowprec` (the leading "lowprec" dropped). */
function hinted(text: string, pattern: RegExp): string[] {
  const m = pattern.exec(text);
  expect(m, text).not.toBeNull();
  const argv = m![1]!.trim().split(" ");
  expect(argv[0]).toBe("lowprec");
  return argv.slice(1);
}

const oneLine = (r: Ran) => {
  expect(r.err.trim().split("\n"), r.err).toHaveLength(1);
  return r.err.trim();
};
/** A usage error's line (the next one is the pointer to --help). */
const usageLine = (r: Ran) => {
  const lines = r.err.trim().split("\n");
  expect(lines.slice(1), r.err).toEqual(["see 'lowprec report --help'"]);
  return lines[0];
};

/** A store holding one smoke run (rounding's float32). */
const store = join(root, "smoke-store");
const committedBefore = snapshot(reports);
const committedRuns = (
  JSON.parse(readFileSync(join(reports, "results", "budget", "provenance.json"), "utf8")) as {
    runs: number;
  }
).runs;

beforeAll(() => {
  const r = L([
    "sweep",
    "rounding",
    "--variant",
    "smoke",
    "--only",
    "setting=fp32",
    "--jobs",
    "1",
    "--data-dir",
    store,
  ]);
  expect(r.status, r.err).toBe(0);
}, 600_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  // nothing here wrote the repository's reports/
  expect(snapshot(reports)).toEqual(committedBefore);
});

describe("lowprec report --collect from a store of another variant", () => {
  it("exits 1 in one line naming what the store holds and the command; nothing written; the hint works", () => {
    const data = join(root, "collect-data");
    cpSync(store, data, { recursive: true });
    const out = join(root, "committed-copy");
    cpSync(reports, out, { recursive: true });
    const before = snapshot(out);
    for (const extra of [[], ["--force"], ["--allow-dirty"]]) {
      const r = L(["report", "--collect", "--data-dir", data, "--out", out, ...extra]);
      expect(r.status, extra.join(" ")).toBe(1);
      expect(oneLine(r)).toBe(
        `lowprec report: ${join(data, "results")}: no finished run of the budget variant; it holds smoke (1 ` +
          `finished run); nothing collected, ${join(out, "results", "budget", "provenance.json")} ` +
          `(${committedRuns} runs) left as it is. For those runs: lowprec report --variant smoke --collect ` +
          `--data-dir ${data} (writes ${join(data, "report")}/)`,
      );
    }
    expect(snapshot(out)).toEqual(before);
    // the hint, followed literally (the runs are this checkout's: --allow-dirty when it has uncommitted changes)
    const argv = hinted(L(["report", "--collect", "--data-dir", data, "--out", out]).err, /those runs: (.*?) \(writes/);
    const r = L([...argv, "--allow-dirty"]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`wrote `);
    expect(existsSync(join(data, "report", "README.md"))).toBe(true);
    expect(readFileSync(join(data, "report", "README.md"), "utf8")).toContain("`smoke` variant");
    expect(snapshot(out)).toEqual(before);
  });
});

describe("lowprec report --variant smoke", () => {
  it("reads and writes <data root>/report/; its hint, followed literally, collects there", () => {
    const data = join(root, "smoke-data");
    cpSync(store, data, { recursive: true });
    let r = L(["report", "--variant", "smoke", "--data-dir", data]);
    expect(r.status).toBe(1);
    expect(oneLine(r)).toBe(
      `lowprec report: ${join(data, "report", "results", "smoke")}: no results of the smoke variant ` +
        `(lowprec report --variant smoke --collect --data-dir ${data})`,
    );
    r = L([...hinted(r.err, /\((lowprec report [^)]*)\)\s*$/), "--allow-dirty"]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`collected 2 files into ${join(data, "report", "results", "smoke")}`);
    r = L(["report", "--variant", "smoke", "--data-dir", data]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`${join(data, "report", "README.md")} and ${join(data, "report", "figures")}/`);
  });

  it("the data root from $LOWPREC_DATA: the hint then names no --data-dir", () => {
    const data = join(root, "env-data");
    cpSync(store, data, { recursive: true });
    const r = L(["report", "--variant", "smoke"], { LOWPREC_DATA: data });
    expect(r.status).toBe(1);
    expect(oneLine(r)).toMatch(/\(lowprec report --variant smoke --collect\)$/);
    const collected = L(["report", "--variant", "smoke", "--collect", "--allow-dirty"], { LOWPREC_DATA: data });
    expect(collected.status, collected.err).toBe(0);
    expect(existsSync(join(data, "report", "README.md"))).toBe(true);
  });

  it("--out DIR writes DIR; --data-dir with --out and without --collect is refused", () => {
    const out = join(root, "smoke-out");
    const r = L(["report", "--variant", "smoke", "--collect", "--allow-dirty", "--data-dir", store, "--out", out]);
    expect(r.status, r.err).toBe(0);
    expect(existsSync(join(out, "README.md"))).toBe(true);
    expect(existsSync(join(store, "report"))).toBe(false);
    const bad = L(["report", "--variant", "smoke", "--data-dir", store, "--out", out]);
    expect(bad.status).toBe(2);
    expect(usageLine(bad)).toBe(
      "lowprec report: --data-dir: only --collect reads the result store (and smoke writes beside it)",
    );
  });

  it("--recollect: only with --collect, never with --force", () => {
    const out = join(root, "smoke-out");
    const alone = L(["report", "--variant", "smoke", "--recollect", "--out", out]);
    expect(alone.status).toBe(2);
    expect(usageLine(alone)).toBe("lowprec report: --recollect: only --collect rewrites the collected tables");
    const both = L(["report", "--variant", "smoke", "--collect", "--force", "--recollect", "--data-dir", store]);
    expect(both.status).toBe(2);
    expect(usageLine(both)).toBe(
      "lowprec report: --force and --recollect: --force keeps the store's runs only, --recollect the collected ones",
    );
  });
});

describe("the repository's reports/ is the budget page", () => {
  it("--variant paper without --collect is a usage error there (it wrote a paper page over README.md)", () => {
    const r = L(["report", "--variant", "paper"]);
    expect(r.status).toBe(2);
    expect(usageLine(r)).toBe(
      "lowprec report: --variant paper: its runs are a section of the budget page (--collect them, else --variant " +
        "budget; --out DIR for a page of their own)",
    );
  });
});

describe("reproduce's closing hints", () => {
  it("smoke: its own report again, never reports/; budget and paper: the collect command into reports/", () => {
    const smoke = reproduceHints("smoke").join("\n");
    expect(smoke).toContain("`lowprec report --variant smoke`");
    expect(smoke).toContain("`lowprec results <experiment> --variant smoke`");
    expect(smoke).not.toMatch(/lowprec report --collect/);
    expect(reproduceHints("smoke", "--data-dir /d").join("\n")).toContain(
      "`lowprec report --variant smoke --data-dir /d`",
    );
    expect(reproduceHints("budget").join("\n")).toContain("reports/: `lowprec report --collect`");
    expect(reproduceHints("paper").join("\n")).toContain("`lowprec report --variant paper --collect`");
  });
});
