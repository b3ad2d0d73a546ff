/**
 * Argument checks shared by every backend: each kernel's dims and array lengths, checked before any work,
 * with messages that name the kernel and the shapes. Returns the derived sizes the kernel needs.
 */
import type {
  BatchedMatmulArgs,
  GeluArgs,
  GeluBackwardArgs,
  LayerNormArgs,
  LayerNormBackwardArgs,
  SoftmaxRowsArgs,
  SoftmaxRowsBackwardArgs,
  SwapAxesArgs,
  AddArgs,
  AxpbyArgs,
  BiasAddArgs,
  BiasGradArgs,
  ColumnNormsArgs,
  Conv2dShape,
  GemmArgs,
  MaxoutForwardArgs,
  MaxPoolShape,
  QuantizeMxArgs,
  QuantizeSpec,
  ScaleColumnsArgs,
  SoftmaxCrossEntropyForwardArgs,
} from "./kernels.js";
import { convOutputSize, poolOutputSize } from "./kernels.js";
import { ShapeError } from "./errors.js";

type AnyArray = Float32Array | Int32Array | Uint8Array;
type ArrayCtor = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** A dim: a finite integer ≥ 0 (≥ 1 when `min` is 1). */
export function checkDim(kernel: string, name: string, v: unknown, min = 0): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1) {
    throw new ShapeError(kernel, `${name} must be an integer ≥ ${min} (and < 2^31), got ${String(v)}`);
  }
  return v;
}

/** An array of the given type and exact length. */
export function checkArray(
  kernel: string,
  name: string,
  a: unknown,
  ctor: ArrayCtor,
  length: number,
  shape: string,
): void {
  if (!(a instanceof ctor)) {
    throw new ShapeError(
      kernel,
      `${name} must be a ${ctor.name}, got ` +
        `${a === null ? "null" : typeof a === "object" ? (a as object).constructor.name : typeof a}`,
    );
  }
  if ((a as AnyArray).length !== length) {
    throw new ShapeError(kernel, `${name} has length ${(a as AnyArray).length}, expected ${length} = ${shape}`);
  }
}

/** A finite number attribute. */
export function checkNumber(kernel: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ShapeError(kernel, `${name} must be a finite number, got ${String(v)}`);
  return v;
}

function checkQuantize(kernel: string, q: QuantizeSpec | undefined): void {
  if (q === undefined) return;
  if (q === null || typeof q !== "object" || typeof q.format !== "object" || q.format === null) {
    throw new ShapeError(kernel, "quantize must be { format, rounding?, integerBits?, rng?, stats? }");
  }
}

export function checkGemm(args: GemmArgs): void {
  const K = "gemm";
  const m = checkDim(K, "m", args.m),
    n = checkDim(K, "n", args.n),
    k = checkDim(K, "k", args.k);
  const ta = args.transA === true,
    tb = args.transB === true;
  checkArray(K, "a", args.a, Float32Array, m * k, ta ? `k×m = ${k}×${m} (transA)` : `m×k = ${m}×${k}`);
  checkArray(K, "b", args.b, Float32Array, k * n, tb ? `n×k = ${n}×${k} (transB)` : `k×n = ${k}×${n}`);
  checkArray(K, "c", args.c, Float32Array, m * n, `m×n = ${m}×${n}`);
  if (args.alpha !== undefined) checkNumber(K, "alpha", args.alpha);
  if (args.beta !== undefined) checkNumber(K, "beta", args.beta);
  checkQuantize(K, args.quantize);
}

export interface ConvSizes {
  outH: number;
  outW: number;
}

