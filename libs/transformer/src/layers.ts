/**
 * The Transformer's layers that hold parameters: linear layers (with an optional GELU), LayerNorm, the position
 * table. Each has its own `LayerPrecision` on the table TRANSFORMER_LINEAR (the paper's layer without dropout and
 * max-norm, METHOD.md §9), so it rounds where a Maxout layer does: Ŵ = Q_p(W), ẑ = Q_p(x·Ŵ + b̂), ŷ = Q_p(act(ẑ)),
 * the gradients at Q_p, the velocity at Q_p and the stored W, b at Q_u.
 */
import { type LayerPrecision, type LinearPoint, MxScratch, type MxOperandName, mxOperand } from "@lowprec/precision";
import type { Kernels } from "@lowprec/tensor";

export type LinearPrecision = LayerPrecision<string, LinearPoint, MxOperandName>;

/** Rows' first `len` values of a buffer (the buffer itself when exactly that long). */
export function head(a: Float32Array, len: number): Float32Array {
  return a.length === len ? a : a.subarray(0, len);
}

/** W, b, their velocities, gradients and low-precision copies; the update of METHOD.md §3 steps 7–8. */
export class Params {
  readonly w: Float32Array;
  readonly b: Float32Array;
  readonly vw: Float32Array;
  readonly vb: Float32Array;
  readonly gw: Float32Array;
  readonly gb: Float32Array;
  private readonly wHat: Float32Array;
  private readonly bHat: Float32Array;
  /** W and b as the multipliers see them (the copies, or W and b when the group is float32) */
  wMul: Float32Array;
  bMul: Float32Array;

  constructor(weights: number, biases: number) {
    this.w = new Float32Array(weights);
    this.vw = new Float32Array(weights);
    this.gw = new Float32Array(weights);
    this.wHat = new Float32Array(weights);
    this.b = new Float32Array(biases);
    this.vb = new Float32Array(biases);
    this.gb = new Float32Array(biases);
    this.bHat = new Float32Array(biases);
    this.wMul = this.w;
    this.bMul = this.b;
  }

  /** Ŵ = Q_p(W), b̂ = Q_p(b) (training) or their test-time points. */
  copies(k: Kernels, p: LinearPrecision, test: boolean): void {
    const qw = p.at(test ? "testWeights" : "weightsForMultiply");
    if (qw) k.quantize({ x: this.w, y: this.wHat, ...qw });
    this.wMul = qw ? this.wHat : this.w;
    if (this.b.length === 0) return;
    const qb = p.at(test ? "testBiases" : "biasesForMultiply");
    if (qb) k.quantize({ x: this.b, y: this.bHat, ...qb });
    this.bMul = qb ? this.bHat : this.b;
  }

  /** v ← Q_p(M·v − LR·ĝ), W ← Q_u(W + v) (and the same for b). */
  update(k: Kernels, p: LinearPrecision, lr: number, momentum: number): void {
    k.axpby({ alpha: -lr, x: this.gw, beta: momentum, y: this.vw, quantize: p.at("weightVelocity") });
    k.add({ a: this.w, b: this.vw, y: this.w, quantize: p.at("storedWeights") });
    if (this.b.length === 0) return;
    k.axpby({ alpha: -lr, x: this.gb, beta: momentum, y: this.vb, quantize: p.at("biasVelocity") });
    k.add({ a: this.b, b: this.vb, y: this.b, quantize: p.at("storedBiases") });
  }

  /** Velocities to zero (after calibration, with the initial weights put back). */
  resetVelocity(): void {
    this.vw.fill(0);
    this.vb.fill(0);
  }
}

/** What every parameter layer shares: a name for reports, its precision, its parameters. */
export interface ParamLayer {
  readonly name: string;
  readonly precision: LinearPrecision;
  readonly params: Params;
}

/**
 * y = act(x·Ŵ + b̂) over `rows` rows of `inSize` values: ẑ = Q_p(·; z), and with GELU ŷ = Q_p(GELU(ẑ); y). The
 * input must stay unchanged until `backward` (it is x̃ of the weight gradient).
 */
export class Linear implements ParamLayer {
  readonly params: Params;
  private x: Float32Array = new Float32Array(0);
  private readonly z: Float32Array;
  private readonly y: Float32Array;
  private readonly dz: Float32Array;
  private readonly dx: Float32Array;
  /** the MX copies of the products' operands (block-scaled settings only) */
  private readonly mx = new MxScratch<MxOperandName>();

