/**
 * Multi-head self-attention's core, between the projections: from q̂, k̂, v̂ (rows = images × tokens, d values each,
 * heads side by side) to the context ĉ, rounded at the points of @lowprec/precision's ATTENTION_CORE (METHOD.md §9).
 * Heads are laid out (image, head, token, d_h) for the batched products, and back.
 */
import {
  type AttentionGroup,
  type AttentionMxOperand,
  type AttentionPoint,
  type LayerPrecision,
  type MxLayout,
  MxScratch,
  mxOperand,
} from "@lowprec/precision";
import type { Kernels } from "@lowprec/tensor";
import { head } from "./layers.js";

export type AttentionPrecision = LayerPrecision<AttentionGroup, AttentionPoint, AttentionMxOperand>;

/**
 * (images, tokens, heads, dh) → (images, heads, tokens, dh): the kernels' swapAxes (a copy, the bits unchanged).
 * x and y hold exactly images·tokens·heads·dh values.
 */
export function splitHeads(
  k: Kernels,
  x: Float32Array,
  y: Float32Array,
  images: number,
  tokens: number,
  heads: number,
  dh: number,
) {
  k.swapAxes({ outer: images, rows: tokens, cols: heads, inner: dh, x, y });
}

/** (images, heads, tokens, dh) → (images, tokens, heads, dh), as splitHeads. */
export function mergeHeads(
  k: Kernels,
  x: Float32Array,
  y: Float32Array,
  images: number,
  tokens: number,
  heads: number,
  dh: number,
) {
  k.swapAxes({ outer: images, rows: heads, cols: tokens, inner: dh, x, y });
}

export class AttentionCore {
  readonly dh: number;
  private readonly scale: number;
  private readonly q: Float32Array;
  private readonly kk: Float32Array;
  private readonly v: Float32Array;
  private readonly s: Float32Array;
  private readonly p: Float32Array;
  private readonly c: Float32Array;
  private readonly out: Float32Array;
  private readonly dc: Float32Array;
  private readonly dp: Float32Array;
  private readonly dq: Float32Array;
  private readonly dk: Float32Array;
  private readonly dv: Float32Array;
  private readonly dqOut: Float32Array;
  private readonly dkOut: Float32Array;
  private readonly dvOut: Float32Array;
  /** the MX copies of the products' operands (block-scaled settings only) */
  private readonly mx = new MxScratch<AttentionMxOperand>();

  constructor(
    readonly name: string,
    readonly tokens: number,
    readonly dim: number,
    readonly heads: number,
    readonly precision: AttentionPrecision,
    private readonly k: Kernels,
    capacityImages: number,
  ) {
    this.dh = dim / heads;
    this.scale = 1 / Math.sqrt(this.dh);
    const rows = capacityImages * tokens * dim,
      sq = capacityImages * heads * tokens * tokens;
    const f = (n: number) => new Float32Array(n);
    [this.q, this.kk, this.v, this.c, this.out, this.dc] = [f(rows), f(rows), f(rows), f(rows), f(rows), f(rows)];
    [this.dq, this.dk, this.dv, this.dqOut, this.dkOut, this.dvOut] = [
      f(rows),
      f(rows),
      f(rows),
      f(rows),
      f(rows),
      f(rows),
    ];
    [this.s, this.p, this.dp] = [f(sq), f(sq), f(sq)];
  }

