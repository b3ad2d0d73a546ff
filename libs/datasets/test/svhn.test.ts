import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gcn, loadSvhn, readMat, readSvhnMat, svhnSplitIndices, writeSyntheticSvhn } from "../src/index.js";
import { FIXTURES, pixel, tempDir } from "./helpers.js";

const SVHN = join(FIXTURES, "svhn");
const NUMPY = JSON.parse(readFileSync(join(FIXTURES, "numpy_random.json"), "utf8")) as {
  svhn_split_1_1: { train: number[]; valid: number[]; test: number[] };
};
/** fixture example number of a global index (train 0..29 are n = 0..29, extra 30..59 are n = 100..129) */
const nOf = (g: number) => (g < 30 ? g : 100 + g - 30);
const digit = (n: number) => ((n % 10) + 1) % 10; // .mat label (n % 10) + 1, and label 10 means digit 0
const opts = { dir: SVHN, validPerClassTrain: 1, validPerClassExtra: 1 } as const;

describe("svhnSplitIndices (Pylearn2 make_data, numpy RandomState(322))", () => {
  it("matches the split numpy computes for 1 + 1 validation images per class", () => {
    const y = (f: string) => readSvhnMat(join(SVHN, f)).y;
    const s = svhnSplitIndices(y("train_32x32.mat"), y("extra_32x32.mat"), 1, 1);
    expect(Array.from(s.train)).toEqual(NUMPY.svhn_split_1_1.train);
    expect(Array.from(s.valid)).toEqual(NUMPY.svhn_split_1_1.valid);
  });

  it("names the class that has too few examples", () => {
    expect(() => svhnSplitIndices(new Uint8Array([1, 2, 3]), undefined)).toThrow(
      "svhn split: train has 1 examples of .mat label 1, need 400 for validation",
    );
  });
});

