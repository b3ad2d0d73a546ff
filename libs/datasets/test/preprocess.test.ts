import { describe, expect, it } from "vitest";
import { applyZca, eigh, fitZca, gaussianKernel1d, gcn, lecunLcn, matMulNT } from "../src/index.js";

describe("gcn (Pylearn2 global_contrast_normalize)", () => {
  it("scale 55: zero mean, L2 norm 55 (hand: [0,3,0,3] → ±27.5)", () => {
    const x = Float32Array.from([0, 3, 0, 3, 1, 1, 1, 1]);
    gcn(x, 2, 4, { scale: 55 });
    expect(Array.from(x)).toEqual([-27.5, 27.5, -27.5, 27.5, 0, 0, 0, 0]); // constant row: d < 1e-8 ⇒ d = 1
  });

  it("useStd divides by the ddof-1 standard deviation", () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    gcn(x, 1, 4, { useStd: true });
    const s = Math.sqrt(5 / 3);
    expect(Array.from(x)).toEqual([-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map(Math.fround));
  });

  it("rejects a wrong length", () => {
    expect(() => gcn(new Float32Array(5), 2, 3)).toThrow("gcn: x has 5 values, expected count·featureCount = 2·3");
  });
});

describe("matMulNT", () => {
  it("C += A·Bᵀ, hand-computed 2×2", () => {
    const c = Float64Array.from([1, 0, 0, 0]);
    matMulNT(Float64Array.from([1, 2, 3, 4]), Float64Array.from([5, 6, 7, 8]), c, 2, 2, 2);
    expect(Array.from(c)).toEqual([1 + 17, 23, 39, 53]);
  });

  it("agrees with a naive triple loop on ragged sizes; `upper` fills j ≥ i and skips tiles below the diagonal", () => {
    const m = 7,
      n = 9,
      k = 300;
    const a = Float64Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float64Array.from({ length: n * k }, (_, i) => Math.cos(i * 0.7));
    const c = new Float64Array(m * n);
    matMulNT(a, b, c, m, n, k);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) s += a[i * k + t]! * b[j * k + t]!;
        expect(c[i * n + j]).toBeCloseTo(s, 10);
      }
    const sq = new Float64Array(n * n);
    matMulNT(b, b, sq, n, n, k, true);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (Math.floor(j / 4) < Math.floor(i / 4)) expect(sq[i * n + j]).toBe(0);
        else if (j < i)
          continue; // inside a diagonal tile: written or not, callers read only j ≥ i
        else
          expect(sq[i * n + j]).toBeCloseTo(
            Array.from({ length: k }, (_, t) => b[i * k + t]! * b[j * k + t]!).reduce((p, q) => p + q),
            10,
          );
      }
  });
});

describe("eigh (Householder + implicit QL)", () => {
  it("1-D Laplacian: eigenvalues 2 − 2cos(kπ/(n+1)), vectors sin(ikπ/(n+1))", () => {
    const n = 50;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i > 0) {
        a[i * n + i - 1] = -1;
        a[(i - 1) * n + i] = -1;
      }
    }
    const { values, vectors } = eigh(a, n);
    for (let k = 1; k <= n; k++) {
      expect(values[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 12);
      const v = vectors.subarray((k - 1) * n, k * n);
      const sign = Math.sign(v[0]!);
      for (let i = 0; i < n; i++)
        expect(sign * v[i]!).toBeCloseTo(Math.sqrt(2 / (n + 1)) * Math.sin(((i + 1) * k * Math.PI) / (n + 1)), 10);
    }
  });

  it("random symmetric 120×120 (with a repeated eigenvalue): A·v = λv and VᵀV = I", () => {
    const n = 120;
    const a = new Float64Array(n * n);
    let s = 1;
    const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647 - 0.5;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const v = rnd();
        a[i * n + j] = v;
        a[j * n + i] = v;
      }
    for (let i = 0; i < n; i++) a[i * n + i]! += 3; // shift; eigenvalues stay distinct-ish
    // plus a block with a repeated eigenvalue: zero the first 3 rows/cols and set 7·I there
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < n; j++) {
        a[i * n + j] = 0;
        a[j * n + i] = 0;
      }
    for (let i = 0; i < 3; i++) a[i * n + i] = 7;
    const { values, vectors } = eigh(a, n);
    for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
    expect(values.filter((v) => Math.abs(v - 7) < 1e-9).length).toBeGreaterThanOrEqual(3);
    let resid = 0,
      orth = 0;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let r = 0;
        for (let j = 0; j < n; j++) r += a[i * n + j]! * vectors[k * n + j]!;
        resid = Math.max(resid, Math.abs(r - values[k]! * vectors[k * n + i]!));
      }
      for (let l = 0; l <= k; l++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += vectors[k * n + i]! * vectors[l * n + i]!;
        orth = Math.max(orth, Math.abs(d - (k === l ? 1 : 0)));
      }
    }
    expect(resid).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
  });
});

