/**
 * Network shapes and what they imply: geometry, parameters, values per example and multiply-accumulate
 * (MAC) counts for the forward pass, the backward pass and the update. The counting rules are the
 * README's "Counting rules"; change one here and there together.
 */

/** A maxout fully connected layer: `units` outputs, each the max of `pieces` affine pieces. */
export interface DenseShape {
  readonly kind: "dense";
  readonly inputs: number;
  readonly units: number;
  readonly pieces: number;
}

/**
 * A maxout convolutional layer as in cuda-convnet: `maps · pieces` filters of `kernel × kernel` over
 * `inChannels`, zero padding, then max pooling (ceil mode, METHOD.md §4.4), then maxout over `pieces`.
 */
export interface ConvShape {
  readonly kind: "conv";
  readonly inChannels: number;
  readonly height: number;
  readonly width: number;
  readonly maps: number;
  readonly pieces: number;
  readonly kernel: number;
  readonly padding: number;
  readonly stride: number;
  readonly pool: { readonly size: number; readonly stride: number };
}

/** The softmax output layer. */
export interface SoftmaxShape {
  readonly kind: "softmax";
  readonly inputs: number;
  readonly classes: number;
}

export type LayerShape = DenseShape | ConvShape | SoftmaxShape;

/** A network to cost: its layers, in order, and how it is trained. */
export interface NetworkShape {
  readonly layers: readonly LayerShape[];
  /** examples per mini-batch (one training step) */
  readonly batch: number;
  /** training examples per epoch; partial batches are dropped, so steps = floor(trainExamples / batch) */
  readonly trainExamples: number;
}

/** A network shape that does not hold together (a layer's input is not the previous layer's output). */
export class ShapeError extends RangeError {
  override readonly name = "ShapeError";
}

/** What one layer holds and computes, per example unless named per step. */
export interface LayerCount {
  readonly index: number;
  readonly kind: LayerShape["kind"];
  /** a short description, e.g. `conv 48x8x8 p0 pool4/2 -> 48x10x10` */
  readonly label: string;
  /** values entering the layer */
  readonly inputs: number;
  /** weights W */
  readonly weights: number;
  /** biases b (one per filter/piece: cuda-convnet's tied biases) */
  readonly biases: number;
  /** pre-activation values z per example (conv: conv output before pooling plus the pooled values) */
  readonly weightedSums: number;
  /** outputs y per example (after maxout or softmax) */
  readonly outputs: number;
  /** conv output size before pooling (conv only) and after pooling */
  readonly geometry?: {
    readonly convHeight: number;
    readonly convWidth: number;
    readonly poolHeight: number;
    readonly poolWidth: number;
  };
  /** MACs of the forward pass, per example */
  readonly forwardMacs: number;
  /** MACs of the gradient w.r.t. the layer's input, per example (0 for the first layer) */
  readonly inputGradientMacs: number;
  /** MACs of the gradient w.r.t. the weights, per example (accumulated over the batch) */
  readonly weightGradientMacs: number;
}

export interface NetworkCount {
  readonly layers: readonly LayerCount[];
  /** values of the raw input, per example */
  readonly inputs: number;
  readonly parameters: number;
  readonly weights: number;
  readonly biases: number;
  readonly forwardMacsPerExample: number;
  /** input gradients + weight gradients */
  readonly backwardMacsPerExample: number;
  /** SGD + momentum + max-norm, per step (independent of the batch size) */
  readonly updateMultipliesPerStep: number;
  readonly updateAddsPerStep: number;
  readonly stepsPerEpoch: number;
}

function positiveInteger(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new ShapeError(`${what}: expected a positive integer, got ${String(v)}`);
  return v;
}

/** cuda-convnet convolution output size: ceil((n + 2p − k)/s) + 1 (METHOD.md §4.4). */
export function convOutputSize(n: number, kernel: number, padding: number, stride: number): number {
  const span = n + 2 * padding - kernel;
  if (span < 0) throw new ShapeError(`conv: kernel ${kernel} is larger than the padded input ${n} + 2·${padding}`);
  return Math.ceil(span / stride) + 1;
}

/** cuda-convnet max pooling output size, ceil mode: ceil((n − k)/s) + 1, the last window clipped (METHOD.md §4.4). */
export function poolOutputSize(n: number, size: number, stride: number): number {
  if (n < size) throw new ShapeError(`pool: window ${size} is larger than its input ${n}`);
  return Math.ceil((n - size) / stride) + 1;
}

