/**
 * The kernel contract of @lowprec/tensor, typed once. Every backend (`ts`, `native`) implements these
 * kernels with exactly these semantics; the `ts` backend is the readable definition.
 *
 * Conventions (all kernels):
 * - Dense row-major Float32Arrays; dims are plain non-negative integers; activations are NCHW.
 * - Outputs are caller-allocated arrays passed in the args (no allocation in the training loop).
 *   Lengths are checked exactly; a wrong length, a negative or fractional dim throws a `ShapeError`
 *   (a RangeError) whose message names the kernel and the shapes.
 * - Products and sums accumulate in float32 or wider ("low-precision multipliers, high-precision
 *   accumulators"); nothing is rounded except by an explicit `quantize` step.
 * - Optional `quantize` on a producing kernel = "then quantize the produced tensor in place with
 *   @lowprec/formats semantics" (fused into one call; the native backend does it while the data is hot).
 *   Such kernels return the `QuantizeStats` of that pass (the `stats` object of the spec if one is given),
 *   or `undefined` without `quantize`.
 * - Layouts chosen for the Maxout trainer:
 *   - fully connected: z = x·W + b with x (batch × in), W stored (in × out) as in the authors' code, so
 *     `columnNorms` over axis 0 is the per-unit norm;
 *   - conv weights (outChannels, inChannels, kernelH, kernelW), outChannels = filters·pieces;
 *   - maxout pieces are consecutive channels/units: unit u = max over u·k … u·k+k−1.
 */
import type { Format, MxFormat, MxQuantizeStats, QuantizeStats, RandomStream, RoundingMode } from "@lowprec/formats";

/** Names of all kernels, in one table (a backend lacking one throws naming the kernel and the backend). */
export const KERNEL_NAMES = [
  // ** linear algebra **
  "gemm",
  // ** convolution (im2col + gemm) **
  "conv2dForward",
  "conv2dBackwardData",
  "conv2dBackwardFilter",
  // ** bias **
  "biasAdd",
  "biasGrad",
  // ** maxout and pooling **
  "maxoutForward",
  "maxoutBackward",
  "maxPoolForward",
  "maxPoolBackward",
  // ** output layer **
  "softmaxCrossEntropyForward",
  "softmaxCrossEntropyBackward",
  // ** dropout **
  "dropoutMask",
  "applyMask",
  // ** max-norm **
  "columnNorms",
  "scaleColumns",
  // ** elementwise **
  "axpby",
  "scale",
  "add",
  // ** rounding **
  "quantize",
  "quantizeMx",
  // ** attention and normalisation (the Transformer's) **
  "batchedMatmul",
  "softmaxRows",
  "softmaxRowsBackward",
  "layerNorm",
  "layerNormBackward",
  "gelu",
  "geluBackward",
  "swapAxes",
] as const;
export type KernelName = (typeof KERNEL_NAMES)[number];

/** How a tensor is rounded: the arguments of `quantize` from @lowprec/formats, minus the arrays. */
export interface QuantizeSpec {
  format: Format;
  /** default `nearest-even` */
  rounding?: RoundingMode;
  /** required for dynamic fixed point: the group's current integer bits */
  integerBits?: number;
  /** required for `stochastic`; element i uses randomBits(seed, counter + i); counter advances by n */
  rng?: RandomStream;
  /** a stats object to fill (reset first) instead of allocating one */
  stats?: QuantizeStats;
}

/** Tie rule of max backward passes. `all` (the authors' x == max mask, summed over windows) or `first`. */
export type TieRule = "all" | "first";

// ---------------------------------------------------------------------------------------------
// gemm

/**
 * C ← alpha · op(A) · op(B) + beta · C, op(X) = X or Xᵀ; op(A) is m × k, op(B) is k × n, C is m × n.
 * A is stored m × k (k × m when `transA`), B is k × n (n × k when `transB`), all row-major, no padding.
 * With beta = 0, C is overwritten (its old NaNs do not propagate).
 */
