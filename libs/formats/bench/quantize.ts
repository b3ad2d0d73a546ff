// Elements per second of `quantize` (and of `quantizeMx`, MX blocks of 32) over 10^7 float32 values,
// single-threaded TypeScript.
// Run: npm run bench -w @lowprec/formats   (targets: fixed point ≥ 2e8/s, float formats ≥ 1e8/s)
import {
  binary16,
  bfloat16,
  fixed,
  fp8e4m3,
  MX_PRESETS,
  quantize,
  quantizeMx,
  type Format,
  type MxFormat,
  type RoundingMode,
} from "../src/index.js";

const N = 10_000_000;
const src = new Float32Array(N);
let s = 2463534242;
for (let i = 0; i < N; i++) {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  src[i] = ((s >>> 0) / 4294967296 - 0.5) * 8;
}
const out = new Float32Array(N);

const cases: [string, Format, RoundingMode][] = [
  ["binary16 nearest-even", binary16, "nearest-even"],
  ["bfloat16 nearest-even", bfloat16, "nearest-even"],
  ["fp8e4m3 nearest-even", fp8e4m3, "nearest-even"],
  ["fixed 20/5 nearest-even", fixed({ bits: 20, integerBits: 5 }), "nearest-even"],
  ["fixed 20/5 nearest-away", fixed({ bits: 20, integerBits: 5 }), "nearest-away"],
  ["fixed 10/3 nearest-even", fixed({ bits: 10, integerBits: 3 }), "nearest-even"],
  ["fixed 10/3 stochastic", fixed({ bits: 10, integerBits: 3 }), "stochastic"],
  ["binary16 stochastic", binary16, "stochastic"],
];

console.log(`quantize over ${N.toExponential(0)} float32 values (Node ${process.version}, best of 5 passes)`);
for (const [name, format, rounding] of cases) {
  const rng = { seed: 1, counter: 0 };
  let best = Infinity;
  for (let rep = 0; rep < 6; rep++) {
    const t0 = process.hrtime.bigint();
    quantize(src, format, { rounding, out, rng });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (rep > 0) best = Math.min(best, ms); // the first pass warms up the JIT
  }
  console.log(
    `${name.padEnd(26)} ${(N / best / 1e3).toFixed(0).padStart(5)} M elements/s  (${best.toFixed(1)} ms/pass)`,
  );
}

const mxCases: [string, MxFormat, RoundingMode][] = [
  ["mxfp8e4m3 nearest-even", MX_PRESETS.mxfp8e4m3!, "nearest-even"],
  ["mxfp4e2m1 nearest-even", MX_PRESETS.mxfp4e2m1!, "nearest-even"],
  ["mxint8 nearest-even", MX_PRESETS.mxint8!, "nearest-even"],
  ["mxfp4e2m1 stochastic", MX_PRESETS.mxfp4e2m1!, "stochastic"],
];
for (const [name, format, rounding] of mxCases) {
  const rng = { seed: 1, counter: 0 };
  let best = Infinity;
  for (let rep = 0; rep < 6; rep++) {
    const t0 = process.hrtime.bigint();
    quantizeMx(src, format, { rounding, out, rng });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (rep > 0) best = Math.min(best, ms);
  }
  console.log(
    `${name.padEnd(26)} ${(N / best / 1e3).toFixed(0).padStart(5)} M elements/s  (${best.toFixed(1)} ms/pass)`,
  );
}
