/**
 * `quantizeMx`: round a whole array to an MX format in one pass, block by block, with per-block scales and counts.
 * It mirrors the definition in mx.ts (`mxScaleCode`, then `roundMx` for each value) and is tested equal to it on
 * every case. Per block: one pass finds the maximum magnitude (and any NaN or ±Infinity), then the block is divided
 * by its scale into a scratch buffer (exact: a power of two), rounded there by `quantize`'s own element loops, and
 * multiplied back. Nothing is allocated per element; the per-block arrays and one scratch block per call.
 */
import { E8M0_NAN, checkMx, encodeE8M0, mxScaleExponent } from "./mx.js";
import { pow2 } from "./pow2.js";
import { MODE_CODES, checkStream, emptyStats, quantizeFixed, quantizeFloat } from "./quantize.js";
import { formatMax } from "./round.js";
import type { FloatArray, MxFormat, MxQuantizeOptions, MxQuantizeResult, MxQuantizeStats } from "./types.js";

/** A zeroed MX statistics record. */
export function emptyMxStats(): MxQuantizeStats {
  return { count: 0, blocks: 0, nanBlocks: 0, nan: 0, overflow: 0, flushed: 0, zeros: 0, amax: 0 };
}

/**
 * Quantizes `src` to an MX format over consecutive blocks of `format.block` values (the last may be short), in
 * place or into `options.out`.
 * @returns the values, per block the E8M0 scale code and the overflow and flush counts, and their totals
 * @example
 * const x = Float32Array.of(0.1, -0.3, 7, 0, NaN, 1);
 * quantizeMx(x, mx(MX_ELEMENTS.fp4e2m1, { block: 3 }))
 * // out      [0, -0.5, 6, NaN, NaN, NaN] first block: max 7, scale 2^(2 − 2) = 1; 7 saturates to 6
 * // scales   [127, 255]                  the second block holds a NaN: its scale is NaN
 * // overflow [1, 0], flushed [1, 0]      0.1 flushed (below 0.25, half of E2M1's smallest 0.5)
 */
export function quantizeMx(src: FloatArray, format: MxFormat, options: MxQuantizeOptions = {}): MxQuantizeResult {
  if (!(src instanceof Float32Array || src instanceof Float64Array))
    throw new TypeError(
      `quantizeMx: src must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(src)}`,
    );
  checkMx(format);
  const out = options.out ?? src;
  if (!(out instanceof Float32Array || out instanceof Float64Array))
    throw new TypeError(
      `quantizeMx: out must be a Float32Array or Float64Array, got ${Object.prototype.toString.call(out)}`,
    );
  if (out.length !== src.length)
    throw new RangeError(`quantizeMx: out has length ${out.length}, src has length ${src.length}`);
  const mode = options.rounding ?? "nearest-even";
  const modeCode = MODE_CODES[mode];
  if (modeCode === undefined)
    throw new RangeError(
      `quantizeMx: invalid rounding "${String(mode)}" (expected one of ${Object.keys(MODE_CODES).join(", ")})`,
    );
  const rng = options.rng;
  if (mode === "stochastic") checkStream(rng, "quantizeMx");
  const n = src.length,
    k = format.block,
    blocks = Math.ceil(n / k);
  const scales = new Uint8Array(blocks),
    overflow = new Uint32Array(blocks),
    flushed = new Uint32Array(blocks);
  const stats = emptyMxStats();
  stats.count = n;
  stats.blocks = blocks;
  const element = format.element,
    max = formatMax(element);
  const scratch = new Float64Array(Math.min(k, n)),
    elementStats = emptyStats();
  // NOTE: block b's draws start at counter + b·k, as element i of the call draws at counter + i.
  const stream = rng === undefined ? undefined : { seed: rng.seed, counter: rng.counter };
  for (let b = 0; b < blocks; b++) {
    const start = b * k,
      end = Math.min(n, start + k),
      len = end - start;
    let bmax = 0,
      nan = 0,
      zeros = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(src[i]!);
      if (a > bmax) bmax = a;
      else if (a === 0) zeros++;
      else if (Number.isNaN(a)) nan++;
    }
    stats.nan += nan;
    stats.zeros += zeros;
    const s = nan > 0 ? NaN : mxScaleExponent(bmax, format);
    if (bmax !== Infinity) {
      if (bmax > stats.amax) stats.amax = bmax;
    } else
      for (let i = start; i < end; i++) {
        const a = Math.abs(src[i]!);
        if (a > stats.amax && a !== Infinity) stats.amax = a;
      }
    scales[b] = encodeE8M0(s);
    if (scales[b] === E8M0_NAN) {
      stats.nanBlocks++;
      out.fill(NaN, start, end);
      continue;
    }
    const inv = pow2(-s),
      X = pow2(s);
    let over = 0;
    for (let i = start; i < end; i++) {
      const y = src[i]! * inv;
      scratch[i - start] = y;
      if (Math.abs(y) > max) over++;
    }
    const view = len === scratch.length ? scratch : scratch.subarray(0, len);
    if (stream !== undefined) stream.counter = rng!.counter + start;
    if (element.kind === "float") quantizeFloat(view, view, element, mode, modeCode, stream, elementStats);
    else
      quantizeFixed(view, view, element.bits, element.bits - 1 - element.integerBits, modeCode, stream, elementStats);
    let fl = 0;
    for (let i = start; i < end; i++) {
      const q = view[i - start]!;
      // NOTE: counted on the element, not on y: a float64 input below 2^-1074 · X may already be 0 as y.
      if (q === 0 && src[i] !== 0) fl++;
      out[i] = q * X;
    }
    overflow[b] = over;
    flushed[b] = fl;
    stats.overflow += over;
    stats.flushed += fl;
  }
  if (mode === "stochastic") rng!.counter += n;
  return { out, scales, overflow, flushed, stats };
}
