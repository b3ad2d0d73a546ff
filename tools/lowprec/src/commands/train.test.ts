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
      "phase,epoch,batch,examples,layer,group,integerBits,overflowRate,overflowRateHalfRange,flushRate,amax",
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

  it("--range-every-batches sets the window; a short run warns that its scales cannot move or settle", async () => {
    const dir = join(root, "dfxp-short");
    const lines: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => lines.push(a.join(" "));
    try {
      const args = ["--preset", "pi-mnist", "--train-limit", "1000", "--eval-limit", "500", "--precision", "dfxp"];
      expect(await invoke(command, [...args, "--epochs", "1", "--range-every-batches", "20", "--out", dir])).toBe(0);
    } finally {
      console.log = log;
    }
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as {
      config: { precision: { scaling: object }; faithfulness: { scaleWindow: string } };
    };
    expect(config.config.precision.scaling).toEqual({ kind: "overflow-rate", maxRate: 1e-4, everyBatches: 20 });
    expect(config.config.faithfulness.scaleWindow).toBe("per-epoch");
    // 10 batches an epoch never fill a window of 20 counted per epoch: one warning for calibration, one for training
    expect(lines.filter((l) => l.startsWith("warning: the calibration (2 epoch(s) of 10 batches)"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("warning: the training (1 epoch(s) of 10 batches)"))).toHaveLength(1);
    // the plan line counts the calibration epochs, the errors say which they are, the last line repeats the notes
    const calibration = "dfxp: 2 calibration epochs before the 1 training epoch";
    expect(lines).toContain(`run: pi-mnist dfxp, 1 epoch, batch 100, seed 1234; ${calibration}`);
    const settle = lines.filter((l) =>
      l.startsWith("warning: too short for the dfxp scales to settle: 0 scale window"),
    );
    expect(settle).toHaveLength(1);
    expect(lines.find((l) => l.startsWith("epoch 1/1"))).toMatch(/ train error .* valid error .* test error .* best /);
    expect(lines.at(-1)).toMatch(
      /^done: test error \d+\.\d\d % \((valid error \d+\.\d\d %, epoch 1|untrained: .*)\); /,
    );
    expect(lines.at(-1)).toContain(`; ${calibration}; ${settle[0]}`);
    const scales = readFileSync(join(dir, "scales", "epoch-0001.csv"), "utf8")
      .trim()
      .split("\n");
    expect(scales).toHaveLength(1); // the header only: no window closed
  }, 120_000);

  it("bad options are usage errors naming the option", async () => {
    await expect(
      invoke(command, ["--precision", "dfxp", "--range-every", "10", "--range-every-batches", "2"]),
    ).rejects.toThrow(
      /--range-every, --range-every-batches: the scale window is given in examples or in batches, not both/,
    );
    await expect(invoke(command, ["--precision", "fixed", "--range-every-batches", "2"])).rejects.toThrow(
      /--range-every-batches: fixed point has one global scale/,
    );
    await expect(invoke(command, ["--precision", "dfxp", "--prop-bits", "40"])).rejects.toThrow(
      /^option --prop-bits must be an integer from 2 to 32, got 40$/,
    );
    await expect(invoke(command, ["--preset", "imagenet"])).rejects.toThrow(
      /--preset: unknown preset "imagenet" \(known: /,
    );
  });
});
