/**
 * `lowprec worker`: takes runs from a sweep queue (`lowprec sweep … --queue`) on any machine and trains them;
 * and `queueSweep`, what `lowprec sweep … --queue` does (enqueue, or --status). The queue code lives in
 * @lowprec/experiments (queue.ts, queue-worker.ts); bullmq is loaded only when a queue is used.
 */
import { cpus } from "node:os";
import {
  enqueueSweep,
  formatSweepStatus,
  LOCK_DURATION_RANGE,
  parseQueueUrl,
  STALLED_INTERVAL_RANGE,
  startQueueWorker,
  sweepStatus,
  type ExperimentDef,
  type VariantName,
} from "@lowprec/experiments";
import { UsageError, type Args, type Command } from "../command.js";
import { resolveDataDir } from "../paths.js";

/** The --queue URL, checked (a bad one is a usage error). */
function queueUrl(args: Args): string {
  const url = args.string("queue");
  if (url === undefined) throw new UsageError("missing option --queue redis://host:port");
  try {
    parseQueueUrl(url);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  return url;
}

/** Runs at once: at most 256, each a process holding its own copy of its data set (a typo must not fork 10^9). */
export const JOBS_RANGE = { integer: true, min: 1, max: 256 } as const;

export const QUEUE_OPTION = {
  type: "string",
  value: "URL",
  description: "the job queue: redis://host:port[/db] (Redis with appendonly yes)",
} as const;

export const ALLOW_VOLATILE_OPTION = {
  type: "boolean",
  description: "use a Redis that loses its jobs on restart (appendonly no), with a warning",
} as const;

export const ALLOW_OTHER_CODE_OPTION = {
  type: "boolean",
  description: "resume interrupted runs made by other code (another code fingerprint), with a warning",
} as const;

/** `lowprec sweep <experiment> --queue URL [--status | --retry-failed]`. */
export async function queueSweep(
  args: Args,
  def: ExperimentDef,
  variant: VariantName,
  extra: { readonly seeds?: number; readonly only?: Readonly<Record<string, string>> },
): Promise<number> {
  args.refuse(["jobs", "dry-run"], "with --queue, each `lowprec worker` sets its own --jobs; nothing runs here");
  args.refuse(["allow-other-code"], "with --queue nothing runs here: give it to the `lowprec worker`s");
  const url = queueUrl(args);
  const common = {
    experiment: def,
    variant,
    dataDir: resolveDataDir(args.string("data-dir")),
    url,
    allowVolatile: args.flag("allow-volatile"),
    ...extra,
  };
  if (args.flag("status")) {
    if (args.flag("retry-failed")) throw new UsageError("--retry-failed: not with --status");
    const rows = await sweepStatus(common);
    for (const line of formatSweepStatus(`${def.name}/${variant}`, url, rows)) console.log(line);
    return 0;
  }
  await enqueueSweep({
    ...common,
    retryFailed: args.flag("retry-failed"),
    command: ["lowprec", "sweep", ...args.argv],
  });
  return 0;
}

export const command: Command = {
  name: "worker",
  summary: "take runs from a sweep queue (lowprec sweep … --queue) and train them, on any machine",
  synopsis: "--queue redis://host:port[/db] [--jobs N] [--data-dir DIR] [--allow-volatile] [--allow-other-code]",
  description:
    "Trains the runs that `lowprec sweep <experiment> --queue URL` enqueued, with the same run code as a local\n" +
    "sweep, into <data root>/results/: every worker of a sweep must see the same results folder (a shared\n" +
    "directory). A run a worker was killed in is resumed from its last checkpoint by another. Each run uses one\n" +
    "thread: --jobs is the machine's cores. Runs until SIGINT or SIGTERM, which put its runs back in the queue.\n" +
    "A worker takes only the runs enqueued by the same code (the fingerprint of the built packages) for the same\n" +
    "results store (<data root>/results/.store-id), and prints a line for the runs it leaves to other workers.",
  options: {
    queue: QUEUE_OPTION,
    jobs: { type: "string", value: "N", description: "runs at once (default: the number of cores)" },
    "data-dir": {
      type: "string",
      value: "DIR",
      description: "data root: datasets and the shared results/ ($LOWPREC_DATA, else the repository's data/)",
    },
    "lock-duration": {
      type: "string",
      value: "MS",
      description:
        "a run's lock in Redis lapses after MS without renewal (default 30000, 1000 to 3600000): a dead\n" +
        "worker's run goes to another worker after this plus --stalled-interval",
    },
    "stalled-interval": {
      type: "string",
      value: "MS",
      description: "how often to look for runs whose worker died (default 30000, 100 to 3600000)",
    },
    "allow-volatile": ALLOW_VOLATILE_OPTION,
    "allow-other-code": ALLOW_OTHER_CODE_OPTION,
  },
  async run(args) {
    const url = queueUrl(args);
    const jobs = args.number("jobs", JOBS_RANGE, cpus().length);
    const lock = args.number("lock-duration", { integer: true, ...LOCK_DURATION_RANGE });
    const stalled = args.number("stalled-interval", { integer: true, ...STALLED_INTERVAL_RANGE });
    const worker = await startQueueWorker({
      url,
      dataDir: resolveDataDir(args.string("data-dir")),
      jobs,
      allowVolatile: args.flag("allow-volatile"),
      allowOtherCode: args.flag("allow-other-code"),
      ...(lock !== undefined ? { lockDurationMs: lock } : {}),
      ...(stalled !== undefined ? { stalledIntervalMs: stalled } : {}),
    });
    const signal = await new Promise<string>((resolve) => {
      for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => resolve(s));
    });
    console.log(`worker ${worker.name}: ${signal}: stopping (its runs go back to the queue)`);
    // NOTE: Redis gone for good must not keep a stopped worker alive: a minute, then out.
    setTimeout(() => process.exit(1), 60_000).unref();
    await worker.close();
    return 0;
  },
};
