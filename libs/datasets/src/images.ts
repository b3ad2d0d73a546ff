/**
 * Any folder of images as a data set, laid out as torchvision's ImageFolder: `DIR/train/<class>/*` and
 * `DIR/test/<class>/*` (.png, .jpg, .jpeg). Two layouts: "rgb32" (CIFAR-10's 3×32×32, split and preprocessed as
 * CIFAR-10) and "grey28" (MNIST's 1×28×28, split and scaled as MNIST).
 *
 * Classes are the sub-folders of train/, sorted by code point (Python's `sorted`); an example's label is its class's
 * index. Examples come class by class, and within a class in `sorted(os.walk(...))` order, file names sorted
 * (ImageFolder's order). That order would make "the last 5 000 training images" one class and "the first 1 000 test
 * images" another, so both splits are put in a fixed pseudo-random order, each by a fresh generator: the training
 * images by numpy `RandomState(0).permutation(N)`, then the layout's own split takes the last `validCount` for
 * validation; the test images by `RandomState(0).permutation(N_test)`, so the first test images (an evaluation
 * limit) mix the classes, as those of CIFAR-10's and MNIST's own test files do. The error on the whole test set
 * does not depend on the order: the same images are counted in any order (except that a partial last batch, which
 * the trainer's dropPartialBatches leaves out, holds other images in another order).
 *
 * Decoding is pure JavaScript (pngjs, jpeg-js): the same bytes give the same pixels on every host, which the cache
 * and "same seed, same bits" rely on (a native libjpeg's SIMD paths may differ by a grey level between machines).
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { decode as decodeJpeg } from "jpeg-js";
import { PNG } from "pngjs";
import { replaceDirAtomic } from "@lowprec/storage";
import { cacheKey, cachePaths, readCache, writeCache } from "./cache.js";
import { DataFormatError, type Dataset, type Splits } from "./dataset.js";
import { gcnZcaCached, type GcnZcaOptions } from "./gcn-zca.js";
import { dataPaths } from "./paths.js";
import { NumpyRandomState } from "./random.js";

/** "rgb32": CIFAR-10's 3×32×32 (grey images get 3 equal channels); "grey28": MNIST's 1×28×28, grey images only. */
export type ImageLayout = "rgb32" | "grey28";

export interface ImageFolderOptions extends GcnZcaOptions {
  /** the folder holding train/<class>/ and test/<class>/ */
  readonly dir: string;
  readonly layout: ImageLayout;
  /** data root (the cache in <dataDir>/cache) */
  readonly dataDir: string;
  /** cache folder, overriding <dataDir>/cache */
  readonly cacheDir?: string;
  /** the data set's name; default: the folder's (see imageFolderName) */
  readonly name?: string;
  /**
   * rgb32: "gcn-zca" (default, CIFAR-10's) or "none" (pixels / 255 in [0, 1]); grey28: "none" only (MNIST's
   * pixels / 255, not centred)
   */
  readonly preprocessing?: "gcn-zca" | "none";
  /** training images (after the permutation) held out for validation, from the end; rgb32 5 000, grey28 10 000 */
  readonly validCount?: number;
  /** grey28: the flat view [784] (the permutation-invariant task) instead of [1, 28, 28]; default false */
  readonly flat?: boolean;
}

/** One image of the folder: its path relative to DIR ("/"-separated) and its label. */
export interface ImageEntry {
  readonly path: string;
  readonly relative: string;
  readonly label: number;
}

/** What the folder holds, in ImageFolder order. */
export interface ImageFolderListing {
  /** absolute */
  readonly dir: string;
  readonly classNames: readonly string[];
  readonly train: readonly ImageEntry[];
  readonly test: readonly ImageEntry[];
}

/** The labels are bytes. */
export const MAX_IMAGE_CLASSES = 256;
/** The seed of each split's fixed order (a fresh numpy RandomState per split). */
export const IMAGE_FOLDER_SEED = 0;

const EXTENSIONS = /\.(png|jpe?g)$/i;
const WHAT = ".png, .jpg or .jpeg image";
const LAYOUTS = {
  rgb32: { channels: 3, side: 32, validCount: 5000 },
  grey28: { channels: 1, side: 28, validCount: 10000 },
} as const;

