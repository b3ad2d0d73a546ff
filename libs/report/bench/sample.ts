// Renders every figure from plausible synthetic rows into /tmp/report-sample/ (SVG and PNG) and the Table 2
// Markdown, to look at: `npx tsx bench/sample.ts [outDir]`. The numbers are made up, shaped like the paper's.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CostErrorPoint,
  costErrorSpec,
  FIGURE_KINDS,
  figureSpec,
  type PaperTable2,
  paretoFront,
  type ResultRow,
  type ScaleRow,
  summarize,
  table2Markdown,
  telemetrySpec,
  toPng,
  toSvg,
  type VegaLiteSpec,
} from "../src/index.ts";

const out = process.argv[2] ?? "/tmp/report-sample";
mkdirSync(out, { recursive: true });

/** A small deterministic generator (mulberry32), so the sample is the same at every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(7);
const noise = (sd: number) => (rand() + rand() + rand() - 1.5) * sd * 2;

const BASE: Record<string, number> = { "pi-mnist": 1.05, "mnist-conv": 0.51, cifar10: 14.05, svhn: 2.71 };
const DATASETS = Object.keys(BASE);
/** How much more a dataset suffers from low precision than PI MNIST (made up). */
const SENSITIVITY: Record<string, number> = { "pi-mnist": 1, "mnist-conv": 1.3, cifar10: 0.6, svhn: 1.8 };

function row(p: Partial<ResultRow> & Pick<ResultRow, "experiment" | "dataset" | "format" | "seed">): ResultRow {
  const base = BASE[p.dataset]!;
  const normalized = p.normalizedError ?? 1;
  const testError = base * normalized;
  return {
    variant: "paper",
    runId: `${p.experiment}-${p.dataset}-${p.seed}`,
    setting: p.format,
    propagationBits: 32,
    updateBits: 32,
    integerBits: Number.NaN,
    maxOverflowRate: Number.NaN,
    rounding: "nearest",
    scaling: "none",
    epochs: 50,
    trainLimit: 0,
    status: "done",
    bestEpoch: 40,
    validError: testError * 0.95,
    testError,
    baselineTestError: base,
    seconds: 3600,
    commit: "0123456789abcdef0123456789abcdef01234567",
    testExamples: 10000,
    epochsDone: 50,
    data: "",
    ...p,
    normalizedError: normalized,
  };
}

const rows: ResultRow[] = [];
// Radix point: error explodes below 3 integer bits (overflow) and grows above 8 (precision), knee at 5.
for (const dataset of DATASETS)
  for (let ib = 1; ib <= 10; ib++)
    for (const seed of [1, 2, 3]) {
      const k = SENSITIVITY[dataset]!;
      const e = 1 + k * (0.75 * Math.max(0, 4 - ib) ** 1.6 + 0.04 * Math.max(0, ib - 6) ** 2) + noise(0.03);
      rows.push(
        row({
          experiment: "radix-point",
          dataset,
          format: "fixed",
          seed,
          integerBits: ib,
          propagationBits: 20,
          updateBits: 20,
          normalizedError: e,
        }),
      );
    }
// Propagation width: fixed degrades below 20 bits, dynamic fixed below 10.
for (const dataset of DATASETS)
  for (const format of ["fixed", "dynamic-fixed"])
    for (const bits of format === "fixed" ? [12, 14, 16, 18, 20, 24, 28, 32] : [6, 8, 10, 12, 14, 16])
      for (const seed of [1, 2]) {
        const knee = format === "fixed" ? 20 : 10;
        const e = 1 + SENSITIVITY[dataset]! * 0.25 * Math.max(0, knee - bits) ** 1.3 + noise(0.03);
        rows.push(
          row({
            experiment: "prop-bits",
            dataset,
            format,
            seed,
            propagationBits: bits,
            updateBits: format === "fixed" ? 20 : 12,
            normalizedError: e,
          }),
        );
      }
// Update width: fixed degrades below 20 bits, dynamic fixed below 12; one seed only.
for (const dataset of DATASETS)
  for (const format of ["fixed", "dynamic-fixed"])
    for (const bits of format === "fixed" ? [14, 16, 18, 20, 22, 24, 28] : [8, 10, 12, 14, 16, 20]) {
      const knee = format === "fixed" ? 20 : 12;
      const e = 1 + SENSITIVITY[dataset]! * 0.35 * Math.max(0, knee - bits) ** 1.2 + noise(0.02);
      rows.push(
        row({
          experiment: "update-bits",
          dataset,
          format,
          seed: 1,
          propagationBits: format === "fixed" ? 20 : 10,
          updateBits: bits,
          normalizedError: e,
        }),
      );
    }
