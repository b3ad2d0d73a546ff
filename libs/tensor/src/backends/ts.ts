/**
 * The `ts` backend: the reference implementation of every kernel in plain TypeScript, the living
 * definition of kernels.ts. Readable first (direct loops, no im2col), always available; the native
 * backend is tested against it.
 */
import type { MxQuantizeStats, QuantizeStats } from "@lowprec/formats";
import { emptyMxStats, quantize, quantizeMx, randomBits } from "../formats-api.js";
import { type FlatMxPass, quantizeMxMatrix } from "../mx-matrix.js";
import type {
  AddArgs,
  ApplyMaskArgs,
  AxpbyArgs,
  Backend,
  BackendInfo,
  BiasAddArgs,
  BiasGradArgs,
  ColumnNormsArgs,
  Conv2dBackwardDataArgs,
  Conv2dBackwardFilterArgs,
  Conv2dForwardArgs,
  DropoutMaskArgs,
  GemmArgs,
  MaxoutBackwardArgs,
  MaxoutForwardArgs,
  MaxPoolBackwardArgs,
  MaxPoolForwardArgs,
  QuantizeArgs,
  QuantizeMxArgs,
  QuantizeSpec,
  ScaleArgs,
  ScaleColumnsArgs,
  SoftmaxCrossEntropyBackwardArgs,
  SoftmaxCrossEntropyForwardArgs,
  SoftmaxCrossEntropyResult,
  BatchedMatmulArgs,
  SoftmaxRowsArgs,
  SoftmaxRowsBackwardArgs,
  SwapAxesArgs,
  LayerNormArgs,
  LayerNormBackwardArgs,
  GeluArgs,
  GeluBackwardArgs,
} from "../kernels.js";
import * as v from "../validate.js";
import { ShapeError } from "../errors.js";
import { tanhBasic } from "../tanh.js";

/** Rounds y in place with @lowprec/formats (the fused step of a producing kernel). */
function quantizeInPlace(y: Float32Array, q: QuantizeSpec | undefined): QuantizeStats | undefined {
  if (q === undefined) return undefined;
  return quantize(y, q.format, { rounding: q.rounding, integerBits: q.integerBits, rng: q.rng, stats: q.stats }).stats;
}

function gemm(a: GemmArgs): QuantizeStats | undefined {
  v.checkGemm(a);
  const { m, n, k, c } = a;
  const A = a.a,
    B = a.b,
    alpha = a.alpha ?? 1,
    beta = a.beta ?? 0;
  // op(A)[i, p] and op(B)[p, j] as strides into the stored arrays
  const ai = a.transA ? 1 : k,
    ap = a.transA ? m : 1;
  const bp = a.transB ? 1 : n,
    bj = a.transB ? k : 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += A[i * ai + p * ap]! * B[p * bp + j * bj]!;
      // NOTE: beta = 0 overwrites (old NaNs in C do not propagate), as BLAS does.
      c[i * n + j] = beta === 0 ? alpha * sum : alpha * sum + beta * c[i * n + j]!;
    }
  }
  return quantizeInPlace(c, a.quantize);
}

function conv2dForward(a: Conv2dForwardArgs): QuantizeStats | undefined {
  const { outH, outW } = v.checkConv("conv2dForward", a, a.x, "x", a.w, "w", a.y, "y", a.quantize);
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelH: KH, kernelW: KW } = a;
  const { x, w, y } = a;
  for (let n = 0; n < N; n++)
    for (let f = 0; f < F; f++)
      for (let oh = 0; oh < outH; oh++)
        for (let ow = 0; ow < outW; ow++) {
          let sum = 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * a.strideH - a.padH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * a.strideW - a.padW + kw;
                if (iw < 0 || iw >= W) continue;
                sum += x[((n * C + c) * H + ih) * W + iw]! * w[((f * C + c) * KH + kh) * KW + kw]!;
              }
            }
          y[((n * F + f) * outH + oh) * outW + ow] = sum;
        }
  return quantizeInPlace(y, a.quantize);
}

