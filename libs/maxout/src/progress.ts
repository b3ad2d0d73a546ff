/** Progress text: one line per epoch (errors, time, ETA) and a bar for interactive terminals. */
import type { EpochMetrics } from "./output.js";

/** "1h02m", "3m05s", "42s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60),
    h = Math.floor(m / 60);
  if (h > 0) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${m}m${String(s % 60).padStart(2, "0")}s`;
}

const pct = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}%` : "  -  ");

/** What a line says of the best epoch so far: its errors, or that it is the untrained network (epoch 0). */
export function describeBest(m: Pick<EpochMetrics, "bestEpoch" | "bestValidError" | "bestTestError">): string {
  // NOTE: epoch 0 is the untrained network (METHOD.md §3.4, §8.1 selectFromEpochZero): no epoch improved on it.
  if (m.bestEpoch === 0) return "best epoch 0 (untrained: no epoch improved on validation)";
  return `best epoch ${m.bestEpoch} (valid error ${pct(m.bestValidError)}, test error ${pct(m.bestTestError)})`;
}

/**
 * One line per epoch: `epoch 3/10  loss 0.1234  train error 4.21%  valid error 1.98%  test error 2.05%  best epoch 3
 * (valid error 1.98%, test error 2.05%)` followed on the same line by `  12.3s  4067 ex/s  ETA 1m26s`.
 */
export function formatEpochLine(m: EpochMetrics, epochs: number, etaSeconds: number): string {
  const width = String(epochs).length;
  return [
    `epoch ${String(m.epoch).padStart(width)}/${epochs}`,
    `loss ${Number.isFinite(m.loss) ? m.loss.toFixed(4) : "-"}`,
    `train error ${pct(m.trainError)}`,
    `valid error ${pct(m.validError)}`,
    `test error ${pct(m.testError)}`,
    describeBest(m),
    `${m.seconds.toFixed(1)}s`,
    `${Math.round(m.examplesPerSecond)} ex/s`,
    `ETA ${formatDuration(etaSeconds)}`,
  ].join("  ");
}

/** `[#########.........] 45% epoch 3 batch 225/500` for a terminal line rewritten in place. */
export function formatBar(label: string, done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  const percent = String(Math.round(f * 100)).padStart(3);
  return `[${"#".repeat(n)}${".".repeat(width - n)}] ${percent}% ${label} ${done}/${total}`;
}
