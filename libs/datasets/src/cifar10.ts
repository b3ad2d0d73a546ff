/**
 * CIFAR-10 from the binary version, split 45 000 / 5 000 / 10 000 (valid = the last 5 000 training images, the
 * second half of data_batch_5), preprocessed as Pylearn2's `gcn_whitened` (METHOD.md §5.3–5.4): GCN scale 55 on raw
 * 0..255 pixels, then ZCA (filter bias 0.1) fitted on all 50 000 GCN'd training images, applied to all splits.
 * The result is cached under `cacheDir`.
 */
import { join } from "node:path";
import { cacheKey, cachePaths, readCache, writeCache } from "./cache.js";
import { DataFormatError, type Dataset, type Splits } from "./dataset.js";
import { isFile } from "./io/files.js";
import { readCifarBatch, type CifarBatch } from "./io/cifar.js";
import { dataPaths } from "./paths.js";
import { gcn } from "./preprocess/gcn.js";
import { applyZca, fitZca, type ZcaOptions } from "./preprocess/zca.js";

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

export interface Cifar10Options {
  /** data root (raw files in <dataDir>/raw/cifar-10-batches-bin, cache in <dataDir>/cache) */
  readonly dataDir: string;
  /** folder of the .bin files, overriding the one under dataDir */
  readonly dir?: string;
  /** cache folder, overriding <dataDir>/cache */
  readonly cacheDir?: string;
  /** "gcn-zca" (default, the paper's) or "none" (pixels / 255 in [0, 1]) */
  readonly preprocessing?: "gcn-zca" | "none";
  /** GCN scale; Pylearn2's CIFAR-10 loader uses 55 */
  readonly gcnScale?: number;
  /** ZCA filter bias; Pylearn2 default 0.1 */
  readonly filterBias?: number;
  /** examples at the end of the training files held out for validation; default 5 000 */
  readonly validCount?: number;
  /** faster kernels for ZCA (see ZcaOptions) */
  readonly kernels?: Pick<ZcaOptions, "matMulNT" | "eigh">;
  /** one line naming the ZCA kernels, logged when ZCA runs (not on a cache hit) */
  readonly kernelsDescription?: string;
  /** progress lines while the preprocessing runs (a cold cache: tens of seconds); default silent */
  readonly log?: (line: string) => void;
}

export function loadCifar10(options: Cifar10Options): Splits {
  const dir = options.dir ?? dataPaths(options.dataDir).cifar10;
  const cacheDir = options.cacheDir ?? dataPaths(options.dataDir).cache;
  const preprocessing = options.preprocessing ?? "gcn-zca";
  const gcnScale = options.gcnScale ?? 55;
  const filterBias = options.filterBias ?? 0.1;
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
    steps = [
      `gcn scale=${gcnScale} sqrtBias=0 useStd=false minDivisor=1e-8 on raw 0..255 pixels`,
      `zca filterBias=${filterBias} fitted on all ${trainCount} training images` +
        ` (incl. validation), applied to every split`,
    ];
    const key = cacheKey({ dataset: "cifar10", files: files.map((f) => f.sha256), steps });
    const cached = readCache(cacheDir, key);
    if (cached) {
      train = cached.get("train") as Float32Array;
      test = cached.get("test") as Float32Array;
    } else {
      const log = options.log ?? (() => undefined);
      const t0 = performance.now();
      const total = trainCount + testBatch.count;
      log(`cifar10: preprocessing ${total} images (GCN + ZCA, once; the result is cached in ${cacheDir})`);
      train = toFloat(batches, 1);
      test = toFloat([testBatch], 1);
      gcn(train, trainCount, 3072, { scale: gcnScale });
      gcn(test, testBatch.count, 3072, { scale: gcnScale });
      if (options.kernelsDescription) log(options.kernelsDescription);
      log(`cifar10: fitting ZCA on ${trainCount} images (covariance 3072×3072, eigendecomposition)`);
      const zca = fitZca(train, trainCount, 3072, { filterBias, ...options.kernels });
      log(`cifar10: applying ZCA to ${total} images`);
      applyZca(zca, train, trainCount, options.kernels);
      applyZca(zca, test, testBatch.count, options.kernels);
      log(`cifar10: preprocessed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      writeCache(
        cacheDir,
        key,
        { dataset: "cifar10", files, steps },
        new Map([
          ["train", train],
          ["test", test],
        ]),
      );
    }
    cacheFile = cachePaths(cacheDir, key).bin;
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
