/**
 * OCP Microscaling (MX) block formats: the readable definitions. Open Compute Project, "OCP Microscaling Formats
 * (MX) Specification", version 1.0 (2023), cited below as OCP MX 1.0 with its section numbers.
 *
 * An MX block is k consecutive values that share one scale X = 2^s (OCP MX 1.0 §5.2: k = 32 in its formats).
 * X is stored as E8M0 (OCP MX 1.0 §5.4.1): 8 bits of biased exponent, no sign, no mantissa, code c = s + 127 for
 * s in [−127, 127] and code 255 for NaN. Each value is stored as one element P of a small type, and the block
 * stands for X × P. A NaN scale makes every value of its block NaN, whatever its elements.
 *
 * Conversion (OCP MX 1.0 §6.3): s = floor(log2(max |x|)) − emax_elem, where emax_elem is the exponent of the
 * largest power of two the element type holds (E4M3 8, E5M2 15, E3M2 4, E2M3 2, E2M1 2, INT8 0); then P = x / X
 * rounded to the element type, values beyond the element's largest magnitude clamped to it. So the block's largest
 * value lands in the element's top binade, and may exceed the element's largest value there (E2M1 holds 6 in
 * [4, 8), so a block maximum of 7·X saturates to 6·X). Dividing by X is exact (a power of two): a value rounds once.
 *
 * Where the specification leaves the choice to the implementation, we do as Microsoft's reference emulation
 * (microsoft/microxcaling, `mx/mx_ops.py`) does:
 * - E8M0's range. s below −127 is clamped to −127 (the block's values are then rounded on the element's grid
 *   scaled by 2^−127: tiny ones flush to zero); s above 127 gives a NaN scale. Float32 input cannot reach above
 *   (its largest exponent is 127 and emax_elem ≥ 0); a Float64Array can.
 * - NaN or ±Infinity in a block. The maximum is NaN or infinite, so is s: the block's scale is NaN and all its
 *   values decode to NaN (an E5M2 element could hold ±Infinity, but the scale it would need is not finite).
 * - An all-zero block has no log2 of its maximum (OCP MX 1.0 §6.3 leaves it open). A zero maximum counts as
 *   float32's smallest normal, 2^−126: s = max(−126 − emax_elem, −127), E8M0 code 0 (2^−127) for the float elements
 *   and code 1 (2^−126) for INT8. Its values are zeros whatever the scale (a float element keeps the sign of −0).
 * - INT8 (OCP MX 1.0 §5.3.4) is two's complement with an implicit scale 2^−6; its code 0x80 (−2) may be left
 *   unused so that the range is symmetric. The conversion clamps to ±127/64 as microxcaling does and never writes
 *   0x80; `decodeMx` reads 0x80 as −2.
 * The rounding of P is the element type's rounding (round.ts), by any RoundingMode: nearest-even is the
 * specification's (OCP MX 1.0 §6.3); stochastic rounding draws as `quantize` does, element i of a call from
 * `counter + i`.
 *
 * `mxScaleCode` (a block's scale) and `roundMx` (one value given its block's scale) are the definition;
 * `quantizeMx` (quantize-mx.ts) is the array pass, tested equal to them on every case.
 */
import { decode, describe, encode, type FormatDescription } from "./encode.js";
import { checkFormat, checkInteger, fixed, float, fp8e4m3, totalBits } from "./formats.js";
import { exponentOf, pow2 } from "./pow2.js";
import { randomBits } from "./random.js";
import { formatMax, roundScalar } from "./round.js";
import { checkStream } from "./quantize.js";
import type { FixedFormat, FloatArray, FloatFormat, MxCodes, MxFormat, RandomStream, RoundingMode } from "./types.js";

/** E8M0's exponent bias: code c stands for 2^(c − 127) (OCP MX 1.0 §5.4.1). */
export const E8M0_BIAS = 127;
/** E8M0's one special code: NaN (there is no zero and no infinity). */
export const E8M0_NAN = 255;
/** The exponents E8M0 holds: 2^−127 (code 0) to 2^127 (code 254). */
export const E8M0_EMIN = -127;
export const E8M0_EMAX = 127;
/** Blocks may hold up to 2^20 elements (the specification's formats use 32). */
export const MX_BLOCK_LIMIT = 1 << 20;
/** Float32's smallest normal exponent: the maximum an all-zero block is taken to have (microxcaling's rule). */
export const ZERO_BLOCK_EXPONENT = -126;

/**
 * The scale a code stands for, 2^(code − 127), or NaN for the NaN code 255.
 * @example decodeE8M0(127) // returns 1
 * @example decodeE8M0(0) // returns 2 ** -127
 * @example decodeE8M0(255) // returns NaN
 */
