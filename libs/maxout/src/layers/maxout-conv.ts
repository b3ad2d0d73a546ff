/**
 * Maxout convolution layer (the authors' Maxout_conv_layer): c = conv(x̃, Ŵ) with maps·pieces filters,
 * ĉ = Q_p(c) → overlapping max pool (cuda-convnet, ceil mode) → u = pool + b̂ (the bias is added AFTER
 * pooling) → û = Q_p(u) → maxout over consecutive channels → ŷ = Q_p(y). METHOD.md §3 and §4.4.
 */
import type { RandomStream } from "@lowprec/formats";
import { convOutputSize, poolOutputSize, type Conv2dShape, type Kernels, type MaxPoolShape } from "@lowprec/tensor";
import { convFanOut, type Faithfulness } from "../config.js";
import type { LayerPrecision } from "@lowprec/precision";
import type { LayerCommon, MaxoutConvSpec } from "../presets.js";
import { fillUniform } from "../schedule.js";
import { head, headI32, headU8, type Layer, type LayerContext, type MxLayout, MxScratch, mxOperand } from "./layer.js";
import { Parameters } from "./parameters.js";

export class MaxoutConv implements Layer {
  readonly index: number;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Parameters;
  readonly precision: LayerPrecision;
  readonly dropout: RandomStream;
  /** (maps, pooled height, pooled width) of the output */
  readonly outputShape: readonly [number, number, number];
  private readonly k: Kernels;
  private readonly f: Faithfulness;
  private readonly channels: number;
  private readonly convH: number;
  private readonly convW: number;
  private readonly poolH: number;
  private readonly poolW: number;
  private readonly mask: Uint8Array;
  private readonly xDrop: Float32Array;
  private readonly c: Float32Array;
  private readonly dc: Float32Array;
  private readonly u: Float32Array;
  private readonly du: Float32Array;
  private readonly poolArg: Int32Array;
  private readonly y: Float32Array;
  private readonly maxArg: Int32Array;
  private readonly dx: Float32Array;
  private readonly mxScratch = new MxScratch();

  constructor(
    readonly spec: MaxoutConvSpec & LayerCommon,
    readonly inputShape: readonly [number, number, number],
    ctx: LayerContext,
  ) {
    this.index = ctx.index;
    this.k = ctx.kernels;
    this.f = ctx.faithfulness;
    this.precision = ctx.precision;
    const [C, H, W] = inputShape;
    this.channels = spec.maps * spec.pieces;
    this.convH = convOutputSize(H, spec.kernel, spec.padding, 1);
    this.convW = convOutputSize(W, spec.kernel, spec.padding, 1);
    if (this.convH < 1 || this.convW < 1)
      throw new RangeError(
        `layer ${ctx.index} (maxout-conv): a ${spec.kernel}×${spec.kernel} kernel with padding ${spec.padding}` +
          ` does not fit a ${H}×${W} input`,
      );
    this.poolH = poolOutputSize(this.convH, spec.poolSize, spec.poolStride);
    this.poolW = poolOutputSize(this.convW, spec.poolSize, spec.poolStride);
    this.inputSize = C * H * W;
    this.outputShape = [spec.maps, this.poolH, this.poolW];
    this.outputSize = spec.maps * this.poolH * this.poolW;
    // NOTE: max-norm sees W as (filters·pieces) × (in·kh·kw) and takes norms over axis 0, as the authors.
    this.params = new Parameters(this.channels, C * spec.kernel * spec.kernel, this.channels);
    const B = ctx.capacity;
    const convSize = this.channels * this.convH * this.convW,
      poolSize = this.channels * this.poolH * this.poolW;
    this.mask = new Uint8Array(B * this.inputSize);
    this.xDrop = new Float32Array(B * this.inputSize);
    this.dx = new Float32Array(B * this.inputSize);
    this.c = new Float32Array(B * convSize);
    this.dc = new Float32Array(B * convSize);
    this.u = new Float32Array(B * poolSize);
    this.du = new Float32Array(B * poolSize);
    this.poolArg = new Int32Array(B * poolSize);
    this.y = new Float32Array(B * this.outputSize);
    this.maxArg = new Int32Array(B * this.outputSize);
    this.dropout = { seed: ctx.dropoutSeed, counter: 0 };
  }