/** Code point order, as Python's `sorted` on str (JS's default sort compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** The name of a folder as a data set: `name` if given, else the folder's own, lower-cased, odd characters as "-". */
export function imageFolderName(dir: string, name?: string): string {
  if (name !== undefined) return name;
  return (
    basename(resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[-.]+|[-.]+$/g, "") || "images"
  );
}

/** Lists the folder (classes and images in ImageFolder order); every problem is one DataFormatError. */
export function listImageFolder(dirGiven: string): ImageFolderListing {
  const dir = resolve(dirGiven);
  const layout = `an image folder holds train/<class>/ and test/<class>/ folders of ${WHAT}s`;
  if (!isDir(dir)) throw new DataFormatError(dir, `missing or not a folder (${layout})`);
  const trainDir = join(dir, "train");
  const testDir = join(dir, "test");
  for (const d of [trainDir, testDir]) if (!isDir(d)) throw new DataFormatError(d, `missing (${layout})`);
  const classNames = subfolders(trainDir);
  if (classNames.length === 0)
    throw new DataFormatError(trainDir, "no class folder: the images go in train/<class>/, one folder per class");
  if (classNames.length > MAX_IMAGE_CLASSES)
    throw new DataFormatError(
      trainDir,
      `${classNames.length} class folders, more than ${MAX_IMAGE_CLASSES} (labels are bytes)`,
    );
  const testClasses = subfolders(testDir);
  const known = new Set(classNames);
  for (const c of testClasses)
    if (!known.has(c))
      throw new DataFormatError(join(testDir, c), `class "${c}" is not one of the classes of ${trainDir}`);
  const inTest = new Set(testClasses);
  for (const c of classNames)
    if (!inTest.has(c))
      throw new DataFormatError(join(testDir, c), `missing: ${trainDir} has class "${c}" and test/ needs every class`);
  return { dir, classNames, train: listSplit(dir, "train", classNames), test: listSplit(dir, "test", classNames) };
}

function listSplit(dir: string, split: "train" | "test", classNames: readonly string[]): ImageEntry[] {
  const perClass = classNames.map((c) => walkClass(join(dir, split, c), `${split}/${c}`));
  if (perClass.every((files) => files.length === 0))
    throw new DataFormatError(
      join(dir, split),
      `no ${WHAT} in its ${classNames.length} class folder${classNames.length === 1 ? "" : "s"}`,
    );
  const out: ImageEntry[] = [];
  perClass.forEach((files, label) => {
    if (files.length === 0)
      throw new DataFormatError(join(dir, split, classNames[label]!), `no ${WHAT} (an empty class)`);
    for (const relative of files) out.push({ path: join(dir, relative), relative, label });
  });
  return out;
}

/**
 * The images of one class folder as ImageFolder finds them: `for root in sorted(os.walk(folder)): for name in
 * sorted(files)`, symbolic links followed (each real folder once). Hidden folders and files are skipped.
 */
function walkClass(folder: string, relative: string): string[] {
  const roots: { relative: string; files: string[] }[] = [];
  const seen = new Set<string>();
  const walk = (abs: string, rel: string): void => {
    const real = realpathSync(abs);
    if (seen.has(real)) return;
    seen.add(real);
    const files: string[] = [];
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue;
      const full = join(abs, e.name);
      const kind = e.isSymbolicLink() ? statKind(full) : e.isDirectory() ? "dir" : e.isFile() ? "file" : "other";
      if (kind === "dir") walk(full, `${rel}/${e.name}`);
      else if (kind === "file" && EXTENSIONS.test(e.name)) files.push(e.name);
    }
    roots.push({ relative: rel, files: files.sort(compareCodePoints) });
  };
  walk(folder, relative);
  roots.sort((a, b) => compareCodePoints(a.relative, b.relative));
  return roots.flatMap((r) => r.files.map((f) => `${r.relative}/${f}`));
}

function statKind(path: string): "dir" | "file" | "other" {
  try {
    const s = statSync(path);
    return s.isDirectory() ? "dir" : s.isFile() ? "file" : "other";
  } catch {
    return "other"; // a dangling link
  }
}

function isDir(path: string): boolean {
  return statKind(path) === "dir";
}

/** The non-hidden sub-folders of `dir`, sorted by code point. */
function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith(".") && (e.isDirectory() || (e.isSymbolicLink() && isDir(join(dir, e.name)))))
    .map((e) => e.name)
    .sort(compareCodePoints);
}