export function decodeE8M0(code: number): number {
  checkInteger("E8M0 code", code, 0, 255);
  return code === E8M0_NAN ? NaN : pow2(code - E8M0_BIAS);
}

/**
 * The exponent s of the scale 2^s a code stands for: code − 127, or NaN for the NaN code 255.
 * @example e8m0Exponent(124) // returns -3
 */
export function e8m0Exponent(code: number): number {
  checkInteger("E8M0 code", code, 0, 255);
  return code === E8M0_NAN ? NaN : code - E8M0_BIAS;
}

/**
 * The E8M0 code of the scale 2^exponent (NaN → 255).
 * @example encodeE8M0(-3) // returns 124
 */
export function encodeE8M0(exponent: number): number {
  if (Number.isNaN(exponent)) return E8M0_NAN;
  return checkInteger("E8M0 exponent", exponent, E8M0_EMIN, E8M0_EMAX) + E8M0_BIAS;
}

/**
 * emax_elem: the exponent of the largest power of two an element type holds, floor(log2(its largest value)).
 * @example mxElementEmax(fp8e4m3) // returns 8 (448 = 1.75 · 2^8)
 * @example mxElementEmax(MX_ELEMENTS.int8) // returns 0 (127/64)
 */
export function mxElementEmax(element: FloatFormat | FixedFormat): number {
  return exponentOf(formatMax(element));
}

/**
 * An MX format: blocks of `block` elements of type `element` sharing one E8M0 scale. The element is a float
 * format that saturates (the conversion clamps, OCP MX 1.0 §6.3) or a fixed point format, of at most 8 bits.
 * @example mx(MX_ELEMENTS.fp4e2m1) // MXFP4: blocks of 32 FP4 E2M1 elements
 * @example mx(MX_ELEMENTS.int8, { block: 16, name: "mxint8-16" })
 */
export function mx(element: FloatFormat | FixedFormat, o: { block?: number; name?: string } = {}): MxFormat {
  const f = checkFormat(element);
  if (f.kind !== "float" && f.kind !== "fixed")
    throw new RangeError(`invalid mx element: expected a float or a fixed point format, got ${f.name} (${f.kind})`);
  const width = totalBits(element);
  // NOTE: beyond OCP MX 1.0, fixed point elements up to 16 bits (block-scaled integers at the paper's widths, for
  // comparing scaling policies); they have no code layout (encodeMx refuses them).
  if (width > (f.kind === "fixed" ? 16 : 8))
    throw new RangeError(
      `invalid mx element ${element.name}: ${width} bits, an MX element has at most 8 (a fixed point one: 16)`,
    );
  if (element.kind === "float" && element.overflow !== "saturate")
    throw new RangeError(
      `invalid mx element ${element.name}: the MX conversion saturates at the element's largest value` +
        ` (OCP MX 1.0 §6.3); give it with overflow "saturate" (as MX_ELEMENTS.fp8e5m2)`,
    );
  const block = checkInteger("mx block size", o.block ?? 32, 1, MX_BLOCK_LIMIT);
  return Object.freeze({ kind: "mx", name: o.name ?? `mx-${element.name}`, element, block });
}

/**
 * The element types of OCP MX 1.0 §5.3, as formats of this library. All keep their subnormals and saturate.
 * - fp8e4m3: FP8 E4M3 (OCP MX 1.0 §5.3.1, the OCP 8-bit float): bias 7, no infinities, S.1111.111 is NaN, max 448.
 * - fp8e5m2: FP8 E5M2 (OCP MX 1.0 §5.3.1): bias 15, IEEE-like ±Infinity and NaN codes, max 57344; the MX
 *   conversion saturates and never writes the infinities, hence the name `fp8e5m2-sat` (the `fp8e5m2` preset
 *   overflows to ±Infinity).
 * - fp6e3m2, fp6e2m3: FP6 E3M2 (bias 3, max 28) and E2M3 (bias 1, max 7.5), OCP MX 1.0 §5.3.2: no infinities,
 *   no NaN.
 * - fp4e2m1: FP4 E2M1 (OCP MX 1.0 §5.3.3): bias 1, values 0, 0.5, 1, 1.5, 2, 3, 4, 6; no infinities, no NaN.
 * - int8: INT8 (OCP MX 1.0 §5.3.4): k · 2^−6 for k in [−127, 127], two's complement codes (this library's fixed
 *   point with 1 integer bit: symmetric; see the module comment for the code 0x80).
 */
