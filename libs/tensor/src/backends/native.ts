/**
 * The `native` backend: a thin wrapper over the N-API addon (native/src/*.cc). Arguments are checked
 * here with the same messages as the reference (validate.ts), then marshalled to the addon, which checks
 * every length again before touching memory. A format becomes a small Float64Array of parameters.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import {
  checkFormat,
  floatExponentRange,
  floatMax,
  formatMax,
  INTEGER_BITS_LIMIT,
  mxElementEmax,
} from "@lowprec/formats";
import type { MxQuantizeStats, QuantizeStats, RoundingMode } from "@lowprec/formats";
import type {
  AddArgs,
  ApplyMaskArgs,
  AxpbyArgs,
  Backend,
  BackendInfo,
  BiasAddArgs,
  BiasGradArgs,
  ColumnNormsArgs,
  Conv2dBackwardDataArgs,
  Conv2dBackwardFilterArgs,
  Conv2dForwardArgs,
  Conv2dShape,
  DropoutMaskArgs,
  GemmArgs,
  MaxoutBackwardArgs,
  MaxoutForwardArgs,
  MaxPoolBackwardArgs,
  MaxPoolForwardArgs,
  QuantizeArgs,
  QuantizeMxArgs,
  QuantizeSpec,
  ScaleArgs,
  ScaleColumnsArgs,
  SoftmaxCrossEntropyBackwardArgs,
  BatchedMatmulArgs,
  SoftmaxRowsArgs,
  SoftmaxRowsBackwardArgs,
  SwapAxesArgs,
  LayerNormArgs,
  LayerNormBackwardArgs,
  GeluArgs,
  GeluBackwardArgs,
  SoftmaxCrossEntropyForwardArgs,
  SimdPath,
  SoftmaxCrossEntropyResult,
} from "../kernels.js";
import * as v from "../validate.js";
import { KernelNotImplementedError, ShapeError } from "../errors.js";
import { KERNEL_NAMES } from "../kernels.js";
import { checkStream } from "./ts.js";
import { emptyMxStats } from "../formats-api.js";

type F32 = Float32Array;
type Q = Float64Array | null;
/** The addon's functions (native/src/addon.cc), positional arguments. */
export interface Addon {
  /**
   * dnnl: built with oneDNN; usesDnnl: convolutions go through it now; dnnlConvs: how many it has run; simd: the
   * SIMD path the kernels run on; simdSupported: the paths this build and CPU run, best first (simd absent in addons
   * built from older sources)
   */
  info(): {
    blas: boolean;
    usesBlas: boolean;
    threads: number;
    dnnl?: boolean;
    usesDnnl?: boolean;
    dnnlConvs?: number;
    simd?: SimdPath;
    simdSupported?: SimdPath[];
  };
  setThreads(n: number): void;
  useBlas(on: boolean): void;
  /** switches the oneDNN convolutions off (im2col + gemm) or back on; absent in addons built from older sources */
  useDnnl?(on: boolean): void;
  /** runs the kernels on this SIMD path from now on (it must run here); returns the previous path */
  useSimd?(path: SimdPath): SimdPath;
  gemm(
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: F32,
    b: F32,
    beta: number,
    c: F32,
    q: Q,
    s: Q,
  ): void;
  conv2dForward(dims: Int32Array, x: F32, w: F32, y: F32, q: Q, s: Q): void;
  conv2dBackwardData(dims: Int32Array, dy: F32, w: F32, dx: F32, q: Q, s: Q): void;
  conv2dBackwardFilter(dims: Int32Array, x: F32, dy: F32, dw: F32, beta: number, q: Q, s: Q): void;
  biasAdd(n: number, c: number, s: number, x: F32, b: F32, y: F32, q: Q, st: Q): void;
  biasGrad(n: number, c: number, s: number, dy: F32, db: F32, q: Q, st: Q): void;
  maxoutForward(n: number, u: number, k: number, s: number, x: F32, y: F32, arg: Int32Array, q: Q, st: Q): void;
  maxoutBackward(
    n: number,
    u: number,
    k: number,
    s: number,
    x: F32,
    arg: Int32Array,
    dy: F32,
    dx: F32,
    all: boolean,
    q: Q,
    st: Q,
  ): void;
  maxPoolForward(
    n: number,
    c: number,
    h: number,
    w: number,
    size: number,
    stride: number,
    x: F32,
    y: F32,
    arg: Int32Array,
    q: Q,
    st: Q,
  ): void;
  maxPoolBackward(
    n: number,
    c: number,
    h: number,
    w: number,
    size: number,
    stride: number,
    x: F32,
    arg: Int32Array,
    dy: F32,
    dx: F32,
    all: boolean,
    q: Q,
    st: Q,
  ): void;
  softmaxCrossEntropyForward(
    n: number,
    c: number,
    logits: F32,
    labels: Int32Array,
    probs: F32,
    out: Float64Array,
  ): void;
  softmaxCrossEntropyBackward(
    n: number,
    c: number,
    probs: F32,
    labels: Int32Array,
    dl: F32,
    scale: number,
    q: Q,
    st: Q,
  ): void;
  dropoutMask(mask: Uint8Array, keepProb: number, seed: number, counter: number): void;
  applyMask(x: F32, mask: Uint8Array, y: F32): void;
  columnNorms(rows: number, cols: number, w: F32, norms: F32): void;
  scaleColumns(rows: number, cols: number, w: F32, f: F32, y: F32, q: Q, st: Q): void;
  axpby(alpha: number, x: F32, beta: number, y: F32, q: Q, st: Q): void;
  scale(alpha: number, x: F32, y: F32, q: Q, st: Q): void;
  add(a: F32, b: F32, y: F32, q: Q, st: Q): void;
  quantize(x: F32, y: F32, q: Float64Array, st: Float64Array): void;
  /**
   * st: [count, blocks, nanBlocks, nan, overflow, flushed, zeros, amax]; along 0: flat, 1: blocks along the rows of
   * the rows × cols matrix, 2: down its columns
   */
  quantizeMx(
    x: F32,
    y: F32,
    q: Float64Array,
    block: number,
    emax: number,
    scales: Uint8Array | null,
    st: Float64Array,
    rows: number,
    cols: number,
    along: number,
  ): void;
  /** dims: [batch, m, n, k, transA, transB] */
  batchedMatmul(dims: Int32Array, alpha: number, a: F32, b: F32, c: F32, q: Q, st: Q): void;
  softmaxRows(rows: number, cols: number, x: F32, y: F32, q: Q, st: Q): void;
  swapAxes(outer: number, rows: number, cols: number, inner: number, x: F32, y: F32): void;
  softmaxRowsBackward(rows: number, cols: number, y: F32, dy: F32, dx: F32, q: Q, st: Q): void;
  layerNorm(
    rows: number,
    cols: number,
    x: F32,
    gamma: F32,
    beta: F32,
    eps: number,
    y: F32,
    mean: F32,
    rstd: F32,
    q: Q,
    st: Q,
  ): void;
  layerNormBackward(
    rows: number,
    cols: number,
    x: F32,
    gamma: F32,
    mean: F32,
    rstd: F32,
    dy: F32,
    dx: F32,
    dgamma: F32,
    dbeta: F32,
    q: Q,
    st: Q,
  ): void;
  gelu(x: F32, y: F32, q: Q, st: Q): void;
  geluBackward(x: F32, dy: F32, dx: F32, q: Q, st: Q): void;
}

