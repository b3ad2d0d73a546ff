// The two implementations every rounding test runs through: the scalar definition and the array pass.
import { quantize, randomBits, roundScalar, type Format, type RoundingMode } from "../src/index.js";

export interface RoundCall {
  rounding?: RoundingMode;
  integerBits?: number;
  seed?: number;
  f64?: boolean;
}
export type Rounder = (xs: readonly number[], format: Format, o?: RoundCall) => number[];

// NOTE: with float32 storage (f64: false) the scalar result is stored as float32 too, as the array does.
export const scalar: Rounder = (xs, format, o = {}) =>
  xs.map((x, i) => {
    const r = roundScalar(o.f64 === false ? Math.fround(x) : x, format, {
      rounding: o.rounding,
      integerBits: o.integerBits,
      draw: randomBits(o.seed ?? 0, i),
    });
    return o.f64 === false ? Math.fround(r) : r;
  });

export const array: Rounder = (xs, format, o = {}) => {
  const src = o.f64 === false ? Float32Array.from(xs) : Float64Array.from(xs);
  quantize(src, format, { rounding: o.rounding, integerBits: o.integerBits, rng: { seed: o.seed ?? 0, counter: 0 } });
  return Array.from(src);
};

export const TWINS: readonly (readonly [string, Rounder])[] = [
  ["roundScalar", scalar],
  ["quantize", array],
];

/** Independent IEEE binary16 decoder: widen the half bits to float32 bits and let the platform read them. */
export function halfToNumber(h: number): number {
  const sign = (h >>> 15) & 1,
    exp = (h >>> 10) & 0x1f,
    man = h & 0x3ff;
  const u = new Uint32Array(1),
    f = new Float32Array(u.buffer);
  if (exp === 0) return (sign ? -1 : 1) * man * 2 ** -24; // exact: man < 2^10
  if (exp === 31) u[0] = (sign << 31) | 0x7f800000 | (man << 13);
  else u[0] = (sign << 31) | ((exp - 15 + 127) << 23) | (man << 13);
  return f[0]!;
}
