// Every run folder records the data it trained on (data.json: per split the files with SHA-256 and size, the
// split, the preprocessing, the cache entry), a resume on other data is refused, the flat PI-MNIST view trains
// the pi-mnist preset, CIFAR-10's preprocessing says what it does only when it runs, and the report lists the data
// of the collected runs when they recorded it (and nothing more when they did not).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadMnist, writeSyntheticCifar10 } from "@lowprec/datasets";
import { dataRecord, resolveConfig, type DataRecord } from "@lowprec/maxout";
import { ManifestWriter } from "@lowprec/storage";
import { nativeFloat64Available } from "@lowprec/tensor";
import { loadSplits } from "../src/data.js";
import { expandRuns, loadExperiment } from "../src/definitions.js";
import { currentEnvironment } from "../src/environment.js";
import { buildReport, collectReport, type Provenance } from "../src/report.js";
import { dataDifference, RunFolder } from "../src/run-folder.js";
import { runTraining } from "../src/run.js";
import { storedRunDir } from "../src/results.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-data-provenance-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = () => undefined;

/** A data record of three splits whose training file has checksum `sha` at `path`. */
function record(sha: string, path = "/data/train-images-idx3-ubyte"): DataRecord {
  const provenance = {
    files: [{ path, sha256: sha.repeat(64), bytes: 47040016 }],
    split: "training file examples 0..49999",
    preprocessing: ["pixels / 255 (range [0, 1], not centred)"],
  };
  const split = { name: "mnist", count: 50000, shape: [1, 28, 28], provenance };
  return { train: split, valid: { ...split, count: 10000 }, test: { ...split, count: 10000 } };
}

describe("RunFolder: data.json", () => {
  it("is written atomically, kept on a resume on the same data (moved files too), removed by --force", () => {
    const dir = join(root, "same");
    const a = RunFolder.open(dir, { mode: "new", log: quiet });
    a.writeData(record("a"));
    a.writeCheckpoint(new Uint8Array([1, 2, 3]));
    a.close();
    expect(JSON.parse(readFileSync(join(dir, "data.json"), "utf8"))).toEqual(record("a"));
    expect(readdirSync(dir).some((f) => f.includes(".tmp"))).toBe(false);
    const b = RunFolder.open(dir, { mode: "resume", log: quiet });
    expect(b.readDataRecord()).toEqual(record("a"));
    b.writeData(record("a", "/elsewhere/train-images-idx3-ubyte"));
    b.close();
    const c = RunFolder.open(dir, { mode: "force", log: quiet });
    c.close();
    expect(existsSync(join(dir, "data.json"))).toBe(false);
  });

  it("a resume on other data is refused with one line naming data.json and the file, writing nothing", () => {
    const dir = join(root, "other");
    const a = RunFolder.open(dir, { mode: "new", log: quiet });
    a.writeData(record("a"));
    a.writeCheckpoint(new Uint8Array([1]));
    a.close();
    const b = RunFolder.open(dir, { mode: "resume", log: quiet });
    try {
      expect(() => b.writeData(record("b"))).toThrow(
        `${join(dir, "data.json")}: the run in the folder trained on other data (train: file ` +
          `train-images-idx3-ubyte aaaaaaaaaaaa 47040016 before, train-images-idx3-ubyte bbbbbbbbbbbb 47040016 now` +
          " (name, SHA-256, bytes)); resume it on the same data, or start over with --force",
      );
    } finally {
      b.close();
    }
    expect(JSON.parse(readFileSync(join(dir, "data.json"), "utf8"))).toEqual(record("a"));
  });

  it("a corrupt data.json is named when a resume opens the folder", () => {
    const dir = join(root, "corrupt");
    const a = RunFolder.open(dir, { mode: "new", log: quiet });
    a.writeCheckpoint(new Uint8Array([1]));
    a.close();
    writeFileSync(join(dir, "data.json"), '{"train": {}}');
    expect(() => RunFolder.open(dir, { mode: "resume", log: quiet })).toThrow(join(dir, "data.json"));
  });

  it("dataDifference: split, preprocessing, counts; records without provenance compare counts and shapes only", () => {
    const a = record("a");
    expect(dataDifference(a, { ...a, valid: { ...a.valid, provenance: { ...a.train.provenance!, split: "x" } } })).toBe(
      'valid: split "training file examples 0..49999" before, "x" now',
    );
    const pre = { ...a.train.provenance!, preprocessing: ["gcn"] };
    expect(dataDifference(a, { ...a, test: { ...a.test, provenance: pre } })).toBe(
      'test: preprocessing "pixels / 255 (range [0, 1], not centred)" before, "gcn" now',
    );
    expect(dataDifference(a, { ...a, test: { ...a.test, count: 9 } })).toBe("test: 10000 examples before, 9 now");
    const bare = dataRecord({ train: { count: 50000, shape: [784] }, valid: a.valid, test: a.test });
    expect(dataDifference(a, bare)).toBe("train: images of shape [1, 28, 28] before, [784] now");
    expect(dataDifference(a, { ...bare, train: { ...bare.train, shape: [1, 28, 28] } })).toBeUndefined();
  });
});

