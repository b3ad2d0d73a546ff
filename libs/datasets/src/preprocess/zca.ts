/**
 * ZCA whitening, Pylearn2's `preprocessing.ZCA()` with its defaults (METHOD.md §5.4): fitted on a design matrix X
 * (N × D), μ = per-feature mean, C = (X−μ)ᵀ(X−μ)/N + filterBias·I, C = V diag(λ) Vᵀ, P = V diag(λ^−½) Vᵀ;
 * applied as x' = (x − μ)P, stored in float32. All components are kept.
 */
import { eigh as eighTs, type Eigen } from "./eigh.js";
import { matMulNT as matMulNTTs, type MatMulNT } from "./gemm.js";

export interface ZcaOptions {
  /** added to the covariance diagonal before the eigendecomposition; Pylearn2 default 0.1 */
  readonly filterBias?: number;
  /** C += A·Bᵀ kernel used for XᵀX, for P and for applying P (default: the pure-TS kernel) */
  readonly matMulNT?: MatMulNT;
  /** symmetric eigensolver (default: the pure-TS Householder + QL one) */
  readonly eigh?: (a: Float64Array, n: number) => Eigen;
}

export const ZCA_DEFAULTS = { filterBias: 0.1 } as const;

/** A fitted ZCA transform. */
export interface Zca {
  readonly dim: number;
  readonly filterBias: number;
  /** per-feature mean of the fitting data (float64) */
  readonly mean: Float64Array;
  /** D×D symmetric whitening matrix P (float64) */
  readonly whitening: Float64Array;
  /** eigenvalues of C + filterBias·I, ascending */
  readonly eigenvalues: Float64Array;
}

/** Rows per chunk when streaming X through the kernels. */
const ROWS = 128;

/** Fits ZCA on `count` rows of `dim` features. */
export function fitZca(x: Float32Array, count: number, dim: number, options: ZcaOptions = {}): Zca {
  const filterBias = options.filterBias ?? ZCA_DEFAULTS.filterBias;
  const mm = options.matMulNT ?? matMulNTTs;
  if (x.length !== count * dim)
    throw new RangeError(`fitZca: x has ${x.length} values, expected count·dim = ${count}·${dim}`);
  if (count < 1) throw new RangeError("fitZca: need at least one example");
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let i = 0; i < dim; i++) mean[i]! += x[r * dim + i]!;
  for (let i = 0; i < dim; i++) mean[i]! /= count;
  // C = Σ over chunks of Tᵀ-form products: t is the centred chunk transposed (dim × rows)
  const cov = new Float64Array(dim * dim);
  const t = new Float64Array(dim * ROWS);
  for (let r0 = 0; r0 < count; r0 += ROWS) {
    const rows = Math.min(ROWS, count - r0);
    for (let r = 0; r < rows; r++) {
      const o = (r0 + r) * dim;
      for (let i = 0; i < dim; i++) t[i * rows + r] = x[o + i]! - mean[i]!;
    }
    mm(t, t, cov, dim, dim, rows, true);
  }
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = cov[i * dim + j]! / count + (i === j ? filterBias : 0);
      cov[i * dim + j] = v;
      cov[j * dim + i] = v;
    }
  }
  const { values, vectors } = (options.eigh ?? eighTs)(cov, dim);
  // P = Vᵀ-rows form: P[i][j] = Σ_k v_k[i] v_k[j] / sqrt(λ_k) = (W·Wᵀ)[i][j] with W[i][k] = v_k[i]·λ_k^(−1/4)
  const w = new Float64Array(dim * dim);
  // NOTE: eigenvalues at rounding level of the largest are 0 in exact arithmetic; λ^−½ would blow them up
  const floor = dim * 2 ** -52 * Math.abs(values[dim - 1]!);
  for (let k = 0; k < dim; k++) {
    const lambda = values[k]!;
    if (!(lambda > floor))
      throw new RangeError(
        `fitZca: eigenvalue ${k} of C + ${filterBias}·I is ${lambda}` +
          `, not positive (numerically); use a larger filterBias`,
      );
    const q = lambda ** -0.25;
    for (let i = 0; i < dim; i++) w[i * dim + k] = vectors[k * dim + i]! * q;
  }
  const p = new Float64Array(dim * dim);
  mm(w, w, p, dim, dim, dim, true);
  for (let i = 0; i < dim; i++) for (let j = i + 1; j < dim; j++) p[j * dim + i] = p[i * dim + j]!;
  return { dim, filterBias, mean, whitening: p, eigenvalues: values };
}

/** Applies a fitted ZCA to `count` rows in place: x ← (x − μ)P, rounded to float32. */
export function applyZca(
  zca: Zca,
  x: Float32Array,
  count: number,
  options: Pick<ZcaOptions, "matMulNT"> = {},
): Float32Array {
  const { dim, mean, whitening } = zca;
  const mm = options.matMulNT ?? matMulNTTs;
  if (x.length !== count * dim)
    throw new RangeError(`applyZca: x has ${x.length} values, expected count·dim = ${count}·${dim}`);
  const xc = new Float64Array(ROWS * dim);
  const y = new Float64Array(ROWS * dim);
  for (let r0 = 0; r0 < count; r0 += ROWS) {
    const rows = Math.min(ROWS, count - r0);
    const o = r0 * dim;
    for (let r = 0; r < rows; r++) for (let i = 0; i < dim; i++) xc[r * dim + i] = x[o + r * dim + i]! - mean[i]!;
    y.fill(0);
    mm(xc, whitening, y, rows, dim, dim); // P is symmetric, so (x−μ)P = (x−μ)·Pᵀ
    for (let i = 0; i < rows * dim; i++) x[o + i] = y[i]!;
  }
  return x;
}
