// Run folders never lose, mix or silently corrupt a result: each case drives the installed command
// (bin/lowprec.js, a separate process as a user would run it) on small MNIST subsets.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManifestWriter } from "@lowprec/storage";
import { bin, lowprec } from "./lowprec.js";
import { describe, expect, it } from "vitest";

const root = mkdtempSync(join(tmpdir(), "lowprec-runs-"));
const P = ["train", "--preset", "pi-mnist", "--train-limit", "1000", "--eval-limit", "500"];

const L = (args: string[], env: Record<string, string> = {}) => lowprec(args, { env });
const read = (p: string) => readFileSync(p, "utf8");
const json = <T>(p: string) => JSON.parse(read(p)) as T;
const temps = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /\.tmp-\d+-/.test(f));

describe("a folder holds one run", () => {
  it("is refused without --resume, naming it; --force deletes the old run's files first", () => {
    const d = join(root, "refuse");
    const dfxp = ["--precision", "dfxp", "--calibration-epochs", "1", "--range-every", "500"];
    expect(L([...P, ...dfxp, "--epochs", "2", "--out", d]).status).toBe(0);
    expect(existsSync(join(d, "scales", "epoch-0002.csv"))).toBe(true);
    const before = read(join(d, "checkpoint.bin"));
    const again = L([...P, ...dfxp, "--epochs", "1", "--out", d]);
    expect(again.status).toBe(1);
    expect(again.err).toContain(`${d} already holds a run (pi-mnist dfxp, 2 of 2 epochs done)`);
    expect(again.err).toContain("--resume continues it, --force deletes it");
    expect(read(join(d, "checkpoint.bin"))).toBe(before);
    const forced = L([...P, ...dfxp, "--epochs", "1", "--out", d, "--force"]);
    expect(forced.status).toBe(0);
    expect(forced.out).toContain(`--force: removing the run in ${d}`);
    expect(existsSync(join(d, "scales", "epoch-0002.csv"))).toBe(false);
    expect(json<{ epochs: number }>(join(d, "summary.json")).epochs).toBe(1);
  }, 120_000);

  it("--resume on a folder without a checkpoint says it starts fresh", () => {
    const r = L([...P, "--epochs", "1", "--out", join(root, "fresh"), "--resume"]);
    expect(r.status).toBe(0);
    expect(r.out).toContain(`no checkpoint in ${join(root, "fresh")}: starting fresh`);
  }, 60_000);

  it("has one writer: a second process on the same folder is refused while the first runs", async () => {
    const d = join(root, "two");
    const first = spawn(process.execPath, [bin, ...P, "--epochs", "6", "--out", d], { stdio: "ignore" });
    const done = new Promise<number | null>((res) => first.on("exit", (c) => res(c)));
    const t0 = Date.now();
    while (!existsSync(join(d, ".lock")) && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 20));
    const second = L([...P, "--epochs", "6", "--out", d, "--resume"]);
    expect(second.status).toBe(1);
    expect(second.err).toMatch(new RegExp(`${d} is in use by pid ${first.pid} on `));
    expect(await done).toBe(0);
    expect(existsSync(join(d, ".lock"))).toBe(false);
  }, 120_000);
});

describe("what is read back is verified", () => {
  const d = join(root, "corrupt");
  const ck = join(d, "checkpoint.bin");
  it("a checkpoint with a flipped bit, a damaged header or appended bytes is refused, naming the file", () => {
    expect(L([...P, "--epochs", "1", "--out", d]).status).toBe(0);
    const good = readFileSync(ck);
    const damage: [string, (b: Buffer) => Buffer][] = [
      ["bit flip in the data", (b) => Buffer.from(b.map((x, i) => (i === b.length - 100 ? x ^ 4 : x)))],
      ["damaged JSON header", (b) => Buffer.from(b.map((x, i) => (i === 20 ? 0x7b : x)))],
      ["appended garbage", (b) => Buffer.concat([b, Buffer.from("garbage")])],
    ];
    for (const [what, f] of damage) {
      writeFileSync(ck, f(good));
      const r = L([...P, "--epochs", "2", "--out", d, "--resume"]);
      expect(r.status, what).toBe(1);
      expect(r.err.trim().split("\n"), what).toHaveLength(1);
      expect(r.err, what).toContain(`${ck} is corrupt`);
    }
    writeFileSync(ck, good);
  }, 120_000);

  it("a resume with another configuration is refused before anything is written", () => {
    const config = read(join(d, "config.json"));
    const r = L([...P, "--precision", "half", "--epochs", "2", "--out", d, "--resume"]);
    expect(r.status).toBe(1);
    expect(read(join(d, "config.json"))).toBe(config);
  }, 60_000);

  it("a checkpoint beyond --epochs is an error, not a completed run", () => {
    const r = L([...P, "--epochs", "0", "--out", d, "--resume"]);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/epoch 1/);
  }, 60_000);
});