describe("ZCA (Pylearn2 defaults: filter bias 0.1, all components)", () => {
  // points (2,2), (−2,−2), (1,−1), (−1,1) shifted by (10, −3): covariance [[2.5, 1.5], [1.5, 2.5]] (divide by N),
  // eigenvalues 4 along (1,1)/√2 and 1 along (1,−1)/√2
  const pts = Float32Array.from([12, -1, 8, -5, 11, -4, 9, -2]);

  it("bias 0: P = [[0.75, −0.25], [−0.25, 0.75]] and (2,2) whitens to (1,1)", () => {
    const z = fitZca(pts, 4, 2, { filterBias: 0 });
    expect(Array.from(z.mean)).toEqual([10, -3]);
    expect(z.eigenvalues[0]).toBeCloseTo(1, 12);
    expect(z.eigenvalues[1]).toBeCloseTo(4, 12);
    [0.75, -0.25, -0.25, 0.75].forEach((v, i) => {
      expect(z.whitening[i]).toBeCloseTo(v, 12);
    });
    const y = applyZca(z, Float32Array.from(pts), 4);
    [1, 1, -1, -1, 1, -1, -1, 1].forEach((v, i) => {
      expect(y[i]).toBeCloseTo(v, 6);
    });
  });

  it("bias 0.1: P = ½[[α+β, α−β], [α−β, α+β]], α = 4.1^−½, β = 1.1^−½", () => {
    const z = fitZca(pts, 4, 2);
    const al = 4.1 ** -0.5,
      be = 1.1 ** -0.5;
    [(al + be) / 2, (al - be) / 2, (al - be) / 2, (al + be) / 2].forEach((v, i) => {
      expect(z.whitening[i]).toBeCloseTo(v, 12);
    });
    expect(z.filterBias).toBe(0.1);
  });

  it("whitened data of 16 features has identity covariance (bias 0)", () => {
    const n = 400,
      d = 16;
    let seed = 42;
    const x = Float32Array.from(
      { length: n * d },
      (_, i) => ((seed = (seed * 16807) % 2147483647) / 2147483647) * (1 + (i % d)) + (i % 3),
    );
    const z = fitZca(x, n, d, { filterBias: 0 });
    const y = applyZca(z, x, n);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += y[r * d + i]! * y[r * d + j]!;
        expect(s / n).toBeCloseTo(i === j ? 1 : 0, 3);
      }
  });

  it("a singular covariance without bias is an error", () => {
    expect(() => fitZca(Float32Array.from([1, 1, 2, 2]), 2, 2, { filterBias: 0 })).toThrow(
      /eigenvalue 0 of C \+ 0·I is .*not positive \(numerically\)/,
    );
  });
});