describe("runTraining records the data and takes the flat PI-MNIST view", () => {
  it("loadMnist({ flat: true }) trains the pi-mnist preset; data.json holds the four files with SHA-256", () => {
    const m = loadMnist({ flat: true });
    const config = resolveConfig("pi-mnist", "fp32", { hyper: { epochs: 1 }, trainLimit: 500, evalLimit: 500 });
    const dir = join(root, "flat");
    const { summary } = runTraining(config, m, { dir, mode: "new", log: quiet, interactive: false });
    expect(summary.completed).toBe(true);
    const data = JSON.parse(readFileSync(join(dir, "data.json"), "utf8")) as DataRecord;
    expect(data.train.shape).toEqual([784]);
    expect(data.train.name).toBe("mnist");
    expect(data.valid.provenance?.split).toBe("training file examples 50000..59999 (the last 10000)");
    expect(data.test.provenance?.files.map((f) => [f.sha256, f.bytes])).toEqual(
      m.test.provenance.files.map((f) => [f.sha256, f.bytes]),
    );
    expect(data.test.provenance?.files).toHaveLength(4);
  }, 120_000);
});

describe("loadSplits", () => {
  it("keeps the loaders' provenance, and refuses an idx: folder for a preset that is not MNIST-layout", () => {
    const s = loadSplits("pi-mnist", root, quiet);
    expect(s.train.provenance?.files).toHaveLength(4);
    expect(() => loadSplits("cifar10", root, quiet, { kind: "idx", dir: root })).toThrow(
      'an idx: data set feeds an MNIST-layout preset (pi-mnist, mnist-conv, vit-mnist), not "cifar10"',
    );
  });

  const native = nativeFloat64Available().available;
  it.runIf(native)(
    "CIFAR-10: progress lines and the ZCA kernels' line when the preprocessing runs, silence on a cache hit",
    () => {
      const dataDir = join(root, "cifar-root");
      const raw = join(dataDir, "raw", "cifar-10-batches-bin");
      mkdirSync(raw, { recursive: true });
      writeSyntheticCifar10(raw, 5001, 1);
      const cold: string[] = [];
      const first = loadSplits("cifar10", dataDir, (l) => cold.push(l));
      expect(cold).toEqual([
        `cifar10: preprocessing 5002 images (GCN + ZCA, once; the result is cached in ${join(dataDir, "cache")})`,
        "ZCA: native OpenBLAS dgemm + LAPACK dsyevd",
        "cifar10: fitting ZCA on 5001 images (covariance 3072×3072, eigendecomposition)",
        "cifar10: applying ZCA to 5002 images",
        expect.stringMatching(/^cifar10: preprocessed in \d+\.\d s$/),
      ]);
      const warm: string[] = [];
      const second = loadSplits("cifar10", dataDir, (l) => warm.push(l));
      expect(warm).toEqual([]);
      expect(second.train.images).toEqual(first.train.images);
      expect(second.train.provenance?.cacheFile).toMatch(/\.bin$/);
    },
    120_000,
  );
});

