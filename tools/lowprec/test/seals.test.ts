// Every file of a run is sealed (manifest.sealed: each file's length and SHA-256) and verified on every read.
// Each case first makes the damage a hostile review found (a flipped digit in summary.json, a flipped byte in
// config.json, a truncated metrics.csv, an edited or line-truncated scales file, a flipped seed in run.json, a
// folder from before seals), then checks that results, sweep, report --collect and verify never use it silently.
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, lowprec, type Ran } from "./lowprec.js";
import { beforeAll, describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "lowprec-seals-"));
const clean = join(root, "clean");
const SMOKE = ["table2", "--variant", "smoke", "--only", "dataset=pi-mnist"];

const L = (args: string[], env: Record<string, string> = {}) => lowprec(args, { env, timeout: 300_000 });
const read = (p: string) => readFileSync(p, "utf8");

/** A copy of the clean store to damage. */
function copy(name: string): string {
  const d = join(root, name);
  cpSync(clean, d, { recursive: true });
  return d;
}
/** The folder of the stored table2 smoke run of `setting` on PI-MNIST. */
function runOf(dataDir: string, setting: string): string {
  const v = join(dataDir, "results", "table2", "smoke");
  for (const id of readdirSync(v))
    if ((JSON.parse(read(join(v, id, "run.json"))) as { setting: string }).setting === setting) return join(v, id);
  throw new Error(`no ${setting} run in ${v}`);
}
/** `lowprec results` of the store: its exit code, its lines, and its CSV rows (status, testError). */
function results(dataDir: string): Ran & { rows: { setting: string; status: string; testError: string }[] } {
  const csv = join(dataDir, "results.csv");
  const r = L(["results", ...SMOKE.slice(0, 3), "--data-dir", dataDir, "--csv", csv]);
  const [head, ...lines] = read(csv).trim().split("\n");
  const cols = head!.split(",");
  const at = (l: string, c: string) => l.split(",")[cols.indexOf(c)] ?? "";
  const rows = lines
    .filter((l) => at(l, "dataset") === "pi-mnist")
    .map((l) => ({ setting: at(l, "setting"), status: at(l, "status"), testError: at(l, "testError") }));
  return { ...r, rows };
}
const verify = (dataDir: string) => L(["verify", "--data-dir", dataDir]);

beforeAll(() => {
  const r = L(["sweep", ...SMOKE, "--data-dir", clean]);
  expect(r.status, r.err).toBe(0);
}, 300_000);

describe("a clean store", () => {
  it("verifies: exit 0, every run intact; every run file is listed in its manifest", () => {
    const r = verify(clean);
    expect(r.status, r.out).toBe(0);
    expect(r.out.trim()).toBe("4 runs checked: 4 intact, 0 damaged, 0 in progress");
    const m = read(join(runOf(clean, "dfxp"), "manifest.sealed"));
    for (const f of ["config.json", "data.json", "metrics.csv", "metrics.json", "summary.json", "run.json"])
      expect(m).toContain(`"${f}":{"bytes":`);
    expect(m).toContain('"scales/epoch-0001.csv":{"bytes":');
    const json = JSON.parse(L(["verify", "--data-dir", clean, "--json"]).out) as { checked: number; intact: number };
    expect([json.checked, json.intact]).toEqual([4, 4]);
  });

  it("a data root that does not exist is one line, exit 1", () => {
    const r = verify(join(root, "nowhere"));
    expect(r.status).toBe(1);
    expect(r.err.trim()).toBe(`lowprec verify: ${join(root, "nowhere")}: no such data root (a folder)`);
  });
});

describe("a flipped digit in summary.json (the review's 88 → 80)", () => {
  it("is never used: the summary is re-derived from the verified metrics, and verify names the file", () => {
    const d = copy("summary");
    const run = runOf(d, "dfxp");
    const good = results(d).rows.find((r) => r.setting === "dfxp")!.testError;
    const p = join(run, "summary.json");
    const text = read(p);
    const m = /"testErrorAtBestValid": ([0-9.]+)/.exec(text)!;
    // one bit: the value's last digit ^ 1 (8 ↔ 9, 0 ↔ 1, ...)
    const last = m[1]!.at(-1)!;
    const flipped = m[1]!.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) ^ 1);
    writeFileSync(p, text.replace(m[0], `"testErrorAtBestValid": ${flipped}`));
    expect(Number(flipped)).not.toBe(Number(good));

    const r = results(d);
    expect(r.rows.find((x) => x.setting === "dfxp")!.testError).toBe(good);
    expect(r.err).toContain(`${run}: summary.json is damaged (SHA-256 mismatch`);
    expect(r.err).toContain("summary re-derived from metrics");

    const s = L(["sweep", ...SMOKE, "--data-dir", d]);
    expect(s.status, s.err).toBe(0);
    expect(s.out).toContain("summary re-derived from metrics");
    expect(s.out).toContain("0 ran, 4 were done");

    const out = join(d, "report");
    const c = L(["report", "--variant", "smoke", "--collect", "--allow-dirty", "--out", out, "--data-dir", d]);
    expect(c.status, c.err).toBe(0);
    expect(c.out).toContain("summary re-derived from metrics");
    const table = read(join(out, "results", "smoke", "table2.csv"));
    const row = table.split("\n").find((l) => l.includes(run.split("/").at(-1)!))!;
    expect(row).toContain(`,${good},`);
    expect(row).not.toContain(`,${flipped},`);

    const v = verify(d);
    expect(v.status).toBe(1);
    expect(v.out).toContain(`damaged ${run}: summary.json: SHA-256 mismatch: its bytes changed after it was written`);
    expect(v.out).toContain("4 runs checked: 3 intact, 1 damaged, 0 in progress");
  }, 300_000);
});

