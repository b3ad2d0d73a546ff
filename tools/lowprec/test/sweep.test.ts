// Sweeps through the installed command: the smoke variants of Table 2 and the four figures train for real
// (subsets, seconds each); a sweep killed with SIGKILL resumes without rerunning finished runs and ends with
// the uninterrupted sweep's table; --jobs 2 gives --jobs 1's errors bit for bit.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeKillExperiment } from "./experiments.js";
import { bin, lowprec } from "./lowprec.js";
import { describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "lowprec-sweep-"));

const L = (args: string[]) => lowprec(args, { timeout: 600_000 });
interface Row {
  dataset: string;
  setting: string;
  status: string;
  runId: string;
  testError: string;
  validError: string;
  normalizedError: string;
  bestEpoch: string;
}
function results(experiment: string, dataDir: string): Row[] {
  const csv = join(dataDir, "results.csv");
  const r = L(["results", experiment, "--variant", "smoke", "--data-dir", dataDir, "--csv", csv]);
  expect(r.status, r.err).toBe(0);
  const [head, ...lines] = readFileSync(csv, "utf8").trim().split("\n");
  const cols = head!.split(",");
  return lines.map((l) => {
    const cells = l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ""));
    return Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ""])) as unknown as Row;
  });
}
const errors = (rows: Row[]) => rows.map((r) => [r.runId, r.status, r.bestEpoch, r.validError, r.testError]);

describe("smoke sweeps train for real", () => {
  for (const experiment of ["table2", "radix-point", "prop-bits", "update-bits", "overflow-rate"])
    it(experiment, () => {
      const dataDir = join(root, experiment);
      const r = L(["sweep", experiment, "--variant", "smoke", "--data-dir", dataDir]);
      expect(r.status, r.err + r.out).toBe(0);
      expect(r.out).toMatch(/progress: \d+\/\d+ runs, elapsed .*, ETA/);
      // a real estimate (not "about 0s"), and what it is from: nothing is in this store yet
      expect(r.out).toMatch(
        /; about [1-9]\d*s with \d+ job\(s\) of 1 thread\(s\) \(built-in rate; no history on this machine\)$/m,
      );
      // every done line says which error it prints; dfxp's say that it calibrates first and cannot settle
      const doneLines = r.out.split("\n").filter((l) => l.startsWith("done "));
      expect(doneLines.length).toBeGreaterThan(0);
      const result = new RegExp(
        String.raw`: test error \d+\.\d\d % \((valid error \d+\.\d\d %, epoch [1-9]\d*|` +
          String.raw`untrained: no epoch improved on validation)\) in `,
      );
      for (const l of doneLines) expect(l).toMatch(result);
      for (const l of doneLines.filter((x) => x.startsWith("done pi-mnist dfxp ")))
        expect(l).toContain(
          "; dfxp: 2 calibration epochs before the 1 training epoch; " +
            "warning: too short for the dfxp scales to settle: 15 ",
        );
      const rows = results(experiment, dataDir);
      const done = rows.filter((x) => x.status === "done");
      expect(done.length).toBeGreaterThan(0);
      for (const x of done) {
        const e = Number(x.testError);
        expect(e, `${x.dataset} ${x.setting}`).toBeGreaterThan(0);
        expect(e, `${x.dataset} ${x.setting}`).toBeLessThanOrEqual(100);
        expect(Number.isFinite(Number(x.normalizedError))).toBe(true);
      }
      // NOTE: one epoch on 1,000 examples: float32 already beats chance (90 %); the settings differ.
      const fp32 = done.filter((x) => x.setting === "fp32" && x.dataset === "pi-mnist");
      expect(fp32.length).toBeGreaterThan(0);
      for (const x of fp32) expect(Number(x.testError)).toBeLessThan(85);
      expect(new Set(done.map((x) => x.testError)).size).toBeGreaterThan(1);
      if (experiment === "table2") {
        expect(r.out).toContain("cifar10: not run: data missing (run `lowprec fetch-data`)");
        expect(rows.filter((x) => x.dataset === "cifar10").every((x) => x.status.startsWith("not run: data missing")));
        expect(rows.find((x) => x.dataset === "pi-mnist" && x.setting === "fp32")!.normalizedError).toBe("1");
      }
      const again = L(["sweep", experiment, "--variant", "smoke", "--data-dir", dataDir]);
      expect(again.out).toMatch(/0 ran, \d+ were done, 0 failed/);
    }, 600_000);
});

