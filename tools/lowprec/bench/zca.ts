/**
 * CIFAR-10 GCN + ZCA end to end at the real size, on the kernels `lowprec train` uses (zcaKernels(): native
 * OpenBLAS dgemm + LAPACK dsyevd when available). Generated data written as genuine CIFAR-10 .bin files (the
 * generator of libs/datasets/bench), then `loadCifar10` cold (read, GCN, ZCA fit + apply, cache write), timing
 * each kernel phase.
 * Run: npx tsx bench/zca.ts [--train N] [--ts]   (--ts: datasets' TypeScript kernels, for comparison; slow)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { eigh as eighTs, loadCifar10, matMulNT as matMulNTTs, type Eigen, type MatMulNT } from "@lowprec/datasets";
import { zcaKernels } from "../src/zca-kernels.js";

const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i < 0 ? undefined : process.argv[i + 1]; };
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const fmt = (s: number) => `${s.toFixed(2)} s`;
const load = () => loadavg().map((v) => v.toFixed(2)).join(", ");

const trainCount = Number(arg("train") ?? 50000);
if (!Number.isInteger(trainCount) || trainCount < 10) throw new RangeError(`--train must be an integer ≥ 10, got ${arg("train")}`);
const testCount = Math.min(10000, Math.max(1, Math.round(trainCount / 5)));
const useTs = process.argv.includes("--ts");
const chosen = zcaKernels();
const mm: MatMulNT = useTs || !chosen.kernels?.matMulNT ? matMulNTTs : chosen.kernels.matMulNT;
const eig: (a: Float64Array, n: number) => Eigen = useTs || !chosen.kernels?.eigh ? eighTs : chosen.kernels.eigh;
console.log(useTs ? "ZCA: TypeScript kernels (--ts)" : chosen.description);
console.log(`load average at start: ${load()} (${process.env["OPENBLAS_NUM_THREADS"] ?? "all"} OpenBLAS threads; cores shared with other jobs)`);

const dir = mkdtempSync(join(tmpdir(), "lowprec-zca-bench-"));
try {
  const tg = performance.now();
  writeGeneratedCifar(dir, trainCount, testCount);
  console.log(`generated ${trainCount} + ${testCount} CIFAR-10 records in ${fmt(seconds(tg))}`);
  const timers = { cov: 0, eigh: 0, p: 0, apply: 0 };
  const timedMatMul: MatMulNT = (a, b, c, m, n, k, upper) => {
    const t0 = performance.now();
    mm(a, b, c, m, n, k, upper);
    const t = seconds(t0);
    if (!upper) timers.apply += t; else if (k === n) timers.p += t; else timers.cov += t;
  };
  const timedEigh = (a: Float64Array, n: number) => { const t0 = performance.now(); const r = eig(a, n); timers.eigh += seconds(t0); return r; };
  const t0 = performance.now();
  const s = loadCifar10({ dataDir: dir, dir, cacheDir: join(dir, "cache"), validCount: Math.round(trainCount / 10), kernels: { matMulNT: timedMatMul, eigh: timedEigh } });
  const total = seconds(t0);
  const rest = total - timers.cov - timers.eigh - timers.p - timers.apply;
  console.log(`CIFAR-10 GCN+ZCA, ${trainCount} train + ${testCount} test images of 3072 (loadCifar10, cold):`);
  console.log(`  total ${fmt(total)} = covariance XᵀX ${fmt(timers.cov)} + eigh 3072² ${fmt(timers.eigh)} + P = V·Λ^-½·Vᵀ ${fmt(timers.p)}` +
    ` + apply (x−μ)P ${fmt(timers.apply)} + read/GCN/centre/copy/cache write ${fmt(rest)}`);
  console.log(`  train[0..3] = ${Array.from(s.train.images.subarray(0, 3), (v) => v.toFixed(4)).join(", ")}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`load average at end: ${load()}`);

/** Smooth random colour images (sums of a few random low-frequency waves plus noise), as CIFAR-10 records. */
function writeGeneratedCifar(dir: string, trainCount: number, testCount: number): void {
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const record = (buf: Uint8Array, o: number) => {
    buf[o] = Math.floor(rnd() * 10);
    const fx = 1 + rnd() * 3, fy = 1 + rnd() * 3, ph = rnd() * 6.28, base = 60 + rnd() * 120;
    for (let ch = 0; ch < 3; ch++) {
      const tint = 0.7 + 0.6 * rnd();
      for (let r = 0; r < 32; r++) for (let c = 0; c < 32; c++) {
        const v = base * tint + 50 * Math.sin((fx * r + fy * c) / 10 + ph) + 20 * (rnd() - 0.5);
        buf[o + 1 + ch * 1024 + r * 32 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  };
  const perBatch = Math.ceil(trainCount / 5);
  let left = trainCount;
  for (let b = 1; b <= 5; b++) {
    const n = Math.min(perBatch, left);
    left -= n;
    const buf = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i++) record(buf, i * 3073);
    writeFileSync(join(dir, `data_batch_${b}.bin`), buf);
  }
  const buf = new Uint8Array(testCount * 3073);
  for (let i = 0; i < testCount; i++) record(buf, i * 3073);
  writeFileSync(join(dir, "test_batch.bin"), buf);
}
