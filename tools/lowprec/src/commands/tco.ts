/**
 * `lowprec tco`: what a precision setting saves in money for a stated training workload (@lowprec/hwcost's TCO
 * model), with each setting's measured error beside its cost (@lowprec/experiments reads the collected results).
 */
import { resolve } from "node:path";
import { readCollectedRows, tcoAnswer, VARIANTS, type VariantName } from "@lowprec/experiments";
import {
  formatTco,
  loadNetworks,
  loadTco,
  TCO_CAPACITIES,
  TCO_SETTINGS,
  TcoInputError,
  type TcoOptions,
  type TcoWorkload,
} from "@lowprec/hwcost";
import { type Args, type Command, isDecimal, UsageError } from "../command.js";
import { repoRoot } from "../paths.js";

/** `--set name=value[,name=value...]` → overrides; a malformed pair is one line naming it. */
function parseOverrides(text: string | undefined): Record<string, number> {
  if (text === undefined) return {};
  const out: Record<string, number> = {};
  for (const pair of text.split(",")) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(pair.trim());
    if (!m || !isDecimal(m[2]!))
      throw new UsageError(`option --set: "${pair}" (expected name=number, e.g. electricityUsdPerKwh=0.12)`);
    if (m[1]! in out) throw new UsageError(`option --set: ${m[1]} given twice`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** The model's field names as the options that set them: `deadlineHours: …` → `option --deadline-hours: …`. */
const FIELD_OPTIONS: Readonly<Record<string, string>> = {
  runsPerMonth: "--runs-per-month",
  deadlineHours: "--deadline-hours",
  epochs: "--epochs",
  trainExamples: "--train-examples",
  network: "--network",
  target: "--target",
  capacity: "--capacity",
  tolerance: "--tolerance",
  setting: "--focus",
};

/** A model's refusal as the option that caused it: a workload field's own option, else `--set` (an assumption). */
function optionNamed(e: TcoInputError): string {
  const option = FIELD_OPTIONS[e.field];
  return option ? `option ${option}: ${e.detail}` : `option --set ${e.message}`;
}

const TARGET_IDS = (): string[] => loadTco().targets.map((t) => t.id);

export const command: Command = {
  name: "tco",
  summary: "total cost of ownership: what each precision setting saves in money for a training workload",
  synopsis:
    "--runs-per-month N [--network ID] [--epochs N] [--deadline-hours H] [--target ID] [--capacity shared|owned]" +
    " [--set name=value,...] [--focus SETTING] [--tolerance T] [--results VARIANT|none] [--json | --csv]",
  description:
    "Prices a training workload (a network of the paper, its epochs, runs per month, a deadline per run) under\n" +
    "float32, half, fixed point 20/20, dynamic fixed point 10/12, FP8 E4M3, MXFP8 and MXINT8: the MAC units one\n" +
    "device holds (45 nm ASIC die or Stratix V FPGA), the devices needed, the hardware amortised over its lifetime,\n" +
    "the energy at a price per kWh and a PUE, the total per year and the saving against float32. Beside each cost,\n" +
    "the setting's measured test error and its ratio to float32 (95 % intervals over seeds) from the collected\n" +
    "results; a setting worse than float32 beyond the tolerance is marked. Then the sensitivity of the focus\n" +
    "setting's saving to every assumption (each at its low and high value), the deciding assumption, and the\n" +
    "epochs multiplier at which the saving is cancelled. Every default and its source: libs/hwcost/README.md.",
  options: {
    "runs-per-month": {
      type: "string",
      value: "N",
      description: "training runs a month (required)",
    },
    network: { type: "string", value: "ID", description: "pi-mnist (default), mnist-conv, cifar10 or svhn" },
    epochs: { type: "string", value: "N", description: "epochs per run (default: the paper's for the network)" },
    "train-examples": {
      type: "string",
      value: "N",
      description: "training examples per epoch (default: the network's training set)",
    },
    "deadline-hours": { type: "string", value: "H", description: "hours within which a run must finish (default 24)" },
    target: { type: "string", value: "ID", description: "asic-45nm (default) or stratix-v" },
    capacity: {
      type: "string",
      value: "C",
      description: "shared (default: pay for the device-hours used) or owned (whole devices, powered all year)",
    },
    set: {
      type: "string",
      value: "LIST",
      description: "override assumptions: name=value pairs, comma-separated (names: libs/hwcost/README.md)",
    },
    focus: {
      type: "string",
      value: "SETTING",
      description: "the setting whose saving the sensitivity analysis explains (default dfxp-10-12)",
    },
    tolerance: {
      type: "string",
      value: "T",
      description: "relative error increase over float32 still accepted (default 0.05)",
    },
    results: {
      type: "string",
      value: "VARIANT",
      description: "the collected results (reports/results/VARIANT) that give the errors (default budget; none: skip)",
    },
    json: { type: "boolean", description: "print the result and the sensitivity as JSON" },
    csv: { type: "boolean", description: "print the rows as CSV (every field, SI units)" },
  },
  async run(args: Args) {
    if (args.flag("json") && args.flag("csv")) throw new UsageError("--json, --csv: choose one output format");
    const runs = args.number("runs-per-month", { min: 1e-9, max: 1e12 });
    if (runs === undefined) throw new UsageError("option --runs-per-month: required (training runs a month)");
    const network = args.choice(
      "network",
      loadNetworks().networks.map((n) => n.id),
      "pi-mnist",
    );
    const workload: TcoWorkload = {
      network,
      runsPerMonth: runs,
      deadlineHours: args.number("deadline-hours", { min: 1e-9, max: 1e6 }, 24),
      ...(args.has("epochs") ? { epochs: args.number("epochs", { integer: true, min: 1, max: 1e6 }) } : {}),
      ...(args.has("train-examples")
        ? { trainExamples: args.number("train-examples", { integer: true, min: 1, max: 1e10 }) }
        : {}),
    };
    const results = args.string("results", "budget");
    if (results !== "none" && !(VARIANTS as readonly string[]).includes(results))
      throw new UsageError(`option --results: expected ${[...VARIANTS, "none"].join(", ")}; got "${results}"`);
    const reports = resolve(repoRoot(), "reports");
    const rowsOf = (experiment: "table2" | "formats") =>
      results === "none" ? [] : readCollectedRows(reports, results as VariantName, experiment);
    const options: TcoOptions = {
      target: args.choice("target", TARGET_IDS(), "asic-45nm"),
      capacity: args.choice("capacity", TCO_CAPACITIES, "shared"),
      overrides: parseOverrides(args.string("set")),
      tolerance: args.number("tolerance", { min: 0, max: 10 }, 0.05),
    };
    const focus = args.choice(
      "focus",
      TCO_SETTINGS.slice(1).map((s) => s.name),
      "dfxp-10-12",
    );
    try {
      const { result, sensitivity } = tcoAnswer(workload, focus, rowsOf, options);
      console.log(formatTco(result, sensitivity, args.flag("json") ? "json" : args.flag("csv") ? "csv" : "table"));
    } catch (e) {
      // NOTE: the model names the field; on the command line that is a usage error (exit 2), not a failure
      if (e instanceof TcoInputError) throw new UsageError(optionNamed(e));
      throw e;
    }
    return 0;
  },
};
