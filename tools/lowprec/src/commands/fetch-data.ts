/**
 * `lowprec fetch-data`: downloads CIFAR-10 (binary) and SVHN (format 2) from their official addresses into the
 * data folder, verifying checksums; offline, says which files to put where. MNIST needs nothing (embedded).
 */
import { DownloadError, fetchDataset, placementInstructions, type FetchableDataset } from "@lowprec/datasets";
import { flagString, parseArgs, UsageError, type Command } from "../command.js";

import { resolveDataDir } from "../paths.js";

export { resolveDataDir };

const USAGE = `usage: lowprec fetch-data [--dataset cifar10|svhn|all] [--data-dir DIR] [--no-extra] [--mirror URL]

Downloads CIFAR-10 (cifar-10-binary.tar.gz, unpacked to DIR/raw/cifar-10-batches-bin) and SVHN format 2
(train/test/extra_32x32.mat into DIR/raw/svhn), checks each file's MD5, and writes atomically.
Files already present with the right checksum are kept. MNIST is embedded and needs no download.

options:
  --dataset NAME   cifar10, svhn or all (default all)
  --data-dir DIR   data root (default: $LOWPREC_DATA, else the repository's data/)
  --no-extra       skip SVHN's extra_32x32.mat (1.3 GB); SVHN then uses the documented train-only split
  --mirror URL     fetch the same file names from URL/ instead of the official addresses`;

export const command: Command = {
  name: "fetch-data",
  summary: "download and verify CIFAR-10 and SVHN (or say where to put them when offline)",
  usage: USAGE,
  async run(argv) {
    const args = parseArgs(argv, ["no-extra"], ["dataset", "data-dir", "mirror"]);
    if (args.positionals.length) throw new UsageError(`unexpected argument "${args.positionals[0]}"`);
    const which = flagString(args, "dataset", "all")!;
    if (!["cifar10", "svhn", "all"].includes(which))
      throw new UsageError(`option --dataset: expected cifar10, svhn or all, got "${which}"`);
    const datasets: FetchableDataset[] = which === "all" ? ["cifar10", "svhn"] : [which as FetchableDataset];
    const dataDir = resolveDataDir(flagString(args, "data-dir"));
    const mirror = flagString(args, "mirror");
    let failed = 0;
    for (const dataset of datasets) {
      try {
        const r = await fetchDataset(dataset, {
          dataDir,
          includeExtra: !args.flags.has("no-extra"),
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
            `${dataset}: cannot download (${e.message}). This machine looks offline.\n${placementInstructions(dataset, dataDir)}\n`,
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
