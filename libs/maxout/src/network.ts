/**
 * A Maxout network built from a NetworkSpec: one training step (forward with dropout, backward from the
 * softmax, update of every layer, then the scales see the step), and the test-time forward pass.
 */
import type { Kernels } from "@lowprec/tensor";
import { hasScaleKind, type TrainConfig } from "./config.js";
import type { Layer, LayerContext } from "./layers/layer.js";
import { MaxoutConv } from "./layers/maxout-conv.js";
import { MaxoutDense } from "./layers/maxout-dense.js";
import { Softmax } from "./layers/softmax.js";
import {
  justInTimeKernels,
  LayerPrecision,
  mixSeed,
  type GroupName,
  type LayerPrecisionState,
  type ScaleRecord,
} from "@lowprec/precision";
import { countStep, scaleWindowRule, type ScaleWindowRule, type ScaleWindowState } from "./scale-window.js";
import { STREAM } from "./schedule.js";

/** Where a non-finite value first appeared. */
export interface Blame {
  readonly layer: number;
  readonly group: GroupName | "input";
}

export interface StepResult {
  /** Σ −log p(label) over the batch */
  loss: number;
  /** misclassified examples (training pass, with dropout) */
  errors: number;
  /** set when the loss is NaN or infinite */
  blame: Blame | undefined;
  /** this step closed a scale window: the overflow-rate scales moved, and a telemetry row is due */
  windowClosed: boolean;
}

export interface LayerState {
  precision: LayerPrecisionState;
  dropoutCounter: number;
}

export class Network {
  readonly layers: Layer[] = [];
  readonly softmax: Softmax;
  readonly inputSize: number;
  /** rounds the raw input when the roundInput switch is on (layer index −1) */
  readonly inputPrecision: LayerPrecision | undefined;
  private readonly xRounded: Float32Array;
  readonly window: ScaleWindowRule;
  private windowCount: ScaleWindowState = { examples: 0, batches: 0 };
  /**
   * the kernels the layers run: the given ones, split into an amax pass and a rounding pass for the groups under
   * current-amax scaling (`justInTimeKernels`) when the policy has such groups
   */
  readonly kernels: Kernels;

  constructor(
    readonly config: TrainConfig,
    kernels: Kernels,
    readonly capacity: number,
  ) {
    const { network, precision, hyper, faithfulness } = config;
    if (hasScaleKind(precision, network.layers.length, "current-amax")) kernels = justInTimeKernels(kernels);
    this.kernels = kernels;
    let shape: readonly [number, number, number] = network.input;
    let size = shape[0] * shape[1] * shape[2];
    this.inputSize = size;
    network.layers.forEach((spec, i) => {
      const ctx: LayerContext = {
        kernels,
        faithfulness,
        capacity,
        index: i,
        precision: new LayerPrecision(precision, i, mixSeed(hyper.seed, STREAM.rounding)),
        dropoutSeed: mixSeed(hyper.seed, STREAM.dropout, i),
      };
      let layer: Layer;
      if (spec.kind === "maxout-conv") {
        const conv = new MaxoutConv(spec, shape, ctx);
        shape = conv.outputShape;
        layer = conv;
      } else if (spec.kind === "maxout-dense") layer = new MaxoutDense(spec, size, ctx);
      else layer = new Softmax(spec, size, ctx);
      size = layer.outputSize;
      this.layers.push(layer);
    });
    this.softmax = this.layers[this.layers.length - 1] as Softmax;
    this.inputPrecision = faithfulness.roundInput
      ? new LayerPrecision(precision, -1, mixSeed(hyper.seed, STREAM.rounding))
      : undefined;
    this.xRounded = new Float32Array(faithfulness.roundInput ? capacity * this.inputSize : 0);
    this.window = scaleWindowRule(config);
  }

  /**
   * A training (or calibration) epoch starts: under the authors' per-epoch window the batch counter restarts, while
   * the overflow sums since the last update carry over.
   */
  beginEpoch(): void {
    if (this.window.counting === "per-epoch") this.windowCount = { examples: 0, batches: 0 };
  }

  /** The window's counters, for checkpoints. */
  get windowState(): ScaleWindowState {
    return { ...this.windowCount };
  }

  set windowState(s: ScaleWindowState) {
    this.windowCount = { examples: s.examples, batches: s.batches };
  }

  /** Counts a step of `n` examples; when the window is full, moves the overflow-rate scales. */
  private countWindow(n: number): boolean {
    const w = this.window,
      c = this.windowCount;
    if (!countStep(w, c, n)) return false;
    if (w.moves) {
      // NOTE: the authors divide the carried-over sums by the batches of this epoch's window; the continuous
      // rule averages over the passes the sums hold.
      const divisor = w.counting === "per-epoch" ? c.batches : undefined;
      for (const l of this.layers) l.precision.closeScaleWindow(divisor);
      this.inputPrecision?.closeScaleWindow(divisor);
    }
    this.windowCount = { examples: 0, batches: 0 };
    return true;
  }

