/**
 * The train command end to end on the embedded MNIST: it learns (fp32 and dfxp 10/12 on a subset, loose
 * bounds for CI; the full 10-epoch figures are in libs/maxout's report), writes the run folder, resumes.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { invoke } from "../command.js";
import { command } from "./train.js";

function quiet<T>(f: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => {};
  return f().finally(() => {
    console.log = log;
  });
}

const summary = (dir: string) =>
  JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as {
    testErrorAtBestValid: number;
    bestEpoch: number;
    completed: boolean;
  };

describe("lowprec train on MNIST (subset)", () => {
  const root = mkdtempSync(join(tmpdir(), "lowprec-train-"));
  const common = ["--preset", "pi-mnist", "--train-limit", "20000", "--eval-limit", "5000"];

  it("fp32 learns, and the run folder holds config, metrics, scales, checkpoint and summary", async () => {
    const dir = join(root, "fp32");
    expect(await quiet(() => invoke(command, [...common, "--precision", "fp32", "--epochs", "2", "--out", dir]))).toBe(
      0,
    );
    expect(summary(dir).testErrorAtBestValid).toBeLessThan(8);
    for (const f of ["config.json", "metrics.csv", "metrics.json", "checkpoint.bin", "summary.json"])
      expect(existsSync(join(dir, f))).toBe(true);
    // header + epochs 0, 1, 2
    expect(readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n")).toHaveLength(4);
    expect(readdirSync(dir).some((f) => f.includes(".tmp-"))).toBe(false);
  }, 120_000);

  it("dfxp 10/12 learns within a few points of fp32 and writes the scale telemetry", async () => {
    const dir = join(root, "dfxp");
    expect(
      await quiet(() =>
        invoke(command, [
          ...common,
          "--precision",
          "dfxp",
          "--epochs",
          "2",
          "--calibration-epochs",
          "1",
          "--range-every",
          "5000",
          "--out",
          dir,
        ]),
      ),
    ).toBe(0);
    expect(summary(dir).testErrorAtBestValid).toBeLessThan(summary(join(root, "fp32")).testErrorAtBestValid + 3);
    const scales = readFileSync(join(dir, "scales", "epoch-0001.csv"), "utf8")
      .trim()
      .split("\n");
    expect(scales[0]).toBe(
      "phase,epoch,batch,examples,layer,group,integerBits,overflowRate,overflowRateHalfRange,amax",
    );
    expect(scales.length - 1).toBe(4 * 3 * 10); // 4 windows × 3 layers × 10 groups
    expect(readFileSync(join(dir, "scales", "epoch-0000.csv"), "utf8")).toContain("calibration");
  }, 240_000);

  it("--resume continues a finished run to more epochs", async () => {
    const dir = join(root, "fp32");
    expect(
      await quiet(() => invoke(command, [...common, "--precision", "fp32", "--epochs", "3", "--out", dir, "--resume"])),
    ).toBe(0);
    const s = summary(dir);
    expect(s.completed).toBe(true);
    expect(readFileSync(join(dir, "metrics.csv"), "utf8").trim().split("\n")).toHaveLength(5);
  }, 120_000);

  it("bad options are usage errors naming the option", async () => {
    await expect(invoke(command, ["--precision", "dfxp", "--prop-bits", "40"])).rejects.toThrow(/propagationBits/);
    await expect(invoke(command, ["--preset", "imagenet"])).rejects.toThrow(/--preset: unknown "imagenet"/);
  });
});
