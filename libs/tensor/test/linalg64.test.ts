/**
 * The float64 preprocessing kernels (OpenBLAS dgemm/dsyrk, LAPACK dsyevd), held to independent facts:
 * hand-computed products, a direct triple loop, the known spectrum of the tridiagonal Laplacian, and the
 * defining properties A·V = V·Λ and VᵀV = I.
 */
import { describe, expect, it } from "vitest";
import { nativeEigh64, nativeFloat64Available, nativeMatMulNT64 } from "../src/index.js";
import { rng } from "./helpers.js";

const avail = nativeFloat64Available();
if (!avail.available) console.log(`float64 native kernel tests SKIPPED: ${avail.reason}`);

function random64(n: number, r: () => number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = r() * 2 - 1;
  return a;
}

/** A symmetric n×n matrix with entries in (−1, 1). */
function randomSymmetric(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r() * 2 - 1;
  return a;
}

describe("nativeFloat64Available", () => {
  it("answers with a boolean and, when false, a reason", () => {
    expect(typeof avail.available).toBe("boolean");
    if (!avail.available) expect(avail.reason).toMatch(/\w/);
  });
});

describe.skipIf(!avail.available)("nativeMatMulNT64: C (m×n) += A (m×k)·Bᵀ", () => {
  it("a hand-computed 2×3 · (2×3)ᵀ, accumulating into C", () => {
    const a = Float64Array.of(1, 2, 3, 4, 5, 6);
    const b = Float64Array.of(1, 0, -1, 2, 1, 0.5);
    const c = Float64Array.of(10, 20, 30, 40);
    nativeMatMulNT64(a, b, c, 2, 2, 3);
    // row 0: [1−3, 2+2+1.5] = [−2, 5.5]; row 1: [4−6, 8+5+3] = [−2, 16]
    expect(Array.from(c)).toEqual([8, 25.5, 28, 56]);
  });

  it("equals a direct triple loop on odd sizes (within the float64 accumulation bound)", () => {
    const r = rng(7);
    for (const [m, n, k] of [
      [7, 5, 13],
      [33, 17, 129],
      [1, 9, 3],
      [65, 63, 2],
    ] as const) {
      const a = random64(m * k, r),
        b = random64(n * k, r),
        c0 = random64(m * n, r);
      const c = Float64Array.from(c0);
      nativeMatMulNT64(a, b, c, m, n, k);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = c0[i * n + j]!,
            abs = Math.abs(s);
          for (let t = 0; t < k; t++) {
            s += a[i * k + t]! * b[j * k + t]!;
            abs += Math.abs(a[i * k + t]! * b[j * k + t]!);
          }
          expect(Math.abs(c[i * n + j]! - s), `${m}×${n}×${k} at (${i}, ${j})`).toBeLessThanOrEqual(
            (k + 2) * 2 ** -52 * abs,
          );
        }
      }
    }
  });

  it("uses the leading values of longer arrays and leaves the rest alone", () => {
    const a = Float64Array.of(1, 2, 99),
      b = Float64Array.of(3, 4, 99, 99),
      c = Float64Array.of(0, 7);
    nativeMatMulNT64(a, b, c, 1, 1, 2);
    expect(Array.from(c)).toEqual([11, 7]);
  });

  it("upper with a === b (dsyrk): the upper triangle of C + A·Aᵀ is right", () => {
    const n = 11,
      k = 6,
      r = rng(3);
    const a = random64(n * k, r),
      c0 = random64(n * n, r);
    const c = Float64Array.from(c0);
    nativeMatMulNT64(a, a, c, n, n, k, true);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = c0[i * n + j]!;
        for (let t = 0; t < k; t++) s += a[i * k + t]! * a[j * k + t]!;
        expect(c[i * n + j]).toBeCloseTo(s, 13);
      }
    }
  });

  it("upper with different a and b still gets the upper triangle right", () => {
    const a = Float64Array.of(1, 2, 3, 4),
      b = Float64Array.of(5, 6, 7, 8),
      c = new Float64Array(4);
    nativeMatMulNT64(a, b, c, 2, 2, 2, true);
    // [1 2; 3 4]·[5 7; 6 8] = [17 23; 39 53]
    expect([c[0], c[1], c[3]]).toEqual([17, 23, 53]);
  });

  it("k = 0 adds nothing; m = 0 or n = 0 is a no-op", () => {
    const c = Float64Array.of(1, 2, 3, 4);
    nativeMatMulNT64(new Float64Array(0), new Float64Array(0), c, 2, 2, 0);
    nativeMatMulNT64(new Float64Array(0), Float64Array.of(1, 2), c, 0, 2, 1);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
  });

  it("bad sizes and types throw, naming the function and the shapes", () => {
    const a = new Float64Array(6),
      b = new Float64Array(6),
      c = new Float64Array(4);
    expect(() => nativeMatMulNT64(a.subarray(0, 5), b, c, 2, 2, 3)).toThrow(
      /nativeMatMulNT64: a has length 5, expected at least m×k = 2×3 = 6/,
    );
    expect(() => nativeMatMulNT64(a, b.subarray(0, 2), c, 2, 2, 3)).toThrow(
      /b has length 2, expected at least n×k = 2×3 = 6/,
    );
    expect(() => nativeMatMulNT64(a, b, c.subarray(1), 2, 2, 3)).toThrow(
      /c has length 3, expected at least m×n = 2×2 = 4/,
    );
    expect(() => nativeMatMulNT64(a, b, c, 2.5, 2, 3)).toThrow(RangeError);
    expect(() => nativeMatMulNT64(a, b, c, -1, 2, 3)).toThrow(/m must be an integer/);
    expect(() => nativeMatMulNT64(new Float32Array(6) as unknown as Float64Array, b, c, 2, 2, 3)).toThrow(
      /a must be a Float64Array/,
    );
    const buf = new Float64Array(10);
    expect(() => nativeMatMulNT64(buf.subarray(0, 6), b, buf.subarray(4, 8), 2, 2, 3)).toThrow(/c overlaps a or b/);
  });
});

