// The vision Transformer as a run kind (issue 26): its configuration resolves and refuses like a Maxout one (one
// line naming the field), and a run goes through the same run folder: config.json, data.json, metrics.json with
// epoch 0 and the best validation epoch, the calibration windows in scales epoch 0, checkpoints that a killed run
// resumes from to the same bits, a resume by another configuration refused. Maxout run ids do not move (the
// resolved-configs fixture pins them); a ViT id is its own.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMnist, writeSyntheticCifar10 } from "@lowprec/datasets";
import type { EpochMetrics } from "@lowprec/maxout";
import { decodeCheckpoint } from "@lowprec/storage";
import { nativeFloat64Available } from "@lowprec/tensor";
import { PRECISION_PRESETS } from "@lowprec/precision";
import type { VitEpoch } from "@lowprec/transformer";
import { loadSplits } from "../src/data.js";
import { expandRuns, type ExperimentDef } from "../src/definitions.js";
import { runId } from "../src/run-id.js";
import { runTraining } from "../src/run.js";
import {
  isVitConfig,
  resolveVitConfig,
  vitMetrics,
  vitScalesMove,
  vitWindowsClosed,
  type VitRunConfig,
} from "../src/vit-run.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-vit-run-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = () => undefined;
const mnist = loadMnist({});

/** A short dfxp ViT run: 256 training images, 128 evaluated, 2 epochs after 2 calibration epochs, a 3-batch window. */
function small(overrides: Partial<VitRunConfig["hyper"]> = {}): VitRunConfig {
  return resolveVitConfig("vit-mnist", "dfxp", {
    hyper: { epochs: 2, batch: 32, ...overrides },
    precision: { scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 3 } },
    trainLimit: 256,
    evalLimit: 128,
  });
}

const readJson = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, name), "utf8")) as unknown;
const noTimes = (h: readonly EpochMetrics[]) =>
  h.map(({ seconds: _s, trainSeconds: _t, examplesPerSecond: _e, ...rest }) => rest);

describe("resolveVitConfig", () => {
  it("takes the preset's network, schedule and seed, and the precision preset", () => {
    const c = resolveVitConfig("vit-mnist", "fp32");
    expect(c.kind).toBe("vit");
    expect(c.network.dim).toBe(64);
    expect(c.hyper).toMatchObject({ epochs: 10, batch: 32, seed: 1234 });
    expect(c.precision).toEqual(PRECISION_PRESETS.fp32);
    expect(isVitConfig(c)).toBe(true);
    // a Maxout configuration has no kind: its id is the hash of what it always was
    expect(runId(c)).not.toBe(runId({ ...c, kind: undefined }));
  });

  it("refuses in one line naming the field", () => {
    expect(() => resolveVitConfig("vit-cifar", "fp32")).toThrow(
      /unknown ViT preset "vit-cifar" \(known: vit-mnist, vit-cifar10\)/,
    );
    expect(() => resolveVitConfig("vit-mnist", "fp64")).toThrow(/unknown precision preset "fp64"/);
    expect(() => resolveVitConfig("vit-mnist", "dfxp", { precision: { propagationBits: 40 } })).toThrow(
      /^invalid config precision\.propagationBits: expected an integer in \[2, 32\]/,
    );
    expect(() => resolveVitConfig("vit-mnist", "mxfp8", { precision: { propagationBits: 6 } })).toThrow(
      /^invalid config precision\.propagationBits: expected 8 \(the element width of mxfp8e4m3\), got 6$/,
    );
    expect(() => resolveVitConfig("vit-mnist", "dfxp", { precision: { overrides: [{ group: "keys" }] } })).toThrow(
      /^precision\.overrides\[0\]\.group: "keys" is not a group of the ViT/,
    );
    expect(() => resolveVitConfig("vit-mnist", "fp32", { hyper: { seed: -1 } })).toThrow(/^hyper\.seed: -1/);
    expect(() => resolveVitConfig("vit-mnist", "fp32", { trainLimit: 1.5 })).toThrow(/^trainLimit: 1\.5/);
    expect(() => resolveVitConfig("vit-mnist", "fp32", { hyper: { momentum: 1 } })).toThrow(/^momentum: 1/);
  });
});

describe("vitScalesMove", () => {
  it("is true where some group's scale moves by the overflow-rate rule: dfxp and the scaled FP8 groups", () => {
    const moves = (p: string, scaling?: "delayed-amax") =>
      vitScalesMove(
        resolveVitConfig("vit-mnist", p, {
          ...(scaling ? { precision: { scaling: { kind: "delayed-amax", history: 16, margin: 0 } } } : {}),
        }),
      );
    expect([moves("fp32"), moves("half"), moves("fixed"), moves("dfxp"), moves("fp8e4m3")]).toEqual([
      false,
      false,
      false,
      true,
      true,
    ]);
    expect(moves("fp8e4m3", "delayed-amax")).toBe(false);
  });
});

