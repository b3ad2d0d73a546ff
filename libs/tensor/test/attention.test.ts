/**
 * The Transformer's kernels (batchedMatmul, softmaxRows, layerNorm, gelu and their backward passes, swapAxes) on
 * every backend: hand-computed values; each backward pass against central differences of a float64 reference of its
 * forward (written here, not the kernels' code); the native backend bit for bit the ts one on odd shapes; a fused
 * rounding equal to the kernel followed by quantize; bad input in one line naming the field.
 */
import { binary16, dynamicFixed, quantize } from "@lowprec/formats";
import { describe, expect, it } from "vitest";
import { type Backend, expNeg, tanhBasic, TsBackend } from "../src/index.js";
import { describeForBackends, firstBitDifference, randomArray, rng } from "./helpers.js";

const F = (...v: number[]) => Float32Array.from(v);

// ** float64 references of the forward passes **

function softmaxRef(x: Float64Array, rows: number, cols: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const m = Math.max(...row);
    const e = row.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    for (let c = 0; c < cols; c++) y[r * cols + c] = e[c]! / s;
  }
  return y;
}

function layerNormRef(
  x: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
  rows: number,
  cols: number,
  eps: number,
): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * cols, (r + 1) * cols);
    const mu = row.reduce((a, b) => a + b, 0) / cols;
    const variance = row.reduce((a, b) => a + (b - mu) ** 2, 0) / cols;
    for (let c = 0; c < cols; c++)
      y[r * cols + c] = ((row[c]! - mu) / Math.sqrt(variance + eps)) * gamma[c]! + beta[c]!;
  }
  return y;
}

const geluRef = (x: Float64Array) =>
  x.map((u) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3))));

/** ∂/∂v_i of Σ w ⊙ f(v) by central differences in float64, for every i. */
function numericGradient(v: Float64Array, w: Float64Array, f: (v: Float64Array) => Float64Array, h = 1e-6) {
  const g = new Float64Array(v.length);
  const loss = (u: Float64Array) => f(u).reduce((a, b, i) => a + b * w[i]!, 0);
  for (let i = 0; i < v.length; i++) {
    const u = Float64Array.from(v);
    u[i] = v[i]! + h;
    const up = loss(u);
    u[i] = v[i]! - h;
    g[i] = (up - loss(u)) / (2 * h);
  }
  return g;
}

