/**
 * Pylearn2's `gcn_whitened` preprocessing (METHOD.md §5.3–5.4), the one implementation CIFAR-10's binary files and
 * image folders (`loadImageFolder`, layout rgb32) share: GCN scale 55 on raw 0..255 pixels, then ZCA (filter bias
 * 0.1) fitted on every training image (validation included) and applied to every split, cached under `cacheDir`.
 */
import { cacheKey, cachePaths, readCache, writeCache } from "./cache.js";
import { gcn } from "./preprocess/gcn.js";
import { applyZca, fitZca, type ZcaOptions } from "./preprocess/zca.js";

/** The switches of the GCN + ZCA step (loadCifar10 and loadImageFolder take them as they are). */
export interface GcnZcaOptions {
  /** GCN scale; Pylearn2's CIFAR-10 loader uses 55 */
  readonly gcnScale?: number;
  /** ZCA filter bias; Pylearn2 default 0.1 */
  readonly filterBias?: number;
  /** faster kernels for ZCA (see ZcaOptions) */
  readonly kernels?: Pick<ZcaOptions, "matMulNT" | "eigh">;
  /** one line naming the ZCA kernels, logged when ZCA runs (not on a cache hit) */
  readonly kernelsDescription?: string;
  /** progress lines while the preprocessing runs (a cold cache: tens of seconds); default silent */
  readonly log?: (line: string) => void;
}

/** What the step runs on. */
export interface GcnZcaInput {
  /** the data set's name at the start of the progress lines, e.g. "cifar10" */
  readonly name: string;
  readonly cacheDir: string;
  /** what identifies the input in the cache key (the steps are added to it), e.g. the files' SHA-256s */
  readonly key: Readonly<Record<string, unknown>>;
  /** what the cache entry's .json records about the input (the steps are added to it) */
  readonly description: Readonly<Record<string, unknown>>;
  /** training images (validation included): every one is in the ZCA fit */
  readonly trainCount: number;
  readonly testCount: number;
  /** the raw 0..255 pixels as float32, 3072 per image, in the order of the result; called on a cache miss only */
  readonly pixels: () => { train: Float32Array; test: Float32Array };
}

/** The steps as provenance records them (and the cache key holds them). */
export function gcnZcaSteps(gcnScale: number, filterBias: number, trainCount: number): string[] {
  return [
    `gcn scale=${gcnScale} sqrtBias=0 useStd=false minDivisor=1e-8 on raw 0..255 pixels`,
    `zca filterBias=${filterBias} fitted on all ${trainCount} training images` +
      ` (incl. validation), applied to every split`,
  ];
}

/** GCN then ZCA on `input`, from the cache when it holds the result, else computed and cached. */
export function gcnZcaCached(
  input: GcnZcaInput,
  options: GcnZcaOptions,
): { train: Float32Array; test: Float32Array; steps: string[]; cacheFile: string } {
  const gcnScale = options.gcnScale ?? 55;
  const filterBias = options.filterBias ?? 0.1;
  const { name, cacheDir, trainCount, testCount } = input;
  const steps = gcnZcaSteps(gcnScale, filterBias, trainCount);
  const key = cacheKey({ ...input.key, steps });
  const cacheFile = cachePaths(cacheDir, key).bin;
  const cached = readCache(cacheDir, key);
  if (cached)
    return { train: cached.get("train") as Float32Array, test: cached.get("test") as Float32Array, steps, cacheFile };
  const log = options.log ?? (() => undefined);
  const t0 = performance.now();
  const total = trainCount + testCount;
  log(`${name}: preprocessing ${total} images (GCN + ZCA, once; the result is cached in ${cacheDir})`);
  const { train, test } = input.pixels();
  gcn(train, trainCount, 3072, { scale: gcnScale });
  gcn(test, testCount, 3072, { scale: gcnScale });
  if (options.kernelsDescription) log(options.kernelsDescription);
  log(`${name}: fitting ZCA on ${trainCount} images (covariance 3072×3072, eigendecomposition)`);
  const zca = fitZca(train, trainCount, 3072, { filterBias, ...options.kernels });
  log(`${name}: applying ZCA to ${total} images`);
  applyZca(zca, train, trainCount, options.kernels);
  applyZca(zca, test, testCount, options.kernels);
  log(`${name}: preprocessed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  writeCache(
    cacheDir,
    key,
    { ...input.description, steps },
    new Map([
      ["train", train],
      ["test", test],
    ]),
  );
  return { train, test, steps, cacheFile };
}
