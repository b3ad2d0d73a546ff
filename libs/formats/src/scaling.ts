/**
 * Scaling policies: how a group of dynamic fixed point values chooses its integer bits (its shared
 * power-of-two scale) from what the quantize passes over it saw.
 *
 * The paper's rule (Algorithm 1, and the authors' code): over a window of training examples, average
 * the per-pass overflow rates at the current integer bits and at one bit fewer (half the range).
 * When the window is full: if the rate exceeds `maxRate`, add a bit (double the range); otherwise, if
 * the rate at half the range stays within `maxRate`, drop a bit (halve it); else keep. One bit per update.
 */
import { INTEGER_BITS_LIMIT } from "./formats.js";
import type { Format, GroupScale, GroupScaleState, QuantizeStats, ScalingPolicySpec } from "./types.js";

function check(what: string, ok: boolean, value: unknown): void {
  if (!ok) throw new RangeError(`invalid ${what}: got ${String(value)}`);
}

/**
 * The paper's overflow-rate policy.
 * @param maxRate tolerated overflow rate (paper: 0.01 % = 1e-4)
 * @param everyExamples examples between two updates (paper: 10,000)
 * @param initialIntegerBits starting integer bits (authors: 5)
 */
export function overflowRate(
  o: { maxRate?: number; everyExamples?: number; initialIntegerBits?: number } = {},
): ScalingPolicySpec {
  const maxRate = o.maxRate ?? 1e-4,
    everyExamples = o.everyExamples ?? 10000,
    initialIntegerBits = o.initialIntegerBits ?? 5;
  check(
    "overflowRate maxRate (expected a number in [0, 1])",
    typeof maxRate === "number" && maxRate >= 0 && maxRate <= 1,
    maxRate,
  );
  check(
    "overflowRate everyExamples (expected a positive integer)",
    Number.isInteger(everyExamples) && everyExamples > 0,
    everyExamples,
  );
  checkIntegerBits("overflowRate initialIntegerBits", initialIntegerBits);
  return Object.freeze({ kind: "overflow-rate", maxRate, everyExamples, initialIntegerBits });
}

/** A constant scale: plain fixed point expressed as a policy. */
export function fixedScale(integerBits: number): ScalingPolicySpec {
  checkIntegerBits("fixedScale integerBits", integerBits);
  return Object.freeze({ kind: "fixed-scale", integerBits });
}

/**
 * Beyond the paper: delayed scaling as in today's FP8 training (Transformer Engine). After each
 * `advance`, integerBits = floor(log2(amax)) + 1 + margin, amax being the largest |x| seen over the last
 * `history` windows, so the next passes use a range fitted to the recent past.
 */
export function delayedAmax(
  o: { history?: number; margin?: number; initialIntegerBits?: number } = {},
): ScalingPolicySpec {
  const history = o.history ?? 16,
    margin = o.margin ?? 0,
    initialIntegerBits = o.initialIntegerBits ?? 5;
  check("delayedAmax history (expected a positive integer)", Number.isInteger(history) && history > 0, history);
  check(
    "delayedAmax margin (expected an integer)",
    Number.isInteger(margin) && Math.abs(margin) <= INTEGER_BITS_LIMIT,
    margin,
  );
  checkIntegerBits("delayedAmax initialIntegerBits", initialIntegerBits);
  return Object.freeze({ kind: "delayed-amax", history, margin, initialIntegerBits });
}

/**
 * Beyond the paper: just-in-time scaling, as torchao's dynamic float8 scaling. Each pass over the group takes its
 * range from the tensor it rounds: integerBits = floor(log2(amax)) + 1 + margin, amax being the largest finite |x|
 * of that tensor. The caller measures the amax first and calls `GroupScale.fit(amax)` just before the quantize, so
 * every rounding costs two passes over the tensor (an amax pass, then the quantize). The range is per tensor (the
 * whole pass). `observe` and `advance` change nothing; `initialIntegerBits` holds until the first `fit`.
 */
export function currentAmax(o: { margin?: number; initialIntegerBits?: number } = {}): ScalingPolicySpec {
  const margin = o.margin ?? 0,
    initialIntegerBits = o.initialIntegerBits ?? 5;
  checkMargin("currentAmax margin", margin);
  checkIntegerBits("currentAmax initialIntegerBits", initialIntegerBits);
  return Object.freeze({ kind: "current-amax", margin, initialIntegerBits });
}

