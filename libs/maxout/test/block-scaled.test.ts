/**
 * Block-scaled (OCP MX) products in the Maxout trainer (beyond the paper): every operand of every product is rounded
 * in blocks along the axis that product sums, checked against @lowprec/formats' flat quantizeMx applied line by line
 * (no code of the trainer's); a block's scale follows its values when they move (the permutation test); the
 * gradients take their own element type; a short training run under each MX preset; and the settings' messages.
 */
import { type MxFormat, quantizeMx } from "@lowprec/formats";
import type { Kernels } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  MemoryOutput,
  Network,
  PRECISION_PRESETS,
  resolveConfig,
  train,
  type NetworkSpec,
  type PrecisionSpec,
} from "../src/index.js";
import type { MaxoutDense } from "../src/layers/maxout-dense.js";
import { convNet, denseNet, kernels, toyConfig, toyData, toySplits } from "./helpers.js";

/** x as `batch` row-major rows × cols matrices, each quantized line by line (rows, or columns copied out). */
function reference(
  x: Float32Array,
  format: MxFormat,
  rows: number,
  cols: number,
  along: "rows" | "columns",
  batch = 1,
): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    const [lines, len] = along === "rows" ? [rows, cols] : [cols, rows];
    const at = (l: number, j: number): number => base + (along === "rows" ? l * cols + j : j * cols + l);
    for (let l = 0; l < lines; l++) {
      const line = Float32Array.from({ length: len }, (_, j) => x[at(l, j)]!);
      const q = quantizeMx(line, format).out;
      for (let j = 0; j < len; j++) y[at(l, j)] = q[j]!;
    }
  }
  return y;
}

interface MxCall {
  x: Float32Array;
  y: Float32Array;
  format: string;
  /** position in the sequence of recorded calls */
  seq: number;
}
interface Call {
  kernel: string;
  args: Record<string, unknown>;
  seq: number;
}

/** The backend's kernels, recording every quantizeMx pass (input copied, output kept) and every product's args. */
function recording(): { k: Kernels; mx: MxCall[]; calls: Call[] } {
  const mx: MxCall[] = [],
    calls: Call[] = [];
  let seq = 0;
  const out: Record<string, unknown> = { ...kernels };
  for (const name of ["gemm", "conv2dForward", "conv2dBackwardData", "conv2dBackwardFilter", "quantizeMx"]) {
    const f = (kernels as unknown as Record<string, (a: Record<string, unknown>) => unknown>)[name]!;
    out[name] = (a: Record<string, unknown>) => {
      if (name === "quantizeMx") {
        const x = (a["x"] as Float32Array).slice();
        const r = f.call(kernels, a);
        mx.push({ x, y: a["y"] as Float32Array, format: (a["format"] as MxFormat).name, seq: seq++ });
        return r;
      }
      calls.push({ kernel: name, args: { ...a }, seq: seq++ });
      return f.call(kernels, a);
    };
  }
  return { k: out as unknown as Kernels, mx, calls };
}

/**
 * The quantizeMx passes that wrote `operand` just before the product `call`: one, or one per matrix of a batched
 * operand (written into consecutive parts of the same buffer), as one pass with the inputs and outputs joined.
 */
function passOf(mx: readonly MxCall[], call: Call, operand: unknown, batch = 1): MxCall {
  const o = operand as Float32Array;
  const hits = mx.filter((c) => c.seq < call.seq && c.y.buffer === o.buffer).slice(-batch);
  expect(hits.length, "the operand is the output of MX passes").toBe(batch);
  if (batch === 1) {
    expect(hits[0]!.y).toBe(o);
    return hits[0]!;
  }
  const x = new Float32Array(o.length);
  let at = 0;
  for (const h of hits) {
    expect(h.y.byteOffset).toBe(o.byteOffset + at * 4);
    x.set(h.x, at);
    at += h.x.length;
  }
  expect(at).toBe(o.length);
  return { x, y: o, format: hits[0]!.format, seq: hits[0]!.seq };
}

const same = (a: Float32Array, b: Float32Array): void => {
  const i = a.findIndex((v, j) => !Object.is(v, b[j]));
  expect(i, i < 0 ? "" : `element ${i}: ${a[i]} vs ${b[i]}`).toBe(-1);
};

/** toyConfig with the setting's own scaling (toyConfig's default is the overflow-rate rule). */
const mxConfig = (net: NetworkSpec, p: PrecisionSpec) => toyConfig(net, p, { precision: { scaling: p.scaling } });

const FORMATS = (p: PrecisionSpec): { act: MxFormat; grad: MxFormat } => {
  const n = new Network(mxConfig(denseNet, p), kernels, 20);
  return { act: n.layers[0]!.precision.rule("y").mx!, grad: n.layers[0]!.precision.rule("dEdz").mx! };
};