describe("lecunLcn (7×7 Gaussian σ 2, zero padding, threshold 1e-4)", () => {
  // the 1-D factor, from the definition: exp(−a²/8), a = −3..3, normalised
  const w = [-3, -2, -1, 0, 1, 2, 3].map((a) => Math.exp(-(a * a) / 8));
  const g = w.map((v) => v / w.reduce((p, q) => p + q));
  const at = (i: number, j: number) => i * 32 + j;

  it("kernel: centre ≈ 0.0467, corner ≈ 0.0049 (METHOD.md §5.5)", () => {
    const k = gaussianKernel1d(7, 2);
    expect(k[3]! * k[3]!).toBeCloseTo(0.0467, 4);
    expect(k[0]! * k[0]!).toBeCloseTo(0.0049, 4);
    g.forEach((v, i) => {
      expect(k[i]).toBeCloseTo(v, 15);
    });
  });

  it("a constant image: 0 in the interior, and the zero-padding border effect at the corner", () => {
    const x = new Float32Array(1024).fill(3);
    lecunLcn(x, 1, [1, 32, 32]);
    for (let i = 3; i < 29; i++) for (let j = 3; j < 29; j++) expect(Math.abs(x[at(i, j)]!)).toBeLessThan(1e-6);
    // R(i): kernel weight inside the image along one axis; s(p) = c·√(R(r)R(c)); m = c·(Σ√R / 32)²
    const R = Array.from({ length: 32 }, (_, i) =>
      g.reduce((acc, v, t) => acc + (i + t - 3 >= 0 && i + t - 3 < 32 ? v : 0), 0),
    );
    const m = (R.reduce((acc, r) => acc + Math.sqrt(r), 0) / 32) ** 2;
    const s0 = R[0]!; // corner: s = c·R(0) < m, so the divisor is m
    expect(s0).toBeLessThan(m);
    expect(x[at(0, 0)]).toBeCloseTo((1 - s0 * s0) / m, 6);
  });

  it("an impulse: (1 − G₀)/√G₀ at the centre, −√G in the 7×7 neighbourhood, 0 elsewhere", () => {
    const x = new Float32Array(1024);
    x[at(16, 16)] = 1;
    lecunLcn(x, 1, [1, 32, 32]);
    const G = (dr: number, dc: number) => g[dr + 3]! * g[dc + 3]!;
    const m = g.reduce((acc, v) => acc + Math.sqrt(v), 0) ** 2 / 1024;
    for (let i = 0; i < 32; i++)
      for (let j = 0; j < 32; j++) {
        const dr = i - 16,
          dc = j - 16;
        let want = 0;
        if (dr === 0 && dc === 0) want = (1 - G(0, 0)) / Math.sqrt(G(0, 0));
        else if (Math.abs(dr) <= 3 && Math.abs(dc) <= 3) want = -G(dr, dc) / Math.max(m, Math.sqrt(G(dr, dc)));
        expect(x[at(i, j)]).toBeCloseTo(want, 6);
      }
  });

  it('channels "red-only" (Pylearn2 bug) leaves G and B as they are; "all" normalises each channel alike', () => {
    const img = new Float32Array(3 * 1024);
    for (let ch = 0; ch < 3; ch++) img[ch * 1024 + at(16, 16)] = 1;
    const single = new Float32Array(1024);
    single[at(16, 16)] = 1;
    lecunLcn(single, 1, [1, 32, 32]);
    const red = lecunLcn(Float32Array.from(img), 1, [3, 32, 32]);
    expect(Array.from(red.subarray(0, 1024))).toEqual(Array.from(single));
    expect(Array.from(red.subarray(1024))).toEqual(Array.from(img.subarray(1024)));
    const all = lecunLcn(Float32Array.from(img), 1, [3, 32, 32], { channels: "all" });
    for (let ch = 0; ch < 3; ch++)
      expect(Array.from(all.subarray(ch * 1024, ch * 1024 + 1024))).toEqual(Array.from(single));
  });

  it("a zero image stays zero (the 1e-4 threshold avoids 0/0)", () => {
    const x = lecunLcn(new Float32Array(1024), 1, [1, 32, 32]);
    expect(x.every((v) => v === 0)).toBe(true);
  });
});
