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
