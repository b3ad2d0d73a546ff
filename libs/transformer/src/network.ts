/**
 * The vision Transformer (METHOD.md §9): the image cut into patches, each patch a token through a linear patch
 * embedding, plus learned positions; `blocks` pre-norm blocks h ← h + Attn(LN(h)), h ← h + MLP(LN(h)) with
 * multi-head self-attention and a GELU MLP; the tokens' mean, a LayerNorm, a linear classifier, softmax and
 * cross-entropy (mean over the batch). Every layer rounds through its own `LayerPrecision`; the residual stream is
 * a sum and stays float32 (it reaches a product only through a LayerNorm, whose output is rounded).
 */
import { randomBits } from "@lowprec/formats";
import {
  ATTENTION_CORE,
  ATTENTION_GROUPS,
  GROUPS,
  LayerPrecision,
  PrecisionSpecError,
  type LayerPrecisionState,
  type PrecisionSpec,
  type ScaleRecord,
  TRANSFORMER_LINEAR,
  validatePrecisionSpec,
} from "@lowprec/precision";
import type { Kernels } from "@lowprec/tensor";
import { AttentionCore, type AttentionPrecision } from "./attention.js";
import { patchSize, tokenCount, VitConfigError, type VitSpec, validateVitSpec } from "./config.js";
import { head, LayerNormLayer, Linear, type LinearPrecision, type ParamLayer, Positions } from "./layers.js";

/** The sub-layers of one block, in the order of the forward pass (each its own precision "layer"). */
export const BLOCK_PARTS = ["ln1", "q", "k", "v", "attn", "out", "ln2", "fc1", "fc2"] as const;

/**
 * The precision layer numbers of a network with `blocks` blocks, by name: embed 0, pos 1, block b's parts from
 * 2 + 9b in BLOCK_PARTS' order, then norm and head. Overrides name layers by these numbers.
 */
export function vitLayerNames(blocks: number): string[] {
  const names = ["embed", "pos"];
  for (let b = 1; b <= blocks; b++) for (const part of BLOCK_PARTS) names.push(`block${b}.${part}`);
  names.push("norm", "head");
  return names;
}

/**
 * Refuses a policy the network cannot run, in one line naming the field: an invalid policy (validatePrecisionSpec),
 * an override naming a group that no layer of a Transformer has, or a layer beyond its last.
 */
export function validateVitPrecision(p: PrecisionSpec, layers: number): void {
  const check = (spec: PrecisionSpec, where: string) => {
    try {
      validatePrecisionSpec(spec, where);
    } catch (e) {
      throw e instanceof PrecisionSpecError ? new VitConfigError(e.message) : e;
    }
  };
  check(p, "precision");
  for (const [i, o] of p.overrides.entries()) check({ ...p, ...o }, `precision.overrides[${i}]`);
  const known = new Set<string>([...GROUPS, ...ATTENTION_GROUPS]);
  p.overrides.forEach((o, i) => {
    if (o.group !== undefined && !known.has(o.group))
      throw new VitConfigError(
        `precision.overrides[${i}].group: "${o.group}" is not a group of the ViT (${[...known].join(", ")})`,
      );
    if (o.layer !== undefined && !(Number.isInteger(o.layer) && o.layer >= 0 && o.layer < layers))
      throw new VitConfigError(`precision.overrides[${i}].layer: ${o.layer} (the ViT has layers 0 to ${layers - 1})`);
  });
}

/** The attention core's gradient groups, which take a format override of the gradient group dEdz. */
const ATTENTION_GRADIENTS = ["dEdcontext", "dEdprobs", "dEdscores"] as const;

/**
 * The policy of the attention cores: `p`, where an override of the gradient group dEdz for every layer (an MX
 * preset's gradients in E5M2 or E3M2, METHOD.md §8.6) also sets the core's gradient groups, which the paper's layer
 * does not have (METHOD.md §9); an override naming a core group itself still wins (it comes later).
 */
export function attentionSpec(p: PrecisionSpec): PrecisionSpec {
  const extra = p.overrides
    .filter((o) => o.group === "dEdz" && o.layer === undefined)
    .flatMap((o) => ATTENTION_GRADIENTS.map((group) => ({ ...o, group })));
  return extra.length === 0 ? p : { ...p, overrides: [...extra, ...p.overrides] };
}

