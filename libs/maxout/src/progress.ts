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

/**
 * One line per epoch: `epoch 3/10  loss 0.1234  train 4.21%  valid 1.98%  test 2.05%  best 1.98%→2.05% (ep 3)`
 * followed on the same line by `  12.3s  4067 ex/s  ETA 1m26s`.
 */
export function formatEpochLine(m: EpochMetrics, epochs: number, etaSeconds: number): string {
  const width = String(epochs).length;
  return [
    `epoch ${String(m.epoch).padStart(width)}/${epochs}`,
    `loss ${Number.isFinite(m.loss) ? m.loss.toFixed(4) : "-"}`,
    `train ${pct(m.trainError)}`,
    `valid ${pct(m.validError)}`,
    `test ${pct(m.testError)}`,
    `best ${pct(m.bestValidError)}→${pct(m.bestTestError)} (ep ${m.bestEpoch})`,
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
