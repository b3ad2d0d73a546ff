/**
 * Maxout fully connected layer (the authors' MaxoutLayer): z = x̃·Ŵ + b̂ with W stored (in × units·pieces),
 * y = max over each unit's `pieces` consecutive columns. Forward, backward and update as METHOD.md §3.
 */
import type { RandomStream } from "@lowprec/formats";
import type { Kernels } from "@lowprec/tensor";
import type { Faithfulness } from "../config.js";
import type { LayerPrecision } from "@lowprec/precision";
import type { LayerCommon, MaxoutDenseSpec } from "../presets.js";
import { fillUniform } from "../schedule.js";
import {
  denseBackwardTail,
  head,
  headI32,
  headU8,
  type Layer,
  type LayerContext,
  MxScratch,
  mxOperand,
} from "./layer.js";
import { Parameters } from "./parameters.js";

export class MaxoutDense implements Layer {
  readonly index: number;
  readonly outputSize: number;
  readonly params: Parameters;
  readonly precision: LayerPrecision;
  readonly dropout: RandomStream;
  private readonly k: Kernels;
  private readonly f: Faithfulness;
  readonly zSize: number;
  readonly mask: Uint8Array;
  readonly xDrop: Float32Array;
  private readonly z: Float32Array;
  private readonly y: Float32Array;
  private readonly argmax: Int32Array;
  private readonly dz: Float32Array;
  readonly dx: Float32Array;
  readonly mxScratch = new MxScratch();

  constructor(
    readonly spec: MaxoutDenseSpec & LayerCommon,
    readonly inputSize: number,
    ctx: LayerContext,
  ) {
    this.index = ctx.index;
    this.k = ctx.kernels;
    this.f = ctx.faithfulness;
    this.precision = ctx.precision;
    this.zSize = spec.units * spec.pieces;
    this.outputSize = spec.units;
    this.params = new Parameters(inputSize, this.zSize, this.zSize);
    const B = ctx.capacity;
    this.mask = new Uint8Array(B * inputSize);
    this.xDrop = new Float32Array(B * inputSize);
    this.z = new Float32Array(B * this.zSize);
    this.dz = new Float32Array(B * this.zSize);
    this.y = new Float32Array(B * spec.units);
    this.argmax = new Int32Array(B * spec.units);
    this.dx = new Float32Array(B * inputSize);
    this.dropout = { seed: ctx.dropoutSeed, counter: 0 };
  }

  /** W ~ U(±√(6/(n_in + units·pieces))), b = 0. */
  init(seed: number): void {
    const r = Math.sqrt(6 / (this.inputSize + this.zSize));
    fillUniform(this.params.w, -r, r, seed);
    this.params.b.fill(0);
  }

  forward(x: Float32Array, n: number): Float32Array {
    const { k, precision: p, params: w, spec } = this;
    w.lowPrecisionCopies(k, p);
    const mask = headU8(this.mask, n * this.inputSize),
      xd = head(this.xDrop, n * this.inputSize);
    k.dropoutMask({ mask, keepProb: spec.keepProb, rng: this.dropout });
    k.applyMask({ x, mask, y: xd });
    const z = head(this.z, n * this.zSize);
    k.gemm({
      m: n,
      n: this.zSize,
      k: this.inputSize,
      a: mxOperand(k, p, this.mxScratch, "forwardInput", xd, { rows: n, cols: this.inputSize, along: "rows" }),
      b: mxOperand(k, p, this.mxScratch, "forwardWeights", w.wMul, {
        rows: this.inputSize,
        cols: this.zSize,
        along: "columns",
      }),
      c: z,
    });
    k.biasAdd({ batch: n, channels: this.zSize, spatial: 1, x: z, bias: w.bMul, y: z, quantize: p.at("weightedSum") });
    const y = head(this.y, n * spec.units);
    k.maxoutForward({
      batch: n,
      units: spec.units,
      pieces: spec.pieces,
      spatial: 1,
      x: z,
      y,
      argmax: headI32(this.argmax, n * spec.units),
      quantize: p.at("output"),
    });
    return y;
  }

  backward(dy: Float32Array | undefined, n: number, wantInputGradient: boolean): Float32Array | undefined {
    if (!dy) throw new Error(`layer ${this.index} (maxout-dense): backward needs the output gradient`);
    const { k, precision: p, params: w, spec } = this;
    const gy = p.at("outputGradient");
    if (gy) k.quantize({ x: dy, ...gy });
    const z = head(this.z, n * this.zSize),
      dz = head(this.dz, n * this.zSize);
    k.maxoutBackward({
      batch: n,
      units: spec.units,
      pieces: spec.pieces,
      spatial: 1,
      x: z,
      argmax: headI32(this.argmax, n * spec.units),
      dy,
      dx: dz,
      ties: this.f.ties,
      quantize: p.at("weightedSumGradient"),
    });
    return denseBackwardTail(k, p, w, this, dz, n, wantInputGradient);
  }

  update(learningRate: number, momentum: number): void {
    this.params.update(
      this.k,
      this.precision,
      learningRate * this.spec.lrScale,
      momentum,
      this.spec.maxNorm,
      this.f,
      false,
    );
  }

  prepareTest(): void {
    this.params.testCopies(this.k, this.precision, this.spec.testScale, this.f.scaleBiasAtTest);
  }

  forwardTest(x: Float32Array, n: number): Float32Array {
    const { k, precision: p, params: w, spec } = this;
    const z = head(this.z, n * this.zSize);
    k.gemm({
      m: n,
      n: this.zSize,
      k: this.inputSize,
      a: mxOperand(k, p, this.mxScratch, "testInput", x, { rows: n, cols: this.inputSize, along: "rows" }),
      b: mxOperand(k, p, this.mxScratch, "testWeights", w.wTest, {
        rows: this.inputSize,
        cols: this.zSize,
        along: "columns",
      }),
      c: z,
    });
    k.biasAdd({
      batch: n,
      channels: this.zSize,
      spatial: 1,
      x: z,
      bias: w.bTest,
      y: z,
      quantize: p.at("testWeightedSum"),
    });
    const y = head(this.y, n * spec.units);
    k.maxoutForward({
      batch: n,
      units: spec.units,
      pieces: spec.pieces,
      spatial: 1,
      x: z,
      y,
      argmax: headI32(this.argmax, n * spec.units),
      quantize: p.at("testOutput"),
    });
    return y;
  }
}