describe("damage to a file a result is computed from", () => {
  it("a flipped byte in config.json: results say damaged, sweep names it and does not overwrite it", () => {
    const d = copy("config");
    const run = runOf(d, "fixed");
    const p = join(run, "config.json");
    const bytes = readFileSync(p);
    bytes[40] = bytes[40]! ^ 0x01;
    writeFileSync(p, bytes);
    const r = results(d);
    expect(r.status).toBe(1);
    const row = r.rows.find((x) => x.setting === "fixed")!;
    expect(row.status).toBe("damaged: config.json: SHA-256 mismatch: its bytes changed after it was written");
    expect(row.testError).toBe("");
    expect(r.err).toContain(`${join(run, "config.json")}: damaged: SHA-256 mismatch`);
    const s = L(["sweep", ...SMOKE, "--data-dir", d]);
    expect(s.status).toBe(1);
    expect(s.out).toContain(`damaged pi-mnist fixed seed 1234: ${p}: SHA-256 mismatch`);
    expect(s.out).toContain(`move ${run} away (or delete it) and run it again`);
    expect(s.out).toContain("0 ran, 3 were done, 0 failed, 0 without data, 1 damaged");
    expect(readFileSync(p)).toEqual(bytes);
    const c = L([
      "report",
      "--variant",
      "smoke",
      "--collect",
      "--allow-dirty",
      "--out",
      join(d, "report"),
      "--data-dir",
      d,
    ]);
    expect(c.status, c.err).toBe(0);
    expect(c.out).toContain(`${p}: damaged: SHA-256 mismatch`);
    expect(read(join(d, "report", "results", "smoke", "table2.csv"))).toContain("damaged: config.json");
    const v = verify(d);
    expect(v.status).toBe(1);
    expect(v.out).toContain(`damaged ${run}: config.json: SHA-256 mismatch`);
  }, 300_000);

  it("a truncated metrics.csv is named by verify and the run is not a result", () => {
    const d = copy("metrics");
    const run = runOf(d, "half");
    const p = join(run, "metrics.csv");
    const size = readFileSync(p).length;
    truncateSync(p, size - 10);
    expect(results(d).rows.find((x) => x.setting === "half")!.status).toBe(
      `damaged: metrics.csv: ${size - 10} bytes where manifest.sealed says ${size} (truncated or appended to)`,
    );
    const v = verify(d);
    expect(v.status).toBe(1);
    expect(v.out).toContain(`damaged ${run}: metrics.csv: ${size - 10} bytes where manifest.sealed says ${size}`);
  }, 120_000);

  it("an edited and a line-truncated scales file are named; report --collect leaves the telemetry out", () => {
    const d = copy("scales");
    const run = runOf(d, "dfxp");
    const edited = join(run, "scales", "epoch-0001.csv");
    writeFileSync(
      edited,
      read(edited).replace(/,(\d),/, (_, n: string) => `,${(Number(n) + 1) % 10},`),
    );
    const cut = join(run, "scales", "epoch-0000.csv");
    const lines = read(cut).trimEnd().split("\n");
    writeFileSync(cut, `${lines.slice(0, -1).join("\n")}\n`);
    const v = verify(d);
    expect(v.status).toBe(1);
    expect(v.out).toContain(`damaged ${run}: scales/epoch-0000.csv: `);
    expect(v.out).toContain("(and scales/epoch-0001.csv)");
    expect(results(d).rows.find((x) => x.setting === "dfxp")!.status).toMatch(/^damaged: scales\/epoch-0000\.csv: /);
    const out = join(d, "report");
    const c = L(["report", "--variant", "smoke", "--collect", "--allow-dirty", "--out", out, "--data-dir", d]);
    // the run is damaged, so not a result: its telemetry is not collected either
    expect(c.out).toContain(`${cut}: damaged: `);
    expect(c.out).toContain("not used as a result");
    expect(existsSync(join(out, "results", "smoke", "telemetry.csv"))).toBe(false);
  }, 300_000);
});