describe.skipIf(!avail.available)("nativeEigh64: symmetric eigendecomposition (LAPACK dsyevd)", () => {
  it("[[2, 1], [1, 2]]: values 1 and 3, vectors (1, −1)/√2 and (1, 1)/√2 up to sign", () => {
    const { values, vectors } = nativeEigh64(Float64Array.of(2, 1, 1, 2), 2);
    expect(values[0]).toBeCloseTo(1, 15);
    expect(values[1]).toBeCloseTo(3, 15);
    const s = Math.SQRT1_2;
    expect(Math.abs(vectors[0]!)).toBeCloseTo(s, 15);
    expect(vectors[0]! * vectors[1]!).toBeCloseTo(-0.5, 15);
    expect(Math.abs(vectors[2]!)).toBeCloseTo(s, 15);
    expect(vectors[2]! * vectors[3]!).toBeCloseTo(0.5, 15);
  });

  const laplacian =
    "tridiagonal Laplacian (2 on the diagonal, −1 beside it): λ_k = 2 − 2cos(kπ/(n+1)) ascending, v_k ∝ sin(ikπ/(n+1))";
  it(laplacian, () => {
    for (const n of [1, 7, 60]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        a[i * n + i] = 2;
        if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1;
      }
      const { values, vectors } = nativeEigh64(a, n);
      for (let k = 1; k <= n; k++) {
        expect(Math.abs(values[k - 1]! - (2 - 2 * Math.cos((k * Math.PI) / (n + 1)))), `n=${n} λ_${k}`).toBeLessThan(
          1e-13,
        );
        // the known eigenvector, normalised: sqrt(2/(n+1))·sin(ikπ/(n+1)), i = 1..n; compare up to sign
        const row = vectors.subarray((k - 1) * n, k * n);
        let dot = 0;
        for (let i = 1; i <= n; i++)
          dot += row[i - 1]! * Math.sqrt(2 / (n + 1)) * Math.sin((i * k * Math.PI) / (n + 1));
        expect(Math.abs(Math.abs(dot) - 1), `n=${n} v_${k}`).toBeLessThan(1e-11);
      }
    }
  });

  const random101 =
    "a random symmetric 101×101: A·V = V·Λ within 1e-10 relative, V orthonormal, values ascending, a not modified";
  it(random101, () => {
    const n = 101;
    const a = randomSymmetric(n, 11);
    const copy = Float64Array.from(a);
    const { values, vectors: v } = nativeEigh64(a, n);
    expect(Array.from(a)).toEqual(Array.from(copy));
    for (let j = 1; j < n; j++) expect(values[j]!).toBeGreaterThanOrEqual(values[j - 1]!);
    let norm = 0;
    for (const x of a) norm = Math.max(norm, Math.abs(x));
    let resid = 0,
      ortho = 0;
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += a[i * n + t]! * v[j * n + t]!;
        resid = Math.max(resid, Math.abs(s - values[j]! * v[j * n + i]!));
      }
      for (let l = 0; l <= j; l++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += v[j * n + t]! * v[l * n + t]!;
        ortho = Math.max(ortho, Math.abs(s - (j === l ? 1 : 0)));
      }
    }
    expect(resid / (norm * n)).toBeLessThan(1e-10);
    expect(ortho).toBeLessThan(1e-12);
    // trace = Σλ
    let trace = 0,
      sum = 0;
    for (let i = 0; i < n; i++) {
      trace += a[i * n + i]!;
      sum += values[i]!;
    }
    expect(Math.abs(trace - sum)).toBeLessThan(1e-11 * n);
  });

  it("reads only the lower triangle (column ≤ row)", () => {
    const n = 40;
    const a = randomSymmetric(n, 5);
    const junk = Float64Array.from(a);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) junk[i * n + j] = 1000 + i;
    const x = nativeEigh64(a, n),
      y = nativeEigh64(junk, n);
    expect(Array.from(y.values)).toEqual(Array.from(x.values));
    expect(Array.from(y.vectors)).toEqual(Array.from(x.vectors));
  });

  it("a diagonal matrix with a repeated value: sorted values, an orthonormal basis of the repeated space", () => {
    const a = new Float64Array(9);
    a[0] = 5;
    a[4] = -1;
    a[8] = 5;
    const { values, vectors: v } = nativeEigh64(a, 3);
    expect(Array.from(values)).toEqual([-1, 5, 5]);
    expect(Math.abs(v[1]!)).toBe(1); // eigenvector of −1 is ±e₁
    expect(v[4]! * v[4]! + v[7]! * v[7]!).toBeLessThan(1e-30); // the 5-space is spanned by e₀ and e₂
    expect(Math.abs(v[3]! * v[6]! + v[5]! * v[8]!)).toBeLessThan(1e-15);
  });

  it("n = 0 gives empty results", () => {
    const { values, vectors } = nativeEigh64(new Float64Array(0), 0);
    expect(values.length + vectors.length).toBe(0);
  });

  it("bad input throws, naming the function, the shapes or the entry", () => {
    expect(() => nativeEigh64(new Float64Array(8), 3)).toThrow(/nativeEigh64: matrix has 8 values, expected n·n = 3·3/);
    expect(() => nativeEigh64(new Float64Array(4), 1.5)).toThrow(/n must be an integer/);
    expect(() => nativeEigh64(Float64Array.of(1, 0, NaN, 1), 2)).toThrow(/eigh64: a\[1\]\[0\] is not finite/);
  });
});
