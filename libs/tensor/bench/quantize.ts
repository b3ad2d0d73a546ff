/**
 * Quantize throughput over 1e7 float32, in place (elements/s), native and ts, per format and rounding; then the MX
 * block formats (quantizeMx, blocks of 32), flat and over a 784 × 1200 matrix in blocks along its rows and down its
 * columns.
 */
import {
  bfloat16,
  binary16,
  dynamicFixed,
  fixed,
  MX_PRESETS,
  type Format,
  type MxFormat,
  type RoundingMode,
} from "@lowprec/formats";
import { TsBackend, type Backend } from "../src/index.js";
import { cpuPerCall, fill, header, timeIt } from "./common.js";

const natives = header("quantize 1e7 float32 in place");
const n = 1e7,
  x = fill(n, 3).map((v) => v * 40),
  y = new Float32Array(n);
// NOTE: in place, as the trainer's fused passes run: y is reset from x before each case, then quantized in
// place repeatedly. The native kernels are branch-free, so a pass over already-rounded values costs the same.
// (Out of place costs more on this machine: the writes to a second 40 MB array also read it first.)
const cases: [string, Format, RoundingMode, number?][] = [
  ["fixed 20/5", fixed({ bits: 20, integerBits: 5 }), "nearest-even"],
  ["fixed 20/5", fixed({ bits: 20, integerBits: 5 }), "nearest-away"],
  ["dynamic-fixed 10, integerBits 3", dynamicFixed({ bits: 10 }), "nearest-even", 3],
  ["fixed 20/5", fixed({ bits: 20, integerBits: 5 }), "stochastic"],
  ["dynamic-fixed 10, integerBits 3", dynamicFixed({ bits: 10 }), "stochastic", 3],
  ["binary16", binary16, "nearest-even"],
  ["bfloat16", bfloat16, "nearest-even"],
  ["binary16", binary16, "stochastic"],
];
const run = (be: Backend, label: string, secs: number) => {
  for (const [name, format, rounding, integerBits] of cases) {
    const rng = { seed: 1, counter: 0 };
    y.set(x);
    const t = timeIt(() => be.quantize({ x: y, format, rounding, integerBits, rng }), secs);
    const cpu = cpuPerCall(() => be.quantize({ x: y, format, rounding, integerBits, rng }));
    console.log(
      `${label} ${name}, ${rounding}: ${(n / t / 1e9).toFixed(2)}e9 elements/s (${(t * 1e3).toFixed(1)} ms per pass` +
        `; ${(cpu * 1e3).toFixed(1)} CPU-ms per pass)`,
    );
  }
};
const mxCases: [MxFormat, RoundingMode][] = [
  [MX_PRESETS["mxfp8e4m3"]!, "nearest-even"],
  [MX_PRESETS["mxfp6e2m3"]!, "nearest-even"],
  [MX_PRESETS["mxfp4e2m1"]!, "nearest-even"],
  [MX_PRESETS["mxint8"]!, "nearest-even"],
  [MX_PRESETS["mxfp4e2m1"]!, "stochastic"],
  [MX_PRESETS["mxint8"]!, "stochastic"],
];
const scales = new Uint8Array(Math.ceil(n / 32));
const runMx = (be: Backend, label: string, secs: number) => {
  for (const [format, rounding] of mxCases) {
    const rng = { seed: 1, counter: 0 };
    y.set(x);
    const t = timeIt(() => be.quantizeMx({ x: y, format, rounding, rng, scales }), secs);
    const cpu = cpuPerCall(() => be.quantizeMx({ x: y, format, rounding, rng, scales }), 5);
    console.log(
      `${label} ${format.name} (quantizeMx), ${rounding}: ${(n / t / 1e9).toFixed(2)}e9 elements/s` +
        ` (${(t * 1e3).toFixed(1)} ms per pass; ${(cpu * 1e3).toFixed(1)} CPU-ms per pass)`,
    );
  }
};
for (const be of natives) run(be, "native", 1.5);
run(TsBackend, "ts    ", 0.5);
for (const be of natives) runMx(be, "native", 1.5);
runMx(TsBackend, "ts    ", 0.5);

// The trainer's layouts (METHOD.md §8.6): a PI-MNIST first-layer weight matrix, 784 × 1200, in blocks along its rows
// (ĝ_z·Ŵᵀ) and down its columns (x̃·Ŵ); the column pass must not cost much more than the row pass.
const rows = 784,
  cols = 1200,
  w = x.subarray(0, rows * cols),
  wy = new Float32Array(rows * cols);
const runMatrix = (be: Backend, label: string, secs: number) => {
  for (const [format, rounding] of mxCases)
    for (const along of ["rows", "columns"] as const) {
      const rng = { seed: 1, counter: 0 },
        matrix = { rows, cols, along },
        f = () => be.quantizeMx({ x: w, y: wy, format, rounding, rng, matrix });
      const t = timeIt(f, secs);
      console.log(
        `${label} ${format.name} ${rows} × ${cols} along ${along.padEnd(7)}, ${rounding}:` +
          ` ${(w.length / t / 1e9).toFixed(2)}e9 elements/s (${(t * 1e3).toFixed(2)} ms per pass)`,
      );
    }
};
for (const be of natives) runMatrix(be, "native", 0.5);
runMatrix(TsBackend, "ts    ", 0.3);