describe("block-scaled products: each operand in blocks along the summed axis", () => {
  it("fully connected: x̃·Ŵ, ĝ_z·Ŵᵀ and x̃ᵀ·ĝ_z, E2M3 for activations and weights, E3M2 for gradients (mxfp6)", () => {
    const spec = PRECISION_PRESETS.mxfp6 as PrecisionSpec;
    const { act, grad } = FORMATS(spec);
    expect([act.name, grad.name]).toEqual(["mxfp6e2m3", "mxfp6e3m2"]);
    const { k, mx, calls } = recording();
    const net = new Network(mxConfig(denseNet, spec), k, 20);
    net.init();
    const d = toyData(20, [1, 4, 4], 4, 1);
    net.trainStep(d.images, Int32Array.from(d.labels), 20, 0.05, 0.5);
    const gemms = calls.filter((c) => c.kernel === "gemm");
    expect(gemms.length).toBe(3 + 3 + 2); // forward per layer, weight gradient per layer, input gradient below the top
    for (const g of gemms) {
      const a = g.args as { m: number; n: number; k: number; a: Float32Array; b: Float32Array };
      const transA = g.args["transA"] === true,
        transB = g.args["transB"] === true;
      // stored A is m × k (k × m when transposed), B is k × n (n × k): the summed k is along A's rows unless
      // transposed, and down B's columns unless transposed
      const pa = passOf(mx, g, a.a),
        pb = passOf(mx, g, a.b);
      const [ar, ac] = transA ? [a.k, a.m] : [a.m, a.k];
      const [br, bc] = transB ? [a.n, a.k] : [a.k, a.n];
      const product = transA ? "weight gradient" : transB ? "input gradient" : "forward";
      // operand formats: the gradient ĝ_z is b of the weight gradient and a of the input gradient
      const fa = product === "input gradient" ? grad : act,
        fb = product === "weight gradient" ? grad : act;
      expect([pa.format, pb.format], product).toEqual([fa.name, fb.name]);
      same(pa.y, reference(pa.x, fa, ar, ac, transA ? "columns" : "rows"));
      same(pb.y, reference(pb.x, fb, br, bc, transB ? "rows" : "columns"));
    }
  });

  it("convolutions: channels per pixel for the channel sums, the batch for the weight gradient", () => {
    const spec = PRECISION_PRESETS.mxfp8 as PrecisionSpec;
    const { act, grad } = FORMATS(spec);
    const { k, mx, calls } = recording();
    const net = new Network(mxConfig(convNet, spec), k, 20);
    net.init();
    const d = toyData(20, [2, 7, 7], 4, 1);
    net.trainStep(d.images, Int32Array.from(d.labels), 20, 0.05, 0.5);
    // the first layer's input gradient is never needed in training: asked for here, from a made-up ĝ_y
    const conv = net.layers[0]!;
    conv.forward(d.images, 20);
    conv.backward(
      Float32Array.from({ length: 20 * conv.outputSize }, (_, i) => ((i % 7) - 3) * 0.01),
      20,
      true,
    );
    // convNet's conv: 2 → 6 channels (3 maps × 2 pieces), 3 × 3 kernel, padding 1: 7 × 7 in and out
    const n = 20,
      C = 2,
      F = 6,
      P = 49,
      taps = 9;
    const at = (kernel: string): Call => calls.filter((c) => c.kernel === kernel).pop()!;
    const fwd = at("conv2dForward"),
      bd = at("conv2dBackwardData"),
      bf = at("conv2dBackwardFilter");
    const check = (c: Call, arg: string, f: MxFormat, rows: number, cols: number, along: "rows" | "columns", b = 1) => {
      const p = passOf(mx, c, c.args[arg], b);
      expect(p.format).toBe(f.name);
      same(p.y, reference(p.x, f, rows, cols, along, b));
    };
    check(fwd, "x", act, C, P, "columns", n); // per image and pixel, the input channels
    check(fwd, "w", act, C, taps, "columns", F); // per filter and tap, the input channels
    check(bd, "dy", grad, F, P, "columns", n); // per image and pixel, the output channels
    check(bd, "w", act, F, C * taps, "columns"); // per input channel and tap, the output channels
    check(bf, "x", act, n, C * P, "columns"); // per channel and pixel, the images of the batch
    check(bf, "dy", grad, n, F * P, "columns");
  });

  it("a block's scale follows its values: permuted within a block the product stays, moved across it changes", () => {
    // one dense layer, 64 inputs (2 blocks of 32) and 1 unit with 1 piece, no dropout: z = MX(x)·MX(w) with E2M1
    // elements. Values are small dyadic numbers, so every sum is exact whatever its order.
    const net: NetworkSpec = {
      input: [1, 8, 8],
      layers: [
        { kind: "maxout-dense", units: 1, pieces: 1, keepProb: 1, testScale: 1, maxNorm: 100, lrScale: 1 },
        { kind: "softmax", classes: 2, keepProb: 1, testScale: 1, maxNorm: 100, lrScale: 1 },
      ],
    };
    const layer = new Network(mxConfig(net, PRECISION_PRESETS.mxfp4 as PrecisionSpec), kernels, 1)
      .layers[0] as MaxoutDense;
    const x = new Float32Array(64).fill(0.5),
      w = new Float32Array(64).fill(1);
    x[3] = 6; // block 0's maximum: scale 2^(2 − 2) = 1; 0.5 stays 0.5 (E2M1's smallest subnormal)
    x.fill(0.25, 32); // block 1's maximum 0.25: scale 2^(−2 − 2), 0.25 / 2^−4 = 4 is exact
    const z = (xs: Float32Array, ws: Float32Array): number => {
      layer.params.w.set(ws);
      layer.params.b.fill(0);
      return layer.forward(xs, 1)[0]!;
    };
    const z0 = z(x, w);
    expect(z0).toBe(6 + 31 * 0.5 + 32 * 0.25);
    // the same permutation of block 0's x and w: same z
    const perm = (a: Float32Array): Float32Array => {
      const b = a.slice();
      b.set(a.slice(0, 32).reverse(), 0);
      return b;
    };
    const wp = w.slice();
    wp[5] = 2; // a weight that moves with its input
    expect(z(perm(x), perm(wp))).toBe(z(x, wp));
    // the 6 swapped into block 1: block 0's maximum is 0.5 (scale 2^−3, all exact), block 1's scale becomes 1, and
    // there each 0.25 / 1 is a tie between E2M1's 0 and 0.5, to the even 0: flushed
    const moved = x.slice();
    moved[3] = 0.25;
    moved[40] = 6;
    expect(z(moved, w)).toBe(0.25 + 31 * 0.5 + 6);
  });
});

