/** `lowprec results`: one tidy table of an experiment's runs (one row per run), printed and as CSV. */
import { resolve } from "node:path";
import { collectResults } from "@lowprec/experiments";
import { markdownTable, resultsToCsv, type ResultRow } from "@lowprec/report";
import { writeFileAtomic } from "@lowprec/storage";
import type { Command } from "../command.js";
import { DATA_DIR_OPTION, existingDataDir } from "../paths.js";
import { experimentArg, VARIANT_OPTION, variantArg } from "./sweep.js";

const num = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : "");

/** The printed digest of result rows (the CSV carries every column). */
export function resultsDigest(rows: readonly ResultRow[]): string {
  const header = [
    "dataset",
    "setting",
    "prop",
    "upd",
    "int",
    "max ovf",
    "seed",
    "ep",
    "best",
    "valid error %",
    "test error %",
  ];
  const body = rows.map((r) => [
    r.dataset,
    r.setting,
    String(r.propagationBits),
    String(r.updateBits),
    r.format === "fixed" || r.format === "dynamic-fixed" ? String(r.integerBits) : "",
    Number.isFinite(r.maxOverflowRate) ? String(r.maxOverflowRate) : "",
    String(r.seed),
    String(r.epochs),
    Number.isFinite(r.bestEpoch) ? String(r.bestEpoch) : "",
    num(r.validError, 2),
    r.status === "done" ? num(r.testError, 2) : r.status,
  ]);
  body.forEach((b, i) => {
    const n = rows[i]!.normalizedError;
    b.push(num(n, 3));
  });
  return markdownTable([...header, "norm."], body);
}

export const command: Command = {
  name: "results",
  summary: "the results of an experiment's runs as one table (one row per run), printed and as CSV",
  synopsis: "<experiment|FILE.json> [--variant V] [--csv FILE]",
  description:
    "Reads the result store (<data root>/results/<experiment>/<variant>/) and lists every run of the variant:\n" +
    "its dataset, setting, widths, seed, epochs, best epoch, validation and test error, and the test error\n" +
    "normalised by the baseline setting's (float32) of the same dataset, seed and length; runs not done say why.\n" +
    "<experiment> is a shipped experiment (as `lowprec sweep`'s) or a definition file (a path ending in .json).",
  positionals: { min: 1, max: 1 },
  options: {
    variant: VARIANT_OPTION,
    csv: { type: "string", value: "FILE", description: "also write every column as CSV to FILE" },
    "data-dir": DATA_DIR_OPTION,
  },
  async run(args) {
    const def = experimentArg(args.positionals[0]!);
    const variant = variantArg(args, def);
    // NOTE: damaged runs and re-derived summaries are named on stderr; their rows say so too
    const rows = collectResults(def, variant, existingDataDir(args.string("data-dir")), undefined, (line) =>
      console.error(line),
    );
    console.log(`${def.name}/${variant}: ${def.title}`);
    console.log(resultsDigest(rows));
    const csv = args.string("csv");
    if (csv !== undefined) {
      writeFileAtomic(resolve(csv), resultsToCsv(rows));
      console.log(`wrote ${resolve(csv)}`);
    }
    const damaged = rows.filter((r) => r.status.startsWith("damaged")).length;
    if (damaged)
      console.error(`lowprec results: ${damaged} damaged run(s), not used as results; see \`lowprec verify\``);
    return damaged ? 1 : 0;
  },
};
