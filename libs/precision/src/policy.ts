/**
 * WHERE THE PAPER ROUNDS (METHOD.md §2 and §3): the precision policy, shared by the trainers (@lowprec/maxout).
 *
 * A layer kind's rounding is a table (`PolicyTable`): its groups, the named points where a step rounds them, the
 * operands of its products for block-scaled groups. `LayerPrecision` runs any table; the paper's layer
 * (`PAPER_LAYER`) is the one below. Every layer of the paper has ten groups of values, each with its own format
 * state (the authors' `dropout_layer`):
 *
 *   w         weights W       stored at the UPDATE width, multiplied as Ŵ = Q_p(W) (same integer bits)
 *   b         biases b        same as W
 *   z         weighted sums   (conv: the conv output before pooling and the pooled + bias value)
 *   y         layer outputs   (after maxout / softmax)
 *   dEdy      gradient w.r.t. the output
 *   dEdz      gradient w.r.t. the weighted sum (conv: after the bias add and before pooling)
 *   dEdw      weight gradient
 *   dEdb      bias gradient
 *   update_w  momentum velocity of W (stored at the PROPAGATION width)
 *   update_b  momentum velocity of b
 *
 * A training step of one layer rounds at these named points, in this order (Q_p = propagation width,
 * Q_u = update width; products and sums are float32, only operands and stored results are rounded):
 *
 *   forward   1. Ŵ = Q_p(W; w), b̂ = Q_p(b; b)                    weightsForMultiply, biasesForMultiply
 *             2. x̃ = x ⊙ mask (not rounded: x is the previous layer's ŷ; the raw input is never rounded)
 *             3. FC:   ẑ = Q_p(x̃·Ŵ + b̂; z)                        weightedSum
 *                conv: ĉ = Q_p(conv(x̃, Ŵ); z) → pool →           convOutput
 *                      û = Q_p(pool + b̂; z)                       pooledSum
 *             4. ŷ = Q_p(act(ẑ or û); y)                          output
 *   backward  5. top: δ = (ŷ_softmax − t) / n_classes, summed over the batch
 *             6. ĝ_y = Q_p(δ; dEdy)                               outputGradient
 *                ĝ_z = Q_p(∂E/∂z; dEdz) (softmax: Q_p(ĝ_y; dEdz)) weightedSumGradient
 *                conv: ĝ_u = Q_p(maxout⁻¹ ĝ_y; dEdz)              pooledSumGradient
 *                      ĝ_c = Q_p(pool⁻¹ ĝ_u; dEdz)                convOutputGradient
 *                ĝ_W = Q_p(x̃ᵀ·ĝ_z; dEdw), ĝ_b = Q_p(Σ ĝ_z; dEdb)   weightGradient, biasGradient
 *                δ_in = (ĝ_z·Ŵᵀ) ⊙ mask (not rounded here: it is the lower layer's dEdy)
 *   update    7. v ← Q_p(M·v − LR·lr_scale·ĝ_W; update_w)         weightVelocity (b: biasVelocity)
 *             8. W ← Q_u(W + v; w), b ← Q_u(b + v_b; b)           storedWeights, storedBiases
 *             9. W ← Q_u(W · min(‖W‖₀, c)/(1e-7 + ‖W‖₀); w)        storedWeightsAfterMaxNorm
 *   test      Ŵ, b̂ = Q_p(·) then × the layer's scale; Q_p(z), Q_p(y) (conv: only the pooled sum and y)
 *
 * Overflow rates for the scaling policy are observed once per step per group, as the authors count
 * them: w and b on the stored (update-width) values, every other group on its propagation-width pass
 * (conv z and dEdz: the pre-pooling tensors). `ROUNDING_POINTS` below is this table as data; the
 * layers consult the policy by point name, and a recorder can list every rounding a step performs.
 */
import type {
  FloatFormat,
  Format,
  GroupScale,
  MxFormat,
  MxQuantizeStats,
  GroupScaleState,
  OverflowMode,
  QuantizeStats,
  RandomStream,
  RoundingMode,
  ScalingPolicySpec,
} from "@lowprec/formats";
import {
  bfloat16,
  binary16,
  createScale,
  dynamicFixed,
  emptyMxStats,
  fixed,
  float,
  floatExponentRange,
  fp8e4m3,
  fp8e5m2,
  MX_PRESETS,
  mx,
} from "@lowprec/formats";
import type { QuantizeSpec } from "@lowprec/tensor";
import { deferQuantize } from "./just-in-time.js";

// ** the ten groups of a layer **

export const GROUPS = ["w", "b", "z", "y", "dEdy", "dEdz", "dEdw", "dEdb", "update_w", "update_b"] as const;
export type GroupName = (typeof GROUPS)[number];

/** Which bit-width a rounding uses: the propagation width (Q_p) or the parameter-update width (Q_u). */
export type Width = "propagation" | "update";

/** Where a rounding happens in a training step. */
export type Step = "forward" | "backward" | "update" | "test";

export interface RoundingPoint<G extends string = GroupName> {
  readonly step: Step;
  readonly group: G;
  readonly width: Width;
  /** whether this pass feeds the group's overflow statistics (one observed pass per group and step) */
  readonly observe: boolean;
  /** the formula, in the notation of METHOD.md §3 */
  readonly what: string;
}