describe("loadSvhn", () => {
  it("raw pixels land in NCHW order with digit labels, in the split order (preprocessing none)", () => {
    const s = loadSvhn({ ...opts, dataDir: tempDir(), preprocessing: "none" });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([40, 20, 2]);
    const check = (ds: typeof s.train, order: number[], nOfIndex: (g: number) => number) => {
      order.forEach((g, k) => {
        const n = nOfIndex(g);
        expect(ds.labels[k]).toBe(digit(n));
        for (const [ch, r, c] of [
          [0, 0, 0],
          [1, 5, 17],
          [2, 31, 2],
          [0, 12, 31],
        ] as const) {
          expect(ds.images[k * 3072 + ch * 1024 + r * 32 + c]).toBe(Math.fround(pixel(n, ch, r, c) / 255));
        }
      });
    };
    check(s.train, NUMPY.svhn_split_1_1.train, nOf);
    check(s.valid, NUMPY.svhn_split_1_1.valid, nOf);
    check(s.test, NUMPY.svhn_split_1_1.test, (g) => 200 + g);
    // every digit appears once among the validation images from train and once among those from extra
    expect([...s.valid.labels].sort()).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
  });

  it("gcn-lcn: red channel LCN'd, G and B keep their GCN values (default); cached and re-read", () => {
    const dataDir = tempDir();
    const raw = loadSvhn({ ...opts, dataDir, preprocessing: "none" });
    const lines: string[] = [];
    const s = loadSvhn({ ...opts, dataDir, log: (l) => lines.push(l) });
    // progress while it preprocesses: the start, each GCN + LCN pass, the time taken
    expect(lines[0]).toMatch(
      /^svhn: decoding 3 \.mat files and preprocessing \(2 step\(s\), once; the result is cached/,
    );
    expect(lines.filter((l) => l.startsWith("svhn: GCN + LeCun LCN on ")).length).toBeGreaterThan(0);
    expect(lines.at(-1)).toMatch(/^svhn: preprocessed in \d+\.\d s$/);
    expect(s.valid.provenance.preprocessing[1]).toBe(
      "lecun_lcn kernel 7x7 sigma=2 threshold=1e-4 zero padding, channels=red-only",
    );
    const img = Float32Array.from(raw.valid.images.subarray(0, 3072), (v) => Math.round(v * 255)); // back to 0..255
    gcn(img, 1, 3072, { scale: 1 });
    const got = s.valid.images.subarray(0, 3072);
    for (let i = 1024; i < 3072; i++) expect(got[i]).toBeCloseTo(img[i]!, 6);
    let differs = 0;
    for (let i = 0; i < 1024; i++) if (Math.abs(got[i]! - img[i]!) > 1e-3) differs++;
    expect(differs).toBeGreaterThan(500);
    const cacheFile = s.valid.provenance.cacheFile!;
    expect(existsSync(cacheFile) && existsSync(cacheFile.replace(/\.bin$/, ".json"))).toBe(true);
    const quiet: string[] = [];
    const again = loadSvhn({ ...opts, dataDir, log: (l) => quiet.push(l) });
    expect(quiet).toEqual([]); // a cache hit preprocesses nothing and says nothing
    expect(Array.from(again.valid.images)).toEqual(Array.from(s.valid.images));
    expect(Array.from(again.train.labels)).toEqual(Array.from(s.train.labels));
    const all = loadSvhn({ ...opts, dataDir, lcnChannels: "all" });
    expect(all.valid.provenance.cacheFile).not.toBe(cacheFile);
    expect(Math.abs(all.valid.images[2000]! - s.valid.images[2000]!)).toBeGreaterThan(1e-3);
    expect(readdirSync(join(dataDir, "cache")).filter((f) => f.endsWith(".bin"))).toHaveLength(2);
  });

  const withoutExtra =
    "without extra: valid from train only, the rest of train for training; 'auto' falls back when the file is absent";
  it(withoutExtra, () => {
    const s = loadSvhn({ ...opts, dataDir: tempDir(), useExtra: false, preprocessing: "none" });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([20, 10, 2]);
    expect(s.train.provenance.files.map((f) => f.path.split("/").pop())).toEqual(["train_32x32.mat", "test_32x32.mat"]);
    expect(s.train.provenance.split).toContain("without extra_32x32.mat");
    const dataDir = tempDir();
    const dir = join(dataDir, "raw", "svhn");
    cpSync(SVHN, dir, { recursive: true });
    rmSync(join(dir, "extra_32x32.mat"));
    expect(loadSvhn({ dataDir, validPerClassTrain: 1, preprocessing: "none" }).train.count).toBe(20);
    expect(() => loadSvhn({ dataDir, validPerClassTrain: 1, useExtra: true })).toThrow(
      `${join(dir, "extra_32x32.mat")}: missing`,
    );
  });

  it("a truncated file fails naming it, and nothing is left in the cache", () => {
    const dataDir = tempDir();
    const dir = join(dataDir, "raw", "svhn");
    cpSync(SVHN, dir, { recursive: true });
    const p = join(dir, "extra_32x32.mat");
    const full = readFileSync(p);
    writeFileSync(p, full.subarray(0, full.length - 50));
    expect(() => loadSvhn({ dataDir, validPerClassTrain: 1, validPerClassExtra: 1 })).toThrow(`${p}: truncated`);
    expect(existsSync(join(dataDir, "cache")) ? readdirSync(join(dataDir, "cache")) : []).toEqual([]);
  });
});

describe("writeSyntheticSvhn", () => {
  it("MAT 5.0 files the reader takes: X 32×32×3×N column-major, y 1..10 cycling; pixels land in NCHW", () => {
    const dir = tempDir();
    writeSyntheticSvhn(dir, 20, 3);
    const mat = readMat(join(dir, "train_32x32.mat"));
    const x = mat.variables.get("X")!;
    const y = mat.variables.get("y")!;
    expect([x.className, x.dims]).toEqual(["uint8", [32, 32, 3, 20]]);
    expect([y.className, y.dims]).toEqual(["double", [20, 1]]);
    expect(Array.from(y.data)).toEqual(Array.from({ length: 20 }, (_, n) => (n % 10) + 1));
    // column-major X(r, c, ch, n) is NCHW pixel [n][ch][r][c] of the loader
    const test = loadSvhn({ dataDir: tempDir(), dir, preprocessing: "none", validPerClassTrain: 1 });
    const tx = readMat(join(dir, "test_32x32.mat")).variables.get("X")!.data;
    const testAt = (r: number, c: number, ch: number, n: number) => tx[r + 32 * (c + 32 * (ch + 3 * n))]!;
    // the test split is shuffled once: find each loaded image by its label and first pixels
    for (let k = 0; k < 3; k++) {
      const px = (ch: number, r: number, c: number) =>
        Math.round(test.test.images[k * 3072 + ch * 1024 + r * 32 + c]! * 255);
      const n = [0, 1, 2].find((m) => testAt(0, 0, 0, m) === px(0, 0, 0) && testAt(5, 17, 1, m) === px(1, 5, 17))!;
      expect(n).toBeDefined();
      expect(px(2, 31, 2)).toBe(testAt(31, 2, 2, n));
      expect(test.test.labels[k]).toBe(((n % 10) + 1) % 10); // .mat label 10 is the digit 0
    }
    expect([test.train.count, test.valid.count, test.test.count]).toEqual([10, 10, 3]);
  });
});
