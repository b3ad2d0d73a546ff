// Fault injection: a 20-epoch run is killed with SIGKILL many times — in the middle of checkpoint, metrics, scales and
// config writes (LOWPREC_FAULT_KILL, @lowprec/storage) and at seeded random moments — and resumed each time.
// It must end with the uninterrupted run's numbers, bit for bit, and leave no temp file behind.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uniformAt } from "@lowprec/formats";
import { describe, expect, it } from "vitest";

const bin = new URL("../bin/lowprec.js", import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), "lowprec-kill-"));
const RUN = [
  "train",
  "--preset",
  "pi-mnist",
  "--precision",
  "dfxp",
  "--calibration-epochs",
  "1",
  "--range-every",
  "500",
  "--train-limit",
  "1000",
  "--eval-limit",
  "500",
  "--epochs",
  "20",
];
// NOTE: the same threads in every process, so that only the kills differ.
const ENV = { ...process.env, OPENBLAS_NUM_THREADS: "1", LOWPREC_THREADS: "1" };

type Metrics = { epoch: number; loss: number; trainError: number; validError: number; testError: number }[];
const numbers = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8")) as Metrics).map((m) => [
    m.epoch,
    m.loss,
    m.trainError,
    m.validError,
    m.testError,
  ]);
const temps = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.tmp-\d+-/.test(f));

/** Runs to the end, or until killed after `ms` milliseconds; returns the exit code (null: killed). */
function runFor(args: string[], ms: number): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: ENV, stdio: "ignore" });
    const timer = setTimeout(() => p.kill("SIGKILL"), ms);
    p.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("a training run killed again and again", () => {
  it("resumes each time to the uninterrupted run's numbers, with no temp file left", async () => {
    const ref = join(root, "ref");
    expect(spawnSync(process.execPath, [bin, ...RUN, "--out", ref], { env: ENV }).status).toBe(0);
    const dir = join(root, "killed");
    const args = [...RUN, "--out", dir, "--resume"];
    let kills = 0;
    // 1. Kills inside writes, at the n-th write of a file in a process, before any epoch ends.
    const inWrite = (fault: string): boolean => {
      const r = spawnSync(process.execPath, [bin, ...args], { env: { ...ENV, LOWPREC_FAULT_KILL: fault } });
      if (r.status === 0) return false; // the run is complete: nothing left to kill
      expect(r.signal, fault).toBe("SIGKILL");
      expect(temps(dir).length, `${fault}: the killed writer's temp file is there until the next open`).toBe(1);
      kills++;
      return true;
    };
    for (const fault of ["checkpoint.bin:1", "metrics.json:1", "scales/epoch:2", "config.json:1"])
      expect(inWrite(fault), fault).toBe(true);
    // 2. Kills at seeded random moments (0.2-1.2 s after start: loading, calibration, training, writing).
    let code: number | null = null;
    for (let i = 0; i < 8 && code !== 0; i++) {
      code = await runFor(args, 200 + 1000 * uniformAt(7, i));
      if (code === null) kills++;
    }
    // 3. Kills inside writes after one more epoch each (the run advances by one epoch per process).
    const later = ["checkpoint.bin:2", "metrics.csv:2", "scales/epoch:3", "metrics.json:2"];
    for (const fault of [...later, ...later]) if (code !== 0 && !inWrite(fault)) code = 0;
    // 4. Then to the end.
    if (code !== 0) code = await runFor(args, 120_000);
    expect(code).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(12);
    console.log(`fault injection: ${kills} kills, then completed`);
    expect(numbers(dir)).toEqual(numbers(ref));
    expect(readdirSync(join(dir, "scales"))).toEqual(readdirSync(join(ref, "scales")));
    for (const f of readdirSync(join(ref, "scales")))
      expect(readFileSync(join(dir, "scales", f), "utf8")).toBe(readFileSync(join(ref, "scales", f), "utf8"));
    expect(temps(dir)).toEqual([]);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  }, 600_000);
});
