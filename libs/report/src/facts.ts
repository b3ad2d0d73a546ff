/**
 * Sentences a caption may state about a dynamic fixed point run's scale telemetry, computed from its rows: which
 * groups' integer bits moved during calibration and during training, and by how much. A caption or a notebook
 * states these, never a direction typed in by hand.
 */
import type { ScaleRow } from "./rows.js";

/** The ten groups of a layer in four families (the telemetry figure draws one panel per family). */
export const GROUP_FAMILIES: readonly { readonly name: string; readonly groups: readonly string[] }[] = Object.freeze([
  { name: "weights and biases", groups: ["w", "b"] },
  { name: "weighted sums and outputs", groups: ["z", "y"] },
  { name: "gradients", groups: ["dEdy", "dEdz", "dEdw", "dEdb"] },
  { name: "momentum velocities", groups: ["update_w", "update_b"] },
]);

/** The family of a group name ("other" for a name outside the ten). */
export function groupFamily(group: string): string {
  return GROUP_FAMILIES.find((f) => f.groups.includes(group))?.name ?? "other";
}

/** How one group of one layer moved: integer bits at the first and last window of each phase. */
export interface GroupMovement {
  readonly layer: number;
  readonly group: string;
  /** integer bits in the first and the last calibration window (NaN without calibration rows) */
  readonly calibrationFirst: number;
  readonly calibrationLast: number;
  /** integer bits in the first and the last training window (NaN without training rows) */
  readonly trainingFirst: number;
  readonly trainingLast: number;
  /** trainingLast − (calibrationLast, else trainingFirst): the move over training, after calibration */
  readonly trainingChange: number;
}

/** One movement per (layer, group), in layer order then the file's group order. */
export function groupMovements(rows: readonly ScaleRow[]): GroupMovement[] {
  const keys: string[] = [];
  const by = new Map<string, ScaleRow[]>();
  for (const r of rows) {
    const k = `${r.layer}\u0000${r.group}`;
    if (!by.has(k)) {
      by.set(k, []);
      keys.push(k);
    }
    by.get(k)!.push(r);
  }
  const out: GroupMovement[] = [];
  for (const k of keys) {
    const mine = by.get(k)!;
    const cal = mine.filter((r) => r.phase === "calibration");
    const tr = mine.filter((r) => r.phase !== "calibration");
    const first = (xs: ScaleRow[]) => (xs.length > 0 ? xs[0]!.integerBits : Number.NaN);
    const last = (xs: ScaleRow[]) => (xs.length > 0 ? xs[xs.length - 1]!.integerBits : Number.NaN);
    const start = cal.length > 0 ? last(cal) : first(tr);
    out.push({
      layer: mine[0]!.layer,
      group: mine[0]!.group,
      calibrationFirst: first(cal),
      calibrationLast: last(cal),
      trainingFirst: first(tr),
      trainingLast: last(tr),
      trainingChange: last(tr) - start,
    });
  }
  return out.sort((a, b) => a.layer - b.layer);
}

/** An integer with a typographic minus: "−5", "3". */
const minus = (n: number): string => (n < 0 ? `−${-n}` : String(n));

/** "−5", "+2", "0": a signed change in bits. */
function signedBits(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${-n}` : "0";
}

/** "−5 to −3", or "−4" when the two agree. */
function range(lo: number, hi: number): string {
  return lo === hi ? signedBits(lo) : `${signedBits(lo)} to ${signedBits(hi)}`;
}

/**
 * The sentences: how far calibration moved the scales, then per family (largest move first) how each of its
 * groups moved over training, across the layers. Nothing when there are no rows.
 */
export function telemetryFacts(rows: readonly ScaleRow[]): string[] {
  const moves = groupMovements(rows);
  if (moves.length === 0) return [];
  const facts: string[] = [];
  const layers = new Set(moves.map((m) => m.layer)).size;
  const calWindows = new Set(rows.filter((r) => r.phase === "calibration").map((r) => `${r.epoch}/${r.batch}`)).size;
  const trWindows = new Set(rows.filter((r) => r.phase !== "calibration").map((r) => `${r.epoch}/${r.batch}`)).size;
  const cal = moves.filter((m) => Number.isFinite(m.calibrationLast));
  if (cal.length > 0) {
    const ends = cal.map((m) => m.calibrationLast);
    const starts = cal.map((m) => m.calibrationFirst);
    const [s0, s1] = [Math.min(...starts), Math.max(...starts)];
    const from = s0 === s1 ? minus(s0) : `${minus(s0)} to ${minus(s1)}`;
    facts.push(
      `Calibration (${calWindows} windows) took the groups from ${from} integer bits in ` +
        `its first window to between ${minus(Math.min(...ends))} and ${minus(Math.max(...ends))} in its last.`,
    );
  }
  const families = GROUP_FAMILIES.map((f) => ({
    name: f.name,
    moves: moves.filter((m) => f.groups.includes(m.group) && Number.isFinite(m.trainingChange)),
  })).filter((f) => f.moves.length > 0);
  const largest = (ms: readonly GroupMovement[]) => Math.max(...ms.map((m) => Math.abs(m.trainingChange)));
  families.sort((a, b) => largest(b.moves) - largest(a.moves));
  if (families.length > 0)
    facts.push(
      `Over training (${trWindows} windows after calibration), a group's move is its integer bits in the last ` +
        `window minus those at the end of calibration, as a range over the ${layers} layer${layers === 1 ? "" : "s"}.`,
    );
  for (const f of families) {
    const groups = [...new Set(f.moves.map((m) => m.group))];
    const parts = groups.map((g) => {
      const ch = f.moves.filter((m) => m.group === g).map((m) => m.trainingChange);
      return `${g} ${range(Math.min(...ch), Math.max(...ch))}`;
    });
    const most = largest(f.moves);
    const name = f.name.charAt(0).toUpperCase() + f.name.slice(1);
    facts.push(
      most === 0
        ? `${name}: did not move (${groups.join(", ")}).`
        : `${name}: moved by at most ${most} bit${most === 1 ? "" : "s"} (${parts.join(", ")}).`,
    );
  }
  return facts;
}