describe("block-scaled settings", () => {
  for (const name of ["mxfp8", "mxfp6", "mxfp4", "mxint8"] as const)
    it(`${name}: trains the toy network, finite, same seed same bits, telemetry of y, w and dEdz`, () => {
      const config = mxConfig(denseNet, PRECISION_PRESETS[name] as PrecisionSpec);
      const run = () => {
        const out = new MemoryOutput();
        const r = train(config, toySplits(denseNet.input), out, { kernels });
        return { r, out };
      };
      const a = run(),
        b = run();
      expect(Number.isFinite(a.r.bestTestError)).toBe(true);
      const numbers = (h: typeof a.out.history) =>
        h.map(({ epoch, loss, trainError, validError, testError }) => ({
          epoch,
          loss,
          trainError,
          validError,
          testError,
        }));
      expect(numbers(a.out.history)).toEqual(numbers(b.out.history));
      for (const [i, l] of a.r.network.layers.entries()) same(l.params.w, b.r.network.layers[i]!.params.w);
      // telemetry (every 10,000 examples in a run: read here after two steps)
      const net = new Network(config, kernels, 20);
      net.init();
      const d = toyData(20, [1, 4, 4], 4, 1);
      for (let i = 0; i < 2; i++) net.trainStep(d.images, Int32Array.from(d.labels), 20, 0.05, 0.5);
      const rows = net.takeRecords();
      expect(rows.map((r) => `${r.layer}${r.group}`).sort()).toEqual(
        [0, 1, 2].flatMap((l) => ["dEdz", "w", "y"].map((g) => `${l}${g}`)).sort(),
      );
      for (const r of rows) {
        expect(r.integerBits).toBeUndefined();
        expect(r.overflowRate).toBeGreaterThanOrEqual(0);
        expect(r.flushRate).toBeGreaterThanOrEqual(0);
        expect(r.amax).toBeGreaterThan(0);
      }
    });

  it("mxint at the paper's widths: the element has the propagation width (MXINT8's layout)", () => {
    const p = { ...(PRECISION_PRESETS.mxint8 as PrecisionSpec), propagationBits: 12 };
    const rule = new Network(mxConfig(denseNet, p), kernels, 20).layers[0]!.precision.rule("w");
    expect(rule.mx?.name).toBe("mxint12");
    expect(rule.mx?.element).toMatchObject({ kind: "fixed", bits: 12, integerBits: 1 });
    expect(rule.update?.name).toBe("bfloat16");
  });

  it("bad settings: one line naming the field", () => {
    const base = PRECISION_PRESETS.mxfp8 as PrecisionSpec;
    const bad = (p: Partial<PrecisionSpec>) => () => resolveConfig("pi-mnist", { ...base, ...p });
    expect(bad({ scaling: { kind: "overflow-rate", maxRate: 1e-4, everyBatches: 100 } })).toThrow(
      /precision.scaling.kind: .*"block-scaled" with format "mxfp8e4m3"/,
    );
    expect(bad({ scaling: { kind: "block-scaled", block: 0 } })).toThrow(/precision.scaling.block: .*\[1, 4096\]/);
    expect(bad({ propagationBits: 10 })).toThrow(/precision.propagationBits: .*8 \(the element width of mxfp8e4m3\)/);
    expect(bad({ integerBits: 3 })).toThrow(ConfigError);
    expect(bad({ updateBits: 32 })).toThrow(/precision.updateBits: .*16 \(the width of bfloat16/);
    expect(bad({ format: "mxint", propagationBits: 20 })).toThrow(/precision.propagationBits: .*\[2, 16\]/);
    expect(
      bad({ format: "dynamic-fixed", propagationBits: 10, updateBits: 12, updateFormat: undefined, integerBits: 5 }),
    ).toThrow(/precision.scaling.kind: .*not "block-scaled" with format "dynamic-fixed"/);
  });
});
