/** The data each preset trains on, loaded through @lowprec/datasets and shaped as the networks expect. */
import { loadCifar10, loadMnist, loadSvhn, type Splits as DataSplits } from "@lowprec/datasets";
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
