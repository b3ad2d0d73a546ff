/**
 * `lowprec train`: trains one of the paper's networks at one precision setting into a run folder
 * (@lowprec/experiments: locked, atomic and durable writes, verified checkpoints).
 */
import { join, resolve } from "node:path";
import {
  calibrationNote,
  checkVitSplits,
  compressedSchedule,
  isVitConfig,
  isVitPreset,
  resolveVitConfig,
  VIT_PRESET_NAMES,
  type RunConfig,
  dataSourceName,
  describeResult,
  IMAGE_LAYOUT_PRESETS,
  loadSplits,
  MNIST_LAYOUT_PRESETS,
  runNotes,
  runTraining,
  settleNote,
  TRAIN_EXAMPLES,
  type DataSource,
} from "@lowprec/experiments";
import {
  checkSplits,
  MAX_CALIBRATION_EPOCHS,
  MAX_EPOCHS,
  MX_MAX_BLOCK,
  NETWORK_PRESETS,
  PRECISION_PRESETS,
  resolveConfig,
  type ConfigOverrides,
  type Faithfulness,
  type PrecisionSpec,
  type Splits,
} from "@lowprec/maxout";
import { insideRoot } from "@lowprec/storage";
import { backendInfo, describeBackend } from "@lowprec/tensor";
import { unknownName, UsageError, type Args, type Command, type NumberOpts, type OptionSpecs } from "../command.js";
import { resolveDataDir } from "../paths.js";

/** The largest training split of any preset (SVHN's 598,388 examples): no batch or limit above it means anything. */
const LARGEST_SPLIT = Math.max(...Object.values(TRAIN_EXAMPLES));

/**
 * The range of every numeric option of train (and reproduce's shared ones). The epoch counts follow the library's
 * bounds (MAX_EPOCHS, MAX_CALIBRATION_EPOCHS: a typo must not become a run that never ends); widths follow the
 * configuration's ([2, 32] bits, integer bits in [-64, 64]); batch and limits stop at the largest split here and
 * are checked against the data's own split once it is loaded.
 */
export const RANGES = {
  epochs: { integer: true, min: 0, max: MAX_EPOCHS },
  batch: { integer: true, min: 1, max: LARGEST_SPLIT },
  seed: { integer: true, min: 0, max: 2 ** 32 - 1 },
  lr: { min: 0, max: 100 },
  "prop-bits": { integer: true, min: 2, max: 32 },
  "update-bits": { integer: true, min: 2, max: 32 },
  "integer-bits": { integer: true, min: -64, max: 64 },
  "calibration-epochs": { integer: true, min: 0, max: MAX_CALIBRATION_EPOCHS },
  "max-overflow-rate": { min: 0, max: 1 },
  "range-every": { integer: true, min: 1, max: 100 * LARGEST_SPLIT },
  "range-every-batches": { integer: true, min: 1, max: 100 * LARGEST_SPLIT },
  block: { integer: true, min: 1, max: MX_MAX_BLOCK },
  "train-limit": { integer: true, min: 0, max: LARGEST_SPLIT },
  "eval-limit": { integer: true, min: 0, max: LARGEST_SPLIT },
} as const satisfies Record<string, NumberOpts>;

/** Options that define a run's configuration (shared with `reproduce`, which fixes preset and precision). */
export const CONFIG_OPTIONS = {
  epochs: { type: "string", value: "N", description: "epochs, 0 to 100000 (preset: 800 / 800 / 400 / 200)" },
  batch: {
    type: "string",
    value: "N",
    description: "mini-batch size, at most a split's size (preset: 100 for pi-mnist, else 128)",
  },
  seed: { type: "string", value: "N", description: "run seed, 0 to 2^32-1 (1234)" },
  lr: {
    type: "string",
    value: "X",
    description: "initial learning rate (the final one keeps the preset's ratio, LR0/10)",
  },
  "compress-schedule": {
    type: "boolean",
    description:
      "shrink the learning-rate and momentum saturation epochs in proportion to --epochs / the paper's\n" +
      "epochs, so a short run ends where the paper's schedule ends",
  },
  "train-limit": {
    type: "string",
    value: "N",
    description: "train on the first N training examples (0: all; at most the training split's size)",
  },
  "eval-limit": {
    type: "string",
    value: "N",
    description: "evaluate on the first N validation and test examples (0: all)",
  },
} as const satisfies OptionSpecs;