export const MX_ELEMENTS = Object.freeze({
  fp8e4m3,
  fp8e5m2: float({ exponent: 5, mantissa: 2, overflow: "saturate", name: "fp8e5m2-sat" }),
  fp6e3m2: float({ exponent: 3, mantissa: 2, specials: "finite", name: "fp6e3m2" }),
  fp6e2m3: float({ exponent: 2, mantissa: 3, specials: "finite", name: "fp6e2m3" }),
  fp4e2m1: float({ exponent: 2, mantissa: 1, specials: "finite", name: "fp4e2m1" }),
  int8: fixed({ bits: 8, integerBits: 1, name: "int8" }),
});

/** The MX-compliant formats of OCP MX 1.0 §5.2, blocks of 32, by name. */
export const MX_PRESETS: Readonly<Record<string, MxFormat>> = Object.freeze({
  mxfp8e4m3: mx(MX_ELEMENTS.fp8e4m3, { name: "mxfp8e4m3" }),
  mxfp8e5m2: mx(MX_ELEMENTS.fp8e5m2, { name: "mxfp8e5m2" }),
  mxfp6e3m2: mx(MX_ELEMENTS.fp6e3m2, { name: "mxfp6e3m2" }),
  mxfp6e2m3: mx(MX_ELEMENTS.fp6e2m3, { name: "mxfp6e2m3" }),
  mxfp4e2m1: mx(MX_ELEMENTS.fp4e2m1, { name: "mxfp4e2m1" }),
  mxint8: mx(MX_ELEMENTS.int8, { name: "mxint8" }),
});

/** Throws a RangeError naming the value unless `f` is a format made by `mx()`. */
export function checkMx(f: unknown): MxFormat {
  if ((f as { kind?: unknown } | null)?.kind !== "mx")
    throw new RangeError(
      `invalid MX format: expected an object made by mx() or an MX preset, got ${JSON.stringify(f)}`,
    );
  return f as MxFormat;
}

/**
 * The scale exponent s of a block's maximum magnitude, the definition of OCP MX 1.0 §6.3 with the choices of the
 * module comment: floor(log2(amax)) − emax, clamped below to −127; NaN for a NaN or infinite amax or s > 127.
 * @example mxScaleExponent(7, MX_PRESETS.mxfp4e2m1!) // returns 0 (floor(log2 7) = 2, emax_elem 2)
 */
export function mxScaleExponent(amax: number, format: MxFormat): number {
  if (Number.isNaN(amax) || amax === Infinity) return NaN;
  const s = (amax === 0 ? ZERO_BLOCK_EXPONENT : exponentOf(amax)) - mxElementEmax(format.element);
  if (s > E8M0_EMAX) return NaN;
  return s < E8M0_EMIN ? E8M0_EMIN : s;
}

/**
 * The E8M0 code of the scale of one block (its values, at most `format.block` of them).
 * @example mxScaleCode([0.5, -3, 1], MX_PRESETS.mxfp4e2m1!) // returns 126: 2^(1 − 2)
 * @example mxScaleCode([1, NaN], MX_PRESETS.mxfp8e4m3!) // returns 255 (NaN)
 */
export function mxScaleCode(values: ArrayLike<number>, format: MxFormat): number {
  checkMx(format);
  if (values.length > format.block)
    throw new RangeError(
      `mxScaleCode: ${values.length} values, more than one block of ${format.name} (${format.block})`,
    );
  let amax = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (Number.isNaN(a)) return E8M0_NAN;
    if (a > amax) amax = a;
  }
  return encodeE8M0(mxScaleExponent(amax, format));
}

/**
 * One value of a block, given the E8M0 code of its block's scale: X × round(x / X) in the element type, saturating.
 * @param options.draw the uint32 random draw of stochastic rounding (see randomBits)
 * @example roundMx(2.6, MX_PRESETS.mxfp4e2m1!, 126) // returns 2.5: 2.6 / 2^-1 = 5.2 rounds to 5 (E2M1: 4, 6)
 * @example roundMx(7, MX_PRESETS.mxfp4e2m1!, 127) // returns 6: saturated
 */
export function roundMx(
  x: number,
  format: MxFormat,
  scaleCode: number,
  options: { rounding?: RoundingMode; draw?: number } = {},
): number {
  const X = decodeE8M0(scaleCode);
  if (Number.isNaN(X)) return NaN;
  const s = scaleCode - E8M0_BIAS;
  return roundScalar(x * pow2(-s), format.element, options) * X;
}

/**
 * The codes of `src` in an MX format, by the definition (mxScaleCode, roundMx): per block its E8M0 scale code, per
 * value its element code (a NaN-scale block's elements are written as 0: the scale alone says NaN).
 * @example encodeMx([1, -0.5, 3], MX_PRESETS.mxfp4e2m1!)
 *   // { scales: [126], elements: [0b0100, 0b1010, 0b0111] }: X = 2^(1 − 2), elements 2, −1, 6
 */
