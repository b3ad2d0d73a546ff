/**
 * The parameters of one layer and their update (METHOD.md §3 steps 1, 7–9), shared by all layer kinds:
 * SGD with momentum, the velocity stored at the propagation width, W and b stored at the update width,
 * then the max-norm constraint over axis 0 and Q_u again.
 */
import type { Kernels } from "@lowprec/tensor";
import type { Faithfulness } from "../config.js";
import type { LayerPrecision } from "@lowprec/precision";

/** W (rows × cols as max-norm sees it: FC in × out, conv F·P × C·kh·kw), b, velocities, gradients and Ŵ, b̂. */
export class Parameters {
  readonly w: Float32Array;
  readonly b: Float32Array;
  /** momentum velocity of W (the authors' update_W) */
  readonly vw: Float32Array;
  readonly vb: Float32Array;
  /** ĝ_W and ĝ_b of the last backward pass */
  readonly gw: Float32Array;
  readonly gb: Float32Array;
  /** the low-precision copies used by the multipliers: Ŵ = Q_p(W), b̂ = Q_p(b) */
  readonly wHat: Float32Array;
  readonly bHat: Float32Array;
  /** test-time copies: Q_p(W) × scale */
  readonly wTest: Float32Array;
  readonly bTest: Float32Array;
  private readonly norms: Float32Array;
  private readonly factors: Float32Array;

  constructor(
    readonly rows: number,
    readonly cols: number,
    biases: number,
  ) {
    const n = rows * cols;
    this.w = new Float32Array(n);
    this.vw = new Float32Array(n);
    this.gw = new Float32Array(n);
    this.wHat = new Float32Array(n);
    this.wTest = new Float32Array(n);
    this.b = new Float32Array(biases);
    this.vb = new Float32Array(biases);
    this.gb = new Float32Array(biases);
    this.bHat = new Float32Array(biases);
    this.bTest = new Float32Array(biases);
    this.norms = new Float32Array(cols);
    this.factors = new Float32Array(cols);
    this.wMul = this.wHat;
    this.bMul = this.bHat;
  }

  /** Ŵ and b̂ as the multipliers see them: `wHat`/`bHat`, or W and b themselves when the policy does not round. */
  wMul: Float32Array;
  bMul: Float32Array;

  /** Step 1: Ŵ = Q_p(W), b̂ = Q_p(b). */
  lowPrecisionCopies(k: Kernels, p: LayerPrecision): void {
    const qw = p.at("weightsForMultiply");
    if (qw) k.quantize({ x: this.w, y: this.wHat, ...qw });
    this.wMul = qw ? this.wHat : this.w;
    const qb = p.at("biasesForMultiply");
    if (qb) k.quantize({ x: this.b, y: this.bHat, ...qb });
    this.bMul = qb ? this.bHat : this.b;
  }

  /** Test time: Q_p(W)·scale and Q_p(b)·scale (b unscaled when `scaleBias` is false). */
  testCopies(k: Kernels, p: LayerPrecision, scale: number, scaleBias: boolean): void {
    const qw = p.at("testWeights");
    if (qw) k.quantize({ x: this.w, y: this.wTest, ...qw });
    else this.wTest.set(this.w);
    k.scale({ alpha: scale, x: this.wTest, y: this.wTest });
    const qb = p.at("testBiases");
    if (qb) k.quantize({ x: this.b, y: this.bTest, ...qb });
    else this.bTest.set(this.b);
    if (scaleBias) k.scale({ alpha: scale, x: this.bTest, y: this.bTest });
  }

  /**
   * Steps 7–9. `perFilterNorm`: the textbook conv max-norm (each of `rows` filters over its `cols` weights)
   * instead of the authors' axis-0 norm.
   */
  update(
    k: Kernels,
    p: LayerPrecision,
    lr: number,
    momentum: number,
    maxNorm: number,
    f: Faithfulness,
    perFilterNorm: boolean,
  ): void {
    // 7. v ← Q_p(M·v − LR·ĝ)
    k.axpby({ alpha: -lr, x: this.gw, beta: momentum, y: this.vw, quantize: p.at("weightVelocity") });
    k.axpby({ alpha: -lr, x: this.gb, beta: momentum, y: this.vb, quantize: p.at("biasVelocity") });
    // 8. W ← Q_u(W + v), b ← Q_u(b + v_b)
    k.add({ a: this.w, b: this.vw, y: this.w, quantize: p.at("storedWeights") });
    k.add({ a: this.b, b: this.vb, y: this.b, quantize: p.at("storedBiases") });
    // 9. max-norm, then Q_u
    if (perFilterNorm) {
      this.perFilterMaxNorm(k, p, maxNorm, f);
      return;
    }
    k.columnNorms({ rows: this.rows, cols: this.cols, w: this.w, norms: this.norms });
    for (let j = 0; j < this.cols; j++) this.factors[j] = maxNormFactor(this.norms[j]!, maxNorm, f);
    k.scaleColumns({
      rows: this.rows,
      cols: this.cols,
      w: this.w,
      factors: this.factors,
      y: this.w,
      quantize: p.at("storedWeightsAfterMaxNorm"),
    });
  }

  // NOTE: the textbook conv constraint (one norm per filter) has no kernel: row norms of a few thousand
  // filters are cheap in TS, followed by one quantize pass.
  private perFilterMaxNorm(k: Kernels, p: LayerPrecision, maxNorm: number, f: Faithfulness): void {
    const w = this.w,
      cols = this.cols;
    for (let r = 0; r < this.rows; r++) {
      let s = 0;
      for (let j = r * cols; j < (r + 1) * cols; j++) s += w[j]! * w[j]!;
      const factor = maxNormFactor(Math.sqrt(s), maxNorm, f);
      for (let j = r * cols; j < (r + 1) * cols; j++) w[j] = w[j]! * factor;
    }
    const q = p.at("storedWeightsAfterMaxNorm");
    if (q) k.quantize({ x: w, ...q });
  }
}

/** The authors: min(n, c)/(1e-7 + n) on every column; textbook: c/n above the limit, else 1. */
export function maxNormFactor(norm: number, limit: number, f: Faithfulness): number {
  if (f.maxNormRescale === "always") return Math.fround(Math.min(norm, limit) / (1e-7 + norm));
  return norm > limit ? Math.fround(limit / norm) : 1;
}