  /**
   * W ~ U(±√(6/(fan_in + fan_out))), fan_in = in·kh·kw, fan_out = maps·kh·kw / pool area (the authors: Python 2's
   * integer division, switch `convFanOut`; absent: exact); b = 0.
   */
  init(seed: number, f: Faithfulness): void {
    const s = this.spec;
    const fanIn = this.inputShape[0] * s.kernel * s.kernel;
    const fanOut = f.convFanOut === "integer" ? Math.floor(convFanOut(s)) : convFanOut(s);
    const r = Math.sqrt(6 / (fanIn + fanOut));
    fillUniform(this.params.w, -r, r, seed);
    this.params.b.fill(0);
  }

  private convShape(n: number): Conv2dShape {
    const [C, H, W] = this.inputShape,
      s = this.spec;
    return {
      batch: n,
      inChannels: C,
      height: H,
      width: W,
      outChannels: this.channels,
      kernelH: s.kernel,
      kernelW: s.kernel,
      padH: s.padding,
      padW: s.padding,
      strideH: 1,
      strideW: 1,
    };
  }

  private poolShape(n: number): MaxPoolShape {
    return {
      batch: n,
      channels: this.channels,
      height: this.convH,
      width: this.convW,
      size: this.spec.poolSize,
      stride: this.spec.poolStride,
    };
  }

  /**
   * Where a block-scaled operand's blocks lie (MX_OPERANDS): along the channels that a product sums at each pixel
   * (x and ĝ_c per image, W per filter tap), and down the batch for the weight gradient (per channel and pixel), as
   * microxcaling's convolutions. A block never spans two kernel taps: the channel × window axis is summed, but only
   * its channel part is contiguous for both operands without an im2col copy (METHOD.md §8.6).
   */
  private mxLayout(
    what: "input" | "weights" | "gradient" | "weightsT" | "inputByImage" | "gradientByImage",
    n: number,
  ): MxLayout {
    const [C, H, W] = this.inputShape,
      taps = this.spec.kernel * this.spec.kernel,
      conv = this.convH * this.convW;
    switch (what) {
      case "input":
        return { batch: n, rows: C, cols: H * W, along: "columns" };
      case "weights":
        return { batch: this.channels, rows: C, cols: taps, along: "columns" };
      case "gradient":
        return { batch: n, rows: this.channels, cols: conv, along: "columns" };
      case "weightsT":
        return { rows: this.channels, cols: C * taps, along: "columns" };
      case "inputByImage":
        return { rows: n, cols: C * H * W, along: "columns" };
      case "gradientByImage":
        return { rows: n, cols: this.channels * conv, along: "columns" };
    }
  }

  private sizes(n: number): { conv: number; pool: number; spatial: number } {
    return {
      conv: n * this.channels * this.convH * this.convW,
      pool: n * this.channels * this.poolH * this.poolW,
      spatial: this.poolH * this.poolW,
    };
  }

  forward(x: Float32Array, n: number): Float32Array {
    const { k, precision: p, params: w, spec } = this;
    const sz = this.sizes(n);
    w.lowPrecisionCopies(k, p);
    const mask = headU8(this.mask, n * this.inputSize),
      xd = head(this.xDrop, n * this.inputSize);
    k.dropoutMask({ mask, keepProb: spec.keepProb, rng: this.dropout });
    k.applyMask({ x, mask, y: xd });
    const c = head(this.c, sz.conv),
      u = head(this.u, sz.pool),
      y = head(this.y, n * this.outputSize);
    const m = this.mxScratch;
    k.conv2dForward({
      ...this.convShape(n),
      x: mxOperand(k, p, m, "forwardInput", xd, this.mxLayout("input", n)),
      w: mxOperand(k, p, m, "forwardWeights", w.wMul, this.mxLayout("weights", n)),
      y: c,
      quantize: p.at("convOutput"),
    });
    k.maxPoolForward({ ...this.poolShape(n), x: c, y: u, argmax: headI32(this.poolArg, sz.pool) });
    k.biasAdd({
      batch: n,
      channels: this.channels,
      spatial: sz.spatial,
      x: u,
      bias: w.bMul,
      y: u,
      quantize: p.at("pooledSum"),
    });
    k.maxoutForward({
      batch: n,
      units: spec.maps,
      pieces: spec.pieces,
      spatial: sz.spatial,
      x: u,
      y,
      argmax: headI32(this.maxArg, n * this.outputSize),
      quantize: p.at("output"),
    });
    return y;
  }