/**
 * Beyond the paper: predictive scaling, after Flexpoint's "autoflex" (Köster et al. 2017): choose the range so
 * that the predicted maximum of the next window, with a margin, does not overflow. The details are ours:
 *
 * - the history: the largest |x| of each of the last `history` windows (a window = the passes between two
 *   `advance` calls; in the Maxout trainer, one training step);
 * - the prediction: m̂ = max(h) + deviations · sd(h), sd the population standard deviation of the history (0 with
 *   one entry). The max, not the last value, so a range never drops below a maximum still in the window of memory;
 *   the spread of the recent maxima, not the last increase, as the headroom for growth, because per-step maxima
 *   are noisy and a single increase would over- or under-shoot;
 * - the range: after each `advance`, integerBits = floor(log2 m̂) + 1 + margin (unchanged while m̂ = 0);
 * - an overflow (a pass with `overflow > 0`, i.e. some |q| reached the range's top) widens at once, in `observe`:
 *   integerBits = max(integerBits, I₀ + 1, floor(log2 amax) + 1 + margin), I₀ the bits chosen at the window's
 *   start and amax that pass's: the passes of a window share its range, so several overflowing passes widen it by
 *   one bit, or as far as their amax needs. The window's `advance` then keeps at least that range, so a range that
 *   overflowed never narrows at the same update.
 */
export function predictive(
  o: { history?: number; deviations?: number; margin?: number; initialIntegerBits?: number } = {},
): ScalingPolicySpec {
  const history = o.history ?? 16,
    deviations = o.deviations ?? 3,
    margin = o.margin ?? 0,
    initialIntegerBits = o.initialIntegerBits ?? 5;
  check("predictive history (expected an integer ≥ 2)", Number.isInteger(history) && history >= 2, history);
  check(
    "predictive deviations (expected a finite number ≥ 0)",
    typeof deviations === "number" && Number.isFinite(deviations) && deviations >= 0,
    deviations,
  );
  checkMargin("predictive margin", margin);
  checkIntegerBits("predictive initialIntegerBits", initialIntegerBits);
  return Object.freeze({ kind: "predictive", history, deviations, margin, initialIntegerBits });
}

function checkMargin(what: string, margin: number): void {
  check(
    `${what} (expected an integer in [${-INTEGER_BITS_LIMIT}, ${INTEGER_BITS_LIMIT}])`,
    Number.isInteger(margin) && Math.abs(margin) <= INTEGER_BITS_LIMIT,
    margin,
  );
}

/** floor(log2 amax) + 1: the integer bits whose range [2^(I−1), 2^I) holds amax in its top binade. */
function bitsFor(amax: number): number {
  return Math.floor(Math.log2(amax)) + 1;
}

function checkIntegerBits(what: string, v: number): void {
  check(
    `${what} (expected an integer in [${-INTEGER_BITS_LIMIT}, ${INTEGER_BITS_LIMIT}])`,
    Number.isInteger(v) && Math.abs(v) <= INTEGER_BITS_LIMIT,
    v,
  );
}

function clampBits(v: number): number {
  return Math.max(-INTEGER_BITS_LIMIT, Math.min(INTEGER_BITS_LIMIT, v));
}

/**
 * Makes the per-group state of a policy, optionally restored from a checkpoint (`GroupScale.toJSON()`).
 * `format` is the group's format; its kind must be dynamic-fixed for the adaptive policies.
 */
export function createScale(policy: ScalingPolicySpec, format: Format, state?: GroupScaleState): GroupScale {
  if (policy.kind !== "fixed-scale" && format.kind !== "dynamic-fixed")
    throw new RangeError(
      `createScale: the ${policy.kind} policy adapts a dynamic fixed point format, got ${format.name} (${format.kind})`,
    );
  return new Scale(policy, state);
}

class Scale implements GroupScale {
  integerBits: number;
  private examples = 0;
  private samples = 0;
  private rateSum = 0;
  private rateHalfSum = 0;
  private windowAmax = 0;
  /** predictive: a pass of the open window overflowed (the range was widened at once) */
  private windowOverflowed = false;
  /** predictive: the integer bits chosen at the open window's start, which its passes are taken to use */
  private windowStartBits: number;
  private readonly amaxHistory: number[] = [];

  constructor(
    readonly policy: ScalingPolicySpec,
    state?: GroupScaleState,
  ) {
    this.integerBits = policy.kind === "fixed-scale" ? policy.integerBits : policy.initialIntegerBits;
    this.windowStartBits = this.integerBits;
    if (state) {
      checkIntegerBits("restored integerBits", state.integerBits);
      this.integerBits = state.integerBits;
      this.examples = state.examples;
      this.samples = state.samples;
      this.rateSum = state.rateSum;
      this.rateHalfSum = state.rateHalfSum;
      this.amaxHistory.push(...state.amaxHistory);
      this.windowAmax = state.windowAmax ?? 0;
      this.windowOverflowed = state.windowOverflowed ?? false;
      this.windowStartBits = state.windowStartBits ?? this.integerBits;
    }
  }