describe("a killed sweep", () => {
  const what = "resumes: finished runs are kept, the interrupted one continues, the table equals an uninterrupted one";
  it(what, async () => {
    // NOTE: runs of four epochs, so that the kill lands inside a run that has a checkpoint to resume.
    const def = writeKillExperiment(join(root, "kill.json"));
    const args = ["sweep", def, "--variant", "smoke", "--jobs", "1"];
    const straight = join(root, "straight");
    expect(L([...args, "--data-dir", straight]).status).toBe(0);
    const killed = join(root, "killed");
    const p = spawn(process.execPath, [bin, ...args, "--data-dir", killed], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const variantDir = join(killed, "results", "kill", "smoke");
    const inProgress = () =>
      existsSync(variantDir) &&
      readdirSync(variantDir).some(
        (d) => existsSync(join(variantDir, d, "checkpoint.bin")) && !existsSync(join(variantDir, d, "summary.json")),
      );
    const t0 = Date.now();
    while (!(/^done /m.test(out) && inProgress()) && Date.now() - t0 < 120_000)
      await new Promise((r) => setTimeout(r, 5));
    p.kill("SIGKILL");
    await new Promise((r) => p.on("exit", r));
    const firstDone = (out.match(/^done /gm) ?? []).length;
    expect(firstDone).toBeGreaterThanOrEqual(1);
    expect(firstDone).toBeLessThan(3);
    // NOTE: the orphaned worker notices its parent is gone at its next batch and exits; its lock goes with it.
    const t1 = Date.now();
    while (readdirSync(variantDir).some((d) => existsSync(join(variantDir, d, ".lock"))) && Date.now() - t1 < 30_000)
      await new Promise((r) => setTimeout(r, 20));
    const resumed = L([...args, "--data-dir", killed]);
    expect(resumed.status, resumed.err).toBe(0);
    expect(resumed.out).toContain(`${3 - firstDone} ran, ${firstDone} were done`);
    expect(resumed.out).toMatch(/resumed after epoch [0-3]/);
    expect(errors(results(def, killed))).toEqual(errors(results(def, straight)));
  }, 600_000);
});

describe("--jobs", () => {
  it("2 jobs give 1 job's errors, bit for bit", () => {
    const one = join(root, "jobs1");
    const two = join(root, "jobs2");
    expect(L(["sweep", "rounding", "--variant", "smoke", "--jobs", "1", "--data-dir", one]).status).toBe(0);
    expect(L(["sweep", "rounding", "--variant", "smoke", "--jobs", "2", "--data-dir", two]).status).toBe(0);
    const a = results("rounding", one);
    expect(a.filter((r) => r.status === "done")).toHaveLength(5);
    expect(errors(results("rounding", two))).toEqual(errors(a));
  }, 600_000);
});

describe("bad definitions and options", () => {
  it("an unknown experiment or --only key is a usage error", () => {
    const a = L(["sweep", "nope"]);
    expect(a.status).toBe(2);
    expect(a.err).toMatch(/^lowprec sweep: unknown experiment "nope" \(known: formats, overflow-rate, /);
    const b = L(["sweep", "table2", "--only", "widths=3"]);
    expect(b.status).toBe(2);
    expect(b.err.split("\n")[0]).toContain('unknown key "widths"');
  });
  it("the long variant: only prop-bits and update-bits have it, and it is a section of the budget page", () => {
    const d = join(root, "long");
    const rep = L(["reproduce", "--variant", "long", "--dry-run", "--data-dir", d]);
    expect(rep.status).toBe(2);
    expect(rep.err.split("\n")[0]).toContain("--variant long: only prop-bits and update-bits have it");
    const page = L(["report", "--variant", "long", "--out", join(root, "long-report")]);
    expect(page.status).toBe(2);
    expect(page.err.split("\n")[0]).toContain("--variant long: its runs are a section of the budget page");
    // the images variant (table2's CIFAR-10 from an image folder) likewise
    const imgRep = L(["reproduce", "--variant", "images", "--dry-run", "--data-dir", d]);
    expect(imgRep.status).toBe(2);
    expect(imgRep.err.split("\n")[0]).toContain("--variant images: only table2 has it");
    const imgPage = L(["report", "--variant", "images", "--out", join(root, "images-report")]);
    expect(imgPage.status).toBe(2);
    expect(imgPage.err.split("\n")[0]).toContain("--variant images: its runs are a section of the budget page");
    const t2 = L(["sweep", "table2", "--variant", "long", "--dry-run", "--data-dir", d]);
    expect(t2.status).toBe(2);
    expect(t2.err.split("\n")[0]).toBe(
      "lowprec sweep: --variant long: table2 has no long variant (it has: paper, budget, images, smoke)",
    );
    const knees = L(["sweep", "update-bits", "--variant", "long", "--dry-run", "--data-dir", d]);
    expect(knees.status).toBe(0);
    // dfxp 8–14 and 16, fixed 12–22 (the values both share), and float32: 15 points × 3 seeds, whole training set
    expect(knees.out).toMatch(/update-bits\/long: 45 runs, 0 done, 45 to run, 0 without data; about /);
  });
  it("reproduce --dry-run: every experiment's estimate is a real one, and a total line adds them up", () => {
    const r = L(["reproduce", "--variant", "smoke", "--dry-run", "--data-dir", join(root, "dry-reproduce")]);
    expect(r.status, r.err).toBe(0);
    const abouts = [...r.out.matchAll(/^([a-z0-9-]+)\/smoke: .*; about (\S+) with /gm)].map((m) => [m[1], m[2]]);
    expect(abouts.map((a) => a[0])).toEqual(["table2", "radix-point", "prop-bits", "update-bits", "overflow-rate"]);
    for (const [name, about] of abouts) expect(about, name).not.toBe("0s");
    const total = r.out.split("\n").find((l) => l.startsWith("total (smoke): "));
    expect(total).toMatch(/^total \(smoke\): about [1-9]\d*s for 25 run\(s\) to run in 5 experiment\(s\), one after /);
    expect(total).toMatch(/, one after the other \(built-in rate; no history on this machine\)$/);
  });
  it("--dry-run lists the runs with an estimate and runs nothing", () => {
    const d = join(root, "dry");
    const r = L(["sweep", "prop-bits", "--variant", "budget", "--dry-run", "--data-dir", d]);
    expect(r.status).toBe(0);
    // the budget variant's 3 seeds per cell: 16 PI-MNIST points × 3, and as many CIFAR-10 runs without data
    expect(r.out).toMatch(/prop-bits\/budget: 96 runs, 0 done, 48 to run, 48 without data; about /);
    for (const seed of [1234, 1235, 1236])
      expect(r.out).toContain(`pi-mnist dfxp propagationBits=10 updateBits=32 seed ${seed}: 20 epochs, to run, ~`);
    const one = L(["sweep", "prop-bits", "--variant", "budget", "--seeds", "1", "--dry-run", "--data-dir", d]);
    expect(one.out).toMatch(/prop-bits\/budget: 32 runs, 0 done, 16 to run, 16 without data; about /);
    expect(existsSync(join(d, "results"))).toBe(false);
  });
});
