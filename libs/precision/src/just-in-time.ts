/**
 * Just-in-time (current amax) scaling in a trainer: a pass of a `current-amax` group needs the amax of the
 * tensor it rounds before it rounds it, but the kernels fuse the rounding into the kernel that produces the tensor.
 * `LayerPrecision.at` therefore registers such a pass (by its stats object, which a spec keeps when spread into the
 * kernel's arguments) with a function from the tensor's amax to the final rounding, and `justInTimeKernels` runs the
 * pass in two: the producing kernel with an identity "rounding" (float32, nothing changes) whose stats carry the
 * amax, then `quantize` in place on the produced tensor with the fitted integer bits. The kernels define a fused
 * quantize as "then quantize the produced tensor in place", so the values are those of one fused pass at the fitted
 * bits; the cost is one more pass over each rounded tensor.
 */
import { identity, type QuantizeStats } from "@lowprec/formats";
import type { Kernels, QuantizeArgs, QuantizeSpec } from "@lowprec/tensor";

const deferred = new WeakMap<QuantizeStats, (amax: number) => QuantizeSpec>();

/** Marks the pass whose spec carries `stats`: the kernel wrapper asks `fit(amax)` for its rounding. */
export function deferQuantize(stats: QuantizeStats, fit: (amax: number) => QuantizeSpec): void {
  deferred.set(stats, fit);
}

function emptyStats(): QuantizeStats {
  return { count: 0, overflow: 0, overflowHalfRange: 0, nan: 0, flushed: 0, zeros: 0, amax: 0 };
}

/**
 * `k` with every producing kernel split in two when its `quantize` is a registered current-amax pass (an amax pass,
 * then the rounding); any other call goes to `k` unchanged.
 */
export function justInTimeKernels(k: Kernels): Kernels {
  const amaxStats = emptyStats();
  const amaxPass: QuantizeSpec = { format: identity, stats: amaxStats };
  /** runs `produce` with the amax pass, then rounds `out` in place; undefined when the pass is not deferred */
  function twoPass(q: QuantizeSpec | undefined, out: Float32Array, produce: (amax: QuantizeSpec) => void) {
    const fit = q?.stats ? deferred.get(q.stats) : undefined;
    if (!fit) return undefined;
    produce(amaxPass);
    return k.quantize({ x: out, ...fit(amaxStats.amax) });
  }
  return {
    gemm: (a) => twoPass(a.quantize, a.c, (q) => k.gemm({ ...a, quantize: q })) ?? k.gemm(a),
    conv2dForward: (a) => twoPass(a.quantize, a.y, (q) => k.conv2dForward({ ...a, quantize: q })) ?? k.conv2dForward(a),
    conv2dBackwardData: (a) =>
      twoPass(a.quantize, a.dx, (q) => k.conv2dBackwardData({ ...a, quantize: q })) ?? k.conv2dBackwardData(a),
    conv2dBackwardFilter: (a) =>
      twoPass(a.quantize, a.dw, (q) => k.conv2dBackwardFilter({ ...a, quantize: q })) ?? k.conv2dBackwardFilter(a),
    biasAdd: (a) => twoPass(a.quantize, a.y, (q) => k.biasAdd({ ...a, quantize: q })) ?? k.biasAdd(a),
    biasGrad: (a) => twoPass(a.quantize, a.db, (q) => k.biasGrad({ ...a, quantize: q })) ?? k.biasGrad(a),
    maxoutForward: (a) => twoPass(a.quantize, a.y, (q) => k.maxoutForward({ ...a, quantize: q })) ?? k.maxoutForward(a),
    maxoutBackward: (a) =>
      twoPass(a.quantize, a.dx, (q) => k.maxoutBackward({ ...a, quantize: q })) ?? k.maxoutBackward(a),
    maxPoolForward: (a) =>
      twoPass(a.quantize, a.y, (q) => k.maxPoolForward({ ...a, quantize: q })) ?? k.maxPoolForward(a),
    maxPoolBackward: (a) =>
      twoPass(a.quantize, a.dx, (q) => k.maxPoolBackward({ ...a, quantize: q })) ?? k.maxPoolBackward(a),
    softmaxCrossEntropyForward: (a) => {
      let r: ReturnType<Kernels["softmaxCrossEntropyForward"]> | undefined;
      const stats = twoPass(a.quantize, a.probs, (q) => {
        r = k.softmaxCrossEntropyForward({ ...a, quantize: q });
      });
      return r && stats ? { ...r, stats } : k.softmaxCrossEntropyForward(a);
    },
    softmaxCrossEntropyBackward: (a) =>
      twoPass(a.quantize, a.dlogits, (q) => k.softmaxCrossEntropyBackward({ ...a, quantize: q })) ??
      k.softmaxCrossEntropyBackward(a),
    dropoutMask: (a) => k.dropoutMask(a),
    applyMask: (a) => k.applyMask(a),
    columnNorms: (a) => k.columnNorms(a),
    quantizeMx: (a) => k.quantizeMx(a),
    scaleColumns: (a) => twoPass(a.quantize, a.y, (q) => k.scaleColumns({ ...a, quantize: q })) ?? k.scaleColumns(a),
    axpby: (a) => twoPass(a.quantize, a.y, (q) => k.axpby({ ...a, quantize: q })) ?? k.axpby(a),
    scale: (a) => twoPass(a.quantize, a.y, (q) => k.scale({ ...a, quantize: q })) ?? k.scale(a),
    add: (a) => twoPass(a.quantize, a.y, (q) => k.add({ ...a, quantize: q })) ?? k.add(a),
    batchedMatmul: (a) => twoPass(a.quantize, a.c, (q) => k.batchedMatmul({ ...a, quantize: q })) ?? k.batchedMatmul(a),
    softmaxRows: (a) => twoPass(a.quantize, a.y, (q) => k.softmaxRows({ ...a, quantize: q })) ?? k.softmaxRows(a),
    softmaxRowsBackward: (a) =>
      twoPass(a.quantize, a.dx, (q) => k.softmaxRowsBackward({ ...a, quantize: q })) ?? k.softmaxRowsBackward(a),
    layerNorm: (a) => twoPass(a.quantize, a.y, (q) => k.layerNorm({ ...a, quantize: q })) ?? k.layerNorm(a),
    layerNormBackward: (a) =>
      twoPass(a.quantize, a.dx, (q) => k.layerNormBackward({ ...a, quantize: q })) ?? k.layerNormBackward(a),
    gelu: (a) => twoPass(a.quantize, a.y, (q) => k.gelu({ ...a, quantize: q })) ?? k.gelu(a),
    geluBackward: (a) => twoPass(a.quantize, a.dx, (q) => k.geluBackward({ ...a, quantize: q })) ?? k.geluBackward(a),
    swapAxes: (a) => k.swapAxes(a),
    quantize: (a: QuantizeArgs) => {
      const { x, y, ...q } = a;
      const out = y ?? x;
      return twoPass(q, out, (amax) => k.quantize({ x, y: out, ...amax })) ?? k.quantize(a);
    },
  };
}
