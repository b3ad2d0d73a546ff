/**
 * A run's configuration: network + hyper-parameters (a preset, overridable), precision policy, and the
 * faithfulness switches. `resolveConfig` merges and validates; the result is plain JSON (written to the
 * run folder and compared on resume).
 */
import {
  BEYOND_PAPER_FLOATS,
  calibrationEpochsFor,
  GROUPS,
  hasScaleKind,
  isMxFormat,
  MAX_CALIBRATION_EPOCHS,
  PRECISION_PRESETS,
  PrecisionSpecError,
  usesDynamicFixed,
  validatePrecisionSpec,
  type PrecisionPresetName,
  type PrecisionSpec,
} from "@lowprec/precision";
import { NETWORK_PRESETS, type HyperParameters, type NetworkPresetName, type NetworkSpec } from "./presets.js";

/**
 * Where the authors' code differs from textbook practice. Every default is the authors' behaviour
 * (faithful); README.md lists what each changes.
 */
export interface Faithfulness {
  /** top gradient (p − t)/n_classes summed over the batch (`classes`), or the textbook batch mean (`batch`) */
  readonly gradientDivisor: "classes" | "batch";
  /**
   * conv max-norm over axis 0 of (filters·pieces, in, kh, kw), across filters (`filters`), or per filter
   * (`per-filter`)
   */
  readonly convMaxNormAxis: "filters" | "per-filter";
  /** rescale every column by min(‖w‖, c)/(1e-7 + ‖w‖) (`always`), or only columns above c by c/‖w‖ (`above-limit`) */
  readonly maxNormRescale: "always" | "above-limit";
  /** softmax weights start at zero (`zeros`) or uniform like the maxout layers (`uniform`) */
  readonly softmaxInit: "zeros" | "uniform";
  /** round the raw input of layer 0 with Q_p (the authors never do) */
  readonly roundInput: boolean;
  /** max gradients (maxout pieces, pooling windows) go to every tied maximum (`all`) or the first (`first`) */
  readonly ties: "all" | "first";
  /** drop the partial last batch in training and evaluation (the authors: floor(N / batch) batches) */
  readonly dropPartialBatches: boolean;
  /** at test time scale the biases by the layer's scale too, as the weights (the authors: yes) */
  readonly scaleBiasAtTest: boolean;
  /** keep the momentum buffers of the DFXP calibration epochs when the weights are reset (the authors: yes) */
  readonly keepMomentumAfterCalibration: boolean;
  /** the untrained network's validation error (epoch 0) competes for "best epoch" (the authors: yes) */
  readonly selectFromEpochZero: boolean;
  // The three switches below are recorded only in the configurations they can change (see CONDITIONAL_SWITCHES).
  // NOTE: absent from a configuration written before they existed, they read as the rule that run used
  // (`continuous`, `whole`, `exact`), so a stored run keeps its meaning.
  /**
   * when the overflow-rate scales update: the authors' counter of batches that restarts every epoch while the
   * overflow sums carry over, so the first window of an epoch divides the carried sums by its own batch count
   * (`per-epoch`), or a count of examples (or batches) across epochs, the sums averaged over the window
   * (`continuous`)
   */
  readonly scaleWindow?: "per-epoch" | "continuous";
  /**
   * with `hyper.shuffle = "batches"` (SVHN): the authors' order, batches shuffled within chunks of 79 batches (the
   * chunks they held on the GPU), the chunks shuffled, the remainder chunk last, calibration epochs shuffled too
   * (`chunks`), or one permutation of all batches with the calibration epochs in data order (`whole`)
   */
  readonly batchOrder?: "chunks" | "whole";
  /**
   * conv initialisation's fan_out = maps·k²/pool²: with Python 2's integer division as the authors' code computes
   * it (`integer`, e.g. 177 for CIFAR-10's first layer) or exact (`exact`, 177.8)
   */
  readonly convFanOut?: "integer" | "exact";
}

export const FAITHFUL: Faithfulness = Object.freeze({
  gradientDivisor: "classes",
  convMaxNormAxis: "filters",
  maxNormRescale: "always",
  softmaxInit: "zeros",
  roundInput: false,
  ties: "all",
  dropPartialBatches: true,
  scaleBiasAtTest: true,
  keepMomentumAfterCalibration: true,
  selectFromEpochZero: true,
  scaleWindow: "per-epoch",
  batchOrder: "chunks",
  convFanOut: "integer",
});