/**
 * Loads the addon built at install time; throws an Error saying why when it is absent or broken. The addon picks its
 * SIMD path as it loads (LOWPREC_SIMD, else the best the CPU runs); a bad LOWPREC_SIMD fails the load with a
 * RangeError whose `code` is "LOWPREC_SIMD".
 *
 * NOTE: an addon built with oneDNN brings OpenMP (libgomp), whose idle threads by default spin for a while
 * after each parallel region. Between regions this process runs JavaScript and OpenBLAS, so on a 2-core
 * machine the spinning thread takes the core they need (PI-MNIST ran 5x slower). libgomp reads its wait policy
 * once, when it is loaded, so it is set to `passive` (idle threads sleep, as the addon's own pool does) for
 * the load only, unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT; child processes do not inherit it.
 */
export function loadAddon(): Addon {
  const here = dirname(fileURLToPath(import.meta.url));
  const path = join(here, "..", "..", "native", "build", "Release", "lowprec_tensor.node");
  const env = process.env;
  const setPolicy = env["OMP_WAIT_POLICY"] === undefined && env["GOMP_SPINCOUNT"] === undefined;
  if (setPolicy) env["OMP_WAIT_POLICY"] = "passive";
  try {
    return createRequire(import.meta.url)(path) as Addon;
  } finally {
    if (setPolicy) delete env["OMP_WAIT_POLICY"];
  }
}