/** The method of METHOD.md §3 as data: every place a value is rounded. */
export const ROUNDING_POINTS = {
  weightsForMultiply: { step: "forward", group: "w", width: "propagation", observe: false, what: "Ŵ = Q_p(W)" },
  biasesForMultiply: { step: "forward", group: "b", width: "propagation", observe: false, what: "b̂ = Q_p(b)" },
  weightedSum: { step: "forward", group: "z", width: "propagation", observe: true, what: "ẑ = Q_p(x̃·Ŵ + b̂)" },
  convOutput: { step: "forward", group: "z", width: "propagation", observe: true, what: "ĉ = Q_p(conv(x̃, Ŵ))" },
  pooledSum: { step: "forward", group: "z", width: "propagation", observe: false, what: "û = Q_p(pool(ĉ) + b̂)" },
  output: { step: "forward", group: "y", width: "propagation", observe: true, what: "ŷ = Q_p(act(ẑ))" },
  outputGradient: { step: "backward", group: "dEdy", width: "propagation", observe: true, what: "ĝ_y = Q_p(δ)" },
  weightedSumGradient: {
    step: "backward",
    group: "dEdz",
    width: "propagation",
    observe: true,
    what: "ĝ_z = Q_p(∂E/∂z)",
  },
  pooledSumGradient: {
    step: "backward",
    group: "dEdz",
    width: "propagation",
    observe: false,
    what: "ĝ_u = Q_p(∂E/∂u)",
  },
  convOutputGradient: {
    step: "backward",
    group: "dEdz",
    width: "propagation",
    observe: true,
    what: "ĝ_c = Q_p(pool⁻¹ ĝ_u)",
  },
  weightGradient: { step: "backward", group: "dEdw", width: "propagation", observe: true, what: "ĝ_W = Q_p(x̃ᵀ·ĝ_z)" },
  biasGradient: { step: "backward", group: "dEdb", width: "propagation", observe: true, what: "ĝ_b = Q_p(Σ ĝ_z)" },
  weightVelocity: {
    step: "update",
    group: "update_w",
    width: "propagation",
    observe: true,
    what: "v ← Q_p(M·v − LR·ĝ_W)",
  },
  biasVelocity: {
    step: "update",
    group: "update_b",
    width: "propagation",
    observe: true,
    what: "v_b ← Q_p(M·v_b − LR·ĝ_b)",
  },
  storedWeights: { step: "update", group: "w", width: "update", observe: false, what: "W ← Q_u(W + v)" },
  storedWeightsAfterMaxNorm: {
    step: "update",
    group: "w",
    width: "update",
    observe: true,
    what: "W ← Q_u(max-norm(W))",
  },
  storedBiases: { step: "update", group: "b", width: "update", observe: true, what: "b ← Q_u(b + v_b)" },
  networkInput: {
    step: "forward",
    group: "y",
    width: "propagation",
    observe: true,
    what: "x̂ = Q_p(x) (only with the roundInput switch; layer −1)",
  },
  networkInputTest: {
    step: "test",
    group: "y",
    width: "propagation",
    observe: false,
    what: "x̂ = Q_p(x) at test time (roundInput switch)",
  },
  testWeights: { step: "test", group: "w", width: "propagation", observe: false, what: "Ŵ = Q_p(W) (then × scale)" },
  testBiases: { step: "test", group: "b", width: "propagation", observe: false, what: "b̂ = Q_p(b) (then × scale)" },
  testWeightedSum: { step: "test", group: "z", width: "propagation", observe: false, what: "ẑ = Q_p(x·Ŵs + b̂s)" },
  testOutput: { step: "test", group: "y", width: "propagation", observe: false, what: "ŷ = Q_p(act(ẑ))" },
} as const satisfies Record<string, RoundingPoint>;
export type PointName = keyof typeof ROUNDING_POINTS;

/** Which product an MX operand feeds and which group it belongs to. */
export interface MxOperand<G extends string = GroupName> {
  readonly step: Step;
  readonly group: G;
  /** whether this pass feeds the group's telemetry (one observed pass per group and step) */
  readonly observe: boolean;
  readonly what: string;
}

/**
 * BEYOND THE PAPER, block-scaled (MX) groups only: the operands of a layer's three products, each rounded to the
 * group's MX format with its blocks along the product's summed axis (OCP MX; METHOD.md §8.6; the layers give the
 * axis: `mxOperand`). An MX
 * group rounds nothing at the points of ROUNDING_POINTS but its stored parameters (at the update format): the
 * products round their own copies, one per product, because a block must lie along the axis that is summed and the
 * three products sum W (and x̃, ĝ_z) along different axes.
 */
export const MX_OPERANDS = {
  forwardInput: { step: "forward", group: "y", observe: true, what: "x̂ = MX(x̃) for x̃·Ŵ" },
  forwardWeights: { step: "forward", group: "w", observe: true, what: "Ŵ = MX(W) for x̃·Ŵ" },
  // NOTE: ĝ_z is observed in the weight gradient, which every layer computes (the bottom one has no ĝ_z·Ŵᵀ).
  inputGradient: { step: "backward", group: "dEdz", observe: false, what: "MX(ĝ_z) for ĝ_z·Ŵᵀ" },
  inputGradientWeights: { step: "backward", group: "w", observe: false, what: "MX(W) for ĝ_z·Ŵᵀ" },
  weightGradientInput: {
    step: "backward",
    group: "y",
    observe: false,
    what: "MX(x̃) for x̃ᵀ·ĝ_z",
  },
  weightGradient: { step: "backward", group: "dEdz", observe: true, what: "MX(ĝ_z) for x̃ᵀ·ĝ_z" },
  testInput: { step: "test", group: "y", observe: false, what: "MX(x) for x·Ŵs" },
  testWeights: { step: "test", group: "w", observe: false, what: "MX(W·s) for x·Ŵs" },
} as const satisfies Record<string, MxOperand>;
export type MxOperandName = keyof typeof MX_OPERANDS;

/**
 * A kind of layer's rounding as data: its groups (each with its own format state), the named points where a step
 * rounds them, and, for block-scaled groups, the operands of its products. `LayerPrecision` runs any such table;
 * `PAPER_LAYER` is the paper's (the ten groups of the authors' layers, METHOD.md §3), which every Maxout layer uses.
 */
export interface PolicyTable<
  G extends string = GroupName,
  P extends string = PointName,
  O extends string = MxOperandName,
> {
  readonly name: string;
  readonly groups: readonly G[];
  readonly points: Readonly<Record<P, RoundingPoint<G>>>;
  readonly mxOperands: Readonly<Record<O, MxOperand<G>>>;
  /** the groups of stored parameters (W and b: rounded at the update width, observed there) */
  readonly parameterGroups: readonly G[];
  /**
   * the points that make the multiplier copies of the stored parameters (Ŵ, b̂): where a scaled float group whose
   * stored values carry no scale is observed instead
   */
  readonly copyPoints: readonly P[];
}

/** The paper's layer: the ten groups, ROUNDING_POINTS and MX_OPERANDS above. */
export const PAPER_LAYER: PolicyTable = Object.freeze({
  name: "the paper's layer (METHOD.md §3)",
  groups: GROUPS,
  points: ROUNDING_POINTS,
  mxOperands: MX_OPERANDS,
  parameterGroups: ["w", "b"] as const,
  copyPoints: ["weightsForMultiply", "biasesForMultiply"] as const,
});

/** What a product needs to round one operand: the MX format, rounding, stream and the stats to fill. */
export interface MxOperandSpec {
  readonly format: MxFormat;
  readonly rounding: RoundingMode;
  readonly rng?: RandomStream;
  readonly stats: MxQuantizeStats;
}

// ** the policy as data **

