/**
 * The scale window (METHOD.md §2.3): how many steps the overflow-rate rule averages before it moves a scale, how
 * it is counted, and how many windows a run will close (short runs are warned when the scales cannot move).
 */
import { hasOverflowRateScale, type TrainConfig } from "./config.js";

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

/** The window's counters (for checkpoints). */
export interface ScaleWindowState {
  examples: number;
  batches: number;
}

/** The scale window of a configuration. */
export function scaleWindowRule(config: TrainConfig): ScaleWindowRule {
  const s = config.precision.scaling;
  const moves = hasOverflowRateScale(config.precision, config.network.layers.length);
  const inBatches = s.kind === "overflow-rate" && s.everyBatches !== undefined;
  const length = s.kind === "overflow-rate" ? (s.everyBatches ?? s.everyExamples ?? 10_000) : 10_000;
  const counting = moves ? (config.faithfulness.scaleWindow ?? "continuous") : "continuous";
  return { counting, length, unit: inBatches ? "batches" : "examples", moves };
}

/** "100 batches" / "10,000 examples", for messages. */
export function describeWindow(w: ScaleWindowRule): string {
  return `${w.length.toLocaleString("en-US")} ${w.unit}${w.counting === "per-epoch" ? " (counted per epoch)" : ""}`;
}

/**
 * The windows a run closes in its calibration and training epochs, on `trainCount` training examples (after
 * `trainLimit`). Counted step by step as the network counts them.
 */
export function windowsClosed(config: TrainConfig, trainCount: number): { calibration: number; training: number } {
  const w = scaleWindowRule(config);
  const B = config.hyper.batch;
  const full = Math.floor(trainCount / B),
    partial = trainCount - full * B;
  const sizes = config.faithfulness.dropPartialBatches || partial === 0 ? [full, 0] : [full, partial];
  const p = config.precision;
  const calibrating = p.calibrationEpochs > 0 && config.hyper.epochs > 0 && usesDynamicFixed(config) ? 1 : 0;
  const c = { examples: 0, batches: 0 };
  // NOTE: only whether fewer than two windows close matters; counting stops there (800 epochs of SVHN would be
  // 3.7 million steps).
  const count = (epochs: number): number => {
    let closed = 0;
    for (let e = 0; e < epochs && closed < 2; e++) {
      if (w.counting === "per-epoch") {
        c.examples = 0;
        c.batches = 0;
      }
      for (let b = 0; b < full + (sizes[1]! > 0 ? 1 : 0); b++) {
        c.examples += b < full ? B : sizes[1]!;
        c.batches += 1;
        if ((w.unit === "batches" ? c.batches : c.examples) >= w.length) {
          closed++;
          c.examples = 0;
          c.batches = 0;
        }
      }
    }
    return closed;
  };
  const calibration = count(calibrating * p.calibrationEpochs);
  return { calibration, training: count(config.hyper.epochs) };
}

function usesDynamicFixed(config: TrainConfig): boolean {
  const p = config.precision;
  return p.format === "dynamic-fixed" || p.overrides.some((o) => o.format === "dynamic-fixed");
}

/**
 * One line per phase in which the overflow-rate scales would close fewer than two windows, i.e. barely move or not
 * at all (a short run on a small training subset); none when the run has no such scales.
 */
export function scaleWindowWarnings(config: TrainConfig, trainCount: number): string[] {
  const w = scaleWindowRule(config);
  if (!w.moves) return [];
  const n = windowsClosed(config, trainCount);
  const batches = config.faithfulness.dropPartialBatches
    ? Math.floor(trainCount / config.hyper.batch)
    : Math.ceil(trainCount / config.hyper.batch);
  const out: string[] = [];
  const say = (phase: string, closed: number, epochs: number) =>
    out.push(
      `warning: the ${phase} (${epochs} epoch(s) of ${batches} batches) closes ${closed === 0 ? "no" : "only one"} ` +
        `scale window of ${describeWindow(w)}, so the scales ${closed === 0 ? "never move" : "move once at most"}` +
        "; shorten the window (scaling.everyBatches / everyExamples, `--range-every-batches`) or train on more data",
    );
  const calibrationEpochs =
    config.hyper.epochs > 0 && usesDynamicFixed(config) ? config.precision.calibrationEpochs : 0;
  if (calibrationEpochs > 0 && n.calibration < 2) say("calibration", n.calibration, calibrationEpochs);
  if (config.hyper.epochs > 0 && n.training < 2) say("training", n.training, config.hyper.epochs);
  return out;
}