/** The values each switch accepts (the first is the authors'). */
export const SWITCH_VALUES: { readonly [K in keyof Faithfulness]-?: readonly NonNullable<Faithfulness[K]>[] } = {
  gradientDivisor: ["classes", "batch"],
  convMaxNormAxis: ["filters", "per-filter"],
  maxNormRescale: ["always", "above-limit"],
  softmaxInit: ["zeros", "uniform"],
  roundInput: [false, true],
  ties: ["all", "first"],
  dropPartialBatches: [true, false],
  scaleBiasAtTest: [true, false],
  keepMomentumAfterCalibration: [true, false],
  selectFromEpochZero: [true, false],
  scaleWindow: ["per-epoch", "continuous"],
  batchOrder: ["chunks", "whole"],
  convFanOut: ["integer", "exact"],
};

/** The switches that only some runs can feel, and which runs: a switch is recorded only where it can act. */
export const CONDITIONAL_SWITCHES: {
  readonly [K in "scaleWindow" | "batchOrder" | "convFanOut"]: {
    readonly appliesTo: (c: Omit<TrainConfig, "faithfulness">) => boolean;
    /** why it cannot act, for the error when it is given anyway */
    readonly otherwise: string;
  };
} = {
  scaleWindow: {
    appliesTo: (c) => hasOverflowRateScale(c.precision, c.network.layers.length),
    otherwise: "no group of this precision has an overflow-rate scale",
  },
  batchOrder: {
    appliesTo: (c) => c.hyper.shuffle === "batches",
    otherwise: 'hyper.shuffle is not "batches" (only SVHN shuffles whole batches)',
  },
  convFanOut: {
    appliesTo: (c) => c.network.layers.some((l) => l.kind === "maxout-conv" && !Number.isInteger(convFanOut(l))),
    otherwise: "no conv layer of this network has a fractional fan-out (maps·kernel²/pool²)",
  },
};

/** A conv layer's exact fan-out for the initialisation: maps·kernel²/poolSize². */
export function convFanOut(l: { readonly maps: number; readonly kernel: number; readonly poolSize: number }): number {
  return (l.maps * l.kernel * l.kernel) / (l.poolSize * l.poolSize);
}

export { usesDynamicFixed };

/** The calibration epochs a run will train: a run of 0 epochs trains nothing, so it has none either. */
export function calibrationEpochsOf(c: TrainConfig): number {
  return calibrationEpochsFor(c.precision, c.hyper.epochs);
}

/** Whether some group of some layer (or the input, which never scales) moves by the overflow-rate rule. */
export function hasOverflowRateScale(p: PrecisionSpec, layers: number): boolean {
  return hasScaleKind(p, layers, "overflow-rate");
}

// NOTE: the policy's query, shared with the ViT (which passes its attention groups too)
export { hasScaleKind };

/** The fully resolved configuration of a run. */
export interface TrainConfig {
  readonly preset: string;
  readonly network: NetworkSpec;
  readonly hyper: HyperParameters;
  readonly precision: PrecisionSpec;
  readonly faithfulness: Faithfulness;
  /** train on the first N training examples only (0 = all), for short runs and tests */
  readonly trainLimit: number;
  /** evaluate on the first N validation / test examples only (0 = all) */
  readonly evalLimit: number;
}

export interface ConfigOverrides {
  readonly hyper?: Partial<HyperParameters>;
  readonly precision?: Partial<PrecisionSpec>;
  readonly faithfulness?: Partial<Faithfulness>;
  readonly network?: NetworkSpec;
  readonly trainLimit?: number;
  readonly evalLimit?: number;
}

/**
 * The longest run a configuration may ask for: the paper's longest is 800 epochs, so 100,000 is far beyond any
 * real run yet catches a typo (`1e9`, an unparsed big number) before it becomes a run that never ends.
 */
export const MAX_EPOCHS = 100_000;
export { MAX_CALIBRATION_EPOCHS };

/** A bad configuration: names the field and the value. */
export class ConfigError extends RangeError {
  override readonly name = "ConfigError";
}

function need(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) throw new ConfigError(`invalid config ${field}: expected ${expected}, got ${JSON.stringify(value)}`);
}