/**
 * The number formats a policy can use: the paper's four, and (beyond the paper) bfloat16 and the OCP FP8 formats
 * E4M3 and E5M2 of @lowprec/formats (`bfloat16`, `fp8e4m3`: no infinities, max 448, saturating; `fp8e5m2`: IEEE,
 * max 57344, overflow to ±Infinity).
 */
export type PrecisionFormat =
  | "float32"
  | "binary16"
  | "fixed"
  | "dynamic-fixed"
  | "bfloat16"
  | "fp8e4m3"
  | "fp8e5m2"
  | MxPrecisionFormat;

/**
 * The MX formats (block-scaled products only; see MX_OPERANDS): the OCP MX float formats of @lowprec/formats'
 * MX_PRESETS by name, and `mxint`, block-scaled fixed point with MXINT8's element layout (sign, one integer bit, the
 * rest fraction) at `propagationBits` bits: MXINT8 at 8, beyond OCP MX 1.0 at 9 to 16.
 */
export type MxPrecisionFormat = "mxfp8e4m3" | "mxfp8e5m2" | "mxfp6e3m2" | "mxfp6e2m3" | "mxfp4e2m1" | "mxint";

export const MX_PRECISION_FORMATS: readonly MxPrecisionFormat[] = Object.freeze([
  "mxfp8e4m3",
  "mxfp8e5m2",
  "mxfp6e3m2",
  "mxfp6e2m3",
  "mxfp4e2m1",
  "mxint",
]);

export function isMxFormat(f: string): f is MxPrecisionFormat {
  return (MX_PRECISION_FORMATS as readonly string[]).includes(f);
}

/** Bits of an MX float format's element (8, 6 or 4), without the shared scale; undefined for `mxint` (any width). */
export function mxElementWidth(name: MxPrecisionFormat): number | undefined {
  if (name === "mxint") return undefined;
  const e = MX_PRESETS[name]!.element;
  return e.kind === "float" ? 1 + e.exponent + e.mantissa : e.bits;
}

/** The largest MX block a policy may ask for (the OCP formats use 32). */
export const MX_MAX_BLOCK = 4096;

/** The widths of `mxint`: MXINT8's layout from 2 bits (sign and integer bit) to 16. */
export const MXINT_BITS = Object.freeze({ min: 2, max: 16 });

/** The MX format of a policy's format name with blocks of `block` values (`mxint`: elements of `bits` bits). */
export function policyMx(name: MxPrecisionFormat, block: number, bits: number): MxFormat {
  if (name === "mxint") {
    const label = block === 32 ? `mxint${bits}` : `mxint${bits}/k${block}`;
    if (bits === 8 && block === 32) return MX_PRESETS["mxint8"]!;
    return mx(fixed({ bits, integerBits: 1, name: `int${bits}` }), { block, name: label });
  }
  const preset = MX_PRESETS[name]!;
  return block === preset.block ? preset : mx(preset.element, { block, name: `${name}/k${block}` });
}

/** The float formats (`float32` = no rounding): the values of `updateFormat`. */
export type FloatPrecisionFormat = "float32" | "binary16" | "bfloat16" | "fp8e4m3" | "fp8e5m2";

export const PRECISION_FORMATS: readonly PrecisionFormat[] = Object.freeze([
  "float32",
  "binary16",
  "fixed",
  "dynamic-fixed",
  "bfloat16",
  "fp8e4m3",
  "fp8e5m2",
  ...MX_PRECISION_FORMATS,
]);

/** Each float format of a policy as a @lowprec/formats value (undefined: float32, nothing to round). */
export const FLOAT_FORMATS: Readonly<Record<FloatPrecisionFormat, FloatFormat | undefined>> = Object.freeze({
  float32: undefined,
  binary16,
  bfloat16,
  fp8e4m3,
  fp8e5m2,
});

/** The float formats that may carry a per-group scale (`groupScale`): bfloat16 has float32's range already. */
export const SCALABLE_FORMATS: readonly PrecisionFormat[] = Object.freeze(["binary16", "fp8e4m3", "fp8e5m2"]);

export function isFloatFormat(f: string): f is FloatPrecisionFormat {
  return Object.hasOwn(FLOAT_FORMATS, f);
}

/**
 * The power-of-two scale s of a scaled float group (`groupScale`) with `integerBits` I: s = I − (emax + 1), emax
 * being the exponent of the format's largest binade (8 for E4M3, 15 for E5M2 and binary16). Then, as in fixed point
 * with I integer bits, the largest binade of the scaled format is [2^(I−1), 2^I): its largest value is
 * max · 2^s = 0.875 · 2^I for E4M3 (448 · 2^(I−9)) and for E5M2 (57344 · 2^(I−16)).
 */
export function floatScaleExponent(f: FloatFormat, integerBits: number): number {
  return integerBits - (floatExponentRange(f).emax + 1);
}

const overflowCache = new Map<string, FloatFormat>();

/**
 * A float format of a policy with the overflow rule `floatOverflow` (absent or the format's own: the preset itself).
 * The other rule is the same format with `overflow` changed and a suffix: `-sat` (clamp to ±max, the OCP FP8
 * saturation mode) or `-inf` (to ±Infinity, IEEE).
 */
export function policyFloat(
  name: Exclude<FloatPrecisionFormat, "float32">,
  floatOverflow: OverflowMode | undefined,
): FloatFormat {
  const f = FLOAT_FORMATS[name]!;
  if (floatOverflow === undefined || floatOverflow === f.overflow) return f;
  const key = `${name}/${floatOverflow}`;
  let g = overflowCache.get(key);
  if (!g) {
    g = float({
      exponent: f.exponent,
      mantissa: f.mantissa,
      bias: f.bias,
      subnormals: f.subnormals,
      overflow: floatOverflow,
      specials: f.specials,
      name: `${f.name}-${floatOverflow === "saturate" ? "sat" : "inf"}`,
    });
    overflowCache.set(key, g);
  }
  return g;
}

const scaledCache = new WeakMap<FloatFormat, Map<number, FloatFormat>>();

/**
 * `f` with a power-of-two scale: Q(x / 2^s) · 2^s with s = floatScaleExponent(f, integerBits), as one float format
 * whose bias is lowered by s. Every value of the grid (normals, subnormals, the largest finite value, the overflow
 * threshold) is multiplied by 2^s exactly, so the quantize kernels round it with the format's own semantics
 * (rounding, saturation or infinities, subnormals) and count overflows as |q| ≥ max · 2^s and |q| ≥ max · 2^s / 2.
 */
