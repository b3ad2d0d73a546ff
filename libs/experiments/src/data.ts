/** The data each preset trains on, loaded through @lowprec/datasets and shaped as the networks expect. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dataPaths, loadCifar10, loadMnist, loadSvhn, type Splits as DataSplits } from "@lowprec/datasets";
import type { Splits } from "@lowprec/maxout";
import { zcaKernelsOnce } from "./zca-kernels.js";

/** The three splits a preset trains on, shaped (c, h, w). `dataDir` is the data root (datasets in raw/). */
export function loadSplits(preset: string, dataDir: string, log: (line: string) => void = console.log): Splits {
  let s: DataSplits;
  if (preset === "pi-mnist" || preset === "mnist-conv") s = loadMnist({});
  else if (preset === "cifar10") s = loadCifar10({ dataDir, kernels: zcaKernelsOnce(log) });
  else if (preset === "svhn") s = loadSvhn({ dataDir });
  else throw new RangeError(`no data set for preset "${preset}"`);
  const shaped = (d: DataSplits["train"]) => {
    if (d.shape.length !== 3)
      throw new Error(`${d.name} ${d.split}: expected images of shape [c, h, w], got [${d.shape.join(", ")}]`);
    return { images: d.images, labels: d.labels, count: d.count, shape: d.shape as readonly [number, number, number] };
  };
  return { train: shaped(s.train), valid: shaped(s.valid), test: shaped(s.test) };
}

/** Whether the files a dataset needs are in the data root (MNIST is embedded: always). */
export function datasetAvailable(dataset: string, dataDir: string): boolean {
  const p = dataPaths(dataDir);
  if (dataset === "cifar10")
    return [1, 2, 3, 4, 5]
      .map((i) => `data_batch_${i}.bin`)
      .concat("test_batch.bin")
      .every((f) => existsSync(join(p.cifar10, f)));
  if (dataset === "svhn") return ["train_32x32.mat", "test_32x32.mat"].every((f) => existsSync(join(p.svhn, f)));
  return true;
}
