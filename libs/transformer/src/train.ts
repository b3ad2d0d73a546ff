/**
 * Training a ViT: seeded shuffles, momentum SGD with warm-up and linear decay, the overflow-rate windows, dynamic
 * fixed point's calibration epochs (as the Maxout trainer: trained at `calibrationBits` while the scales move, then
 * the initial weights put back), an evaluation after each epoch.
 */
import { randomBits } from "@lowprec/formats";
import {
  calibrationEpochsFor,
  countWindowStep,
  type LayerPrecisionState,
  type PrecisionSpec,
  type ScaleRecord,
  type ScaleWindowCount,
  scaleWindowOf,
} from "@lowprec/precision";
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from "@lowprec/storage";
import type { Kernels } from "@lowprec/tensor";
import { learningRateAt, type VitHyper, type VitSpec, validateVitHyper } from "./config.js";
import { Vit } from "./network.js";
import type { ParamLayer } from "./layers.js";

/** Examples as the network takes them: `count` images of channels × height × width values, one label each. */
export interface VitData {
  readonly images: Float32Array;
  readonly labels: Uint8Array;
  readonly count: number;
}

export interface VitEpoch {
  /**
   * 1-based; calibration epochs are numbered apart (`phase`). Epoch 0 (phase "training", no loss) is the untrained
   * network's evaluation, made when there is validation or test data.
   */
  readonly epoch: number;
  readonly phase: "calibration" | "training";
  readonly learningRate: number;
  /** mean −log p(label) over the epoch's training batches */
  readonly loss: number;
  /** training error over the epoch's batches, % */
  readonly trainError: number;
  /** validation error after the epoch, % (undefined without validation data, and while calibrating) */
  readonly validError: number | undefined;
  /** mean −log p(label) on the validation data after the epoch */
  readonly validLoss: number | undefined;
  /** test error after the epoch, % (undefined without test data, and while calibrating) */
  readonly testError: number | undefined;
  /** seconds of the training passes */
  readonly trainSeconds: number;
  /** seconds of the epoch, its evaluations included */
  readonly seconds: number;
}

export interface VitTrainOptions {
  readonly spec: VitSpec;
  readonly hyper: VitHyper;
  readonly precision: PrecisionSpec;
  readonly seed: number;
  readonly kernels: Kernels;
  readonly train: VitData;
  /** evaluated after each training epoch (the run's best epoch is chosen on it) */
  readonly valid?: VitData;
  readonly test?: VitData;
  /** called after each epoch (epoch 0 included) with the run's epochs so far, those of earlier sessions included */
  readonly onEpoch?: (e: VitEpoch, history: readonly VitEpoch[]) => void;
  /** called with each closed window's scale records, and where the window closed */
  readonly onScales?: (records: ScaleRecord[], at: WindowClose) => void;
  /** a clock in seconds (tests pass a fake one) */
  readonly clock?: () => number;
  /** receives the training state after each epoch (a checkpoint: `resume` continues from it) */
  readonly checkpoint?: (bytes: Uint8Array) => void;
  /** a checkpoint of this same training (spec, hyper-parameters, policy, seed, data size) to continue from */
  readonly resume?: Uint8Array;
  /** stop after this many epochs of the whole run, calibration included (tests: a run killed there) */
  readonly stopAfterEpochs?: number;
}

/** What a checkpoint must agree with to be resumed: the training's definition. */
function identityOf(o: Pick<VitTrainOptions, "spec" | "hyper" | "precision" | "seed" | "train">) {
  return { spec: o.spec, hyper: o.hyper, precision: o.precision, seed: o.seed, trainCount: o.train.count };
}

interface VitState {
  readonly identity: ReturnType<typeof identityOf>;
  /** epochs finished, calibration included */
  readonly finished: number;
  /** training examples seen, calibration included */
  readonly examples: number;
  readonly epochs: VitEpoch[];
  readonly window: ScaleWindowCount;
  readonly precision: LayerPrecisionState[];
  /** while calibrating: the initial parameters, put back when calibration ends */
  readonly initialSaved: boolean;
}

/**
 * The arrays a checkpoint holds, by name: each layer's W, b and velocities (`<layer>.w`, `.b`, `.vw`, `.vb`) and,
 * while calibrating, the initial W and b it puts back (`.w0`, `.b0`). Live arrays: saving reads them, resuming
 * writes them.
 */
function stateArrays(
  layers: readonly ParamLayer[],
  initial: readonly (readonly [Float32Array, Float32Array])[] | undefined,
): Map<string, Float32Array> {
  const arrays = new Map<string, Float32Array>();
  layers.forEach((l, i) => {
    arrays.set(`${l.name}.w`, l.params.w);
    arrays.set(`${l.name}.b`, l.params.b);
    arrays.set(`${l.name}.vw`, l.params.vw);
    arrays.set(`${l.name}.vb`, l.params.vb);
    if (initial) {
      arrays.set(`${l.name}.w0`, initial[i]![0]);
      arrays.set(`${l.name}.b0`, initial[i]![1]);
    }
  });
  return arrays;
}