describe("vitMetrics", () => {
  it("keeps epoch 0, adds the calibration seconds to it, and tracks the first lowest validation error", () => {
    const e = (epoch: number, phase: VitEpoch["phase"], validError: number | undefined, seconds = 1): VitEpoch => ({
      epoch,
      phase,
      learningRate: 0.1,
      loss: 1,
      trainError: 10,
      validError,
      validLoss: 0.5,
      testError: validError === undefined ? undefined : validError + 1,
      trainSeconds: 0.5,
      seconds,
    });
    const history = [
      e(0, "training", 90, 2),
      e(1, "calibration", undefined, 3),
      e(2, "calibration", undefined, 4),
      e(1, "training", 50),
      e(2, "training", 60),
      e(3, "training", 50),
      e(4, "training", 40),
    ];
    const rows = vitMetrics(small(), history, 100);
    expect(rows.map((r) => r.epoch)).toEqual([0, 1, 2, 3, 4]);
    expect(rows[0]!.seconds).toBe(2 + 3 + 4);
    expect(rows.map((r) => r.bestEpoch)).toEqual([0, 1, 1, 1, 4]);
    expect(rows.map((r) => r.bestTestError)).toEqual([91, 51, 51, 51, 41]);
    expect(rows[1]!.examplesPerSecond).toBe(200);
    expect(rows[0]!.examplesPerSecond).toBe(0);
  });
});

describe("a ViT run in a run folder", () => {
  const config = small();
  const straight = join(root, "straight");
  const first = runTraining(config, mnist, { dir: straight, mode: "new", log: quiet, interactive: false });

  it("writes the same files as a Maxout run: config with the id, data, metrics from epoch 0, scales, summary", () => {
    const rec = readJson(straight, "config.json") as { runId: string; config: VitRunConfig };
    expect(rec.runId).toBe(runId(config));
    expect(rec.config).toEqual(config);
    const data = readJson(straight, "data.json") as { train: { count: number; shape: number[] } };
    expect(data.train).toMatchObject({ count: 50_000, shape: [1, 28, 28] });
    const metrics = readJson(straight, "metrics.json") as EpochMetrics[];
    expect(metrics.map((m) => m.epoch)).toEqual([0, 1, 2]);
    expect(first.summary).toMatchObject({ preset: "vit-mnist", precision: "dfxp", epochsDone: 2, completed: true });
    const best = metrics.reduce((b, m) => (m.validError < b.validError ? m : b));
    expect(first.summary.bestEpoch).toBe(best.epoch);
    expect(first.summary.testErrorAtBestValid).toBe(best.testError);
    // every error is a count of 128 evaluated examples
    for (const m of metrics) expect(Number.isInteger((m.testError * 128) / 100 + 1e-9 - 1e-9)).toBe(true);
  });

  it("puts the calibration windows in epoch 0 and closes as many windows as vitWindowsClosed counts", () => {
    const files = readdirSync(join(straight, "scales")).sort();
    expect(files.length).toBeGreaterThanOrEqual(3);
    const rows = (name: string) =>
      readFileSync(join(straight, "scales", name), "utf8")
        .trim()
        .split("\n")
        .slice(1);
    const header = readFileSync(join(straight, "scales", files[0]!), "utf8")
      .split("\n")[0]!
      .split(",");
    const phase = header.indexOf("phase"),
      batch = header.indexOf("batch");
    const calibration = rows(files[0]!).map((r) => r.split(","));
    expect(calibration.every((r) => r[phase] === "calibration")).toBe(true);
    // 256 images in batches of 32: 8 batches an epoch, a window every 3 batches, counted across epochs
    const windows = new Set<string>();
    for (const f of files)
      for (const r of rows(f).map((x) => x.split(","))) windows.add(`${f}:${r[header.indexOf("epoch")]}:${r[batch]}`);
    expect(windows.size).toBe(Math.floor((4 * 8) / 3));
    expect(vitWindowsClosed(config, 256, 100)).toBe(Math.floor((4 * 8) / 3));
  });

  it("resumes a run killed after the calibration and after epoch 1 to the same metrics and checkpoint", () => {
    for (const stop of [0, 1]) {
      const dir = join(root, `killed-${stop}`);
      const killed = runTraining(config, mnist, {
        dir,
        mode: "new",
        log: quiet,
        interactive: false,
        stopAfterEpoch: stop,
      });
      expect(killed.summary.completed).toBe(false);
      const resumed = runTraining(config, mnist, { dir, mode: "resume", log: quiet, interactive: false });
      expect(resumed.summary.completed).toBe(true);
      expect(noTimes(resumed.history)).toEqual(noTimes(first.history));
      // the parameters, velocities and scales of the last checkpoint: the same bits (its history holds the times)
      const state = (d: string) => decodeCheckpoint(new Uint8Array(readFileSync(join(d, "checkpoint.bin"))));
      const [a, b] = [state(dir), state(straight)];
      expect([...a.arrays.keys()]).toEqual([...b.arrays.keys()]);
      for (const [name, arr] of a.arrays)
        expect(Buffer.from(arr.buffer).equals(Buffer.from(b.arrays.get(name)!.buffer))).toBe(true);
      const { epochs: _a, ...restA } = a.header as { epochs: unknown };
      const { epochs: _b, ...restB } = b.header as { epochs: unknown };
      expect(restA).toEqual(restB);
    }
  });

  it("refuses to resume a folder with another configuration, naming the run", () => {
    const dir = join(root, "other");
    runTraining(config, mnist, { dir, mode: "new", log: quiet, interactive: false, stopAfterEpoch: 1 });
    const other = small({ learningRate: 0.01 });
    const before = readFileSync(join(dir, "config.json"), "utf8");
    expect(() => runTraining(other, mnist, { dir, mode: "resume", log: quiet, interactive: false })).toThrow(
      /^checkpoint is of another training: hyper\.learningRate differs$/,
    );
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe(before);
  });
});

