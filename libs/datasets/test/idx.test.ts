import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataFormatError, loadIdxDataset, readIdx } from "../src/index.js";
import { FIXTURES, tempDir } from "./helpers.js";

const IDX = join(FIXTURES, "idx");

describe("readIdx", () => {
  it("reads a gzip-compressed IDX3 file", () => {
    const f = readIdx(join(IDX, "train-images-idx3-ubyte.gz"));
    expect(f.type).toBe("ubyte");
    expect(f.dims).toEqual([3, 2, 3]);
    expect(Array.from(f.data)).toEqual([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25]);
  });

  it("reads big-endian int16 values", () => {
    const f = readIdx(join(IDX, "int16.idx"));
    expect(f.type).toBe("short");
    expect(Array.from(f.data)).toEqual([-2, 300, 7]);
  });

  it("rejects a wrong magic, naming the file and the bytes", () => {
    const dir = tempDir();
    const p = join(dir, "bad-magic");
    writeFileSync(p, Buffer.from([0x08, 0x03, 0, 0, 0, 0, 0, 1, 0]));
    expect(() => readIdx(p)).toThrow(DataFormatError);
    expect(() => readIdx(p)).toThrow(`${p}: wrong IDX magic 08 03 00 00`);
  });

  it("rejects a truncated file with the expected and actual sizes", () => {
    const dir = tempDir();
    const p = join(dir, "t10k-images-idx3-ubyte");
    writeFileSync(p, readFileSync(join(IDX, "t10k-images-idx3-ubyte")).subarray(0, 20));
    expect(() => readIdx(p)).toThrow(`${p}: truncated: 20 bytes, expected 22 for ubyte [1, 2, 3]`);
  });

  it("rejects a truncated gzip stream", () => {
    const dir = tempDir();
    const p = join(dir, "x.gz");
    writeFileSync(p, readFileSync(join(IDX, "train-images-idx3-ubyte.gz")).subarray(0, 30));
    expect(() => readIdx(p)).toThrow(/x\.gz: gzip data is corrupt or truncated/);
  });
});

describe("loadIdxDataset (any MNIST-layout folder, e.g. Fashion-MNIST)", () => {
  it("loads plain and .gz files, scales by 1/255 and splits off the last validCount", () => {
    const s = loadIdxDataset({ dir: IDX, name: "tiny", validCount: 1 });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([2, 1, 1]);
    expect(s.train.shape).toEqual([1, 2, 3]);
    expect(Array.from(s.valid.images)).toEqual([20, 21, 22, 23, 24, 25].map((v) => Math.fround(v / 255)));
    expect(Array.from(s.train.labels)).toEqual([2, 0]);
    expect(Array.from(s.test.images)).toEqual([1, 0, 0.2, 0.4, 0.6, 0.8].map(Math.fround));
  });

  it("names the missing file", () => {
    const dir = tempDir();
    copyFileSync(join(IDX, "train-labels-idx1-ubyte"), join(dir, "train-labels-idx1-ubyte"));
    expect(() => loadIdxDataset({ dir })).toThrow(
      `${join(dir, "train-images-idx3-ubyte")}: missing (also looked for the .gz version)`,
    );
  });
});

describe("loadIdxDataset: every split has the training images' shape", () => {
  it("a test set of 2×2 images beside 2×3 training images is refused, naming the file and both shapes", () => {
    const dir = tempDir();
    for (const f of ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"])
      copyFileSync(join(IDX, f), join(dir, f));
    const p = join(dir, "t10k-images-idx3-ubyte");
    // IDX3 ubyte, 1 image of 2 rows × 2 columns
    writeFileSync(p, Buffer.from([0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 10, 20, 30, 40]));
    expect(() => loadIdxDataset({ dir, validCount: 1 })).toThrow(DataFormatError);
    expect(() => loadIdxDataset({ dir, validCount: 1 })).toThrow(
      `${p}: images are 2×2 but the training images (${join(dir, "train-images-idx3-ubyte.gz")}) are 2×3`,
    );
  });
});