export function scaledFloat(f: FloatFormat, integerBits: number): FloatFormat {
  let byBits = scaledCache.get(f);
  if (!byBits) {
    byBits = new Map();
    scaledCache.set(f, byBits);
  }
  let g = byBits.get(integerBits);
  if (!g) {
    const s = floatScaleExponent(f, integerBits);
    g = float({
      exponent: f.exponent,
      mantissa: f.mantissa,
      bias: f.bias - s,
      subnormals: f.subnormals,
      overflow: f.overflow,
      specials: f.specials,
      name: `${f.name}x2^${s}`,
    });
    byBits.set(integerBits, g);
  }
  return g;
}

/**
 * How a dynamic fixed point group (or a float group with `groupScale`) chooses its integer bits (initial bits come
 * from the policy).
 */
export type ScalingSpec =
  /**
   * the paper's Algorithm 1; the window is `everyBatches` mini-batches (the authors': 100) or `everyExamples`
   * examples (the paper's words: 10,000), exactly one of the two, counted as the `scaleWindow` switch says
   */
  | {
      readonly kind: "overflow-rate";
      readonly maxRate: number;
      readonly everyExamples?: number;
      readonly everyBatches?: number;
    }
  /** beyond the paper: Transformer Engine's delayed scaling from the max |x| of recent passes */
  | { readonly kind: "delayed-amax"; readonly history: number; readonly margin: number }
  /**
   * beyond the paper: just-in-time scaling (torchao's dynamic float8 scaling): every pass of the group takes
   * floor(log2 amax) + 1 + margin integer bits from the amax of the tensor it rounds, measured by an amax pass just
   * before the quantize (two passes per rounding; `justInTimeKernels`)
   */
  | { readonly kind: "current-amax"; readonly margin: number }
  /**
   * beyond the paper: predictive scaling after Flexpoint's autoflex (@lowprec/formats `predictive`): after every
   * step, the range of the predicted maximum max + deviations · sd of the last `history` steps' maxima, plus
   * `margin` bits; an overflow in a step widens the range at once (at least one bit for the next step)
   */
  | {
      readonly kind: "predictive";
      readonly history: number;
      readonly deviations: number;
      readonly margin: number;
    }
  /**
   * beyond the paper, the MX formats only: one E8M0 scale per block of `block` values along the summed axis of each
   * product (OCP MX), computed from the block itself in every product; no state, so no GroupScale (MX_OPERANDS)
   */
  | { readonly kind: "block-scaled"; readonly block: number };

/** The knobs of one group's rounding; every field of a `PrecisionSpec` can be overridden per layer/group. */
export interface GroupKnobs {
  readonly format: PrecisionFormat;
  /** Q_p width in bits, sign included (fixed kinds only) */
  readonly propagationBits: number;
  /** Q_u width in bits, sign included (fixed kinds only): the width of the stored parameters */
  readonly updateBits: number;
  /** fixed: the radix position; dynamic fixed: the initial integer bits of every group */
  readonly integerBits: number;
  readonly rounding: RoundingMode;
  /** dynamic fixed point, and float formats with `groupScale` */
  readonly scaling: ScalingSpec;
  /**
   * beyond the paper, binary16 and FP8 only (absent: false): each group has a power-of-two scale, Q(x/2^s)·2^s with
   * s = integerBits − (emax + 1), moved by `scaling` from the initial `integerBits` like a dynamic fixed point group
   */
  readonly groupScale?: boolean;
  /**
   * beyond the paper, float formats only (absent: `format`): the format of Q_u, i.e. of the stored W and b (the
   * float counterpart of `updateBits`), with at least the exponent and mantissa bits of `format`; it shares the
   * group's scale when it is a scalable format and `groupScale` is on
   */
  readonly updateFormat?: FloatPrecisionFormat;
  /**
   * beyond the paper, float formats only (absent: the format's own rule, i.e. `saturate` for fp8e4m3 and `infinity`
   * for binary16, bfloat16, fp8e5m2): what `format` does beyond its largest finite value, at both widths (a distinct
   * `updateFormat` keeps its own rule)
   */
  readonly floatOverflow?: OverflowMode;
}

/** One override: applies to the layers and groups it names (all when omitted); later ones win. */
export interface GroupOverride extends Partial<GroupKnobs> {
  readonly layer?: number;
  /** a group of the layer's table (the paper's layer: one of GROUPS) */
  readonly group?: string;
}

/** A precision policy: defaults for every group, overrides, and the DFXP calibration of METHOD.md §2.3. */
export interface PrecisionSpec extends GroupKnobs {
  readonly name: string;
  /** epochs of high-precision training that calibrate the scales before the weights are reset (dynamic fixed point) */
  readonly calibrationEpochs: number;
  /** width (sign included) of both widths during calibration: the authors' NOB = 31, i.e. 32 */
  readonly calibrationBits: number;
  readonly overrides: readonly GroupOverride[];
}

/** The resolved rounding of one group of one layer. */
export interface GroupRule {
  readonly layer: number;
  readonly group: string;
  readonly knobs: GroupKnobs;
  /** Q_p's format, or undefined for float32 (no rounding); a scaled float group's unscaled format */
  readonly propagation: Format | undefined;
  /** Q_u's format (w and b only matter), or undefined for float32; a scaled float group's unscaled format */
  readonly update: Format | undefined;
  /** whether Q_p / Q_u apply the group's power-of-two scale to their float format (`groupScale`) */
  readonly scaledPropagation: boolean;
  readonly scaledUpdate: boolean;
  /** the scaling policy of a dynamic fixed point group or a scaled float group */
  readonly scaling: ScalingPolicySpec | undefined;
  /** a block-scaled group's MX format (its products' operands; `propagation` is then undefined) */
  readonly mx: MxFormat | undefined;
}

function formatOf(k: GroupKnobs, format: PrecisionFormat, bits: number, overflow?: OverflowMode): Format | undefined {
  switch (format) {
    case "fixed":
      return fixed({ bits, integerBits: k.integerBits });
    case "dynamic-fixed":
      return dynamicFixed({ bits });
    case "float32":
      return undefined;
    default:
      // NOTE: an MX format rounds no value on its own: its products round their operands (MX_OPERANDS).
      return isMxFormat(format) ? undefined : policyFloat(format, overflow);
  }
}

function isScaled(k: GroupKnobs, format: PrecisionFormat): boolean {
  return k.groupScale === true && SCALABLE_FORMATS.includes(format);
}

