// `lowprec train --preset vit-mnist` (issue 26): the vision Transformer trains into a run folder and resumes like the
// Maxout presets; options the ViT would ignore, and settings it cannot run, are refused in one line naming them.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCommandArgs, type Args } from "../src/command.js";
import { command, configFromArgs } from "../src/commands/train.js";
import { lowprec } from "./lowprec.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-train-vit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const parse = (argv: string[]): Args => {
  const a = parseCommandArgs(command, argv);
  if (a === "help") throw new Error("help");
  return a;
};
const config = (precision: string, rest: string[] = []) =>
  configFromArgs(parse(["--preset", "vit-mnist", "--precision", precision, ...rest]), "vit-mnist", precision);

describe("lowprec train --preset vit-mnist: the configuration", () => {
  it("takes the ViT preset, the precision preset and the run options", () => {
    const c = config("dfxp", [
      "--epochs",
      "4",
      "--lr",
      "0.02",
      "--seed",
      "7",
      "--prop-bits",
      "8",
      "--train-limit",
      "500",
    ]);
    expect(c).toMatchObject({
      kind: "vit",
      preset: "vit-mnist",
      hyper: { epochs: 4, learningRate: 0.02, seed: 7, batch: 32 },
      precision: { format: "dynamic-fixed", propagationBits: 8, updateBits: 12 },
      trainLimit: 500,
    });
  });

  it("refuses in one line what the ViT would ignore or cannot run", () => {
    const one = (precision: string, rest: string[], re: RegExp) => {
      expect(() => config(precision, rest)).toThrow(re);
      expect(() => config(precision, rest)).not.toThrow(/\n/);
    };
    one("fp32", ["--compress-schedule"], /--compress-schedule.*follows --epochs already/);
    one("dfxp", ["--prop-bits", "10", "--switch", "dropPartialBatches=false"], /--switch.*Maxout trainer's/);
    one("mxfp8", ["--prop-bits", "6"], /--prop-bits.*scales every block/);
    one("dfxp", ["--prop-bits", "40"], /--prop-bits/);
    expect(() => configFromArgs(parse([]), "vit-cifar", "fp32")).toThrow(
      /unknown preset "vit-cifar"; did you mean "vit-cifar10"\?/,
    );
  });
});

describe("lowprec train --preset vit-mnist: a run", () => {
  it("trains into a run folder, refuses to overwrite it, and resumes a finished run without training again", () => {
    const out = join(root, "run");
    const args = ["train", "--preset", "vit-mnist", "--precision", "fp32", "--epochs", "1", "--train-limit", "256"];
    const first = lowprec([...args, "--eval-limit", "128", "--out", out]);
    expect(first.status, first.err).toBe(0);
    expect(first.out).toMatch(/^run: vit-mnist fp32, 1 epoch, batch 32, seed 1234$/m);
    expect(first.out).toMatch(/^done: test error \d+\.\d\d % /m);
    for (const f of ["config.json", "data.json", "metrics.json", "summary.json", "checkpoint.bin"])
      expect(existsSync(join(out, f))).toBe(true);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as Record<string, unknown>;
    expect(summary).toMatchObject({ preset: "vit-mnist", precision: "fp32", epochsDone: 1, completed: true });
    const again = lowprec([...args, "--eval-limit", "128", "--out", out]);
    expect(again.status).toBe(1);
    expect(again.err).toMatch(/--resume|--force/);
    const resumed = lowprec([...args, "--eval-limit", "128", "--out", out, "--resume"]);
    expect(resumed.status, resumed.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8"))).toMatchObject({
      testErrorAtBestValid: summary["testErrorAtBestValid"],
    });
  });
});
