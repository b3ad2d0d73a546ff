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
  private readonly amaxHistory: number[] = [];

  constructor(
    readonly policy: ScalingPolicySpec,
    state?: GroupScaleState,
  ) {
    this.integerBits = policy.kind === "fixed-scale" ? policy.integerBits : policy.initialIntegerBits;
    if (state) {
      checkIntegerBits("restored integerBits", state.integerBits);
      this.integerBits = state.integerBits;
      this.examples = state.examples;
      this.samples = state.samples;
      this.rateSum = state.rateSum;
      this.rateHalfSum = state.rateHalfSum;
      this.amaxHistory.push(...state.amaxHistory);
    }
  }

  observe(stats: QuantizeStats): void {
    if (stats.count === 0) return;
    this.samples++;
    this.rateSum += stats.overflow / stats.count;
    this.rateHalfSum += stats.overflowHalfRange / stats.count;
    if (stats.amax > this.windowAmax) this.windowAmax = stats.amax;
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
    this.examples += examples;
    if (p.everyExamples === undefined || this.examples < p.everyExamples) return false;
    return this.closeWindow();
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
    };
  }
}
