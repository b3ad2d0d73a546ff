// Block-scaled (MX) settings on the ViT (issue 26, with issue 25's formats): every product rounds its operands in
// blocks along the axis it sums. The attention core's forward and backward products are checked against a float64
// reference that quantizes each operand with @lowprec/formats' quantizeMx along the stated axis (a block of 2 so that
// every axis holds several blocks); a reference with a block across the other axis does not match, so the test can
// fail. A linear layer is checked the same way, and the MX presets train the ViT, their gradients in E5M2 in the
// attention core too.
import { describe, expect, it } from "vitest";
import { quantizeMx } from "@lowprec/formats";
import {
  ATTENTION_CORE,
  LayerPrecision,
  policyMx,
  PRECISION_PRESETS,
  resolveGroup,
  TRANSFORMER_LINEAR,
  type PrecisionSpec,
} from "@lowprec/precision";
import { TsBackend } from "@lowprec/tensor";
import { AttentionCore, attentionSpec, Linear, type AttentionPrecision, type LinearPrecision } from "../src/index.js";

const BLOCK = 2;
const spec: PrecisionSpec = { ...PRECISION_PRESETS.mxint8, scaling: { kind: "block-scaled", block: BLOCK } };
const format = policyMx("mxint", BLOCK, 8);

/** Deterministic values with a spread of magnitudes, so blocks take different scales. */
const values = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i * 1.7) * 2 ** ((i * 7 + seed) % 5) * 0.3);

type Matrix = number[][];
const matrix = (a: ArrayLike<number>, rows: number, cols: number): Matrix =>
  Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => a[r * cols + c]!));
const transpose = (m: Matrix): Matrix => m[0]!.map((_, c) => m.map((row) => row[c]!));
const matmul = (a: Matrix, b: Matrix): Matrix =>
  a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
/** A matrix quantized by quantizeMx, each row (or each column) its own run of blocks. */
function mxAlong(m: Matrix, along: "rows" | "columns"): Matrix {
  const q = (line: number[]) => [...quantizeMx(Float32Array.from(line), format).out];
  return along === "rows" ? m.map(q) : transpose(transpose(m).map(q));
}
const softmaxRows = (m: Matrix): Matrix =>
  m.map((row) => {
    const top = Math.max(...row);
    const e = row.map((x) => Math.exp(x - top));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  });
const close = (got: ArrayLike<number>, want: Matrix) => {
  const flat = want.flat();
  expect(got.length).toBe(flat.length);
  return flat.every((w, i) => Math.abs(got[i]! - w) <= 1e-4 * (1 + Math.abs(w)));
};

