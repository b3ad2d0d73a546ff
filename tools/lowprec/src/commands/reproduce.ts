/**
 * `lowprec reproduce` (what `npm run reproduce` runs): PI-MNIST at the paper's four precision settings
 * (Table 2: fp32, half, fixed 20/20, dfxp 10/12), each in its own resumable run folder, then a summary
 * CSV and a Markdown table beside the paper's numbers (read from libs/maxout/data/table2.json).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { formatDuration, PRECISION_PRESETS, resolveConfig, type PrecisionPresetName } from "@lowprec/maxout";
import { backendInfo } from "@lowprec/tensor";
import { flagNumber, flagString, parseArgs, UsageError, type Command } from "../command.js";
import { resolveDataDir } from "../paths.js";
import { loadSplits, runTraining, writeAtomic } from "./train.js";

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

interface Summary {
  precision: string;
  epochs: number;
  completed: boolean;
  bestEpoch: number;
  bestValidError: number;
  testErrorAtBestValid: number;
  secondsPerEpoch: number;
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : "");

export const command: Command = {
  name: "reproduce",
  summary: "PI-MNIST at the paper's four precision settings, with a table beside the paper's Table 2",
  usage: `usage: lowprec reproduce [--epochs N | --full] [--settings fp32,half,fixed,dfxp] [--out DIR] [--train-limit N]

Trains the PI-MNIST Maxout network (784-240x5-240x5-10) at the four precision settings of the paper's
Table 2, for ${DEFAULT_EPOCHS} epochs each by default (--full: the paper's 800). Each setting has its own run
folder under DIR (default <data root>/runs/reproduce, the data root being $LOWPREC_DATA or the repository's data/); re-running skips finished settings and resumes a killed one
from its last checkpoint. Writes DIR/summary.csv and DIR/summary.md.`,
  async run(argv) {
    const args = parseArgs(argv, ["full"], ["epochs", "settings", "out", "train-limit", "seed"]);
    const full = args.flags.has("full");
    const epochs = full ? 800 : flagNumber(args, "epochs", DEFAULT_EPOCHS, { integer: true, min: 1 })!;
    const settings = (flagString(args, "settings") ?? SETTINGS.join(",")).split(",");
    for (const s of settings)
      if (!(s in PRECISION_PRESETS)) throw new UsageError(`--settings: unknown "${s}" (known: ${SETTINGS.join(", ")})`);
    const out = resolve(flagString(args, "out") ?? join(resolveDataDir(undefined), "runs", "reproduce"));
    const trainLimit = flagNumber(args, "train-limit", 0, { integer: true, min: 0 })!;
    const seed = flagNumber(args, "seed", undefined, { integer: true, min: 0 });
    const table = readTable2();
    const info = backendInfo();
    console.log(
      `backend: ${info.name}${info.blas ? " (OpenBLAS)" : ""}, ${info.threads} thread(s)${info.reason ? ` — ${info.reason}` : ""}`,
    );
    console.log(`reproduce: PI-MNIST, settings ${settings.join(", ")}, ${epochs} epochs each → ${out}`);
    const data = loadSplits("pi-mnist", resolveDataDir(undefined)); // MNIST is embedded: the root only matters for other presets
    const summaries = new Map<string, Summary>();
    for (const s of settings as PrecisionPresetName[]) {
      const config = resolveConfig("pi-mnist", s, {
        hyper: { epochs, ...(seed !== undefined ? { seed } : {}) },
        trainLimit,
      });
      const dir = join(out, s);
      const summaryPath = join(dir, "summary.json");
      if (existsSync(summaryPath)) {
        const prev = JSON.parse(readFileSync(summaryPath, "utf8")) as Summary;
        if (prev.completed && prev.epochs === epochs) {
          console.log(`${s}: done already (${summaryPath}), skipped`);
          summaries.set(s, prev);
          continue;
        }
      }
      const resume = existsSync(join(dir, "checkpoint.bin"));
      console.log(
        `\n== ${s} (${config.precision.format}, propagation ${config.precision.propagationBits} / update ${config.precision.updateBits} bits)${resume ? ", resuming" : ""}`,
      );
      const t0 = performance.now();
      runTraining(config, data, dir, resume, (l) => console.log(l), ["reproduce", ...argv]);
      console.log(`${s}: ${formatDuration((performance.now() - t0) / 1000)}`);
      summaries.set(s, JSON.parse(readFileSync(summaryPath, "utf8")) as Summary);
    }
    const rows = settings.map((s) => {
      const m = summaries.get(s)!;
      const paper = table.rows.find((r) => r.setting === s);
      const p = PRECISION_PRESETS[s as PrecisionPresetName];
      return {
        setting: s,
        label: paper?.label ?? s,
        propagationBits: p.propagationBits,
        updateBits: p.updateBits,
        epochs: m.epochs,
        bestEpoch: m.bestEpoch,
        bestValidError: m.bestValidError,
        testError: m.testErrorAtBestValid,
        paperTestError: paper?.["pi-mnist"] ?? NaN,
        secondsPerEpoch: m.secondsPerEpoch,
      };
    });
    const header = [
      "setting",
      "propagationBits",
      "updateBits",
      "epochs",
      "bestEpoch",
      "bestValidError",
      "testError",
      "paperTestError",
      "secondsPerEpoch",
    ] as const;
    writeAtomic(
      join(out, "summary.csv"),
      `${[header.join(","), ...rows.map((r) => header.map((h) => (typeof r[h] === "number" ? (Number.isFinite(r[h]) ? String(r[h]) : "") : r[h])).join(","))].join("\n")}\n`,
    );
    const md = [
      `# PI-MNIST at the paper's four precision settings`,
      ``,
      `${epochs} epochs per setting (the paper: 800), batch 100, seed ${seed ?? 1234}; test error (%) at the epoch of lowest validation error.`,
      `Backend: ${info.name}${info.blas ? " (OpenBLAS)" : ""}, ${info.threads} thread(s).`,
      ``,
      `| Format | Prop. | Up. | Epochs | Best epoch | Valid error | Test error | Paper (Table 2) | s/epoch |`,
      `|---|---|---|---|---|---|---|---|---|`,
      ...rows.map(
        (r) =>
          `| ${r.label} | ${r.propagationBits} | ${r.updateBits} | ${r.epochs} | ${r.bestEpoch} | ${fmt(r.bestValidError)} % | ${fmt(r.testError)} % | ${fmt(r.paperTestError)} % | ${fmt(r.secondsPerEpoch, 1)} |`,
      ),
      ``,
      `Paper column: ${table.title}. Provenance: ${table.provenance}`,
      ``,
    ].join("\n");
    writeAtomic(join(out, "summary.md"), md);
    console.log(`\n${md}`);
    console.log(`wrote ${join(out, "summary.csv")} and ${join(out, "summary.md")}`);
    return 0;
  },
};