function expectClose(got: Float32Array, want: Float64Array, tol: number, what: string): void {
  for (let i = 0; i < want.length; i++)
    expect(Math.abs(got[i]! - want[i]!), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(
      tol * (1 + Math.abs(want[i]!)),
    );
}

describeForBackends("attention kernels: values", (be: () => Backend) => {
  it("softmaxRows: hand-computed rows, large and −∞ logits, in place", () => {
    // [0, ln 3] → [1/4, 3/4]; equal values → uniform; 1000 twice → halves (no overflow); −∞ → 0
    const x = F(0, Math.log(3), 5, 5, 1000, 1000, Number.NEGATIVE_INFINITY, 0);
    const y = new Float32Array(8);
    be().softmaxRows({ rows: 4, cols: 2, x, y });
    expect(Array.from(y)).toEqual([0.25, 0.75, 0.5, 0.5, 0.5, 0.5, 0, 1]);
    be().softmaxRows({ rows: 4, cols: 2, x, y: x });
    expect(Array.from(x)).toEqual(Array.from(y));
  });

  it("layerNorm: a hand-computed row; mean and rstd kept for the backward pass", () => {
    // x = 1, 2, 3, 4: μ = 2.5, σ² = 1.25; eps = 0.75 makes √(σ² + eps) = √2; γ = 2, β = 1: y = (x − 2.5)·√2 + 1
    const y = new Float32Array(4),
      mean = new Float32Array(1),
      rstd = new Float32Array(1);
    const gamma = F(2, 2, 2, 2),
      beta = F(1, 1, 1, 1);
    be().layerNorm({ rows: 1, cols: 4, x: F(1, 2, 3, 4), gamma, beta, eps: 0.75, y, mean, rstd });
    expect(Array.from(y)).toEqual(
      Array.from(F(1 - 1.5 * Math.SQRT2, 1 - 0.5 * Math.SQRT2, 1 + 0.5 * Math.SQRT2, 1 + 1.5 * Math.SQRT2)),
    );
    expect([mean[0], rstd[0]]).toEqual([2.5, Math.fround(Math.SQRT1_2)]);
  });

  it("gelu: values of the tanh form (Python's math, rounded to float32) and its derivative at 1", () => {
    const y = new Float32Array(5);
    be().gelu({ x: F(0, 1, -0.5, 3, -10), y });
    expect(Array.from(y)).toEqual([0, 0.8411920070648193, -0.1542859971523285, 2.9963626861572266, -0]);
    const dx = new Float32Array(1);
    be().geluBackward({ x: F(1), dy: F(1), dx });
    expect(dx[0]).toBe(1.0829640626907349);
  });
});

describeForBackends("attention kernels: gradients against float64 central differences", (be: () => Backend) => {
  const r = rng(31);
  const [rows, cols] = [3, 7];
  const x = randomArray(rows * cols, r, 3);
  const w = randomArray(rows * cols, r, 1); // L = Σ w ⊙ f(x)
  const x64 = Float64Array.from(x),
    w64 = Float64Array.from(w);

  it("softmaxRowsBackward", () => {
    const y = new Float32Array(x.length),
      dx = new Float32Array(x.length);
    be().softmaxRows({ rows, cols, x, y });
    be().softmaxRowsBackward({ rows, cols, y, dy: w, dx });
    expectClose(
      dx,
      numericGradient(x64, w64, (v) => softmaxRef(v, rows, cols)),
      1e-5,
      "dx",
    );
  });

  it("layerNormBackward: dx, dγ and dβ", () => {
    const gamma = randomArray(cols, r, 2),
      beta = randomArray(cols, r, 1),
      eps = 1e-5;
    const [g64, b64] = [Float64Array.from(gamma), Float64Array.from(beta)];
    const y = new Float32Array(x.length),
      mean = new Float32Array(rows),
      rstd = new Float32Array(rows),
      dx = new Float32Array(x.length),
      dgamma = new Float32Array(cols),
      dbeta = new Float32Array(cols);
    be().layerNorm({ rows, cols, x, gamma, beta, eps, y, mean, rstd });
    expectClose(y, layerNormRef(x64, g64, b64, rows, cols, eps), 1e-6, "y");
    be().layerNormBackward({ rows, cols, x, gamma, mean, rstd, dy: w, dx, dgamma, dbeta });
    expectClose(
      dx,
      numericGradient(x64, w64, (v) => layerNormRef(v, g64, b64, rows, cols, eps)),
      1e-5,
      "dx",
    );
    expectClose(
      dgamma,
      numericGradient(g64, w64, (v) => layerNormRef(x64, v, b64, rows, cols, eps)),
      1e-5,
      "dγ",
    );
    expectClose(
      dbeta,
      numericGradient(b64, w64, (v) => layerNormRef(x64, g64, v, rows, cols, eps)),
      1e-5,
      "dβ",
    );
  });

  it("geluBackward", () => {
    const dx = new Float32Array(x.length);
    be().geluBackward({ x, dy: w, dx });
    expectClose(dx, numericGradient(x64, w64, geluRef), 1e-5, "dx");
  });
});

describeForBackends("attention kernels: the ts backend's bits, odd shapes, fused rounding", (be: () => Backend) => {
  // 1 row, 1 column, a column count that is no multiple of a vector, more rows than a thread's share
  const shapes: [number, number][] = [
    [1, 1],
    [1, 7],
    [5, 13],
    [300, 17],
  ];
  it("gelu and its gradient at the edges equal ts bit for bit (±0, subnormals, e^(−z) past 2^−1022, ±∞, NaN)", () => {
    // u = ±20.5: z = 2·|w| ≈ 700; ±21.5: ≈ 800 (beyond 745); ±19: the table's last normal powers of two
    const x = F(0, -0, 1e-45, -1e-45, 1e-20, 5, -5, 19, -19, 20.5, -20.5, 21, -21, 21.5, -21.5, 30, -30, 1e30, -1e30);
    const edges = Float32Array.from([...x, Infinity, -Infinity, Number.NaN]);
    const dy = Float32Array.from(edges, (_, i) => (i % 3) - 1 + 0.25);
    const pair = (k: Backend) => {
      const y = new Float32Array(edges.length),
        dx = new Float32Array(edges.length);
      k.gelu({ x: edges, y });
      k.geluBackward({ x: edges, dy, dx });
      return { y, dx };
    };
    const [want, got] = [pair(TsBackend), pair(be())];
    // NOTE: a NaN's sign and payload are not specified (x86 makes the default NaN negative): a NaN matches a NaN
    // (gelu(−∞) = −∞ · 0 is one, and NaN in gives NaN out)
    const bits = (a: Float32Array) => [...new Uint32Array(a.buffer)].map((u, i) => (Number.isNaN(a[i]) ? "NaN" : u));
    expect(bits(got.y)).toEqual(bits(want.y));
    expect(bits(got.dx)).toEqual(bits(want.dx));
    expect(Number.isNaN(got.y[edges.length - 1]!)).toBe(true);
  });

  for (const [rows, cols] of shapes)
    it(`${rows} × ${cols}: every kernel equals ts bit for bit, rounded or not`, () => {
      const r = rng(rows * 100 + cols);
      const x = randomArray(rows * cols, r, 4),
        dy = randomArray(rows * cols, r, 1),
        gamma = randomArray(cols, r, 2),
        beta = randomArray(cols, r, 1);
      const run = (
        k: Backend,
        q?: () => { format: typeof binary16 } | { format: ReturnType<typeof dynamicFixed>; integerBits: number },
      ) => {
        const n = rows * cols;
        const out = {
          sy: new Float32Array(n),
          sdx: new Float32Array(n),
          ly: new Float32Array(n),
          mean: new Float32Array(rows),
          rstd: new Float32Array(rows),
          ldx: new Float32Array(n),
          dg: new Float32Array(cols),
          db: new Float32Array(cols),
          gy: new Float32Array(n),
          gdx: new Float32Array(n),
        };
        const stats = [
          k.softmaxRows({ rows, cols, x, y: out.sy, quantize: q?.() }),
          k.softmaxRowsBackward({ rows, cols, y: out.sy, dy, dx: out.sdx, quantize: q?.() }),
          k.layerNorm({
            rows,
            cols,
            x,
            gamma,
            beta,
            eps: 1e-5,
            y: out.ly,
            mean: out.mean,
            rstd: out.rstd,
            quantize: q?.(),
          }),
          k.layerNormBackward({
            rows,
            cols,
            x,
            gamma,
            mean: out.mean,
            rstd: out.rstd,
            dy,
            dx: out.ldx,
            dgamma: out.dg,
            dbeta: out.db,
            quantize: q?.(),
          }),
          k.gelu({ x, y: out.gy, quantize: q?.() }),
          k.geluBackward({ x, dy, dx: out.gdx, quantize: q?.() }),
        ];
        return { out, stats };
      };
      for (const q of [
        undefined,
        () => ({ format: binary16 }),
        () => ({ format: dynamicFixed({ bits: 8 }), integerBits: 2 }),
      ]) {
        const [want, got] = [run(TsBackend, q), run(be(), q)];
        for (const [name, a] of Object.entries(want.out)) {
          const i = firstBitDifference(a, got.out[name as keyof typeof got.out]);
          expect(i, `${name}${q ? " rounded" : ""}: first difference at ${i}`).toBe(-1);
        }
        expect(got.stats).toEqual(want.stats);
      }
    });

  it("a fused rounding is the kernel then quantize in place (dynamic fixed point, 8 bits, 0 integer bits)", () => {
    const r = rng(5),
      x = randomArray(40, r, 2),
      y = new Float32Array(40),
      ref = new Float32Array(40);
    const spec = { format: dynamicFixed({ bits: 8 }), integerBits: 0 };
    const st = be().gelu({ x, y, quantize: spec });
    be().gelu({ x, y: ref });
    const out = new Float32Array(40);
    const want = quantize(ref, spec.format, { integerBits: 0, out });
    expect(firstBitDifference(out, y)).toBe(-1);
    expect(st).toEqual(want.stats);
    expect(st!.overflow).toBeGreaterThan(0); // no integer bit: the largest value is 1 − 2^-7, and gelu(x) ≥ 1 saturates
  });

  it("bad input: one line naming the kernel and the field", () => {
    const x = new Float32Array(6),
      y = new Float32Array(6);
    expect(() => be().softmaxRows({ rows: 2, cols: 0, x: new Float32Array(0), y: new Float32Array(0) })).toThrow(
      /softmaxRows: cols must be an integer ≥ 1/,
    );
    expect(() => be().softmaxRows({ rows: 2, cols: 3, x, y: new Float32Array(5) })).toThrow(
      /softmaxRows: y has length 5, expected 6 = rows×cols = 2×3/,
    );
    const ln = { rows: 2, cols: 3, x, gamma: new Float32Array(3), beta: new Float32Array(3), y };
    const [mean, rstd] = [new Float32Array(2), new Float32Array(2)];
    expect(() => be().layerNorm({ ...ln, eps: 0, mean, rstd })).toThrow(/layerNorm: eps must be a finite number > 0/);
    expect(() => be().layerNorm({ ...ln, eps: 1e-5, mean: new Float32Array(3), rstd })).toThrow(
      /layerNorm: mean has length 3, expected 2 = rows = 2/,
    );
    expect(() => be().gelu({ x, y: new Float32Array(4) })).toThrow(/gelu: y has length 4, expected 6 = length of x/);
  });
});

describeForBackends("batchedMatmul", (be: () => Backend) => {
  it("hand-computed products, each pair on its own; alpha; every transpose", () => {
    // pair 0: [[1, 2], [3, 4]]·[[5, 6], [7, 8]] = [[19, 22], [43, 50]]; pair 1: I·[[1, 2], [3, 4]]
    const a = F(1, 2, 3, 4, 1, 0, 0, 1),
      b = F(5, 6, 7, 8, 1, 2, 3, 4),
      c = new Float32Array(8);
    be().batchedMatmul({ batch: 2, m: 2, n: 2, k: 2, a, b, c, alpha: 0.5 });
    expect(Array.from(c)).toEqual([9.5, 11, 21.5, 25, 0.5, 1, 1.5, 2]);
    // the stored transposes give the same products
    const aT = F(1, 3, 2, 4, 1, 0, 0, 1),
      bT = F(5, 7, 6, 8, 1, 3, 2, 4),
      c2 = new Float32Array(8);
    for (const [ta, tb] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      be().batchedMatmul({ batch: 2, m: 2, n: 2, k: 2, a: ta ? aT : a, b: tb ? bT : b, c: c2, transA: ta, transB: tb });
      expect(Array.from(c2), `transA ${ta} transB ${tb}`).toEqual([19, 22, 43, 50, 1, 2, 3, 4]);
    }
  });

  it("each pair equals the ts backend's gemm of that pair, bit for bit (odd shapes, every transpose)", () => {
    const r = rng(77);
    for (const [batch, m, n, k] of [
      [1, 1, 1, 1],
      [1, 1, 13, 7],
      [5, 16, 16, 8],
      [3, 7, 5, 9],
      [3, 19, 35, 6],
      [4, 16, 32, 16],
      [2, 9, 17, 33],
    ] as const)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const a = randomArray(batch * m * k, r, 2),
            b = randomArray(batch * k * n, r, 2),
            c = new Float32Array(batch * m * n);
          be().batchedMatmul({ batch, m, n, k, a, b, c, transA, transB, alpha: 0.25 });
          for (let t = 0; t < batch; t++) {
            const want = new Float32Array(m * n);
            TsBackend.gemm({
              m,
              n,
              k,
              a: a.subarray(t * m * k, (t + 1) * m * k),
              b: b.subarray(t * k * n, (t + 1) * k * n),
              c: want,
              transA,
              transB,
              alpha: 0.25,
            });
            const i = firstBitDifference(want, c.subarray(t * m * n, (t + 1) * m * n));
            expect(i, `${batch}×${m}×${n}×${k} ${transA} ${transB} pair ${t}: ${i}`).toBe(-1);
          }
        }
  });

  it("exact integer products on the tiles' shapes (whole, and partial in rows and columns), every transpose", () => {
    // small integers: every product and sum is exact in float32, so C equals a float64 triple loop written here
    for (const [batch, m, n, k] of [
      [2, 16, 16, 16],
      [3, 19, 35, 6],
      [1, 9, 8, 3],
    ] as const) {
      const a = Float32Array.from({ length: batch * m * k }, (_, i) => ((i * 7) % 11) - 5),
        b = Float32Array.from({ length: batch * k * n }, (_, i) => ((i * 5) % 13) - 6);
      const want = new Float64Array(batch * m * n);
      for (let t = 0; t < batch; t++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < k; p++)
              want[t * m * n + i * n + j]! += 2 * a[t * m * k + i * k + p]! * b[t * k * n + p * n + j]!;
      // the stored transposes of each matrix
      const transpose = (x: Float32Array, rows: number, cols: number) => {
        const y = new Float32Array(x.length);
        for (let t = 0; t < batch; t++)
          for (let i = 0; i < rows; i++)
            for (let j = 0; j < cols; j++) y[t * rows * cols + j * rows + i] = x[t * rows * cols + i * cols + j]!;
        return y;
      };
      const [aT, bT] = [transpose(a, m, k), transpose(b, k, n)];
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const c = new Float32Array(batch * m * n);
          be().batchedMatmul({ batch, m, n, k, a: transA ? aT : a, b: transB ? bT : b, c, transA, transB, alpha: 2 });
          expect(Array.from(c), `${batch}×${m}×${n}×${k} ${transA} ${transB}`).toEqual(Array.from(want));
        }
    }
  });

  it("the gradient products: ∂/∂A of Σ W ⊙ (A·B) = W·Bᵀ, ∂/∂B = Aᵀ·W (float64 central differences)", () => {
    const r = rng(78),
      [batch, m, n, k] = [2, 3, 4, 5];
    const a = randomArray(batch * m * k, r, 1),
      b = randomArray(batch * k * n, r, 1),
      w = randomArray(batch * m * n, r, 1);
    const [a64, b64, w64] = [Float64Array.from(a), Float64Array.from(b), Float64Array.from(w)];
    const product = (x: Float64Array, y: Float64Array) => {
      const c = new Float64Array(batch * m * n);
      for (let t = 0; t < batch; t++)
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++)
            for (let p = 0; p < k; p++)
              c[t * m * n + i * n + j]! += x[t * m * k + i * k + p]! * y[t * k * n + p * n + j]!;
      return c;
    };
    const da = new Float32Array(a.length),
      db = new Float32Array(b.length);
    be().batchedMatmul({ batch, m: m, n: k, k: n, a: w, b, c: da, transB: true });
    be().batchedMatmul({ batch, m: k, n, k: m, a, b: w, c: db, transA: true });
    expectClose(
      da,
      numericGradient(a64, w64, (x) => product(x, b64)),
      1e-6,
      "dA",
    );
    expectClose(
      db,
      numericGradient(b64, w64, (y) => product(a64, y)),
      1e-6,
      "dB",
    );
  });

  it("rounds its output like any producing kernel, and names a wrong length", () => {
    const a = F(1, 2, 3, 4),
      b = F(1, 1, 1, 1),
      c = new Float32Array(4);
    const st = be().batchedMatmul({ batch: 1, m: 2, n: 2, k: 2, a, b, c, quantize: { format: binary16 } });
    expect([Array.from(c), st!.count]).toEqual([[3, 3, 7, 7], 4]);
    expect(() => be().batchedMatmul({ batch: 2, m: 2, n: 2, k: 2, a, b, c })).toThrow(
      /batchedMatmul: a has length 4, expected 8 = batch×m×k = 2×2×2/,
    );
  });
});