function scalingOf(k: GroupKnobs): ScalingPolicySpec | undefined {
  if (k.format !== "dynamic-fixed" && !isScaled(k, k.format)) return undefined;
  const s = k.scaling;
  const initialIntegerBits = k.integerBits;
  switch (s.kind) {
    case "overflow-rate":
      // NOTE: no everyExamples: the network counts the window and closes it (GroupScale.closeWindow).
      return { kind: "overflow-rate", maxRate: s.maxRate, initialIntegerBits };
    case "delayed-amax":
      return { kind: "delayed-amax", history: s.history, margin: s.margin, initialIntegerBits };
    case "current-amax":
      return { kind: "current-amax", margin: s.margin, initialIntegerBits };
    case "predictive":
      return { kind: "predictive", history: s.history, deviations: s.deviations, margin: s.margin, initialIntegerBits };
    case "block-scaled":
      return undefined;
  }
}

/** Whether the policy reads the amax (and overflows) of all of a group's passes, not only the observed one. */
function seesAllPasses(scale: GroupScale | undefined): boolean {
  const kind = scale?.policy.kind;
  return kind === "delayed-amax" || kind === "predictive";
}

/**
 * Whether some group is dynamic fixed point: a trainer then calibrates the scales first (METHOD.md §2.3). Shared by
 * the Maxout and Transformer trainers.
 */
export function usesDynamicFixed(p: PrecisionSpec): boolean {
  return p.format === "dynamic-fixed" || p.overrides.some((o) => o.format === "dynamic-fixed");
}

/** Which format, widths, rounding and scaling apply to `group` of layer `layer` under `spec`. */
export function resolveGroup(spec: PrecisionSpec, layer: number, group: string): GroupRule {
  let knobs: GroupKnobs = {
    format: spec.format,
    propagationBits: spec.propagationBits,
    updateBits: spec.updateBits,
    integerBits: spec.integerBits,
    rounding: spec.rounding,
    scaling: spec.scaling,
  };
  // NOTE: the fields beyond the paper are copied only when given, so the paper's rules stay as they were.
  if (spec.groupScale !== undefined) knobs = { ...knobs, groupScale: spec.groupScale };
  if (spec.updateFormat !== undefined) knobs = { ...knobs, updateFormat: spec.updateFormat };
  if (spec.floatOverflow !== undefined) knobs = { ...knobs, floatOverflow: spec.floatOverflow };
  for (const o of spec.overrides) {
    if ((o.layer === undefined || o.layer === layer) && (o.group === undefined || o.group === group)) {
      const { layer: _l, group: _g, ...rest } = o;
      knobs = { ...knobs, ...rest };
    }
  }
  // NOTE: an MX group's stored parameters are float32 unless its updateFormat says otherwise.
  const mxGroup = isMxFormat(knobs.format);
  const updateFormat = knobs.updateFormat ?? (mxGroup ? "float32" : knobs.format);
  return {
    layer,
    group,
    knobs,
    propagation: formatOf(knobs, knobs.format, knobs.propagationBits, knobs.floatOverflow),
    // NOTE: floatOverflow belongs to `format`; a distinct updateFormat keeps its own rule.
    update: formatOf(
      knobs,
      updateFormat,
      knobs.updateBits,
      knobs.updateFormat === undefined ? knobs.floatOverflow : undefined,
    ),
    scaledPropagation: isScaled(knobs, knobs.format),
    scaledUpdate: isScaled(knobs, updateFormat),
    scaling: scalingOf(knobs),
    mx:
      isMxFormat(knobs.format) && knobs.scaling.kind === "block-scaled"
        ? policyMx(knobs.format, knobs.scaling.block, knobs.propagationBits)
        : undefined,
  };
}

// ** the policy at run time **

/** One rounding a step performed, for the recorder. */
export interface RoundingEvent {
  readonly layer: number;
  /** a rounding point or an MX operand of the layer's table */
  readonly point: string;
  readonly group: string;
  readonly width: Width;
  readonly format: string;
  readonly integerBits: number | undefined;
  /** whether this pass feeds the group's overflow statistics */
  readonly observed: boolean;
}

/** One row of scale telemetry: a group's state at the end of a window of examples. */
export interface ScaleRecord {
  readonly layer: number;
  readonly group: string;
  /**
   * the integer bits after the window's scale update (for fixed formats: the constant radix; with current amax: those
   * of the group's last pass)
   */
  readonly integerBits: number | undefined;
  /** average over the window's steps of the observed overflow rate (|q| ≥ max) */
  readonly overflowRate: number;
  /** the same with one integer bit fewer (|q| ≥ max/2) */
  readonly overflowRateHalfRange: number;
  /**
   * the fraction of the window's nonzero values that its observed passes rounded to zero: Σ flushed / Σ (count −
   * zeros) over the window's observed passes (NaN when the window saw no nonzero value)
   */
  readonly flushRate: number;
  /**
   * largest finite |x| seen in the window by the observed passes (with delayed amax and predictive: by all of the
   * group's passes, the amax the rule used)
   */
  readonly amax: number;
}

function emptyStats(): QuantizeStats {
  return { count: 0, overflow: 0, overflowHalfRange: 0, nan: 0, flushed: 0, zeros: 0, amax: 0 };
}

/**
 * An MX pass's counts, readable as a QuantizeStats by the telemetry: its overflows are the saturated elements;
 * `overflowHalfRange` stays 0 (a per-block scale has no "one integer bit fewer" to count).
 */
type MxPassStats = MxQuantizeStats & QuantizeStats;

/** The per-group run-time state: scale, random stream, the stats of its passes this step. */
class GroupState {
  scale: GroupScale | undefined;
  readonly rng: RandomStream;
  /**
   * w and b of a scaled float group whose stored values carry no scale (e.g. FP8 propagations, bfloat16 updates):
   * the scale is observed on the multiplier copies Ŵ, b̂ (step 1) instead of the stored values
   */
  readonly observeCopies: boolean;
  /** one stats object per rounding point using this group (filled by the kernels) */
  readonly stats = new Map<string, QuantizeStats>();
  /** block-scaled groups: one per MX operand of the group (MX_OPERANDS) */
  readonly mxStats = new Map<string, MxPassStats>();
  /** observed passes this step */
  readonly pending: QuantizeStats[] = [];
  /** delayed amax: the group's other passes this step, whose input amax the rule sees too (see `at`) */
  readonly amaxOnly: QuantizeStats[] = [];
  windowSteps = 0;
  windowRate = 0;
  windowRateHalf = 0;
  windowAmax = 0;
  /** flushed values and nonzero values of the window's observed passes (flushRate = their ratio) */
  windowFlushed = 0;
  windowNonzero = 0;

  constructor(
    readonly rule: GroupRule,
    seed: number,
    parameter: boolean,
  ) {
    this.scale = rule.scaling && rule.propagation ? makeScale(rule) : undefined;
    this.rng = { seed, counter: 0 };
    this.observeCopies = parameter && rule.scaledPropagation && !rule.scaledUpdate;
  }