  constructor(
    readonly name: string,
    readonly inSize: number,
    readonly outSize: number,
    readonly activation: "none" | "gelu",
    readonly precision: LinearPrecision,
    private readonly k: Kernels,
    capacityRows: number,
  ) {
    this.params = new Params(inSize * outSize, outSize);
    this.z = new Float32Array(capacityRows * outSize);
    this.y = activation === "gelu" ? new Float32Array(capacityRows * outSize) : this.z;
    this.dz = new Float32Array(capacityRows * outSize);
    this.dx = new Float32Array(capacityRows * inSize);
  }

  forward(x: Float32Array, rows: number, test = false): Float32Array {
    const { k, precision: p, params: w } = this;
    w.copies(k, p, test);
    this.x = x;
    const z = head(this.z, rows * this.outSize);
    // NOTE: under an MX setting each operand is rounded in blocks along the summed axis (the input features)
    const a = mxOperand(k, p, this.mx, test ? "testInput" : "forwardInput", head(x, rows * this.inSize), {
      rows,
      cols: this.inSize,
      along: "rows",
    });
    const b = mxOperand(k, p, this.mx, test ? "testWeights" : "forwardWeights", w.wMul, {
      rows: this.inSize,
      cols: this.outSize,
      along: "columns",
    });
    k.gemm({ m: rows, n: this.outSize, k: this.inSize, a, b, c: z });
    const zq = p.at(test ? "testWeightedSum" : "weightedSum");
    k.biasAdd({ batch: rows, channels: this.outSize, spatial: 1, x: z, bias: w.bMul, y: z, quantize: zq });
    if (this.activation === "none") return z;
    const y = head(this.y, rows * this.outSize);
    k.gelu({ x: z, y, quantize: p.at(test ? "testOutput" : "output") });
    return y;
  }

  /**
   * From ∂E/∂y (GELU: ĝ_y = Q_p(·; dEdy), then ĝ_z = Q_p(GELU′ ⊙ ĝ_y; dEdz)) or ∂E/∂z (ĝ_z = Q_p(·; dEdz)):
   * ĝ_W = Q_p(x̃ᵀ·ĝ_z), ĝ_b = Q_p(Σ ĝ_z) and, when asked, ∂E/∂x = ĝ_z·Ŵᵀ (not rounded: the layer below rounds it).
   * `dy` is not changed.
   */
  backward(dy: Float32Array, rows: number, wantInput: boolean): Float32Array | undefined {
    const { k, precision: p, params: w } = this;
    const n = rows * this.outSize;
    // NOTE: unrounded, ĝ_z is dy itself (only read below), not a copy
    let dz = head(this.dz, n);
    if (this.activation === "gelu") {
      const gy = p.at("outputGradient");
      if (gy) k.quantize({ x: dy, y: dz, ...gy });
      const g = gy ? dz : head(dy, n);
      k.geluBackward({ x: head(this.z, n), dy: g, dx: dz, quantize: p.at("weightedSumGradient") });
    } else {
      const gz = p.at("weightedSumGradient");
      if (gz) k.quantize({ x: head(dy, n), y: dz, ...gz });
      else dz = head(dy, n);
    }
    k.gemm({
      m: this.inSize,
      n: this.outSize,
      k: rows,
      a: mxOperand(k, p, this.mx, "weightGradientInput", head(this.x, rows * this.inSize), {
        rows,
        cols: this.inSize,
        along: "columns",
      }),
      transA: true,
      b: mxOperand(k, p, this.mx, "weightGradient", dz, { rows, cols: this.outSize, along: "columns" }),
      c: w.gw,
      quantize: p.at("weightGradient"),
    });
    k.biasGrad({ batch: rows, channels: this.outSize, spatial: 1, dy: dz, db: w.gb, quantize: p.at("biasGradient") });
    if (!wantInput) return undefined;
    const dx = head(this.dx, rows * this.inSize);
    k.gemm({
      m: rows,
      n: this.inSize,
      k: this.outSize,
      a: mxOperand(k, p, this.mx, "inputGradient", dz, { rows, cols: this.outSize, along: "rows" }),
      b: mxOperand(k, p, this.mx, "inputGradientWeights", w.wMul, {
        rows: this.inSize,
        cols: this.outSize,
        along: "rows",
      }),
      transB: true,
      c: dx,
    });
    return dx;
  }

  /** The uniform initialisation ±√(6 / (in + out)) (Glorot), biases 0. */
  init(fill: (a: Float32Array, bound: number) => void): void {
    fill(this.params.w, Math.sqrt(6 / (this.inSize + this.outSize)));
    this.params.b.fill(0);
  }
}