describe("no meaningless success", () => {
  it("an evaluation or training split of zero batches is an error before training", () => {
    const few = L([
      ...P.slice(0, 3),
      "--train-limit",
      "1000",
      "--eval-limit",
      "50",
      "--epochs",
      "1",
      "--out",
      join(root, "few"),
    ]);
    // NOTE: checked against the loaded data before the run folder opens: a bad command line, exit 2
    expect(few.status).toBe(2);
    expect(few.err).toMatch(/50/);
    expect(existsSync(join(root, "few", "config.json"))).toBe(false);
    const big = L([...P, "--batch", "100000", "--epochs", "1", "--out", join(root, "big")]);
    expect(big.status).toBe(2);
    expect(big.err).toMatch(/option --batch: train split: \d+ examples .*give no batch of 100000/);
    expect(big.out + big.err).not.toMatch(/NaN|Infinity/);
  }, 60_000);

  it("options that the chosen precision would ignore are refused", () => {
    for (const [precision, flag] of [
      ["fp32", "--prop-bits"],
      ["half", "--integer-bits"],
      ["fixed", "--max-overflow-rate"],
    ] as const) {
      const r = L([...P, "--precision", precision, flag, "1", "--epochs", "1"]);
      expect(r.status, `${precision} ${flag}`).toBe(2);
      expect(r.err.split("\n")[0]).toContain(flag);
    }
    for (const kind of ["delayed-amax", "current-amax", "predictive"]) {
      const amax = L([...P, "--precision", "dfxp", "--scaling", kind, "--max-overflow-rate", "0.01"]);
      expect(amax.status, kind).toBe(2);
      expect(amax.err.split("\n")[0], kind).toContain(`${kind} scaling does not use the overflow rate`);
    }
  });

  it("a folder that cannot be written fails at once with one line (no spin on /proc)", () => {
    const r = L([...P, "--epochs", "1", "--out", "/proc/lowprec-x"]);
    expect(r.status).toBe(1);
    expect(r.err).toContain("/proc/lowprec-x");
  }, 60_000);
});

describe("sweeps reuse a run only when it is the same run", () => {
  it("another seed or subset is a new run; the same one is done already", () => {
    const def = join(root, "reuse.json");
    const write = (trainLimit: number) =>
      writeFileSync(
        def,
        JSON.stringify({
          name: "reuse",
          title: "t",
          description: "t",
          datasets: ["pi-mnist"],
          settings: [{ name: "fp32", precision: "fp32" }],
          variants: { smoke: { description: "s", epochs: 1, trainLimit, evalLimit: 500 } },
        }),
      );
    const sweep = (...more: string[]) =>
      L(["sweep", def, "--variant", "smoke", "--data-dir", join(root, "reuse"), ...more]);
    write(1000);
    expect(sweep().out).toContain("1 ran, 0 were done");
    expect(sweep().out).toContain("0 ran, 1 were done");
    expect(sweep("--seeds", "2").out).toContain("1 ran, 1 were done");
    write(2000);
    expect(sweep().out).toContain("1 ran, 0 were done");
    expect(readdirSync(join(root, "reuse", "results", "reuse", "smoke"))).toHaveLength(3);
  }, 180_000);
});

describe("what changes the bits is recorded", () => {
  it("BLAS threads are in config.json, and a resume under others warns", () => {
    const d = join(root, "threads");
    expect(L([...P, "--epochs", "1", "--out", d], { OPENBLAS_NUM_THREADS: "1" }).status).toBe(0);
    type Rec = { environment: { bits: { blas: boolean; blasThreads: number } }; earlier: { bits: unknown }[] };
    const rec = json<Rec>(join(d, "config.json"));
    if (!rec.environment.bits.blas) {
      expect(rec.environment.bits.blasThreads).toBe(0);
      return; // the TypeScript backend has no BLAS threads to differ
    }
    expect(rec.environment.bits.blasThreads).toBe(1);
    const r = L([...P, "--epochs", "2", "--out", d, "--resume"], { OPENBLAS_NUM_THREADS: "2" });
    expect(r.status).toBe(0);
    expect(r.out).toContain("warning: resuming under other settings (blasThreads 1 → 2)");
    const after = json<Rec>(join(d, "config.json"));
    expect(after.environment.bits.blasThreads).toBe(2);
    expect(after.earlier).toHaveLength(1);
    expect(temps(d)).toEqual([]);
  }, 120_000);

  it("the SIMD path is printed and recorded; a record made before it resumes without a warning", () => {
    const d = join(root, "simd");
    const first = L([...P, "--epochs", "1", "--out", d], { LOWPREC_SIMD: "portable" });
    expect(first.status).toBe(0);
    type Rec = { environment: { bits: { backend: string; simd?: string } } };
    const file = join(d, "config.json");
    const rec = json<Rec & Record<string, unknown>>(file);
    if (rec.environment.bits.backend === "ts") {
      expect(rec.environment.bits.simd).toBe("");
      return; // the TypeScript backend has no SIMD path
    }
    expect(first.out).toMatch(/backend: native \(.*portable kernels\)/);
    expect(rec.environment.bits.simd).toBe("portable");
    // the record as written before the SIMD path was recorded (through the folder's seal, as that code wrote it):
    // resumed on another path, no warning
    delete rec.environment.bits.simd;
    const seal = ManifestWriter.open(d);
    seal.write("config.json", JSON.stringify(rec, null, 2));
    seal.settle();
    const resumed = L([...P, "--epochs", "2", "--out", d, "--resume"]);
    expect(resumed.status, resumed.err).toBe(0);
    expect(resumed.out).not.toContain("resuming under other settings");
    const now = json<Rec>(file).environment.bits.simd;
    if (now === "portable") return; // a CPU without AVX2: no other path to resume on
    // a recorded path that differs is named
    const again = L([...P, "--epochs", "3", "--out", d, "--resume"], { LOWPREC_SIMD: "portable" });
    expect(again.status).toBe(0);
    expect(again.out).toContain(`warning: resuming under other settings (simd "${now}" → "portable")`);
  }, 120_000);
});
