/**
 * CIFAR-10 from the binary version, split 45 000 / 5 000 / 10 000 (valid = the last 5 000 training images, the
 * second half of data_batch_5), preprocessed as Pylearn2's `gcn_whitened` (METHOD.md §5.3–5.4): GCN scale 55 on raw
 * 0..255 pixels, then ZCA (filter bias 0.1) fitted on all 50 000 GCN'd training images, applied to all splits.
 * The result is cached under `cacheDir`.
 */
import { join } from "node:path";
import { DataFormatError, type Dataset, type Splits } from "./dataset.js";
import { isFile } from "./io/files.js";
import { readCifarBatch, type CifarBatch } from "./io/cifar.js";
import { gcnZcaCached, type GcnZcaOptions } from "./gcn-zca.js";
import { dataPaths } from "./paths.js";

export const CIFAR10_CLASSES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
] as const;
export const CIFAR10_TRAIN_FILES = [
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
] as const;
export const CIFAR10_TEST_FILE = "test_batch.bin";

export interface Cifar10Options extends GcnZcaOptions {
  /** data root (raw files in <dataDir>/raw/cifar-10-batches-bin, cache in <dataDir>/cache) */
  readonly dataDir: string;
  /** folder of the .bin files, overriding the one under dataDir */
  readonly dir?: string;
  /** cache folder, overriding <dataDir>/cache */
  readonly cacheDir?: string;
  /** "gcn-zca" (default, the paper's) or "none" (pixels / 255 in [0, 1]) */
  readonly preprocessing?: "gcn-zca" | "none";
  /** examples at the end of the training files held out for validation; default 5 000 */
  readonly validCount?: number;
}

export function loadCifar10(options: Cifar10Options): Splits {
  const dir = options.dir ?? dataPaths(options.dataDir).cifar10;
  const cacheDir = options.cacheDir ?? dataPaths(options.dataDir).cache;
  const preprocessing = options.preprocessing ?? "gcn-zca";
  const validCount = options.validCount ?? 5000;
  const batches = CIFAR10_TRAIN_FILES.map((f) => readCifarBatch(requireFile(join(dir, f))));
  const testBatch = readCifarBatch(requireFile(join(dir, CIFAR10_TEST_FILE)));
  const trainCount = batches.reduce((a, b) => a + b.count, 0);
  if (!Number.isInteger(validCount) || validCount < 0 || validCount >= trainCount)
    throw new RangeError(`loadCifar10: validCount ${validCount} must be in [0, ${trainCount})`);
  const files = [...batches, testBatch].map((b) => ({ path: b.path, sha256: b.sha256, bytes: b.bytes }));
  const trainLabels = concatLabels(batches);
  let train: Float32Array, test: Float32Array, steps: string[], cacheFile: string | undefined;
  if (preprocessing === "none") {
    train = toFloat(batches, 255);
    test = toFloat([testBatch], 255);
    steps = ["pixels / 255 (range [0, 1])"];
  } else if (preprocessing === "gcn-zca") {
    ({ train, test, steps, cacheFile } = gcnZcaCached(
      {
        name: "cifar10",
        cacheDir,
        key: { dataset: "cifar10", files: files.map((f) => f.sha256) },
        description: { dataset: "cifar10", files },
        trainCount,
        testCount: testBatch.count,
        pixels: () => ({ train: toFloat(batches, 1), test: toFloat([testBatch], 1) }),
      },
      options,
    ));
  } else {
    throw new RangeError(`loadCifar10: preprocessing must be "gcn-zca" or "none", got "${String(preprocessing)}"`);
  }
  const nTrain = trainCount - validCount;
  const make = (split: Dataset["split"], images: Float32Array, labels: Uint8Array, how: string): Dataset => ({
    name: "cifar10",
    split,
    images,
    labels,
    count: labels.length,
    shape: [3, 32, 32],
    classNames: CIFAR10_CLASSES,
    provenance: { files, split: how, preprocessing: steps, ...(cacheFile ? { cacheFile } : {}) },
  });
  return {
    train: make(
      "train",
      train.subarray(0, nTrain * 3072),
      trainLabels.subarray(0, nTrain),
      `data_batch_1..5 examples 0..${nTrain - 1}`,
    ),
    valid: make(
      "valid",
      train.subarray(nTrain * 3072),
      trainLabels.subarray(nTrain),
      `data_batch_1..5 examples ${nTrain}..${trainCount - 1} (the last ${validCount})`,
    ),
    test: make("test", test, testBatch.labels, `test_batch, all ${testBatch.count} examples`),
  };
}

function requireFile(path: string): string {
  if (!isFile(path))
    throw new DataFormatError(
      path,
      "missing: run `lowprec fetch-data --dataset cifar10`" +
        ", or unpack cifar-10-binary.tar.gz so the .bin files are in this folder",
    );
  return path;
}

function concatLabels(batches: readonly CifarBatch[]): Uint8Array {
  const out = new Uint8Array(batches.reduce((a, b) => a + b.count, 0));
  let o = 0;
  for (const b of batches) {
    out.set(b.labels, o);
    o += b.count;
  }
  return out;
}

function toFloat(batches: readonly CifarBatch[], divisor: number): Float32Array {
  const out = new Float32Array(batches.reduce((a, b) => a + b.pixels.length, 0));
  let o = 0;
  for (const b of batches) {
    const px = b.pixels;
    for (let i = 0; i < px.length; i++) out[o + i] = px[i]! / divisor;
    o += px.length;
  }
  return out;
}
