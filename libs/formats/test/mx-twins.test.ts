// quantizeMx equals the definition (mxScaleCode, roundMx) bit for bit, with the same per-block scales and counts,
// on random blocks with specials, for every MX preset, block size, rounding mode and input type; and the codes
// of encodeMx decode to the same values.
import { describe, expect, it } from "vitest";
import {
  decodeMx,
  encodeMx,
  float,
  mx,
  MX_ELEMENTS,
  MX_PRESETS,
  quantizeMx,
  ROUNDING_MODES,
  type MxFormat,
} from "../src/index.js";
import { mxArray, mxScalar } from "./mx-twins.js";

/**
 * ~9000 values (more than one chunk of quantizeMx) in blocks of mixed character: wide and narrow magnitudes, zeros,
 * NaN and ±Infinity, extremes.
 */
function inputs(): number[] {
  let s = 777;
  const rand = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const xs: number[] = [];
  for (let b = 0; xs.length < 9000; b++) {
    const kind = b % 9,
      len = kind === 4 ? 70 : 1 + Math.floor(rand() * 40); // 70: some whole block of 32 is tiny
    for (let i = 0; i < len; i++) {
      const r = (rand() - 0.5) * 2 ** Math.floor(rand() * 24 - 12);
      if (kind === 0) xs.push(0);
      else if (kind === 1) xs.push(i === 3 ? NaN : r);
      else if (kind === 2) xs.push(i === 5 ? (rand() < 0.5 ? Infinity : -Infinity) : r);
      else if (kind === 3)
        xs.push(r * 2 ** 110); // near E8M0's top (in float32: up to its limit)
      else if (kind === 4)
        xs.push(r * 2 ** -135); // below E8M0's bottom: the scale clamps
      else if (kind === 5)
        xs.push(i === 0 ? 1e300 : r); // float64 beyond 2^127: a NaN scale (float32: Infinity)
      else if (kind === 6) xs.push(rand() < 0.3 ? -0 : r);
      else xs.push(r);
    }
  }
  return xs;
}

const FORMATS: MxFormat[] = [
  ...Object.values(MX_PRESETS),
  mx(MX_ELEMENTS.fp4e2m1, { block: 1 }),
  mx(MX_ELEMENTS.fp6e3m2, { block: 7 }),
  mx(MX_ELEMENTS.int8, { block: 33 }),
  mx(MX_ELEMENTS.fp8e5m2, { block: 3000 }),
  mx(MX_ELEMENTS.fp6e2m3, { block: 5000 }), // larger than a chunk: one block per call
  // an element whose smallest step, 2^-142, lies below float32's normals: float32 input takes the float64 scratch
  mx(float({ exponent: 4, mantissa: 3, bias: 140, overflow: "saturate", name: "e4m3-bias140" }), { block: 5 }),
];

describe("quantizeMx equals the definition", () => {
  const xs = inputs();
  for (const f of FORMATS)
    for (const rounding of ROUNDING_MODES)
      for (const f64 of [false, true])
        it(`${f.name}/${f.block} ${rounding} ${f64 ? "float64" : "float32"} input`, () => {
          const a = mxArray(xs, f, { rounding, seed: 13, f64 }),
            s = mxScalar(xs, f, { rounding, seed: 13, f64 });
          for (let i = 0; i < xs.length; i++)
            if (!Object.is(a.values[i], s.values[i]))
              throw new Error(`x=${xs[i]} (value ${i}): quantizeMx ${a.values[i]}, definition ${s.values[i]}`);
          expect(a.scales).toEqual(s.scales);
          expect(a.overflow).toEqual(s.overflow);
          expect(a.flushed).toEqual(s.flushed);
        });
  it("the data reach every case: NaN scales, clamped scales, saturation and flushes in every preset", () => {
    const xs = inputs();
    for (const f of Object.values(MX_PRESETS)) {
      const { scales, stats } = quantizeMx(Float64Array.from(xs), f);
      expect(stats.blocks).toBe(Math.ceil(xs.length / 32));
      expect(scales.includes(255), f.name).toBe(true);
      expect(scales.includes(0), f.name).toBe(true);
      expect(stats.overflow, f.name).toBeGreaterThan(0);
      expect(stats.flushed, f.name).toBeGreaterThan(0);
    }
  });
  it("its totals are the sums of its blocks, and count the zeros and NaN of the input", () => {
    const xs = inputs(),
      src = Float64Array.from(xs);
    const r = quantizeMx(src, MX_PRESETS.mxfp6e2m3!, { out: new Float64Array(xs.length) });
    const sum = (a: Uint32Array) => a.reduce((p, c) => p + c, 0);
    expect([r.stats.overflow, r.stats.flushed]).toEqual([sum(r.overflow), sum(r.flushed)]);
    expect(r.stats.nanBlocks).toBe(r.scales.filter((c) => c === 255).length);
    expect(r.stats.nan).toBe(xs.filter(Number.isNaN).length);
    expect(r.stats.zeros).toBe(xs.filter((x) => x === 0).length);
    expect(r.stats.amax).toBe(Math.max(...xs.filter(Number.isFinite).map(Math.abs)));
    expect(Array.from(src)).toEqual(xs); // written to out, the source untouched
  });
});

describe("encodeMx and decodeMx", () => {
  it("decode to quantizeMx's values, every preset and mode", () => {
    const xs = inputs();
    for (const f of FORMATS)
      for (const rounding of ROUNDING_MODES) {
        const codes = encodeMx(xs, f, { rounding, rng: { seed: 4, counter: 0 } });
        const q = quantizeMx(Float64Array.from(xs), f, { rounding, rng: { seed: 4, counter: 0 } });
        expect(Array.from(codes.scales)).toEqual(Array.from(q.scales));
        const back = decodeMx(codes, f);
        for (let i = 0; i < xs.length; i++)
          if (!Object.is(back[i], q.out[i]))
            throw new Error(`${f.name} ${rounding} x=${xs[i]}: ${back[i]} ${q.out[i]}`);
      }
  });
  it("decodeMx wants one scale per block", () => {
    const f = MX_PRESETS.mxfp4e2m1!;
    expect(() => decodeMx({ scales: new Uint8Array(1), elements: new Uint8Array(33) }, f)).toThrow(
      "decodeMx: 33 elements in blocks of 32 need 2 scales, got 1",
    );
  });
});
