/**
 * `lowprec reproduce` (what `npm run reproduce` runs): PI-MNIST at the paper's four precision settings
 * (Table 2: fp32, half, fixed 20/20, dfxp 10/12), each in a run folder named by its setting and run id (so a
 * run is reused only when it is the same run), then a summary CSV and a Markdown table beside the paper's
 * numbers (read from libs/maxout/data/table2.json).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadSplits, readJsonFile, runId, runTraining, toCsv, type RunSummary } from "@lowprec/experiments";
import { formatDuration, PRECISION_PRESETS, type PrecisionPresetName } from "@lowprec/maxout";
import { writeFileAtomic } from "@lowprec/storage";
import { UsageError, type Command } from "../command.js";
import { resolveDataDir } from "../paths.js";
import { backendLine, CONFIG_OPTIONS, configFromArgs } from "./train.js";

/** Default epochs: about 10–20 minutes for the four settings on 2 cores with the native backend. */
export const DEFAULT_EPOCHS = 20;
const SETTINGS: readonly PrecisionPresetName[] = ["fp32", "half", "fixed", "dfxp"];

interface Table2Row {
  setting: string;
  label: string;
  propagationBits: number;
  updateBits: number;
  "pi-mnist": number;
}
interface Table2 {
  title: string;
  provenance: string;
  rows: Table2Row[];
}

/** The paper's Table 2, with its provenance, from the maxout library's data folder. */
export function readTable2(): Table2 {
  const entry = fileURLToPath(import.meta.resolve("@lowprec/maxout"));
  const path = join(dirname(entry), "..", "data", "table2.json");
  return JSON.parse(readFileSync(path, "utf8")) as Table2;
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : "");

export const command: Command = {
  name: "reproduce",
  summary: "PI-MNIST at the paper's four precision settings, with a table beside the paper's Table 2",
  synopsis: "[--epochs N | --full] [--settings fp32,half,fixed,dfxp] [options]",
  description:
    "Trains the PI-MNIST Maxout network (784-240x5-240x5-10) at the four precision settings of the paper's\n" +
    `Table 2, for ${DEFAULT_EPOCHS} epochs each by default (--full: the paper's 800). Each run has its own folder\n` +
    "under DIR, named by its setting and run id (a hash of its whole configuration): re-running skips finished\n" +
    "runs, resumes a killed one from its last checkpoint, and never mistakes a run with another seed, length or\n" +
    "subset for this one. Writes DIR/summary.csv and DIR/summary.md.",
  options: {
    ...CONFIG_OPTIONS,
    epochs: { type: "string", value: "N", description: `epochs per setting (default ${DEFAULT_EPOCHS})` },
    full: { type: "boolean", description: "the paper's 800 epochs per setting (about 5 hours on 2 cores)" },
    settings: {
      type: "string",
      value: "LIST",
      description: "comma-separated precision settings (default fp32,half,fixed,dfxp)",
    },
    out: { type: "string", value: "DIR", description: "where the runs go (default <data root>/runs/reproduce)" },
    "data-dir": {
      type: "string",
      value: "DIR",
      description: "data root ($LOWPREC_DATA, else the repository's data/)",
    },
  },
  async run(args) {
    if (args.flag("full") && args.has("epochs")) throw new UsageError("--full and --epochs exclude each other");
    const epochs = args.flag("full") ? 800 : DEFAULT_EPOCHS;
    const settings = args.string("settings", SETTINGS.join(",")).split(",");
    for (const s of settings)
      if (!(SETTINGS as readonly string[]).includes(s))
        throw new UsageError(`option --settings: unknown "${s}" (known: ${SETTINGS.join(", ")})`);
    const dataDir = resolveDataDir(args.string("data-dir"));
    const out = resolve(args.string("out") ?? join(dataDir, "runs", "reproduce"));
    const configs = settings.map((s) => configFromArgs(args, "pi-mnist", s, epochs));
    const table = readTable2();
    console.log(backendLine());
    const h = configs[0]!.hyper;
    console.log(`reproduce: PI-MNIST, settings ${settings.join(", ")}, ${h.epochs} epochs each → ${out}`);
    const data = loadSplits("pi-mnist", dataDir);
    const summaries = new Map<string, RunSummary>();
    for (const [i, s] of settings.entries()) {
      const config = configs[i]!;
      const dir = join(out, `${s}-${runId(config)}`);
      const summaryPath = join(dir, "summary.json");
      if (existsSync(summaryPath)) {
        const prev = readJsonFile(summaryPath) as RunSummary;
        if (prev.completed && prev.runId === runId(config)) {
          console.log(`${s}: done already (${summaryPath}), skipped`);
          summaries.set(s, prev);
          continue;
        }
      }
      const p = config.precision;
      console.log(`\n== ${s} (${p.format}, propagation ${p.propagationBits} / update ${p.updateBits} bits) → ${dir}`);
      const t0 = performance.now();
      const { summary } = runTraining(config, data, {
        dir,
        mode: "resume",
        command: ["lowprec", "reproduce", ...args.argv],
      });
      console.log(`${s}: ${formatDuration((performance.now() - t0) / 1000)}`);
      summaries.set(s, summary);
    }
    const rows = settings.map((s) => {
      const m = summaries.get(s)!;
      const paper = table.rows.find((r) => r.setting === s);
      const p = PRECISION_PRESETS[s as PrecisionPresetName];
      return {
        setting: s,
        label: paper?.label ?? s,
        runId: m.runId,
        propagationBits: p.propagationBits,
        updateBits: p.updateBits,
        epochs: m.epochs,
        bestEpoch: m.bestEpoch,
        bestValidError: m.bestValidError,
        testError: m.testErrorAtBestValid,
        paperTestError: paper?.["pi-mnist"] ?? Number.NaN,
        secondsPerEpoch: m.secondsPerEpoch ?? Number.NaN,
      };
    });
    const columns = [
      "setting",
      "runId",
      "propagationBits",
      "updateBits",
      "epochs",
      "bestEpoch",
      "bestValidError",
      "testError",
      "paperTestError",
      "secondsPerEpoch",
    ] as const;
    writeFileAtomic(join(out, "summary.csv"), toCsv(columns, rows));
    const c = configs[0]!;
    const limits =
      (c.trainLimit ? `, first ${c.trainLimit} training examples` : "") +
      (c.evalLimit ? `, first ${c.evalLimit} evaluation examples` : "");
    const md = [
      "# PI-MNIST at the paper's four precision settings",
      "",
      `${c.hyper.epochs} epochs per setting (the paper: 800), batch ${c.hyper.batch}, seed ${c.hyper.seed}${limits}; ` +
        "test error (%) at the epoch of lowest validation error.",
      `${backendLine().replace(/^backend/, "Backend")}.`,
      "",
      "| Format | Prop. | Up. | Epochs | Best epoch | Valid error | Test error | Paper (Table 2) | s/epoch |",
      "|---|---|---|---|---|---|---|---|---|",
      ...rows.map(
        (r) =>
          `| ${r.label} | ${r.propagationBits} | ${r.updateBits} | ${r.epochs} | ${r.bestEpoch} | ` +
          `${fmt(r.bestValidError)} % | ${fmt(r.testError)} % | ${fmt(r.paperTestError)} % | ${fmt(r.secondsPerEpoch, 1)} |`,
      ),
      "",
      `Paper column: ${table.title}. Provenance: ${table.provenance}`,
      "",
    ].join("\n");
    writeFileAtomic(join(out, "summary.md"), md);
    console.log(`\n${md}`);
    console.log(`wrote ${join(out, "summary.csv")} and ${join(out, "summary.md")}`);
    return 0;
  },
};
