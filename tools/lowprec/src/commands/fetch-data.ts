/**
 * `lowprec fetch-data`: downloads CIFAR-10 (binary) and SVHN (format 2) from their official addresses into the
 * data folder, verifying checksums; offline, says which files to put where. MNIST needs nothing (embedded).
 */
import { DownloadError, fetchDataset, placementInstructions, type FetchableDataset } from "@lowprec/datasets";
import type { Command } from "../command.js";

import { DATA_DIR_OPTION, resolveDataDir } from "../paths.js";

export { resolveDataDir };

export const command: Command = {
  name: "fetch-data",
  summary: "download and verify CIFAR-10 and SVHN (or say where to put them when offline)",
  synopsis: "[--dataset cifar10|svhn|all] [--data-dir DIR] [--no-extra] [--mirror URL]",
  description:
    "Downloads CIFAR-10 (cifar-10-binary.tar.gz, unpacked to DIR/raw/cifar-10-batches-bin) and SVHN format 2\n" +
    "(train/test/extra_32x32.mat into DIR/raw/svhn), checks each file's MD5, and writes atomically.\n" +
    "Files already present with the right checksum are kept. MNIST is embedded and needs no download.",
  options: {
    dataset: { type: "string", value: "NAME", description: "cifar10, svhn or all (default all)" },
    "data-dir": DATA_DIR_OPTION,
    "no-extra": {
      type: "boolean",
      description: "skip SVHN's extra_32x32.mat (1.3 GB); SVHN then uses the documented train-only split",
    },
    mirror: { type: "string", value: "URL", description: "fetch the same file names from URL/ instead" },
  },
  async run(args) {
    const which = args.choice("dataset", ["cifar10", "svhn", "all"] as const, "all");
    if (which === "cifar10") args.refuse(["no-extra"], "only SVHN has an extra set");
    const datasets: FetchableDataset[] = which === "all" ? ["cifar10", "svhn"] : [which];
    const dataDir = resolveDataDir(args.string("data-dir"));
    const mirror = args.string("mirror");
    let failed = 0;
    for (const dataset of datasets) {
      try {
        const r = await fetchDataset(dataset, {
          dataDir,
          includeExtra: !args.flag("no-extra"),
          ...(mirror ? { baseUrl: mirror } : {}),
          log: (line) => console.log(`${dataset}: ${line}`),
        });
        console.log(
          `${dataset}: ok (${r.downloaded.length} downloaded, ${r.present.length} already present) in ${dataDir}`,
        );
      } catch (e) {
        failed++;
        if (e instanceof DownloadError && e.kind === "offline") {
          console.error(
            `${dataset}: cannot download (${e.message}). This machine looks offline.` +
              `\n${placementInstructions(dataset, dataDir)}\n`,
          );
        } else {
          console.error(
            `${dataset}: ${e instanceof Error ? e.message : String(e)}\n${placementInstructions(dataset, dataDir)}\n`,
          );
        }
      }
    }
    return failed ? 1 : 0;
  },
};
