/** `lowprec report`: stored results → reports/ (Table 2 beside the paper, the figures, cost vs error). */
import { resolve } from "node:path";
import { buildReport, collectReport, VARIANTS, type VariantName } from "@lowprec/experiments";
import type { Command } from "../command.js";
import { existingDataDir, repoRoot } from "../paths.js";
import { VARIANT_OPTION } from "./sweep.js";

export const command: Command = {
  name: "report",
  summary: "write reports/: Table 2 beside the paper, the four figures, telemetry, cost vs error (Markdown, SVG, PNG)",
  synopsis: "[--variant budget|paper|smoke] [--collect] [--out DIR]",
  description:
    "Builds DIR/README.md and DIR/figures/ from the results tables in DIR/results/<variant>/ (committed, so the\n" +
    "report rebuilds byte for byte without training). --collect first refreshes those tables from the result\n" +
    "store (<data root>/results/), after `lowprec sweep` or `lowprec reproduce`.",
  options: {
    variant: VARIANT_OPTION,
    collect: { type: "boolean", description: "refresh DIR/results/<variant>/ from the result store first" },
    out: { type: "string", value: "DIR", description: "the report folder (default: the repository's reports/)" },
    "data-dir": {
      type: "string",
      value: "DIR",
      description: "data root, for --collect ($LOWPREC_DATA, else the repository's data/)",
    },
  },
  async run(args) {
    const variant = args.choice("variant", VARIANTS, "budget") as VariantName;
    if (!args.flag("collect")) args.refuse(["data-dir"], "only --collect reads the result store");
    const out = resolve(args.string("out") ?? resolve(repoRoot(), "reports"));
    if (args.flag("collect")) {
      const files = collectReport(existingDataDir(args.string("data-dir")), variant, out);
      console.log(`collected ${files.length} files into ${resolve(out, "results", variant)}`);
    }
    const files = await buildReport(out, variant);
    console.log(`wrote ${files.length} files: ${resolve(out, "README.md")} and ${resolve(out, "figures")}/`);
    return 0;
  },
};