  observe(stats: QuantizeStats): void {
    if (stats.count === 0) return;
    this.samples++;
    this.rateSum += stats.overflow / stats.count;
    this.rateHalfSum += stats.overflowHalfRange / stats.count;
    if (stats.amax > this.windowAmax) this.windowAmax = stats.amax;
    const p = this.policy;
    if (p.kind === "predictive" && stats.overflow > 0) {
      // widen at once: one bit above the window's range (once per window: its passes share that range), and enough
      // for this pass's amax with the margin
      const fit = stats.amax > 0 ? bitsFor(stats.amax) + p.margin : -Infinity;
      this.integerBits = clampBits(Math.max(this.integerBits, this.windowStartBits + 1, fit));
      this.windowOverflowed = true;
    }
  }

  fit(amax: number): number {
    const p = this.policy;
    if (p.kind !== "current-amax") throw new RangeError(`fit: the ${p.kind} policy does not scale each pass`);
    if (!(amax >= 0 && Number.isFinite(amax))) throw new RangeError(`fit: amax ${amax} (expected a finite number ≥ 0)`);
    if (amax > 0) this.integerBits = clampBits(bitsFor(amax) + p.margin);
    return this.integerBits;
  }

  advance(examples: number): boolean {
    const p = this.policy;
    if (p.kind === "fixed-scale") return false;
    const before = this.integerBits;
    if (p.kind === "delayed-amax") {
      this.amaxHistory.push(this.windowAmax);
      if (this.amaxHistory.length > p.history) this.amaxHistory.shift();
      this.windowAmax = 0;
      const amax = Math.max(...this.amaxHistory);
      if (amax > 0) this.integerBits = clampBits(Math.floor(Math.log2(amax)) + 1 + p.margin);
      return this.integerBits !== before;
    }
    if (p.kind === "current-amax") return false;
    if (p.kind === "predictive") return this.predict(p.history, p.deviations, p.margin, before);
    this.examples += examples;
    if (p.everyExamples === undefined || this.examples < p.everyExamples) return false;
    return this.closeWindow();
  }

  private predict(history: number, deviations: number, margin: number, before: number): boolean {
    // a window without a pass (count 0) adds nothing to the history
    if (this.samples > 0) {
      this.amaxHistory.push(this.windowAmax);
      if (this.amaxHistory.length > history) this.amaxHistory.shift();
    }
    const h = this.amaxHistory;
    if (h.length > 0) {
      const mean = h.reduce((a, v) => a + v, 0) / h.length;
      const sd = Math.sqrt(h.reduce((a, v) => a + (v - mean) ** 2, 0) / h.length);
      const predicted = Math.max(...h) + deviations * sd;
      if (predicted > 0) {
        const next = bitsFor(predicted) + margin;
        this.integerBits = clampBits(this.windowOverflowed ? Math.max(next, this.integerBits) : next);
      }
    }
    this.samples = 0;
    this.rateSum = 0;
    this.rateHalfSum = 0;
    this.windowAmax = 0;
    this.windowOverflowed = false;
    this.windowStartBits = this.integerBits;
    return this.integerBits !== before;
  }

  closeWindow(divisor?: number): boolean {
    const p = this.policy;
    if (p.kind !== "overflow-rate")
      throw new RangeError(`closeWindow: the ${p.kind} policy has no overflow-rate window`);
    if (divisor !== undefined && !(Number.isInteger(divisor) && divisor > 0))
      throw new RangeError(`closeWindow: divisor ${divisor} (expected a positive integer)`);
    const before = this.integerBits;
    if (this.samples > 0) {
      const d = divisor ?? this.samples;
      const rate = this.rateSum / d,
        rateHalf = this.rateHalfSum / d;
      if (rate > p.maxRate) this.integerBits = clampBits(before + 1);
      else if (rateHalf <= p.maxRate) this.integerBits = clampBits(before - 1);
    }
    this.examples = 0;
    this.samples = 0;
    this.rateSum = 0;
    this.rateHalfSum = 0;
    return this.integerBits !== before;
  }

  toJSON(): GroupScaleState {
    return {
      integerBits: this.integerBits,
      examples: this.examples,
      samples: this.samples,
      rateSum: this.rateSum,
      rateHalfSum: this.rateHalfSum,
      amaxHistory: [...this.amaxHistory],
      // NOTE: only predictive writes its open window, so the other policies' state files stay as they were.
      ...(this.policy.kind === "predictive"
        ? {
            windowAmax: this.windowAmax,
            windowOverflowed: this.windowOverflowed,
            windowStartBits: this.windowStartBits,
          }
        : {}),
    };
  }
}
