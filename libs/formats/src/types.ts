/**
 * The vocabulary of the library: what a format is, how a value rounds, what a quantize pass reports.
 *
 * A format is a plain, frozen value (not a class): the quantizer, the bit encoder, the hardware cost
 * model and the docs all read the same object.
 */

/** How a value between two representable neighbours is resolved. Names follow IEEE 754 in words. */
export type RoundingMode =
  /** round to nearest, ties to the neighbour with an even last digit (IEEE roundTiesToEven) */
  | "nearest-even"
  /** round to nearest, ties away from zero (IEEE roundTiesToAway; Theano's old `T.round`) */
  | "nearest-away"
  /** truncate toward zero (IEEE roundTowardZero) */
  | "toward-zero"
  /** round up with probability equal to the distance from the lower neighbour (unbiased), seeded */
  | "stochastic";

export const ROUNDING_MODES: readonly RoundingMode[] = Object.freeze([
  "nearest-even",
  "nearest-away",
  "toward-zero",
  "stochastic",
]);

/** What a float format does with a value beyond its largest finite magnitude. */
export type OverflowMode =
  /** clamp to ±max (OCP "saturating" conversion) */
  | "saturate"
  /** IEEE behaviour: ±Infinity (a format without infinities gives NaN, as ml_dtypes' fn types do) */
  | "infinity";

/**
 * Which codes of the top exponent field are special.
 * - `ieee`: all-ones exponent encodes ±Infinity (mantissa 0) and NaN (mantissa ≠ 0).
 * - `fn`: "finite + NaN" (OCP FP8 E4M3, ml_dtypes `float8_e4m3fn`): no infinities; only the all-ones
 *   exponent *and* all-ones mantissa is NaN, the rest of the top binade holds normal numbers.
 * - `finite`: no infinities and no NaN (the OCP MX FP6 E3M2, FP6 E2M3 and FP4 E2M1 element types; ml_dtypes
 *   `float6_e3m2fn`, `float4_e2m1fn`): every code is a number, the top binade holds normal numbers. Such a format
 *   always saturates, and a NaN has no code: `quantize` passes it through and counts it (as fixed point does),
 *   `encode` throws.
 */
export type SpecialValues = "ieee" | "fn" | "finite";

/** A binary floating-point format of reduced width: 1 sign bit, `exponent` bits, `mantissa` bits. */
export interface FloatFormat {
  readonly kind: "float";
  /** short name used in tables and file names, e.g. `binary16`, `e5m10` */
  readonly name: string;
  /** number of exponent bits, w (1..8) */
  readonly exponent: number;
  /** number of trailing significand (mantissa) bits, t = p − 1 (0..23) */
  readonly mantissa: number;
  /** exponent bias; IEEE's 2^(w−1) − 1 unless given */
  readonly bias: number;
  /** whether values below the smallest normal are kept as subnormals (false: flushed to ±0 after rounding) */
  readonly subnormals: boolean;
  /** what happens beyond the largest finite magnitude */
  readonly overflow: OverflowMode;
  /** meaning of the all-ones exponent field */
  readonly specials: SpecialValues;
}

/**
 * Fixed point, saturating and symmetric, as in the authors' code: values `k · 2^−f` with
 * `|k| ≤ 2^(bits−1) − 1` and `f = bits − 1 − integerBits` fractional bits.
 *
 * `bits` COUNTS the sign bit (the paper's "20 bits" = 1 sign + 19 magnitude bits). The authors' code
 * calls the magnitude width `NOB` (= bits − 1) and the integer width `NOIB` (= integerBits).
 */
export interface FixedFormat {
  readonly kind: "fixed";
  readonly name: string;
  /** total width including the sign bit (2..32) */
  readonly bits: number;
  /** bits before the radix point, sign excluded (the paper's best: 5, a range of about ±32) */
  readonly integerBits: number;
}

/**
 * Dynamic fixed point: fixed point whose `integerBits` is chosen per group of values and moves during
 * training. The format carries only the width; the current `integerBits` of a group comes from its
 * scaling policy and is passed to `quantize` with each call.
 */
export interface DynamicFixedFormat {
  readonly kind: "dynamic-fixed";
  readonly name: string;
  /** total width including the sign bit (2..32) */
  readonly bits: number;
}

/** The identity "format": float32 storage, no rounding beyond what a Float32Array does (the paper's FLP). */
export interface IdentityFormat {
  readonly kind: "identity";
  readonly name: string;
}