/** Counts one layer; `first` says whether it reads the raw input (then no input gradient is computed). */
export function countLayer(layer: LayerShape, index: number, first: boolean): LayerCount {
  const at = `layer ${index} (${layer.kind})`;
  switch (layer.kind) {
    case "dense": {
      const inputs = positiveInteger(layer.inputs, `${at}.inputs`);
      const filters = positiveInteger(layer.units, `${at}.units`) * positiveInteger(layer.pieces, `${at}.pieces`);
      const macs = inputs * filters;
      return {
        index,
        kind: layer.kind,
        label: `maxout ${inputs} -> ${layer.units}x${layer.pieces}`,
        inputs,
        weights: macs,
        biases: filters,
        weightedSums: filters,
        outputs: layer.units,
        forwardMacs: macs,
        inputGradientMacs: first ? 0 : macs,
        weightGradientMacs: macs,
      };
    }
    case "softmax": {
      const inputs = positiveInteger(layer.inputs, `${at}.inputs`);
      const classes = positiveInteger(layer.classes, `${at}.classes`);
      const macs = inputs * classes;
      return {
        index,
        kind: layer.kind,
        label: `softmax ${inputs} -> ${classes}`,
        inputs,
        weights: macs,
        biases: classes,
        weightedSums: classes,
        outputs: classes,
        forwardMacs: macs,
        inputGradientMacs: first ? 0 : macs,
        weightGradientMacs: macs,
      };
    }
    case "conv": {
      const c = positiveInteger(layer.inChannels, `${at}.inChannels`);
      const h = positiveInteger(layer.height, `${at}.height`);
      const w = positiveInteger(layer.width, `${at}.width`);
      const k = positiveInteger(layer.kernel, `${at}.kernel`);
      if (!Number.isInteger(layer.padding) || layer.padding < 0)
        throw new ShapeError(`${at}.padding: expected an integer ≥ 0, got ${String(layer.padding)}`);
      const s = positiveInteger(layer.stride, `${at}.stride`);
      const filters = positiveInteger(layer.maps, `${at}.maps`) * positiveInteger(layer.pieces, `${at}.pieces`);
      const ps = positiveInteger(layer.pool.size, `${at}.pool.size`);
      const pst = positiveInteger(layer.pool.stride, `${at}.pool.stride`);
      const ch = convOutputSize(h, k, layer.padding, s),
        cw = convOutputSize(w, k, layer.padding, s);
      const ph = poolOutputSize(ch, ps, pst),
        pw = poolOutputSize(cw, ps, pst);
      const weights = filters * c * k * k;
      // NOTE: every output position multiplies a full k×k×c window, padding zeros included (dense hardware).
      const macs = ch * cw * weights;
      return {
        index,
        kind: layer.kind,
        label:
          `conv ${c}x${h}x${w} -> ${layer.maps}x${layer.pieces} k${k} p${layer.padding}` +
          ` pool${ps}/${pst} -> ${layer.maps}x${ph}x${pw}`,
        inputs: c * h * w,
        weights,
        biases: filters,
        weightedSums: filters * (ch * cw + ph * pw),
        outputs: layer.maps * ph * pw,
        geometry: { convHeight: ch, convWidth: cw, poolHeight: ph, poolWidth: pw },
        forwardMacs: macs,
        inputGradientMacs: first ? 0 : macs,
        weightGradientMacs: macs,
      };
    }
    default: {
      const k = (layer as { kind?: unknown }).kind;
      throw new ShapeError(`${at}: unknown layer kind ${JSON.stringify(k)} (known: dense, conv, softmax)`);
    }
  }
}

/** Output shape of a layer, to check it against the next layer's input. */
function outputOf(
  layer: LayerShape,
  count: LayerCount,
): { values: number; channels?: number; height?: number; width?: number } {
  if (layer.kind === "conv" && count.geometry)
    return {
      values: count.outputs,
      channels: layer.maps,
      height: count.geometry.poolHeight,
      width: count.geometry.poolWidth,
    };
  return { values: count.outputs };
}

/** Update operations per parameter (README, "Counting rules"). */
export const UPDATE_OPERATIONS = Object.freeze({
  /** v ← M·v − LR·g: two multiplies and one add; W ← W + v: one add */
  perParameter: { multiplies: 2, adds: 2 },
  /** max-norm on weights only: square-and-accumulate for the norm, then the rescale multiply */
  perWeight: { multiplies: 2, adds: 1 },
});

/** Counts a network and checks that consecutive layers fit together. */
export function countNetwork(net: NetworkShape): NetworkCount {
  if (!Array.isArray(net.layers) || net.layers.length === 0)
    throw new ShapeError("network: expected at least one layer");
  const batch = positiveInteger(net.batch, "network.batch");
  const trainExamples = positiveInteger(net.trainExamples, "network.trainExamples");
  if (trainExamples < batch)
    throw new ShapeError(`network: trainExamples ${trainExamples} is smaller than one batch of ${batch}`);
  const layers: LayerCount[] = [];
  let previous: ReturnType<typeof outputOf> | undefined;
  net.layers.forEach((layer, i) => {
    const count = countLayer(layer, i, i === 0);
    if (previous) {
      if (count.inputs !== previous.values)
        throw new ShapeError(
          `layer ${i} (${layer.kind}): expects ${count.inputs} inputs but layer ${i - 1} gives ${previous.values}`,
        );
      if (
        layer.kind === "conv" &&
        (previous.channels !== layer.inChannels || previous.height !== layer.height || previous.width !== layer.width)
      )
        throw new ShapeError(
          `layer ${i} (conv): expects ${layer.inChannels}x${layer.height}x${layer.width}` +
            ` but layer ${i - 1} gives ${previous.channels ?? "?"}x${previous.height ?? "?"}x${previous.width ?? "?"}`,
        );
    }
    previous = outputOf(layer, count);
    layers.push(count);
  });
  const sum = (f: (l: LayerCount) => number): number => layers.reduce((a, l) => a + f(l), 0);
  const weights = sum((l) => l.weights),
    biases = sum((l) => l.biases);
  const u = UPDATE_OPERATIONS;
  return {
    layers,
    inputs: layers[0]!.inputs,
    parameters: weights + biases,
    weights,
    biases,
    forwardMacsPerExample: sum((l) => l.forwardMacs),
    backwardMacsPerExample: sum((l) => l.inputGradientMacs + l.weightGradientMacs),
    updateMultipliesPerStep: (weights + biases) * u.perParameter.multiplies + weights * u.perWeight.multiplies,
    updateAddsPerStep: (weights + biases) * u.perParameter.adds + weights * u.perWeight.adds,
    stepsPerEpoch: Math.floor(trainExamples / batch),
  };
}