// Overflow rate on PI MNIST: fine up to 1e-4, then worse; narrower widths are worse throughout.
for (const bits of [8, 10, 12])
  for (const rate of [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
    for (const seed of [1, 2, 3]) {
      const e = 1 + 0.05 * (12 - bits) + 0.6 * Math.max(0, Math.log10(rate) + 4) ** 1.5 + noise(0.02);
      rows.push(
        row({
          experiment: "overflow-rate",
          dataset: "pi-mnist",
          format: "dynamic-fixed",
          seed,
          propagationBits: bits,
          updateBits: 12,
          maxOverflowRate: rate,
          scaling: "overflow-rate",
          normalizedError: e,
        }),
      );
    }
// One run not done, to show in the subtitle.
rows.push({
  ...row({ experiment: "overflow-rate", dataset: "svhn", format: "dynamic-fixed", seed: 1 }),
  status: "not run: data missing (run `lowprec fetch-data`)",
  testError: Number.NaN,
  normalizedError: Number.NaN,
});

// Table 2.
const settings: [string, string, number, number][] = [
  ["fp32", "float32", 32, 32],
  ["half", "binary16", 16, 16],
  ["fixed", "fixed", 20, 20],
  ["dfxp", "dynamic-fixed", 10, 12],
];
const factor: Record<string, number> = { fp32: 1, half: 1.03, fixed: 1.2, dfxp: 1.12 };
for (const [setting, format, p, u] of settings)
  for (const dataset of DATASETS) {
    if (dataset === "cifar10" && setting === "dfxp") continue; // a missing cell
    for (const seed of dataset === "pi-mnist" ? [1, 2, 3] : [1]) {
      const normalizedError = factor[setting]! + noise(0.03);
      rows.push({
        ...row({ experiment: "table2", dataset, format, seed, normalizedError }),
        setting,
        propagationBits: p,
        updateBits: u,
      });
    }
  }
const paper: PaperTable2 = {
  title: "Table 2 of Courbariaux, David & Bengio (2015)",
  provenance: "arXiv 1412.7024v5, Table 2",
  rows: [
    {
      setting: "goodfellow",
      label: "Goodfellow et al. (2013a)",
      propagationBits: 32,
      updateBits: 32,
      values: { "pi-mnist": 0.94, "mnist-conv": 0.45, cifar10: 11.68, svhn: 2.47 },
    },
    {
      setting: "fp32",
      label: "Single precision floating point",
      propagationBits: 32,
      updateBits: 32,
      values: { "pi-mnist": 1.05, "mnist-conv": 0.51, cifar10: 14.05, svhn: 2.71 },
    },
    {
      setting: "half",
      label: "Half precision floating point",
      propagationBits: 16,
      updateBits: 16,
      values: { "pi-mnist": 1.1, "mnist-conv": 0.51, cifar10: 14.14, svhn: 3.02 },
    },
    {
      setting: "fixed",
      label: "Fixed point",
      propagationBits: 20,
      updateBits: 20,
      values: { "pi-mnist": 1.39, "mnist-conv": 0.57, cifar10: 15.98, svhn: 2.97 },
    },
    {
      setting: "dfxp",
      label: "Dynamic fixed point",
      propagationBits: 10,
      updateBits: 12,
      values: { "pi-mnist": 1.28, "mnist-conv": 0.59, cifar10: 14.82, svhn: 4.95 },
    },
  ],
};
writeFileSync(join(out, "table2.md"), table2Markdown(rows, paper));

// Telemetry of one dfxp run: 3 layers × 4 groups, 10 epochs of 500 batches of 100 examples.
const scales: ScaleRow[] = [];
const groups = ["weights", "biases", "activations", "gradients"];
for (let layer = 0; layer < 3; layer++)
  groups.forEach((group, g) => {
    let ib = 5;
    for (let epoch = 0; epoch < 10; epoch++)
      for (let batch = 0; batch < 500; batch += 5) {
        const examples = (epoch * 500 + batch) * 100;
        const target = 2 + g + layer - (group === "gradients" ? 8 : 0);
        const rate = Math.max(0, (target - ib) * 2e-4 + noise(1e-4));
        if (examples % 10_000 === 0 && examples > 0) ib += rate > 1e-4 ? 1 : rate === 0 && ib > target ? -1 : 0;
        scales.push({
          phase: "train",
          epoch,
          batch,
          examples,
          layer,
          group,
          integerBits: ib,
          overflowRate: rate,
          overflowRateHalfRange: rate * 3,
          amax: 2 ** (target - 1),
        });
      }
  });

// Cost vs error: a point per setting per dataset.
const cost: Omit<CostErrorPoint, "pareto">[] = [];
const pj: Record<string, number> = { fp32: 4.6, half: 1.5, "fixed 20": 0.9, "dfxp 10/12": 0.35, "dfxp 8/10": 0.25 };
const err: Record<string, number> = { fp32: 1, half: 1.03, "fixed 20": 1.2, "dfxp 10/12": 1.12, "dfxp 8/10": 1.4 };
for (const dataset of DATASETS)
  for (const setting of Object.keys(pj))
    cost.push({
      dataset,
      setting,
      picojoulesPerMac: pj[setting]!,
      testError: summarize([0.98, 1, 1.02].map((f) => f * BASE[dataset]! * err[setting]!)),
    });
const withFront: CostErrorPoint[] = [];
for (const dataset of DATASETS) {
  const mine = cost.filter((c) => c.dataset === dataset);
  const front = new Set(
    paretoFront(
      mine,
      (c) => c.picojoulesPerMac,
      (c) => c.testError.mean,
    ),
  );
  for (const c of mine) withFront.push({ ...c, pareto: front.has(c) });
}

const figures: [string, VegaLiteSpec][] = [
  ...FIGURE_KINDS.map((k): [string, VegaLiteSpec] => [k, figureSpec(k, rows)]),
  ["telemetry", telemetrySpec(scales)],
  ["cost-error", costErrorSpec(withFront)],
];
for (const [name, spec] of figures) {
  const svg = await toSvg(spec);
  const png = toPng(svg);
  writeFileSync(join(out, `${name}.svg`), svg);
  writeFileSync(join(out, `${name}.png`), png);
  writeFileSync(join(out, `${name}.vl.json`), `${JSON.stringify(spec, null, 2)}\n`);
  console.log(`${name}: ${svg.length} bytes of SVG, ${png.length} bytes of PNG`);
}
console.log(`wrote ${out}`);