/** Checks a convolution's geometry; returns its output size. */
export function checkConvShape(kernel: string, s: Conv2dShape): ConvSizes {
  const batch = checkDim(kernel, "batch", s.batch);
  checkDim(kernel, "inChannels", s.inChannels, 1);
  const h = checkDim(kernel, "height", s.height, 1),
    w = checkDim(kernel, "width", s.width, 1);
  checkDim(kernel, "outChannels", s.outChannels, 1);
  const kh = checkDim(kernel, "kernelH", s.kernelH, 1),
    kw = checkDim(kernel, "kernelW", s.kernelW, 1);
  const ph = checkDim(kernel, "padH", s.padH),
    pw = checkDim(kernel, "padW", s.padW);
  const sh = checkDim(kernel, "strideH", s.strideH, 1),
    sw = checkDim(kernel, "strideW", s.strideW, 1);
  const outH = convOutputSize(h, kh, ph, sh),
    outW = convOutputSize(w, kw, pw, sw);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      kernel,
      `kernel ${kh}×${kw} does not fit input ${h}×${w} with pad ${ph},${pw} (batch ${batch})`,
    );
  }
  return { outH, outW };
}

export function convShapes(s: Conv2dShape, o: ConvSizes): { x: string; w: string; y: string } {
  return {
    x: `batch×inChannels×height×width = ${s.batch}×${s.inChannels}×${s.height}×${s.width}`,
    w: `outChannels×inChannels×kernelH×kernelW = ${s.outChannels}×${s.inChannels}×${s.kernelH}×${s.kernelW}`,
    y: `batch×outChannels×outH×outW = ${s.batch}×${s.outChannels}×${o.outH}×${o.outW}`,
  };
}

/** Checks x, w, y (named per kernel) of a convolution. */
export function checkConv(
  kernel: string,
  s: Conv2dShape,
  x: unknown,
  xName: string,
  w: unknown,
  wName: string,
  y: unknown,
  yName: string,
  q: QuantizeSpec | undefined,
): ConvSizes {
  const o = checkConvShape(kernel, s);
  const d = convShapes(s, o);
  checkArray(kernel, xName, x, Float32Array, s.batch * s.inChannels * s.height * s.width, d.x);
  checkArray(kernel, wName, w, Float32Array, s.outChannels * s.inChannels * s.kernelH * s.kernelW, d.w);
  checkArray(kernel, yName, y, Float32Array, s.batch * s.outChannels * o.outH * o.outW, d.y);
  checkQuantize(kernel, q);
  return o;
}

export function checkBias(
  kernel: string,
  a: BiasAddArgs | BiasGradArgs,
  x: unknown,
  xName: string,
  b: unknown,
  bName: string,
  y: unknown,
  yName: string,
): void {
  const n = checkDim(kernel, "batch", a.batch),
    c = checkDim(kernel, "channels", a.channels),
    s = checkDim(kernel, "spatial", a.spatial);
  const shape = `batch×channels×spatial = ${n}×${c}×${s}`;
  checkArray(kernel, xName, x, Float32Array, n * c * s, shape);
  checkArray(kernel, bName, b, Float32Array, c, `channels = ${c}`);
  if (y !== undefined) checkArray(kernel, yName, y, Float32Array, n * c * s, shape);
  checkQuantize(kernel, a.quantize);
}

/** Checks maxout dims; x (batch, units·pieces, spatial) and the (batch, units, spatial) arrays. */
export function checkMaxout(
  kernel: string,
  a: MaxoutForwardArgs | { batch: number; units: number; pieces: number; spatial: number },
  x: unknown,
  outs: [string, unknown, ArrayCtor][],
  q: QuantizeSpec | undefined,
): void {
  const n = checkDim(kernel, "batch", a.batch),
    u = checkDim(kernel, "units", a.units);
  const k = checkDim(kernel, "pieces", a.pieces, 1),
    s = checkDim(kernel, "spatial", a.spatial);
  checkArray(kernel, "x", x, Float32Array, n * u * k * s, `batch×(units·pieces)×spatial = ${n}×(${u}·${k})×${s}`);
  for (const [name, arr, ctor] of outs)
    checkArray(kernel, name, arr, ctor, n * u * s, `batch×units×spatial = ${n}×${u}×${s}`);
  checkQuantize(kernel, q);
}