  integerBits(): number | undefined {
    if (this.scale) return this.scale.integerBits;
    return this.rule.knobs.format === "fixed" ? this.rule.knobs.integerBits : undefined;
  }
}

/**
 * The group's scale controller: the same per-group state and policies as dynamic fixed point. The controller reads
 * only the passes' statistics; @lowprec/formats' createScale checks that the format is adaptive, so a scaled float
 * group hands it a dynamic fixed point format of the same width.
 */
function makeScale(rule: GroupRule, state?: GroupScaleState): GroupScale | undefined {
  const f = rule.propagation;
  if (!rule.scaling || !f) return undefined;
  const adaptive = f.kind === "float" ? dynamicFixed({ bits: 1 + f.exponent + f.mantissa }) : f;
  return createScale(rule.scaling, adaptive, state);
}

/** Mixes small integers into a 32-bit seed (deterministic; a different stream per layer and group). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** Serializable state of a layer's policy (for checkpoints). */
export interface LayerPrecisionState {
  groups: Record<
    string,
    {
      scale: GroupScaleState | undefined;
      rngCounter: number;
      windowSteps: number;
      windowRate: number;
      windowRateHalf: number;
      windowAmax: number;
      /** absent in checkpoints written before the flush telemetry: read as 0 */
      windowFlushed?: number;
      windowNonzero?: number;
    }
  >;
}

/**
 * The policy of one layer at run time. Layers ask `at(point)` for the QuantizeSpec of a rounding point
 * (undefined: float32, no rounding) and hand it to the kernel that produces the value; `endStep` then
 * feeds the observed passes to the scales.
 */
export class LayerPrecision<
  G extends string = GroupName,
  P extends string = PointName,
  O extends string = MxOperandName,
