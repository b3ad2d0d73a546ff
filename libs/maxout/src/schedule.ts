/**
 * The optimisation schedules and the seeded randomness of a run (METHOD.md §4.1). Everything here is a pure
 * function of (seed, epoch, index), so a resumed run draws exactly what an uninterrupted one draws.
 */
import { randomBits } from "@lowprec/formats";
import type { HyperParameters } from "./presets.js";
import { mixSeed } from "@lowprec/precision";

/**
 * Learning rate of epoch `epoch` (1-based): LR0 for epoch 1, then a linear step per epoch down to the
 * final rate after `learningRateSaturationEpochs` epochs, constant after (the authors' update_LR).
 */
export function learningRateAt(h: HyperParameters, epoch: number): number {
  return linearRamp(h.learningRate, h.learningRateFinal, h.learningRateSaturationEpochs, epoch);
}

/** Momentum of epoch `epoch` (1-based): linear from `momentum` to `momentumFinal` over `momentumSaturationEpochs`. */
export function momentumAt(h: HyperParameters, epoch: number): number {
  return linearRamp(h.momentum, h.momentumFinal, h.momentumSaturationEpochs, epoch);
}

function linearRamp(start: number, end: number, saturation: number, epoch: number): number {
  if (saturation <= 0) return end;
  const steps = Math.max(0, epoch - 1);
  if (steps >= saturation) return end;
  return start + ((end - start) * steps) / saturation;
}

/** Stream tags, so that each use of the run seed draws from its own stream. */
export const STREAM = { init: 1, shuffle: 2, dropout: 3, rounding: 4 } as const;

/** A uniform integer in [0, n) from 32 random bits (n ≤ 2^32; the bias of at most n/2^32 is immaterial here). */
function below(bits: number, n: number): number {
  return Math.floor((bits / 4294967296) * n);
}

/** Batches the authors held on the GPU at a time for CIFAR-10 and SVHN: their `batches` order shuffles within these. */
export const AUTHORS_BATCH_CHUNK = 79;

export interface OrderOptions {
  /**
   * `batches` mode only. `chunks` (the authors'): chunks of AUTHORS_BATCH_CHUNK consecutive batches visited in a
   * shuffled order, the batches shuffled within each chunk, the remainder chunk last (shuffled within), and the
   * calibration epochs shuffled too. `whole` (default): one permutation of all batches; calibration in data order.
   */
  readonly batchOrder?: "chunks" | "whole";
}

/**
 * The order in which epoch `epoch` visits the `batches·batch` examples it trains on (`count` available;
 * the partial last batch is dropped by the caller when asked). `examples`: a Fisher–Yates permutation of
 * all examples; `batches`: fixed batches of consecutive examples, in a permuted order (the authors' SVHN).
 * `epoch` < 0 is calibration epoch −epoch, 0 the data order. The authors' calibration epochs keep the data
 * order, except for `batches` with `chunks` (their batch shuffling happens inside each pass over the data).
 */
export function epochOrder(
  seed: number,
  epoch: number,
  count: number,
  batch: number,
  mode: HyperParameters["shuffle"],
  out?: Int32Array,
  options: OrderOptions = {},
): Int32Array {
  const order = out ?? new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const chunks = mode === "batches" && options.batchOrder === "chunks";
  if (epoch === 0 || (epoch < 0 && !chunks)) return order;
  const s = mixSeed(seed, STREAM.shuffle, epoch);
  if (mode === "examples") {
    shuffle(order, s);
    return order;
  }
  const nb = Math.floor(count / batch);
  const perm = new Int32Array(nb);
  for (let i = 0; i < nb; i++) perm[i] = i;
  if (!chunks) shuffle(perm, s);
  else {
    const C = AUTHORS_BATCH_CHUNK,
      full = Math.floor(nb / C);
    const chunkOrder = new Int32Array(full);
    for (let k = 0; k < full; k++) chunkOrder[k] = k;
    shuffle(chunkOrder, mixSeed(s, 0));
    const within = new Int32Array(C);
    for (let k = 0; k < full; k++) {
      for (let j = 0; j < C; j++) within[j] = chunkOrder[k]! * C + j;
      shuffle(within, mixSeed(s, k + 1));
      perm.set(within, k * C);
    }
    const rest = perm.subarray(full * C);
    for (let j = 0; j < rest.length; j++) rest[j] = full * C + j;
    shuffle(rest, mixSeed(s, full + 1));
  }
  for (let b = 0; b < nb; b++) for (let k = 0; k < batch; k++) order[b * batch + k] = perm[b]! * batch + k;
  return order;
}

/** Fisher–Yates over `a` with the random bits of stream `s`. */
function shuffle(a: Int32Array, s: number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = below(randomBits(s, i), i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

/** Fills `out` with U(low, high) draws of stream (seed, tag…): the weight initialisation. */
export function fillUniform(out: Float32Array, low: number, high: number, seed: number): void {
  for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * (randomBits(seed, i) / 4294967296);
}
