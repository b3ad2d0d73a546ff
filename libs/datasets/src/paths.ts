/** Where each data set lives under a data directory (the repo's data/ by default; the CLI resolves it). */
import { join } from "node:path";

export interface DataPaths {
  /** folder of data_batch_1.bin … data_batch_5.bin, test_batch.bin (the tarball's own folder name) */
  readonly cifar10: string;
  /** folder of train_32x32.mat, test_32x32.mat, extra_32x32.mat */
  readonly svhn: string;
  /** preprocessing cache */
  readonly cache: string;
  /** partial and finished downloads */
  readonly downloads: string;
}

export function dataPaths(dataDir: string): DataPaths {
  return {
    cifar10: join(dataDir, "raw", "cifar-10-batches-bin"),
    svhn: join(dataDir, "raw", "svhn"),
    cache: join(dataDir, "cache"),
    downloads: join(dataDir, "raw", "downloads"),
  };
}
