/**
 * Symmetric eigendecomposition in float64: Householder tridiagonalisation then the implicit QL algorithm
 * (EISPACK tred2/tql2, as in JAMA), with the vectors stored as contiguous rows so every inner loop streams
 * memory in order. Eigenvalues ascending.
 */

export interface Eigen {
  /** eigenvalues, ascending */
  readonly values: Float64Array;
  /** n×n row-major; row j is the unit eigenvector of values[j] */
  readonly vectors: Float64Array;
}

/**
 * Eigen-decomposes the symmetric n×n row-major matrix `a` (only its symmetry is assumed; the lower triangle is
 * read). `a` is not modified.
 */
export function eigh(a: Float64Array, n: number): Eigen {
  if (a.length !== n * n) throw new RangeError(`eigh: matrix has ${a.length} values, expected n·n = ${n}·${n}`);
  // u[j*n + k] = V[k][j]: JAMA's column j is our row j, so its k-loops are contiguous.
  const u = Float64Array.from(a); // a is symmetric, so aᵀ = a
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(u, d, e, n);
  tql2(u, d, e, n);
  return { values: d, vectors: u };
}

function tred2(u: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = u[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = u[j * n + i - 1]!;
        u[j * n + i] = 0;
        u[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        const row = j * n;
        f = d[j]!;
        u[i * n + j] = f;
        g = e[j]! + u[row + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const v = u[row + k]!;
          g += v * d[k]!;
          e[k]! += v * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        const row = j * n;
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) u[row + k]! -= f * e[k]! + g * d[k]!;
        d[j] = u[row + i - 1]!;
        u[row + i] = 0;
      }
    }
    d[i] = h;
  }
  // accumulate the transformations
  for (let i = 0; i < n - 1; i++) {
    u[i * n + n - 1] = u[i * n + i]!;
    u[i * n + i] = 1;
    const h = d[i + 1]!;
    const next = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = u[next + k]! / h;
      for (let j = 0; j <= i; j++) {
        const row = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += u[next + k]! * u[row + k]!;
        for (let k = 0; k <= i; k++) u[row + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) u[next + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = u[j * n + n - 1]!;
    u[j * n + n - 1] = 0;
  }
  u[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function hypot(x: number, y: number): number {
  const ax = Math.abs(x), ay = Math.abs(y);
  if (ax > ay) { const r = ay / ax; return ax * Math.sqrt(1 + r * r); }
  if (ay === 0) return 0;
  const r = ax / ay;
  return ay * Math.sqrt(1 + r * r);
}

function tql2(u: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error(`eigh: QL iteration did not converge for eigenvalue ${l} of ${n}`);
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const el1 = e[l + 1]!;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2; c2 = c; s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          rotateRows(u, i * n, (i + 1) * n, n, c, s);
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l]! += f;
    e[l] = 0;
  }
  sortAscending(u, d, n);
}

/** (row a, row b) ← (c·a − s·b, s·a + c·b): one Givens rotation of two eigenvector rows. */
function rotateRows(u: Float64Array, a: number, b: number, n: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const h = u[b + k]!;
    const x = u[a + k]!;
    u[b + k] = s * x + c * h;
    u[a + k] = c * x - s * h;
  }
}

function sortAscending(u: Float64Array, d: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) if (d[j]! < p) { k = j; p = d[j]!; }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      const ri = u.subarray(i * n, (i + 1) * n);
      const tmp = Float64Array.from(ri);
      ri.set(u.subarray(k * n, (k + 1) * n));
      u.set(tmp, k * n);
    }
  }
}
