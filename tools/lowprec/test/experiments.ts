// Experiment definitions that the command-line tests write for themselves.
import { writeFileSync } from "node:fs";

/**
 * Three four-epoch runs on 1,000 PI-MNIST examples (fp32, dfxp at 10 and 12 bits), long enough for a kill to land
 * inside a run that has a checkpoint to resume. Written to `path`, which `lowprec sweep <path>` accepts.
 */
export function writeKillExperiment(path: string): string {
  writeFileSync(
    path,
    JSON.stringify({
      name: "kill",
      title: "kill test",
      description: "three four-epoch runs on 1,000 PI-MNIST examples",
      datasets: ["pi-mnist"],
      baseline: "fp32",
      settings: [
        { name: "fp32", precision: "fp32" },
        { name: "dfxp", precision: "dfxp", propagationBits: [10, 12] },
      ],
      variants: { smoke: { description: "s", epochs: 4, trainLimit: 1000, evalLimit: 500, compressSchedule: true } },
    }),
  );
  return path;
}
