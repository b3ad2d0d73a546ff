/** What the network asks of every layer kind (maxout dense, maxout conv, softmax). */
import type { RandomStream } from "@lowprec/formats";
import type { Kernels } from "@lowprec/tensor";
import type { Faithfulness } from "../config.js";
import type { LayerPrecision } from "../policy.js";
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
