// Telemetry thinned for a commit (thinScaleRows): a paper-length run's scale file (800 epochs × windows × layers ×
// groups, 8.8 MiB) keeps its calibration rows whole and, of training, the last window of every k-th epoch and of the
// last epoch; up to the limit nothing is dropped. Checked on rows built by hand.
import type { ScaleRow } from "@lowprec/report";
import { describe, expect, it } from "vitest";
import { thinScaleRows } from "../src/report.js";

/** Two windows (batches 100 and 200) per epoch, one layer, groups w and y. */
function rows(calibration: number, epochs: number): ScaleRow[] {
  const out: ScaleRow[] = [];
  const add = (phase: string, epoch: number) => {
    for (const batch of [100, 200])
      for (const group of ["w", "y"])
        out.push({
          phase,
          epoch,
          batch,
          examples: 0,
          layer: 0,
          group,
          integerBits: 3,
          overflowRate: 0,
          overflowRateHalfRange: 0,
          flushRate: 0,
          amax: 1,
        });
  };
  for (let e = 1; e <= calibration; e++) add("calibration", e);
  for (let e = 1; e <= epochs; e++) add("training", e);
  return out;
}

describe("thinScaleRows", () => {
  it("keeps every row up to the limit of epochs", () => {
    const r = rows(2, 10);
    expect(thinScaleRows(r, 10)).toEqual({ rows: r, every: 1 });
  });

  it("past it: calibration whole; training's last window of every ⌈epochs/limit⌉-th epoch and of the last", () => {
    // 25 epochs, limit 10: every 3rd epoch (3, 6, ..., 24) and the last (25), batch 200 only
    const { rows: kept, every } = thinScaleRows(rows(2, 25), 10);
    expect(every).toBe(3);
    expect(kept.filter((r) => r.phase === "calibration")).toHaveLength(2 * 2 * 2);
    const training = kept.filter((r) => r.phase === "training");
    expect([...new Set(training.map((r) => r.epoch))]).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 25]);
    expect(training.every((r) => r.batch === 200)).toBe(true);
    expect(training.filter((r) => r.epoch === 24).map((r) => r.group)).toEqual(["w", "y"]);
    // in the original order, and idempotent at the same limit
    expect(thinScaleRows(kept, 10).rows).toEqual(kept);
  });

  it("an epoch cut short (its last window at batch 100) keeps that window", () => {
    const r = rows(0, 30).filter((x) => !(x.epoch === 30 && x.batch === 200));
    const { rows: kept } = thinScaleRows(r, 10);
    expect(kept.filter((x) => x.epoch === 30).map((x) => x.batch)).toEqual([100, 100]);
  });
});