const MODES: Readonly<Record<RoundingMode, number>> = {
  "nearest-even": 0,
  "nearest-away": 1,
  "toward-zero": 2,
  stochastic: 3,
};

/**
 * A quantize spec as the addon's parameter block
 * [kind, mode, seed, counter, bits, frac, t, emin, max, flush, saturate, ieee].
 */
function qparams(kernel: string, q: QuantizeSpec | undefined): Float64Array | null {
  if (q === undefined) return null;
  const f = checkFormat(q.format);
  const mode = MODES[q.rounding ?? "nearest-even"];
  if (mode === undefined) throw new ShapeError(kernel, `invalid rounding "${String(q.rounding)}"`);
  const p = new Float64Array(12);
  p[1] = mode;
  if (mode === 3) {
    checkStream(kernel, q.rng);
    p[2] = q.rng!.seed >>> 0;
    p[3] = q.rng!.counter;
  }
  switch (f.kind) {
    case "identity":
      p[0] = 1;
      break;
    case "fixed":
    case "dynamic-fixed": {
      const ib = f.kind === "fixed" ? f.integerBits : q.integerBits;
      if (typeof ib !== "number" || !Number.isInteger(ib) || Math.abs(ib) > INTEGER_BITS_LIMIT)
        throw new ShapeError(
          kernel,
          `quantize to ${f.name}: integerBits must be an integer in [−${INTEGER_BITS_LIMIT}, ${INTEGER_BITS_LIMIT}]` +
            `, got ${String(ib)}`,
        );
      p[0] = 2;
      p[4] = f.bits;
      p[5] = f.bits - 1 - ib;
      break;
    }
    case "float": {
      p[0] = 3;
      p[6] = f.mantissa;
      p[7] = floatExponentRange(f).emin;
      p[8] = floatMax(f);
      p[9] = f.subnormals ? 0 : 1;
      p[10] = f.overflow === "saturate" ? 1 : 0;
      p[11] = f.specials === "ieee" ? 1 : 0;
      break;
    }
  }
  return p;
}

/** Runs an addon call with a quantize step over `n` produced elements; returns stats, advances the rng. */
function withQuantize(
  kernel: string,
  q: QuantizeSpec | undefined,
  n: number,
  call: (p: Q, s: Q) => void,
): QuantizeStats | undefined {
  const p = qparams(kernel, q);
  // NOTE: the addon's stats array: [count, overflow, overflowHalfRange, nan, amax, flushed, zeros]
  const s = p === null ? null : new Float64Array(7);
  call(p, s);
  if (q === undefined || s === null) return undefined;
  if (q.rounding === "stochastic") q.rng!.counter += n;
  const stats = q.stats ?? { count: 0, overflow: 0, overflowHalfRange: 0, nan: 0, flushed: 0, zeros: 0, amax: 0 };
  stats.count = n;
  stats.overflow = s[1]!;
  stats.overflowHalfRange = s[2]!;
  stats.nan = s[3]!;
  stats.flushed = s[5]!;
  stats.zeros = s[6]!;
  stats.amax = s[4]!;
  return stats;
}