  /** ĉ (images·tokens × d) from q̂, k̂, v̂ of the same layout. */
  forward(q: Float32Array, kx: Float32Array, v: Float32Array, images: number, test = false): Float32Array {
    const { k, precision: pr, tokens: T, heads: H, dh } = this;
    const n = images * T * this.dim,
      b = images * H,
      sq = b * T * T;
    const [qh, kh, vh] = [head(this.q, n), head(this.kk, n), head(this.v, n)];
    splitHeads(k, head(q, n), qh, images, T, H, dh);
    splitHeads(k, head(kx, n), kh, images, T, H, dh);
    splitHeads(k, head(v, n), vh, images, T, H, dh);
    const s = head(this.s, sq),
      p = head(this.p, sq),
      c = head(this.c, n);
    const at = (train: AttentionPoint, testPoint: AttentionPoint) => pr.at(test ? testPoint : train);
    const mx = (train: AttentionMxOperand, testName: AttentionMxOperand, x: Float32Array, layout: MxLayout) =>
      mxOperand(k, pr, this.mx, test ? testName : train, x, layout);
    const [tokensByDh, tokensByTokens] = [
      { batch: b, rows: T, cols: dh },
      { batch: b, rows: T, cols: T },
    ];
    k.batchedMatmul({
      batch: b,
      m: T,
      n: T,
      k: dh,
      a: mx("scoresQuery", "testScoresQuery", qh, { ...tokensByDh, along: "rows" }),
      b: mx("scoresKey", "testScoresKey", kh, { ...tokensByDh, along: "rows" }),
      transB: true,
      alpha: this.scale,
      c: s,
      quantize: at("scores", "testScores"),
    });
    k.softmaxRows({ rows: b * T, cols: T, x: s, y: p, quantize: at("probs", "testProbs") });
    k.batchedMatmul({
      batch: b,
      m: T,
      n: dh,
      k: T,
      a: mx("contextProbs", "testContextProbs", p, { ...tokensByTokens, along: "rows" }),
      b: mx("contextValues", "testContextValues", vh, { ...tokensByDh, along: "columns" }),
      c,
      quantize: at("context", "testContext"),
    });
    const out = head(this.out, n);
    mergeHeads(k, c, out, images, T, H, dh);
    return out;
  }

  /** ∂E/∂q, ∂E/∂k, ∂E/∂v (not rounded: the projections round them as their ĝ_z) from ∂E/∂c. */
  backward(dcIn: Float32Array, images: number): [Float32Array, Float32Array, Float32Array] {
    const { k, precision: pr, tokens: T, heads: H, dh } = this;
    const n = images * T * this.dim,
      b = images * H,
      sq = b * T * T;
    const dc = head(this.dc, n);
    splitHeads(k, head(dcIn, n), dc, images, T, H, dh);
    const gc = pr.at("contextGradient");
    if (gc) k.quantize({ x: dc, ...gc });
    const p = head(this.p, sq),
      dp = head(this.dp, sq);
    const [qh, kh, vh] = [head(this.q, n), head(this.kk, n), head(this.v, n)];
    const mx = (name: AttentionMxOperand, x: Float32Array, cols: number, along: MxLayout["along"]) =>
      mxOperand(k, pr, this.mx, name, x, { batch: b, rows: T, cols, along });
    k.batchedMatmul({
      batch: b,
      m: T,
      n: T,
      k: dh,
      a: mx("probsGradientContext", dc, dh, "rows"),
      b: mx("probsGradientValues", vh, dh, "rows"),
      transB: true,
      c: dp,
      quantize: pr.at("probsGradient"),
    });
    k.softmaxRowsBackward({ rows: b * T, cols: T, y: p, dy: dp, dx: dp, quantize: pr.at("scoresGradient") });
    const [dq, dk, dv] = [head(this.dq, n), head(this.dk, n), head(this.dv, n)];
    const common = { batch: b, m: T, n: dh, k: T };
    k.batchedMatmul({
      ...common,
      a: mx("queryGradientScores", dp, T, "rows"),
      b: mx("queryGradientKeys", kh, dh, "columns"),
      alpha: this.scale,
      c: dq,
    });
    k.batchedMatmul({
      ...common,
      a: mx("keyGradientScores", dp, T, "columns"),
      transA: true,
      b: mx("keyGradientQueries", qh, dh, "columns"),
      alpha: this.scale,
      c: dk,
    });
    k.batchedMatmul({
      ...common,
      a: mx("valueGradientProbs", p, T, "columns"),
      transA: true,
      b: mx("valueGradientContext", dc, dh, "columns"),
      c: dv,
    });
    const [oq, ok, ov] = [head(this.dqOut, n), head(this.dkOut, n), head(this.dvOut, n)];
    mergeHeads(k, dq, oq, images, T, H, dh);
    mergeHeads(k, dk, ok, images, T, H, dh);
    mergeHeads(k, dv, ov, images, T, H, dh);
    return [oq, ok, ov];
  }
}