describe("tanhBasic, GELU's tanh on both backends (basic operations only)", () => {
  it("within 4e-16 of the platform's tanh over a sweep of 200,001 values, and e^(−z) within 4 ulps of exp", () => {
    let worstT = 0,
      worstE = 0;
    for (let i = -100_000; i <= 100_000; i++) {
      const w = i * 2e-4 * (1 + (Math.abs(i) % 7) * 0.1); // −28 to 28, with irregular steps
      worstT = Math.max(worstT, Math.abs(tanhBasic(w) - Math.tanh(w)));
      const z = Math.abs(w) * 20;
      const e = Math.exp(-z);
      if (e > 0) worstE = Math.max(worstE, Math.abs(expNeg(z) - e) / e);
    }
    expect(worstT).toBeLessThan(4e-16);
    expect(worstE).toBeLessThan(4 * Number.EPSILON);
  });

  it("the edges: ±0, large arguments, e^(−z) down to the subnormals and 0 beyond 745, NaN", () => {
    expect(Object.is(tanhBasic(0), 0)).toBe(true);
    expect(tanhBasic(-0)).toBe(0);
    expect([tanhBasic(30), tanhBasic(-30), tanhBasic(1e300), tanhBasic(-Infinity)]).toEqual([1, -1, 1, -1]);
    expect(expNeg(0)).toBe(1);
    expect(expNeg(Math.LN2)).toBeCloseTo(0.5, 15);
    expect(expNeg(744)).toBeGreaterThan(0);
    expect(expNeg(744) / Math.exp(-744)).toBeCloseTo(1, 2); // subnormal: few significant bits left
    expect([expNeg(745), expNeg(1e9), expNeg(Number.NaN)]).toEqual([0, 0, 0]);
  });
});

