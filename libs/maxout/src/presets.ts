/**
 * The paper's four networks and their hyper-parameters (METHOD.md §4, the authors' final `model.py` /
 * `main.py`), as data. Every field can be overridden through `resolveConfig`.
 */

/** A maxout fully connected layer: `units` outputs, each the max of `pieces` consecutive weighted sums. */
export interface MaxoutDenseSpec {
  readonly kind: "maxout-dense";
  readonly units: number;
  readonly pieces: number;
}

/** A maxout convolution layer: conv (maps·pieces filters) → max pool → + b → maxout over pieces. */
export interface MaxoutConvSpec {
  readonly kind: "maxout-conv";
  readonly maps: number;
  readonly pieces: number;
  readonly kernel: number;
  readonly padding: number;
  readonly poolSize: number;
  readonly poolStride: number;
}

/** The softmax output layer. */
export interface SoftmaxSpec {
  readonly kind: "softmax";
  readonly classes: number;
}

/** What every layer has besides its geometry. */
export interface LayerCommon {
  /** dropout keep probability of the layer's input (the authors' `p`) */
  readonly keepProb: number;
  /** multiplies W (and b) at test time (the authors' `scale`) */
  readonly testScale: number;
  /** max-norm constraint c (the authors' `max_col_norm`) */
  readonly maxNorm: number;
  /** learning-rate multiplier of W and b */
  readonly lrScale: number;
}

export type LayerSpec = (MaxoutDenseSpec | MaxoutConvSpec | SoftmaxSpec) & LayerCommon;

export interface NetworkSpec {
  /** input shape (channels, height, width); dense-only networks see it flattened */
  readonly input: readonly [number, number, number];
  readonly layers: readonly LayerSpec[];
}

/** Optimisation hyper-parameters (SGD with momentum; both schedules change once per epoch). */
export interface HyperParameters {
  readonly epochs: number;
  readonly batch: number;
  /** initial learning rate LR0 */
  readonly learningRate: number;
  /** final learning rate, reached linearly after `learningRateSaturationEpochs` epochs */
  readonly learningRateFinal: number;
  readonly learningRateSaturationEpochs: number;
  readonly momentum: number;
  readonly momentumFinal: number;
  readonly momentumSaturationEpochs: number;
  /** the authors' RandomState(1234) */
  readonly seed: number;
  /** `examples`: a new order of examples each epoch; `batches`: fixed batches, their order shuffled (SVHN) */
  readonly shuffle: "examples" | "batches";
}

export interface NetworkPreset {
  readonly name: string;
  readonly description: string;
  readonly network: NetworkSpec;
  readonly hyper: HyperParameters;
}

const input = { keepProb: 0.8, testScale: 1, lrScale: 1 };
const hidden = { keepProb: 0.5, testScale: 0.5, maxNorm: 1.9365, lrScale: 1 };

const cifarNetwork: NetworkSpec = {
  input: [3, 32, 32],
  layers: [
    {
      kind: "maxout-conv",
      maps: 64,
      pieces: 2,
      kernel: 5,
      padding: 2,
      poolSize: 3,
      poolStride: 2,
      ...input,
      maxNorm: 0.9,
      lrScale: 0.2,
    },
    {
      kind: "maxout-conv",
      maps: 128,
      pieces: 2,
      kernel: 5,
      padding: 2,
      poolSize: 3,
      poolStride: 2,
      ...hidden,
      lrScale: 0.2,
    },
    {
      kind: "maxout-conv",
      maps: 128,
      pieces: 2,
      kernel: 5,
      padding: 2,
      poolSize: 3,
      poolStride: 2,
      ...hidden,
      lrScale: 0.2,
    },
    { kind: "maxout-dense", units: 400, pieces: 5, ...hidden },
    { kind: "softmax", classes: 10, ...hidden },
  ],
};

export const NETWORK_PRESETS = {
  "pi-mnist": {
    name: "pi-mnist",
    description: "permutation-invariant MNIST: 784 → maxout 240×5 → maxout 240×5 → softmax 10",
    network: {
      input: [1, 28, 28],
      layers: [
        { kind: "maxout-dense", units: 240, pieces: 5, ...input, maxNorm: 1.9365 },
        { kind: "maxout-dense", units: 240, pieces: 5, ...hidden },
        { kind: "softmax", classes: 10, ...hidden },
      ],
    },
    hyper: {
      epochs: 800,
      batch: 100,
      learningRate: 0.05,
      learningRateFinal: 0.005,
      learningRateSaturationEpochs: 400,
      momentum: 0.5,
      momentumFinal: 0.7,
      momentumSaturationEpochs: 200,
      seed: 1234,
      shuffle: "examples",
    },
  },
  "mnist-conv": {
    name: "mnist-conv",
    description:
      "MNIST maxout convnet: conv 48×2 8×8 pool 4/2 → conv 48×2 8×8 pad 3 pool 4/2" +
      " → conv 24×4 5×5 pad 3 pool 2/2 → softmax 10",
    network: {
      input: [1, 28, 28],
      layers: [
        {
          kind: "maxout-conv",
          maps: 48,
          pieces: 2,
          kernel: 8,
          padding: 0,
          poolSize: 4,
          poolStride: 2,
          ...input,
          maxNorm: 0.9,
        },
        { kind: "maxout-conv", maps: 48, pieces: 2, kernel: 8, padding: 3, poolSize: 4, poolStride: 2, ...hidden },
        { kind: "maxout-conv", maps: 24, pieces: 4, kernel: 5, padding: 3, poolSize: 2, poolStride: 2, ...hidden },
        { kind: "softmax", classes: 10, ...hidden },
      ],
    },
    hyper: {
      epochs: 800,
      batch: 128,
      learningRate: 0.02,
      learningRateFinal: 0.002,
      learningRateSaturationEpochs: 400,
      momentum: 0.5,
      momentumFinal: 0.7,
      momentumSaturationEpochs: 200,
      seed: 1234,
      shuffle: "examples",
    },
  },
  cifar10: {
    name: "cifar10",
    description:
      "CIFAR-10 (GCN + ZCA): conv 64×2 → conv 128×2 → conv 128×2 (5×5 pad 2, pool 3/2) → maxout 400×5 → softmax 10",
    network: cifarNetwork,
    hyper: {
      epochs: 400,
      batch: 128,
      learningRate: 0.02,
      learningRateFinal: 0.002,
      learningRateSaturationEpochs: 200,
      momentum: 0.5,
      momentumFinal: 0.7,
      momentumSaturationEpochs: 200,
      seed: 1234,
      shuffle: "examples",
    },
  },
  svhn: {
    name: "svhn",
    description: "SVHN (GCN + LCN): the CIFAR-10 network; batch order shuffled, batches fixed",
    network: cifarNetwork,
    hyper: {
      epochs: 200,
      batch: 128,
      learningRate: 0.05,
      learningRateFinal: 0.005,
      learningRateSaturationEpochs: 100,
      momentum: 0.5,
      momentumFinal: 0.7,
      momentumSaturationEpochs: 100,
      seed: 1234,
      shuffle: "batches",
    },
  },
} as const satisfies Record<string, NetworkPreset>;
export type NetworkPresetName = keyof typeof NETWORK_PRESETS;