  /** The paper's initialisation, each layer from its own seeded stream. */
  init(): void {
    this.layers.forEach((l, i) => {
      l.init(mixSeed(this.config.hyper.seed, STREAM.init, i), this.config.faithfulness);
    });
  }

  get classes(): number {
    return this.softmax.outputSize;
  }

  /** Both widths become the calibration width (DFXP range initialisation), or back. */
  setCalibrating(on: boolean): void {
    for (const l of this.layers) l.precision.calibrating = on;
    if (this.inputPrecision) this.inputPrecision.calibrating = on;
  }

  private input(x: Float32Array, n: number, test: boolean): Float32Array {
    if (!this.inputPrecision) return x;
    const q = this.inputPrecision.at(test ? "networkInputTest" : "networkInput");
    if (!q) return x;
    const out =
      this.xRounded.length === n * this.inputSize ? this.xRounded : this.xRounded.subarray(0, n * this.inputSize);
    this.kernels.quantize({ x, y: out, ...q });
    return out;
  }

  /** One SGD step on `n` examples (x: n × inputSize, labels: n). */
  trainStep(x: Float32Array, labels: Int32Array, n: number, learningRate: number, momentum: number): StepResult {
    this.softmax.setLabels(labels);
    let a = this.input(x, n, false);
    const outputs: Float32Array[] = [];
    for (const l of this.layers) {
      a = l.forward(a, n);
      outputs.push(a);
    }
    const loss = this.softmax.lastLoss,
      errors = this.softmax.lastErrors;
    if (!Number.isFinite(loss)) return { loss, errors, blame: this.blame(outputs), windowClosed: false };
    let d: Float32Array | undefined;
    for (let i = this.layers.length - 1; i >= 0; i--) d = this.layers[i]!.backward(d, n, i > 0);
    for (const l of this.layers) l.update(learningRate, momentum);
    for (const l of this.layers) l.precision.endStep(n);
    this.inputPrecision?.endStep(n);
    return { loss, errors, blame: undefined, windowClosed: this.countWindow(n) };
  }

  /** Derives the test-time weights; call after training and before `evaluate` calls. */
  prepareTest(): void {
    for (const l of this.layers) l.prepareTest();
  }

  /** Test-time forward pass: summed loss and errors (argmax of the rounded probabilities). */
  evaluate(x: Float32Array, labels: Int32Array, n: number): { loss: number; errors: number } {
    this.softmax.setLabels(labels);
    let a = this.input(x, n, true);
    for (const l of this.layers) a = l.forwardTest(a, n);
    return { loss: this.softmax.lastLoss, errors: this.softmax.lastErrors };
  }

  /** The first group holding a NaN or infinity: stored parameters first, then the forward pass in order. */
  private blame(outputs: readonly Float32Array[]): Blame {
    for (const l of this.layers) {
      const p = l.params;
      const checks: [GroupName, Float32Array][] = [
        ["w", p.w],
        ["b", p.b],
        ["update_w", p.vw],
        ["update_b", p.vb],
      ];
      for (const [group, a] of checks) if (!allFinite(a)) return { layer: l.index, group };
    }
    const inGroup = this.inputPrecision?.nanGroup();
    if (inGroup) return { layer: -1, group: "input" };
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i]!;
      const g = l.precision.nanGroup();
      if (g) return { layer: i, group: g };
      if (!allFinite(outputs[i]!)) return { layer: i, group: l === this.softmax ? "z" : "y" };
    }
    return { layer: this.layers.length - 1, group: "z" };
  }

  /** Scale telemetry of the window that just closed, every layer and group. */
  takeRecords(): ScaleRecord[] {
    const rows = this.inputPrecision ? this.inputPrecision.takeRecords() : [];
    for (const l of this.layers) rows.push(...l.precision.takeRecords());
    return rows;
  }

  /** Named parameter arrays (for checkpoints and the calibration reset). */
  parameterArrays(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const l of this.layers) {
      m.set(`${l.index}.w`, l.params.w);
      m.set(`${l.index}.b`, l.params.b);
      m.set(`${l.index}.update_w`, l.params.vw);
      m.set(`${l.index}.update_b`, l.params.vb);
    }
    return m;
  }

  layerStates(): LayerState[] {
    return this.layers.map((l) => ({ precision: l.precision.toJSON(), dropoutCounter: l.dropout.counter }));
  }

  restoreLayerStates(states: readonly LayerState[], input: LayerPrecisionState | undefined): void {
    if (states.length !== this.layers.length)
      throw new RangeError(`checkpoint has ${states.length} layers, the network ${this.layers.length}`);
    states.forEach((s, i) => {
      this.layers[i]!.precision.restore(s.precision);
      this.layers[i]!.dropout.counter = s.dropoutCounter;
    });
    if (this.inputPrecision && input) this.inputPrecision.restore(input);
  }
}

function allFinite(a: Float32Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}