class Block {
  readonly ln1: LayerNormLayer;
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly attn: AttentionCore;
  readonly out: Linear;
  readonly ln2: LayerNormLayer;
  readonly fc1: Linear;
  readonly fc2: Linear;
  private readonly h2: Float32Array;
  private readonly h3: Float32Array;
  private readonly dsum: Float32Array;
  private readonly dh2: Float32Array;
  private readonly dh: Float32Array;

  constructor(
    name: string,
    spec: VitSpec,
    tokens: number,
    kernels: Kernels,
    precisions: (LinearPrecision | AttentionPrecision)[],
    base: number,
    capacity: number,
  ) {
    const rows = capacity * tokens,
      d = spec.dim,
      eps = spec.eps ?? 1e-5;
    const lp = (i: number) => precisions[base + i] as LinearPrecision;
    this.ln1 = new LayerNormLayer(`${name}.ln1`, d, eps, lp(0), kernels, rows);
    this.q = new Linear(`${name}.q`, d, d, "none", lp(1), kernels, rows);
    this.k = new Linear(`${name}.k`, d, d, "none", lp(2), kernels, rows);
    this.v = new Linear(`${name}.v`, d, d, "none", lp(3), kernels, rows);
    const ap = precisions[base + 4] as AttentionPrecision;
    this.attn = new AttentionCore(`${name}.attn`, tokens, d, spec.heads, ap, kernels, capacity);
    this.out = new Linear(`${name}.out`, d, d, "none", lp(5), kernels, rows);
    this.ln2 = new LayerNormLayer(`${name}.ln2`, d, eps, lp(6), kernels, rows);
    this.fc1 = new Linear(`${name}.fc1`, d, spec.mlp, "gelu", lp(7), kernels, rows);
    this.fc2 = new Linear(`${name}.fc2`, spec.mlp, d, "none", lp(8), kernels, rows);
    const f = () => new Float32Array(rows * d);
    [this.h2, this.h3, this.dsum, this.dh2, this.dh] = [f(), f(), f(), f(), f()];
    this.kernels = kernels;
  }

  private readonly kernels: Kernels;

  get paramLayers(): ParamLayer[] {
    return [this.ln1, this.q, this.k, this.v, this.out, this.ln2, this.fc1, this.fc2];
  }

  forward(h: Float32Array, images: number, tokens: number, test: boolean): Float32Array {
    const rows = images * tokens,
      n = rows * this.ln1.dim,
      K = this.kernels;
    const a = this.ln1.forward(h, rows, test);
    const q = this.q.forward(a, rows, test),
      k = this.k.forward(a, rows, test),
      v = this.v.forward(a, rows, test);
    const c = this.attn.forward(q, k, v, images, test);
    const o = this.out.forward(c, rows, test);
    const h2 = head(this.h2, n);
    K.add({ a: head(h, n), b: o, y: h2 });
    const m = this.ln2.forward(h2, rows, test);
    const u = this.fc1.forward(m, rows, test);
    const f = this.fc2.forward(u, rows, test);
    const h3 = head(this.h3, n);
    K.add({ a: h2, b: f, y: h3 });
    return h3;
  }

  /** ∂E/∂h from ∂E/∂h3 (`dh3` unchanged). */
  backward(dh3: Float32Array, images: number, tokens: number): Float32Array {
    const rows = images * tokens,
      n = rows * this.ln1.dim,
      K = this.kernels;
    const du = this.fc2.backward(dh3, rows, true)!;
    const dm = this.fc1.backward(du, rows, true)!;
    const dh2 = head(this.dh2, n);
    K.add({ a: head(dh3, n), b: this.ln2.backward(dm, rows), y: dh2 });
    const dc = this.out.backward(dh2, rows, true)!;
    const [dq, dk, dv] = this.attn.backward(dc, images);
    const s = head(this.dsum, n);
    K.add({ a: this.q.backward(dq, rows, true)!, b: this.k.backward(dk, rows, true)!, y: s });
    K.add({ a: s, b: this.v.backward(dv, rows, true)!, y: s });
    const dh = head(this.dh, n);
    K.add({ a: dh2, b: this.ln1.backward(s, rows), y: dh });
    return dh;
  }
}

/** A step's outcome: Σ −log p(label) over the batch and the misclassified examples. */
export interface StepLoss {
  readonly loss: number;
  readonly errors: number;
}

export class Vit {
  readonly tokens: number;
  readonly layerNames: readonly string[];
  readonly precisions: readonly (LinearPrecision | AttentionPrecision)[];
  readonly embed: Linear;
  readonly pos: Positions;
  readonly blocks: readonly Block[];
  readonly norm: LayerNormLayer;
  readonly classifier: Linear;
  private readonly patches: Float32Array;
  private readonly pooled: Float32Array;
  private readonly probs: Float32Array;
  private readonly dlogits: Float32Array;
  private readonly dtokens: Float32Array;
  private labels: Int32Array = new Int32Array(0);

