/** A result row for tests: a finished PI-MNIST budget run (20 epochs on 10,000 examples), `p` over it. */
import type { ResultRow } from "@lowprec/report";

export function row(p: Partial<ResultRow> & Pick<ResultRow, "experiment" | "setting">): ResultRow {
  return {
    variant: "budget",
    runId: "0000000000000000",
    dataset: "pi-mnist",
    format: "fixed",
    propagationBits: 32,
    updateBits: 32,
    integerBits: 5,
    maxOverflowRate: Number.NaN,
    rounding: "nearest-away",
    scaling: "none",
    seed: 1234,
    epochs: 20,
    trainLimit: 10_000,
    status: "done",
    bestEpoch: 20,
    validError: Number.NaN,
    testError: 5,
    baselineTestError: 5,
    normalizedError: 1,
    seconds: 1,
    commit: "",
    testExamples: 5000,
    epochsDone: 20,
    data: "",
    ...p,
  };
}