function conv2dBackwardData(a: Conv2dBackwardDataArgs): QuantizeStats | undefined {
  const { outH, outW } = v.checkConv("conv2dBackwardData", a, a.dx, "dx", a.w, "w", a.dy, "dy", a.quantize);
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelH: KH, kernelW: KW } = a;
  const { dy, w, dx } = a;
  const acc = new Float64Array(C * H * W);
  for (let n = 0; n < N; n++) {
    acc.fill(0);
    for (let f = 0; f < F; f++)
      for (let oh = 0; oh < outH; oh++)
        for (let ow = 0; ow < outW; ow++) {
          const g = dy[((n * F + f) * outH + oh) * outW + ow]!;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * a.strideH - a.padH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * a.strideW - a.padW + kw;
                if (iw < 0 || iw >= W) continue;
                acc[(c * H + ih) * W + iw] += g * w[((f * C + c) * KH + kh) * KW + kw]!;
              }
            }
        }
    dx.set(acc, n * C * H * W);
  }
  return quantizeInPlace(dx, a.quantize);
}

function conv2dBackwardFilter(a: Conv2dBackwardFilterArgs): QuantizeStats | undefined {
  const { outH, outW } = v.checkConv("conv2dBackwardFilter", a, a.x, "x", a.dw, "dw", a.dy, "dy", a.quantize);
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelH: KH, kernelW: KW } = a;
  const { x, dy, dw } = a;
  const beta = a.beta ?? 0;
  for (let f = 0; f < F; f++)
    for (let c = 0; c < C; c++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) {
          let sum = 0;
          for (let n = 0; n < N; n++)
            for (let oh = 0; oh < outH; oh++) {
              const ih = oh * a.strideH - a.padH + kh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < outW; ow++) {
                const iw = ow * a.strideW - a.padW + kw;
                if (iw < 0 || iw >= W) continue;
                sum += x[((n * C + c) * H + ih) * W + iw]! * dy[((n * F + f) * outH + oh) * outW + ow]!;
              }
            }
          const i = ((f * C + c) * KH + kh) * KW + kw;
          dw[i] = beta === 0 ? sum : sum + beta * dw[i]!;
        }
  return quantizeInPlace(dw, a.quantize);
}

function biasAdd(a: BiasAddArgs): QuantizeStats | undefined {
  v.checkBias("biasAdd", a, a.x, "x", a.bias, "bias", a.y, "y");
  const { batch, channels, spatial, x, bias, y } = a;
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++) {
      const b = bias[c]!,
        o = (n * channels + c) * spatial;
      for (let s = 0; s < spatial; s++) y[o + s] = x[o + s]! + b;
    }
  return quantizeInPlace(y, a.quantize);
}

function biasGrad(a: BiasGradArgs): QuantizeStats | undefined {
  v.checkBias("biasGrad", a, a.dy, "dy", a.db, "db", undefined, "");
  const { batch, channels, spatial, dy, db } = a;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let n = 0; n < batch; n++) {
      const o = (n * channels + c) * spatial;
      for (let s = 0; s < spatial; s++) sum += dy[o + s]!;
    }
    db[c] = sum;
  }
  return quantizeInPlace(db, a.quantize);
}

function maxoutForward(a: MaxoutForwardArgs): QuantizeStats | undefined {
  v.checkMaxout(
    "maxoutForward",
    a,
    a.x,
    [
      ["y", a.y, Float32Array],
      ["argmax", a.argmax, Int32Array],
    ],
    a.quantize,
  );
  const { batch, units, pieces, spatial, x, y, argmax } = a;
  for (let n = 0; n < batch; n++)
    for (let u = 0; u < units; u++)
      for (let s = 0; s < spatial; s++) {
        const base = (n * units * pieces + u * pieces) * spatial + s;
        let best = x[base]!,
          arg = 0;
        for (let j = 1; j < pieces && !Number.isNaN(best); j++) {
          const xj = x[base + j * spatial]!;
          // NOTE: a NaN piece wins (and stops the scan), so NaN propagates as in Theano's max.
          if (xj > best || Number.isNaN(xj)) {
            best = xj;
            arg = j;
          }
        }
        const o = (n * units + u) * spatial + s;
        y[o] = best;
        argmax[o] = arg;
      }
  return quantizeInPlace(y, a.quantize);
}