/** Checks pooling dims; returns the output size. */
export function checkPool(
  kernel: string,
  s: MaxPoolShape,
  x: unknown,
  outs: [string, unknown, ArrayCtor][],
  q: QuantizeSpec | undefined,
): { outH: number; outW: number } {
  const n = checkDim(kernel, "batch", s.batch),
    c = checkDim(kernel, "channels", s.channels);
  const h = checkDim(kernel, "height", s.height, 1),
    w = checkDim(kernel, "width", s.width, 1);
  const size = checkDim(kernel, "size", s.size, 1),
    stride = checkDim(kernel, "stride", s.stride, 1);
  const outH = poolOutputSize(h, size, stride),
    outW = poolOutputSize(w, size, stride);
  checkArray(kernel, "x", x, Float32Array, n * c * h * w, `batch×channels×height×width = ${n}×${c}×${h}×${w}`);
  for (const [name, arr, ctor] of outs)
    checkArray(
      kernel,
      name,
      arr,
      ctor,
      n * c * outH * outW,
      `batch×channels×outH×outW = ${n}×${c}×${outH}×${outW} (pool ${size}/${stride})`,
    );
  checkQuantize(kernel, q);
  return { outH, outW };
}

export function checkSoftmax(
  kernel: string,
  a: SoftmaxCrossEntropyForwardArgs | { batch: number; classes: number; labels: Int32Array },
  arrays: [string, unknown][],
  q: QuantizeSpec | undefined,
): void {
  const n = checkDim(kernel, "batch", a.batch),
    c = checkDim(kernel, "classes", a.classes, 1);
  for (const [name, arr] of arrays) checkArray(kernel, name, arr, Float32Array, n * c, `batch×classes = ${n}×${c}`);
  checkArray(kernel, "labels", a.labels, Int32Array, n, `batch = ${n}`);
  for (let i = 0; i < n; i++) {
    const l = a.labels[i]!;
    if (l < 0 || l >= c) throw new ShapeError(kernel, `labels[${i}] = ${l} is outside [0, ${c})`);
  }
  checkQuantize(kernel, q);
}

export function checkColumns(
  kernel: string,
  a: ColumnNormsArgs | ScaleColumnsArgs,
  w: unknown,
  vec: unknown,
  vecName: string,
  y: unknown,
): void {
  const r = checkDim(kernel, "rows", a.rows),
    c = checkDim(kernel, "cols", a.cols);
  checkArray(kernel, "w", w, Float32Array, r * c, `rows×cols = ${r}×${c}`);
  checkArray(kernel, vecName, vec, Float32Array, c, `cols = ${c}`);
  if (y !== undefined) checkArray(kernel, "y", y, Float32Array, r * c, `rows×cols = ${r}×${c}`);
}

/** Elementwise: every array has the length of the first. */
export function checkSameLength(kernel: string, arrays: [string, unknown][], q: QuantizeSpec | undefined): number {
  const [name0, a0] = arrays[0]!;
  if (!(a0 instanceof Float32Array)) throw new ShapeError(kernel, `${name0} must be a Float32Array`);
  for (const [name, a] of arrays.slice(1)) checkArray(kernel, name, a, Float32Array, a0.length, `length of ${name0}`);
  checkQuantize(kernel, q);
  return a0.length;
}

export function checkAxpby(a: AxpbyArgs): void {
  checkNumber("axpby", "alpha", a.alpha);
  checkNumber("axpby", "beta", a.beta);
  checkSameLength(
    "axpby",
    [
      ["x", a.x],
      ["y", a.y],
    ],
    a.quantize,
  );
}

export function checkAdd(a: AddArgs): void {
  checkSameLength(
    "add",
    [
      ["a", a.a],
      ["b", a.b],
      ["y", a.y],
    ],
    a.quantize,
  );
}

/** The MX block size limit of @lowprec/formats' `mx()`. */
const MX_BLOCK_LIMIT = 2 ** 20;