describe("experiments with a vit-mnist column", () => {
  it("plan ViT configurations with the window shrunk to the subset, and Maxout ones beside them unchanged", () => {
    const def = {
      name: "t",
      title: "t",
      description: "t",
      datasets: ["vit-mnist", "pi-mnist"],
      settings: [{ name: "dfxp", precision: "dfxp", propagationBits: [8, 10] }],
      variants: { budget: { description: "b", epochs: 3, trainLimit: 10_000, evalLimit: 5_000, seeds: 2 } },
    } as unknown as ExperimentDef;
    const runs = expandRuns(def, "budget");
    const vit = runs.filter((r) => r.dataset === "vit-mnist");
    expect(vit.map((r) => [r.point.propagationBits, r.seed])).toEqual([
      [8, 1234],
      [8, 1235],
      [10, 1234],
      [10, 1235],
    ]);
    const c = vit[0]!.config as VitRunConfig;
    expect(c).toMatchObject({ kind: "vit", trainLimit: 10_000, evalLimit: 5_000 });
    expect(c.hyper.epochs).toBe(3);
    // 100 batches × 10,000 / 50,000
    expect(c.precision.scaling).toEqual({ kind: "overflow-rate", maxRate: 1e-4, everyBatches: 20 });
    expect(runs.filter((r) => r.dataset === "pi-mnist").every((r) => !isVitConfig(r.config))).toBe(true);
  });
});

describe("vit-cifar10", () => {
  // NOTE: the ZCA of 5,040 images is fitted by the native float64 kernels (seconds); the TypeScript ones take minutes
  it.runIf(nativeFloat64Available().available)(
    "trains on CIFAR-10's layout (GCN + ZCA, 3×32×32) into a run folder",
    () => {
      const dataDir = join(root, "cifar-root");
      // 5,040 synthetic training records: the last 5,000 validate, 40 train
      const raw = join(dataDir, "raw", "cifar-10-batches-bin");
      mkdirSync(raw, { recursive: true });
      writeSyntheticCifar10(raw, 5040, 8);
      const data = loadSplits("vit-cifar10", dataDir, quiet);
      expect(data.train.shape).toEqual([3, 32, 32]);
      const config = resolveVitConfig("vit-cifar10", "fp32", { hyper: { epochs: 1, batch: 8 }, evalLimit: 16 });
      expect(config.network).toMatchObject({ image: { channels: 3, height: 32, width: 32 }, patch: 4 });
      const { summary } = runTraining(config, data, { dir: join(root, "cifar-run"), mode: "new", log: quiet });
      expect(summary).toMatchObject({ preset: "vit-cifar10", epochsDone: 1, completed: true });
      // and MNIST's images do not fit it: one line naming the shapes
      expect(() => runTraining(config, mnist, { dir: join(root, "cifar-mnist"), mode: "new", log: quiet })).toThrow(
        /^data: the train images are 1×28×28; the vit-cifar10 network takes 3×32×32$/,
      );
    },
    120_000,
  );
});
