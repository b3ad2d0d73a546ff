/** Small synthetic data and configurations shared by the tests. */
import { getBackend } from "@lowprec/tensor";
import type { Kernels } from "@lowprec/tensor";
import { resolveConfig, type ConfigOverrides, type PrecisionSpec, type TrainConfig } from "../src/index.js";
import type { NetworkSpec } from "../src/presets.js";
import type { Dataset, Splits } from "../src/trainer.js";

export const kernels: Kernels = getBackend();

/** Deterministic pseudo-random numbers in [0, 1) (a test-local LCG; independent of the code under test). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** A learnable toy problem: class = index of the brightest of `classes` image regions, plus noise. */
export function toyData(
  count: number,
  shape: readonly [number, number, number],
  classes: number,
  seed: number,
): Dataset {
  const r = lcg(seed);
  const size = shape[0] * shape[1] * shape[2];
  const images = new Float32Array(count * size);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(r() * classes);
    labels[i] = c;
    for (let j = 0; j < size; j++) {
      const region = Math.floor((j * classes) / size);
      images[i * size + j] = Math.min(1, Math.max(0, 0.3 * r() + (region === c ? 0.6 : 0)));
    }
  }
  return { images, labels, count, shape };
}

export function toySplits(shape: readonly [number, number, number], classes = 4, counts = [200, 60, 60]): Splits {
  return {
    train: toyData(counts[0]!, shape, classes, 1),
    valid: toyData(counts[1]!, shape, classes, 2),
    test: toyData(counts[2]!, shape, classes, 3),
  };
}

export const denseNet: NetworkSpec = {
  input: [1, 4, 4],
  layers: [
    { kind: "maxout-dense", units: 6, pieces: 3, keepProb: 0.8, testScale: 1, maxNorm: 1.9365, lrScale: 1 },
    { kind: "maxout-dense", units: 5, pieces: 2, keepProb: 0.5, testScale: 0.5, maxNorm: 1.9365, lrScale: 1 },
    { kind: "softmax", classes: 4, keepProb: 0.5, testScale: 0.5, maxNorm: 1.9365, lrScale: 1 },
  ],
};

export const convNet: NetworkSpec = {
  input: [2, 7, 7],
  layers: [
    {
      kind: "maxout-conv",
      maps: 3,
      pieces: 2,
      kernel: 3,
      padding: 1,
      poolSize: 3,
      poolStride: 2,
      keepProb: 0.8,
      testScale: 1,
      maxNorm: 0.9,
      lrScale: 0.2,
    },
    { kind: "maxout-dense", units: 4, pieces: 2, keepProb: 0.5, testScale: 0.5, maxNorm: 1.9365, lrScale: 1 },
    { kind: "softmax", classes: 4, keepProb: 0.5, testScale: 0.5, maxNorm: 1.9365, lrScale: 1 },
  ],
};

export function toyConfig(
  network: NetworkSpec,
  precision: "fp32" | "half" | "fixed" | "dfxp" | PrecisionSpec,
  o: ConfigOverrides = {},
): TrainConfig {
  return resolveConfig("pi-mnist", precision, {
    ...o,
    network,
    hyper: {
      epochs: 2,
      batch: 20,
      learningRate: 0.05,
      learningRateFinal: 0.005,
      learningRateSaturationEpochs: 4,
      momentumSaturationEpochs: 4,
      ...o.hyper,
    },
    precision: {
      ...(typeof precision === "string" ? {} : {}),
      scaling: { kind: "overflow-rate", maxRate: 1e-4, everyExamples: 100 },
      ...o.precision,
    },
  });
}

/** The backend's kernels, calling `note(formatName)` for every rounding a kernel performs. */
export function recordingKernels(note: (format: string) => void): Kernels {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(kernels)) {
    if (typeof f !== "function") {
      out[name] = f;
      continue;
    }
    out[name] = (a: { quantize?: { format: { name: string } }; format?: { name: string } }) => {
      const q = name === "quantize" ? a : a.quantize;
      if (q?.format) note(q.format.name);
      return (f as (x: unknown) => unknown).call(kernels, a);
    };
  }
  return out as unknown as Kernels;
}
