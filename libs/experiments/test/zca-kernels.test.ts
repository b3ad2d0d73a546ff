// The native float64 kernels (OpenBLAS dgemm + LAPACK dsyevd from @lowprec/tensor) plugged into the ZCA of
// @lowprec/datasets give the same whitening as its TypeScript kernels. Eigenvector signs may differ between
// solvers, so the sign-invariant results are compared: P = V·Λ^-½·Vᵀ and the whitened data.
import { uniformAt } from "@lowprec/formats";
import { describe, expect, it } from "vitest";
import { applyZca, fitZca } from "@lowprec/datasets";
import { nativeFloat64Available } from "@lowprec/tensor";
import { zcaKernels, zcaKernelsOnce } from "../src/zca-kernels.js";

const native = nativeFloat64Available();
if (!native.available) console.log(`native ZCA kernel tests SKIPPED: ${native.reason}`);

/** Seeded uniform draws in [0, 1): the project's counter-based stream (@lowprec/formats). */
function rng(seed: number): () => number {
  let i = 0;
  return () => uniformAt(seed, i++);
}

/** count × dim correlated data: uniform noise times a random dim × dim mixing matrix, plus an offset. */
function correlated(count: number, dim: number, seed: number): Float32Array {
  const r = rng(seed);
  const mix = Float64Array.from({ length: dim * dim }, () => r() * 2 - 1);
  const x = new Float32Array(count * dim);
  const z = new Float64Array(dim);
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < dim; i++) z[i] = r() * 2 - 1;
    for (let j = 0; j < dim; j++) {
      let s = 3 + j / dim;
      for (let i = 0; i < dim; i++) s += z[i]! * mix[i * dim + j]!;
      x[n * dim + j] = s;
    }
  }
  return x;
}

const maxAbs = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

describe("zcaKernels", () => {
  it("says which kernels ZCA runs on, with the reason when not native", () => {
    const z = zcaKernels();
    if (native.available) {
      expect(z.description).toBe("ZCA: native OpenBLAS dgemm + LAPACK dsyevd");
      expect(typeof z.kernels?.matMulNT).toBe("function");
      expect(typeof z.kernels?.eigh).toBe("function");
    } else {
      expect(z.description).toBe(`ZCA: TypeScript kernels (${native.reason})`);
      expect(z.kernels).toBeUndefined();
    }
  });

  it("zcaKernelsOnce prints the line once", () => {
    const lines: string[] = [];
    zcaKernelsOnce((l) => lines.push(l));
    zcaKernelsOnce((l) => lines.push(l));
    expect(lines).toEqual([zcaKernels().description]);
  });
});

describe.skipIf(!native.available)("ZCA with the native kernels equals ZCA with datasets' TypeScript kernels", () => {
  const count = 500,
    dim = 48;

  const agree =
    "500×48: same mean, eigenvalues and whitening matrix P to ~1e-9 relative, same whitened data to float32 rounding";
  it(agree, () => {
    const { kernels } = zcaKernels();
    const x = correlated(count, dim, 42);
    const ts = fitZca(x, count, dim);
    const nat = fitZca(x, count, dim, kernels);
    expect(Array.from(nat.mean)).toEqual(Array.from(ts.mean));
    const lmax = ts.eigenvalues[dim - 1]!;
    for (let k = 0; k < dim; k++)
      expect(Math.abs(nat.eigenvalues[k]! - ts.eigenvalues[k]!), `λ_${k}`).toBeLessThan(1e-12 * lmax);
    const pmax = maxAbs(ts.whitening);
    let dp = 0;
    for (let i = 0; i < dim * dim; i++) dp = Math.max(dp, Math.abs(nat.whitening[i]! - ts.whitening[i]!));
    expect(dp / pmax).toBeLessThan(1e-9);
    // P is symmetric in both
    for (let i = 0; i < dim; i++)
      for (let j = 0; j < i; j++) expect(nat.whitening[i * dim + j]).toBe(nat.whitening[j * dim + i]);

    const yTs = applyZca(ts, Float32Array.from(x), count);
    const yNat = applyZca(nat, Float32Array.from(x), count, kernels);
    const ymax = maxAbs(yTs);
    for (let i = 0; i < yTs.length; i++) {
      // both round a float64 value that agrees to ~1e-9 relative: at most one float32 step apart
      expect(Math.abs(yNat[i]! - yTs[i]!), `element ${i}`).toBeLessThanOrEqual(
        2 ** -23 * Math.abs(yTs[i]!) + 1e-9 * ymax,
      );
    }
  });

  it("the native whitening whitens: with a tiny filter bias the whitened data has covariance ≈ I", () => {
    const { kernels } = zcaKernels();
    const x = correlated(count, dim, 9);
    const zca = fitZca(x, count, dim, { filterBias: 1e-9, ...kernels });
    const y = applyZca(zca, Float32Array.from(x), count, kernels);
    let worst = 0;
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let n = 0; n < count; n++) s += y[n * dim + i]! * y[n * dim + j]!;
        worst = Math.max(worst, Math.abs(s / count - (i === j ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });
});
