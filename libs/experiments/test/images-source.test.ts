// An images: folder (torchvision's ImageFolder layout) as a preset's data: grey 28×28 images feed pi-mnist split as
// MNIST; colour 32×32 PNGs give cifar10 exactly the tensors the binary CIFAR-10 files of the same pixels give, in the
// folder's fixed orders (both splits permuted; the same GCN + ZCA, fitted by the same kernels, bit for bit); other
// presets and too many classes are refused.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, describe, expect, it } from "vitest";
import { CIFAR10_CLASSES, NumpyRandomState, readCifarBatch, writeSyntheticCifar10 } from "@lowprec/datasets";
import { nativeFloat64Available } from "@lowprec/tensor";
import { dataSourceName, loadSplits } from "../src/data.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-images-source-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = () => undefined;

/** A PNG of side × side from R, G, B planes (grey: one plane, written as colour type 0). */
function png(side: number, planes: readonly Uint8Array[]): Buffer {
  const p = new PNG({ width: side, height: side });
  for (let i = 0; i < side * side; i++)
    p.data.set([planes[0]![i]!, planes[planes.length === 3 ? 1 : 0]![i]!, planes.at(-1)![i]!, 255], i * 4);
  return PNG.sync.write(p, { colorType: planes.length === 3 ? 2 : 0, inputColorType: 6 });
}

function put(path: string, bytes: Uint8Array): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, bytes);
}

/** Whether two float arrays hold the same bits (toEqual on millions of values exhausts vitest's heap). */
const sameBits = (a: Float32Array, b: Float32Array) =>
  a.length === b.length &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** numpy RandomState(0).permutation(n) */
const permutation = (n: number) => [...new NumpyRandomState(0).shuffle(Int32Array.from({ length: n }, (_, i) => i))];

