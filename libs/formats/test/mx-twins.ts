// The two implementations every MX test runs through: the definition (mxScaleCode, then roundMx per value) and
// the array pass (quantizeMx), with the per-block counts each gives.
import {
  formatMax,
  mxScaleCode,
  quantizeMx,
  randomBits,
  roundMx,
  type MxFormat,
  type RoundingMode,
} from "../src/index.js";

export interface MxCall {
  rounding?: RoundingMode;
  seed?: number;
  /** float64 storage (default) or float32 */
  f64?: boolean;
}
export interface MxRun {
  values: number[];
  scales: number[];
  overflow: number[];
  flushed: number[];
}
export type MxRounder = (xs: readonly number[], format: MxFormat, o?: MxCall) => MxRun;

/**
 * The definition, block by block. The counts by their meaning: overflow, the values of a finite-scale block whose
 * |x / X| exceeds the element's largest value; flushed, its nonzero values that come back as ±0.
 */
export const mxScalar: MxRounder = (xs, format, o = {}) => {
  const store = o.f64 === false ? Math.fround : (v: number) => v;
  const x = xs.map(store);
  const run: MxRun = { values: [], scales: [], overflow: [], flushed: [] };
  const max = formatMax(format.element);
  for (let start = 0; start < x.length; start += format.block) {
    const block = x.slice(start, start + format.block);
    const code = mxScaleCode(block, format);
    let over = 0,
      flushed = 0;
    block.forEach((v, j) => {
      const r = roundMx(v, format, code, { rounding: o.rounding, draw: randomBits(o.seed ?? 0, start + j) });
      run.values.push(store(r));
      if (code === 255) return;
      if (Math.abs(v / 2 ** (code - 127)) > max) over++;
      if (r === 0 && v !== 0) flushed++;
    });
    run.scales.push(code);
    run.overflow.push(over);
    run.flushed.push(flushed);
  }
  return run;
};

export const mxArray: MxRounder = (xs, format, o = {}) => {
  const src = o.f64 === false ? Float32Array.from(xs) : Float64Array.from(xs);
  const r = quantizeMx(src, format, { rounding: o.rounding, rng: { seed: o.seed ?? 0, counter: 0 } });
  return {
    values: Array.from(r.out),
    scales: Array.from(r.scales),
    overflow: Array.from(r.overflow),
    flushed: Array.from(r.flushed),
  };
};
