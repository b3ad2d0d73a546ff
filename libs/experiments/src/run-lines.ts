/**
 * What a per-run line says beside its numbers (the sweep's plan and "done" lines, the queue worker's, `lowprec
 * train`'s): the result in words that cannot be misread ("test error", and a selection of epoch 0 named as the
 * untrained network), and the notes of a run too short for what it measures (dynamic fixed point's calibration
 * epochs, which come before the training epochs asked for, and scales that cannot settle).
 */
import { PRECISION_PRESETS, scaleWindowRule, windowsClosed } from "@lowprec/maxout";
import type { RunSummary } from "./run.js";
import { isVitConfig, runCalibrationEpochs, vitScalesMove, vitWindowsClosed, type RunConfig } from "./vit-run.js";

/**
 * The fewest scale windows (calibration and training together) in which every dynamic fixed point scale can reach
 * its level. The overflow-rate rule moves a group's scale by one bit per window, never more (METHOD.md §2.2), from
 * the initial `integerBits` = 5 (§2.3); in the committed PI-MNIST dfxp run of the budget variant the farthest
 * groups, the velocities of the first two layers' weights, settle at −11 integer bits, 16 bits away. A run that
 * closes fewer windows ends before those scales can get there (the test derives 16 from that run's telemetry).
 */
export const SETTLE_WINDOWS = 16;

/** The initial integer bits of every dynamic fixed point group (the dfxp preset's). */
export const INITIAL_INTEGER_BITS = PRECISION_PRESETS.dfxp.integerBits;

const pct = (v: number): string => `${v.toFixed(2)} %`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * The result of a run in one phrase: "test error 1.39 % (valid error 1.30 %, epoch 45)"; a run whose best validation
 * epoch is 0, the untrained network (no trained epoch had a lower validation error: METHOD.md §3.4, and §8.1's
 * `selectFromEpochZero`), says so: "test error 92.58 % (untrained: no epoch improved on validation)".
 */
export function describeResult(
  s: Pick<RunSummary, "testErrorAtBestValid" | "bestValidError" | "bestEpoch" | "epochsDone">,
): string {
  const test = `test error ${pct(s.testErrorAtBestValid)}`;
  if (s.bestEpoch !== 0) return `${test} (valid error ${pct(s.bestValidError)}, epoch ${s.bestEpoch})`;
  if (s.epochsDone === 0) return `${test} (untrained: no epoch trained)`;
  return `${test} (untrained: no epoch improved on validation)`;
}

/** "dfxp: 2 calibration epochs before the 1 training epoch" for a run that calibrates (METHOD.md §2.3). */
export function calibrationNote(config: RunConfig): string | undefined {
  const c = runCalibrationEpochs(config);
  if (c === 0) return undefined;
  return `dfxp: ${plural(c, "calibration epoch")} before the ${plural(config.hyper.epochs, "training epoch")}`;
}

/**
 * The note of a run whose overflow-rate scales close fewer than SETTLE_WINDOWS windows on `trainCount` training
 * examples (after `trainLimit`), calibration and training together; none for a run without such scales.
 */
export function settleNote(config: RunConfig, trainCount: number): string | undefined {
  let closed: number;
  if (isVitConfig(config)) {
    if (config.hyper.epochs === 0 || !vitScalesMove(config)) return undefined;
    closed = vitWindowsClosed(config, trainCount, SETTLE_WINDOWS);
  } else {
    if (config.hyper.epochs === 0 || !scaleWindowRule(config).moves) return undefined;
    const n = windowsClosed(config, trainCount, SETTLE_WINDOWS);
    closed = n.calibration + n.training;
  }
  if (closed >= SETTLE_WINDOWS) return undefined;
  return (
    `warning: too short for the dfxp scales to settle: ${closed} scale window(s), fewer than the ` +
    `${SETTLE_WINDOWS} a scale may need (one bit per window from ${INITIAL_INTEGER_BITS} integer bits)`
  );
}

/** The notes of a run on `trainCount` training examples, each a phrase (none for most runs). */
export function runNotes(config: RunConfig, trainCount: number): string[] {
  return [calibrationNote(config), settleNote(config, trainCount)].filter((n): n is string => n !== undefined);
}
