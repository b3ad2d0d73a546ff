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
  // NOTE: QL rotates pairs of adjacent eigen-columns; in z (row k = coordinate k) a sweep runs along each row
  const z = transpose(u, n);
  tql2(z, d, e, n);
  return sortAscending(z, d, n);
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
        e[j] = e[j]! + u[row + j]! * f + dotAxpy(u, row, d, e, f, j + 1, i);
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
        const g = dot(u, next, u, row, i + 1);
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

/** Σ_{k<len} a[ao+k]·b[bo+k], four independent partial sums (a serial sum waits on the adder's latency). */
function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, len: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += a[ao + k]! * b[bo + k]!;
    s1 += a[ao + k + 1]! * b[bo + k + 1]!;
    s2 += a[ao + k + 2]! * b[bo + k + 2]!;
    s3 += a[ao + k + 3]! * b[bo + k + 3]!;
  }
  for (; k < len; k++) s0 += a[ao + k]! * b[bo + k]!;
  return s0 + s1 + s2 + s3;
}

/** For k in [from, to): returns Σ u[row+k]·d[k] and does e[k] += u[row+k]·f (one pass, four partial sums). */
function dotAxpy(
  u: Float64Array,
  row: number,
  d: Float64Array,
  e: Float64Array,
  f: number,
  from: number,
  to: number,
): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let k = from;
  for (; k + 3 < to; k += 4) {
    const v0 = u[row + k]!,
      v1 = u[row + k + 1]!,
      v2 = u[row + k + 2]!,
      v3 = u[row + k + 3]!;
    s0 += v0 * d[k]!;
    s1 += v1 * d[k + 1]!;
    s2 += v2 * d[k + 2]!;
    s3 += v3 * d[k + 3]!;
    e[k]! += v0 * f;
    e[k + 1]! += v1 * f;
    e[k + 2]! += v2 * f;
    e[k + 3]! += v3 * f;
  }
  for (; k < to; k++) {
    const v = u[row + k]!;
    s0 += v * d[k]!;
    e[k]! += v * f;
  }
  return s0 + s1 + s2 + s3;
}

function hypot(x: number, y: number): number {
  const ax = Math.abs(x),
    ay = Math.abs(y);
  if (ax > ay) {
    const r = ay / ax;
    return ax * Math.sqrt(1 + r * r);
  }
  if (ay === 0) return 0;
  const r = ax / ay;
  return ay * Math.sqrt(1 + r * r);
}

function tql2(z: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const cs = new Float64Array(n);
  const sn = new Float64Array(n);
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
        let c = 1,
          c2 = 1,
          c3 = 1,
          s = 0,
          s2 = 0;
        const el1 = e[l + 1]!;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          cs[i] = c;
          sn[i] = s;
        }
        applySweep(z, n, l, m, cs, sn);
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l]! += f;
    e[l] = 0;
  }
}

/**
 * Applies one QL sweep, the rotations i = m−1 … l (each mixing eigen-columns i and i+1), to every row of z.
 * Column i+1 is final after rotation i, so each row carries one value down the sweep: one load and one store
 * per rotation. Four rows at a time, so four independent chains hide the multiply-add latency.
 */
function applySweep(z: Float64Array, n: number, l: number, m: number, cs: Float64Array, sn: Float64Array): void {
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const r0 = k * n,
      r1 = r0 + n,
      r2 = r1 + n,
      r3 = r2 + n;
    let p0 = z[r0 + m]!,
      p1 = z[r1 + m]!,
      p2 = z[r2 + m]!,
      p3 = z[r3 + m]!;
    for (let i = m - 1; i >= l; i--) {
      const c = cs[i]!,
        s = sn[i]!;
      const x0 = z[r0 + i]!,
        x1 = z[r1 + i]!,
        x2 = z[r2 + i]!,
        x3 = z[r3 + i]!;
      z[r0 + i + 1] = s * x0 + c * p0;
      z[r1 + i + 1] = s * x1 + c * p1;
      z[r2 + i + 1] = s * x2 + c * p2;
      z[r3 + i + 1] = s * x3 + c * p3;
      p0 = c * x0 - s * p0;
      p1 = c * x1 - s * p1;
      p2 = c * x2 - s * p2;
      p3 = c * x3 - s * p3;
    }
    z[r0 + l] = p0;
    z[r1 + l] = p1;
    z[r2 + l] = p2;
    z[r3 + l] = p3;
  }
  for (; k < n; k++) {
    const r = k * n;
    let p = z[r + m]!;
    for (let i = m - 1; i >= l; i--) {
      const x = z[r + i]!;
      z[r + i + 1] = sn[i]! * x + cs[i]! * p;
      p = cs[i]! * x - sn[i]! * p;
    }
    z[r + l] = p;
  }
}

function transpose(a: Float64Array, n: number): Float64Array {
  const t = new Float64Array(n * n);
  const B = 32;
  for (let ib = 0; ib < n; ib += B) {
    for (let jb = 0; jb < n; jb += B) {
      const ie = Math.min(ib + B, n),
        je = Math.min(jb + B, n);
      for (let i = ib; i < ie; i++) for (let j = jb; j < je; j++) t[j * n + i] = a[i * n + j]!;
    }
  }
  return t;
}

/** Eigenvalues ascending, with eigenvector j (column j of z) returned as row j. */
function sortAscending(z: Float64Array, d: Float64Array, n: number): Eigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((p, q) => d[p]! - d[q]! || p - q);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  const t = transpose(z, n); // row j of t = column j of z
  order.forEach((src, j) => {
    values[j] = d[src]!;
    vectors.set(t.subarray(src * n, (src + 1) * n), j * n);
  });
  return { values, vectors };
}