describe("a flipped seed in run.json (1234 → 9234)", () => {
  it("adds no phantom runs: the plan keeps its runs, the run is damaged, verify names run.json", () => {
    const d = copy("seed");
    const run = runOf(d, "fp32");
    const p = join(run, "run.json");
    writeFileSync(p, read(p).replace('"seed": 1234', '"seed": 9234'));
    const r = results(d);
    expect(r.rows).toHaveLength(4);
    expect(r.rows.find((x) => x.setting === "fp32")!.status).toBe(
      "damaged: run.json: SHA-256 mismatch: its bytes changed after it was written",
    );
    const c = L([
      "report",
      "--variant",
      "smoke",
      "--collect",
      "--allow-dirty",
      "--out",
      join(d, "report"),
      "--data-dir",
      d,
    ]);
    expect(c.status, c.err).toBe(0);
    expect(
      read(join(d, "report", "results", "smoke", "table2.csv"))
        .trim()
        .split("\n").length,
    ).toBeLessThan(20);
    const v = verify(d);
    expect(v.status).toBe(1);
    expect(v.out).toContain(`damaged ${run}: run.json: SHA-256 mismatch`);
  }, 300_000);
});

describe("folders from before seals", () => {
  it("are not trusted: damaged as unsealed, with how to re-run them; a resume is refused", () => {
    const d = copy("legacy");
    const run = runOf(d, "half");
    rmSync(join(run, "manifest.sealed"));
    const r = results(d);
    expect(r.rows.find((x) => x.setting === "half")!.status).toBe(
      "damaged: manifest.sealed: unsealed (written before run files were sealed)",
    );
    expect(r.err).toContain(`move ${run} away (or delete it) and run it again`);
    const v = verify(d);
    expect(v.status).toBe(1);
    expect(v.out).toContain(`damaged ${run}: manifest.sealed: unsealed (written before run files were sealed)`);
    const out = join(d, "runs", "old");
    cpSync(run, out, { recursive: true });
    const t = L(["train", "--preset", "pi-mnist", "--precision", "half", "--epochs", "1", "--out", out, "--resume"]);
    expect(t.status).toBe(1);
    expect(t.err.trim()).toBe(
      `lowprec train: ${out}: unsealed (written before run files were sealed): its files cannot be verified; ` +
        "start it over with --force",
    );
  }, 120_000);
});

describe("a write killed between the manifest and the file", () => {
  const P = ["train", "--preset", "pi-mnist", "--train-limit", "1000", "--eval-limit", "500", "--epochs", "2"];
  it("is not damage (first write and rewrite alike), and the next session settles it", () => {
    const d = join(root, "killed");
    const out = join(d, "runs", "k");
    // killed half way through the first summary.json: the manifest lists it, the file does not exist yet
    const a = L([...P, "--out", out], { LOWPREC_FAULT_KILL: "summary.json:1" });
    expect(a.status).toBe(null);
    expect(existsSync(join(out, "summary.json"))).toBe(false);
    expect(read(join(out, "manifest.sealed"))).toContain('"summary.json":{"bytes":');
    expect(verify(d).out.trim()).toBe("1 runs checked: 1 intact, 0 damaged, 0 in progress");
    // killed half way through rewriting config.json on a resume: the file holds the previous session's bytes
    const before = read(join(out, "config.json"));
    const b = L([...P, "--out", out, "--resume"], { LOWPREC_FAULT_KILL: "config.json:1" });
    expect(b.status).toBe(null);
    expect(read(join(out, "config.json"))).toBe(before);
    expect(read(join(out, "manifest.sealed"))).toContain('"previous":{"bytes":');
    expect(verify(d).status).toBe(0);
    const c = L([...P, "--out", out, "--resume"]);
    expect(c.status, c.err).toBe(0);
    expect(read(join(out, "manifest.sealed"))).not.toContain('"previous"');
    expect(verify(d).out.trim()).toBe("1 runs checked: 1 intact, 0 damaged, 0 in progress");
  }, 300_000);

  it("a folder a live process is writing is in progress, not damaged", async () => {
    const d = join(root, "live");
    const out = join(d, "runs", "l");
    const P6 = [...P.slice(0, -1), "20", "--out", out];
    const p = spawn(process.execPath, [bin, ...P6], { stdio: "ignore" });
    const done = new Promise<number | null>((res) => p.on("exit", (code) => res(code)));
    const t0 = Date.now();
    while (!existsSync(join(out, "metrics.json")) && Date.now() - t0 < 60_000)
      await new Promise((r) => setTimeout(r, 20));
    const v = verify(d);
    expect(v.status).toBe(0);
    expect(v.out.trim()).toBe("1 runs checked: 0 intact, 0 damaged, 1 in progress");
    expect(await done).toBe(0);
    expect(verify(d).out.trim()).toBe("1 runs checked: 1 intact, 0 damaged, 0 in progress");
  }, 300_000);
});
