/**
 * `lowprec reproduce` (what `npm run reproduce` runs): the paper's Table 2 and its four figure sweeps in one
 * variant (budget by default: 3 seeds per cell, about 3 hours on one 2-core machine, on the embedded MNIST;
 * CIFAR-10 and SVHN when their files are present), through the same sweeps as `lowprec sweep`, so a killed
 * reproduce resumes where it stopped and finished runs are never rerun.
 */
import { join } from "node:path";
import {
  addEstimates,
  buildReport,
  collectCommand,
  collectReport,
  describeBasis,
  isLocalVariant,
  loadExperiment,
  localReportDir,
  resultsRoot,
  RunHistory,
  runSweep,
  VARIANTS,
  type SweepEstimate,
  type VariantName,
} from "@lowprec/experiments";
import { formatDuration } from "@lowprec/maxout";
import { unknownName, UsageError, type Command } from "../command.js";
import { DATA_DIR_OPTION, resolveDataDir } from "../paths.js";
import { VARIANT_OPTION } from "./sweep.js";
import { JOBS_RANGE } from "./worker.js";
import { backendLine } from "./train.js";

/**
 * What reproduce prints last: the commands that read its runs, each safe to follow literally. A local variant's
 * (smoke) runs are never offered to the committed reports/: its report is rebuilt beside them.
 */
export function reproduceHints(variant: VariantName, dataArg = ""): string[] {
  const d = dataArg === "" ? "" : ` ${dataArg}`;
  const v = variant === "budget" ? "" : ` --variant ${variant}`;
  const results = `results: \`lowprec results <experiment>${v}${d}\``;
  if (isLocalVariant(variant))
    return [
      `${results}; this report again: \`lowprec report${v}${d}\` (writes <data root>/report/; ` +
        `the repository's reports/ holds the budget variant's report)`,
    ];
  return [`${results}; add these runs to the repository's reports/: \`${collectCommand(variant, dataArg)}\``];
}

/** The experiments of the paper, in the order reproduce runs them. */
export const PAPER_EXPERIMENTS = ["table2", "radix-point", "prop-bits", "update-bits", "overflow-rate"] as const;

export const command: Command = {
  name: "reproduce",
  summary: "the paper's Table 2 and four figure sweeps (budget variant, 3 seeds: about 3 hours on 2 cores)",
  synopsis: "[--variant budget|paper|smoke] [--jobs N] [--experiments LIST] [--dry-run]",
  description:
    "Runs the sweeps of the paper's Table 2 and of its four figures (radix point, propagation width, update\n" +
    "width, maximum overflow rate) in one variant: `budget` (default) shortens the runs to fit about 3 hours\n" +
    "on one 2-core machine (see each experiment's definition), `paper` runs the paper's epochs (days), `smoke`\n" +
    "takes seconds. Results go to <data root>/results/; re-running skips finished runs and resumes killed ones.\n" +
    "Datasets whose files are missing (CIFAR-10, SVHN: `lowprec fetch-data`) are listed as not run. Then it\n" +
    "writes the report of these runs to <data root>/report/ (the repository's reports/ is `lowprec report`'s).",
  options: {
    variant: VARIANT_OPTION,
    jobs: { type: "string", value: "N", description: "runs at once, 1 to 256 (default: the number of cores)" },
    experiments: {
      type: "string",
      value: "LIST",
      description: `comma-separated subset of ${PAPER_EXPERIMENTS.join(",")}`,
    },
    "dry-run": { type: "boolean", description: "list the runs and an estimated time; run nothing" },
    "data-dir": DATA_DIR_OPTION,
  },
  async run(args) {
    const variant = args.choice("variant", VARIANTS, "budget") as VariantName;
    if (variant === "long")
      throw new UsageError(
        "--variant long: only prop-bits and update-bits have it (lowprec sweep prop-bits --variant long)",
      );
    if (variant === "images")
      throw new UsageError("--variant images: only table2 has it (lowprec sweep table2 --variant images)");
    const names = args.string("experiments", PAPER_EXPERIMENTS.join(",")).split(",");
    for (const n of names)
      if (!(PAPER_EXPERIMENTS as readonly string[]).includes(n))
        throw new UsageError(`option --experiments: ${unknownName("experiment", n, PAPER_EXPERIMENTS)}`);
    const jobs = args.number("jobs", JOBS_RANGE);
    const dataDir = resolveDataDir(args.string("data-dir"));
    const dryRun = args.flag("dry-run");
    console.log(backendLine());
    // NOTE: one history of this machine's finished runs for every sweep: each adds the runs it finishes, so the
    // next experiment's estimate already knows them.
    const history = RunHistory.fromStore(resultsRoot(dataDir));
    const sweep = (name: string, quiet: boolean) =>
      runSweep({
        experiment: loadExperiment(name),
        variant,
        dataDir,
        dryRun: quiet || dryRun,
        command: ["lowprec", "reproduce", ...args.argv],
        history,
        ...(quiet ? { log: () => {} } : {}),
        ...(jobs !== undefined ? { jobs } : {}),
      });
    const total = (e: SweepEstimate) =>
      `about ${formatDuration(e.seconds)} for ${e.runs} run(s) to run in ${names.length} experiment(s), one after ` +
      `the other (${describeBasis(e)})`;
    let planned: SweepEstimate | undefined;
    if (!dryRun) {
      const estimates: SweepEstimate[] = [];
      for (const name of names) estimates.push((await sweep(name, true)).estimate);
      planned = addEstimates(estimates);
      console.log(`reproduce (${variant}): ${total(planned)}`);
    }
    const t0 = performance.now();
    let failed = 0;
    const estimates: SweepEstimate[] = [];
    for (const [i, name] of names.entries()) {
      console.log(`\n== [${i + 1}/${names.length}] ${name} (${variant})`);
      const report = await sweep(name, false);
      estimates.push(report.estimate);
      failed += report.failed.length + report.elsewhere.length + report.damaged.length;
    }
    if (dryRun) console.log(`\ntotal (${variant}): ${total(addEstimates(estimates))}`);
    else
      console.log(
        `\nreproduce (${variant}): ${formatDuration((performance.now() - t0) / 1000)} ` +
          `(estimated ${formatDuration(planned?.seconds ?? Number.NaN)}), ${failed} failed`,
      );
    if (!args.flag("dry-run")) {
      // NOTE: the report of these runs goes beside them; the committed reports/ changes only on request
      // (`lowprec report --collect`), so a smoke or partial run never overwrites it.
      const out = localReportDir(dataDir);
      collectReport(dataDir, variant, out);
      await buildReport(out, variant);
      console.log(`report: ${join(out, "README.md")} (figures in ${join(out, "figures")})`);
    }
    for (const line of reproduceHints(variant, args.has("data-dir") ? `--data-dir ${dataDir}` : "")) console.log(line);
    return failed ? 1 : 0;
  },
};
