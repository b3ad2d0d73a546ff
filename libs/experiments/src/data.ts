/** The data each preset trains on, loaded through @lowprec/datasets and shaped as the networks expect. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  DataFormatError,
  dataPaths,
  idxDatasetIdentity,
  imageFolderName,
  loadCifar10,
  loadIdxDataset,
  listImageFolder,
  loadImageFolder,
  loadMnist,
  loadSvhn,
  type ImageLayout,
  type Splits as DataSplits,
} from "@lowprec/datasets";
import type { Splits } from "@lowprec/maxout";
import { VIT_PRESETS } from "@lowprec/transformer";
import { maxoutPreset, type VariantSource } from "./definitions.js";
import { isVitPreset } from "./vit-run.js";
import { zcaKernels } from "./zca-kernels.js";

/** The presets whose networks take MNIST-layout images (one grey 28×28 channel), so any IDX folder can feed them. */
export const MNIST_LAYOUT_PRESETS: readonly string[] = ["pi-mnist", "mnist-conv", "vit-mnist"];

/**
 * A data set other than the preset's own: an MNIST-layout IDX folder (Fashion-MNIST, KMNIST, ...), split as MNIST
 * is (the last 10 000 training images validate). `name` defaults to the folder's (see idxDatasetIdentity).
 */
export interface IdxSource {
  readonly kind: "idx";
  readonly dir: string;
  readonly name?: string;
}

/**
 * A folder of images in torchvision's ImageFolder layout (`train/<class>/*`, `test/<class>/*`, .png/.jpg/.jpeg),
 * loaded as the preset's own data set would be: CIFAR-10's 3×32×32 with GCN + ZCA for cifar10, MNIST's 1×28×28
 * grey pixels / 255 for pi-mnist and mnist-conv (see loadImageFolder). `name` defaults to the folder's.
 */
export interface ImagesSource {
  readonly kind: "images";
  readonly dir: string;
  readonly name?: string;
}

export type DataSource = IdxSource | ImagesSource;

/** The presets an images: folder feeds, with the layout each network takes. */
export const IMAGE_LAYOUT_PRESETS: Readonly<Record<string, ImageLayout>> = {
  cifar10: "rgb32",
  "vit-cifar10": "rgb32",
  "pi-mnist": "grey28",
  "mnist-conv": "grey28",
  "vit-mnist": "grey28",
};

/** A preset network's input ([channels, height, width]) and its class count, Maxout's or the ViT's. */
export function presetIo(preset: string): { readonly input: readonly number[]; readonly classes: number } {
  const m = maxoutPreset(preset);
  if (m) {
    const out = m.network.layers[m.network.layers.length - 1];
    return { input: m.network.input, classes: out?.kind === "softmax" ? out.classes : 0 };
  }
  if (isVitPreset(preset)) {
    const { image, classes } = VIT_PRESETS[preset].spec;
    return { input: [image.channels, image.height, image.width], classes };
  }
  throw new RangeError(`no network preset "${preset}"`);
}

/** The name a data source is recorded and its run folder named by (idxDatasetIdentity, imageFolderName). */
export function dataSourceName(source: DataSource): string {
  return source.kind === "idx"
    ? idxDatasetIdentity(resolve(source.dir), source.name).name
    : imageFolderName(resolve(source.dir), source.name);
}

/**
 * The three splits a preset trains on, with their provenance (files and SHA-256, split, preprocessing, cache).
 * `dataDir` is the data root (datasets in raw/, caches in cache/); `source` replaces the preset's own data: an idx:
 * folder for the MNIST-layout presets, an images: folder for those of IMAGE_LAYOUT_PRESETS.
 */
