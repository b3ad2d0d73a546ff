/**
 * SVHN format 2 (32×32 .mat files), split and preprocessed as Pylearn2's SVHN + `svhn_preprocessing.py`
 * (METHOD.md §5.1, §5.5): valid = 400 per class from train + 200 per class from extra, drawn with numpy
 * RandomState(322); splitted_train = everything else (598 388); each split shuffled once with the same stream;
 * then GCN (scale 1) and LeCun LCN (7×7, σ 2, threshold 1e-4) per split. Labels are digits: .mat label 10 → 0.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { cacheKey, cachePaths, readCache, writeCache } from "./cache.js";
import { DataFormatError, type Dataset, type Splits } from "./dataset.js";
import { isFile } from "./io/files.js";
import { readMat, type MatVariable } from "./io/mat.js";
import { dataPaths } from "./paths.js";
import { gcn } from "./preprocess/gcn.js";
import { lecunLcn, type LcnChannels } from "./preprocess/lcn.js";
import { NumpyRandomState } from "./random.js";

export const SVHN_CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] as const;
const SEED = 322;
const IMAGE = 3072;

export interface SvhnOptions {
  /** data root (raw files in <dataDir>/raw/svhn, cache in <dataDir>/cache) */
  readonly dataDir: string;
  /** folder of train_32x32.mat, test_32x32.mat, extra_32x32.mat, overriding the one under dataDir */
  readonly dir?: string;
  readonly cacheDir?: string;
  /**
   * use extra_32x32.mat as Pylearn2 does: true (required), false (the documented train-only fallback) or
   * "auto" (default: use it when the file is there, else fall back)
   */
  readonly useExtra?: boolean | "auto";
  /** "red-only" (default, Pylearn2's bug, faithful) or "all" channels get LCN */
  readonly lcnChannels?: LcnChannels;
  /** "gcn-lcn" (default, the paper's) or "none" (pixels / 255 in [0, 1]) */
  readonly preprocessing?: "gcn-lcn" | "none";
  /** validation examples per class from train / from extra; Pylearn2 400 / 200 */
  readonly validPerClassTrain?: number;
  readonly validPerClassExtra?: number;
  /** progress lines while the files are decoded and preprocessed (not on a cache hit) */
  readonly log?: (line: string) => void;
}

interface SvhnFile {
  path: string;
  x: Uint8Array;
  y: Uint8Array;
  count: number;
  sha256: string;
  bytes: number;
}

