/**
 * An independent float64 vision Transformer, written from METHOD.md §9's equations (not from the library's code):
 * the loss of a batch given every parameter, for finite differences. Parameters are read from a `Vit` by layer.
 */
import type { Vit } from "../src/index.js";

type M = Float64Array;

/** C (m × n) = A (m × k) · B (k × n). */
function matmul(a: M, b: M, m: number, k: number, n: number): M {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += av * b[p * n + j]!;
    }
  return c;
}

function linear(x: M, rows: number, w: M, b: M, inSize: number, outSize: number): M {
  const y = matmul(x, w, rows, inSize, outSize);
  for (let i = 0; i < rows; i++) for (let j = 0; j < outSize; j++) y[i * outSize + j]! += b[j]!;
  return y;
}

function layerNorm(x: M, rows: number, d: number, g: M, b: M, eps: number): M {
  const y = new Float64Array(rows * d);
  for (let i = 0; i < rows; i++) {
    let mu = 0;
    for (let j = 0; j < d; j++) mu += x[i * d + j]!;
    mu /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[i * d + j]! - mu) ** 2;
    const r = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) y[i * d + j] = (x[i * d + j]! - mu) * r * g[j]! + b[j]!;
  }
  return y;
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

const add = (a: M, b: M): M => a.map((v, i) => v + b[i]!);

/** Parameters of the reference, by the Vit's layer names ("embed", "block1.q", ...): W and b as float64. */
export type RefParams = Map<string, { w: M; b: M }>;

export function paramsOf(net: Vit): RefParams {
  const m: RefParams = new Map();
  for (const l of net.paramLayers)
    m.set(l.name, { w: Float64Array.from(l.params.w), b: Float64Array.from(l.params.b) });
  return m;
}

/** Mean over the batch of −log softmax(z)[label]. */
export function referenceLoss(net: Vit, P: RefParams, x: Float32Array, labels: Int32Array, images: number): number {
  const s = net.spec,
    p = s.patch,
    C = s.image.channels,
    H = s.image.height,
    W = s.image.width,
    d = s.dim,
    T = (H / p) * (W / p),
    ps = C * p * p,
    dh = d / s.heads,
    eps = s.eps ?? 1e-5;
  const get = (n: string) => P.get(n)!;
  // patches: token t = row-major patch (i, j); values in (channel, y, x) order
  const patches = new Float64Array(images * T * ps);
  for (let n = 0; n < images; n++)
    for (let t = 0; t < T; t++) {
      const py = Math.floor(t / (W / p)) * p,
        px = (t % (W / p)) * p;
      for (let c = 0; c < C; c++)
        for (let i = 0; i < p; i++)
          for (let j = 0; j < p; j++)
            patches[(n * T + t) * ps + (c * p + i) * p + j] = x[n * C * H * W + c * H * W + (py + i) * W + px + j]!;
    }
  const rows = images * T;
  let h = linear(patches, rows, get("embed").w, get("embed").b, ps, d);
  const pos = get("pos").w;
  for (let n = 0; n < images; n++) for (let i = 0; i < T * d; i++) h[n * T * d + i]! += pos[i]!;
  for (let blk = 1; blk <= s.blocks; blk++) {
    const L = (part: string) => get(`block${blk}.${part}`);
    const a = layerNorm(h, rows, d, L("ln1").w, L("ln1").b, eps);
    const q = linear(a, rows, L("q").w, L("q").b, d, d),
      k = linear(a, rows, L("k").w, L("k").b, d, d),
      v = linear(a, rows, L("v").w, L("v").b, d, d);
    const ctx = new Float64Array(rows * d);
    for (let n = 0; n < images; n++)
      for (let hd = 0; hd < s.heads; hd++)
        for (let t = 0; t < T; t++) {
          const sc = new Float64Array(T);
          let mx = -Infinity;
          for (let u = 0; u < T; u++) {
            let dot = 0;
            for (let c = 0; c < dh; c++) dot += q[(n * T + t) * d + hd * dh + c]! * k[(n * T + u) * d + hd * dh + c]!;
            sc[u] = dot / Math.sqrt(dh);
            mx = Math.max(mx, sc[u]!);
          }
          let z = 0;
          for (let u = 0; u < T; u++) z += Math.exp(sc[u]! - mx);
          for (let u = 0; u < T; u++) {
            const pr = Math.exp(sc[u]! - mx) / z;
            for (let c = 0; c < dh; c++) ctx[(n * T + t) * d + hd * dh + c]! += pr * v[(n * T + u) * d + hd * dh + c]!;
          }
        }
    const h2 = add(h, linear(ctx, rows, L("out").w, L("out").b, d, d));
    const m = layerNorm(h2, rows, d, L("ln2").w, L("ln2").b, eps);
    const u = linear(m, rows, L("fc1").w, L("fc1").b, d, s.mlp).map(gelu);
    h = add(h2, linear(u, rows, L("fc2").w, L("fc2").b, s.mlp, d));
  }
  const pooled = new Float64Array(images * d);
  for (let n = 0; n < images; n++)
    for (let c = 0; c < d; c++) {
      for (let t = 0; t < T; t++) pooled[n * d + c]! += h[(n * T + t) * d + c]!;
      pooled[n * d + c]! /= T;
    }
  const z = linear(
    layerNorm(pooled, images, d, get("norm").w, get("norm").b, eps),
    images,
    get("head").w,
    get("head").b,
    d,
    s.classes,
  );
  let loss = 0;
  for (let n = 0; n < images; n++) {
    const row = z.subarray(n * s.classes, (n + 1) * s.classes);
    const mx = Math.max(...row);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - mx);
    loss += -(row[labels[n]!]! - mx - Math.log(sum));
  }
  return loss / images;
}