  backward(dy: Float32Array | undefined, n: number, wantInputGradient: boolean): Float32Array | undefined {
    if (!dy) throw new Error(`layer ${this.index} (maxout-conv): backward needs the output gradient`);
    const { k, precision: p, params: w, spec } = this;
    const sz = this.sizes(n);
    const gy = p.at("outputGradient");
    if (gy) k.quantize({ x: dy, ...gy });
    const u = head(this.u, sz.pool),
      du = head(this.du, sz.pool),
      c = head(this.c, sz.conv),
      dc = head(this.dc, sz.conv);
    k.maxoutBackward({
      batch: n,
      units: spec.maps,
      pieces: spec.pieces,
      spatial: sz.spatial,
      x: u,
      argmax: headI32(this.maxArg, n * this.outputSize),
      dy,
      dx: du,
      ties: this.f.ties,
      quantize: p.at("pooledSumGradient"),
    });
    k.biasGrad({
      batch: n,
      channels: this.channels,
      spatial: sz.spatial,
      dy: du,
      db: w.gb,
      quantize: p.at("biasGradient"),
    });
    k.maxPoolBackward({
      ...this.poolShape(n),
      x: c,
      argmax: headI32(this.poolArg, sz.pool),
      dy: du,
      dx: dc,
      ties: this.f.ties,
      quantize: p.at("convOutputGradient"),
    });
    const xd = head(this.xDrop, n * this.inputSize);
    const m = this.mxScratch;
    k.conv2dBackwardFilter({
      ...this.convShape(n),
      x: mxOperand(k, p, m, "weightGradientInput", xd, this.mxLayout("inputByImage", n)),
      dy: mxOperand(k, p, m, "weightGradient", dc, this.mxLayout("gradientByImage", n)),
      dw: w.gw,
      quantize: p.at("weightGradient"),
    });
    if (!wantInputGradient) return undefined;
    const dx = head(this.dx, n * this.inputSize);
    k.conv2dBackwardData({
      ...this.convShape(n),
      dy: mxOperand(k, p, m, "inputGradient", dc, this.mxLayout("gradient", n)),
      w: mxOperand(k, p, m, "inputGradientWeights", w.wMul, this.mxLayout("weightsT", n)),
      dx,
    });
    k.applyMask({ x: dx, mask: headU8(this.mask, n * this.inputSize), y: dx });
    return dx;
  }

  update(learningRate: number, momentum: number): void {
    this.params.update(
      this.k,
      this.precision,
      learningRate * this.spec.lrScale,
      momentum,
      this.spec.maxNorm,
      this.f,
      this.f.convMaxNormAxis === "per-filter",
    );
  }

  prepareTest(): void {
    this.params.testCopies(this.k, this.precision, this.spec.testScale, this.f.scaleBiasAtTest);
  }

  /** Test time: as the authors' fprop, the conv output is not rounded; the pooled sum and y are. */
  forwardTest(x: Float32Array, n: number): Float32Array {
    const { k, precision: p, params: w, spec } = this;
    const sz = this.sizes(n);
    const c = head(this.c, sz.conv),
      u = head(this.u, sz.pool),
      y = head(this.y, n * this.outputSize);
    k.conv2dForward({
      ...this.convShape(n),
      x: mxOperand(k, p, this.mxScratch, "testInput", x, this.mxLayout("input", n)),
      w: mxOperand(k, p, this.mxScratch, "testWeights", w.wTest, this.mxLayout("weights", n)),
      y: c,
    });
    k.maxPoolForward({ ...this.poolShape(n), x: c, y: u, argmax: headI32(this.poolArg, sz.pool) });
    k.biasAdd({
      batch: n,
      channels: this.channels,
      spatial: sz.spatial,
      x: u,
      bias: w.bTest,
      y: u,
      quantize: p.at("testWeightedSum"),
    });
    k.maxoutForward({
      batch: n,
      units: spec.maps,
      pieces: spec.pieces,
      spatial: sz.spatial,
      x: u,
      y,
      argmax: headI32(this.maxArg, n * this.outputSize),
      quantize: p.at("testOutput"),
    });
    return y;
  }
}