describe("the attention core under MX: blocks along each product's summed axis", () => {
  const T = 4,
    dh = 4;
  const q = values(T * dh, 1),
    kx = values(T * dh, 2),
    v = values(T * dh, 3);
  const make = () =>
    new AttentionCore(
      "attn",
      T,
      dh,
      1,
      new LayerPrecision(spec, 0, 7, ATTENTION_CORE) as AttentionPrecision,
      TsBackend,
      1,
    );

  it("forward: q̂·k̂ᵀ along d_h, p̂·v̂ along the key tokens", () => {
    const c = make().forward(q, kx, v, 1);
    const [Q, K, V] = [matrix(q, T, dh), matrix(kx, T, dh), matrix(v, T, dh)];
    const scores = (k: Matrix) =>
      matmul(mxAlong(Q, "rows"), transpose(mxAlong(k, "rows"))).map((r) => r.map((x) => x / 2));
    const P = softmaxRows(scores(K));
    expect(close(c, matmul(mxAlong(P, "rows"), mxAlong(V, "columns")))).toBe(true);
    // blocks across the other axis of v̂ give another product: the test sees the axis
    expect(close(c, matmul(mxAlong(P, "rows"), mxAlong(V, "rows")))).toBe(false);
  });

  it("backward: ∂E/∂v = p̂ᵀ·ĝ_c and ∂E/∂k = ĝ_sᵀ·q̂ along the query tokens, ∂E/∂q = ĝ_s·k̂ along the keys", () => {
    const core = make();
    core.forward(q, kx, v, 1);
    const dc = values(T * dh, 4);
    const [dq, dk, dv] = core.backward(dc, 1);
    const [Q, K, V, G] = [matrix(q, T, dh), matrix(kx, T, dh), matrix(v, T, dh), matrix(dc, T, dh)];
    const P = softmaxRows(matmul(mxAlong(Q, "rows"), transpose(mxAlong(K, "rows"))).map((r) => r.map((x) => x / 2)));
    const mxP = mxAlong(P, "columns");
    expect(close(dv, matmul(transpose(mxP), mxAlong(G, "columns")))).toBe(true);
    expect(close(dv, matmul(transpose(mxAlong(P, "rows")), mxAlong(G, "columns")))).toBe(false);
    // ĝ_p = ĝ_c·v̂ᵀ along d_h, then ĝ_s = p ⊙ (ĝ_p − Σ ĝ_p ⊙ p) (not rounded: an MX group rounds only operands)
    const gp = matmul(mxAlong(G, "rows"), transpose(mxAlong(V, "rows")));
    const gs = P.map((row, i) => {
      const dot = row.reduce((s, p, j) => s + p * gp[i]![j]!, 0);
      return row.map((p, j) => p * (gp[i]![j]! - dot));
    });
    const want = matmul(mxAlong(gs, "rows"), mxAlong(K, "columns")).map((r) => r.map((x) => x / 2));
    expect(close(dq, want)).toBe(true);
    // ∂E/∂k = ĝ_sᵀ·q̂ along the query tokens
    const dkWant = matmul(transpose(mxAlong(gs, "columns")), mxAlong(Q, "columns")).map((r) => r.map((x) => x / 2));
    expect(close(dk, dkWant)).toBe(true);
    expect(
      close(
        dk,
        matmul(transpose(mxAlong(gs, "rows")), mxAlong(Q, "columns")).map((r) => r.map((x) => x / 2)),
      ),
    ).toBe(false);
  });
});

describe("a linear layer under MX", () => {
  it("x̃·Ŵ along the input features, x̃ᵀ·ĝ_z along the rows", () => {
    const [rows, inSize, outSize] = [3, 4, 2];
    const p = new LayerPrecision(spec, 0, 7, TRANSFORMER_LINEAR) as LinearPrecision;
    const lin = new Linear("fc", inSize, outSize, "none", p, TsBackend, rows);
    lin.params.w.set(values(inSize * outSize, 5));
    const x = values(rows * inSize, 6);
    const z = lin.forward(x, rows);
    const [X, W] = [matrix(x, rows, inSize), matrix(lin.params.w, inSize, outSize)];
    expect(close(z, matmul(mxAlong(X, "rows"), mxAlong(W, "columns")))).toBe(true);
    expect(close(z, matmul(mxAlong(X, "columns"), mxAlong(W, "columns")))).toBe(false);
    const dz = values(rows * outSize, 7);
    lin.backward(dz, rows, false);
    const want = matmul(transpose(mxAlong(X, "columns")), mxAlong(matrix(dz, rows, outSize), "columns"));
    expect(close(lin.params.gw, want)).toBe(true);
  });
});

describe("the MX presets on the ViT", () => {
  it("take the gradients' format in the attention core from the dEdz override (E5M2 under MXFP8)", () => {
    const s = attentionSpec(PRECISION_PRESETS.mxfp8);
    for (const g of ["dEdcontext", "dEdprobs", "dEdscores"]) expect(resolveGroup(s, 4, g).mx?.name).toBe("mxfp8e5m2");
    for (const g of ["scores", "probs", "context"]) expect(resolveGroup(s, 4, g).mx?.name).toBe("mxfp8e4m3");
    // no override: the policy unchanged
    expect(attentionSpec(PRECISION_PRESETS.dfxp)).toBe(PRECISION_PRESETS.dfxp);
  });
});
