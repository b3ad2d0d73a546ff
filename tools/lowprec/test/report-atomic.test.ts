// Reports collected atomically (issue 20, item 3). Found on main: `lowprec report --collect` from an empty store
// left the old tables beside a provenance saying "runs 0"; killed inside the provenance write it left new tables
// beside old provenance (and a temp file), and the next `report` built from the mix; `--out` on a read-only folder
// said ENOENT. Here, with small real result stores (the rounding smoke runs, a second or two each):
// - an empty store is refused, --force or not (issue 23: never a collection of "runs 0"), naming the collection's
//   count, and the committed folder stays as it was; a store with fewer finished runs keeps the collection's others
//   (run by run; --force keeps the store's and says what it drops), and is refused only against a collection made
//   before runs were recorded one by one;
// - the provenance records each table's length and SHA-256, and `report` builds only from tables that match it;
// - a collection killed inside a table write, inside the provenance write, after the new folder is filled,
//   between the two renames and after them: the next `report` builds the old complete report or the new
//   complete one, never a mix, and no temp file or folder remains;
// - the report lists the code fingerprints of its runs (config.json's environment.code; "unknown" when absent);
// - `--out` on a read-only folder says so.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManifestWriter } from "@lowprec/storage";
import { bin, lowprec } from "./lowprec.js";
import { describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "lowprec-report-atomic-"));

const L = (args: string[], env: Record<string, string> = {}) => lowprec(args, { env, timeout: 600_000 });

/** A result store with the rounding smoke runs of `settings` (trained once, then copied). */
const stores = new Map<string, string>();
function store(...settings: string[]): string {
  const key = settings.join("+");
  let d = stores.get(key);
  if (!d) {
    d = join(root, `store-${key || "empty"}`);
    const base = settings.length > 1 ? store(...settings.slice(0, -1)) : undefined;
    if (base) cpSync(base, d, { recursive: true });
    else mkdirSync(d, { recursive: true });
    const last = settings.at(-1);
    if (last) {
      const r = L([
        "sweep",
        "rounding",
        "--variant",
        "smoke",
        "--only",
        `setting=${last}`,
        "--jobs",
        "1",
        "--data-dir",
        d,
      ]);
      expect(r.status, r.err).toBe(0);
    }
    stores.set(key, d);
  }
  return d;
}

let outs = 0;
const newOut = () => join(root, `out-${outs++}`);
// NOTE: --allow-dirty: the runs are trained by this checkout, which has uncommitted changes while it is worked on
// (report-dirty.test.ts tests the refusal)
const collect = (out: string, data: string, extra: string[] = [], env: Record<string, string> = {}) =>
  L(["report", "--collect", "--allow-dirty", "--variant", "smoke", "--data-dir", data, "--out", out, ...extra], env);
const build = (out: string) => L(["report", "--variant", "smoke", "--out", out]);
const results = (out: string) => join(out, "results", "smoke");

/** Every file of `<out>/results/smoke`, with its contents. */
function snapshot(out: string): Record<string, string> {
  const dir = results(out);
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
}

/** Temp files and swap folders anywhere under `<out>/results`. */
function litter(out: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      if (/\.tmp-|\.swap-/.test(f)) found.push(join(d, f));
      if (statSync(join(d, f)).isDirectory()) walk(join(d, f));
    }
  };
  walk(join(out, "results"));
  return found;
}

const provenanceOf = (out: string) =>
  JSON.parse(readFileSync(join(results(out), "provenance.json"), "utf8")) as {
    runs: number;
    files?: { name: string; bytes: number; sha256: string }[];
    codeFingerprints?: { fingerprint: string; runs: number }[];
  };

/** A collected report of `settings`' runs, built once. */
function collected(...settings: string[]): string {
  const out = newOut();
  const r = collect(out, store(...settings));
  expect(r.status, r.err).toBe(0);
  return out;
}

