// Experiment definitions that the command-line tests write for themselves.
import { writeFileSync } from "node:fs";

/**
 * A definition of PI-MNIST runs (fp32, dfxp at 10 and 12 bits) in one `smoke` variant of `epochs` epochs on
 * `trainLimit` examples, written to `path` (which `lowprec sweep <path>` accepts); `fields` replace or add
 * top-level fields (a test of bad definitions passes the bad one).
 */
export function writeTinyExperiment(
  path: string,
  opts: { name: string; description: string; epochs: number; trainLimit: number; evalLimit: number },
  fields: Record<string, unknown> = {},
): string {
  const { name, description, epochs, trainLimit, evalLimit } = opts;
  writeFileSync(
    path,
    JSON.stringify({
      name,
      title: name,
      description,
      datasets: ["pi-mnist"],
      baseline: "fp32",
      settings: [
        { name: "fp32", precision: "fp32" },
        { name: "dfxp", precision: "dfxp", propagationBits: [10, 12] },
      ],
      variants: { smoke: { description: "s", epochs, trainLimit, evalLimit, compressSchedule: true } },
      ...fields,
    }),
  );
  return path;
}

/**
 * Three four-epoch runs on 1,000 PI-MNIST examples (fp32, dfxp at 10 and 12 bits), long enough for a kill to land
 * inside a run that has a checkpoint to resume.
 */
export function writeKillExperiment(path: string): string {
  const description = "three four-epoch runs on 1,000 PI-MNIST examples";
  return writeTinyExperiment(path, { name: "kill", description, epochs: 4, trainLimit: 1000, evalLimit: 500 });
}
