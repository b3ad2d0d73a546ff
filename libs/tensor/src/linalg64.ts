/**
 * Float64 kernels for preprocessing (ZCA whitening), outside the trainer's `Kernels` contract: C += A·Bᵀ
 * through OpenBLAS dgemm (dsyrk for a symmetric A·Aᵀ) and the symmetric eigendecomposition through LAPACK
 * dsyevd (OpenBLAS's bundled LAPACK). Present only when the native addon is built with OpenBLAS:
 * `nativeFloat64Available()` says whether, and why not; the functions throw when called without it, so
 * callers check first and fall back to their TypeScript kernels.
 */
import { ShapeError } from "./errors.js";
import { loadAddon } from "./backends/native.js";

/** C (m×n) += A (m×k)·Bᵀ (B n×k), row-major float64; same signature as `MatMulNT` of @lowprec/datasets. */
export type MatMulNT64 = (
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  m: number,
  n: number,
  k: number,
  upper?: boolean,
) => void;

/** A symmetric eigendecomposition: values ascending, row j of the n×n `vectors` the unit eigenvector of values[j]. */
export interface Eigen64 {
  readonly values: Float64Array;
  readonly vectors: Float64Array;
}

/** The addon functions this module calls (native/src/addon.cc, linalg64.cc). */
interface Float64Addon {
  float64Info(): { available: boolean; reason: string };
  matMulNT64(a: Float64Array, b: Float64Array, c: Float64Array, m: number, n: number, k: number, upper: boolean): void;
  eigh64(n: number, a: Float64Array, vectors: Float64Array, values: Float64Array): void;
}

let state: { addon: Float64Addon | null; reason: string } | undefined;

function probe(): { addon: Float64Addon | null; reason: string } {
  if (state) return state;
  try {
    const addon = loadAddon() as unknown as Partial<Float64Addon>;
    if (
      typeof addon.float64Info !== "function" ||
      typeof addon.matMulNT64 !== "function" ||
      typeof addon.eigh64 !== "function"
    ) {
      state = {
        addon: null,
        reason: "the native addon predates the float64 kernels; rebuild it (npm run build:native -w @lowprec/tensor)",
      };
    } else {
      const info = addon.float64Info();
      state = info.available ? { addon: addon as Float64Addon, reason: "" } : { addon: null, reason: info.reason };
    }
  } catch (e) {
    state = {
      addon: null,
      reason: `native addon not available (${e instanceof Error ? e.message.split("\n")[0]! : String(e)})`,
    };
  }
  return state;
}

/** Whether `nativeMatMulNT64` and `nativeEigh64` can run here (addon built with OpenBLAS + LAPACK), and why not. */
export function nativeFloat64Available(): { available: boolean; reason?: string } {
  const s = probe();
  return s.addon ? { available: true } : { available: false, reason: s.reason };
}

function requireAddon(fn: string): Float64Addon {
  const s = probe();
  if (!s.addon) throw new Error(`${fn}: not available (${s.reason}); check nativeFloat64Available() first`);
  return s.addon;
}

function checkDim(fn: string, name: string, v: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= 2 ** 31)
    throw new ShapeError(fn, `${name} must be an integer in [0, 2^31), got ${String(v)}`);
}

function checkAtLeast(fn: string, name: string, x: unknown, need: number, what: string): void {
  if (!(x instanceof Float64Array)) throw new ShapeError(fn, `${name} must be a Float64Array`);
  if (x.length < need) throw new ShapeError(fn, `${name} has length ${x.length}, expected at least ${what} = ${need}`);
}

/**
 * C (m×n) += A (m×k)·Bᵀ (B is n×k), row-major float64, OpenBLAS dgemm. Arrays may be longer than needed
 * (the leading m·k, n·k, m·n values are used). With `upper`, only the upper triangle (column ≥ row) of C is
 * guaranteed: when a and b are the same array and m = n it is computed alone by dsyrk (the lower triangle is
 * left as it was), otherwise the full product is added. c must not overlap a or b.
 */
export const nativeMatMulNT64: MatMulNT64 = (a, b, c, m, n, k, upper = false) => {
  const fn = "nativeMatMulNT64";
  checkDim(fn, "m", m);
  checkDim(fn, "n", n);
  checkDim(fn, "k", k);
  checkAtLeast(fn, "a", a, m * k, `m×k = ${m}×${k}`);
  checkAtLeast(fn, "b", b, n * k, `n×k = ${n}×${k}`);
  checkAtLeast(fn, "c", c, m * n, `m×n = ${m}×${n}`);
  requireAddon(fn).matMulNT64(a, b, c, m, n, k, upper === true);
};

/**
 * Eigen-decomposes the symmetric n×n row-major `a` (its lower triangle, column ≤ row, is read; `a` is not
 * modified) with LAPACK dsyevd: values ascending, row j of `vectors` the unit eigenvector of values[j].
 * Throws a ShapeError on a wrong length or a non-finite entry, an Error if LAPACK does not converge.
 */
export function nativeEigh64(a: Float64Array, n: number): Eigen64 {
  const fn = "nativeEigh64";
  checkDim(fn, "n", n);
  if (!(a instanceof Float64Array)) throw new ShapeError(fn, "a must be a Float64Array");
  if (a.length !== n * n) throw new ShapeError(fn, `matrix has ${a.length} values, expected n·n = ${n}·${n}`);
  const addon = requireAddon(fn);
  const vectors = new Float64Array(n * n);
  const values = new Float64Array(n);
  addon.eigh64(n, a, vectors, values);
  return { values, vectors };
}