const isInt = (v: unknown, min: number): boolean => typeof v === "number" && Number.isInteger(v) && v >= min;
const isNum = (v: unknown, min: number, max = Infinity): boolean =>
  typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;

/** Merges a preset with overrides and validates every field. */
export function resolveConfig(
  preset: NetworkPresetName | string,
  precision: PrecisionPresetName | PrecisionSpec,
  overrides: ConfigOverrides = {},
): TrainConfig {
  const p = (NETWORK_PRESETS as Record<string, (typeof NETWORK_PRESETS)[NetworkPresetName]>)[preset];
  if (!p)
    throw new ConfigError(`unknown network preset "${preset}" (known: ${Object.keys(NETWORK_PRESETS).join(", ")})`);
  const base =
    typeof precision === "string" ? (PRECISION_PRESETS as Record<string, PrecisionSpec>)[precision] : precision;
  if (!base)
    throw new ConfigError(
      `unknown precision preset "${String(precision)}" (known: ${Object.keys(PRECISION_PRESETS).join(", ")})`,
    );
  const rest = {
    preset,
    network: overrides.network ?? p.network,
    hyper: { ...p.hyper, ...overrides.hyper },
    precision: { ...base, ...overrides.precision },
  };
  const faithfulness: Record<string, unknown> = { ...FAITHFUL, ...overrides.faithfulness };
  for (const [name, rule] of Object.entries(CONDITIONAL_SWITCHES)) {
    // NOTE: an invalid precision or network may make the test throw; the switch then stays and validateConfig
    // names the bad field.
    let applies = true;
    try {
      applies = rule.appliesTo({ ...rest, trainLimit: 0, evalLimit: 0 });
    } catch {}
    if (!applies && overrides.faithfulness?.[name as keyof Faithfulness] === undefined) delete faithfulness[name];
  }
  const config: TrainConfig = {
    ...rest,
    faithfulness: faithfulness as unknown as Faithfulness,
    trainLimit: overrides.trainLimit ?? 0,
    evalLimit: overrides.evalLimit ?? 0,
  };
  validateConfig(config);
  return JSON.parse(JSON.stringify(config)) as TrainConfig;
}