/** quantizeMx: x, y (default x), the MX format and the scales array; returns the output and the number of blocks. */
export function checkQuantizeMx(a: QuantizeMxArgs): { y: Float32Array; blocks: number } {
  const K = "quantizeMx";
  const y = a.y ?? a.x;
  checkSameLength(
    K,
    [
      ["x", a.x],
      ["y", y],
    ],
    undefined,
  );
  const f = a.format as Partial<QuantizeMxArgs["format"]> | null | undefined;
  if (f === null || typeof f !== "object" || f.kind !== "mx")
    throw new ShapeError(K, `format must be an MX format (mx() or MX_PRESETS), got ${JSON.stringify(f)}`);
  const k = f.block;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1 || k > MX_BLOCK_LIMIT)
    throw new ShapeError(K, `format ${String(f.name)}: block must be an integer in [1, 2^20], got ${String(k)}`);
  const kind = (f.element as { kind?: unknown } | undefined)?.kind;
  if (kind !== "float" && kind !== "fixed")
    throw new ShapeError(K, `format ${String(f.name)}: element must be a float or fixed format, got ${String(kind)}`);
  const m = a.matrix;
  let blocks = Math.ceil(a.x.length / k),
    what = `⌈n / block⌉ = ⌈${a.x.length} / ${k}⌉`;
  if (m !== undefined) {
    const dim = (name: "rows" | "cols") => {
      const d = m[name];
      if (typeof d !== "number" || !Number.isInteger(d) || d < 0)
        throw new ShapeError(K, `matrix.${name} must be an integer ≥ 0, got ${String(d)}`);
      return d;
    };
    const rows = dim("rows"),
      cols = dim("cols");
    if (m.along !== "rows" && m.along !== "columns")
      throw new ShapeError(K, `matrix.along must be "rows" or "columns", got ${JSON.stringify(m.along)}`);
    if (rows * cols !== a.x.length)
      throw new ShapeError(K, `matrix ${rows} × ${cols} holds ${rows * cols} values, x has ${a.x.length}`);
    const [lines, len] = m.along === "rows" ? [rows, cols] : [cols, rows];
    blocks = lines * Math.ceil(len / k);
    what = `${lines} × ⌈${len} / ${k}⌉ (blocks along the ${m.along})`;
  }
  if (a.scales !== undefined) checkArray(K, "scales", a.scales, Uint8Array, blocks, what);
  return { y, blocks };
}

/**
 * Row kernels (softmaxRows, layerNorm and their backward passes): rows × cols arrays (cols ≥ 1) and per-column
 * (`perColumn`) and per-row (`perRow`) arrays, all Float32Array. Returns [rows, cols].
 */
export function checkRows(
  kernel: string,
  a: { rows: number; cols: number },
  arrays: readonly [string, unknown][],
  perColumn: readonly [string, unknown][],
  perRow: readonly [string, unknown][],
  q: QuantizeSpec | undefined,
): [number, number] {
  const r = checkDim(kernel, "rows", a.rows),
    c = checkDim(kernel, "cols", a.cols, 1);
  for (const [name, arr] of arrays) checkArray(kernel, name, arr, Float32Array, r * c, `rows×cols = ${r}×${c}`);
  for (const [name, arr] of perColumn) checkArray(kernel, name, arr, Float32Array, c, `cols = ${c}`);
  for (const [name, arr] of perRow) checkArray(kernel, name, arr, Float32Array, r, `rows = ${r}`);
  checkQuantize(kernel, q);
  return [r, c];
}

/** layerNorm's eps: a finite number > 0. */
export function checkEps(kernel: string, eps: unknown): number {
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps))
    throw new ShapeError(kernel, `eps must be a finite number > 0, got ${String(eps)}`);
  return eps;
}