describe("loadSplits with an images: folder", () => {
  it("grey 28×28 PNGs feed pi-mnist, split as MNIST (the last 10 000 of the permuted training images)", () => {
    const dir = join(root, "Grey Digits");
    const train = 10_030;
    for (let i = 0; i < train + 20; i++) {
      const split = i < train ? "train" : "test";
      const plane = new Uint8Array(784).map((_, j) => (i * 3 + j) % 256);
      put(join(dir, split, `digit-${i % 10}`, `${String(i).padStart(5, "0")}.png`), png(28, [plane]));
    }
    const s = loadSplits("pi-mnist", root, quiet, { kind: "images", dir });
    expect([s.train.count, s.valid.count, s.test.count]).toEqual([30, 10_000, 20]);
    expect(s.train.shape).toEqual([1, 28, 28]); // as the idx: source gives it
    expect(s.train.name).toBe("grey-digits");
    expect(dataSourceName({ kind: "images", dir })).toBe("grey-digits");
    expect(s.train.classNames).toEqual(Array.from({ length: 10 }, (_, k) => `digit-${k}`));
    // ImageFolder order: class k holds i = k, k + 10, ... (file names sort as numbers: zero-padded)
    const listing = Array.from({ length: 10 }, (_, k) =>
      Array.from({ length: train / 10 }, (_, j) => k + 10 * j),
    ).flat();
    const first = listing[permutation(train)[0]!]!;
    expect(s.train.labels[0]).toBe(first % 10);
    expect(s.train.images[5]).toBe(Math.fround(((first * 3 + 5) % 256) / 255));
    expect(s.valid.provenance?.split).toBe(
      "the last 10000 of the 10030 images of train/ in 10 classes, after a fixed permutation" +
        " (numpy RandomState(0).permutation(10030)): positions 30..10029",
    );
    expect(s.test.provenance?.files).toEqual([
      { path: dir, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number) },
    ]);
  }, 120_000);

  it("refuses a preset it cannot feed, and more classes than the network's outputs", () => {
    expect(() => loadSplits("svhn", root, quiet, { kind: "images", dir: root })).toThrow(
      "an images: data set feeds cifar10 (rgb32), vit-cifar10 (rgb32), pi-mnist (grey28), mnist-conv (grey28), " +
        'vit-mnist (grey28), not "svhn"',
    );
    const dir = join(root, "eleven");
    for (let k = 0; k < 11; k++)
      for (const split of ["train", "test"]) put(join(dir, split, `c${k}`, "0.png"), png(28, [new Uint8Array(784)]));
    expect(() => loadSplits("mnist-conv", root, quiet, { kind: "images", dir })).toThrow(
      `${join(dir, "train")}: 11 classes; the mnist-conv network has 10 outputs`,
    );
  });

  const native = nativeFloat64Available().available;
  it.runIf(native)(
    "cifar10: colour PNGs give the very floats of the binary files holding the same pixels in the same order",
    () => {
      // pixels and labels of CIFAR-10's format (writeSyntheticCifar10), written once as PNGs in class folders named
      // as CIFAR-10's classes (they sort as its label order) ...
      const raw = join(root, "synthetic");
      mkdirSync(raw);
      writeSyntheticCifar10(raw, 5030, 20);
      const batches = [1, 2, 3, 4, 5].map((b) => readCifarBatch(join(raw, `data_batch_${b}.bin`)));
      const testBatch = readCifarBatch(join(raw, "test_batch.bin"));
      const records = (bs: typeof batches) =>
        bs.flatMap((b) => Array.from({ length: b.count }, (_, i) => b.pixels.subarray(i * 3072, (i + 1) * 3072)));
      const labels = (bs: typeof batches) => bs.flatMap((b) => [...b.labels]);
      const [trainPx, trainLabels, testPx, testLabels] = [
        records(batches),
        labels(batches),
        records([testBatch]),
        labels([testBatch]),
      ];
      const dir = join(root, "cifar-png");
      const write = (split: string, px: Uint8Array[], lab: number[]) =>
        px.forEach((p, i) => {
          const planes = [0, 1, 2].map((c) => p.subarray(c * 1024, (c + 1) * 1024));
          put(join(dir, split, CIFAR10_CLASSES[lab[i]!]!, `${String(i).padStart(4, "0")}.png`), png(32, planes));
        });
      write("train", trainPx, trainLabels);
      write("test", testPx, testLabels);
      // ... and as binary batches in the order the images: source gives: ImageFolder's (label, then file), then
      // each split in its fixed order, numpy RandomState(0).permutation(N) (training) and .permutation(N_test) (test)
      const byLabel = (lab: number[]) => [...lab.keys()].sort((a, b) => lab[a]! - lab[b]! || a - b);
      const permuted = (lab: number[]) => {
        const order = byLabel(lab);
        return permutation(order.length).map((p) => order[p]!);
      };
      const trainIdx = permuted(trainLabels);
      const testIdx = permuted(testLabels);
      const record = (px: Uint8Array, label: number) => Buffer.concat([Buffer.from([label]), px]);
      const binRoot = join(root, "cifar-bin");
      const bin = join(binRoot, "raw", "cifar-10-batches-bin");
      mkdirSync(bin, { recursive: true });
      const perBatch = Math.ceil(trainIdx.length / 5);
      for (let b = 0; b < 5; b++)
        writeFileSync(
          join(bin, `data_batch_${b + 1}.bin`),
          Buffer.concat(
            trainIdx.slice(b * perBatch, (b + 1) * perBatch).map((i) => record(trainPx[i]!, trainLabels[i]!)),
          ),
        );
      writeFileSync(join(bin, "test_batch.bin"), Buffer.concat(testIdx.map((i) => record(testPx[i]!, testLabels[i]!))));
      const fromBin = loadSplits("cifar10", binRoot, quiet);
      const lines: string[] = [];
      const fromPng = loadSplits("cifar10", join(root, "png-data-root"), (l) => lines.push(l), { kind: "images", dir });
      for (const split of ["train", "valid", "test"] as const) {
        expect(fromPng[split].count).toBe(fromBin[split].count);
        expect(fromPng[split].labels).toEqual(fromBin[split].labels);
        expect(sameBits(fromPng[split].images, fromBin[split].images), split).toBe(true); // every float, exactly
        expect(fromPng[split].provenance?.preprocessing.slice(1)).toEqual(fromBin[split].provenance?.preprocessing);
      }
      expect([fromPng.train.count, fromPng.valid.count, fromPng.test.count]).toEqual([30, 5000, 20]);
      expect(fromPng.train.shape).toEqual([3, 32, 32]);
      expect(fromPng.train.classNames).toEqual(CIFAR10_CLASSES);
      expect(fromPng.test.provenance?.split).toBe(
        "all 20 images of test/ in 10 classes, after a fixed permutation (numpy RandomState(0).permutation(20))",
      );
      // the test images mix the classes, as binary CIFAR-10's test batch does (ImageFolder's order: by class)
      expect(Array.from(fromPng.test.labels)).toEqual(testIdx.map((i) => testLabels[i]!));
      expect(Array.from(fromPng.test.labels)).not.toEqual(byLabel(testLabels).map((i) => testLabels[i]!));
      // the cache key (and the entry's record) holds both orders
      const json = fromPng.test.provenance!.cacheFile!.replace(/\.bin$/, ".json");
      const entry = JSON.parse(readFileSync(json, "utf8")) as { description: { order: unknown } };
      expect(entry.description.order).toEqual({
        train: "numpy RandomState(0).permutation(5030)",
        test: "numpy RandomState(0).permutation(20)",
      });
      expect(lines).toEqual([
        "cifar-png: preprocessing 5050 images (GCN + ZCA, once; the result is cached in " +
          `${join(root, "png-data-root", "cache")})`,
        `cifar-png: decoding 5050 images of ${dir}`,
        expect.stringMatching(/^cifar-png: decoded in \d+\.\d s$/),
        "ZCA: native OpenBLAS dgemm + LAPACK dsyevd",
        "cifar-png: fitting ZCA on 5030 images (covariance 3072×3072, eigendecomposition)",
        "cifar-png: applying ZCA to 5050 images",
        expect.stringMatching(/^cifar-png: preprocessed in \d+\.\d s$/),
      ]);
      lines.length = 0;
      const again = loadSplits("cifar10", join(root, "png-data-root"), (l) => lines.push(l), { kind: "images", dir });
      expect(lines).toEqual([]); // a cache hit
      expect(sameBits(again.valid.images, fromPng.valid.images)).toBe(true);
    },
    300_000,
  );
});
