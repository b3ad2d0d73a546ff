/**
 * `quantizeMx`: round a whole array to an MX format in one pass, block by block, with per-block scales and counts.
 * It mirrors the definition in mx.ts (`mxScaleCode`, then `roundMx` for each value) and is tested equal to it on
 * every case. Per block: one pass finds the maximum magnitude (and any NaN or ±Infinity), then the block is divided
 * by its scale into a scratch buffer (exact: a power of two), rounded there by `quantize`'s own element loops, and
 * multiplied back, a chunk of whole blocks at a time. Nothing is allocated per element: the per-block arrays and one
 * scratch chunk per call.
 *
 * The scratch is a Float32Array when the input is one, so that `quantize`'s fast float32 loops (bit patterns, no
 * log2) round it. x / X is exact there unless it falls below float32's normals with more bits than its subnormals
 * hold; a chunk where that happens (checked value by value) is divided again into a Float64Array. Either way the
 * elements are rounded from the exact quotient, as the definition rounds them.
 */
import { E8M0_BIAS, E8M0_EMAX, E8M0_EMIN, E8M0_NAN, ZERO_BLOCK_EXPONENT, checkMx, mxElementEmax } from "./mx.js";
import { exponentOf, pow2 } from "./pow2.js";
import { checkArrays, emptyStats, quantizeFixed, quantizeFloat, quantizeFloat32Even } from "./quantize.js";
import { formatMax } from "./round.js";
import type { FloatArray, MxFormat, MxQuantizeOptions, MxQuantizeResult, MxQuantizeStats } from "./types.js";

/** Elements per call of the element loops: whole blocks up to this many (one block if larger). */
const CHUNK = 4096;

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
  const { out, mode, modeCode, rng } = checkArrays("quantizeMx", src, options, () => checkMx(format));
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
    max = formatMax(element),
    emax = mxElementEmax(element);
  // NOTE: the element loops run over chunks of whole blocks (the last may be short), each block scaled by its own X:
  // one call per chunk, not per block, for blocks of 32 the calls would cost more than the rounding.
  const chunk = k * Math.max(1, Math.floor(CHUNK / k));
  const size = Math.min(chunk, n);
  const narrow = src instanceof Float32Array ? new Float32Array(size) : undefined;
  let wide = narrow === undefined ? new Float64Array(size) : undefined;
  const elementStats = emptyStats();
  // NOTE: a chunk's draws start at counter + its start, as element i of the call draws at counter + i.
  const stream = rng === undefined ? undefined : { seed: rng.seed, counter: rng.counter };
  const exponents = new Float64Array(Math.ceil(Math.min(chunk, n) / k));
  for (let c = 0; c < n; c += chunk) {
    const cend = Math.min(n, c + chunk);
    const scratch = narrow ?? wide!;
    let exact = true;
    // 1. each block's scale (OCP MX 1.0 §6.3, the choices of mx.ts), its values divided by it into the scratch
    for (let start = c, j = 0; start < cend; start += k, j++) {
      const b = start / k,
        end = Math.min(cend, start + k);
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
      if (bmax !== Infinity) {
        if (bmax > stats.amax) stats.amax = bmax;
      } else
        for (let i = start; i < end; i++) {
          const a = Math.abs(src[i]!);
          if (a > stats.amax && a !== Infinity) stats.amax = a;
        }
      let e = nan > 0 || bmax === Infinity ? NaN : (bmax === 0 ? ZERO_BLOCK_EXPONENT : exponentOf(bmax)) - emax;
      if (e > E8M0_EMAX) e = NaN;
      else if (e < E8M0_EMIN) e = E8M0_EMIN;
      exponents[j] = e;
      if (Number.isNaN(e)) {
        scales[b] = E8M0_NAN;
        stats.nanBlocks++;
        scratch.fill(0, start - c, end - c); // rounded for nothing: the draws keep their positions
        continue;
      }
      scales[b] = e + E8M0_BIAS;
      const inv = pow2(-e);
      let over = 0;
      for (let i = start; i < end; i++) {
        const y = src[i]! * inv;
        scratch[i - c] = y;
        if (scratch[i - c] !== y) exact = false;
        if (Math.abs(y) > max) over++;
      }
      overflow[b] = over;
      stats.overflow += over;
    }
    // NOTE: a quotient float32 cannot hold (a tiny one, below its normals): the chunk again, in float64.
    let full: FloatArray = scratch;
    if (!exact) {
      wide ??= new Float64Array(size);
      for (let start = c, j = 0; start < cend; start += k, j++) {
        const end = Math.min(cend, start + k),
          e = exponents[j]!;
        if (Number.isNaN(e)) wide.fill(0, start - c, end - c);
        else for (let i = start, inv = pow2(-e); i < end; i++) wide[i - c] = src[i]! * inv;
      }
      full = wide;
    }
    // 2. the elements, rounded by quantize's own loops
    const view = cend - c === full.length ? full : full.subarray(0, cend - c);
    if (stream !== undefined) stream.counter = rng!.counter + c;
    if (element.kind === "float") {
      if (modeCode === 0 && view instanceof Float32Array) quantizeFloat32Even(view, view, element, elementStats);
      else quantizeFloat(view, view, element, mode, modeCode, stream, elementStats);
    } else
      quantizeFixed(view, view, element.bits, element.bits - 1 - element.integerBits, modeCode, stream, elementStats);
    // 3. back to X × element, counting the flushed values
    for (let start = c, j = 0; start < cend; start += k, j++) {
      const b = start / k,
        end = Math.min(cend, start + k),
        e = exponents[j]!;
      if (Number.isNaN(e)) {
        out.fill(NaN, start, end);
        continue;
      }
      const X = pow2(e);
      let fl = 0;
      for (let i = start; i < end; i++) {
        const q = view[i - c]!;
        // NOTE: counted on the element, not on y: a float64 input below 2^-1074 · X may already be 0 as y.
        if (q === 0 && src[i] !== 0) fl++;
        out[i] = q * X;
      }
      flushed[b] = fl;
      stats.flushed += fl;
    }
  }
  if (mode === "stochastic") rng!.counter += n;
  return { out, scales, overflow, flushed, stats };
}