/** batchedMatmul: batch, m, n, k ≥ 0, a, b, c of batch·m·k, batch·k·n, batch·m·n, a finite alpha. */
export function checkBatchedMatmul(a: BatchedMatmulArgs): void {
  const K = "batchedMatmul";
  const b = checkDim(K, "batch", a.batch),
    m = checkDim(K, "m", a.m),
    n = checkDim(K, "n", a.n),
    k = checkDim(K, "k", a.k);
  checkArray(
    K,
    "a",
    a.a,
    Float32Array,
    b * m * k,
    `batch×${a.transA ? "k×m" : "m×k"} = ${b}×${a.transA ? `${k}×${m}` : `${m}×${k}`}`,
  );
  checkArray(
    K,
    "b",
    a.b,
    Float32Array,
    b * k * n,
    `batch×${a.transB ? "n×k" : "k×n"} = ${b}×${a.transB ? `${n}×${k}` : `${k}×${n}`}`,
  );
  checkArray(K, "c", a.c, Float32Array, b * m * n, `batch×m×n = ${b}×${m}×${n}`);
  if (a.alpha !== undefined) checkNumber(K, "alpha", a.alpha);
  checkQuantize(K, a.quantize);
}

// The validations shared by both backends for the Transformer's kernels: each returns the dims the kernel loops over.

export function checkSoftmaxRows(a: SoftmaxRowsArgs): [number, number] {
  return checkRows(
    "softmaxRows",
    a,
    [
      ["x", a.x],
      ["y", a.y],
    ],
    [],
    [],
    a.quantize,
  );
}

export function checkSoftmaxRowsBackward(a: SoftmaxRowsBackwardArgs): [number, number] {
  return checkRows(
    "softmaxRowsBackward",
    a,
    [
      ["y", a.y],
      ["dy", a.dy],
      ["dx", a.dx],
    ],
    [],
    [],
    a.quantize,
  );
}

/** Also checks eps; returns [rows, cols, eps]. */
export function checkLayerNorm(a: LayerNormArgs): [number, number, number] {
  const [rows, cols] = checkRows(
    "layerNorm",
    a,
    [
      ["x", a.x],
      ["y", a.y],
    ],
    [
      ["gamma", a.gamma],
      ["beta", a.beta],
    ],
    [
      ["mean", a.mean],
      ["rstd", a.rstd],
    ],
    a.quantize,
  );
  return [rows, cols, checkEps("layerNorm", a.eps)];
}

export function checkLayerNormBackward(a: LayerNormBackwardArgs): [number, number] {
  return checkRows(
    "layerNormBackward",
    a,
    [
      ["x", a.x],
      ["dy", a.dy],
      ["dx", a.dx],
    ],
    [
      ["gamma", a.gamma],
      ["dgamma", a.dgamma],
      ["dbeta", a.dbeta],
    ],
    [
      ["mean", a.mean],
      ["rstd", a.rstd],
    ],
    a.quantize,
  );
}

export function checkGelu(a: GeluArgs): number {
  return checkSameLength(
    "gelu",
    [
      ["x", a.x],
      ["y", a.y],
    ],
    a.quantize,
  );
}

export function checkGeluBackward(a: GeluBackwardArgs): number {
  return checkSameLength(
    "geluBackward",
    [
      ["x", a.x],
      ["dy", a.dy],
      ["dx", a.dx],
    ],
    a.quantize,
  );
}

/** swapAxes: outer, rows, cols, inner ≥ 0, x and y of outer·rows·cols·inner, y not overlapping x. */
export function checkSwapAxes(a: SwapAxesArgs): [number, number, number, number] {
  const K = "swapAxes";
  const o = checkDim(K, "outer", a.outer),
    r = checkDim(K, "rows", a.rows),
    c = checkDim(K, "cols", a.cols),
    i = checkDim(K, "inner", a.inner);
  const n = o * r * c * i;
  checkArray(K, "x", a.x, Float32Array, n, `outer×rows×cols×inner = ${o}×${r}×${c}×${i}`);
  checkArray(K, "y", a.y, Float32Array, n, `outer×cols×rows×inner = ${o}×${c}×${r}×${i}`);
  const { x, y } = a;
  if (
    n > 0 &&
    x.buffer === y.buffer &&
    x.byteOffset < y.byteOffset + y.byteLength &&
    y.byteOffset < x.byteOffset + x.byteLength
  )
    throw new ShapeError(K, "y must not overlap x");
  return [o, r, c, i];
}
