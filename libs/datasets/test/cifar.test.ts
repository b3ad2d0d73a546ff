import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataFormatError, loadCifar10, readCifarBatch, writeSyntheticCifar10 } from "../src/index.js";
import { FIXTURES, pixel, tempDir } from "./helpers.js";

const CIFAR = join(FIXTURES, "cifar");

describe("readCifarBatch", () => {
  it("reads records exactly: label byte then 1024 R, 1024 G, 1024 B", () => {
    const b = readCifarBatch(join(CIFAR, "data_batch_2.bin")); // images n = 2, 3
    expect(b.count).toBe(2);
    expect(Array.from(b.labels)).toEqual([2, 3]);
    for (let k = 0; k < 2; k++) {
      for (let ch = 0; ch < 3; ch++)
        for (let r = 0; r < 32; r++)
          for (let c = 0; c < 32; c++) {
            if (b.pixels[k * 3072 + ch * 1024 + r * 32 + c] !== pixel(2 + k, ch, r, c))
              throw new Error(`pixel ${k},${ch},${r},${c}`);
          }
    }
  });

  it("rejects a size that is not a multiple of 3073, naming the file", () => {
    const p = join(tempDir(), "data_batch_1.bin");
    writeFileSync(p, readFileSync(join(CIFAR, "data_batch_1.bin")).subarray(0, 5000));
    expect(() => readCifarBatch(p)).toThrow(DataFormatError);
    expect(() => readCifarBatch(p)).toThrow(
      `${p}: size 5000 bytes is not a positive multiple of the CIFAR-10 record size 3073`,
    );
  });

  it("rejects a label above 9", () => {
    const p = join(tempDir(), "b.bin");
    const bytes = readFileSync(join(CIFAR, "data_batch_1.bin"));
    bytes[3073] = 10;
    writeFileSync(p, bytes);
    expect(() => readCifarBatch(p)).toThrow(`${p}: record 1 (byte offset 3073) has label 10, expected 0..9`);
  });
});

describe("loadCifar10", () => {
  it("splits train / valid (the last validCount) / test and keeps NCHW pixel order (preprocessing none)", () => {
    const s = loadCifar10({ dataDir: tempDir(), dir: CIFAR, preprocessing: "none", validCount: 3 });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([7, 3, 3]);
    expect(s.train.shape).toEqual([3, 32, 32]);
    expect(s.train.classNames[9]).toBe("truck");
    expect(Array.from(s.valid.labels)).toEqual([7, 8, 9]);
    expect(Array.from(s.test.labels)).toEqual([0, 1, 2]);
    const at = (ds: typeof s.test, k: number, ch: number, r: number, c: number) =>
      ds.images[k * 3072 + ch * 1024 + r * 32 + c];
    expect(at(s.valid, 1, 2, 5, 7)).toBe(Math.fround(pixel(8, 2, 5, 7) / 255));
    expect(at(s.test, 2, 1, 31, 0)).toBe(Math.fround(pixel(1002, 1, 31, 0) / 255));
    expect(s.train.provenance.files.map((f) => f.path.split("/").pop())).toEqual([
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
      "test_batch.bin",
    ]);
  });

  it("a bad batch fails before anything is written to the cache", () => {
    const dataDir = tempDir();
    const dir = join(dataDir, "raw", "cifar-10-batches-bin");
    cpSync(CIFAR, dir, { recursive: true });
    writeFileSync(join(dir, "test_batch.bin"), readFileSync(join(CIFAR, "test_batch.bin")).subarray(0, 9000));
    expect(() => loadCifar10({ dataDir })).toThrow(`${join(dir, "test_batch.bin")}: size 9000 bytes`);
    expect(readdirSync(dataDir)).toEqual(["raw"]);
  });

  it("says where the files go when they are missing", () => {
    const dataDir = tempDir();
    expect(() => loadCifar10({ dataDir })).toThrow(
      `${join(dataDir, "raw", "cifar-10-batches-bin", "data_batch_1.bin")}` +
        `: missing: run \`lowprec fetch-data --dataset cifar10\``,
    );
  });
});

describe("writeSyntheticCifar10", () => {
  it("writes genuine-format batches that the loader reads back, deterministically", () => {
    const a = tempDir(),
      b = tempDir();
    writeSyntheticCifar10(a, 12, 3);
    writeSyntheticCifar10(b, 12, 3);
    expect(readdirSync(a).sort()).toEqual([
      "data_batch_1.bin",
      "data_batch_2.bin",
      "data_batch_3.bin",
      "data_batch_4.bin",
      "data_batch_5.bin",
      "test_batch.bin",
    ]);
    expect(readFileSync(join(a, "data_batch_1.bin")).length).toBe(3 * 3073); // 12 = 3 + 3 + 2 + 2 + 2 records
    expect(readFileSync(join(a, "data_batch_5.bin")).length).toBe(2 * 3073);
    expect(readFileSync(join(a, "test_batch.bin"))).toEqual(readFileSync(join(b, "test_batch.bin")));
    const s = loadCifar10({ dataDir: a, dir: a, preprocessing: "none", validCount: 2 });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([10, 2, 3]);
    expect(Math.max(...s.train.labels)).toBeLessThan(10);
    expect(() => writeSyntheticCifar10(a, 4, 1)).toThrow(/at least 5 training records/);
  });
});
