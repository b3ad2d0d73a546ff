/**
 * The scale window (METHOD.md §2.3): how many steps the overflow-rate rule averages before it moves a scale, how
 * it is counted, and how many windows a run will close (short runs are warned when the scales cannot move).
 */
import { countWindowStep, type ScaleWindowCount, scaleWindowOf } from "@lowprec/precision";
import { calibrationEpochsOf, hasOverflowRateScale, type TrainConfig } from "./config.js";

/**
 * How the window is counted. With an overflow-rate scale the `scaleWindow` switch decides (absent: `continuous`,
 * the rule of configurations written before the switch); without one, telemetry rows come every window of the
 * spec counted across epochs (10,000 examples unless the spec says otherwise).
 */
export interface ScaleWindowRule {
  readonly counting: "per-epoch" | "continuous";
  /** the window's length, in `unit`s */
  readonly length: number;
  readonly unit: "examples" | "batches";
  /** whether any group moves by the overflow-rate rule (else the window only paces the telemetry) */
  readonly moves: boolean;
}

/** The window's counters (for checkpoints): @lowprec/precision's, shared with the ViT's trainer. */
export type ScaleWindowState = ScaleWindowCount;

/** The scale window of a configuration. */
export function scaleWindowRule(config: TrainConfig): ScaleWindowRule {
  const moves = hasOverflowRateScale(config.precision, config.network.layers.length);
  const counting = moves ? (config.faithfulness.scaleWindow ?? "continuous") : "continuous";
  return { counting, ...scaleWindowOf(config.precision.scaling), moves };
}

/** "100 batches" / "10,000 examples", for messages. */
export function describeWindow(w: ScaleWindowRule): string {
  return `${w.length.toLocaleString("en-US")} ${w.unit}${w.counting === "per-epoch" ? " (counted per epoch)" : ""}`;
}

/**
 * Counts one step of `n` examples into `state`; true when the window is full (the caller then closes it and resets
 * the counters). The one rule the network trains by and `windowsClosed` predicts with.
 */
export function countStep(w: ScaleWindowRule, state: ScaleWindowState, n: number): boolean {
  return countWindowStep(w, state, n);
}

/** The sizes of an epoch's batches on `trainCount` examples: full ones, and the partial last one unless dropped. */
function epochBatches(config: TrainConfig, trainCount: number): number[] {
  const B = config.hyper.batch,
    full = Math.floor(trainCount / B),
    partial = trainCount - full * B;
  const sizes = Array<number>(full).fill(B);
  if (partial > 0 && !config.faithfulness.dropPartialBatches) sizes.push(partial);
  return sizes;
}

/**
 * The windows a run closes in its calibration and training epochs, on `trainCount` training examples (after
 * `trainLimit`), each counted up to `atMost` (the callers ask whether fewer than a few close). Counted step by step as
 * the network counts them.
 */
export function windowsClosed(
  config: TrainConfig,
  trainCount: number,
  atMost = 2,
): { calibration: number; training: number } {
  const w = scaleWindowRule(config);
  const sizes = epochBatches(config, trainCount);
  const c: ScaleWindowState = { examples: 0, batches: 0 };
  // NOTE: only whether fewer than `atMost` windows close matters; counting stops there (800 epochs of SVHN would be
  // 3.7 million steps).
  const count = (epochs: number): number => {
    let closed = 0;
    for (let e = 0; e < epochs && closed < atMost; e++) {
      if (w.counting === "per-epoch") Object.assign(c, { examples: 0, batches: 0 });
      for (const n of sizes)
        if (countStep(w, c, n)) {
          closed++;
          Object.assign(c, { examples: 0, batches: 0 });
        }
    }
    return Math.min(closed, atMost);
  };
  const calibration = count(calibrationEpochsOf(config));
  return { calibration, training: count(config.hyper.epochs) };
}

/**
 * One line per phase in which the overflow-rate scales would close fewer than two windows, i.e. barely move or not
 * at all (a short run on a small training subset); none when the run has no such scales.
 */
export function scaleWindowWarnings(config: TrainConfig, trainCount: number): string[] {
  const w = scaleWindowRule(config);
  if (!w.moves) return [];
  const n = windowsClosed(config, trainCount);
  const batches = epochBatches(config, trainCount).length;
  const out: string[] = [];
  const say = (phase: string, closed: number, epochs: number) =>
    out.push(
      `warning: the ${phase} (${epochs} epoch(s) of ${batches} batches) closes ${closed === 0 ? "no" : "only one"} ` +
        `scale window of ${describeWindow(w)}, so the scales ${closed === 0 ? "never move" : "move once at most"}` +
        "; shorten the window (scaling.everyBatches / everyExamples, `--range-every-batches`) or train on more data",
    );
  const calibrationEpochs = calibrationEpochsOf(config);
  if (calibrationEpochs > 0 && n.calibration < 2) say("calibration", n.calibration, calibrationEpochs);
  if (config.hyper.epochs > 0 && n.training < 2) say("training", n.training, config.hyper.epochs);
  return out;
}
