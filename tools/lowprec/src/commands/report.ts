/** `lowprec report`: stored results → reports/ (Table 2 beside the paper, the figures, cost vs error). */
import { resolve } from "node:path";
import { buildReport, collectReport, VARIANTS, type VariantName } from "@lowprec/experiments";
import { ensureWritableDir } from "@lowprec/storage";
import { UsageError, type Command } from "../command.js";
import { existingDataDir, repoRoot } from "../paths.js";
import { VARIANT_OPTION } from "./sweep.js";

export const command: Command = {
  name: "report",
  summary: "write reports/: Table 2 beside the paper, the four figures, telemetry, cost vs error (Markdown, SVG, PNG)",
  synopsis: "[--variant budget|paper|long|images|smoke] [--collect [--force] [--allow-dirty]] [--out DIR]",
  description:
    "Builds DIR/README.md and DIR/figures/ from the results tables in DIR/results/<variant>/ (committed, so the\n" +
    "report rebuilds byte for byte without training). --collect first refreshes those tables from the result\n" +
    "store (<data root>/results/), after `lowprec sweep` or `lowprec reproduce`, run by run: the store's finished\n" +
    "runs, and every finished run already collected that the store lacks (so runs from several sessions or\n" +
    "machines add up, and none is dropped). It refuses a store with no finished run without --force (the\n" +
    "store's runs only), and runs trained from a work tree with uncommitted changes (commit +dirty) without\n" +
    "--allow-dirty (the page then says how many such runs it holds).\n" +
    "The page is built only from tables that match the lengths and SHA-256 hashes provenance.json records.",
  options: {
    variant: VARIANT_OPTION,
    collect: { type: "boolean", description: "refresh DIR/results/<variant>/ from the result store first" },
    force: {
      type: "boolean",
      description: "with --collect: the store's runs only, even fewer than collected (or none); keep nothing",
    },
    "allow-dirty": {
      type: "boolean",
      description: "with --collect: collect runs trained from a work tree with uncommitted changes (the page says so)",
    },
    out: { type: "string", value: "DIR", description: "the report folder (default: the repository's reports/)" },
    "data-dir": {
      type: "string",
      value: "DIR",
      description: "data root, for --collect ($LOWPREC_DATA, else the repository's data/)",
    },
  },
  async run(args) {
    const variant = args.choice("variant", VARIANTS, "budget") as VariantName;
    if (!args.flag("collect")) {
      args.refuse(["data-dir"], "only --collect reads the result store");
      args.refuse(["force"], "only --collect replaces the collected tables");
      args.refuse(["allow-dirty"], "only --collect reads the runs' commits");
    }
    const out = resolve(args.string("out") ?? resolve(repoRoot(), "reports"));
    // NOTE: a data root that does not exist is named before anything is created
    const dataDir = args.flag("collect") ? existingDataDir(args.string("data-dir")) : undefined;
    // NOTE: checked before writing, so a read-only folder is named as such (mkdir -p on one says ENOENT on Node 20)
    ensureWritableDir(out);
    if (dataDir !== undefined) {
      const force = args.flag("force");
      const allowDirty = args.flag("allow-dirty");
      const files = collectReport(dataDir, variant, out, { force, refuseDirty: true, allowDirty });
      console.log(`collected ${files.length} files into ${resolve(out, "results", variant)}`);
    }
    // NOTE: the long variant (the knees at a longer length) and the images variant (CIFAR-10 from an image folder)
    // are sections of the budget page
    const section = variant === "long" || variant === "images";
    if (section && !args.flag("collect"))
      throw new UsageError(
        `--variant ${variant}: its runs are a section of the budget page (--collect them, else --variant budget)`,
      );
    const page: VariantName = section ? "budget" : variant;
    const files = await buildReport(out, page);
    console.log(`wrote ${files.length} files: ${resolve(out, "README.md")} and ${resolve(out, "figures")}/`);
    return 0;
  },
};