export function loadSplits(
  preset: string,
  dataDir: string,
  log: (line: string) => void = console.log,
  source?: DataSource,
): Splits {
  let s: DataSplits;
  if (source?.kind === "idx") {
    if (!MNIST_LAYOUT_PRESETS.includes(preset))
      throw new RangeError(
        `an idx: data set feeds an MNIST-layout preset (${MNIST_LAYOUT_PRESETS.join(", ")}), not "${preset}"`,
      );
    s = loadIdxFolder(preset, source);
  } else if (source?.kind === "images") s = loadImagesFolder(preset, dataDir, source, log);
  else if (MNIST_LAYOUT_PRESETS.includes(preset)) s = loadMnist({});
  else if (preset === "cifar10" || preset === "vit-cifar10") {
    const z = zcaKernels();
    s = loadCifar10({
      dataDir,
      ...(z.kernels ? { kernels: z.kernels } : {}),
      kernelsDescription: z.description,
      log,
    });
  } else if (preset === "svhn") s = loadSvhn({ dataDir, log });
  else throw new RangeError(`no data set for preset "${preset}"`);
  return { train: s.train, valid: s.valid, test: s.test };
}

/** An IDX folder, named and with its class names; its images must be the preset network's size. */
function loadIdxFolder(preset: string, source: IdxSource): DataSplits {
  const dir = resolve(source.dir);
  const { name, classNames } = idxDatasetIdentity(dir, source.name);
  const s = loadIdxDataset({ dir, name, classNames });
  const [c, h, w] = presetIo(preset).input;
  const [sc, sh, sw] = s.train.shape;
  if (sc !== c || sh !== h || sw !== w)
    throw new DataFormatError(
      s.train.provenance.files[0]?.path ?? dir,
      `images are ${sh}×${sw}; the ${preset} network takes ${h}×${w} images`,
    );
  return s;
}

/**
 * An images: folder in the layout of the preset's network (refused for a preset IMAGE_LAYOUT_PRESETS lacks), CIFAR-10's
 * ZCA kernels and progress lines for rgb32; no more classes than the network has outputs.
 */
function loadImagesFolder(
  preset: string,
  dataDir: string,
  source: ImagesSource,
  log: (line: string) => void,
): DataSplits {
  const layout = IMAGE_LAYOUT_PRESETS[preset];
  if (!layout)
    throw new RangeError(
      `an images: data set feeds ${Object.entries(IMAGE_LAYOUT_PRESETS)
        .map(([p, l]) => `${p} (${l})`)
        .join(", ")}, not "${preset}"`,
    );
  const dir = resolve(source.dir);
  const name = dataSourceName(source);
  // NOTE: the class count is checked on the listing, before the images are decoded
  const classNames = listImageFolder(dir).classNames;
  const classes = presetIo(preset).classes;
  if (classNames.length > classes)
    throw new DataFormatError(
      join(dir, "train"),
      `${classNames.length} classes; the ${preset} network has ${classes} outputs`,
    );
  const z = layout === "rgb32" ? zcaKernels() : undefined;
  return loadImageFolder({
    dir,
    layout,
    dataDir,
    name,
    log,
    ...(z?.kernels ? { kernels: z.kernels } : {}),
    ...(z ? { kernelsDescription: z.description } : {}),
  });
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

/** The data root's folder of a variant's image folder (`<data root>/raw/<name>`). */
export function sourceDir(source: VariantSource, dataDir: string): string {
  return join(dataDir, "raw", source.images);
}

/** The data source a planned run loads instead of its preset's own data (undefined: the preset's own). */
export function runSource(run: { readonly source?: VariantSource }, dataDir: string): DataSource | undefined {
  return run.source ? { kind: "images", dir: sourceDir(run.source, dataDir), name: run.source.images } : undefined;
}

/** Whether a planned run's data is in the data root: its variant's image folder, else its dataset's files. */
export function runDataAvailable(
  run: { readonly dataset: string; readonly source?: VariantSource },
  dataDir: string,
): boolean {
  if (run.source) {
    const dir = sourceDir(run.source, dataDir);
    return existsSync(join(dir, "train")) && existsSync(join(dir, "test"));
  }
  return datasetAvailable(run.dataset, dataDir);
}