/** The first field where two JSON values differ ("hyper.batch"), or undefined when they are equal. */
function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
    return Object.is(a, b) ? undefined : path || "(value)";
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of [...keys].sort()) {
    const d = firstDifference(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      path ? `${path}.${k}` : k,
    );
    if (d !== undefined) return d;
  }
  return undefined;
}

export interface VitResult {
  readonly network: Vit;
  readonly epochs: readonly VitEpoch[];
  /** the last epoch's test error, % */
  readonly testError: number | undefined;
}

/** Where a scale window closed: the epoch, its phase, the batches done in it, the examples the run has seen. */
export interface WindowClose {
  readonly epoch: number;
  readonly phase: VitEpoch["phase"];
  readonly batch: number;
  readonly examples: number;
}

/** Error (%) and mean −log p(label) of `net` on `data`, in batches of at most its capacity. */
export function measure(net: Vit, data: VitData): { readonly error: number; readonly loss: number } {
  const per = featuresPerImage(net.spec);
  let errors = 0,
    loss = 0;
  for (let i = 0; i < data.count; i += net.capacity) {
    const n = Math.min(net.capacity, data.count - i);
    net.setLabels(Int32Array.from(data.labels.subarray(i, i + n)));
    const r = net.forward(data.images.subarray(i * per, (i + n) * per), n, true);
    errors += r.errors;
    loss += r.loss;
  }
  return { error: (100 * errors) / data.count, loss: loss / data.count };
}

/** Test error (%) of `net` on `data`. */
export function evaluate(net: Vit, data: VitData): number {
  return measure(net, data).error;
}

function featuresPerImage(s: VitSpec): number {
  return s.image.channels * s.image.height * s.image.width;
}

