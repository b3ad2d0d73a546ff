/**
 * `quantizeMx` over a matrix whose blocks run along one axis (`QuantizeMxArgs.matrix`), from any backend's flat
 * pass: blocks along the rows are the rows' own consecutive blocks (one flat pass when the row length is a multiple
 * of the block, else one per row, so that no block straddles two rows); blocks down the columns are the rows of the
 * transposed matrix, transposed back. The ts backend's matrix mode; the native addon does the same in C++ (rows as
 * a row length of its block loop, columns through a transpose), held to it by the same tests.
 */
import type { MxQuantizeStats, RandomStream } from "@lowprec/formats";
import { emptyMxStats } from "./formats-api.js";
import type { MxMatrix, QuantizeMxArgs } from "./kernels.js";

/**
 * One flat pass over consecutive blocks: y = Q(x), element i drawing at rng.counter + i (it may advance the stream;
 * `quantizeMxMatrix` sets the caller's stream afterwards), the scale codes into `scales` when given, the counts into
 * `stats`.
 */
export type FlatMxPass = (
  x: Float32Array,
  y: Float32Array,
  rng: RandomStream | undefined,
  scales: Uint8Array | undefined,
  stats: MxQuantizeStats,
) => void;

/** `s` zeroed in place (every count and the amax), returned. */
export function zeroMxStats(s: MxQuantizeStats): MxQuantizeStats {
  return Object.assign(s, emptyMxStats());
}

/** `s`'s counts added into `into`, whose amax becomes the larger (two passes' stats as one pass's). */
export function addMxStats(into: MxQuantizeStats, s: MxQuantizeStats): void {
  into.count += s.count;
  into.blocks += s.blocks;
  into.nanBlocks += s.nanBlocks;
  into.nan += s.nan;
  into.overflow += s.overflow;
  into.flushed += s.flushed;
  into.zeros += s.zeros;
  if (s.amax > into.amax) into.amax = s.amax;
}

/** out (cols × rows) = xᵀ, x being rows × cols, row-major; in tiles of 32 × 32 so that both sides stay in cache. */
export function transposeInto(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const T = 32;
  for (let r0 = 0; r0 < rows; r0 += T) {
    const r1 = Math.min(rows, r0 + T);
    for (let c0 = 0; c0 < cols; c0 += T) {
      const c1 = Math.min(cols, c0 + T);
      for (let r = r0; r < r1; r++) {
        const row = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = x[row + c]!;
      }
    }
  }
}

/** The whole `matrix` pass of `a` into y (checked by the caller), with the backend's flat pass. */
export function quantizeMxMatrix(a: QuantizeMxArgs, y: Float32Array, flat: FlatMxPass): MxQuantizeStats {
  const m: MxMatrix = a.matrix!;
  const k = a.format.block,
    n = a.x.length,
    byRows = m.along === "rows";
  const lines = byRows ? m.rows : m.cols,
    len = byRows ? m.cols : m.rows,
    perLine = Math.ceil(len / k);
  let src = a.x,
    dst = y;
  if (!byRows) {
    src = new Float32Array(n);
    transposeInto(a.x, m.rows, m.cols, src);
    dst = new Float32Array(n);
  }
  const total = a.stats === undefined ? emptyMxStats() : zeroMxStats(a.stats);
  const part = emptyMxStats();
  const base = a.rng?.counter;
  if (len % k === 0 || lines <= 1) {
    // NOTE: every block lies within one line: the flat pass over the whole (transposed) matrix is the same pass.
    flat(src, dst, a.rng, a.scales, zeroMxStats(part));
    addMxStats(total, part);
  } else
    for (let l = 0; l < lines; l++) {
      const lo = l * len,
        hi = lo + len;
      const rng = a.rng === undefined ? undefined : { seed: a.rng.seed, counter: base! + lo };
      const scales = a.scales?.subarray(l * perLine, (l + 1) * perLine);
      flat(src.subarray(lo, hi), dst.subarray(lo, hi), rng, scales, zeroMxStats(part));
      addMxStats(total, part);
    }
  if (!byRows) transposeInto(dst, m.cols, m.rows, y);
  if (a.rng !== undefined && a.rounding === "stochastic") a.rng.counter = base! + n;
  return total;
}