  constructor(
    readonly spec: VitSpec,
    readonly precision: PrecisionSpec,
    readonly kernels: Kernels,
    readonly capacity: number,
    seed: number,
  ) {
    validateVitSpec(spec);
    this.tokens = tokenCount(spec);
    this.layerNames = vitLayerNames(spec.blocks);
    validateVitPrecision(precision, this.layerNames.length);
    this.precisions = this.layerNames.map((name, i) =>
      name.endsWith(".attn")
        ? new LayerPrecision(attentionSpec(precision), i, seed, ATTENTION_CORE)
        : new LayerPrecision(precision, i, seed, TRANSFORMER_LINEAR),
    );
    const T = this.tokens,
      d = spec.dim,
      rows = capacity * T,
      P = this.precisions,
      K = kernels;
    this.embed = new Linear("embed", patchSize(spec), d, "none", P[0] as LinearPrecision, K, rows);
    this.pos = new Positions("pos", T, d, P[1] as LinearPrecision, K);
    this.blocks = Array.from(
      { length: spec.blocks },
      (_, b) => new Block(`block${b + 1}`, spec, T, K, [...P], 2 + 9 * b, capacity),
    );
    const last = 2 + 9 * spec.blocks;
    this.norm = new LayerNormLayer("norm", d, spec.eps ?? 1e-5, P[last] as LinearPrecision, K, capacity);
    this.classifier = new Linear("head", d, spec.classes, "none", P[last + 1] as LinearPrecision, K, capacity);
    this.patches = new Float32Array(rows * patchSize(spec));
    this.pooled = new Float32Array(capacity * d);
    this.probs = new Float32Array(capacity * spec.classes);
    this.dlogits = new Float32Array(capacity * spec.classes);
    this.dtokens = new Float32Array(rows * d);
  }

  /** Every layer that holds parameters, in the forward order. */
  get paramLayers(): ParamLayer[] {
    return [this.embed, this.pos, ...this.blocks.flatMap((b) => b.paramLayers), this.norm, this.classifier];
  }

  /** Glorot-uniform linear weights, γ = 1, β = 0, positions ±0.02·√3; each layer from its own stream of `seed`. */
  init(seed: number): void {
    this.paramLayers.forEach((l, i) => {
      const fill = (a: Float32Array, bound: number) => {
        const s = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
        for (let j = 0; j < a.length; j++) a[j] = bound * (2 * (randomBits(s, j) / 4294967296) - 1);
      };
      if (l instanceof LayerNormLayer) l.init();
      else if (l instanceof Linear || l instanceof Positions) l.init(fill);
    });
  }

  /** The labels of the next forward pass. */
  setLabels(labels: Int32Array): void {
    this.labels = labels;
  }

  /** Cuts `images` images (channels × height × width each) into patch rows (image, token, channel·p·p). */
  private patchify(x: Float32Array, images: number): Float32Array {
    const { channels: C, height: H, width: W } = this.spec.image,
      p = this.spec.patch,
      gw = W / p,
      ps = patchSize(this.spec),
      T = this.tokens;
    const out = head(this.patches, images * T * ps);
    if (C === 1) {
      // one channel: image rows (gh bands of p rows of gw patches of p pixels) → (gh · gw patches of p × p), the
      // middle axes of (images·gh, p, gw, p) swapped, by the kernels (a copy)
      const gh = H / p;
      this.kernels.swapAxes({ outer: images * gh, rows: p, cols: gw, inner: p, x: head(x, images * H * W), y: out });
      return out;
    }
    for (let n = 0; n < images; n++)
      for (let t = 0; t < T; t++) {
        const py = Math.floor(t / gw) * p,
          px = (t % gw) * p,
          dst = (n * T + t) * ps;
        for (let c = 0; c < C; c++)
          for (let i = 0; i < p; i++) {
            const src = n * C * H * W + c * H * W + (py + i) * W + px;
            out.set(x.subarray(src, src + p), dst + (c * p + i) * p);
          }
      }
    return out;
  }