const PRECISION_OPTIONS = {
  "prop-bits": {
    type: "string",
    value: "N",
    description: "propagation width, sign included (fixed 20, dfxp 10, mxint8 8; fixed, dfxp and mxint8 only)",
  },
  block: {
    type: "string",
    value: "K",
    description: "MX settings: values per shared E8M0 scale, along each product's summed axis (32)",
  },
  "update-bits": {
    type: "string",
    value: "N",
    description: "parameter-update width, sign included (fixed 20, dfxp 12; fixed and dfxp only)",
  },
  "integer-bits": {
    type: "string",
    value: "N",
    description: "fixed: radix position; dfxp: initial integer bits (5)",
  },
  "max-overflow-rate": {
    type: "string",
    value: "X",
    description: "dfxp overflow-rate rule: the largest overflow rate kept (1e-4)",
  },
  "range-every": {
    type: "string",
    value: "N",
    description: "dfxp: the scale window in examples (the paper's words: 10000)",
  },
  "range-every-batches": {
    type: "string",
    value: "N",
    description: "dfxp: the scale window in batches (the authors' code: 100, the default)",
  },
  scaling: {
    type: "string",
    value: "KIND",
    description:
      "dfxp scaling: overflow-rate (the paper's), delayed-amax (history 16), current-amax (per pass) or predictive " +
      "(history 16, 3 standard deviations)",
  },
  "calibration-epochs": {
    type: "string",
    value: "N",
    description: "dfxp: calibration epochs before the weights are reset, 0 to 100 (2)",
  },
  rounding: {
    type: "string",
    value: "MODE",
    description: "nearest-away (fixed, dfxp), nearest-even (half), toward-zero or stochastic",
  },
  switch: {
    type: "string",
    value: "k=v[,k=v]",
    description: "faithfulness switches (libs/maxout/README.md), e.g. gradientDivisor=batch",
  },
} as const satisfies OptionSpecs;

const FIXED_ONLY = ["prop-bits", "update-bits", "integer-bits"] as const;
const DFXP_ONLY = ["max-overflow-rate", "range-every", "range-every-batches", "scaling", "calibration-epochs"] as const;

/** Rejects options that the chosen precision would ignore (recording them as used would be a lie). */
function refuseIgnored(args: Args, precision: string, scaling: string | undefined): void {
  const has = (n: string) => n in args.command.options;
  const present = (names: readonly string[]) => names.filter(has);
  if (precision === "fp32")
    args.refuse(present([...FIXED_ONLY, ...DFXP_ONLY, "rounding"]), "fp32 rounds nothing; these have no effect");
  if (precision === "half" || precision === "bfloat16")
    args.refuse(
      present([...FIXED_ONLY, ...DFXP_ONLY]),
      `${precision} rounds every point to one float format; widths and scaling have no effect`,
    );
  if (precision === "fixed") args.refuse(present(DFXP_ONLY), "fixed point has one global scale that never moves");
  if (precision.startsWith("mx")) {
    const fixedWidth = precision === "mxint8" ? ["update-bits", "integer-bits"] : FIXED_ONLY;
    args.refuse(
      present([...fixedWidth, ...DFXP_ONLY]),
      `${precision} scales every block of its products from the block's own maximum; widths of its elements are` +
        " fixed (mxint8: --prop-bits sets the element width) and its parameters are stored in bfloat16",
    );
  } else args.refuse(present(["block"]), "--block is for the MX settings (mxfp8, mxfp6, mxfp4, mxint8)");
  if (precision.startsWith("fp8"))
    args.refuse(present(["calibration-epochs"]), "the scaled FP8 formats have no calibration epochs");
  if (precision === "dfxp" && scaling !== undefined && scaling !== "overflow-rate")
    args.refuse(
      present(["max-overflow-rate", "range-every", "range-every-batches"]),
      `${scaling} scaling does not use the overflow rate`,
    );
  args.refuse(
    args.has("range-every") && args.has("range-every-batches") ? ["range-every", "range-every-batches"] : [],
    "the scale window is given in examples or in batches, not both",
  );
}

