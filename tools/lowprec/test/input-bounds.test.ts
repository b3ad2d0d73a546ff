// Issue 20 (items 9, 10, 12 and the minor ones), each case first reproduced as the hostile review found it: no input
// hangs, overflows or writes outside the data root, --force validates before it deletes, and two concurrent sweeps
// of one store both succeed with every run trained exactly once.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { loadExperiment, loadSplits, runSweep, runTraining } from "@lowprec/experiments";
import { resolveConfig } from "@lowprec/maxout";
import { writeTinyExperiment } from "./experiments.js";
import { bin, lowprec, type Ran } from "./lowprec.js";
import { describe, expect, it } from "vitest";
import { command as trainCommand } from "../src/commands/train.js";
import { parseCommandArgs, type Args } from "../src/command.js";
import { RANGES } from "../src/commands/train.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-bounds-"));

function L(args: string[], env: Record<string, string> = {}, timeout = 120_000): Ran {
  return lowprec(args, { env: { LOWPREC_DATA: join(root, "default-data"), ...env }, timeout });
}
/** `lowprec args` in the background; `watch` sees the standard output so far at each chunk. */
function Lasync(args: string[], watch: (out: string) => void = () => {}): Promise<Ran> {
  const t0 = performance.now();
  return new Promise((done) => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    c.stdout.on("data", (b: Buffer) => {
      out += b.toString();
      watch(out);
    });
    c.stderr.on("data", (b: Buffer) => (err += b.toString()));
    c.on("close", (status, signal) => done({ status, signal, out, err, ms: performance.now() - t0 }));
  });
}
/** Every file under `dir`, relative, with its SHA-256. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return files;
}
/** A smoke-sized definition in a temp folder (one-epoch PI-MNIST runs on 500 examples). */
function definition(name: string, fields: Record<string, unknown> = {}): string {
  const dir = join(root, `def-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const path = join(dir, "experiment.json");
  const description = "tiny runs for the input-bounds tests";
  writeTinyExperiment(path, { name, description, epochs: 1, trainLimit: 500, evalLimit: 200 }, fields);
  return path;
}
const firstLine = (r: Ran) => r.err.split("\n")[0] ?? "";

describe("item 9: a definition cannot write outside the data root", () => {
  it('"name": "../../../x/ESCAPED" is refused, naming the file and the field, and nothing is written', () => {
    const outer = join(root, "escape");
    const data = join(outer, "a", "b", "data");
    const def = definition("../../../x/ESCAPED");
    const r = L(["sweep", def, "--variant", "smoke", "--data-dir", data]);
    expect(r.status).toBe(1);
    expect(firstLine(r)).toBe(
      `lowprec sweep: ${def}: name: "../../../x/ESCAPED" is not a name ` +
        "(lower-case letters, digits and '-', starting with a letter or digit)",
    );
    // where the runs went on main: <data>/results/../../../x/ESCAPED = <outer>/a/x/ESCAPED
    expect(existsSync(join(outer, "a", "x"))).toBe(false);
    expect(existsSync(outer)).toBe(false);
  });
});

describe("item 10: no numeric input hangs or overflows", () => {
  it("sweep --dry-run --seeds 1e9 is a usage error at once (it printed nothing for 10 minutes, 3.3 GB)", () => {
    const r = L(["sweep", "rounding", "--dry-run", "--seeds", "1e9", "--data-dir", join(root, "d")], {}, 30_000);
    expect(r.status).toBe(2);
    expect(firstLine(r)).toBe("lowprec sweep: option --seeds must be a positive integer (at most 100), got 1e9");
    // node's start and loading the commands is most of it; the plan is never built
    expect(r.ms).toBeLessThan(5000);
  });
  it("train --precision dfxp --calibration-epochs 1e9 is refused (it ran until killed)", () => {
    const r = L(["train", "--precision", "dfxp", "--calibration-epochs", "1e9"], {}, 30_000);
    expect(r.status).toBe(2);
    expect(firstLine(r)).toBe(
      "lowprec train: option --calibration-epochs must be 0 or a positive integer (at most 100), got 1e9",
    );
    const big = L(["train", "--precision", "dfxp", "--calibration-epochs", "101"], {}, 30_000);
    expect(firstLine(big)).toBe(
      "lowprec train: option --calibration-epochs must be 0 or a positive integer (at most 100), got 101",
    );
  });
  it("train --epochs 99999999999999999999 is refused (it was accepted)", () => {
    const r = L(["train", "--epochs", "99999999999999999999"], {}, 30_000);
    expect(r.status).toBe(2);
    expect(firstLine(r)).toBe(
      "lowprec train: option --epochs must be 0 or a positive integer (at most 100000), got 99999999999999999999",
    );
  });
});

describe("item 12: --force validates before deleting", () => {
  it("train --out <finished run> --force --batch 100000 fails and leaves every file of the old run", () => {
    const data = join(root, "force-data");
    const out = join(root, "force-run");
    const first = L([
      "train",
      "--epochs",
      "1",
      "--train-limit",
      "500",
      "--eval-limit",
      "200",
      "--out",
      out,
      "--data-dir",
      data,
    ]);
    expect(first.status, first.err).toBe(0);
    const before = snapshot(out);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["summary.json", "checkpoint.bin", "config.json"]));
    const r = L(["train", "--out", out, "--force", "--batch", "100000", "--data-dir", data]);
    expect(r.status).toBe(2);
    expect(firstLine(r)).toBe(
      "lowprec train: option --batch: train split: 50000 examples give no batch of 100000 " +
        "(partial batches are dropped: dropPartialBatches)",
    );
    expect(r.out).not.toContain("--force: removing");
    expect(snapshot(out)).toEqual(before);
    // the library too: runTraining checks the splits before it opens the folder in mode "force"
    const config = resolveConfig("pi-mnist", "fp32", { hyper: { epochs: 1, batch: 100_000 } });
    const splits = loadSplits("pi-mnist", data, () => {});
    expect(() => runTraining(config, splits, { dir: out, mode: "force", log: () => {} })).toThrow(
      /train split: 50000 examples give no batch of 100000/,
    );
    expect(snapshot(out)).toEqual(before);
  });
});

describe("minor items", () => {
  it("--data-dir '' is a usage error (it wrote to the repository's data/)", () => {
    const r = L(["train", "--epochs", "0", "--data-dir", ""], {}, 30_000);
    expect(r.status).toBe(2);
    expect(firstLine(r)).toBe("lowprec train: option --data-dir: empty; give a folder (or leave the option out)");
    const s = L(["sweep", "rounding", "--dry-run", "--data-dir="], {}, 30_000);
    expect(s.status).toBe(2);
  });
  it("results, report --collect and sweep --status name a data root that does not exist (exit 1, no table)", () => {
    const typo = join(root, "typo");
    const r = L(["results", "table2", "--data-dir", typo], {}, 30_000);
    expect(r.status).toBe(1);
    expect(firstLine(r)).toBe(`lowprec results: data root ${typo} does not exist (--data-dir, $LOWPREC_DATA)`);
    expect(r.out).not.toContain("not run");
    const rep = L(["report", "--collect", "--out", join(root, "rep"), "--data-dir", typo], {}, 30_000);
    expect(rep.status).toBe(1);
    expect(firstLine(rep)).toContain(`data root ${typo} does not exist`);
    expect(existsSync(join(root, "rep"))).toBe(false);
    const st = L(["sweep", "table2", "--queue", "redis://127.0.0.1:1", "--status", "--data-dir", typo], {}, 30_000);
    expect(st.status).toBe(1);
    expect(firstLine(st)).toContain(`data root ${typo} does not exist`);
  });
  it("--train-limit above the training split is a usage error naming its size (it was recorded as used)", () => {
    const r = L(["train", "--train-limit", "60000", "--epochs", "0", "--data-dir", join(root, "tl")]);
    expect(r.status).toBe(2);
    expect(firstLine(r)).toBe(
      "lowprec train: option --train-limit: 60000 is more than the 50000 examples of the training split",
    );
    const big = L(["train", "--train-limit", "1000000"], {}, 30_000);
    expect(firstLine(big)).toBe(
      "lowprec train: option --train-limit must be 0 or a positive integer (at most 598388), got 1000000",
    );
  });
  it("--epochs 0x2, ' 2' and other non-decimal spellings are refused", () => {
    // NOTE: a value written as a number is shown as typed, anything else quoted (so " 2" and "" show)
    const shown = (v: string) => (["2e0", "2.0"].includes(v) ? v : `"${v}"`);
    for (const v of ["0x2", " 2", "2 ", "+2", "", "0b10", "0o2", "2e0", "1_000", "Infinity", "2.0"]) {
      const r = L(["train", `--epochs=${v}`], {}, 30_000);
      expect(r.status, v).toBe(2);
      const got = shown(v);
      expect(firstLine(r), v).toBe(
        `lowprec train: option --epochs must be 0 or a positive integer (at most 100000), got ${got}`,
      );
    }
  });
  it("--only with a swept value in hex is refused (it matched the decimal value)", () => {
    const r = L(["sweep", "rounding", "--dry-run", "--only", "propagationBits=0x0e"], {}, 30_000);
    expect(r.status).toBe(2);
    expect(firstLine(r)).toBe('lowprec sweep: option --only: propagationBits takes a plain decimal number; got "0x0e"');
    const ok = L(["sweep", "rounding", "--dry-run", "--only", "propagationBits=14"], {}, 30_000);
    expect(ok.status, ok.err).toBe(0);
  });
  it("--epochs -3 says what the option expects, not that it needs a value (issue 23: nor to write --epochs=-3)", () => {
    const message = "lowprec train: option --epochs must be 0 or a positive integer (at most 100000), got -3";
    for (const argv of [["--epochs", "-3"], ["--epochs=-3"]]) {
      const r = L(["train", ...argv], {}, 30_000);
      expect(r.status).toBe(2);
      expect(firstLine(r)).toBe(message);
    }
    // a value that may be negative goes through, with "=" or without
    expect(L(["formats", "--format", "fixed20.5", "--value=-1.5"], {}, 30_000).status).toBe(0);
    expect(L(["formats", "--format", "fixed20.5", "--value", "-1.5"], {}, 30_000).status).toBe(0);
  });
  it("LOWPREC_THREADS=99999 is an error naming the variable and the value (it became 64 silently)", () => {
    const r = L(["train", "--epochs", "0", "--data-dir", join(root, "thr")], { LOWPREC_THREADS: "99999" }, 30_000);
    expect(r.status).toBe(1);
    expect(r.err).toContain('LOWPREC_THREADS must be an integer in [1, 64], got "99999"');
  });
  it("a swept value listed twice ([12, 12]) is refused by value (it gave duplicate rows, a spurious FAILED)", () => {
    const def = definition("dup", {
      settings: [
        { name: "fp32", precision: "fp32" },
        { name: "dfxp", precision: "dfxp", propagationBits: [12, 12] },
      ],
    });
    const r = L(["sweep", def, "--variant", "smoke", "--dry-run", "--data-dir", join(root, "dup")], {}, 30_000);
    expect(r.status).toBe(1);
    expect(firstLine(r)).toBe(`lowprec sweep: ${def}: settings[1].propagationBits: 12 is listed twice`);
  });
  it("every numeric option of train has a range, and the parser takes plain decimal only", () => {
    const numeric = Object.entries(trainCommand.options).filter(([, s]) => s.value === "N" || s.value === "X");
    for (const [name] of numeric) expect(RANGES, name).toHaveProperty(name);
    const args = (v: string) => parseCommandArgs(trainCommand, [`--lr=${v}`]) as Args;
    expect(args("0.05").number("lr", RANGES.lr)).toBe(0.05);
    expect(args("5e-2").number("lr", RANGES.lr)).toBe(0.05);
    expect(args(".5").number("lr", RANGES.lr)).toBe(0.5);
    for (const bad of ["0x1", " 1", "1e400", "-0.1", "1e3", "NaN", "."])
      expect(() => args(bad).number("lr", RANGES.lr), bad).toThrow(/^option --lr must be a number from 0 to 100, got /);
  });
});

describe("dry runs", () => {
  it("print each run as it is planned, the totals last", async () => {
    const lines: string[] = [];
    const def = loadExperiment(definition("stream"));
    const report = await runSweep({
      experiment: def,
      variant: "smoke",
      dataDir: join(root, "stream"),
      dryRun: true,
      seeds: 100,
      log: (l) => lines.push(l),
    });
    expect(report.planned).toBe(300);
    expect(lines.length).toBe(301);
    expect(lines[0]).toMatch(/^ {2}[0-9a-f]+ {2}pi-mnist fp32 seed 1234: 1 epoch, to run, ~/);
    expect(lines.at(-1)).toMatch(/^stream\/smoke: 300 runs, 0 done, 300 to run, 0 without data; about /);
  });
});

describe("two concurrent sweeps of one store", () => {
  it("both exit 0, every run trained exactly once (each counted the other's locked runs as failures)", async () => {
    const def = definition("concurrent", {
      settings: [
        { name: "fp32", precision: "fp32" },
        { name: "dfxp", precision: "dfxp", propagationBits: [8, 10, 12] },
      ],
    });
    const data = join(root, "concurrent");
    const argv = ["sweep", def, "--variant", "smoke", "--jobs", "1", "--data-dir", data];
    const [a, b] = await Promise.all([Lasync(argv), Lasync(argv)]);
    expect(a.status, a.err + a.out).toBe(0);
    expect(b.status, b.err + b.out).toBe(0);
    const out = a.out + b.out;
    expect(out).not.toContain("FAILED");
    // a run this process trained says its errors; one the other process finished says so
    const trained = [...out.matchAll(/^done (.*): test /gm)].map((m) => m[1]);
    expect(trained.sort()).toEqual([...new Set(trained)].sort());
    expect(trained.length).toBe(4);
    for (const r of [a, b])
      expect(r.out).toMatch(/: \d+ ran, \d+ were done, (\d+ finished by another process, )?0 failed, 0 without data/);
    const runs = join(data, "results", "concurrent", "smoke");
    const ids = readdirSync(runs);
    expect(ids.length).toBe(4);
    for (const id of ids) {
      const summary = JSON.parse(readFileSync(join(runs, id, "summary.json"), "utf8")) as { completed: boolean };
      expect(summary.completed).toBe(true);
    }
  }, 600_000);
  it("a run held by a live process that stops without finishing it is resumed by the sweep (exit 0)", async () => {
    const def = definition("held");
    const data = join(root, "held");
    const argv = ["sweep", def, "--variant", "smoke", "--jobs", "1", "--data-dir", data];
    const ids = [...L([...argv, "--dry-run"], {}, 30_000).out.matchAll(/^ {2}([0-9a-f]+) {2}pi-mnist fp32/gm)];
    const dir = join(data, "results", "held", "smoke", ids[0]![1]!);
    // another process "runs" the fp32 run; it dies without a summary once the sweep has found it holding the run
    const holder = spawn("sleep", ["600"]);
    mkdirSync(dir, { recursive: true });
    const lock = { pid: holder.pid, host: hostname(), started: new Date().toISOString(), command: "test" };
    writeFileSync(join(dir, ".lock"), JSON.stringify(lock));
    const r = await Lasync(argv, (out) => {
      if (out.includes("running in another process")) holder.kill("SIGKILL");
    });
    holder.kill("SIGKILL");
    expect(r.status, r.err + r.out).toBe(0);
    expect(r.out).toContain(`running in another process (pid ${holder.pid}, ${hostname()}): pi-mnist fp32 seed 1234`);
    expect(r.out).toContain("resuming 1 run(s) another process left unfinished");
    expect(r.out).toMatch(/^done pi-mnist fp32 seed 1234: test /m);
    expect(r.out).toContain("3 ran, 0 were done, 0 failed, 0 without data");
  }, 600_000);
});