describe("lowprec report --collect, atomically", () => {
  it("refuses an empty store, --force or not, naming the collection's count; the committed tables stay", () => {
    const out = collected("fp32");
    const before = snapshot(out);
    expect(Object.keys(before)).toContain("rounding.csv");
    for (const extra of [[], ["--force"]]) {
      const r = collect(out, store(), extra);
      expect(r.status).toBe(1);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).toMatch(/: no finished run of any variant .*provenance\.json \(1 runs\) left as it is$/m);
      expect(snapshot(out)).toEqual(before);
    }
    expect(litter(out)).toEqual([]);
  }, 300_000);

  it("a store with fewer finished runs keeps the collection's others (run by run); --force keeps the store's", () => {
    const out = collected("fp32", "fixed-nearest");
    expect(provenanceOf(out).runs).toBe(2);
    const before = snapshot(out)["rounding.csv"];
    const r = collect(out, store("fp32"));
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain("rounding: 1 finished runs kept from");
    expect(provenanceOf(out).runs).toBe(2);
    expect(snapshot(out)["rounding.csv"]).toBe(before);
    const forced = collect(out, store("fp32"), ["--force"]);
    expect(forced.status, forced.err).toBe(0);
    expect(forced.out).toContain(
      `--force: 1 finished run (rounding 1) of ${results(out)} dropped (the store lacks them)`,
    );
    expect(provenanceOf(out).runs).toBe(1);
  }, 300_000);

  it("a collection made before runs were recorded one by one: fewer runs in all refused, naming both counts", () => {
    const out = collected("fp32", "fixed-nearest");
    const path = join(results(out), "provenance.json");
    const { collection: _dropped, ...older } = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(path, `${JSON.stringify(older, null, 2)}\n`);
    const before = snapshot(out);
    const r = collect(out, store("fp32"));
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/1 finished run of the smoke variant, fewer than the 2 .*provenance\.json lists/);
    expect(snapshot(out)).toEqual(before);
  }, 300_000);

  it("the provenance records each table's length and SHA-256; `report` refuses a table that does not match", () => {
    const out = collected("fp32");
    const files = provenanceOf(out).files ?? [];
    expect(files.map((f) => f.name)).toEqual(["rounding.csv"]);
    expect(files[0]!.bytes).toBe(statSync(join(results(out), "rounding.csv")).size);
    expect(files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const csv = join(results(out), "rounding.csv");
    const text = readFileSync(csv, "utf8");
    writeFileSync(csv, `${text}x`);
    let r = build(out);
    expect(r.status).toBe(1);
    expect(r.err.trim()).toMatch(new RegExp(`^lowprec report: ${csv}: does not match provenance\\.json \\(`));
    writeFileSync(csv, text);
    expect(build(out).status).toBe(0);
    // a table no collection listed (left beside the folder by hand, or by an older version)
    writeFileSync(join(results(out), "formats.csv"), text);
    r = build(out);
    expect(r.status).toBe(1);
    expect(r.err.trim()).toMatch(/formats\.csv: not listed in provenance\.json/);
    rmSync(join(results(out), "formats.csv"));
    rmSync(csv);
    r = build(out);
    expect(r.status).toBe(1);
    expect(r.err.trim()).toMatch(/rounding\.csv: listed in provenance\.json but missing/);
  }, 300_000);

  // NOTE: old = one run, new = two runs; each kill lands in a collection of the new one over the old one.
  for (const [point, expected] of [
    ["rounding.csv:1", "old"],
    ["provenance.json:1", "old"],
    ["#swap-filled:1", "old"],
    ["#swap-aside:1", "new"],
    ["#swap-in:1", "new"],
  ] as const) {
    it(`killed at ${point}: the next report builds the ${expected} complete report, no temp litter`, () => {
      const fresh = collected("fp32", "fixed-nearest");
      const old = collected("fp32");
      const before = snapshot(old);
      const r = collect(old, store("fp32", "fixed-nearest"), [], { LOWPREC_FAULT_KILL: point });
      expect(r.signal, r.err).toBe("SIGKILL");
      const next = build(old);
      expect(next.status, next.err).toBe(0);
      expect(snapshot(old)).toEqual(expected === "old" ? before : snapshot(fresh));
      expect(litter(old)).toEqual([]);
      const runs = expected === "old" ? 1 : 2;
      expect(readFileSync(join(old, "README.md"), "utf8")).toMatch(new RegExp(`\\| runs +\\| ${runs} \\(`));
    }, 300_000);
  }

  it("lists the code fingerprints of its runs (unknown for runs that did not record one)", () => {
    const data = join(root, "store-code");
    cpSync(store("fp32", "fixed-nearest"), data, { recursive: true });
    const runs = join(data, "results", "rounding", "smoke");
    const [first, second] = readdirSync(runs).sort();
    const read = (id: string) =>
      JSON.parse(readFileSync(join(runs, id, "config.json"), "utf8")) as {
        environment: { code?: { fingerprint: string } };
      };
    const fingerprint = read(second!).environment.code?.fingerprint;
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // a run from before code identities: its config.json rewritten without one, through its seal
    const rec = read(first!);
    delete rec.environment.code;
    ManifestWriter.open(join(runs, first!)).write("config.json", `${JSON.stringify(rec, null, 2)}\n`);
    const out = newOut();
    const r = collect(out, data);
    expect(r.status, r.err).toBe(0);
    expect(provenanceOf(out).codeFingerprints).toEqual(
      [
        { fingerprint: fingerprint!, runs: 1 },
        { fingerprint: "unknown", runs: 1 },
      ].sort((a, b) => a.fingerprint.localeCompare(b.fingerprint)),
    );
    expect(readFileSync(join(out, "README.md"), "utf8")).toMatch(
      new RegExp(`\\| code fingerprint of the runs +\\| .*${fingerprint!.slice(0, 12)} \\(1 runs\\)`),
    );
  }, 300_000);

  // NOTE: root ignores mode bits, so a read-only bind mount (a private mount namespace) makes the folder read-only.
  const probe = spawnSync("unshare", ["--mount", "true"]);
  it.skipIf(probe.status !== 0)(
    "--out on a read-only folder says the folder is not writable",
    () => {
      // the committed tables only, as in a fresh clone: main said "ENOENT: ... mkdir .../figures" here
      const out = newOut();
      cpSync(join(collected("fp32"), "results"), join(out, "results"), { recursive: true });
      const ro = spawnSync(
        "unshare",
        [
          "--mount",
          "sh",
          "-c",
          'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$0" "$2" report --variant smoke --out "$1"',
          process.execPath,
          out,
          bin,
        ],
        { encoding: "utf8" },
      );
      expect(ro.status).toBe(1);
      expect(ro.stderr.trim()).toBe(`lowprec report: ${out}: read-only file system`);
    },
    300_000,
  );
});
