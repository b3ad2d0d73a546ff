/** The one typed object every loader hands out, and the error every reader throws on a bad file. */

/** Where a data set came from: the files read (with checksums) and what was done to them. */
export interface Provenance {
  /** every input file, with its SHA-256 (hex) and size in bytes */
  readonly files: readonly { readonly path: string; readonly sha256: string; readonly bytes: number }[];
  /** how this split was cut from the files, in words (e.g. "train images 0..49 999") */
  readonly split: string;
  /** preprocessing steps applied, in order, with their parameters (e.g. "gcn scale=55 ...") */
  readonly preprocessing: readonly string[];
  /** the cache entry the arrays were read from or written to, if any */
  readonly cacheFile?: string;
}

/** One split of one data set. Images are float32, example-major; NCHW when `shape` has 3 entries. */
export interface Dataset {
  /** e.g. "mnist", "cifar10", "svhn" */
  readonly name: string;
  /** "train", "valid" or "test" */
  readonly split: "train" | "valid" | "test";
  /** count × product(shape) values, example after example */
  readonly images: Float32Array;
  /** one class index per example, 0 ≤ label < classNames.length */
  readonly labels: Uint8Array;
  /** number of examples */
  readonly count: number;
  /** per-example shape: [channels, height, width], or [features] for the flat (permutation-invariant) view */
  readonly shape: readonly [number, number, number] | readonly [number];
  /** class index → name */
  readonly classNames: readonly string[];
  readonly provenance: Provenance;
}

/** The three splits every loader returns. */
export interface Splits {
  readonly train: Dataset;
  readonly valid: Dataset;
  readonly test: Dataset;
}

/** A data file that is missing, truncated or not in the expected format. The message names the file. */
export class DataFormatError extends Error {
  override readonly name = "DataFormatError";
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Number of values per example for a shape. */
export function featureCount(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