/**
 * The folder's digest: SHA-256 over the lines `<relative path>\t<SHA-256 of the file>\n` of every image of train/
 * and test/, sorted by code point, and the images' total size. Reads every image.
 */
export function imageFolderDigest(listing: ImageFolderListing): { sha256: string; bytes: number } {
  const lines: string[] = [];
  let bytes = 0;
  for (const e of [...listing.train, ...listing.test]) {
    const data = readImage(e.path);
    bytes += data.length;
    lines.push(`${e.relative}\t${createHash("sha256").update(data).digest("hex")}\n`);
  }
  lines.sort(compareCodePoints);
  const hash = createHash("sha256");
  for (const l of lines) hash.update(l, "utf8");
  return { sha256: hash.digest("hex"), bytes };
}

function readImage(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new DataFormatError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

/** A decoded image: width × height pixels of `channels` (3: RGB, 4: RGBA) bytes, row-major. */
interface Decoded {
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  readonly data: Uint8Array;
}

/** Decodes a PNG (pngjs) or a JPEG (jpeg-js), chosen by the file's first bytes, not its extension. */
function decodeImage(path: string, bytes: Buffer): Decoded {
  const oneLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").trim();
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47 && bytes.readUInt32BE(4) === 0x0d0a1a0a) {
    try {
      const png = PNG.sync.read(bytes, { checkCRC: true });
      return { width: png.width, height: png.height, channels: 4, data: png.data };
    } catch (e) {
      throw new DataFormatError(path, `cannot be decoded as PNG by pngjs (${oneLine(e)})`);
    }
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    try {
      // NOTE: tolerantDecoding off: jpeg-js would otherwise skip missing blocks of a damaged file silently
      const jpg = decodeJpeg(bytes, { useTArray: true, formatAsRGBA: false, tolerantDecoding: false });
      return { width: jpg.width, height: jpg.height, channels: 3, data: jpg.data };
    } catch (e) {
      throw new DataFormatError(path, `cannot be decoded as JPEG by jpeg-js (${oneLine(e)})`);
    }
  }
  const head = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  throw new DataFormatError(path, `neither PNG nor JPEG (it starts with ${head || "nothing: an empty file"})`);
}

/** Decodes one image into `out` at `offset` in the layout's CHW order, checking size, opacity and greyness. */
function decodeInto(path: string, layout: ImageLayout, out: Uint8Array, offset: number): void {
  const { side, channels } = LAYOUTS[layout];
  const img = decodeImage(path, readImage(path));
  if (img.width !== side || img.height !== side)
    throw new DataFormatError(path, `${side}×${side} expected, ${img.width}×${img.height} found (width×height)`);
  const { data } = img;
  const k = img.channels;
  const plane = side * side;
  const where = (i: number) => `row ${Math.floor(i / side)}, column ${i % side}`;
  for (let i = 0; i < plane; i++) {
    const o = i * k;
    if (k === 4 && data[o + 3] !== 255)
      throw new DataFormatError(
        path,
        `a pixel that is not fully opaque (alpha ${data[o + 3]} at ${where(i)}): only opaque images are taken`,
      );
    const [r, g, b] = [data[o]!, data[o + 1]!, data[o + 2]!];
    if (channels === 1) {
      if (r !== g || r !== b)
        throw new DataFormatError(
          path,
          `a colour image (R, G, B = ${r}, ${g}, ${b} at ${where(i)}): the grey28 layout takes grey images` +
            " (a grey PNG, or R = G = B at every pixel)",
        );
      out[offset + i] = r;
    } else {
      out[offset + i] = r;
      out[offset + plane + i] = g;
      out[offset + 2 * plane + i] = b;
    }
  }
}

/** The decoders and their versions, as the provenance and the cache key record them. */
function decoderVersions(): string {
  const require = createRequire(import.meta.url);
  const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;
  return `pngjs ${version("pngjs")}, jpeg-js ${version("jpeg-js")}`;
}

/** Decodes the images in the order given: count × (channels·side²) bytes. */
function decodeAll(entries: readonly ImageEntry[], layout: ImageLayout): Uint8Array {
  const { side, channels } = LAYOUTS[layout];
  const size = channels * side * side;
  const out = new Uint8Array(entries.length * size);
  for (let i = 0; i < entries.length; i++) decodeInto(entries[i]!.path, layout, out, i * size);
  return out;
}

