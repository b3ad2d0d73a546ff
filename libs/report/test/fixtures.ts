// Hand-made rows for the tests.
import type { PaperTable2, ResultRow, ScaleRow } from "../src/index.ts";

/** A done run of `experiment` with every field set; `over` replaces fields. */
export function makeRow(over: Partial<ResultRow> = {}): ResultRow {
  const testError = over.testError ?? 1.2;
  const baselineTestError = over.baselineTestError ?? 1.05;
  return {
    experiment: "table2",
    variant: "paper",
    runId: "r0001",
    dataset: "pi-mnist",
    setting: "fixed",
    format: "fixed",
    propagationBits: 20,
    updateBits: 20,
    integerBits: 5,
    maxOverflowRate: Number.NaN,
    rounding: "nearest",
    scaling: "none",
    seed: 1,
    epochs: 50,
    trainLimit: 0,
    status: "done",
    bestEpoch: 41,
    validError: 1.1,
    testError,
    baselineTestError,
    normalizedError: Number((testError / baselineTestError).toPrecision(10)),
    seconds: 1234.5,
    commit: "0123456789abcdef0123456789abcdef01234567",
    testExamples: 10000,
    epochsDone: 50,
    data: "",
    ...over,
  };
}

/** A sweep: `xs` × `datasets` × `seeds`, normalised error rising away from `knee`. */
export function sweep(
  experiment: ResultRow["experiment"],
  field: "integerBits" | "propagationBits" | "updateBits" | "maxOverflowRate",
  xs: readonly number[],
  datasets: readonly string[],
  seeds: readonly number[],
  over: Partial<ResultRow> = {},
): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const dataset of datasets)
    for (const x of xs)
      for (const seed of seeds) {
        const normalizedError = 1 + 0.01 * seed + 0.1 * Math.abs(Math.log2(Math.abs(x) + 1) - 2);
        rows.push(
          makeRow({
            experiment,
            dataset,
            seed,
            runId: `${experiment}-${dataset}-${x}-${seed}`,
            [field]: x,
            ...over,
            testError: normalizedError,
            baselineTestError: 1,
            normalizedError,
          }),
        );
      }
  return rows;
}

export const PAPER: PaperTable2 = {
  title: "Table 2 of the paper",
  provenance: "arXiv 1412.7024v5",
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
      setting: "fixed",
      label: "Fixed point",
      propagationBits: 20,
      updateBits: 20,
      values: { "pi-mnist": 1.39, "mnist-conv": 0.57, cifar10: 15.98, svhn: 2.97 },
    },
  ],
};

/** Telemetry of 2 layers × 2 groups over 3 epochs of 4 batches. */
export function makeScales(): ScaleRow[] {
  const rows: ScaleRow[] = [];
  for (let layer = 0; layer < 2; layer++)
    for (const group of ["weights", "activations"])
      for (let epoch = 0; epoch < 3; epoch++)
        for (let batch = 0; batch < 4; batch++) {
          const step = epoch * 4 + batch;
          rows.push({
            phase: "train",
            epoch,
            batch,
            examples: step * 100,
            layer,
            group,
            integerBits: 5 - Math.min(2, Math.floor(step / 4)) + layer,
            overflowRate: step % 3 === 0 ? 0 : Number((1e-4 * (1 + (step % 5))).toPrecision(6)),
            overflowRateHalfRange: 3e-4,
            amax: 2.5 + layer,
          });
        }
  return rows;
}
