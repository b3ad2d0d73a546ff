import { copyFileSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DataFormatError,
  FASHION_MNIST_CLASSES,
  idxDatasetIdentity,
  KMNIST_CLASSES,
  loadIdxDataset,
  readIdx,
} from "../src/index.js";
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

/** An IDX3 ubyte file of `count` images of h × w (pixel = index + row + column, mod 256), or IDX1 labels. */
function idxImages(count: number, h: number, w: number): Buffer {
  const head = Buffer.from([0, 0, 0x08, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  head.writeUInt32BE(count, 4);
  head.writeUInt32BE(h, 8);
  head.writeUInt32BE(w, 12);
  const px = Buffer.alloc(count * h * w);
  for (let i = 0; i < px.length; i++) px[i] = i % 251;
  return Buffer.concat([head, px]);
}
function idxLabels(labels: readonly number[]): Buffer {
  const head = Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 0]);
  head.writeUInt32BE(labels.length, 4);
  return Buffer.concat([head, Buffer.from(labels)]);
}
/** A folder of the four files: 5 training images of 2×3, 2 test images; `change` edits a file's bytes. */
function folder(change: Partial<Record<string, Buffer>> = {}): string {
  const dir = tempDir();
  const files: Record<string, Buffer> = {
    "train-images-idx3-ubyte": idxImages(5, 2, 3),
    "train-labels-idx1-ubyte": idxLabels([0, 1, 2, 3, 4]),
    "t10k-images-idx3-ubyte": idxImages(2, 2, 3),
    "t10k-labels-idx1-ubyte": idxLabels([5, 6]),
    ...change,
  };
  for (const [name, bytes] of Object.entries(files)) if (bytes) writeFileSync(join(dir, name), bytes);
  return dir;
}

describe("loadIdxDataset: a bad folder is one error naming the file", () => {
  it("the folder built by the helper loads (the cases below differ from it in one file)", () => {
    const s = loadIdxDataset({ dir: folder(), validCount: 2 });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([3, 2, 2]);
  });

  it("more labels than images", () => {
    const dir = folder({ "t10k-labels-idx1-ubyte": idxLabels([1, 2, 3]) });
    const p = join(dir, "t10k-labels-idx1-ubyte");
    expect(() => loadIdxDataset({ dir, validCount: 2 })).toThrow(DataFormatError);
    expect(() => loadIdxDataset({ dir, validCount: 2 })).toThrow(
      `${p}: 3 labels for 2 images in ${join(dir, "t10k-images-idx3-ubyte")}`,
    );
  });

  it("a label beyond the classes", () => {
    const dir = folder({ "train-labels-idx1-ubyte": idxLabels([0, 1, 12, 3, 4]) });
    expect(() => loadIdxDataset({ dir, validCount: 2 })).toThrow(
      `${join(dir, "train-labels-idx1-ubyte")}: label 12 at index 2 is not below the class count 10`,
    );
  });

  it("training images of 28×28 beside test images of 32×32", () => {
    const dir = folder({
      "train-images-idx3-ubyte": idxImages(5, 28, 28),
      "t10k-images-idx3-ubyte": idxImages(2, 32, 32),
    });
    expect(() => loadIdxDataset({ dir, validCount: 2 })).toThrow(
      `${join(dir, "t10k-images-idx3-ubyte")}: images are 32×32 but the training images` +
        ` (${join(dir, "train-images-idx3-ubyte")}) are 28×28`,
    );
  });

  it("a training file too small for the validation split names the training images", () => {
    const dir = folder();
    expect(() => loadIdxDataset({ dir })).toThrow(
      `${join(dir, "train-images-idx3-ubyte")}: 5 training images leave none for training after the last 10000` +
        " held out for validation",
    );
  });

  it("a missing labels file (neither plain nor .gz)", () => {
    const dir = folder();
    rmSync(join(dir, "t10k-labels-idx1-ubyte"));
    expect(() => loadIdxDataset({ dir, validCount: 2 })).toThrow(
      `${join(dir, "t10k-labels-idx1-ubyte")}: missing (also looked for the .gz version)`,
    );
  });
});

describe("idxDatasetIdentity: the name and class names of a folder", () => {
  it("recognises Fashion-MNIST and KMNIST by the folder's name (torchvision's raw/ included)", () => {
    expect(idxDatasetIdentity("/data/fashion-mnist")).toEqual({
      name: "fashion-mnist",
      classNames: FASHION_MNIST_CLASSES,
    });
    expect(idxDatasetIdentity("/data/FashionMNIST/raw").name).toBe("fashion-mnist");
    expect(idxDatasetIdentity("/data/KMNIST/raw")).toEqual({ name: "kmnist", classNames: KMNIST_CLASSES });
    expect(FASHION_MNIST_CLASSES[0]).toBe("T-shirt/top");
    expect(FASHION_MNIST_CLASSES[9]).toBe("Ankle boot");
    expect(KMNIST_CLASSES.map((c) => c.split(" ")[0])).toEqual([
      "o",
      "ki",
      "su",
      "tsu",
      "na",
      "ha",
      "ma",
      "ya",
      "re",
      "wo",
    ]);
  });

  it("other folders get their own name and the digits; a given name wins", () => {
    expect(idxDatasetIdentity("/data/My Digits")).toEqual({
      name: "my-digits",
      classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    });
    expect(idxDatasetIdentity("/data/x", "fashion_v2")).toEqual({
      name: "fashion_v2",
      classNames: FASHION_MNIST_CLASSES,
    });
  });
});