/**
 * LayerNorm over each row of `dim` values: ŷ = Q_p(x̂·γ̂ + β̂; y) with γ̂ = Q_p(γ; w), β̂ = Q_p(β; b); the mean and
 * the variance in float64 and kept float32 (sums stay wide, as the paper keeps them). Backward: ĝ_y = Q_p(∂E/∂y;
 * dEdy), ĝ_γ = Q_p(Σ ĝ_y ⊙ x̂; dEdw), ĝ_β = Q_p(Σ ĝ_y; dEdb), ∂E/∂x not rounded (it joins the residual stream).
 */
export class LayerNormLayer implements ParamLayer {
  readonly params: Params;
  private x: Float32Array = new Float32Array(0);
  private readonly y: Float32Array;
  private readonly mean: Float32Array;
  private readonly rstd: Float32Array;
  private readonly g: Float32Array;
  private readonly dx: Float32Array;

  constructor(
    readonly name: string,
    readonly dim: number,
    readonly eps: number,
    readonly precision: LinearPrecision,
    private readonly k: Kernels,
    capacityRows: number,
  ) {
    this.params = new Params(dim, dim);
    this.y = new Float32Array(capacityRows * dim);
    this.mean = new Float32Array(capacityRows);
    this.rstd = new Float32Array(capacityRows);
    this.g = new Float32Array(capacityRows * dim);
    this.dx = new Float32Array(capacityRows * dim);
  }

  forward(x: Float32Array, rows: number, test = false): Float32Array {
    const { k, precision: p, params: w } = this;
    w.copies(k, p, test);
    this.x = x;
    const y = head(this.y, rows * this.dim);
    k.layerNorm({
      rows,
      cols: this.dim,
      x: head(x, rows * this.dim),
      gamma: w.wMul,
      beta: w.bMul,
      eps: this.eps,
      y,
      mean: head(this.mean, rows),
      rstd: head(this.rstd, rows),
      quantize: p.at(test ? "testOutput" : "output"),
    });
    return y;
  }

  backward(dy: Float32Array, rows: number): Float32Array {
    const { k, precision: p, params: w } = this;
    const n = rows * this.dim;
    // NOTE: unrounded, ĝ_y is dy itself (only read), not a copy
    const gy = p.at("outputGradient");
    const g = gy ? head(this.g, n) : head(dy, n);
    if (gy) k.quantize({ x: head(dy, n), y: g, ...gy });
    const dx = head(this.dx, n);
    k.layerNormBackward({
      rows,
      cols: this.dim,
      x: head(this.x, n),
      gamma: w.wMul,
      mean: head(this.mean, rows),
      rstd: head(this.rstd, rows),
      dy: g,
      dx,
      dgamma: w.gw,
      dbeta: w.gb,
    });
    const qw = p.at("weightGradient");
    if (qw) k.quantize({ x: w.gw, ...qw });
    const qb = p.at("biasGradient");
    if (qb) k.quantize({ x: w.gb, ...qb });
    return dx;
  }

  /** γ = 1, β = 0. */
  init(): void {
    this.params.w.fill(1);
    this.params.b.fill(0);
  }
}

/**
 * Learned position embeddings: h[n, t, :] = e[n, t, :] + P[t, :] (an addition: nothing rounded in the sum). P is a
 * stored parameter (group w: Q_u, velocity at Q_p) and its gradient ĝ_P = Q_p(Σ_n ∂E/∂h[n]; dEdw).
 */
export class Positions implements ParamLayer {
  readonly params: Params;

  constructor(
    readonly name: string,
    readonly tokens: number,
    readonly dim: number,
    readonly precision: LinearPrecision,
    private readonly k: Kernels,
  ) {
    this.params = new Params(tokens * dim, 0);
  }

  /** h ← e + P per image, in place (`e` is overwritten); P as stored (Q_u): it is added, not multiplied. */
  forward(e: Float32Array, images: number): Float32Array {
    const w = this.params.w;
    this.k.biasAdd({ batch: images, channels: this.tokens * this.dim, spatial: 1, x: e, bias: w, y: e });
    return e;
  }

  backward(dh: Float32Array, images: number): void {
    const { k, precision: p, params: w } = this;
    const q = p.at("weightGradient");
    k.biasGrad({ batch: images, channels: this.tokens * this.dim, spatial: 1, dy: dh, db: w.gw, quantize: q });
  }

  /** Uniform ±0.02·√3 (standard deviation 0.02, as ViT's). */
  init(fill: (a: Float32Array, bound: number) => void): void {
    fill(this.params.w, 0.02 * Math.sqrt(3));
  }
}