export interface GemmArgs {
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  transA?: boolean;
  transB?: boolean;
  /** default 1 */
  alpha?: number;
  /** default 0 */
  beta?: number;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// convolution: a correlation (no flip), zero padding, cuda-convnet/Caffe layout

/**
 * Geometry of a 2-D convolution. outH = floor((height + 2·padH − kernelH) / strideH) + 1 (same for W);
 * see `convOutputSize`. It must be ≥ 1 unless batch = 0.
 */
export interface Conv2dShape {
  batch: number;
  inChannels: number;
  height: number;
  width: number;
  outChannels: number;
  kernelH: number;
  kernelW: number;
  padH: number;
  padW: number;
  strideH: number;
  strideW: number;
}

/** y (batch, outChannels, outH, outW) ← conv(x (batch, inChannels, H, W), w (outChannels, inChannels, kH, kW)). */
export interface Conv2dForwardArgs extends Conv2dShape {
  x: Float32Array;
  w: Float32Array;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

/** dx (batch, inChannels, H, W) ← gradient of the loss w.r.t. x, from dy and w (overwrites dx). */
export interface Conv2dBackwardDataArgs extends Conv2dShape {
  dy: Float32Array;
  w: Float32Array;
  dx: Float32Array;
  quantize?: QuantizeSpec;
}

/** dw ← Σ over the batch of the gradient w.r.t. w, from x and dy; dw ← that + beta · dw (default beta 0). */
export interface Conv2dBackwardFilterArgs extends Conv2dShape {
  x: Float32Array;
  dy: Float32Array;
  dw: Float32Array;
  beta?: number;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// bias: x viewed as (batch, channels, spatial); FC layers use spatial = 1

/** y[n, c, s] ← x[n, c, s] + bias[c]. y may be x (in place). */
export interface BiasAddArgs {
  batch: number;
  channels: number;
  spatial: number;
  x: Float32Array;
  bias: Float32Array;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

/** db[c] ← Σ over n and s of dy[n, c, s] (accumulated in float64, stored as float32). */
export interface BiasGradArgs {
  batch: number;
  channels: number;
  spatial: number;
  dy: Float32Array;
  db: Float32Array;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// maxout: x (batch, units·pieces, spatial) → y (batch, units, spatial), pieces consecutive

/**
 * y[n, u, s] ← max over j < pieces of x[n, u·pieces + j, s]; argmax[n, u, s] ← the first j that attains it.
 * A NaN piece gives NaN (and its index).
 */
export interface MaxoutForwardArgs {
  batch: number;
  units: number;
  pieces: number;
  spatial: number;
  x: Float32Array;
  y: Float32Array;
  argmax: Int32Array;
  quantize?: QuantizeSpec;
}

/**
 * dx ← dy routed to the max pieces (overwrites dx). ties `all` (default, the authors'): every piece equal
 * to the max (x == x[argmax]) gets dy; ties `first`: only the argmax piece.
 */
export interface MaxoutBackwardArgs {
  batch: number;
  units: number;
  pieces: number;
  spatial: number;
  x: Float32Array;
  argmax: Int32Array;
  dy: Float32Array;
  dx: Float32Array;
  ties?: TieRule;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// max pooling, cuda-convnet MaxPool (start 0, no padding, overlapping, ceil mode)

/**
 * Geometry of max pooling over each (n, c) plane: outH = poolOutputSize(height, size, stride) =
 * ceil((height − size) / stride) + 1, minus one if the last window would start outside the image
 * (and 1 when height ≤ size); the last window is clipped at the edge (no pad values).
 */
export interface MaxPoolShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
  size: number;
  stride: number;
}

/** y[n,c,i,j] ← max of the clipped window; argmax ← its first position (row-major) as h·width + w within the plane. */
export interface MaxPoolForwardArgs extends MaxPoolShape {
  x: Float32Array;
  y: Float32Array;
  argmax: Int32Array;
  quantize?: QuantizeSpec;
}

/**
 * dx ← Σ over windows of dy routed to the window's max (overwrites dx). ties `all` (default, cuda-convnet
 * MaxPoolGrad): every position of the window equal to x[argmax] gets dy, summed over overlapping windows;
 * `first`: only argmax.
 */
export interface MaxPoolBackwardArgs extends MaxPoolShape {
  x: Float32Array;
  argmax: Int32Array;
  dy: Float32Array;
  dx: Float32Array;
  ties?: TieRule;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// softmax with cross-entropy (rows = examples)

/**
 * probs[n, :] ← softmax(logits[n, :]) (max-subtracted, exp and sums in float64). Returns the summed loss
 * Σ_n −log probs[n, labels[n]] (computed as logsumexp − logit, in float64) and the number of rows whose
 * first argmax differs from the label. Labels must be integers in [0, classes).
 */
export interface SoftmaxCrossEntropyForwardArgs {
  batch: number;
  classes: number;
  logits: Float32Array;
  labels: Int32Array;
  probs: Float32Array;
  quantize?: QuantizeSpec;
}
export interface SoftmaxCrossEntropyResult {
  /** Σ over the batch of −log p(label) */
  loss: number;
  /** rows whose prediction (first argmax of the logits) is not the label */
  errors: number;
  /** stats of the fused quantize of `probs`, if asked */
  stats: QuantizeStats | undefined;
}

/** dlogits[n, c] ← (probs[n, c] − [c == labels[n]]) · scale. The authors pass scale = 1 / classes. */
export interface SoftmaxCrossEntropyBackwardArgs {
  batch: number;
  classes: number;
  probs: Float32Array;
  labels: Int32Array;
  dlogits: Float32Array;
  scale: number;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// dropout

/**
 * mask[i] ← 1 if randomBits(rng.seed, rng.counter + i) < keepProb · 2^32 else 0 (randomBits of
 * @lowprec/formats); then rng.counter += mask.length. keepProb in [0, 1].
 */
export interface DropoutMaskArgs {
  mask: Uint8Array;
  keepProb: number;
  rng: RandomStream;
}

/** y[i] ← mask[i] ? x[i] : 0 (a dropped NaN gives 0). y may be x. */
export interface ApplyMaskArgs {
  x: Float32Array;
  mask: Uint8Array;
  y: Float32Array;
}

// ---------------------------------------------------------------------------------------------
// max-norm over axis 0: w viewed as (rows, cols); 2-D FC W (in × out): rows = in, cols = out;
// 4-D conv W (F, C, kH, kW) as the authors: rows = F, cols = C·kH·kW

/** norms[j] ← sqrt(Σ_i w[i, j]²) (float64 sums). */
export interface ColumnNormsArgs {
  rows: number;
  cols: number;
  w: Float32Array;
  norms: Float32Array;
}

/** y[i, j] ← w[i, j] · factors[j]. y may be w. */
export interface ScaleColumnsArgs {
  rows: number;
  cols: number;
  w: Float32Array;
  factors: Float32Array;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// elementwise (all arrays the same length; outputs may alias inputs)

/** y ← alpha · x + beta · y (float32 storage, computed in float64 per element). SGD momentum: v ← M·v − lr·g. */
export interface AxpbyArgs {
  alpha: number;
  x: Float32Array;
  beta: number;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

/** y ← alpha · x. */
export interface ScaleArgs {
  alpha: number;
  x: Float32Array;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

/** y ← a + b. */
export interface AddArgs {
  a: Float32Array;
  b: Float32Array;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

// ---------------------------------------------------------------------------------------------
// rounding

/** y ← quantize(x) with @lowprec/formats semantics (bit for bit); y defaults to x (in place). */
export interface QuantizeArgs extends QuantizeSpec {
  x: Float32Array;
  y?: Float32Array;
}

/**
 * y ← x rounded to an OCP Microscaling (MX) format with @lowprec/formats' `quantizeMx` semantics (bit for bit): the
 * flat array in consecutive blocks of `format.block` values (the last one may be short), each block scaled by its
 * own E8M0 scale 2^s, s = floor(log2 max|x|) − emax of the element (clamped below to −127; an all-zero block takes
 * its maximum as 2^−126), each value rounded to the element type and saturated at its largest value; a block
 * holding a NaN or ±Infinity has the NaN scale (code 255) and is NaN throughout. y defaults to x (in place).
 */
export interface QuantizeMxArgs {
  /** an MX format: `mx(element, { block })` or one of `MX_PRESETS` */
  format: MxFormat;
  x: Float32Array;
  y?: Float32Array;
  /** how each x / 2^s rounds to the element type; default `nearest-even` */
  rounding?: RoundingMode;
  /** required for `stochastic`; element i uses randomBits(seed, counter + i); counter advances by n */
  rng?: RandomStream;
  /** receives per block the E8M0 code of its scale, 2^(code − 127), 255 = NaN; length ⌈n / format.block⌉ */
  scales?: Uint8Array;
  /** a stats object to fill instead of allocating one */
  stats?: MxQuantizeStats;
  /**
   * x as a row-major `rows × cols` matrix whose blocks run along one axis (absent: the flat array in consecutive
   * blocks). `along: "rows"`: every row in blocks of `format.block` (the last of each row may be short), element (r, c)
   * draws at counter + r·cols + c, scales[r·⌈cols/k⌉ + j]. `along: "columns"`: every column in blocks down its rows,
   * element (r, c) draws at counter + c·rows + r, scales[c·⌈rows/k⌉ + j]: the matrix transposed, then "rows". For a
   * product, the blocks run along the summed axis: A of A·B along its rows, B along its columns.
   */
  matrix?: MxMatrix;
}

/** The matrix layout of a `quantizeMx` pass (see `QuantizeMxArgs.matrix`). */
export interface MxMatrix {
  rows: number;
  cols: number;
  along: "rows" | "columns";
}

// ---------------------------------------------------------------------------------------------

type Stats = QuantizeStats | undefined;

/** The kernel table: what every backend provides. */
export interface Kernels {
  gemm(args: GemmArgs): Stats;
  conv2dForward(args: Conv2dForwardArgs): Stats;
  conv2dBackwardData(args: Conv2dBackwardDataArgs): Stats;
  conv2dBackwardFilter(args: Conv2dBackwardFilterArgs): Stats;
  biasAdd(args: BiasAddArgs): Stats;
  biasGrad(args: BiasGradArgs): Stats;
  maxoutForward(args: MaxoutForwardArgs): Stats;
  maxoutBackward(args: MaxoutBackwardArgs): Stats;
  maxPoolForward(args: MaxPoolForwardArgs): Stats;
  maxPoolBackward(args: MaxPoolBackwardArgs): Stats;
  softmaxCrossEntropyForward(args: SoftmaxCrossEntropyForwardArgs): SoftmaxCrossEntropyResult;
  softmaxCrossEntropyBackward(args: SoftmaxCrossEntropyBackwardArgs): Stats;
  dropoutMask(args: DropoutMaskArgs): void;
  applyMask(args: ApplyMaskArgs): void;
  columnNorms(args: ColumnNormsArgs): void;
  scaleColumns(args: ScaleColumnsArgs): Stats;
  axpby(args: AxpbyArgs): Stats;
  scale(args: ScaleArgs): Stats;
  add(args: AddArgs): Stats;
  quantize(args: QuantizeArgs): QuantizeStats;
  quantizeMx(args: QuantizeMxArgs): MxQuantizeStats;
  batchedMatmul(args: BatchedMatmulArgs): Stats;
  softmaxRows(args: SoftmaxRowsArgs): Stats;
  softmaxRowsBackward(args: SoftmaxRowsBackwardArgs): Stats;
  /** returns the stats of y's rounding */
  layerNorm(args: LayerNormArgs): Stats;
  /** returns the stats of dx's rounding */
  layerNormBackward(args: LayerNormBackwardArgs): Stats;
  gelu(args: GeluArgs): Stats;
  geluBackward(args: GeluBackwardArgs): Stats;
  swapAxes(args: SwapAxesArgs): void;
}

// ---------------------------------------------------------------------------------------------
// attention and normalisation (the Transformer's kernels)
//
// Each row's sums are float64, in column order, on every backend; exp and tanh are float64 (the platform's), and
// each result is one rounding of a float64 value to float32, so the backends agree to the bit but where two float64
// libraries differ in the last bit of exp or tanh and that bit decides a float32 rounding (not seen in the tests).

/**
 * c[i] ← alpha · op(a[i]) · op(b[i]) for each of `batch` pairs: attention's per-head products (Q·Kᵀ, P·V and their
 * gradients). a[i], b[i] and c[i] are consecutive row-major matrices: a[i] is m × k (k × m when `transA`), b[i] k × n
 * (n × k when `transB`), c[i] m × n. Each entry is a float64 sum in k order, times alpha, then one rounding to
 * float32 (the ts backend's gemm arithmetic), on both backends; c is overwritten.
 */
export interface BatchedMatmulArgs extends Omit<GemmArgs, "beta"> {
  batch: number;
}

/**
 * y[r, :] = softmax(x[r, :]) for each of `rows` rows of `cols` values: m = max, s = Σ exp(x − m), y = exp(x − m) / s
 * (float64, then float32). A temperature (attention's 1/√d) is the caller's: scale x first (e.g. gemm's alpha).
 * y may be x.
 */
export interface SoftmaxRowsArgs {
  rows: number;
  cols: number;
  x: Float32Array;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

/** dx[r, :] = y ⊙ (dy − Σ_c dy ⊙ y) per row (the dot in float64), the gradient through softmaxRows; dx may be dy. */
export interface SoftmaxRowsBackwardArgs {
  rows: number;
  cols: number;
  y: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  quantize?: QuantizeSpec;
}

/**
 * Layer normalisation over each row: μ = Σ x / cols, σ² = Σ (x − μ)² / cols (float64), rstd = 1 / √(σ² + eps);
 * y = (x − μ) · rstd · γ[c] + β[c] (float64, then float32). `mean` and `rstd` (one per row, float32) are written for
 * the backward pass. y may be x.
 */
export interface LayerNormArgs {
  rows: number;
  cols: number;
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  /** added to the variance, > 0 (the usual 1e-5) */
  eps: number;
  y: Float32Array;
  mean: Float32Array;
  rstd: Float32Array;
  quantize?: QuantizeSpec;
}

/**
 * The gradients through layerNorm, from the forward's x, mean and rstd: x̂ = (x − μ) · rstd; dγ[c] = Σ_r dy · x̂ and
 * dβ[c] = Σ_r dy (float64, row order; overwritten, not accumulated); g = dy · γ; dx = rstd · (g − mean_c(g) −
 * x̂ · mean_c(g · x̂)) (float64 per row). `quantize` rounds dx; dx may be dy.
 */
export interface LayerNormBackwardArgs {
  rows: number;
  cols: number;
  x: Float32Array;
  gamma: Float32Array;
  mean: Float32Array;
  rstd: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  quantize?: QuantizeSpec;
}

/**
 * y = GELU(x) with the tanh form, x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))) (float64, then float32): the form
 * of BERT and GPT-2 and PyTorch's `approximate="tanh"`; the erf form needs an erf, which JavaScript lacks. y may be x.
 */
export interface GeluArgs {
  x: Float32Array;
  y: Float32Array;
  quantize?: QuantizeSpec;
}

/** dx = dy · GELU′(x) of the same tanh form (float64, then float32); dx may be dy. */
export interface GeluBackwardArgs {
  x: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  quantize?: QuantizeSpec;
}

/**
 * y ← x with its two middle axes swapped: x is outer × rows × cols × inner (row-major), y is outer × cols × rows ×
 * inner, y[o, c, r, :] = x[o, r, c, :]. A copy: every value keeps its bits (NaN payloads included), nothing is
 * rounded. Attention's head split (rows = tokens, cols = heads, inner = the head dimension) and merge (rows = heads,
 * cols = tokens). y must not overlap x.
 */
export interface SwapAxesArgs {
  outer: number;
  rows: number;
  cols: number;
  inner: number;
  x: Float32Array;
  y: Float32Array;
}

/** What `backendInfo()` reports, for every training run to print. */
export interface BackendInfo {
  /** `ts` or `native` */
  name: BackendName;
  /** whether gemm calls OpenBLAS (`cblas_sgemm`); false for `ts` and for a native build without it */
  blas: boolean;
  /** worker threads used by the backend's own kernels (1 for `ts`) */
  threads: number;
  /**
   * native only: how convolutions run. `onednn` = through oneDNN (the addon was built with libdnnl-dev present);
   * `im2col` = im2col + gemm (built without oneDNN, or switched off). Absent for `ts` (direct loops).
   */
  conv?: ConvPath;
  /**
   * native only: the instruction-set path of the addon's own kernels (pooling, maxout, dropout, quantize, the
   * elementwise passes): `avx512`, `avx2` or `portable`; the best the CPU runs unless LOWPREC_SIMD chose one. Every
   * path gives the same bits. Absent for `ts`.
   */
  simd?: SimdPath;
  /** why this backend is active when it is not the one asked for or the fastest (e.g. the addon failed to load) */
  reason?: string;
}
export type BackendName = "ts" | "native";
export type ConvPath = "onednn" | "im2col";
export type SimdPath = "avx512" | "avx2" | "portable";
/** The SIMD paths, best first. */
export const SIMD_PATHS: readonly SimdPath[] = ["avx512", "avx2", "portable"];

/** A backend: its info plus the kernel table. */
export interface Backend extends Kernels {
  readonly info: BackendInfo;
}

/** Output size of a convolution along one axis: floor((n + 2·pad − kernel) / stride) + 1. */
export function convOutputSize(n: number, kernel: number, pad: number, stride: number): number {
  return Math.floor((n + 2 * pad - kernel) / stride) + 1;
}

/**
 * Output size of cuda-convnet max pooling along one axis: ceil((n − size) / stride) + 1, minus one if the
 * last window would start at or past the edge; 1 when 0 < n ≤ size; 0 when n = 0.
 */
export function poolOutputSize(n: number, size: number, stride: number): number {
  if (n <= 0) return 0;
  if (n <= size) return 1;
  let out = Math.ceil((n - size) / stride) + 1;
  if ((out - 1) * stride >= n) out -= 1;
  return out;
}
