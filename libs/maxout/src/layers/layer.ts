/** What the network asks of every layer kind (maxout dense, maxout conv, softmax). */
import type { RandomStream } from "@lowprec/formats";
import type { Kernels } from "@lowprec/tensor";
import type { Faithfulness } from "../config.js";
import { type LayerPrecision, type MxLayout, MxScratch, mxOperand } from "@lowprec/precision";
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

// NOTE: the MX operand helpers serve every network: they live in @lowprec/precision.
export { MxScratch, mxOperand, type MxLayout };

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
