/** `lowprec sweep`: runs what is missing of an experiment's variant (@lowprec/experiments). */
import {
  expandRuns,
  experimentNames,
  isDefinitionPath,
  loadExperiment,
  MAX_SEEDS,
  runSweep,
  SWEEPABLE,
  VARIANTS,
  type ExperimentDef,
  type VariantName,
} from "@lowprec/experiments";
import { isDecimal, unknownName, UsageError, type Args, type Command } from "../command.js";
import { DATA_DIR_OPTION, existingDataDir, resolveDataDir } from "../paths.js";
import { ALLOW_OTHER_CODE_OPTION, ALLOW_VOLATILE_OPTION, JOBS_RANGE, QUEUE_OPTION, queueSweep } from "./worker.js";

/** `--only k=v,k=v` → a filter (keys: dataset, setting, or a swept field). */
export function parseOnly(args: Args): Record<string, string> | undefined {
  const text = args.string("only");
  if (text === undefined) return undefined;
  const keys = ["dataset", "setting", ...SWEEPABLE];
  const only: Record<string, string> = {};
  for (const kv of text.split(",")) {
    const [k, v] = kv.split("=");
    if (!k || v === undefined || v === "") throw new UsageError(`option --only: expected key=value; got "${kv}"`);
    if (!keys.includes(k)) throw new UsageError(`option --only: unknown key "${k}" (known: ${keys.join(", ")})`);
    // NOTE: swept values are compared as numbers: "0x0a" would match 10, so they are plain decimal like every number
    if ((SWEEPABLE as readonly string[]).includes(k) && !isDecimal(v))
      throw new UsageError(`option --only: ${k} takes a plain decimal number; got "${v}"`);
    only[k] = v;
  }
  return only;
}

/**
 * The experiment an argument names: a shipped one (`table2`), or a definition file (a path: an argument with a "/"
 * or ending in .json), validated as the shipped ones are. An unknown name is a usage error with the closest name.
 */
export function experimentArg(arg: string): ExperimentDef {
  const known = experimentNames();
  if (!isDefinitionPath(arg) && !known.includes(arg))
    throw new UsageError(unknownName("experiment", arg, known, "or a definition file: a path ending in .json"));
  return loadExperiment(arg);
}

/** The `--variant` of an experiment (budget unless given): one it defines, else a usage error naming its own. */
export function variantArg(args: Args, def: ExperimentDef): VariantName {
  const variant = args.choice("variant", VARIANTS, "budget") as VariantName;
  if (def.variants[variant] === undefined) {
    const has = Object.keys(def.variants);
    const which = args.has("variant") ? `--variant ${variant}` : `--variant ${variant} (the default)`;
    throw new UsageError(
      `${which}: ${def.name} has no ${variant} variant (it has: ${has.join(", ")})` +
        (has.length === 1 ? `; --variant ${has[0]}` : ""),
    );
  }
  return variant;
}

/** Runs per cell: the paper reports one; 100 seeds is already a study, and caps a plan that would never end. */
export const SEEDS_RANGE = { integer: true, min: 1, max: MAX_SEEDS } as const;

export const VARIANT_OPTION = {
  type: "string",
  value: "V",
  description:
    "paper, budget (default), long (the knees at a longer length), images (table2's CIFAR-10 from an image " +
    "folder) or smoke",
} as const;