export function loadSvhn(options: SvhnOptions): Splits {
  const dir = options.dir ?? dataPaths(options.dataDir).svhn;
  const cacheDir = options.cacheDir ?? dataPaths(options.dataDir).cache;
  const useExtra =
    options.useExtra === "auto" || options.useExtra === undefined
      ? isFile(join(dir, "extra_32x32.mat"))
      : options.useExtra;
  const lcnChannels = options.lcnChannels ?? "red-only";
  const preprocessing = options.preprocessing ?? "gcn-lcn";
  const perTrain = options.validPerClassTrain ?? 400;
  const perExtra = options.validPerClassExtra ?? 200;
  if (preprocessing !== "gcn-lcn" && preprocessing !== "none")
    throw new RangeError(`loadSvhn: preprocessing must be "gcn-lcn" or "none", got "${String(preprocessing)}"`);
  if (lcnChannels !== "red-only" && lcnChannels !== "all")
    throw new RangeError(`loadSvhn: lcnChannels must be "red-only" or "all", got "${String(lcnChannels)}"`);
  const sourcePaths = [join(dir, "train_32x32.mat"), ...(useExtra ? [join(dir, "extra_32x32.mat")] : [])];
  const testPath = join(dir, "test_32x32.mat");
  // NOTE: the cache key needs only the files' checksums, so they are hashed without decoding: a cache hit never
  // holds the decoded .mat data (1.9 GB with extra) next to the cached splits (7.7 GB of float32).
  const files = [...sourcePaths, testPath].map(fileChecksum);
  const steps =
    preprocessing === "none"
      ? ["pixels / 255 (range [0, 1])"]
      : [
          "gcn scale=1 sqrtBias=0 useStd=false minDivisor=1e-8 on raw 0..255 pixels",
          `lecun_lcn kernel 7x7 sigma=2 threshold=1e-4 zero padding, channels=${lcnChannels}`,
        ];
  // NOTE: "none" is only a gather and a division, so it is not cached
  const key =
    preprocessing === "none"
      ? undefined
      : cacheKey({ dataset: "svhn", files: files.map((f) => f.sha256), useExtra, perTrain, perExtra, steps });
  let arrays = key ? readCache(cacheDir, key) : undefined;
  if (!arrays) {
    const log = options.log ?? (() => undefined);
    const t0 = performance.now();
    log(
      `svhn: decoding ${[...sourcePaths, testPath].length} .mat files and preprocessing (${steps.length} step(s)` +
        `${key ? `, once; the result is cached in ${cacheDir}` : ""})`,
    );
    const preprocess = (images: Float32Array, count: number): void => {
      if (preprocessing === "gcn-lcn") {
        log(`svhn: GCN + LeCun LCN on ${count} images`);
        gcn(images, count, IMAGE, { scale: 1 });
        lecunLcn(images, count, [3, 32, 32], { channels: lcnChannels });
      } else {
        for (let i = 0; i < images.length; i++) images[i] = images[i]! / 255;
      }
    };
    const fresh = trainAndValid(sourcePaths, files, perTrain, perExtra, preprocess);
    // the decoded train (+ extra) files are garbage by now; test is decoded only after them
    const test = readSvhnMat(testPath);
    sameFile(test, files.at(-1)!);
    const { images, labels } = gatherImages([test], new NumpyRandomState(SEED).shuffle(range(test.count)));
    preprocess(images, labels.length);
    fresh.set("test.images", images);
    fresh.set("test.labels", labels);
    if (key) writeCache(cacheDir, key, { dataset: "svhn", files, useExtra, perTrain, perExtra, steps }, fresh);
    log(`svhn: preprocessed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    arrays = fresh;
  }
  const cached = arrays;
  const cacheFile = key ? cachePaths(cacheDir, key).bin : undefined;
  const how = {
    train: useExtra
      ? `pylearn2 splitted_train: train+extra minus valid, shuffled (RandomState(${SEED}))`
      : `train minus valid (without extra_32x32.mat: a deviation from the paper's split)` +
        `, shuffled (RandomState(${SEED}))`,
    valid:
      `${perTrain}/class from train${useExtra ? ` + ${perExtra}/class from extra` : ""}` +
      `, RandomState(${SEED}), shuffled`,
    test: `test_32x32.mat, shuffled (RandomState(${SEED}))`,
  };
  const make = (s: Dataset["split"]): Dataset => {
    const labels = cached.get(`${s}.labels`) as Uint8Array;
    return {
      name: "svhn",
      split: s,
      images: cached.get(`${s}.images`) as Float32Array,
      labels,
      count: labels.length,
      shape: [3, 32, 32],
      classNames: SVHN_CLASSES,
      provenance: { files, split: how[s], preprocessing: steps, ...(cacheFile ? { cacheFile } : {}) },
    };
  };
  return { train: make("train"), valid: make("valid"), test: make("test") };
}

/**
 * Decodes train (+ extra), splits, gathers and preprocesses splitted_train and valid (in that order: the cache
 * layout). The decoded files are local to this call, so they are garbage once it returns.
 */
function trainAndValid(
  paths: readonly string[],
  files: readonly FileChecksum[],
  perTrain: number,
  perExtra: number,
  preprocess: (images: Float32Array, count: number) => void,
): Map<string, Float32Array | Uint8Array> {
  const sources = paths.map((p, i) => sameFile(readSvhnMat(p), files[i]!));
  const split = svhnSplitIndices(sources[0]!.y, sources[1]?.y, perTrain, perExtra);
  const out = new Map<string, Float32Array | Uint8Array>();
  for (const [name, order] of [
    ["train", split.train],
    ["valid", split.valid],
  ] as const) {
    const { images, labels } = gatherImages(sources, order);
    preprocess(images, labels.length);
    out.set(`${name}.images`, images);
    out.set(`${name}.labels`, labels);
  }
  return out;
}

interface FileChecksum {
  path: string;
  sha256: string;
  bytes: number;
}

/** SHA-256 and size of a file, read in 16 MiB pieces (nothing of it is kept). */
function fileChecksum(path: string): FileChecksum {
  if (!isFile(path)) throw missing(path);
  const hash = createHash("sha256");
  const buf = new Uint8Array(1 << 24);
  let fd = -1,
    bytes = 0;
  try {
    fd = openSync(path, "r");
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, bytes);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      bytes += n;
    }
  } catch (e) {
    throw new DataFormatError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return { path, sha256: hash.digest("hex"), bytes };
}

/** The decoded file, after checking it is the one that was hashed for the cache key. */
function sameFile(f: SvhnFile, c: FileChecksum): SvhnFile {
  if (f.sha256 !== c.sha256 || f.bytes !== c.bytes)
    throw new DataFormatError(f.path, "changed while it was being loaded; load again");
  return f;
}

function missing(path: string): DataFormatError {
  return new DataFormatError(
    path,
    "missing: run `lowprec fetch-data --dataset svhn`, or download the format-2 .mat files" +
      " from http://ufldl.stanford.edu/housenumbers/ into this folder",
  );
}

/**
 * The Pylearn2 split as example indices into train (0..nTrain−1) followed by extra (nTrain..).
 * Valid membership and the order of splitted_train match Pylearn2 exactly; the order of valid differs (see README).
 */
export function svhnSplitIndices(
  trainY: Uint8Array,
  extraY: Uint8Array | undefined,
  perTrain = 400,
  perExtra = 200,
): { train: Int32Array; valid: Int32Array } {
  const pick = () => {
    const rng = new NumpyRandomState(SEED);
    const validTrain = classBalanced(rng, trainY, perTrain, 0, "train");
    const validExtra = extraY ? classBalanced(rng, extraY, perExtra, trainY.length, "extra") : [];
    return { rng, valid: [...validTrain, ...validExtra] };
  };
  // splitted_train: complement in ascending order (CPython 2 iterates these large int sets in order), then shuffled
  const a = pick();
  const inValid = new Uint8Array(trainY.length + (extraY?.length ?? 0));
  for (const i of a.valid) inValid[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < inValid.length; i++) if (!inValid[i]) rest.push(i);
  const train = permute(rest, a.rng.shuffle(range(rest.length)));
  // valid: a fresh RandomState(322) makes the same draws, then shuffles the valid list
  const b = pick();
  const valid = permute(b.valid, b.rng.shuffle(range(b.valid.length)));
  return { train, valid };
}

function classBalanced(
  rng: NumpyRandomState,
  y: Uint8Array,
  perClass: number,
  offset: number,
  which: string,
): number[] {
  const chosen: number[] = [];
  for (let label = 1; label <= 10; label++) {
    const idx: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === label) idx.push(i);
    if (idx.length < perClass)
      throw new RangeError(
        `svhn split: ${which} has ${idx.length} examples of .mat label ${label}, need ${perClass} for validation`,
      );
    rng.shuffle(idx);
    for (let k = 0; k < perClass; k++) chosen.push(idx[k]! + offset);
  }
  // NOTE: Pylearn2 takes list(set(...)); CPython 2's order for this small set is not reproduced
  return chosen.sort((p, q) => p - q);
}

