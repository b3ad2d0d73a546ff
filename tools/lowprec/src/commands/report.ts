/**
 * `lowprec report`: stored results → a report folder (Table 2 beside the paper, the figures, cost vs error): the
 * repository's reports/, or, for a variant whose report is never committed (smoke), `<data root>/report/`.
 */
import { resolve } from "node:path";
import {
  buildReport,
  collectCommand,
  collectReport,
  isLocalVariant,
  LOCAL_VARIANTS,
  localReportDir,
  VARIANTS,
  type VariantName,
} from "@lowprec/experiments";
import { ensureWritableDir } from "@lowprec/storage";
import { UsageError, type Command } from "../command.js";
import { existingDataDir, repoRoot } from "../paths.js";
import { VARIANT_OPTION } from "./sweep.js";

const LOCAL = LOCAL_VARIANTS.join(", ");

export const command: Command = {
  name: "report",
  summary: "write reports/: Table 2 beside the paper, the four figures, telemetry, cost vs error (Markdown, SVG, PNG)",
  synopsis: "[--variant budget|paper|long|images|smoke] [--collect [--force|--recollect] [--allow-dirty]] [--out DIR]",
  description:
    "Builds DIR/README.md and DIR/figures/ from the results tables in DIR/results/<variant>/ (committed, so the\n" +
    "report rebuilds byte for byte without training). DIR is the repository's reports/, except for the\n" +
    `${LOCAL} variant, whose report is never committed: <data root>/report/ (where \`lowprec reproduce\` writes).\n` +
    "The page in reports/ is the budget variant's: --collect --variant paper, long or images adds those runs to it.\n" +
    "--collect first refreshes those tables from the result store (<data root>/results/), after `lowprec sweep`\n" +
    "or `lowprec reproduce`, run by run: the store's finished runs, and every finished run already collected\n" +
    "that the store lacks (so runs from several sessions or machines add up, and none is dropped). A store with\n" +
    "no run of the variant is refused, naming the variants it holds and the command for each; --force keeps the\n" +
    "store's runs only and names what it drops. Runs trained from a work tree with uncommitted changes (commit\n" +
    "+dirty) are refused without --allow-dirty (the page then says how many such runs it holds). A refusal\n" +
    "writes nothing. --recollect remakes a committed collection from its own runs when the store no longer\n" +
    "holds them (after the collection code changed). The page is built only from tables that match the lengths\n" +
    "and SHA-256 hashes provenance.json records.",
  options: {
    variant: VARIANT_OPTION,
    collect: { type: "boolean", description: "refresh DIR/results/<variant>/ from the result store first" },
    force: {
      type: "boolean",
      description: "with --collect: the store's runs only, even fewer than collected; says what it drops",
    },
    recollect: {
      type: "boolean",
      description: "with --collect: remake the committed collection from its verified runs, even from an empty store",
    },
    "allow-dirty": {
      type: "boolean",
      description: "with --collect: collect runs trained from a work tree with uncommitted changes (the page says so)",
    },
    out: {
      type: "string",
      value: "DIR",
      description: `the report folder (default: the repository's reports/; for ${LOCAL}: <data root>/report/)`,
    },
    "data-dir": {
      type: "string",
      value: "DIR",
      description: `data root, for --collect and ${LOCAL}'s report folder ($LOWPREC_DATA, else the repository's data/)`,
    },
  },
  async run(args) {
    const variant = args.choice("variant", VARIANTS, "budget") as VariantName;
    const collect = args.flag("collect");
    // NOTE: a local variant's report goes beside its runs unless --out says where
    const local = isLocalVariant(variant) && !args.has("out");
    if (!collect) {
      if (!local) args.refuse(["data-dir"], `only --collect reads the result store (and ${LOCAL} writes beside it)`);
      args.refuse(["force"], "only --collect replaces the collected tables");
      args.refuse(["recollect"], "only --collect rewrites the collected tables");
      args.refuse(["allow-dirty"], "only --collect reads the runs' commits");
    }
    const committed = resolve(repoRoot(), "reports");
    const given = args.string("out");
    // NOTE: long and images are sections of the budget page, and so is paper in the repository's reports/ (whose
    // page is the budget's: paper's Table 2 rows join it): collected into it, never a page of their own there
    const section =
      variant === "long" || variant === "images" || (variant === "paper" && resolve(given ?? committed) === committed);
    if (section && !collect)
      throw new UsageError(
        `--variant ${variant}: its runs are a section of the budget page (--collect them, else --variant budget` +
          `${variant === "paper" ? "; --out DIR for a page of their own" : ""})`,
      );
    // NOTE: a data root that does not exist is named before anything is created
    const dataDir = collect || local ? existingDataDir(args.string("data-dir")) : undefined;
    const out = resolve(given ?? (local ? localReportDir(dataDir!) : committed));
    // NOTE: the hints name the same store and folder as this command, so following one literally reads them
    const dataArg = args.has("data-dir") ? `--data-dir ${dataDir}` : "";
    const tail = [dataArg, args.has("out") ? `--out ${out}` : ""].filter((s) => s !== "").join(" ");
    // NOTE: checked before writing, so a read-only folder is named as such (mkdir -p on one says ENOENT on Node 20)
    ensureWritableDir(out);
    if (collect) {
      const force = args.flag("force");
      const allowDirty = args.flag("allow-dirty");
      const recollect = args.flag("recollect");
      if (force && recollect)
        throw new UsageError(
          "--force and --recollect: --force keeps the store's runs only, --recollect the collected ones",
        );
      const opts = { force, recollect, refuseDirty: true, allowDirty, hintArgs: dataArg };
      const files = collectReport(dataDir!, variant, out, opts);
      console.log(`collected ${files.length} files into ${resolve(out, "results", variant)}`);
    }
    const page: VariantName = section ? "budget" : variant;
    const files = await buildReport(out, page, { collect: collectCommand(page, tail) });
    console.log(`wrote ${files.length} files: ${resolve(out, "README.md")} and ${resolve(out, "figures")}/`);
    return 0;
  },
};