export type Format = FloatFormat | FixedFormat | DynamicFixedFormat | IdentityFormat;

/** A counter-based random stream: element i of a call uses the bits at index `counter + i`. */
export interface RandomStream {
  /** any integer; only its low 32 bits are used */
  seed: number;
  /** index of the next random draw; advanced by the number of elements after each stochastic pass */
  counter: number;
}

/** What one quantize pass saw, for the dynamic scaling policies (the paper's overflow rate). */
export interface QuantizeStats {
  /** number of elements rounded */
  count: number;
  /**
   * elements whose rounded magnitude reached the format's largest value (|q| ≥ max): the authors'
   * overflow count, measured on the quantized values so saturated ones count
   */
  overflow: number;
  /** elements with |q| ≥ max/2: the overflow count the same tensor would have with one integer bit fewer */
  overflowHalfRange: number;
  /** NaN inputs (passed through as NaN; fixed point has no NaN code, so a caller may stop on this) */
  nan: number;
  /**
   * nonzero finite inputs whose rounded value is zero (±0): values below half the format's smallest step (fixed
   * point) or below half its smallest subnormal (floats; the smallest normal without subnormals), flushed to zero
   */
  flushed: number;
  /** inputs equal to ±0 (so `count − zeros` are the nonzero inputs, the denominator of a flush rate) */
  zeros: number;
  /** largest finite |x| of the input before rounding (0 for an empty input), for amax scaling */
  amax: number;
}

export type FloatArray = Float32Array | Float64Array;

export interface QuantizeOptions {
  /** default `nearest-even` */
  rounding?: RoundingMode;
  /** where to write (same length as the source); default: in place */
  out?: FloatArray;
  /** required for `stochastic`; its counter is advanced by the number of elements */
  rng?: RandomStream;
  /** required for dynamic fixed point: the group's current integer bits */
  integerBits?: number;
  /** a stats object to fill instead of allocating one */
  stats?: QuantizeStats;
}

/**
 * A scaling policy decides the `integerBits` of one group of dynamic fixed point values from what the
 * quantize passes over that group saw. `createScale(policy, format)` makes the per-group state.
 */
export type ScalingPolicySpec =
  /**
   * the paper's rule (Algorithm 1): one bit up when the average overflow rate exceeds `maxRate`, one bit down
   * when the rate at half the range stays within it
   */
  | {
      readonly kind: "overflow-rate";
      readonly maxRate: number;
      /** examples between two updates by `advance`; absent: the caller closes the windows (`closeWindow`) */
      readonly everyExamples?: number;
      readonly initialIntegerBits: number;
    }
  /** a constant `integerBits` (plain fixed point as a policy) */
  | { readonly kind: "fixed-scale"; readonly integerBits: number }
  /**
   * today's FP8 recipe (Transformer Engine's DelayedScaling): range from the max |x| of the last `history`
   * passes, `margin` extra bits of headroom
   */
  | {
      readonly kind: "delayed-amax";
      readonly history: number;
      readonly margin: number;
      readonly initialIntegerBits: number;
    }
  /**
   * just-in-time scaling (torchao's dynamic float8 scaling): the range of each pass comes from the amax of the
   * tensor about to be quantized (`GroupScale.fit`), `margin` extra bits of headroom; two passes over the tensor
   * (its amax, then the rounding)
   */
  | { readonly kind: "current-amax"; readonly margin: number; readonly initialIntegerBits: number }
  /**
   * Flexpoint's autoflex (Köster et al. 2017): the range for the next window from the maxima of the last
   * `history` windows, predicted as max + `deviations` · standard deviation, with `margin` extra bits; an
   * overflow widens the range at once
   */
  | {
      readonly kind: "predictive";
      readonly history: number;
      readonly deviations: number;
      readonly margin: number;
      readonly initialIntegerBits: number;
    };

