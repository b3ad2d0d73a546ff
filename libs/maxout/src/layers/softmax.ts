/**
 * Softmax output layer (the authors' SoftmaxLayer): z = x̃·Ŵ + b̂, y = softmax(ẑ). Its backward pass starts
 * the network's: δ = (ŷ − t)/n_classes summed over the batch (Softmax + NLL simplified, METHOD.md §3 step 5),
 * then ĝ_y = Q_p(δ; dEdy) and ĝ_z = Q_p(ĝ_y; dEdz).
 */
import type { RandomStream } from "@lowprec/formats";
import type { Kernels } from "@lowprec/tensor";
import type { Faithfulness } from "../config.js";
import type { LayerPrecision } from "@lowprec/precision";
import type { LayerCommon, SoftmaxSpec } from "../presets.js";
import { fillUniform } from "../schedule.js";
import { denseBackwardTail, head, headU8, type Layer, type LayerContext, MxScratch, mxOperand } from "./layer.js";
import { Parameters } from "./parameters.js";

export class Softmax implements Layer {
  readonly index: number;
  readonly outputSize: number;
  /** columns of W: one per class */
  get zSize(): number {
    return this.spec.classes;
  }
  readonly params: Parameters;
  readonly precision: LayerPrecision;
  readonly dropout: RandomStream;
  /** Σ −log p(label) over the last forward pass (from ẑ, in float64) */
  lastLoss = 0;
  /** misclassified examples of the last forward pass (first argmax of ẑ) */
  lastErrors = 0;
  private labels: Int32Array = new Int32Array(0);
  private readonly k: Kernels;
  private readonly f: Faithfulness;
  readonly mask: Uint8Array;
  readonly xDrop: Float32Array;
  private readonly z: Float32Array;
  private readonly y: Float32Array;
  private readonly dz: Float32Array;
  readonly dx: Float32Array;
  readonly mxScratch = new MxScratch();

  constructor(
    readonly spec: SoftmaxSpec & LayerCommon,
    readonly inputSize: number,
    ctx: LayerContext,
  ) {
    this.index = ctx.index;
    this.k = ctx.kernels;
    this.f = ctx.faithfulness;
    this.precision = ctx.precision;
    this.outputSize = spec.classes;
    this.params = new Parameters(inputSize, spec.classes, spec.classes);
    const B = ctx.capacity;
    this.mask = new Uint8Array(B * inputSize);
    this.xDrop = new Float32Array(B * inputSize);
    this.z = new Float32Array(B * spec.classes);
    this.y = new Float32Array(B * spec.classes);
    this.dz = new Float32Array(B * spec.classes);
    this.dx = new Float32Array(B * inputSize);
    this.dropout = { seed: ctx.dropoutSeed, counter: 0 };
  }

  /** The authors start the softmax at W = 0 (textbook switch: uniform like a maxout layer); b = 0. */
  init(seed: number, f: Faithfulness): void {
    if (f.softmaxInit === "zeros") this.params.w.fill(0);
    else {
      const r = Math.sqrt(6 / (this.inputSize + this.outputSize));
      fillUniform(this.params.w, -r, r, seed);
    }
    this.params.b.fill(0);
  }

  /** The labels of the next forward pass (integers in [0, classes)). */
  setLabels(labels: Int32Array): void {
    this.labels = labels;
  }

  forward(x: Float32Array, n: number): Float32Array {
    const { k, precision: p, params: w, spec } = this;
    w.lowPrecisionCopies(k, p);
    const mask = headU8(this.mask, n * this.inputSize),
      xd = head(this.xDrop, n * this.inputSize);
    k.dropoutMask({ mask, keepProb: spec.keepProb, rng: this.dropout });
    k.applyMask({ x, mask, y: xd });
    return this.outputs(xd, w.wMul, w.bMul, n, false);
  }

  backward(_dy: Float32Array | undefined, n: number, wantInputGradient: boolean): Float32Array | undefined {
    const { k, precision: p, params: w, spec } = this;
    const dz = head(this.dz, n * spec.classes);
    const divisor = this.f.gradientDivisor === "classes" ? spec.classes : n;
    k.softmaxCrossEntropyBackward({
      batch: n,
      classes: spec.classes,
      probs: head(this.y, n * spec.classes),
      labels: this.batchLabels(n),
      dlogits: dz,
      scale: 1 / divisor,
      quantize: p.at("outputGradient"),
    });
    const gz = p.at("weightedSumGradient");
    if (gz) k.quantize({ x: dz, ...gz });
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
    const y = this.outputs(x, this.params.wTest, this.params.bTest, n, true);
    // NOTE: the authors count errors on argmax of the rounded probabilities ŷ, where rounding can create ties.
    this.lastErrors = countErrors(y, this.batchLabels(n), n, this.spec.classes);
    return y;
  }

  private outputs(x: Float32Array, wm: Float32Array, bv: Float32Array, n: number, test: boolean): Float32Array {
    const { k, precision: p, spec } = this;
    const zPoint = test ? "testWeightedSum" : "weightedSum",
      yPoint = test ? "testOutput" : "output";
    const z = head(this.z, n * spec.classes),
      y = head(this.y, n * spec.classes);
    k.gemm({
      m: n,
      n: spec.classes,
      k: this.inputSize,
      a: mxOperand(k, p, this.mxScratch, test ? "testInput" : "forwardInput", x, {
        rows: n,
        cols: this.inputSize,
        along: "rows",
      }),
      b: mxOperand(k, p, this.mxScratch, test ? "testWeights" : "forwardWeights", wm, {
        rows: this.inputSize,
        cols: spec.classes,
        along: "columns",
      }),
      c: z,
    });
    k.biasAdd({ batch: n, channels: spec.classes, spatial: 1, x: z, bias: bv, y: z, quantize: p.at(zPoint) });
    const r = k.softmaxCrossEntropyForward({
      batch: n,
      classes: spec.classes,
      logits: z,
      labels: this.batchLabels(n),
      probs: y,
      quantize: p.at(yPoint),
    });
    this.lastLoss = r.loss;
    this.lastErrors = r.errors;
    return y;
  }

  private batchLabels(n: number): Int32Array {
    if (this.labels.length < n)
      throw new RangeError(`softmax layer: ${this.labels.length} labels set for a batch of ${n}`);
    return this.labels.length === n ? this.labels : this.labels.subarray(0, n);
  }
}

/** Rows whose first argmax of y differs from the label. */
export function countErrors(y: Float32Array, labels: Int32Array, n: number, classes: number): number {
  let errors = 0;
  for (let i = 0; i < n; i++) {
    let best = 0,
      bestV = y[i * classes]!;
    for (let c = 1; c < classes; c++) {
      const v = y[i * classes + c]!;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    if (best !== labels[i]) errors++;
  }
  return errors;
}