describe("the report's data provenance", () => {
  /** A finished table2 smoke run in the store, with or without data.json (sealed, as a run folder writes it). */
  function storeRun(dataDir: string, index: number, data: DataRecord | undefined): void {
    const run = expandRuns(loadExperiment("table2"), "smoke")[index]!;
    const dir = storedRunDir(dataDir, run);
    mkdirSync(dir, { recursive: true });
    const sealed = ManifestWriter.open(dir);
    const { config, ...meta } = run;
    sealed.write("run.json", JSON.stringify(meta));
    const environment = { ...currentEnvironment(["test"]), started: `2026-01-0${index + 1}T00:00:00.000Z` };
    sealed.write("config.json", JSON.stringify({ runId: run.runId, config, environment, earlier: [] }));
    const summary = {
      runId: run.runId,
      preset: config.preset,
      precision: config.precision.name,
      epochs: 1,
      epochsDone: 1,
      completed: true,
      bestEpoch: 1,
      bestValidError: 5,
      testErrorAtBestValid: 5 + index,
      lastTestError: 5 + index,
      secondsPerEpoch: 2,
      trainSecondsPerEpoch: 1,
      backend: { name: "js", blas: false, threads: 1 },
    };
    sealed.write("summary.json", JSON.stringify(summary));
    if (data) sealed.write("data.json", JSON.stringify(data));
    sealed.settle();
  }

  it("runs without data.json: provenance.json has no data field, the page no data table", async () => {
    const dataDir = join(root, "store-old");
    storeRun(dataDir, 0, undefined);
    const out = join(root, "report-old");
    collectReport(dataDir, "smoke", out);
    const provenance = JSON.parse(readFileSync(join(out, "results", "smoke", "provenance.json"), "utf8")) as Provenance;
    expect(provenance.runs).toBe(1);
    expect("data" in provenance).toBe(false);
    await buildReport(out, "smoke");
    expect(readFileSync(join(out, "README.md"), "utf8")).not.toContain("Data the runs trained on");
  }, 120_000);

  it("runs with data.json: each data set and split once, with files, short SHA-256, cut, preprocessing", async () => {
    const dataDir = join(root, "store-new");
    storeRun(dataDir, 0, record("c"));
    storeRun(dataDir, 1, record("c", "/moved/train-images-idx3-ubyte"));
    storeRun(dataDir, 2, undefined);
    const out = join(root, "report-new");
    collectReport(dataDir, "smoke", out);
    const provenance = JSON.parse(readFileSync(join(out, "results", "smoke", "provenance.json"), "utf8")) as Provenance;
    expect(provenance.dataNotRecorded).toBe(1);
    expect(provenance.data?.map((d) => [d.dataset, d.split, d.runs])).toEqual([
      ["mnist", "train", 2],
      ["mnist", "valid", 2],
      ["mnist", "test", 2],
    ]);
    expect(provenance.data?.[0]?.files).toEqual([
      { name: "train-images-idx3-ubyte", sha256: "c".repeat(64), bytes: 47040016 },
    ]);
    await buildReport(out, "smoke");
    const page = readFileSync(join(out, "README.md"), "utf8");
    expect(page).toContain(
      "Data the runs trained on (each run folder's data.json; SHA-256 shortened to 12 hex digits):",
    );
    const row = page.split("\n").find((l) => l.startsWith("| mnist   | train "));
    expect(row?.split("|").map((c) => c.trim())).toEqual([
      "",
      "mnist",
      "train",
      "train-images-idx3-ubyte (cccccccccccc, 47040016 B)",
      "training file examples 0..49999",
      "pixels / 255 (range [0, 1], not centred)",
      "2",
      "",
    ]);
    expect(page).toContain("1 run(s) made before run folders recorded their data are not listed.");
  }, 120_000);
});
