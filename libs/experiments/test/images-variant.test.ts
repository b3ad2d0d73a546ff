// A variant whose dataset comes from a folder of images (issue 22): table2's `images` variant runs CIFAR-10 from
// <data root>/raw/cifar10-jpeg (the JPEG copy of the real images), its rows say so (`data`), a missing folder is
// named in the status, a bad `source` field is named in one line; and a sweep of such a variant trains from the
// folder, recording the source in run.json and the folder's digest in data.json. And the SVHN budget: its plan, and
// the SVHN path run end to end on synthetic files (the real ones are not on these machines).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { writeSyntheticSvhn } from "@lowprec/datasets";
import { nativeFloat64Available } from "@lowprec/tensor";
import { expandRuns, loadExperiment } from "../src/definitions.js";
import { collectResults, storedRunDir } from "../src/results.js";
import { runSweep } from "../src/sweep.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-images-variant-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An experiment file in `root` from table2's, with `variants` replaced. */
function experimentFile(name: string, variants: Record<string, unknown>): string {
  const def = JSON.parse(readFileSync(join(__dirname, "..", "experiments", "table2.json"), "utf8")) as Record<
    string,
    unknown
  >;
  const path = join(root, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...def, name, variants }));
  return path;
}

describe("table2's images variant", () => {
  const def = loadExperiment("table2");

  it("plans the four settings × 2 seeds on CIFAR-10 from <data root>/raw/cifar10-jpeg, whole splits", () => {
    const runs = expandRuns(def, "images");
    expect(runs).toHaveLength(8);
    expect(new Set(runs.map((r) => r.dataset))).toEqual(new Set(["cifar10"]));
    expect(runs.map((r) => r.setting)).toEqual(["fp32", "fp32", "half", "half", "fixed", "fixed", "dfxp", "dfxp"]);
    for (const r of runs) {
      expect(r.source).toEqual({ images: "cifar10-jpeg", label: "JPEG copy of the real images" });
      expect([r.config.hyper.epochs, r.config.trainLimit, r.config.evalLimit]).toEqual([5, 0, 0]);
    }
    // the official-files variants carry no source
    expect(expandRuns(def, "budget").every((r) => r.source === undefined)).toBe(true);
  });

  it("without the folder: each row names it, and carries the data's label", () => {
    const dataDir = join(root, "no-folder");
    const rows = collectResults(def, "images", dataDir, 2);
    expect(rows).toHaveLength(8);
    for (const r of rows) {
      expect(r.status).toBe(
        `not run: image folder missing (${join(dataDir, "raw", "cifar10-jpeg")}: train/<class>/*, test/<class>/*)`,
      );
      expect(r.data).toBe("cifar10-jpeg: JPEG copy of the real images");
    }
    // the budget's rows are the official files'
    expect(collectResults(def, "budget", dataDir).every((r) => r.data === "")).toBe(true);
  });

  it("a bad source field is named in one line", () => {
    const bad = (source: unknown) => experimentFile("bad", { images: { description: "x", source } });
    expect(() => loadExperiment(bad({ mnist: { images: "x", label: "y" } }))).toThrow(
      /variants\.images\.source\.mnist: unknown dataset/,
    );
    expect(() => loadExperiment(bad({ cifar10: { images: "../x", label: "y" } }))).toThrow(
      /variants\.images\.source\.cifar10\.images: expected a folder name under the data root's raw\//,
    );
    expect(() => loadExperiment(bad({ cifar10: { images: "x" } }))).toThrow(
      /variants\.images\.source\.cifar10\.label: missing/,
    );
    expect(() => loadExperiment(bad({ cifar10: { images: "x", label: "y", extra: 1 } }))).toThrow(
      /variants\.images\.source\.cifar10\.extra/,
    );
  });
});

/** A 32×32 colour PNG whose pixels follow `seed`. */
function png(seed: number): Buffer {
  const p = new PNG({ width: 32, height: 32 });
  for (let i = 0; i < 1024; i++)
    p.data.set([(seed * 7 + i) % 256, (seed * 13 + i * 3) % 256, (seed + i * 5) % 256, 255], i * 4);
  return PNG.sync.write(p, { colorType: 2, inputColorType: 6 });
}