function maxoutBackward(a: MaxoutBackwardArgs): QuantizeStats | undefined {
  v.checkMaxout(
    "maxoutBackward",
    a,
    a.x,
    [
      ["argmax", a.argmax, Int32Array],
      ["dy", a.dy, Float32Array],
    ],
    a.quantize,
  );
  v.checkArray("maxoutBackward", "dx", a.dx, Float32Array, a.x.length, "length of x");
  const { batch, units, pieces, spatial, x, argmax, dy, dx } = a;
  const all = (a.ties ?? "all") === "all";
  for (let n = 0; n < batch; n++)
    for (let u = 0; u < units; u++)
      for (let s = 0; s < spatial; s++) {
        const o = (n * units + u) * spatial + s;
        const base = (n * units * pieces + u * pieces) * spatial + s;
        const arg = argmax[o]!;
        if (arg < 0 || arg >= pieces)
          throw new ShapeError("maxoutBackward", `argmax[${o}] = ${arg} is outside [0, ${pieces})`);
        const max = x[base + arg * spatial]!,
          g = dy[o]!;
        for (let j = 0; j < pieces; j++) {
          const hit = all ? x[base + j * spatial] === max : j === arg;
          dx[base + j * spatial] = hit ? g : 0;
        }
      }
  return quantizeInPlace(dx, a.quantize);
}

function maxPoolForward(a: MaxPoolForwardArgs): QuantizeStats | undefined {
  const { outH, outW } = v.checkPool(
    "maxPoolForward",
    a,
    a.x,
    [
      ["y", a.y, Float32Array],
      ["argmax", a.argmax, Int32Array],
    ],
    a.quantize,
  );
  const { batch, channels, height: H, width: W, size, stride, x, y, argmax } = a;
  for (let p = 0; p < batch * channels; p++) {
    const xo = p * H * W,
      yo = p * outH * outW;
    for (let i = 0; i < outH; i++)
      for (let j = 0; j < outW; j++) {
        const h0 = i * stride,
          h1 = Math.min(h0 + size, H),
          w0 = j * stride,
          w1 = Math.min(w0 + size, W);
        let best = x[xo + h0 * W + w0]!,
          arg = h0 * W + w0;
        for (let h = h0; h < h1 && !Number.isNaN(best); h++)
          for (let w = w0; w < w1; w++) {
            const xv = x[xo + h * W + w]!;
            if (xv > best || Number.isNaN(xv)) {
              best = xv;
              arg = h * W + w;
              if (Number.isNaN(xv)) break;
            }
          }
        y[yo + i * outW + j] = best;
        argmax[yo + i * outW + j] = arg;
      }
  }
  return quantizeInPlace(y, a.quantize);
}

function maxPoolBackward(a: MaxPoolBackwardArgs): QuantizeStats | undefined {
  const K = "maxPoolBackward";
  const { outH, outW } = v.checkPool(
    K,
    a,
    a.x,
    [
      ["argmax", a.argmax, Int32Array],
      ["dy", a.dy, Float32Array],
    ],
    a.quantize,
  );
  v.checkArray(K, "dx", a.dx, Float32Array, a.x.length, "length of x");
  const { batch, channels, height: H, width: W, size, stride, x, argmax, dy, dx } = a;
  const all = (a.ties ?? "all") === "all";
  dx.fill(0);
  for (let p = 0; p < batch * channels; p++) {
    const xo = p * H * W,
      yo = p * outH * outW;
    for (let i = 0; i < outH; i++)
      for (let j = 0; j < outW; j++) {
        const arg = argmax[yo + i * outW + j]!,
          g = dy[yo + i * outW + j]!;
        const h0 = i * stride,
          h1 = Math.min(h0 + size, H),
          w0 = j * stride,
          w1 = Math.min(w0 + size, W);
        const ah = Math.floor(arg / W),
          aw = arg - ah * W;
        if (ah < h0 || ah >= h1 || aw < w0 || aw >= w1)
          throw new ShapeError(K, `argmax[${yo + i * outW + j}] = ${arg} is outside its window`);
        if (!all) {
          dx[xo + arg] += g;
          continue;
        }
        const max = x[xo + arg]!;
        for (let h = h0; h < h1; h++)
          for (let w = w0; w < w1; w++) if (x[xo + h * W + w] === max) dx[xo + h * W + w] += g;
      }
  }
  return quantizeInPlace(dx, a.quantize);
}

