/**
 * The one dense kernel ZCA needs: C += A·Bᵀ with A m×k and B n×k row-major float64 (dot-product form, so both
 * operands stream contiguously). Pure TS: blocked over k and n, 4×4 register tile. `upper` computes only the
 * 4×4 tiles with column ≥ row (for symmetric results such as XᵀX). About 2.5–3 GFLOP/s on one core here.
 */

/** Signature of a C += A·Bᵀ kernel; ZCA takes one as an option so a faster backend can be plugged in. */
export type MatMulNT = (
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  m: number,
  n: number,
  k: number,
  upper?: boolean,
) => void;

const KB = 256;
const NB = 64;

/** C (m×n) += A (m×k) · Bᵀ (B is n×k). With `upper`, tiles entirely below the diagonal are skipped. */
export const matMulNT: MatMulNT = (a, b, c, m, n, k, upper = false) => {
  if (a.length < m * k || b.length < n * k || c.length < m * n) {
    throw new RangeError(
      `matMulNT: arrays too small for m=${m} n=${n} k=${k} (a ${a.length}, b ${b.length}, c ${c.length})`,
    );
  }
  const m4 = m - (m % 4),
    n4 = n - (n % 4);
  for (let kb = 0; kb < k; kb += KB) {
    const ke = Math.min(kb + KB, k);
    for (let jb = 0; jb < n4; jb += NB) {
      const je = Math.min(jb + NB, n4);
      for (let i = 0; i < m4; i += 4) {
        if (upper && i >= je) break;
        for (let j = upper && i > jb ? i - (i % 4) : jb; j < je; j += 4) tile4x4(a, b, c, n, k, i, j, kb, ke);
      }
    }
  }
  // edges (rows m4..m, columns n4..n): plain dot products
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : upper ? i : 0; j < n; j++) {
      if (upper && j < i) continue;
      let s = 0;
      const ao = i * k,
        bo = j * k;
      for (let t = 0; t < k; t++) s += a[ao + t]! * b[bo + t]!;
      c[i * n + j]! += s;
    }
  }
};

function tile4x4(
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  n: number,
  k: number,
  i: number,
  j: number,
  kb: number,
  ke: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0,
    c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0,
    c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  const a0 = i * k,
    a1 = a0 + k,
    a2 = a1 + k,
    a3 = a2 + k;
  const b0 = j * k,
    b1 = b0 + k,
    b2 = b1 + k,
    b3 = b2 + k;
  for (let t = kb; t < ke; t++) {
    const x0 = a[a0 + t]!,
      x1 = a[a1 + t]!,
      x2 = a[a2 + t]!,
      x3 = a[a3 + t]!;
    const y0 = b[b0 + t]!,
      y1 = b[b1 + t]!,
      y2 = b[b2 + t]!,
      y3 = b[b3 + t]!;
    c00 += x0 * y0;
    c01 += x0 * y1;
    c02 += x0 * y2;
    c03 += x0 * y3;
    c10 += x1 * y0;
    c11 += x1 * y1;
    c12 += x1 * y2;
    c13 += x1 * y3;
    c20 += x2 * y0;
    c21 += x2 * y1;
    c22 += x2 * y2;
    c23 += x2 * y3;
    c30 += x3 * y0;
    c31 += x3 * y1;
    c32 += x3 * y2;
    c33 += x3 * y3;
  }
  let o = i * n + j;
  c[o]! += c00;
  c[o + 1]! += c01;
  c[o + 2]! += c02;
  c[o + 3]! += c03;
  o += n;
  c[o]! += c10;
  c[o + 1]! += c11;
  c[o + 2]! += c12;
  c[o + 3]! += c13;
  o += n;
  c[o]! += c20;
  c[o + 1]! += c21;
  c[o + 2]! += c22;
  c[o + 3]! += c23;
  o += n;
  c[o]! += c30;
  c[o + 1]! += c31;
  c[o + 2]! += c32;
  c[o + 3]! += c33;
}
