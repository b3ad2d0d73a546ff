/** `lowprec verify`: checks every run folder of the data root against its sealed manifest. */
import { verifyStore } from "@lowprec/experiments";
import type { Command } from "../command.js";
import { DATA_DIR_OPTION, resolveDataDir } from "../paths.js";

export const command: Command = {
  name: "verify",
  summary: "check every stored run's files against its sealed manifest (length, SHA-256, checkpoint)",
  synopsis: "[--data-dir DIR] [--json]",
  description:
    "Walks <data root>/results/ and <data root>/runs/ and checks each run folder: every file manifest.sealed lists\n" +
    "is there with its recorded length and SHA-256, no run file is missing from it, the checkpoint decodes.\n" +
    "Prints one line per damaged folder (the file and why), then the counts; exit 1 when any folder is damaged.\n" +
    "A folder a live process is writing is counted as in progress.",
  options: {
    "data-dir": DATA_DIR_OPTION,
    json: { type: "boolean", description: "print the verdict of every folder as JSON instead" },
  },
  async run(args) {
    const checks = verifyStore(resolveDataDir(args.string("data-dir")));
    const count = (s: string) => checks.filter((c) => c.state === s).length;
    const [intact, damaged, inProgress] = [count("intact"), count("damaged"), count("in progress")];
    if (args.flag("json"))
      console.log(JSON.stringify({ checked: checks.length, intact, damaged, inProgress, folders: checks }, null, 2));
    else {
      for (const c of checks) {
        const [first, ...more] = c.problems;
        if (c.state !== "damaged" || !first) continue;
        const also = more.length ? ` (and ${more.map((p) => p.file).join(", ")})` : "";
        console.log(`damaged ${c.dir}: ${first.file}: ${first.why}${also}`);
      }
      console.log(`${checks.length} runs checked: ${intact} intact, ${damaged} damaged, ${inProgress} in progress`);
      if (damaged)
        console.log(
          "a damaged run is not used as a result: move its folder away (or delete it) and run it again " +
            "(`lowprec sweep` for a sweep's run, `lowprec train --force` for a single run)",
        );
    }
    return damaged ? 1 : 0;
  },
};
