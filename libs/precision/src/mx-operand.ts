/**
 * The operands of a product rounded to their block-scaled (MX) group's format, in blocks along the axis the product
 * sums (METHOD.md §8.6): every network's layers call `mxOperand` before a product, with the layout of the operand.
 */
import { addMxStats, type Kernels, zeroMxStats } from "@lowprec/tensor";
import type { LayerPrecision } from "./policy.js";

/** Scratch for a layer's MX operand copies, allocated at the first pass that needs one. */
export class MxScratch<O extends string = string> {
  private readonly buffers = new Map<O, Float32Array>();

  take(name: O, length: number): Float32Array {
    let b = this.buffers.get(name);
    if (!b || b.length < length) {
      b = new Float32Array(length);
      this.buffers.set(name, b);
    }
    return b.length === length ? b : b.subarray(0, length);
  }
}

/**
 * How an operand's blocks lie: `src` is `batch` (default 1) consecutive row-major rows × cols matrices, each in
 * blocks along its rows or down its columns; the layer chooses the axis that its product sums.
 */
export interface MxLayout {
  readonly rows: number;
  readonly cols: number;
  readonly along: "rows" | "columns";
  readonly batch?: number;
}

/**
 * Operand `name` of a product rounded to its block-scaled group's MX format (blocks as `layout` says) into scratch;
 * `src` itself when the group is not block-scaled.
 */
export function mxOperand<G extends string, P extends string, O extends string>(
  k: Kernels,
  p: LayerPrecision<G, P, O>,
  scratch: MxScratch<O>,
  name: O,
  src: Float32Array,
  layout: MxLayout,
): Float32Array {
  const q = p.atMx(name);
  if (q === undefined) return src;
  const y = scratch.take(name, src.length);
  const { rows, cols, along } = layout,
    batch = layout.batch ?? 1,
    size = rows * cols;
  if (batch * size !== src.length)
    throw new RangeError(`${name}: ${batch} × ${rows} × ${cols} values expected, the operand has ${src.length}`);
  if (batch === 1) {
    k.quantizeMx({ x: src, y, format: q.format, rounding: q.rounding, rng: q.rng, stats: q.stats, matrix: layout });
    return y;
  }
  // NOTE: one pass per matrix, the counts summed into the operand's stats.
  const part = zeroMxStats({ ...q.stats }),
    st = zeroMxStats(q.stats);
  for (let b = 0; b < batch; b++) {
    const lo = b * size,
      hi = lo + size;
    k.quantizeMx({
      x: src.subarray(lo, hi),
      y: y.subarray(lo, hi),
      format: q.format,
      rounding: q.rounding,
      rng: q.rng,
      stats: part,
      matrix: { rows, cols, along },
    });
    addMxStats(st, part);
  }
  return y;
}