describeForBackends("swapAxes", (be: () => Backend) => {
  it("hand-computed: the middle axes of 2 × 2 × 3 × 2 swapped, and back", () => {
    // x[o, r, c, i] = 1000·o + 100·r + 10·c + i; y[o, c, r, i] must hold the same value
    const [O, R, C, I] = [2, 2, 3, 2];
    const x = new Float32Array(O * R * C * I),
      want = new Float32Array(x.length);
    for (let o = 0; o < O; o++)
      for (let r = 0; r < R; r++)
        for (let c = 0; c < C; c++)
          for (let i = 0; i < I; i++) {
            const value = 1000 * o + 100 * r + 10 * c + i;
            x[((o * R + r) * C + c) * I + i] = value;
            want[((o * C + c) * R + r) * I + i] = value;
          }
    const y = new Float32Array(x.length);
    be().swapAxes({ outer: O, rows: R, cols: C, inner: I, x, y });
    expect(Array.from(y.subarray(0, 12))).toEqual([0, 1, 100, 101, 10, 11, 110, 111, 20, 21, 120, 121]);
    expect(Array.from(y)).toEqual(Array.from(want));
    const back = new Float32Array(x.length);
    be().swapAxes({ outer: O, rows: C, cols: R, inner: I, x: y, y: back });
    expect(Array.from(back)).toEqual(Array.from(x));
  });

  it("copies bits: NaN payloads (a signalling one too), ±0, ±Infinity, subnormals; the ts backend's bits", () => {
    const r = rng(91);
    for (const [O, R, C, I] of [
      [1, 1, 1, 1],
      [32, 16, 4, 16],
      [3, 5, 7, 1],
      [2, 4, 3, 9],
    ] as const) {
      const x = randomArray(O * R * C * I, r, 3);
      const u = new Uint32Array(x.buffer);
      const special = [0x7fa00001, 0xffc01234, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x807fffff];
      for (let j = 0; j < special.length; j++) u[(j * 37) % u.length] = special[j]!;
      if (u.length === 1) u[0] = special[0]!;
      const y = new Float32Array(x.length),
        want = new Float32Array(x.length);
      be().swapAxes({ outer: O, rows: R, cols: C, inner: I, x, y });
      TsBackend.swapAxes({ outer: O, rows: R, cols: C, inner: I, x, y: want });
      // NOTE: not firstBitDifference, which takes every NaN for the canonical one
      expect(Array.from(new Uint32Array(y.buffer)), `${O}×${R}×${C}×${I}`).toEqual(
        Array.from(new Uint32Array(want.buffer)),
      );
      // each value where the index arithmetic puts it
      const yu = new Uint32Array(y.buffer);
      for (let o = 0; o < O; o++)
        for (let rr = 0; rr < R; rr++)
          for (let c = 0; c < C; c++)
            for (let i = 0; i < I; i++)
              if (yu[((o * C + c) * R + rr) * I + i] !== u[((o * R + rr) * C + c) * I + i])
                expect.fail(`${O}×${R}×${C}×${I}: (${o}, ${rr}, ${c}, ${i})`);
    }
  });

  it("empty dims, a wrong length and an overlapping y are refused in one line", () => {
    be().swapAxes({ outer: 0, rows: 3, cols: 2, inner: 4, x: F(), y: F() });
    const x = new Float32Array(12);
    expect(() => be().swapAxes({ outer: 1, rows: 2, cols: 3, inner: 2, x, y: new Float32Array(11) })).toThrow(
      /swapAxes: y has length 11, expected 12 = outer×cols×rows×inner = 1×3×2×2/,
    );
    const buf = new Float32Array(20);
    expect(() =>
      be().swapAxes({ outer: 1, rows: 2, cols: 3, inner: 2, x: buf.subarray(0, 12), y: buf.subarray(8, 20) }),
    ).toThrow(/swapAxes: y must not overlap x/);
    expect(() => be().swapAxes({ outer: 1, rows: 2, cols: 3, inner: 2, x, y: x })).toThrow(/must not overlap/);
  });
});