function softmaxCrossEntropyForward(a: SoftmaxCrossEntropyForwardArgs): SoftmaxCrossEntropyResult {
  v.checkSoftmax(
    "softmaxCrossEntropyForward",
    a,
    [
      ["logits", a.logits],
      ["probs", a.probs],
    ],
    a.quantize,
  );
  const { batch, classes, logits, labels, probs } = a;
  let loss = 0,
    errors = 0;
  for (let n = 0; n < batch; n++) {
    const o = n * classes;
    let max = logits[o]!,
      arg = 0;
    for (let c = 1; c < classes; c++)
      if (logits[o + c]! > max) {
        max = logits[o + c]!;
        arg = c;
      }
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[o + c]! - max);
    for (let c = 0; c < classes; c++) probs[o + c] = Math.exp(logits[o + c]! - max) / sum;
    loss += Math.log(sum) + max - logits[o + labels[n]!]!;
    if (arg !== labels[n]) errors++;
  }
  return { loss, errors, stats: quantizeInPlace(probs, a.quantize) };
}

function softmaxCrossEntropyBackward(a: SoftmaxCrossEntropyBackwardArgs): QuantizeStats | undefined {
  const K = "softmaxCrossEntropyBackward";
  v.checkSoftmax(
    K,
    a,
    [
      ["probs", a.probs],
      ["dlogits", a.dlogits],
    ],
    a.quantize,
  );
  v.checkNumber(K, "scale", a.scale);
  const { batch, classes, probs, labels, dlogits, scale } = a;
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < classes; c++) {
      const i = n * classes + c;
      dlogits[i] = (probs[i]! - (c === labels[n] ? 1 : 0)) * scale;
    }
  return quantizeInPlace(dlogits, a.quantize);
}

function checkKeepProb(k: unknown): number {
  if (typeof k !== "number" || !(k >= 0 && k <= 1))
    throw new ShapeError("dropoutMask", `keepProb must be in [0, 1], got ${String(k)}`);
  return k;
}

/** Checks an rng stream; exported for the native backend. */
export function checkStream(kernel: string, rng: unknown): void {
  const r = rng as { seed?: unknown; counter?: unknown } | undefined;
  if (
    !r ||
    typeof r.seed !== "number" ||
    !Number.isInteger(r.seed) ||
    typeof r.counter !== "number" ||
    !Number.isInteger(r.counter) ||
    r.counter < 0 ||
    r.counter > Number.MAX_SAFE_INTEGER
  )
    throw new ShapeError(
      kernel,
      `rng must be { seed: integer, counter: integer in [0, 2^53) }, got ${JSON.stringify(rng)}`,
    );
}

function dropoutMask(a: DropoutMaskArgs): void {
  const keep = checkKeepProb(a.keepProb);
  checkStream("dropoutMask", a.rng);
  if (!(a.mask instanceof Uint8Array)) throw new ShapeError("dropoutMask", "mask must be a Uint8Array");
  const { mask, rng } = a;
  const threshold = keep * 4294967296;
  for (let i = 0; i < mask.length; i++) mask[i] = randomBits(rng.seed, rng.counter + i) < threshold ? 1 : 0;
  rng.counter += mask.length;
}

function applyMask(a: ApplyMaskArgs): void {
  const n = v.checkSameLength(
    "applyMask",
    [
      ["x", a.x],
      ["y", a.y],
    ],
    undefined,
  );
  v.checkArray("applyMask", "mask", a.mask, Uint8Array, n, "length of x");
  for (let i = 0; i < n; i++) a.y[i] = a.mask[i] !== 0 ? a.x[i]! : 0;
}

function columnNorms(a: ColumnNormsArgs): void {
  v.checkColumns("columnNorms", a, a.w, a.norms, "norms", undefined);
  const { rows, cols, w, norms } = a;
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) acc[j] += w[i * cols + j]! * w[i * cols + j]!;
  for (let j = 0; j < cols; j++) norms[j] = Math.sqrt(acc[j]!);
}

function scaleColumns(a: ScaleColumnsArgs): QuantizeStats | undefined {
  v.checkColumns("scaleColumns", a, a.w, a.factors, "factors", a.y);
  const { rows, cols, w, factors, y } = a;
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) y[i * cols + j] = w[i * cols + j]! * factors[j]!;
  return quantizeInPlace(y, a.quantize);
}

function axpby(a: AxpbyArgs): QuantizeStats | undefined {
  v.checkAxpby(a);
  const { alpha, x, beta, y } = a;
  for (let i = 0; i < x.length; i++) y[i] = alpha * x[i]! + beta * y[i]!;
  return quantizeInPlace(y, a.quantize);
}