/** One epoch of a training run's history, as @lowprec/maxout's EpochMetrics has it (errors in percent). */
export interface CurvePoint {
  readonly epoch: number;
  readonly validError: number;
  readonly testError: number;
  /** mean training loss per example; NaN at epoch 0 */
  readonly loss: number;
}

/** A short run of one setting: its history and the reported number (test error at the best validation epoch). */
export interface CurveRun {
  readonly setting: string;
  readonly history: readonly CurvePoint[];
  readonly bestEpoch: number;
  readonly bestTestError: number;
}

/** An error in percent as a count of examples of `n` ("204 of 2,000"). */
const examplesOf = (percent: number, n: number): number => Math.round((percent * n) / 100);
const grouped = (n: number): string => n.toLocaleString("en-US");
const pct2 = (x: number): string => `${x.toFixed(2)} %`;

/**
 * The sentences under a figure of learning curves, computed from the runs: how far each setting's validation
 * error fell; how far each setting's curve lies from the baseline's, in examples of the validation set (the
 * largest gap over the epochs after the first), and its training loss relative to the baseline's; and which
 * settings report the same test error, as a count of test examples (the same count, not necessarily the same
 * examples). `validExamples` and `testExamples` are the examples evaluated (errors are counts of them).
 */
export function learningCurveFacts(
  runs: readonly CurveRun[],
  options: { readonly baseline: string; readonly validExamples: number; readonly testExamples: number },
): string[] {
  const { baseline, validExamples, testExamples } = options;
  if (!(validExamples > 0 && testExamples > 0))
    throw new RangeError(`learningCurveFacts: example counts must be positive, got ${validExamples}, ${testExamples}`);
  const withHistory = runs.filter((r) => r.history.length > 0);
  if (withHistory.length === 0) return [];
  const facts: string[] = [];
  const last = (r: CurveRun) => r.history[r.history.length - 1]!;
  const epochs = last(withHistory[0]!).epoch;
  facts.push(
    `Validation error from epoch ${withHistory[0]!.history[0]!.epoch} to epoch ${epochs}: ` +
      withHistory
        .map((r) => `${r.setting} ${pct2(r.history[0]!.validError)} → ${pct2(last(r).validError)}`)
        .join(", ") +
      ".",
  );
  const base = withHistory.find((r) => r.setting === baseline);
  if (base !== undefined) {
    const gaps: string[] = [];
    for (const r of withHistory.filter((x) => x !== base)) {
      let most = 0,
        loss = 0;
      for (const p of r.history) {
        const b = base.history.find((q) => q.epoch === p.epoch);
        if (b === undefined || p.epoch === 0) continue;
        most = Math.max(
          most,
          Math.abs(examplesOf(p.validError, validExamples) - examplesOf(b.validError, validExamples)),
        );
        if (Number.isFinite(p.loss) && Number.isFinite(b.loss) && b.loss > 0)
          loss = Math.max(loss, Math.abs(p.loss / b.loss - 1));
      }
      gaps.push(`${r.setting} by at most ${most} (training loss within ${(100 * loss).toFixed(1)} %)`);
    }
    if (gaps.length > 0)
      facts.push(
        `After epoch 0, the validation errors differ from ${baseline}'s, in examples of ${grouped(validExamples)}: ` +
          `${gaps.join(", ")}.`,
      );
  }
  const byCount = new Map<number, string[]>();
  for (const r of runs) {
    const k = examplesOf(r.bestTestError, testExamples);
    byCount.set(k, [...(byCount.get(k) ?? []), r.setting]);
  }
  const same = [...byCount].filter(([, s]) => s.length > 1);
  for (const [k, settings] of same)
    facts.push(
      `${settings.join(", ")} report the same test error, ${grouped(k)} of ${grouped(testExamples)} examples wrong ` +
        `(${pct2((100 * k) / testExamples)}): the same count, not necessarily the same examples.`,
    );
  if (same.length === 0 && runs.length > 1)
    facts.push(`The reported test errors all differ (in examples of ${grouped(testExamples)}).`);
  return facts;
}