function range(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function permute(values: ArrayLike<number>, order: Int32Array): Int32Array {
  const out = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) out[k] = values[order[k]!]!;
  return out;
}

/** Images at global indices (train then extra) as float32 NCHW 0..255, labels as digits. */
function gatherImages(sources: readonly SvhnFile[], order: Int32Array): { images: Float32Array; labels: Uint8Array } {
  const images = new Float32Array(order.length * IMAGE);
  const labels = new Uint8Array(order.length);
  for (let k = 0; k < order.length; k++) {
    let i = order[k]!;
    let s = 0;
    while (i >= sources[s]!.count) {
      i -= sources[s]!.count;
      s++;
    }
    const src = sources[s]!;
    const y = src.y[i]!;
    labels[k] = y === 10 ? 0 : y;
    // MATLAB X is 32×32×3×N column-major: element (row r, col c, channel ch, n) at r + 32c + 1024ch + 3072n
    const so = i * IMAGE,
      d = k * IMAGE;
    for (let ch = 0; ch < 3; ch++) {
      for (let r = 0; r < 32; r++) {
        for (let c = 0; c < 32; c++) images[d + ch * 1024 + r * 32 + c] = src.x[so + ch * 1024 + c * 32 + r]!;
      }
    }
  }
  return { images, labels };
}

/** Reads one SVHN format-2 .mat file: X uint8 [32, 32, 3, N], y [N, 1] with values 1..10. */
export function readSvhnMat(path: string): SvhnFile {
  if (!isFile(path)) throw missing(path);
  const mat = readMat(path, ["X", "y"]);
  const x = mat.variables.get("X")!;
  const y = mat.variables.get("y")!;
  if (x.dims.length !== 4 || x.dims[0] !== 32 || x.dims[1] !== 32 || x.dims[2] !== 3)
    throw new DataFormatError(path, `variable "X" has dims [${x.dims.join(", ")}], expected [32, 32, 3, N]`);
  if (x.className !== "uint8") throw new DataFormatError(path, `variable "X" has class ${x.className}, expected uint8`);
  const count = x.dims[3]!;
  if (y.data.length !== count)
    throw new DataFormatError(path, `variable "y" has ${y.data.length} values for ${count} images`);
  return { path, x: x.data as Uint8Array, y: labels(path, y), count, sha256: mat.sha256, bytes: mat.bytes };
}

function labels(path: string, y: MatVariable): Uint8Array {
  const out = new Uint8Array(y.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = y.data[i]!;
    if (!(v >= 1 && v <= 10 && Number.isInteger(v)))
      throw new DataFormatError(path, `variable "y" has value ${v} at index ${i}, expected an integer 1..10`);
    out[i] = v;
  }
  return out;
}