/**
 * A folder of images as train / valid / test in one of two layouts (see the module comment). Cached under
 * `cacheDir`: the GCN + ZCA result (rgb32, "gcn-zca"), else the decoded pixels, both splits in their fixed orders.
 * The cache key holds the orders and the folder's digest (see imageFolderDigest), which is recomputed on every call,
 * so an edited image never reuses a stale entry, nor does an entry of another order.
 */
export function loadImageFolder(options: ImageFolderOptions): Splits {
  const { layout } = options;
  if (layout !== "rgb32" && layout !== "grey28")
    throw new RangeError(`loadImageFolder: layout must be "rgb32" or "grey28", got "${String(layout)}"`);
  const { channels, side } = LAYOUTS[layout];
  const preprocessing = options.preprocessing ?? (layout === "rgb32" ? "gcn-zca" : "none");
  if (preprocessing !== "none" && !(preprocessing === "gcn-zca" && layout === "rgb32"))
    throw new RangeError(
      `loadImageFolder: preprocessing for ${layout} must be ${layout === "rgb32" ? '"gcn-zca" or ' : ""}"none"` +
        `, got "${String(preprocessing)}"`,
    );
  if (options.flat && layout !== "grey28") throw new RangeError("loadImageFolder: flat is for the grey28 layout");
  const cacheDir = options.cacheDir ?? dataPaths(options.dataDir).cache;
  const listing = listImageFolder(options.dir);
  const { dir, classNames } = listing;
  const name = imageFolderName(dir, options.name);
  const n = listing.train.length;
  const validCount = options.validCount ?? LAYOUTS[layout].validCount;
  if (!Number.isInteger(validCount) || validCount < 0)
    throw new RangeError(`loadImageFolder: validCount ${validCount} must be a non-negative integer`);
  if (validCount >= n)
    throw new DataFormatError(
      join(dir, "train"),
      `${n} images leave none for training after the last ${validCount} held out for validation`,
    );
  const digest = imageFolderDigest(listing);
  const files = [{ path: dir, sha256: digest.sha256, bytes: digest.bytes }];
  const size = channels * side * side;
  const nTest = listing.test.length;
  const orderOf = (count: number) => `numpy RandomState(${IMAGE_FOLDER_SEED}).permutation(${count})`;
  const order = { train: orderOf(n), test: orderOf(nTest) };
  // every split in its fixed order from here on: decoded, cached, preprocessed and returned so
  const permuted = (entries: readonly ImageEntry[]) =>
    Array.from(
      new NumpyRandomState(IMAGE_FOLDER_SEED).shuffle(Int32Array.from({ length: entries.length }, (_, i) => i)),
      (i) => entries[i]!,
    );
  const trainEntries = permuted(listing.train);
  const testEntries = permuted(listing.test);
  const decodeStep =
    `decoded by ${decoderVersions()} (pure JavaScript) to 8-bit ` +
    (layout === "rgb32" ? "RGB, 32×32 (grey images: 3 equal channels)" : "grey, 28×28");
  const log = options.log ?? (() => undefined);
  const decode = (): { train: Uint8Array; test: Uint8Array } => {
    const t0 = performance.now();
    log(`${name}: decoding ${n + nTest} images of ${dir}`);
    const decoded = { train: decodeAll(trainEntries, layout), test: decodeAll(testEntries, layout) };
    log(`${name}: decoded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return decoded;
  };
  let train: Float32Array, test: Float32Array, steps: string[], cacheFile: string;
  if (preprocessing === "gcn-zca") {
    const whitened = gcnZcaCached(
      {
        name,
        cacheDir,
        key: { dataset: "images", layout, files: [digest.sha256], order, decoder: decodeStep },
        description: { dataset: "images", layout, files, order, decoder: decodeStep },
        trainCount: n,
        testCount: nTest,
        pixels: () => {
          const px = decode();
          return { train: toFloat(px.train, 1), test: toFloat(px.test, 1) };
        },
      },
      options,
    );
    ({ train, test, cacheFile } = whitened);
    steps = [decodeStep, ...whitened.steps];
  } else {
    const key = cacheKey({ dataset: "images", layout, files: [digest.sha256], order, steps: [decodeStep] });
    cacheFile = cachePaths(cacheDir, key).bin;
    let px = readCache(cacheDir, key) as Map<"train" | "test", Uint8Array> | undefined;
    if (px?.get("train")?.length !== n * size || px.get("test")?.length !== nTest * size) {
      const fresh = decode();
      px = new Map([
        ["train", fresh.train],
        ["test", fresh.test],
      ]);
      writeCache(cacheDir, key, { dataset: "images", layout, files, order, steps: [decodeStep] }, px);
    }
    train = toFloat(px.get("train")!, 255);
    test = toFloat(px.get("test")!, 255);
    steps = [
      decodeStep,
      layout === "rgb32" ? "pixels / 255 (range [0, 1])" : "pixels / 255 (range [0, 1], not centred)",
    ];
  }
  const trainLabels = Uint8Array.from(trainEntries, (e) => e.label);
  const testLabels = Uint8Array.from(testEntries, (e) => e.label);
  const shape = options.flat ? ([side * side] as const) : ([channels, side, side] as const);
  const make = (split: Dataset["split"], images: Float32Array, labels: Uint8Array, how: string): Dataset => ({
    name,
    split,
    images,
    labels,
    count: labels.length,
    shape,
    classNames,
    provenance: { files, split: how, preprocessing: steps, cacheFile },
  });
  const nTrain = n - validCount;
  const of = `of the ${n} images of train/ in ${classNames.length} classes, after a fixed permutation (${order.train})`;
  return {
    train: make(
      "train",
      train.subarray(0, nTrain * size),
      trainLabels.subarray(0, nTrain),
      `${nTrain} ${of}: positions 0..${nTrain - 1}`,
    ),
    valid: make(
      "valid",
      train.subarray(nTrain * size),
      trainLabels.subarray(nTrain),
      `the last ${validCount} ${of}: positions ${nTrain}..${n - 1}`,
    ),
    test: make(
      "test",
      test,
      testLabels,
      `all ${nTest} images of test/ in ${classNames.length} classes, after a fixed permutation (${order.test})`,
    ),
  };
}

/** Pixels (bytes) as float32 / divisor. */
function toFloat(px: Uint8Array, divisor: number): Float32Array {
  const out = new Float32Array(px.length);
  for (let i = 0; i < px.length; i++) out[i] = px[i]! / divisor;
  return out;
}

/** What importImageFolder did: the folder's listing and digest, and whether it copied (false: already there). */
export interface ImportedImageFolder {
  readonly listing: ImageFolderListing;
  readonly sha256: string;
  readonly bytes: number;
  readonly copied: boolean;
}

/**
 * Copies the image folder `from` (its images only, as listImageFolder lists them) to `to`, whole or not at all
 * (filled beside it, then swapped in: @lowprec/storage's replaceDirAtomic), and checks the copy's digest against
 * the source's. A `to` that already holds the same images (same digest) is kept; one that holds other images is
 * refused, naming it. Every problem of the source is one DataFormatError naming the file.
 */
export function importImageFolder(
  from: string,
  to: string,
  log: (line: string) => void = () => {},
): ImportedImageFolder {
  const listing = listImageFolder(from);
  const { sha256, bytes } = imageFolderDigest(listing);
  const target = resolve(to);
  if (isDir(target)) {
    const have = imageFolderDigest(listImageFolder(target));
    if (have.sha256 === sha256) return { listing, sha256, bytes, copied: false };
    throw new DataFormatError(
      target,
      `already holds other images (digest ${have.sha256.slice(0, 12)}, not ${sha256.slice(0, 12)} of ` +
        `${listing.dir}): move it away first`,
    );
  }
  const images = [...listing.train, ...listing.test];
  log(`copying ${images.length} images (${bytes} bytes) of ${listing.dir} to ${target}`);
  replaceDirAtomic(target, (fresh) => {
    for (const e of images) {
      const dest = join(fresh, e.relative);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(e.path, dest);
    }
  });
  const copy = imageFolderDigest(listImageFolder(target));
  if (copy.sha256 !== sha256)
    throw new DataFormatError(target, `the copy's digest ${copy.sha256.slice(0, 12)} is not the source's ${sha256}`);
  return { listing, sha256, bytes, copied: true };
}