/** Per-group scale state, driven by a policy. */
export interface GroupScale {
  readonly policy: ScalingPolicySpec;
  /** the group's current integer bits, to pass to `quantize` */
  readonly integerBits: number;
  /** record one quantize pass over the group */
  observe(stats: QuantizeStats): void;
  /**
   * count examples processed; the policy updates `integerBits` when its window is full. Returns true when it
   * changed.
   */
  advance(examples: number): boolean;
  /**
   * overflow-rate only: update `integerBits` now, whatever `everyExamples` says, from the rates observed since the
   * last update divided by `divisor` (default: the number of observed passes, i.e. their mean), then reset the
   * sums. A caller that counts the window itself (the authors' batch counter) calls this instead of `advance`.
   * Returns true when the integer bits changed.
   */
  closeWindow(divisor?: number): boolean;
  /**
   * current-amax only: set `integerBits` for the pass about to round a tensor whose largest finite |x| is `amax`
   * (floor(log2 amax) + 1 + margin; an amax of 0 keeps the bits) and return them. The caller measures the amax
   * first, so a pass costs two passes over the tensor.
   */
  fit(amax: number): number;
  /** plain JSON state, for checkpoints */
  toJSON(): GroupScaleState;
}

export interface GroupScaleState {
  integerBits: number;
  examples: number;
  samples: number;
  rateSum: number;
  rateHalfSum: number;
  amaxHistory: number[];
  /**
   * predictive only (absent elsewhere and in older state files): the open window's largest |x| and whether one of
   * its passes overflowed
   */
  windowAmax?: number;
  windowOverflowed?: boolean;
  /** predictive only: the integer bits chosen at the open window's start */
  windowStartBits?: number;
}

/**
 * An OCP Microscaling (MX) block format (OCP MX 1.0 §5): consecutive blocks of `block` elements share one scale
 * X = 2^s, stored as an E8M0 code (an 8-bit biased exponent, s in [−127, 127], code 255 = NaN); each element is
 * stored in the `element` format and stands for X × element. Made by `mx()`; the presets are in `MX_PRESETS`.
 *
 * Not a `Format`: an element's value depends on its whole block, so the element-wise functions (`quantize`,
 * `roundScalar`, `encode`) refuse it, and `quantizeMx`, `mxScaleCode`/`roundMx`, `encodeMx`/`decodeMx` take it.
 */
export interface MxFormat {
  readonly kind: "mx";
  /** e.g. `mxfp8e4m3` */
  readonly name: string;
  /**
   * the element type, a saturating float or a fixed point format of at most 8 bits: FP8 E4M3, FP8 E5M2, FP6 E3M2,
   * FP6 E2M3, FP4 E2M1 or INT8 in the specification (`MX_ELEMENTS`)
   */
  readonly element: FloatFormat | FixedFormat;
  /** k, the number of elements that share one scale (32 in the specification's formats) */
  readonly block: number;
}

/** What one `quantizeMx` pass saw, summed over its blocks. */
export interface MxQuantizeStats {
  /** number of elements */
  count: number;
  /** number of blocks, ⌈count / block⌉ (the last one may be short) */
  blocks: number;
  /** blocks whose scale is NaN: a NaN or ±Infinity among their inputs, or a maximum beyond the scale's 2^127 */
  nanBlocks: number;
  /** NaN inputs (each makes its block NaN) */
  nan: number;
  /** elements of finite-scale blocks whose |x / X| exceeds the element's largest value: they saturate to ±max */
  overflow: number;
  /** nonzero inputs of finite-scale blocks whose quantized value is zero (±0) */
  flushed: number;
  /** inputs equal to ±0 */
  zeros: number;
  /** largest finite |x| of the input (0 for an empty input) */
  amax: number;
}

/** The result of `quantizeMx`: the values, and per block the scale and the counts. */
export interface MxQuantizeResult {
  /** the quantized values X × element (NaN throughout a block whose scale is NaN) */
  out: FloatArray;
  /** per block, the E8M0 code of its scale: 2^(code − 127), or NaN for 255 */
  scales: Uint8Array;
  /** per block, the elements that saturated (see MxQuantizeStats.overflow) */
  overflow: Uint32Array;
  /** per block, the nonzero inputs flushed to zero */
  flushed: Uint32Array;
  stats: MxQuantizeStats;
}

export interface MxQuantizeOptions {
  /** how each x / X rounds to the element type; default `nearest-even` */
  rounding?: RoundingMode;
  /** where to write (same length as the source); default: in place */
  out?: FloatArray;
  /** required for `stochastic`: element i uses the draw at `counter + i`; the counter advances by the length */
  rng?: RandomStream;
}

/** MX codes as stored: one E8M0 scale code per block, one element code per value (one per byte, not packed). */
export interface MxCodes {
  readonly scales: Uint8Array;
  readonly elements: Uint8Array;
}