> {
  private readonly groups: Record<G, GroupState>;
  /** during DFXP calibration both widths are `calibrationBits` */
  calibrating = false;
  /** receives every rounding (tests list a step's roundings with it) */
  recorder: ((e: RoundingEvent) => void) | undefined;

  /**
   * `table`: the layer's groups and rounding points (default: the paper's layer). Each group's random stream is
   * seeded from `seed`, the layer and the group's place in the table.
   */
  constructor(
    readonly spec: PrecisionSpec,
    readonly layer: number,
    seed: number,
    readonly table: PolicyTable<G, P, O> = PAPER_LAYER as unknown as PolicyTable<G, P, O>,
  ) {
    const g = {} as Record<G, GroupState>;
    table.groups.forEach((name, i) => {
      g[name] = new GroupState(
        resolveGroup(spec, layer, name),
        mixSeed(seed, 0x51, layer, i),
        table.parameterGroups.includes(name),
      );
    });
    this.groups = g;
  }

  rule(group: G): GroupRule {
    return this.groups[group].rule;
  }

  /** The current integer bits of a group (undefined for float formats). */
  integerBits(group: G): number | undefined {
    return this.groups[group].integerBits();
  }

  /** The rounding to apply at `point`, or undefined when the group is float32 (nothing to do). */
  at(point: P): QuantizeSpec | undefined {
    const p: RoundingPoint<G> = this.table.points[point];
    const g = this.groups[p.group];
    let format = p.width === "update" ? g.rule.update : g.rule.propagation;
    if (format === undefined) return undefined;
    const scaled = p.width === "update" ? g.rule.scaledUpdate : g.rule.scaledPropagation;
    if (this.calibrating && (format.kind === "dynamic-fixed" || format.kind === "fixed"))
      format =
        format.kind === "fixed"
          ? fixed({ bits: this.spec.calibrationBits, integerBits: format.integerBits })
          : dynamicFixed({ bits: this.spec.calibrationBits });
    const unscaledFormat = format;
    if (scaled && format.kind === "float") format = scaledFloat(format, g.integerBits() ?? 0);
    let stats = g.stats.get(point);
    if (!stats) {
      stats = emptyStats();
      g.stats.set(point, stats);
    }
    // NOTE: a block-scaled group is observed on its products' operands (atMx), not on its stored parameters.
    const observed =
      p.step !== "test" &&
      g.rule.mx === undefined &&
      (g.observeCopies ? this.table.copyPoints.includes(point) : p.observe);
    if (observed) g.pending.push(stats);
    // NOTE: delayed amax must see the largest |x| before the group's range clamps it. A group's observed pass may
    // round values that an earlier pass of the step already clamped to that range: w is observed after max-norm,
    // on factor · Q_u(W + v) with factor ≤ 1, so its amax never exceeds the range and the range could only shrink
    // (METHOD.md §8.4). The rule therefore takes the amax over all of the group's passes of the step (W + v of
    // storedWeights for w; for conv dEdz the pooled-sum gradient before the unpooled one). The rates stay those of
    // the observed passes.
    // NOTE: predictive reads them too: W + v overflowing the range of w is the overflow that must widen it.
    else if (p.step !== "test" && seesAllPasses(g.scale)) g.amaxOnly.push(stats);
    const integerBits = format.kind === "dynamic-fixed" || scaled ? g.integerBits() : undefined;
    // current-amax: the pass's integer bits come from its own tensor, fitted by `justInTimeKernels` after an amax
    // pass; the spec below (and the recorder's event) carry the bits of the group's previous pass until then.
    const scale = g.scale;
    if (integerBits !== undefined && scale?.policy.kind === "current-amax") {
      const rounding = g.rule.knobs.rounding,
        rng = g.rng,
        passStats = stats;
      deferQuantize(passStats, (amax) => {
        const bits = scale.fit(amax);
        const q: QuantizeSpec =
          unscaledFormat.kind === "float"
            ? { format: scaledFloat(unscaledFormat, bits), rounding, stats: passStats }
            : { format: unscaledFormat, rounding, stats: passStats, integerBits: bits };
        if (rounding === "stochastic") q.rng = rng;
        return q;
      });
    }
    this.recorder?.({
      layer: this.layer,
      point,
      group: p.group,
      width: p.width,
      format: format.name,
      integerBits,
      observed,
    });
    const spec: QuantizeSpec = { format, rounding: g.rule.knobs.rounding, stats };
    if (integerBits !== undefined && format.kind === "dynamic-fixed") spec.integerBits = integerBits;
    if (g.rule.knobs.rounding === "stochastic") spec.rng = g.rng;
    return spec;
  }

  /**
   * The rounding of product operand `name` (MX_OPERANDS), or undefined when its group is not block-scaled (the
   * product then takes the operand as it is).
   */
  atMx(name: O): MxOperandSpec | undefined {
    const o: MxOperand<G> = this.table.mxOperands[name];
    const g = this.groups[o.group];
    const format = g.rule.mx;
    if (format === undefined) return undefined;
    let stats = g.mxStats.get(name);
    if (!stats) {
      stats = { ...emptyMxStats(), overflowHalfRange: 0 };
      g.mxStats.set(name, stats);
    }
    const observed = o.observe && o.step !== "test";
    if (observed) g.pending.push(stats);
    this.recorder?.({
      layer: this.layer,
      point: name,
      group: o.group,
      width: "propagation",
      format: format.name,
      integerBits: undefined,
      observed,
    });
    const rounding = g.rule.knobs.rounding;
    return rounding === "stochastic" ? { format, rounding, rng: g.rng, stats } : { format, rounding, stats };
  }

  /** First group whose passes this step saw a NaN input (for the divergence message). */
  nanGroup(): G | undefined {
    for (const name of this.table.groups) if (this.groups[name].pending.some((s) => s.nan > 0)) return name;
    return undefined;
  }

  /**
   * Feeds this step's observed passes to the scales and the telemetry window; `examples` = batch size. The
   * overflow-rate scales only accumulate here; `closeScaleWindow` updates them.
   */
  endStep(examples: number): void {
    for (const name of this.table.groups) {
      const g = this.groups[name];
      // NOTE: delayed amax reads only the amax of these (its rates are those of no window).
      for (const s of g.amaxOnly) {
        g.scale?.observe(s);
        if (s.amax > g.windowAmax) g.windowAmax = s.amax;
      }
      g.amaxOnly.length = 0;
      if (g.pending.length === 0) continue;
      let rate = 0,
        half = 0;
      for (const s of g.pending) {
        g.scale?.observe(s);
        if (s.count > 0) {
          rate += s.overflow / s.count;
          half += s.overflowHalfRange / s.count;
        }
        g.windowFlushed += s.flushed;
        g.windowNonzero += s.count - s.zeros;
        if (s.amax > g.windowAmax) g.windowAmax = s.amax;
      }
      g.windowRate += rate / g.pending.length;
      g.windowRateHalf += half / g.pending.length;
      g.windowSteps += 1;
      g.pending.length = 0;
      if (seesAllPasses(g.scale)) g.scale?.advance(examples);
    }
  }

  /**
   * Closes the overflow-rate window of every scaled group: each moves by the rates summed since its last update,
   * divided by `divisor` (the authors: the batches counted in this epoch's window) or by their number.
   */
  closeScaleWindow(divisor?: number): void {
    for (const name of this.table.groups) {
      const g = this.groups[name];
      if (g.scale?.policy.kind === "overflow-rate") g.scale.closeWindow(divisor);
    }
  }

  /** Whether some group of this layer moves its scale by the overflow-rate rule. */
  get hasOverflowRateScale(): boolean {
    return this.table.groups.some((name) => this.groups[name].scale?.policy.kind === "overflow-rate");
  }

  /** Closes the telemetry window: one record per group that was rounded, then resets the window. */
  takeRecords(): ScaleRecord[] {
    const out: ScaleRecord[] = [];
    for (const name of this.table.groups) {
      const g = this.groups[name];
      if (g.windowSteps === 0) continue;
      out.push({
        layer: this.layer,
        group: name,
        integerBits: g.integerBits(),
        overflowRate: g.windowRate / g.windowSteps,
        overflowRateHalfRange: g.windowRateHalf / g.windowSteps,
        flushRate: g.windowNonzero > 0 ? g.windowFlushed / g.windowNonzero : Number.NaN,
        amax: g.windowAmax,
      });
      g.windowSteps = 0;
      g.windowRate = 0;
      g.windowRateHalf = 0;
      g.windowAmax = 0;
      g.windowFlushed = 0;
      g.windowNonzero = 0;
    }
    return out;
  }

  toJSON(): LayerPrecisionState {
    const groups: LayerPrecisionState["groups"] = {};
    for (const name of this.table.groups) {
      const g = this.groups[name];
      groups[name] = {
        scale: g.scale?.toJSON(),
        rngCounter: g.rng.counter,
        windowSteps: g.windowSteps,
        windowRate: g.windowRate,
        windowRateHalf: g.windowRateHalf,
        windowAmax: g.windowAmax,
        windowFlushed: g.windowFlushed,
        windowNonzero: g.windowNonzero,
      };
    }
    return { groups };
  }

  restore(state: LayerPrecisionState): void {
    for (const name of this.table.groups) {
      const s = state.groups[name];
      const g = this.groups[name];
      if (!s) throw new RangeError(`checkpoint: layer ${this.layer} has no state for group ${name}`);
      g.rng.counter = s.rngCounter;
      g.windowSteps = s.windowSteps;
      g.windowRate = s.windowRate;
      g.windowRateHalf = s.windowRateHalf;
      g.windowAmax = s.windowAmax;
      // NOTE: a checkpoint written before the flush telemetry lacks these; its open window's flushRate then counts
      // only the steps after the resume.
      g.windowFlushed = s.windowFlushed ?? 0;
      g.windowNonzero = s.windowNonzero ?? 0;
      if (g.scale && s.scale) g.scale = makeScale(g.rule, s.scale);
    }
  }
}

// ** presets **

const NO_SCALING: ScalingSpec = { kind: "overflow-rate", maxRate: 1e-4, everyExamples: 10_000 };

/**
 * The paper's four precision settings (Table 2), then the formats beyond the paper. Override any field for sweeps.
 * NOTE: run ids hash the resolved configuration: the paper's four must never change (test/resolved-configs.test.ts).
 */