export const command: Command = {
  name: "sweep",
  summary: "run what is missing of an experiment (table2, the paper's figures, beyond-the-paper ones)",
  synopsis:
    "<experiment|FILE.json> [--variant V] [--jobs N] [--seeds K] [--only k=v[,k=v]] [--dry-run] " +
    "[--queue URL [--status]]",
  description:
    `Experiments: ${experimentNames().join(", ")} (libs/experiments/experiments/*.json),\n` +
    'or your own definition file (a path: with a "/" or ending in .json; libs/experiments/README.md), validated\n' +
    "as those, its runs stored under its own name.\n" +
    "Runs each missing run of the variant into <data root>/results/<experiment>/<variant>/<run-id>/, resumes\n" +
    "interrupted ones from their checkpoints, skips finished ones, and prints a line per finished run with the\n" +
    "overall progress. Each run uses one thread; --jobs runs several at once. With --queue the missing runs go\n" +
    "to a job queue instead, for `lowprec worker`s on any number of machines (see `lowprec worker --help`).",
  positionals: { min: 1, max: 1 },
  options: {
    variant: VARIANT_OPTION,
    jobs: { type: "string", value: "N", description: "runs at once, 1 to 256 (default: the number of cores)" },
    seeds: {
      type: "string",
      value: "K",
      description: "runs per cell, 1 to 100: seeds 1234, 1235, ... (default: the variant's, e.g. 3 in budget)",
    },
    only: {
      type: "string",
      value: "k=v[,k=v]",
      description: "only the runs matching: dataset, setting, or a swept field (e.g. propagationBits=10)",
    },
    "dry-run": { type: "boolean", description: "list the runs, their state and an estimated time; run nothing" },
    "data-dir": DATA_DIR_OPTION,
    queue: { ...QUEUE_OPTION, description: "enqueue the missing runs on redis://host:port for `lowprec worker`s" },
    status: { type: "boolean", description: "with --queue: the queued, running, done and failed runs; adds nothing" },
    "retry-failed": { type: "boolean", description: "with --queue: put the sweep's failed runs back in the queue" },
    "allow-volatile": { ...ALLOW_VOLATILE_OPTION, description: `with --queue: ${ALLOW_VOLATILE_OPTION.description}` },
    "allow-other-code": ALLOW_OTHER_CODE_OPTION,
  },
  async run(args) {
    const def = experimentArg(args.positionals[0]!);
    const variant = variantArg(args, def);
    const only = parseOnly(args);
    // NOTE: a filter that matches no run is a usage error, said before anything is planned or enqueued
    if (only && expandRuns(def, variant, { seeds: 1, only }).length === 0)
      throw new UsageError(`option --only: no run of ${def.name}/${variant} matches ${args.string("only")}`);
    const jobs = args.number("jobs", JOBS_RANGE);
    const seeds = args.number("seeds", SEEDS_RANGE);
    // NOTE: --status only reads: a data root that does not exist is a typo, not an empty store.
    if (args.has("queue") && args.flag("status")) existingDataDir(args.string("data-dir"));
    if (args.has("queue"))
      return queueSweep(args, def, variant, { ...(seeds !== undefined ? { seeds } : {}), ...(only ? { only } : {}) });
    args.refuse(["status", "retry-failed", "allow-volatile"], "only with --queue");
    const report = await runSweep({
      experiment: def,
      variant,
      dataDir: resolveDataDir(args.string("data-dir")),
      dryRun: args.flag("dry-run"),
      command: ["lowprec", "sweep", ...args.argv],
      allowOtherCode: args.flag("allow-other-code"),
      ...(jobs !== undefined ? { jobs } : {}),
      ...(seeds !== undefined ? { seeds } : {}),
      ...(only ? { only } : {}),
    });
    if (!args.flag("dry-run"))
      console.log(
        `${def.name}/${variant}: ${report.ran} ran, ${report.skipped} were done, ` +
          (report.finishedElsewhere ? `${report.finishedElsewhere} finished by another process, ` : "") +
          (report.elsewhere.length ? `${report.elsewhere.length} still running on another host, ` : "") +
          `${report.failed.length} failed, ${report.missing.length} without data` +
          (report.damaged.length ? `, ${report.damaged.length} damaged` : ""),
      );
    if (report.damaged.length)
      console.error(
        `lowprec sweep: ${report.damaged.length} stored run(s) damaged and not run (listed above); ` +
          "`lowprec verify` lists every damaged run",
      );
    // NOTE: a run another process finished is done; one still running elsewhere is not (yet): exit 1, rerun later.
    return report.failed.length || report.elsewhere.length || report.damaged.length ? 1 : 0;
  },
};
