/** What the network asks of every layer kind (maxout dense, maxout conv, softmax). */
import type { RandomStream } from "@lowprec/formats";
import { addMxStats, type Kernels, zeroMxStats } from "@lowprec/tensor";
import type { Faithfulness } from "../config.js";
import type { LayerPrecision, MxOperandName } from "@lowprec/precision";
import type { LayerSpec } from "../presets.js";
import type { Parameters } from "./parameters.js";

export interface Layer {
  readonly index: number;
  readonly spec: LayerSpec;
  /** values per example in and out */
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Parameters;
  readonly precision: LayerPrecision;
  /** the stream of the layer's dropout masks (its counter is checkpointed) */
  readonly dropout: RandomStream;
  /** the paper's initialisation (seeded) */
  init(seed: number, f: Faithfulness): void;
  /** training forward pass with dropout on `n` examples; returns ŷ (n × outputSize) */
  forward(x: Float32Array, n: number): Float32Array;
  /** backward pass from ĝ_y (the softmax ignores it and starts from its labels); returns δ_in when asked */
  backward(dy: Float32Array | undefined, n: number, wantInputGradient: boolean): Float32Array | undefined;
  /** SGD + momentum + max-norm with the epoch's learning rate and momentum */
  update(learningRate: number, momentum: number): void;
  /** derives the test-time weights (call once before a pass of forwardTest) */
  prepareTest(): void;
  /** test-time forward pass: no dropout, weights × scale */
  forwardTest(x: Float32Array, n: number): Float32Array;
}

/** Everything a layer constructor needs besides its spec. */
export interface LayerContext {
  readonly kernels: Kernels;
  readonly precision: LayerPrecision;
  readonly faithfulness: Faithfulness;
  /** largest batch the layer's buffers hold */
  readonly capacity: number;
  readonly index: number;
  readonly dropoutSeed: number;
}

/** The first `len` values of `a` (a itself when it is exactly that long: no view allocated). */
export function head(a: Float32Array, len: number): Float32Array {
  return a.length === len ? a : a.subarray(0, len);
}
export function headU8(a: Uint8Array, len: number): Uint8Array {
  return a.length === len ? a : a.subarray(0, len);
}
export function headI32(a: Int32Array, len: number): Int32Array {
  return a.length === len ? a : a.subarray(0, len);
}

/** Scratch for a layer's MX operand copies (MX_OPERANDS), allocated at the first pass that needs one. */
export class MxScratch {
  private readonly buffers = new Map<MxOperandName, Float32Array>();

  take(name: MxOperandName, length: number): Float32Array {
    let b = this.buffers.get(name);
    if (!b || b.length < length) {
      b = new Float32Array(length);
      this.buffers.set(name, b);
    }
    return head(b, length);
  }
}

/**
 * How an operand's blocks lie: `src` is `batch` (default 1) consecutive row-major rows × cols matrices, each in
 * blocks along its rows or down its columns; the layer chooses the axis that its product sums.
 */
export interface MxLayout {
  readonly rows: number;
  readonly cols: number;
  readonly along: "rows" | "columns";
  readonly batch?: number;
}

/**
 * Operand `name` of a product rounded to its block-scaled group's MX format (blocks as `layout` says) into scratch;
 * `src` itself when the group is not block-scaled.
 */
export function mxOperand(
  k: Kernels,
  p: LayerPrecision,
  scratch: MxScratch,
  name: MxOperandName,
  src: Float32Array,
  layout: MxLayout,
): Float32Array {
  const q = p.atMx(name);
  if (q === undefined) return src;
  const y = scratch.take(name, src.length);
  const { rows, cols, along } = layout,
    batch = layout.batch ?? 1,
    size = rows * cols;
  if (batch * size !== src.length)
    throw new RangeError(`${name}: ${batch} × ${rows} × ${cols} values expected, the operand has ${src.length}`);
  if (batch === 1) {
    k.quantizeMx({ x: src, y, format: q.format, rounding: q.rounding, rng: q.rng, stats: q.stats, matrix: layout });
    return y;
  }
  // NOTE: one pass per matrix, the counts summed into the operand's stats.
  const part = zeroMxStats({ ...q.stats }),
    st = zeroMxStats(q.stats);
  for (let b = 0; b < batch; b++) {
    const lo = b * size,
      hi = lo + size;
    k.quantizeMx({
      x: src.subarray(lo, hi),
      y: y.subarray(lo, hi),
      format: q.format,
      rounding: q.rounding,
      rng: q.rng,
      stats: part,
      matrix: { rows, cols, along },
    });
    addMxStats(st, part);
  }
  return y;
}

/** A fully connected layer's buffers that its backward pass reads and writes. */
export interface DenseBuffers {
  readonly inputSize: number;
  /** columns of W: units·pieces (maxout) or classes (softmax) */
  readonly zSize: number;
  /** x̃, the dropped-out input of the forward pass */
  readonly xDrop: Float32Array;
  readonly mask: Uint8Array;
  readonly dx: Float32Array;
  readonly mxScratch: MxScratch;
}

/**
 * The tail of a fully connected layer's backward pass (METHOD.md §3, step 6), from ĝ_z:
 * ĝ_W = Q_p(x̃ᵀ·ĝ_z; dEdw), ĝ_b = Q_p(Σ ĝ_z; dEdb), and, when asked, δ_in = (ĝ_z·Ŵᵀ) ⊙ mask, not rounded
 * here (it is the lower layer's dEdy).
 */
export function denseBackwardTail(
  k: Kernels,
  p: LayerPrecision,
  w: Parameters,
  buf: DenseBuffers,
  dz: Float32Array,
  n: number,
  wantInputGradient: boolean,
): Float32Array | undefined {
  const xd = head(buf.xDrop, n * buf.inputSize),
    s = buf.mxScratch;
  k.gemm({
    m: buf.inputSize,
    n: buf.zSize,
    k: n,
    a: mxOperand(k, p, s, "weightGradientInput", xd, { rows: n, cols: buf.inputSize, along: "columns" }),
    transA: true,
    b: mxOperand(k, p, s, "weightGradient", dz, { rows: n, cols: buf.zSize, along: "columns" }),
    c: w.gw,
    quantize: p.at("weightGradient"),
  });
  k.biasGrad({ batch: n, channels: buf.zSize, spatial: 1, dy: dz, db: w.gb, quantize: p.at("biasGradient") });
  if (!wantInputGradient) return undefined;
  const dx = head(buf.dx, n * buf.inputSize);
  k.gemm({
    m: n,
    n: buf.inputSize,
    k: buf.zSize,
    a: mxOperand(k, p, s, "inputGradient", dz, { rows: n, cols: buf.zSize, along: "rows" }),
    b: mxOperand(k, p, s, "inputGradientWeights", w.wMul, { rows: buf.inputSize, cols: buf.zSize, along: "rows" }),
    transB: true,
    c: dx,
  });
  k.applyMask({ x: dx, mask: headU8(buf.mask, n * buf.inputSize), y: dx });
  return dx;
}