export const PRECISION_PRESETS = {
  /** single precision float: no rounding anywhere (the baseline "FLP") */
  fp32: {
    name: "fp32",
    format: "float32",
    propagationBits: 32,
    updateBits: 32,
    integerBits: 0,
    rounding: "nearest-even",
    scaling: NO_SCALING,
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
  },
  /** binary16 at every rounding point, round to nearest even (CUDA __float2half_rn) */
  half: {
    name: "half",
    format: "binary16",
    propagationBits: 16,
    updateBits: 16,
    integerBits: 0,
    rounding: "nearest-even",
    scaling: NO_SCALING,
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
  },
  /** fixed point, 20 bits (sign included) for both widths, radix after the 5th bit; Theano's round (ties away) */
  fixed: {
    name: "fixed",
    format: "fixed",
    propagationBits: 20,
    updateBits: 20,
    integerBits: 5,
    rounding: "nearest-away",
    scaling: NO_SCALING,
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
  },
  /**
   * dynamic fixed point: 10-bit propagations, 12-bit updates, overflow-rate scaling (1e-4, every 100 batches as the
   * authors: 10,000 examples at PI-MNIST's batch of 100, 12,800 at 128), 2 calibration epochs
   */
  dfxp: {
    name: "dfxp",
    format: "dynamic-fixed",
    propagationBits: 10,
    updateBits: 12,
    integerBits: 5,
    rounding: "nearest-away",
    scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 100 },
    calibrationEpochs: 2,
    calibrationBits: 32,
    overrides: [],
  },
  /** beyond the paper: bfloat16 at every rounding point (float32's range, 7 mantissa bits), nearest even */
  bfloat16: {
    name: "bfloat16",
    format: "bfloat16",
    propagationBits: 16,
    updateBits: 16,
    integerBits: 0,
    rounding: "nearest-even",
    scaling: NO_SCALING,
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
  },
  /**
   * beyond the paper: FP8 E4M3 propagations (OCP, saturating at ±448 · 2^s) with a per-group power-of-two scale moved
   * by the overflow-rate rule from 5 integer bits, parameters stored in bfloat16, nearest even
   */
  fp8e4m3: {
    name: "fp8e4m3",
    format: "fp8e4m3",
    propagationBits: 8,
    updateBits: 16,
    integerBits: 5,
    rounding: "nearest-even",
    scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 100 },
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
    groupScale: true,
    updateFormat: "bfloat16",
  },
  /**
   * beyond the paper: as fp8e4m3 with FP8 E5M2 propagations, converted in the OCP saturation mode (±57344 · 2^s
   * beyond the range): E5M2's own IEEE overflow to ±Infinity would end the run at the first overflow, which the
   * overflow-rate rule tolerates at a rate of 1e-4 (`floatOverflow: "infinity"` gives it)
   */
  fp8e5m2: {
    name: "fp8e5m2",
    format: "fp8e5m2",
    propagationBits: 8,
    updateBits: 16,
    integerBits: 5,
    rounding: "nearest-even",
    scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 100 },
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
    groupScale: true,
    updateFormat: "bfloat16",
    floatOverflow: "saturate",
  },
  /**
   * beyond the paper: OCP MXFP8 in every product (blocks of 32 along the summed axis, MX_OPERANDS): E4M3 for the
   * activations and weights, E5M2 for the gradients ĝ_z (the common FP8 recipe); nothing else is rounded but the
   * stored parameters, in bfloat16
   */
  mxfp8: {
    name: "mxfp8",
    format: "mxfp8e4m3",
    propagationBits: 8,
    updateBits: 16,
    integerBits: 0,
    rounding: "nearest-even",
    scaling: { kind: "block-scaled", block: 32 },
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [{ group: "dEdz", format: "mxfp8e5m2" }],
    updateFormat: "bfloat16",
  },
  /** beyond the paper: as mxfp8 with MXFP6, E2M3 for activations and weights, E3M2 for the gradients */
  mxfp6: {
    name: "mxfp6",
    format: "mxfp6e2m3",
    propagationBits: 6,
    updateBits: 16,
    integerBits: 0,
    rounding: "nearest-even",
    scaling: { kind: "block-scaled", block: 32 },
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [{ group: "dEdz", format: "mxfp6e3m2" }],
    updateFormat: "bfloat16",
  },
  /** beyond the paper: as mxfp8 with MXFP4 (E2M1) for every operand */
  mxfp4: {
    name: "mxfp4",
    format: "mxfp4e2m1",
    propagationBits: 4,
    updateBits: 16,
    integerBits: 0,
    rounding: "nearest-even",
    scaling: { kind: "block-scaled", block: 32 },
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
    updateFormat: "bfloat16",
  },
  /** beyond the paper: as mxfp8 with MXINT8 (k · 2^−6, |k| ≤ 127, per block of 32) for every operand */
  mxint8: {
    name: "mxint8",
    format: "mxint",
    propagationBits: 8,
    updateBits: 16,
    integerBits: 0,
    rounding: "nearest-even",
    scaling: { kind: "block-scaled", block: 32 },
    calibrationEpochs: 0,
    calibrationBits: 32,
    overrides: [],
    updateFormat: "bfloat16",
  },
} as const satisfies Record<string, PrecisionSpec>;
export type PrecisionPresetName = keyof typeof PRECISION_PRESETS;

/**
 * The scale window a scaling spec states (METHOD.md §2.3): the overflow-rate rule's `everyBatches` or
 * `everyExamples`; any other policy paces its telemetry every 10,000 examples.
 */
export function scaleWindowOf(s: ScalingSpec): { readonly length: number; readonly unit: "examples" | "batches" } {
  if (s.kind === "overflow-rate" && s.everyBatches !== undefined) return { length: s.everyBatches, unit: "batches" };
  return { length: s.kind === "overflow-rate" ? (s.everyExamples ?? 10_000) : 10_000, unit: "examples" };
}

/**
 * The dynamic fixed point calibration epochs a run of `epochs` training epochs trains (METHOD.md §2.3): the policy's
 * when some group is dynamic fixed point, none otherwise, and none for a run of 0 epochs (it trains nothing).
 */
export function calibrationEpochsFor(p: PrecisionSpec, epochs: number): number {
  return usesDynamicFixed(p) && epochs > 0 ? p.calibrationEpochs : 0;
}

/** Whether some group of `groups` (default: the paper's ten) of some of `layers` layers scales by the policy `kind`. */
export function hasScaleKind(
  p: PrecisionSpec,
  layers: number,
  kind: ScalingSpec["kind"],
  groups: readonly string[] = GROUPS,
): boolean {
  for (let layer = 0; layer < layers; layer++)
    for (const group of groups) if (resolveGroup(p, layer, group).scaling?.kind === kind) return true;
  return false;
}

/** A scale window's counters since it last closed (checkpointed by the trainers). */
export interface ScaleWindowCount {
  examples: number;
  batches: number;
}

/**
 * Counts one step of `n` examples into `state`; true when the window (scaleWindowOf) is full: the caller then closes
 * it and resets the counters. The one rule every trainer counts by, and the run lines predict with.
 */
export function countWindowStep(
  w: { readonly length: number; readonly unit: "examples" | "batches" },
  state: ScaleWindowCount,
  n: number,
): boolean {
  state.examples += n;
  state.batches += 1;
  return (w.unit === "batches" ? state.batches : state.examples) >= w.length;
}