describe("a sweep of a variant on an image folder", () => {
  // NOTE: CIFAR-10's ZCA on 3072 features: the native float64 kernels take seconds, TypeScript minutes
  it.runIf(nativeFloat64Available().available)(
    "trains from the folder: run.json records the source, data.json the folder's digest, the row its label",
    async () => {
      const dataDir = join(root, "store");
      const folder = join(dataDir, "raw", "pets");
      // 5,138 training images (the last 5,000 of the permutation validate), 128 test images, 10 classes
      for (let i = 0; i < 5266; i++) {
        const split = i < 5138 ? "train" : "test";
        const dir = join(folder, split, `class-${i % 10}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${String(i).padStart(5, "0")}.png`), png(i));
      }
      const file = experimentFile("pets", {
        images: {
          description: "CIFAR-10's network on a folder of pets",
          datasets: ["cifar10"],
          source: { cifar10: { images: "pets", label: "generated test images" } },
          epochs: 1,
          trainLimit: 128,
          evalLimit: 128,
          compressSchedule: true,
        },
      });
      const def = loadExperiment(file);
      const lines: string[] = [];
      const report = await runSweep({
        experiment: def,
        variant: "images",
        dataDir,
        jobs: 1,
        only: { setting: "fp32" },
        log: (l) => lines.push(l),
      });
      expect(report.failed, lines.join("\n")).toEqual([]);
      expect(report.ran).toBe(1);
      const [run] = expandRuns(def, "images", { only: { setting: "fp32" } });
      const dir = storedRunDir(dataDir, run!);
      const meta = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as { source?: unknown };
      expect(meta.source).toEqual({ images: "pets", label: "generated test images" });
      const data = JSON.parse(readFileSync(join(dir, "data.json"), "utf8")) as {
        train: { name: string; count: number; provenance: { files: { path: string; sha256: string }[] } };
      };
      expect(data.train.name).toBe("pets");
      expect(data.train.count).toBe(138);
      expect(data.train.provenance.files).toEqual([expect.objectContaining({ path: folder })]);
      expect(data.train.provenance.files[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
      const row = collectResults(def, "images", dataDir).find((r) => r.runId === run!.runId)!;
      expect([row.status, row.data, row.testExamples]).toEqual(["done", "pets: generated test images", 128]);
    },
    300_000,
  );
});

describe("table2's SVHN budget", () => {
  const def = loadExperiment("table2");

  it("5 epochs on 60,000 training images, the whole validation and test sets, the authors' scale window", () => {
    const runs = expandRuns(def, "budget").filter((r) => r.dataset === "svhn");
    expect(runs).toHaveLength(12); // 4 settings × 3 seeds
    for (const r of runs)
      expect([r.config.hyper.epochs, r.config.trainLimit, r.config.evalLimit]).toEqual([5, 60_000, 0]);
    // the scale window is the preset's, not shrunk to a tenth of the training set
    const dfxp = runs.find((r) => r.setting === "dfxp")!;
    const whole = expandRuns(def, "paper").find((r) => r.dataset === "svhn" && r.setting === "dfxp")!;
    expect(dfxp.config.precision.scaling).toEqual(whole.config.precision.scaling);
    // CIFAR-10's budget (10,000 of 45,000 examples) still shrinks its window, as before
    const cifar = expandRuns(def, "budget").find((r) => r.dataset === "cifar10" && r.setting === "dfxp")!;
    const cifarWhole = expandRuns(def, "paper").find((r) => r.dataset === "cifar10" && r.setting === "dfxp")!;
    expect(cifar.config.precision.scaling).not.toEqual(cifarWhole.config.precision.scaling);
  });

  it("shrinkScaleWindow by dataset: a bad value is named", () => {
    const bad = (v: unknown) => experimentFile("bad-shrink", { budget: { description: "x", shrinkScaleWindow: v } });
    expect(() => loadExperiment(bad({ svhn: "no" }))).toThrow(
      /variants\.budget\.shrinkScaleWindow\.svhn: expected true or false/,
    );
    expect(() => loadExperiment(bad({ mnist: false }))).toThrow(
      /variants\.budget\.shrinkScaleWindow\.mnist: unknown dataset/,
    );
    expect(() => loadExperiment(bad(3))).toThrow(
      /variants\.budget\.shrinkScaleWindow: expected true, false or an object/,
    );
  });

  it("synthetic SVHN files: a dfxp run of the SVHN network trains through the sweep (GCN + LCN, batches)", async () => {
    const dataDir = join(root, "svhn-store");
    const raw = join(dataDir, "raw", "svhn");
    mkdirSync(raw, { recursive: true });
    // 4,128 training images: 400 per class validate (no extra file: the train-only split), 128 train
    writeSyntheticSvhn(raw, 4128, 128);
    const file = experimentFile("svhn-synthetic", {
      smoke: {
        description: "the SVHN network on synthetic files",
        datasets: ["svhn"],
        epochs: 1,
        trainLimit: 128,
        evalLimit: 128,
        compressSchedule: true,
        shrinkScaleWindow: { svhn: false },
      },
    });
    const synthetic = loadExperiment(file);
    const lines: string[] = [];
    const report = await runSweep({
      experiment: synthetic,
      variant: "smoke",
      dataDir,
      jobs: 1,
      only: { setting: "dfxp" },
      log: (l) => lines.push(l),
    });
    expect(report.failed, lines.join("\n")).toEqual([]);
    expect(report.ran).toBe(1);
    const row = collectResults(synthetic, "smoke", dataDir).find((r) => r.setting === "dfxp")!;
    expect([row.status, row.dataset, row.testExamples]).toEqual(["done", "svhn", 128]);
    expect(row.testError).toBeGreaterThanOrEqual(0);
    expect(row.testError).toBeLessThanOrEqual(100);
  }, 300_000);
});

describe("table2's paper variant on PI-MNIST", () => {
  it("is the paper's run: 800 epochs, the preset's schedule and seed, the whole splits, four settings", async () => {
    const { NETWORK_PRESETS } = await import("@lowprec/maxout");
    const runs = expandRuns(loadExperiment("table2"), "paper", { only: { dataset: "pi-mnist" } });
    expect(runs.map((r) => r.setting)).toEqual(["fp32", "half", "fixed", "dfxp"]);
    for (const r of runs) {
      expect(r.config.hyper).toEqual(NETWORK_PRESETS["pi-mnist"].hyper);
      expect([r.config.hyper.epochs, r.config.hyper.seed, r.config.trainLimit, r.config.evalLimit]).toEqual([
        800, 1234, 0, 0,
      ]);
      expect(r.source).toBeUndefined();
    }
  });
});