/** Throws a ConfigError naming the first bad field. */
export function validateConfig(c: TrainConfig): void {
  const h = c.hyper;
  need(isInt(h.epochs, 0) && h.epochs <= MAX_EPOCHS, "hyper.epochs", h.epochs, `an integer in [0, ${MAX_EPOCHS}]`);
  need(isInt(h.batch, 1), "hyper.batch", h.batch, "an integer ≥ 1");
  need(isNum(h.learningRate, 0), "hyper.learningRate", h.learningRate, "a number ≥ 0");
  need(isNum(h.learningRateFinal, 0), "hyper.learningRateFinal", h.learningRateFinal, "a number ≥ 0");
  need(
    isInt(h.learningRateSaturationEpochs, 0),
    "hyper.learningRateSaturationEpochs",
    h.learningRateSaturationEpochs,
    "an integer ≥ 0",
  );
  need(isNum(h.momentum, 0, 1), "hyper.momentum", h.momentum, "a number in [0, 1]");
  need(isNum(h.momentumFinal, 0, 1), "hyper.momentumFinal", h.momentumFinal, "a number in [0, 1]");
  need(
    isInt(h.momentumSaturationEpochs, 0),
    "hyper.momentumSaturationEpochs",
    h.momentumSaturationEpochs,
    "an integer ≥ 0",
  );
  need(isInt(h.seed, 0) && h.seed < 2 ** 32, "hyper.seed", h.seed, "an integer in [0, 2^32)");
  need(h.shuffle === "examples" || h.shuffle === "batches", "hyper.shuffle", h.shuffle, `"examples" or "batches"`);
  need(isInt(c.trainLimit, 0), "trainLimit", c.trainLimit, "an integer ≥ 0");
  need(isInt(c.evalLimit, 0), "evalLimit", c.evalLimit, "an integer ≥ 0");
  validatePrecision(c.precision, "precision");
  c.precision.overrides.forEach((o, i) => {
    const where = `precision.overrides[${i}]`;
    if (o.group !== undefined)
      need((GROUPS as readonly string[]).includes(o.group), `${where}.group`, o.group, `one of ${GROUPS.join(", ")}`);
    if (o.layer !== undefined)
      need(
        isInt(o.layer, 0) && o.layer < c.network.layers.length,
        `${where}.layer`,
        o.layer,
        `a layer index < ${c.network.layers.length}`,
      );
    validatePrecision({ ...c.precision, ...o }, where);
  });
  // NOTE: the trainer calibrates only when some group is dynamic fixed point (METHOD.md §2.3); a float format
  // beyond the paper must not claim a calibration that would not run.
  const p = c.precision;
  if (
    (BEYOND_PAPER_FLOATS.includes(p.format) || isMxFormat(p.format)) &&
    !p.overrides.some((o) => o.format === "dynamic-fixed")
  )
    need(
      p.calibrationEpochs === 0,
      "precision.calibrationEpochs",
      p.calibrationEpochs,
      `0 with format "${p.format}" (only dynamic fixed point calibrates; scaled float groups start at integerBits)`,
    );
  const n = c.network;
  need(
    Array.isArray(n.input) && n.input.length === 3 && n.input.every((v) => isInt(v, 1)),
    "network.input",
    n.input,
    "[channels, height, width] of positive integers",
  );
  need(
    n.layers.length >= 1 && n.layers[n.layers.length - 1]!.kind === "softmax",
    "network.layers",
    n.layers.map((l) => l.kind),
    "layers ending with a softmax",
  );
  n.layers.forEach((l, i) => {
    const w = `network.layers[${i}]`;
    need(isNum(l.keepProb, 0, 1) && l.keepProb > 0, `${w}.keepProb`, l.keepProb, "a number in (0, 1]");
    need(isNum(l.testScale, 0), `${w}.testScale`, l.testScale, "a number ≥ 0");
    need(isNum(l.maxNorm, 0) && l.maxNorm > 0, `${w}.maxNorm`, l.maxNorm, "a number > 0");
    need(isNum(l.lrScale, 0), `${w}.lrScale`, l.lrScale, "a number ≥ 0");
    if (l.kind === "softmax") {
      need(i === n.layers.length - 1, `${w}.kind`, l.kind, "softmax only as the last layer");
      need(isInt(l.classes, 2), `${w}.classes`, l.classes, "an integer ≥ 2");
    }
    if (l.kind === "maxout-dense") {
      need(isInt(l.units, 1), `${w}.units`, l.units, "an integer ≥ 1");
      need(isInt(l.pieces, 1), `${w}.pieces`, l.pieces, "an integer ≥ 1");
    }
    if (l.kind === "maxout-conv") {
      need(isInt(l.maps, 1), `${w}.maps`, l.maps, "an integer ≥ 1");
      need(isInt(l.pieces, 1), `${w}.pieces`, l.pieces, "an integer ≥ 1");
      need(isInt(l.kernel, 1), `${w}.kernel`, l.kernel, "an integer ≥ 1");
      need(isInt(l.padding, 0), `${w}.padding`, l.padding, "an integer ≥ 0");
      need(isInt(l.poolSize, 1), `${w}.poolSize`, l.poolSize, "an integer ≥ 1");
      need(isInt(l.poolStride, 1), `${w}.poolStride`, l.poolStride, "an integer ≥ 1");
      need(
        n.layers.slice(0, i).every((q) => q.kind === "maxout-conv"),
        `${w}.kind`,
        l.kind,
        "conv layers only before dense layers",
      );
    }
  });
  for (const [k, v] of Object.entries(c.faithfulness)) {
    const allowed = SWITCH_VALUES[k as keyof Faithfulness];
    need(allowed !== undefined, `faithfulness.${k}`, k, `one of the switches ${Object.keys(SWITCH_VALUES).join(", ")}`);
    need(
      (allowed as readonly unknown[]).includes(v),
      `faithfulness.${k}`,
      v,
      allowed.map((a) => JSON.stringify(a)).join(" or "),
    );
    const rule = CONDITIONAL_SWITCHES[k as keyof typeof CONDITIONAL_SWITCHES];
    if (rule && !rule.appliesTo(c))
      throw new ConfigError(`invalid config faithfulness.${k}: ${JSON.stringify(v)} has no effect: ${rule.otherwise}`);
  }
}

function validatePrecision(p: PrecisionSpec, where: string): void {
  try {
    validatePrecisionSpec(p, where);
  } catch (e) {
    throw e instanceof PrecisionSpecError ? new ConfigError(e.message) : e;
  }
}