function convDims(s: Conv2dShape, o: v.ConvSizes): Int32Array {
  return Int32Array.of(
    s.batch,
    s.inChannels,
    s.height,
    s.width,
    s.outChannels,
    s.kernelH,
    s.kernelW,
    s.padH,
    s.padW,
    s.strideH,
    s.strideW,
    o.outH,
    o.outW,
  );
}

/**
 * Builds the native backend over a loaded addon. With `simd`, every kernel runs on that SIMD path (switched in for the
 * call and back after it; tests and benchmarks compare the paths in one process), and `info.simd` says it.
 */
export function createNativeBackend(addon: Addon, reason?: string, simd?: SimdPath): Backend {
  const kernels: Omit<Backend, "info"> = {
    gemm(a: GemmArgs) {
      v.checkGemm(a);
      return withQuantize("gemm", a.quantize, a.m * a.n, (p, s) =>
        addon.gemm(a.transA === true, a.transB === true, a.m, a.n, a.k, a.alpha ?? 1, a.a, a.b, a.beta ?? 0, a.c, p, s),
      );
    },
    conv2dForward(a: Conv2dForwardArgs) {
      const o = v.checkConv("conv2dForward", a, a.x, "x", a.w, "w", a.y, "y", a.quantize);
      return withQuantize("conv2dForward", a.quantize, a.y.length, (p, s) =>
        addon.conv2dForward(convDims(a, o), a.x, a.w, a.y, p, s),
      );
    },
    conv2dBackwardData(a: Conv2dBackwardDataArgs) {
      const o = v.checkConv("conv2dBackwardData", a, a.dx, "dx", a.w, "w", a.dy, "dy", a.quantize);
      return withQuantize("conv2dBackwardData", a.quantize, a.dx.length, (p, s) =>
        addon.conv2dBackwardData(convDims(a, o), a.dy, a.w, a.dx, p, s),
      );
    },
    conv2dBackwardFilter(a: Conv2dBackwardFilterArgs) {
      const o = v.checkConv("conv2dBackwardFilter", a, a.x, "x", a.dw, "dw", a.dy, "dy", a.quantize);
      if (a.beta !== undefined) v.checkNumber("conv2dBackwardFilter", "beta", a.beta);
      return withQuantize("conv2dBackwardFilter", a.quantize, a.dw.length, (p, s) =>
        addon.conv2dBackwardFilter(convDims(a, o), a.x, a.dy, a.dw, a.beta ?? 0, p, s),
      );
    },
    biasAdd(a: BiasAddArgs) {
      v.checkBias("biasAdd", a, a.x, "x", a.bias, "bias", a.y, "y");
      return withQuantize("biasAdd", a.quantize, a.y.length, (p, s) =>
        addon.biasAdd(a.batch, a.channels, a.spatial, a.x, a.bias, a.y, p, s),
      );
    },
    biasGrad(a: BiasGradArgs) {
      v.checkBias("biasGrad", a, a.dy, "dy", a.db, "db", undefined, "");
      return withQuantize("biasGrad", a.quantize, a.db.length, (p, s) =>
        addon.biasGrad(a.batch, a.channels, a.spatial, a.dy, a.db, p, s),
      );
    },
    maxoutForward(a: MaxoutForwardArgs) {
      v.checkMaxout(
        "maxoutForward",
        a,
        a.x,
        [
          ["y", a.y, Float32Array],
          ["argmax", a.argmax, Int32Array],
        ],
        a.quantize,
      );
      return withQuantize("maxoutForward", a.quantize, a.y.length, (p, s) =>
        addon.maxoutForward(a.batch, a.units, a.pieces, a.spatial, a.x, a.y, a.argmax, p, s),
      );
    },
    maxoutBackward(a: MaxoutBackwardArgs) {
      v.checkMaxout(
        "maxoutBackward",
        a,
        a.x,
        [
          ["argmax", a.argmax, Int32Array],
          ["dy", a.dy, Float32Array],
        ],
        a.quantize,
      );
      v.checkArray("maxoutBackward", "dx", a.dx, Float32Array, a.x.length, "length of x");
      return withQuantize("maxoutBackward", a.quantize, a.dx.length, (p, s) =>
        addon.maxoutBackward(
          a.batch,
          a.units,
          a.pieces,
          a.spatial,
          a.x,
          a.argmax,
          a.dy,
          a.dx,
          (a.ties ?? "all") === "all",
          p,
          s,
        ),
      );
    },
    maxPoolForward(a: MaxPoolForwardArgs) {
      v.checkPool(
        "maxPoolForward",
        a,
        a.x,
        [
          ["y", a.y, Float32Array],
          ["argmax", a.argmax, Int32Array],
        ],
        a.quantize,
      );
      return withQuantize("maxPoolForward", a.quantize, a.y.length, (p, s) =>
        addon.maxPoolForward(a.batch, a.channels, a.height, a.width, a.size, a.stride, a.x, a.y, a.argmax, p, s),
      );
    },
    maxPoolBackward(a: MaxPoolBackwardArgs) {
      v.checkPool(
        "maxPoolBackward",
        a,
        a.x,
        [
          ["argmax", a.argmax, Int32Array],
          ["dy", a.dy, Float32Array],
        ],
        a.quantize,
      );
      v.checkArray("maxPoolBackward", "dx", a.dx, Float32Array, a.x.length, "length of x");
      return withQuantize("maxPoolBackward", a.quantize, a.dx.length, (p, s) =>
        addon.maxPoolBackward(
          a.batch,
          a.channels,
          a.height,
          a.width,
          a.size,
          a.stride,
          a.x,
          a.argmax,
          a.dy,
          a.dx,
          (a.ties ?? "all") === "all",
          p,
          s,
        ),
      );
    },
    softmaxCrossEntropyForward(a: SoftmaxCrossEntropyForwardArgs): SoftmaxCrossEntropyResult {
      v.checkSoftmax(
        "softmaxCrossEntropyForward",
        a,
        [
          ["logits", a.logits],
          ["probs", a.probs],
        ],
        a.quantize,
      );
      const out = new Float64Array(2);
      addon.softmaxCrossEntropyForward(a.batch, a.classes, a.logits, a.labels, a.probs, out);
      const stats = withQuantize("softmaxCrossEntropyForward", a.quantize, a.probs.length, (p, s) => {
        if (p !== null && s !== null) addon.quantize(a.probs, a.probs, p, s);
      });
      return { loss: out[0]!, errors: out[1]!, stats };
    },
    softmaxCrossEntropyBackward(a: SoftmaxCrossEntropyBackwardArgs) {
      v.checkSoftmax(
        "softmaxCrossEntropyBackward",
        a,
        [
          ["probs", a.probs],
          ["dlogits", a.dlogits],
        ],
        a.quantize,
      );
      v.checkNumber("softmaxCrossEntropyBackward", "scale", a.scale);
      return withQuantize("softmaxCrossEntropyBackward", a.quantize, a.dlogits.length, (p, s) =>
        addon.softmaxCrossEntropyBackward(a.batch, a.classes, a.probs, a.labels, a.dlogits, a.scale, p, s),
      );
    },
    dropoutMask(a: DropoutMaskArgs) {
      if (typeof a.keepProb !== "number" || !(a.keepProb >= 0 && a.keepProb <= 1))
        throw new ShapeError("dropoutMask", `keepProb must be in [0, 1], got ${String(a.keepProb)}`);
      checkStream("dropoutMask", a.rng);
      if (!(a.mask instanceof Uint8Array)) throw new ShapeError("dropoutMask", "mask must be a Uint8Array");
      addon.dropoutMask(a.mask, a.keepProb, a.rng.seed >>> 0, a.rng.counter);
      a.rng.counter += a.mask.length;
    },
    applyMask(a: ApplyMaskArgs) {
      const n = v.checkSameLength(
        "applyMask",
        [
          ["x", a.x],
          ["y", a.y],
        ],
        undefined,
      );
      v.checkArray("applyMask", "mask", a.mask, Uint8Array, n, "length of x");
      addon.applyMask(a.x, a.mask, a.y);
    },
    columnNorms(a: ColumnNormsArgs) {
      v.checkColumns("columnNorms", a, a.w, a.norms, "norms", undefined);
      addon.columnNorms(a.rows, a.cols, a.w, a.norms);
    },
    scaleColumns(a: ScaleColumnsArgs) {
      v.checkColumns("scaleColumns", a, a.w, a.factors, "factors", a.y);
      return withQuantize("scaleColumns", a.quantize, a.y.length, (p, s) =>
        addon.scaleColumns(a.rows, a.cols, a.w, a.factors, a.y, p, s),
      );
    },
    axpby(a: AxpbyArgs) {
      v.checkAxpby(a);
      return withQuantize("axpby", a.quantize, a.y.length, (p, s) => addon.axpby(a.alpha, a.x, a.beta, a.y, p, s));
    },
    scale(a: ScaleArgs) {
      v.checkNumber("scale", "alpha", a.alpha);
      v.checkSameLength(
        "scale",
        [
          ["x", a.x],
          ["y", a.y],
        ],
        a.quantize,
      );
      return withQuantize("scale", a.quantize, a.y.length, (p, s) => addon.scale(a.alpha, a.x, a.y, p, s));
    },
    add(a: AddArgs) {
      v.checkAdd(a);
      return withQuantize("add", a.quantize, a.y.length, (p, s) => addon.add(a.a, a.b, a.y, p, s));
    },
    quantize(a: QuantizeArgs) {
      const y = a.y ?? a.x;
      v.checkSameLength(
        "quantize",
        [
          ["x", a.x],
          ["y", y],
        ],
        a,
      );
      return withQuantize("quantize", a, y.length, (p, s) => addon.quantize(a.x, y, p!, s!))!;
    },
    quantizeMx(a: QuantizeMxArgs): MxQuantizeStats {
      const { y } = v.checkQuantizeMx(a);
      const element = a.format.element,
        emax = mxElementEmax(element),
        s = new Float64Array(8);
      // NOTE: the element's quantize params, with its largest value for the saturation count of either kind.
      const p = qparams("quantizeMx", { format: element, rounding: a.rounding, rng: a.rng })!;
      p[8] = formatMax(element);
      const m = a.matrix;
      const along = m === undefined ? 0 : m.along === "rows" ? 1 : 2;
      addon.quantizeMx(a.x, y, p, a.format.block, emax, a.scales ?? null, s, m?.rows ?? 0, m?.cols ?? 0, along);
      const stats = a.stats ?? emptyMxStats();
      stats.count = s[0]!;
      stats.blocks = s[1]!;
      stats.nanBlocks = s[2]!;
      stats.nan = s[3]!;
      stats.overflow = s[4]!;
      stats.flushed = s[5]!;
      stats.zeros = s[6]!;
      stats.amax = s[7]!;
      if (a.rounding === "stochastic") a.rng!.counter += y.length;
      return stats;
    },
    batchedMatmul(a: BatchedMatmulArgs) {
      v.checkBatchedMatmul(a);
      const dims = Int32Array.of(a.batch, a.m, a.n, a.k, a.transA ? 1 : 0, a.transB ? 1 : 0);
      return withQuantize("batchedMatmul", a.quantize, a.c.length, (p, s) =>
        addon.batchedMatmul(dims, a.alpha ?? 1, a.a, a.b, a.c, p, s),
      );
    },
    softmaxRows(a: SoftmaxRowsArgs) {
      const [r, c] = v.checkSoftmaxRows(a);
      return withQuantize("softmaxRows", a.quantize, r * c, (p, s) => addon.softmaxRows(r, c, a.x, a.y, p, s));
    },
    softmaxRowsBackward(a: SoftmaxRowsBackwardArgs) {
      const [r, c] = v.checkSoftmaxRowsBackward(a);
      return withQuantize("softmaxRowsBackward", a.quantize, r * c, (p, s) =>
        addon.softmaxRowsBackward(r, c, a.y, a.dy, a.dx, p, s),
      );
    },
    layerNorm(a: LayerNormArgs) {
      const [r, c, eps] = v.checkLayerNorm(a);
      return withQuantize("layerNorm", a.quantize, r * c, (p, s) =>
        addon.layerNorm(r, c, a.x, a.gamma, a.beta, eps, a.y, a.mean, a.rstd, p, s),
      );
    },
    layerNormBackward(a: LayerNormBackwardArgs) {
      const [r, c] = v.checkLayerNormBackward(a);
      return withQuantize("layerNormBackward", a.quantize, r * c, (p, s) =>
        addon.layerNormBackward(r, c, a.x, a.gamma, a.mean, a.rstd, a.dy, a.dx, a.dgamma, a.dbeta, p, s),
      );
    },
    gelu(a: GeluArgs) {
      const n = v.checkGelu(a);
      return withQuantize("gelu", a.quantize, n, (p, s) => addon.gelu(a.x, a.y, p, s));
    },
    geluBackward(a: GeluBackwardArgs) {
      const n = v.checkGeluBackward(a);
      return withQuantize("geluBackward", a.quantize, n, (p, s) => addon.geluBackward(a.x, a.dy, a.dx, p, s));
    },
    swapAxes(a: SwapAxesArgs) {
      const [o, r, c, i] = v.checkSwapAxes(a);
      addon.swapAxes(o, r, c, i, a.x, a.y);
    },
  };
  // NOTE: an addon built from older sources may lack a function: that kernel throws, naming itself.
  const table = addon as unknown as Record<string, unknown>;
  const missing = KERNEL_NAMES.filter((k) => typeof table[k] !== "function");
  const stubs = Object.fromEntries(
    missing.map((k) => [
      k,
      () => {
        throw new KernelNotImplementedError(k, "native");
      },
    ]),
  );
  const backend: Record<string, unknown> = { ...kernels, ...stubs };
  if (simd !== undefined) {
    const use = addon.useSimd;
    if (use === undefined) throw new KernelNotImplementedError("useSimd", "native");
    const runs = addon.info().simdSupported ?? [];
    if (!runs.includes(simd))
      throw new RangeError(`SIMD path "${simd}" does not run here (the paths that run here: ${runs.join(", ")})`);
    for (const name of KERNEL_NAMES) {
      const kernel = backend[name] as (args: unknown) => unknown;
      backend[name] = (args: unknown): unknown => {
        const before = use(simd);
        try {
          return kernel(args);
        } finally {
          use(before);
        }
      };
    }
  }
  // NOTE: info is read live, so it follows setNativeBlas / LOWPREC_THREADS.
  Object.defineProperty(backend, "info", {
    enumerable: true,
    get(): BackendInfo {
      const ai = addon.info();
      const path = simd ?? ai.simd;
      return Object.freeze({
        name: "native",
        blas: ai.usesBlas,
        threads: ai.threads,
        conv: ai.usesDnnl === true ? "onednn" : "im2col",
        ...(path !== undefined ? { simd: path } : {}),
        ...(reason ? { reason } : {}),
      });
    },
  });
  return Object.freeze(backend) as unknown as Backend;
}
