/**
 * A first look at the question of issue 26, before the ViT is an experiment of the result store: the ViT trained
 * at several precision settings with several seeds on a subset of MNIST, test error per setting with its mean and
 * 95 % t-interval over seeds. Nothing is stored; the output is the evidence, with its conditions printed.
 *
 *   npx tsx bench/formats.ts [--train N] [--epochs E] [--seeds K] [--window B] [--settings fp32,half,dfxp]
 *
 * A setting is a preset name, optionally with its propagation width: `dfxp@6` is dynamic fixed point 6/12.
 * The scale window is shortened with the subset (default 20 batches) so that dynamic fixed point's calibration
 * closes enough windows (METHOD.md §9).
 */
import { loadMnist } from "@lowprec/datasets";
import { PRECISION_PRESETS, type PrecisionPresetName, type PrecisionSpec } from "@lowprec/precision";
import { getBackend } from "@lowprec/tensor";
import { trainVit, VIT_MNIST, VIT_MNIST_HYPER } from "../src/index.js";

const argv = process.argv.slice(2);
const known = ["--train", "--epochs", "--seeds", "--window", "--settings"];
for (let i = 0; i < argv.length; i += 2)
  if (!known.includes(argv[i]!)) {
    console.error(`bench/formats.ts: unknown option ${argv[i]} (known: ${known.join(", ")})`);
    process.exit(2);
  }
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : argv[i + 1]!;
};
const train = Number(opt("--train", "10000")),
  epochs = Number(opt("--epochs", "3")),
  seeds = Number(opt("--seeds", "3")),
  window = Number(opt("--window", "20"));
const settings = opt("--settings", "fp32,half,dfxp").split(",");
/** A preset by name, `name@bits` with its propagation width replaced. */
function precisionOf(s: string): PrecisionSpec {
  const [name, bits] = s.split("@") as [string, string | undefined];
  if (!(name in PRECISION_PRESETS)) {
    console.error(`bench/formats.ts: --settings: unknown setting ${name}`);
    process.exit(2);
  }
  const preset = PRECISION_PRESETS[name as PrecisionPresetName];
  // the window of the overflow-rate rule, in batches (--window)
  const p: PrecisionSpec =
    preset.scaling.kind === "overflow-rate"
      ? { ...preset, scaling: { kind: "overflow-rate", maxRate: preset.scaling.maxRate, everyBatches: window } }
      : preset;
  if (bits === undefined) return p;
  const b = Number(bits);
  if (!Number.isInteger(b) || b < 2 || b > 32) {
    console.error(`bench/formats.ts: --settings: ${s}: the width must be an integer from 2 to 32`);
    process.exit(2);
  }
  return { ...p, name: s, propagationBits: b };
}
const specs = settings.map(precisionOf);

/** Two-sided 95 % Student t quantiles by degrees of freedom (1 to 10). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

const mnist = loadMnist();
const data = {
  images: mnist.train.images.subarray(0, train * 784),
  labels: mnist.train.labels.subarray(0, train),
  count: train,
};
const kernels = getBackend();
const hyper = { ...VIT_MNIST_HYPER, epochs };
console.log(
  `vit-mnist on the first ${train} MNIST training images, ${epochs} epochs (dfxp: + 2 calibration epochs), ` +
    `batch ${hyper.batch}, lr ${hyper.learningRate}, scale window ${window} batches; test error on the 10,000 ` +
    `test images; seeds 1234..${1233 + seeds}`,
);
settings.forEach((s, i) => {
  const errors: number[] = [];
  for (let k = 0; k < seeds; k++) {
    const r = trainVit({
      spec: VIT_MNIST,
      hyper,
      precision: specs[i]!,
      seed: 1234 + k,
      kernels,
      train: data,
      test: mnist.test,
    });
    errors.push(r.testError!);
  }
  const n = errors.length,
    mean = errors.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : Number.NaN;
  const half = n > 1 && n <= 11 ? (T95[n - 2]! * sd) / Math.sqrt(n) : Number.NaN;
  console.log(
    `${s.padEnd(6)} ${mean.toFixed(2)} % [${(mean - half).toFixed(2)}, ${(mean + half).toFixed(2)}], n = ${n}: ` +
      errors.map((e) => e.toFixed(2)).join(", "),
  );
});