/** Builds the configuration from the command line; `preset` and `precision` come from the caller. */
export function configFromArgs(args: Args, preset: string, precisionName: string, defaultEpochs?: number): RunConfig {
  const vit = isVitPreset(preset);
  if (!(preset in NETWORK_PRESETS) && !vit)
    throw new UsageError(
      `option --preset: ${unknownName("preset", preset, [...Object.keys(NETWORK_PRESETS), ...VIT_PRESET_NAMES])}`,
    );
  const base = (PRECISION_PRESETS as Record<string, PrecisionSpec>)[precisionName];
  if (!base)
    throw new UsageError(
      `option --precision: ${unknownName("precision", precisionName, Object.keys(PRECISION_PRESETS))}`,
    );
  const opt = (name: string) => name in args.command.options;
  const scalingKind = opt("scaling")
    ? args.choice("scaling", ["overflow-rate", "delayed-amax", "current-amax", "predictive"] as const)
    : undefined;
  refuseIgnored(args, precisionName, scalingKind);
  if (vit) {
    args.refuse(
      args.has("compress-schedule") ? ["compress-schedule"] : [],
      `the ${preset} schedule (a warm-up, then a linear decay to zero at the last epoch) follows --epochs already`,
    );
    args.refuse(args.has("switch") ? ["switch"] : [], "the faithfulness switches are the Maxout trainer's");
  }
  const hyper: Record<string, unknown> = {};
  const epochs = args.number("epochs", RANGES.epochs) ?? defaultEpochs;
  if (epochs !== undefined) hyper["epochs"] = epochs;
  if (args.flag("compress-schedule"))
    Object.assign(
      hyper,
      compressedSchedule(
        preset,
        (hyper["epochs"] as number | undefined) ?? NETWORK_PRESETS[preset as keyof typeof NETWORK_PRESETS].hyper.epochs,
      ),
    );
  const batch = args.number("batch", RANGES.batch);
  if (batch !== undefined) hyper["batch"] = batch;
  const seed = args.number("seed", RANGES.seed);
  if (seed !== undefined) hyper["seed"] = seed;
  const lr = args.number("lr", RANGES.lr);
  if (lr !== undefined && vit) hyper["learningRate"] = lr;
  else if (lr !== undefined) {
    // NOTE: --lr sets LR0; the final rate keeps the preset's ratio (the paper's LR0/10).
    const p = NETWORK_PRESETS[preset as keyof typeof NETWORK_PRESETS].hyper;
    hyper["learningRate"] = lr;
    hyper["learningRateFinal"] = (lr * p.learningRateFinal) / p.learningRate;
  }
  const precision: Record<string, unknown> = {};
  const faithfulness: Record<string, unknown> = {};
  if (opt("prop-bits")) {
    const put = (flag: keyof typeof RANGES, field: string) => {
      const v = args.number(flag, RANGES[flag]);
      if (v !== undefined) precision[field] = v;
    };
    put("prop-bits", "propagationBits");
    put("update-bits", "updateBits");
    put("integer-bits", "integerBits");
    put("calibration-epochs", "calibrationEpochs");
    const block = args.number("block", RANGES.block);
    if (block !== undefined) precision["scaling"] = { kind: "block-scaled", block };
    const rounding = args.string("rounding");
    if (rounding !== undefined) precision["rounding"] = rounding;
    const maxRate = args.number("max-overflow-rate", RANGES["max-overflow-rate"]);
    const every = args.number("range-every", RANGES["range-every"]);
    const everyBatches = args.number("range-every-batches", RANGES["range-every-batches"]);
    if (scalingKind === "delayed-amax") precision["scaling"] = { kind: "delayed-amax", history: 16, margin: 0 };
    else if (scalingKind === "current-amax") precision["scaling"] = { kind: "current-amax", margin: 0 };
    else if (scalingKind === "predictive")
      precision["scaling"] = { kind: "predictive", history: 16, deviations: 3, margin: 0 };
    else if (maxRate !== undefined || every !== undefined || everyBatches !== undefined) {
      const s: { maxRate: number; everyExamples?: number; everyBatches?: number } =
        base.scaling.kind === "overflow-rate" ? base.scaling : { maxRate: 1e-4, everyBatches: 100 };
      const window =
        every !== undefined
          ? { everyExamples: every }
          : everyBatches !== undefined
            ? { everyBatches }
            : s.everyBatches !== undefined
              ? { everyBatches: s.everyBatches }
              : { everyExamples: s.everyExamples };
      precision["scaling"] = { kind: "overflow-rate", maxRate: maxRate ?? s.maxRate, ...window };
    }
    const switches = args.string("switch");
    if (switches)
      for (const kv of switches.split(",")) {
        const [k, v] = kv.split("=");
        if (!k || v === undefined)
          throw new UsageError(`option --switch: expected name=value[,name=value]; got "${kv}"`);
        faithfulness[k] = v === "true" ? true : v === "false" ? false : v;
      }
  }
  if (vit)
    try {
      return resolveVitConfig(preset, base, {
        hyper,
        precision: precision as Partial<PrecisionSpec>,
        trainLimit: args.number("train-limit", RANGES["train-limit"], 0),
        evalLimit: args.number("eval-limit", RANGES["eval-limit"], 0),
      });
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  const overrides: ConfigOverrides = {
    hyper,
    precision: precision as Partial<PrecisionSpec>,
    faithfulness: faithfulness as Partial<Faithfulness>,
    trainLimit: args.number("train-limit", RANGES["train-limit"], 0),
    evalLimit: args.number("eval-limit", RANGES["eval-limit"], 0),
  };
  try {
    return resolveConfig(preset, base, overrides);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** The schemes of --dataset, as its usage errors list them. */
const DATASET_SCHEMES =
  "idx:DIR, a folder of MNIST-layout IDX files; images:DIR, a folder of train/<class>/ and test/<class>/ images";

/**
 * The --dataset option: undefined for the preset's own data, an MNIST-layout IDX folder (`idx:DIR`), which only the
 * MNIST-layout presets take, or a folder of images (`images:DIR`, torchvision's ImageFolder layout), which cifar10
 * (colour 32×32) and the MNIST-layout presets (grey 28×28) take. `--dataset-name` names either (default: from the
 * folder, see dataSourceName).
 */
export function dataSourceFromArgs(args: Args, preset: string): DataSource | undefined {
  const spec = args.string("dataset");
  const name = args.string("dataset-name");
  if (spec === undefined) {
    if (name !== undefined)
      throw new UsageError(
        "option --dataset-name names an idx: or images: data set: give --dataset idx:DIR or --dataset images:DIR",
      );
    return undefined;
  }
  const colon = spec.indexOf(":");
  const scheme = colon > 0 ? spec.slice(0, colon) : "";
  if (scheme !== "idx" && scheme !== "images")
    throw new UsageError(
      `option --dataset: ${scheme ? `unknown scheme "${scheme}:"` : "no scheme"} in "${spec}"` +
        ` (known: ${DATASET_SCHEMES})`,
    );
  const dir = spec.slice(colon + 1);
  const example = scheme === "idx" ? "idx:data/raw/fashion-mnist" : "images:data/raw/cifar10-jpeg";
  if (dir === "") throw new UsageError(`option --dataset: "${scheme}:" needs a folder, e.g. ${example}`);
  if (scheme === "idx" && !MNIST_LAYOUT_PRESETS.includes(preset))
    throw new UsageError(
      `option --dataset: an idx: data set (grey 28×28 images) feeds --preset ${MNIST_LAYOUT_PRESETS.join(" or ")}` +
        `; the ${preset} preset trains on its own data`,
    );
  if (scheme === "images" && !(preset in IMAGE_LAYOUT_PRESETS))
    throw new UsageError(
      "option --dataset: an images: data set feeds --preset cifar10 or vit-cifar10 (colour 32×32 images) or " +
        `${MNIST_LAYOUT_PRESETS.join(", ")} (grey 28×28 images); the ${preset} preset trains on its own data`,
    );
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new UsageError(`option --dataset-name: "${name}" is not a name (letters, digits, ".", "_", "-")`);
  return { kind: scheme, dir: resolve(dir), ...(name !== undefined ? { name } : {}) };
}

/**
 * --train-limit and --eval-limit against the data loaded: a limit above a split's size trains on the whole split
 * while the run's record says otherwise, so it is refused, naming the size.
 */
function checkLimits(args: Args, config: RunConfig, data: Splits): void {
  const train = data.train.count;
  if (config.trainLimit > train)
    throw new UsageError(
      `option --train-limit: ${config.trainLimit} is more than the ${train} examples of the training split`,
    );
  const evalMax = Math.max(data.valid.count, data.test.count);
  if (config.evalLimit > evalMax)
    throw new UsageError(
      `option --eval-limit: ${config.evalLimit} is more than the validation (${data.valid.count}) and test ` +
        `(${data.test.count}) splits hold`,
    );
  try {
    if (isVitConfig(config)) checkVitSplits(config, data);
    else checkSplits(config, data);
  } catch (e) {
    const opt = args.has("batch") ? "option --batch: " : "";
    throw new UsageError(`${opt}${e instanceof Error ? e.message : String(e)}`);
  }
}

/** One line on the compute backend. */
export function backendLine(): string {
  const info = backendInfo();
  const reason = info.reason ? ` — ${info.reason}` : "";
  return `backend: ${describeBackend(info)}${reason}`;
}

export const command: Command = {
  name: "train",
  summary: "train a paper network at one precision setting (fp32, half, fixed, dfxp)",
  synopsis: "[--preset P] [--precision P] [options]",
  description:
    "Trains a Maxout network of the paper at one precision setting into a run folder (config.json,\n" +
    "metrics.csv/json, scales/, checkpoint.bin, summary.json, and data.json: the data's files with SHA-256, split\n" +
    "and preprocessing). A folder that holds a run is refused unless --resume (continue it from its checkpoint, on\n" +
    "the same data) or --force (delete it and start over) is given. --dataset idx:DIR trains an MNIST preset on\n" +
    "another MNIST-layout data set (Fashion-MNIST, KMNIST, ...); --dataset images:DIR trains cifar10 or an MNIST\n" +
    "preset on a folder of images (train/<class>/*, test/<class>/*: .png, .jpg, .jpeg).",
  options: {
    preset: {
      type: "string",
      value: "P",
      description: "pi-mnist (default), mnist-conv, cifar10, svhn; vision Transformers: vit-mnist, vit-cifar10",
    },
    dataset: {
      type: "string",
      value: "idx:DIR|images:DIR",
      description:
        "idx:DIR: train pi-mnist, mnist-conv or vit-mnist on another MNIST-layout data set\n" +
        "(Fashion-MNIST, KMNIST, ...): a folder of train-images-idx3-ubyte,\n" +
        "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (plain\n" +
        "or .gz), split as MNIST (the last 10 000 training images validate).\n" +
        "images:DIR: a folder of images, DIR/train/<class>/* and DIR/test/<class>/* (.png,\n" +
        ".jpg, .jpeg; classes = the folders, sorted), as torchvision's ImageFolder: cifar10\n" +
        "takes colour 32×32 images (GCN + ZCA, the last 5 000 validate), pi-mnist, vit-mnist and\n" +
        "mnist-conv grey 28×28 ones (pixels / 255, the last 10 000 validate); the training\n" +
        "images (before the split) and the test images (so that --eval-limit takes a mix of\n" +
        "classes) are each put in a fixed pseudo-random order (seed 0)",
    },
    "dataset-name": {
      type: "string",
      value: "NAME",
      description: "the name recorded for an idx: or images: data set (default: the folder's, e.g. fashion-mnist)",
    },
    precision: {
      type: "string",
      value: "P",
      description:
        "fp32 (default), half, fixed, dfxp; beyond the paper: bfloat16, fp8e4m3, fp8e5m2, mxfp8, mxfp6, mxfp4, mxint8",
    },
    ...CONFIG_OPTIONS,
    ...PRECISION_OPTIONS,
    out: { type: "string", value: "DIR", description: "run folder (default <data root>/runs/<preset>-<precision>)" },
    "data-dir": {
      type: "string",
      value: "DIR",
      description: "data root: datasets in DIR/raw, runs in DIR/runs ($LOWPREC_DATA, else the repository's data/)",
    },
    resume: { type: "boolean", description: "continue the run in the folder from its checkpoint" },
    "allow-other-code": {
      type: "boolean",
      description: "with --resume: continue a run made by other code (another code fingerprint), with a warning",
    },
    force: { type: "boolean", description: "delete the run in the folder, then start a new one" },
  },
  async run(args) {
    if (args.flag("resume") && args.flag("force")) throw new UsageError("--resume and --force exclude each other");
    if (args.flag("allow-other-code") && !args.flag("resume"))
      throw new UsageError("--allow-other-code: only with --resume (it lets other code continue a run)");
    const config = configFromArgs(args, args.string("preset", "pi-mnist"), args.string("precision", "fp32"));
    const source = dataSourceFromArgs(args, config.preset);
    const dataName = source ? dataSourceName(source) : undefined;
    const dataDir = resolveDataDir(args.string("data-dir"));
    const folderName = [config.preset, ...(dataName ? [dataName] : []), config.precision.name].join("-");
    const out = args.string("out");
    if (out === "") throw new UsageError("option --out: empty; give a folder (or leave the option out)");
    // NOTE: the default folder is built from names; it stays under <data root>/runs whatever they hold.
    const dir = out !== undefined ? resolve(out) : insideRoot(join(dataDir, "runs"), folderName);
    console.log(backendLine());
    const h = config.hyper;
    const calibration = calibrationNote(config);
    console.log(
      `run: ${config.preset} ${config.precision.name}, ${h.epochs} epoch${h.epochs === 1 ? "" : "s"}, ` +
        `batch ${h.batch}, seed ${h.seed}${calibration ? `; ${calibration}` : ""}`,
    );
    if (source) console.log(`data: ${dataName} (${source.kind === "idx" ? "IDX files" : "images"} in ${source.dir})`);
    console.log(`run folder: ${dir}`);
    const data = loadSplits(config.preset, dataDir, console.log, source);
    checkLimits(args, config, data);
    const trainCount = config.trainLimit > 0 ? Math.min(config.trainLimit, data.train.count) : data.train.count;
    const settle = settleNote(config, trainCount);
    if (settle) console.log(settle);
    const mode = args.flag("resume") ? "resume" : args.flag("force") ? "force" : "new";
    const { summary: s } = runTraining(config, data, {
      dir,
      mode,
      command: ["lowprec", "train", ...args.argv],
      allowOtherCode: args.flag("allow-other-code"),
    });
    const notes = runNotes(config, trainCount);
    console.log(`done: ${describeResult(s)}${notes.map((n) => `; ${n}`).join("")}`);
    return 0;
  },
};