function scale(a: ScaleArgs): QuantizeStats | undefined {
  v.checkNumber("scale", "alpha", a.alpha);
  v.checkSameLength(
    "scale",
    [
      ["x", a.x],
      ["y", a.y],
    ],
    a.quantize,
  );
  for (let i = 0; i < a.x.length; i++) a.y[i] = a.alpha * a.x[i]!;
  return quantizeInPlace(a.y, a.quantize);
}

function add(a: AddArgs): QuantizeStats | undefined {
  v.checkAdd(a);
  for (let i = 0; i < a.y.length; i++) a.y[i] = a.a[i]! + a.b[i]!;
  return quantizeInPlace(a.y, a.quantize);
}

function quantizeKernel(a: QuantizeArgs): QuantizeStats {
  const y = a.y ?? a.x;
  v.checkSameLength(
    "quantize",
    [
      ["x", a.x],
      ["y", y],
    ],
    a,
  );
  return quantize(a.x, a.format, {
    rounding: a.rounding,
    integerBits: a.integerBits,
    rng: a.rng,
    stats: a.stats,
    out: y,
  }).stats;
}

function quantizeMxKernel(a: QuantizeMxArgs): MxQuantizeStats {
  const { y } = v.checkQuantizeMx(a);
  const flat: FlatMxPass = (x, out, rng, scales, stats) => {
    const r = quantizeMx(x, a.format, { rounding: a.rounding, rng, out });
    if (scales !== undefined) scales.set(r.scales);
    Object.assign(stats, r.stats);
  };
  if (a.matrix !== undefined) return quantizeMxMatrix(a, y, flat);
  const stats = a.stats ?? emptyMxStats();
  flat(a.x, y, a.rng, a.scales, stats);
  return stats;
}

const INFO: BackendInfo = Object.freeze({ name: "ts", blas: false, threads: 1 });

/** The reference backend. */
// ** attention and normalisation **

function batchedMatmul(a: BatchedMatmulArgs): QuantizeStats | undefined {
  v.checkBatchedMatmul(a);
  const { batch, m, n, k, c } = a;
  const A = a.a,
    B = a.b,
    alpha = a.alpha ?? 1;
  // op(A)[i, p] and op(B)[p, j] as strides into each stored matrix, as gemm
  const ai = a.transA ? 1 : k,
    ap = a.transA ? m : 1;
  const bp = a.transB ? 1 : n,
    bj = a.transB ? k : 1;
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k,
      bo = t * k * n,
      co = t * m * n;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += A[ao + i * ai + p * ap]! * B[bo + p * bp + j * bj]!;
        c[co + i * n + j] = alpha * sum;
      }
  }
  return quantizeInPlace(c, a.quantize);
}

function softmaxRows(a: SoftmaxRowsArgs): QuantizeStats | undefined {
  const [rows, cols] = v.checkRows(
    "softmaxRows",
    a,
    [
      ["x", a.x],
      ["y", a.y],
    ],
    [],
    [],
    a.quantize,
  );
  const { x, y } = a;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < cols; c++) m = Math.max(m, x[o + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[o + c]! - m);
    // NOTE: x may be y: each value is read before it is written
    for (let c = 0; c < cols; c++) y[o + c] = Math.exp(x[o + c]! - m) / sum;
  }
  return quantizeInPlace(y, a.quantize);
}

function softmaxRowsBackward(a: SoftmaxRowsBackwardArgs): QuantizeStats | undefined {
  const [rows, cols] = v.checkSoftmaxRowsBackward(a);
  const { y, dy, dx } = a;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let dot = 0;
    for (let c = 0; c < cols; c++) dot += dy[o + c]! * y[o + c]!;
    for (let c = 0; c < cols; c++) dx[o + c] = y[o + c]! * (dy[o + c]! - dot);
  }
  return quantizeInPlace(dx, a.quantize);
}

function layerNorm(a: LayerNormArgs): QuantizeStats | undefined {
  const [rows, cols, eps] = v.checkLayerNorm(a);
  const { x, gamma, beta, y, mean, rstd } = a;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[o + c]!;
    const mu = s / cols;
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += (x[o + c]! - mu) * (x[o + c]! - mu);
    const rs = 1 / Math.sqrt(ss / cols + eps);
    for (let c = 0; c < cols; c++) y[o + c] = (x[o + c]! - mu) * rs * gamma[c]! + beta[c]!;
    mean[r] = mu;
    rstd[r] = rs;
  }
  return quantizeInPlace(y, a.quantize);
}