  /** Forward pass (training, or test with `test`): the class probabilities (rounded at the head's y). */
  forward(x: Float32Array, images: number, test = false): { probs: Float32Array } & StepLoss {
    if (images > this.capacity) throw new RangeError(`vit: a batch of ${images} exceeds the capacity ${this.capacity}`);
    if (this.labels.length < images) throw new RangeError(`vit: ${this.labels.length} labels set for ${images} images`);
    const T = this.tokens,
      d = this.spec.dim,
      K = this.kernels;
    let h = this.pos.forward(this.embed.forward(this.patchify(x, images), images * T, test), images);
    for (const b of this.blocks) h = b.forward(h, images, T, test);
    // NOTE: the tokens' mean (a sum, float32), then LayerNorm: its rounded output is the classifier's operand
    const pooled = head(this.pooled, images * d);
    meanTokens(h, pooled, images, T, d);
    const z = this.classifier.forward(this.norm.forward(pooled, images, test), images, test);
    const probs = head(this.probs, images * this.spec.classes);
    const labels = this.labels.length === images ? this.labels : this.labels.subarray(0, images);
    const r = K.softmaxCrossEntropyForward({
      batch: images,
      classes: this.spec.classes,
      logits: z,
      labels,
      probs,
      quantize: this.classifier.precision.at(test ? "testOutput" : "output"),
    });
    return { probs, loss: r.loss, errors: r.errors };
  }

  /** Backward pass after a training forward: every parameter's ĝ (loss = mean over the batch). */
  backward(images: number): void {
    const T = this.tokens,
      d = this.spec.dim,
      C = this.spec.classes,
      K = this.kernels;
    const dl = head(this.dlogits, images * C);
    K.softmaxCrossEntropyBackward({
      batch: images,
      classes: C,
      probs: head(this.probs, images * C),
      labels: this.labels.length === images ? this.labels : this.labels.subarray(0, images),
      dlogits: dl,
      scale: 1 / images,
      quantize: this.classifier.precision.at("outputGradient"),
    });
    const dpooled = this.norm.backward(this.classifier.backward(dl, images, true)!, images);
    let dh = head(this.dtokens, images * T * d);
    spreadTokens(dpooled, dh, images, T, d);
    for (let b = this.blocks.length - 1; b >= 0; b--) dh = this.blocks[b]!.backward(dh, images, T);
    this.pos.backward(dh, images);
    this.embed.backward(dh, images * T, false);
  }

  /** Momentum SGD on every parameter (METHOD.md §3 steps 7–8, no max-norm). */
  update(learningRate: number, momentum: number): void {
    for (const l of this.paramLayers) l.params.update(this.kernels, l.precision, learningRate, momentum);
  }

  /** Counts a step of `images` examples in every layer's overflow statistics. */
  endStep(images: number): void {
    for (const p of this.precisions) p.endStep(images);
  }

  /** Moves every overflow-rate scale by its window's rates. */
  closeScaleWindow(): void {
    for (const p of this.precisions) p.closeScaleWindow();
  }

  set calibrating(on: boolean) {
    for (const p of this.precisions) p.calibrating = on;
  }

  /** The telemetry records of every layer since the last call. */
  takeRecords(): ScaleRecord[] {
    return this.precisions.flatMap((p) => p.takeRecords());
  }

  /** The first layer and group whose scale state is NaN, if any (a diverged run). */
  nanGroup(): string | undefined {
    for (let i = 0; i < this.precisions.length; i++) {
      const g = this.precisions[i]!.nanGroup();
      if (g !== undefined) return `${this.layerNames[i]}.${g}`;
    }
    return undefined;
  }

  precisionState(): LayerPrecisionState[] {
    return this.precisions.map((p) => p.toJSON());
  }

  restorePrecision(s: readonly LayerPrecisionState[]): void {
    s.forEach((x, i) => {
      this.precisions[i]!.restore(x);
    });
  }
}

/** pooled[n] = mean over t of h[n, t]; the sum in float64. */
export function meanTokens(h: Float32Array, pooled: Float32Array, images: number, tokens: number, d: number): void {
  for (let n = 0; n < images; n++)
    for (let c = 0; c < d; c++) {
      let s = 0;
      for (let t = 0; t < tokens; t++) s += h[(n * tokens + t) * d + c]!;
      pooled[n * d + c] = s / tokens;
    }
}

/** dh[n, t] = dpooled[n] / tokens: the gradient of the mean. */
function spreadTokens(dp: Float32Array, dh: Float32Array, images: number, tokens: number, d: number): void {
  for (let n = 0; n < images; n++)
    for (let t = 0; t < tokens; t++) for (let c = 0; c < d; c++) dh[(n * tokens + t) * d + c] = dp[n * d + c]! / tokens;
}