/** A seeded permutation of 0..n−1 for epoch `epoch` (Fisher–Yates on randomBits). */
export function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = (seed ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
  for (let i = n - 1; i > 0; i--) {
    const j = randomBits(s, i) % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Refuses a checkpoint of another training (another spec, schedule, policy, seed or training-set size), naming the
 * first field that differs; a caller checks before it writes anything of its own.
 */
export function checkVitCheckpoint(
  o: Pick<VitTrainOptions, "spec" | "hyper" | "precision" | "seed" | "train">,
  bytes: Uint8Array,
): void {
  checkIdentity(o, decodeCheckpoint(bytes).header as VitState);
}

/** Refuses a decoded checkpoint's state of another training, naming the first field that differs. */
function checkIdentity(o: Pick<VitTrainOptions, "spec" | "hyper" | "precision" | "seed" | "train">, st: VitState) {
  const differs = firstDifference(JSON.parse(JSON.stringify(identityOf(o))), st.identity);
  if (differs !== undefined) throw new CheckpointError(`checkpoint is of another training: ${differs} differs`);
}

export function trainVit(o: VitTrainOptions): VitResult {
  const { spec, hyper, train } = o;
  validateVitHyper(hyper);
  const clock = o.clock ?? (() => performance.now() / 1000);
  const per = featuresPerImage(spec);
  if (train.images.length !== train.count * per)
    throw new RangeError(`train: ${train.images.length} values for ${train.count} images of ${per} values each`);
  const net = new Vit(spec, o.precision, o.kernels, hyper.batch, o.seed);
  net.init(o.seed);
  const batches = Math.ceil(train.count / hyper.batch);
  const total = hyper.epochs * batches,
    warmup = Math.round(hyper.warmupEpochs * batches);
  const x = new Float32Array(hyper.batch * per),
    labels = new Int32Array(hyper.batch);
  const epochs: VitEpoch[] = [];
  const windowRule = scaleWindowOf(o.precision.scaling);
  let window: ScaleWindowCount = { examples: 0, batches: 0 };
  let examplesSeen = 0;

  const runEpoch = (epoch: number, phase: VitEpoch["phase"], stepBase: number): VitEpoch => {
    const t0 = clock();
    const order = epochOrder(train.count, o.seed, phase === "calibration" ? -epoch : epoch);
    let loss = 0,
      errors = 0,
      lr = 0;
    for (let b = 0; b < batches; b++) {
      const lo = b * hyper.batch,
        n = Math.min(hyper.batch, train.count - lo);
      for (let i = 0; i < n; i++) {
        const e = order[lo + i]!;
        x.set(train.images.subarray(e * per, (e + 1) * per), i * per);
        labels[i] = train.labels[e]!;
      }
      net.setLabels(n === hyper.batch ? labels : labels.subarray(0, n));
      const r = net.forward(n === hyper.batch ? x : x.subarray(0, n * per), n);
      if (!Number.isFinite(r.loss))
        throw new Error(`vit: the loss is ${r.loss} at ${phase} epoch ${epoch}, batch ${b + 1} (the run diverged)`);
      loss += r.loss;
      errors += r.errors;
      net.backward(n);
      lr = learningRateAt(hyper, stepBase + b, total, warmup);
      net.update(lr, hyper.momentum);
      net.endStep(n);
      examplesSeen += n;
      if (countWindowStep(windowRule, window, n)) {
        net.closeScaleWindow();
        window = { examples: 0, batches: 0 };
        const rec = net.takeRecords();
        if (rec.length > 0) o.onScales?.(rec, { epoch, phase, batch: b + 1, examples: examplesSeen });
      }
    }
    const nan = net.nanGroup();
    if (nan !== undefined) throw new Error(`vit: group ${nan} has a NaN scale at ${phase} epoch ${epoch}`);
    const trainSeconds = clock() - t0;
    const valid = o.valid && phase === "training" ? measure(net, o.valid) : undefined;
    const testError = o.test && phase === "training" ? evaluate(net, o.test) : undefined;
    const row: VitEpoch = {
      epoch,
      phase,
      learningRate: lr,
      loss: loss / train.count,
      trainError: (100 * errors) / train.count,
      validError: valid?.error,
      validLoss: valid?.loss,
      testError,
      trainSeconds,
      seconds: clock() - t0,
    };
    return row;
  };

  const calibration = calibrationEpochsFor(o.precision, hyper.epochs);
  const layers = net.paramLayers;
  let initial = calibration > 0 ? layers.map((l) => [l.params.w.slice(), l.params.b.slice()] as const) : undefined;
  let finished = 0;
  if (o.resume) {
    const { header, arrays } = decodeCheckpoint(o.resume);
    const st = header as VitState;
    checkIdentity(o, st);
    const take = (name: string, into: Float32Array) => {
      const a = arrays.get(name);
      if (!a || a.length !== into.length)
        throw new CheckpointError(`checkpoint is corrupt: array ${name} missing or of another length`);
      into.set(a);
    };
    if (!st.initialSaved) initial = undefined;
    for (const [name, into] of stateArrays(layers, initial)) take(name, into);
    net.restorePrecision(st.precision);
    // NOTE: the header is JSON: NaN (epoch 0's loss and training error) came back as null
    const nan = (v: number | null) => (v === null ? Number.NaN : v);
    epochs.push(...st.epochs.map((e) => ({ ...e, loss: nan(e.loss), trainError: nan(e.trainError) })));
    window = { ...st.window };
    examplesSeen = st.examples;
    finished = st.finished;
  }
  const save = () => {
    if (!o.checkpoint) return;
    const arrays = stateArrays(layers, initial);
    const state: VitState = {
      identity: identityOf(o),
      finished,
      epochs,
      window,
      examples: examplesSeen,
      precision: net.precisionState(),
      initialSaved: initial !== undefined,
    };
    o.checkpoint(encodeCheckpoint(state, arrays));
  };
  const plan: { phase: VitEpoch["phase"]; epoch: number }[] = [
    ...Array.from({ length: calibration }, (_, c) => ({ phase: "calibration" as const, epoch: c + 1 })),
    ...Array.from({ length: hyper.epochs }, (_, e) => ({ phase: "training" as const, epoch: e + 1 })),
  ];
  if (!o.resume && (o.valid || o.test)) {
    const t0 = clock();
    const valid = o.valid ? measure(net, o.valid) : undefined;
    const testError = o.test ? evaluate(net, o.test) : undefined;
    const row: VitEpoch = {
      epoch: 0,
      phase: "training",
      learningRate: learningRateAt(hyper, 0, total, warmup),
      loss: Number.NaN,
      trainError: Number.NaN,
      validError: valid?.error,
      validLoss: valid?.loss,
      testError,
      trainSeconds: 0,
      seconds: clock() - t0,
    };
    epochs.push(row);
    o.onEpoch?.(row, epochs);
  }
  for (; finished < plan.length; ) {
    if (o.stopAfterEpochs !== undefined && finished >= o.stopAfterEpochs) break;
    const { phase, epoch } = plan[finished]!;
    net.calibrating = phase === "calibration";
    const row = runEpoch(epoch, phase, (epoch - 1) * batches);
    epochs.push(row);
    finished++;
    o.onEpoch?.(row, epochs);
    // NOTE: calibration ends: the initial weights back, velocities zero, the scales kept (as the Maxout trainer)
    if (phase === "calibration" && epoch === calibration && initial) {
      net.calibrating = false;
      layers.forEach((l, i) => {
        l.params.w.set(initial![i]![0]);
        l.params.b.set(initial![i]![1]);
        l.params.resetVelocity();
      });
      initial = undefined;
    }
    save();
  }
  net.calibrating = false;
  const last = epochs[epochs.length - 1];
  return { network: net, epochs, testError: last?.testError };
}