export function encodeMx(
  src: FloatArray | readonly number[],
  format: MxFormat,
  options: { rounding?: RoundingMode; rng?: RandomStream } = {},
): MxCodes {
  checkMx(format);
  if (totalBits(format.element) > 8)
    throw new RangeError(
      `encodeMx: ${format.name} has ${totalBits(format.element)}-bit elements: OCP MX codes have at most 8 bits`,
    );
  const rounding = options.rounding ?? "nearest-even";
  if (rounding === "stochastic") checkStream(options.rng, "encodeMx");
  const k = format.block,
    n = src.length;
  const scales = new Uint8Array(Math.ceil(n / k)),
    elements = new Uint8Array(n);
  for (let b = 0; b * k < n; b++) {
    const start = b * k,
      end = Math.min(n, start + k);
    const code = mxScaleCode(src.slice(start, end), format);
    scales[b] = code;
    if (code === E8M0_NAN) continue;
    const s = code - E8M0_BIAS;
    for (let i = start; i < end; i++) {
      const draw = rounding === "stochastic" ? randomBits(options.rng!.seed, options.rng!.counter + i) : 0;
      // NOTE: the element's value is roundMx(x)/X, exactly; encode finds its code (it rounds nothing further).
      elements[i] = encode(roundMx(src[i]!, format, code, { rounding, draw }) * pow2(-s), format.element);
    }
  }
  if (rounding === "stochastic") options.rng!.counter += n;
  return { scales, elements };
}

/**
 * The value of one element code (no scale): the element format's decode, except that INT8's two's complement code
 * 1000 0000 reads as −2 (OCP MX 1.0 §5.3.4 lists it; the conversion never writes it).
 * @example decodeMxElement(0x80, MX_PRESETS.mxint8!) // returns -2
 */
export function decodeMxElement(code: number, format: MxFormat): number {
  const e = checkMx(format).element;
  if (e.kind === "fixed" && code === pow2(e.bits - 1)) return -pow2(e.integerBits);
  return decode(code, e);
}

/**
 * The values MX codes stand for, X × P (NaN throughout a block whose scale code is 255; an element's own NaN or
 * ±Infinity code, in E4M3 and E5M2, stays NaN or ±Infinity).
 * @example decodeMx({ scales: Uint8Array.of(126), elements: Uint8Array.of(7, 15) }, MX_PRESETS.mxfp4e2m1!)
 *   // returns Float64Array [3, -3]
 */
export function decodeMx(codes: MxCodes, format: MxFormat): Float64Array {
  checkMx(format);
  const { scales, elements } = codes;
  const blocks = Math.ceil(elements.length / format.block);
  if (scales.length !== blocks)
    throw new RangeError(
      `decodeMx: ${elements.length} elements in blocks of ${format.block} need ${blocks} scales, got ${scales.length}`,
    );
  const out = new Float64Array(elements.length);
  for (let i = 0; i < elements.length; i++)
    out[i] = decodeE8M0(scales[Math.floor(i / format.block)]!) * decodeMxElement(elements[i]!, format);
  return out;
}

/** The numbers that characterise an MX format. */
export interface MxDescription {
  readonly name: string;
  readonly kind: "mx";
  /** elements per block */
  readonly block: number;
  /** the element type's own description */
  readonly element: FormatDescription;
  /** emax_elem, the exponent subtracted from the block maximum's */
  readonly elementEmax: number;
  /** storage per element, scale included: element bits + 8 / block */
  readonly bitsPerElement: number;
  /** one line for tables */
  readonly summary: string;
}

/**
 * Describes an MX format.
 * @example describeMx(MX_PRESETS.mxfp4e2m1!).bitsPerElement // returns 4.25
 */
export function describeMx(format: MxFormat): MxDescription {
  checkMx(format);
  const element = describe(format.element);
  const bitsPerElement = element.totalBits + 8 / format.block;
  const emax = mxElementEmax(format.element);
  // NOTE: 4.25 as it is, 4 + 8/3 as ≈6.667
  const short = Number(bitsPerElement.toFixed(4)) === bitsPerElement;
  const bits = short ? String(bitsPerElement) : `≈${bitsPerElement.toFixed(3)}`;
  return Object.freeze({
    name: format.name,
    kind: "mx",
    block: format.block,
    element,
    elementEmax: emax,
    bitsPerElement,
    summary:
      `MX: blocks of ${format.block} ${format.element.name} elements sharing one E8M0 scale` +
      ` 2^(floor(log2 amax) − ${emax}) in 2^-127..2^127, ${bits} bits per element;` +
      ` element: ${element.summary}`,
  });
}