function layerNormBackward(a: LayerNormBackwardArgs): QuantizeStats | undefined {
  const [rows, cols] = v.checkLayerNormBackward(a);
  const { x, gamma, mean, rstd, dy, dx, dgamma, dbeta } = a;
  // the parameters' gradients first: dx may be dy
  for (let c = 0; c < cols; c++) {
    let dg = 0,
      db = 0;
    for (let r = 0; r < rows; r++) {
      const i = r * cols + c;
      dg += dy[i]! * ((x[i]! - mean[r]!) * rstd[r]!);
      db += dy[i]!;
    }
    dgamma[c] = dg;
    dbeta[c] = db;
  }
  for (let r = 0; r < rows; r++) {
    const o = r * cols,
      mu = mean[r]!,
      rs = rstd[r]!;
    let sg = 0,
      sgx = 0;
    for (let c = 0; c < cols; c++) {
      const g = dy[o + c]! * gamma[c]!;
      sg += g;
      sgx += g * ((x[o + c]! - mu) * rs);
    }
    const mg = sg / cols,
      mgx = sgx / cols;
    for (let c = 0; c < cols; c++) {
      const g = dy[o + c]! * gamma[c]!;
      dx[o + c] = rs * (g - mg - (x[o + c]! - mu) * rs * mgx);
    }
  }
  return quantizeInPlace(dx, a.quantize);
}

/** √(2/π) and the cubic coefficient of GELU's tanh form. */
const GELU_C = Math.sqrt(2 / Math.PI),
  GELU_A = 0.044715;

function gelu(a: GeluArgs): QuantizeStats | undefined {
  const n = v.checkSameLength(
    "gelu",
    [
      ["x", a.x],
      ["y", a.y],
    ],
    a.quantize,
  );
  const { x, y } = a;
  for (let i = 0; i < n; i++) {
    const u = x[i]!;
    y[i] = 0.5 * u * (1 + tanhBasic(GELU_C * (u + GELU_A * u * u * u)));
  }
  return quantizeInPlace(y, a.quantize);
}

function geluBackward(a: GeluBackwardArgs): QuantizeStats | undefined {
  const n = v.checkSameLength(
    "geluBackward",
    [
      ["x", a.x],
      ["dy", a.dy],
      ["dx", a.dx],
    ],
    a.quantize,
  );
  const { x, dy, dx } = a;
  for (let i = 0; i < n; i++) {
    const u = x[i]!;
    const t = tanhBasic(GELU_C * (u + GELU_A * u * u * u));
    // d/du [u/2 · (1 + t)] = (1 + t)/2 + u/2 · (1 − t²) · √(2/π) · (1 + 3·0.044715·u²)
    const d = 0.5 * (1 + t) + 0.5 * u * (1 - t * t) * GELU_C * (1 + 3 * GELU_A * u * u);
    dx[i] = dy[i]! * d;
  }
  return quantizeInPlace(dx, a.quantize);
}

function swapAxes(a: SwapAxesArgs): void {
  const [outer, rows, cols, inner] = v.checkSwapAxes(a);
  const { x, y } = a;
  // NOTE: set() of a Float32Array copies the bytes: NaN payloads (signalling ones too) arrive unchanged
  for (let o = 0; o < outer; o++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        const from = ((o * rows + r) * cols + c) * inner,
          to = ((o * cols + c) * rows + r) * inner;
        y.set(x.subarray(from, from + inner), to);
      }
}

export const TsBackend: Backend = Object.freeze({
  info: INFO,
  gemm,
  conv2dForward,
  conv2dBackwardData,
  conv2dBackwardFilter,
  biasAdd,
  biasGrad,
  maxoutForward,
  maxoutBackward,
  maxPoolForward,
  maxPoolBackward,
  softmaxCrossEntropyForward,
  softmaxCrossEntropyBackward,
  dropoutMask,
  applyMask,
  columnNorms,
  scaleColumns,
  axpby,
  scale,
  add,
  quantize: quantizeKernel,
  quantizeMx: quantizeMxKernel,
  batchedMatmul,
  softmaxRows,
  softmaxRowsBackward,
  layerNorm,
  layerNormBackward,
  gelu,
  geluBackward,
  swapAxes,
});
