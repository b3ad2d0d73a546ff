// The array pass equals the scalar definition on random and edge inputs, for every format and rounding mode.
import { describe, expect, it } from "vitest";
import { PRESETS, ROUNDING_MODES, dynamicFixed, fixed, float, formatMax, quantize, type Format } from "../src/index.js";
import { array, scalar } from "./twins.js";

const FORMATS: Format[] = [
  ...Object.values(PRESETS),
  fixed({ bits: 20, integerBits: 5 }),
  fixed({ bits: 10, integerBits: 3 }),
  fixed({ bits: 32, integerBits: 5 }),
  float({ exponent: 3, mantissa: 4, subnormals: false }),
  float({ exponent: 6, mantissa: 9, overflow: "saturate", bias: 20 }),
];

function inputs(): number[] {
  let s = 12345;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const xs = [
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    1,
    -1,
    0.5,
    2 ** -30,
    1e-45,
    3.4e38,
    65504,
    65520,
    448,
    464,
    57344,
    61440,
    31.99,
    32,
    -32,
  ];
  for (let i = 0; i < 3000; i++) xs.push((rand() - 0.5) * 2 ** Math.floor(rand() * 60 - 30));
  return xs;
}

describe("quantize equals roundScalar", () => {
  const xs = inputs();
  for (const f of FORMATS)
    for (const rounding of ROUNDING_MODES)
      for (const f64 of [false, true]) {
        it(`${f.name} ${rounding} ${f64 ? "float64" : "float32"} input`, () => {
          const a = array(xs, f, { rounding, seed: 99, f64 }),
            s = scalar(xs, f, { rounding, seed: 99, f64 });
          for (let i = 0; i < xs.length; i++)
            if (!Object.is(a[i], s[i])) throw new Error(`x=${xs[i]}: quantize ${a[i]}, roundScalar ${s[i]}`);
          // stats.flushed = the nonzero finite inputs (as stored) that roundScalar sends to ±0
          const src = f64 ? Float64Array.from(xs) : Float32Array.from(xs);
          let want = 0;
          for (let i = 0; i < xs.length; i++) if (Number.isFinite(src[i]) && src[i] !== 0 && s[i] === 0) want++;
          const zeros = src.filter((x) => x === 0).length;
          const { stats } = quantize(src, f, { rounding, rng: { seed: 99, counter: 0 } });
          expect(stats.flushed).toBe(want);
          expect(stats.zeros).toBe(zeros);
          // the overflow counts on roundScalar's values: |q| ≥ max (a NaN from overflow too), |q| ≥ max/2; NaN inputs
          const max = formatMax(f);
          let over = 0,
            half = 0,
            nan = 0;
          for (let i = 0; i < xs.length; i++) {
            const q = s[i]!;
            if (Number.isNaN(src[i])) nan++;
            else if (Number.isNaN(q) || Math.abs(q) >= max) {
              over++;
              half++;
            } else if (Math.abs(q) >= max / 2) half++;
          }
          expect([stats.overflow, stats.overflowHalfRange, stats.nan]).toEqual([over, half, nan]);
        });
      }
  it("dynamic fixed point at several integer bits", () => {
    const d = dynamicFixed({ bits: 12 });
    for (const integerBits of [-8, -1, 0, 5, 11, 20]) {
      const s = scalar(xs, d, { integerBits });
      expect(array(xs, d, { integerBits })).toEqual(s);
      const flushed = xs.filter((x, i) => Number.isFinite(x) && x !== 0 && s[i] === 0).length;
      expect(quantize(Float64Array.from(xs), d, { integerBits }).stats.flushed).toBe(flushed);
    }
  });
});
