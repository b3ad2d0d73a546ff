/**
 * CIFAR-10 GCN + ZCA end to end at the real size, on the kernels `lowprec train` uses (zcaKernels(): native
 * OpenBLAS dgemm + LAPACK dsyevd when available). Generated data written as genuine CIFAR-10 .bin files
 * (@lowprec/datasets' writeSyntheticCifar10), then `loadCifar10` cold (read, GCN, ZCA fit + apply, cache
 * write), timing each kernel phase.
 * Run: npx tsx bench/zca.ts [--train N] [--ts]   (--ts: datasets' TypeScript kernels, for comparison; slow)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import {
  eigh as eighTs,
  loadCifar10,
  matMulNT as matMulNTTs,
  writeSyntheticCifar10,
  type Eigen,
  type MatMulNT,
} from "@lowprec/datasets";
import { zcaKernels } from "@lowprec/experiments";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const fmt = (s: number) => `${s.toFixed(2)} s`;
const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(", ");

const trainCount = Number(arg("train") ?? 50000);
if (!Number.isInteger(trainCount) || trainCount < 10)
  throw new RangeError(`--train must be an integer ≥ 10, got ${arg("train")}`);
const testCount = Math.min(10000, Math.max(1, Math.round(trainCount / 5)));
const useTs = process.argv.includes("--ts");
const chosen = zcaKernels();
const mm: MatMulNT = useTs || !chosen.kernels?.matMulNT ? matMulNTTs : chosen.kernels.matMulNT;
const eig: (a: Float64Array, n: number) => Eigen = useTs || !chosen.kernels?.eigh ? eighTs : chosen.kernels.eigh;
console.log(useTs ? "ZCA: TypeScript kernels (--ts)" : chosen.description);
console.log(
  `load average at start: ${load()} (${process.env["OPENBLAS_NUM_THREADS"] ?? "all"} OpenBLAS threads` +
    `; cores shared with other jobs)`,
);

const dir = mkdtempSync(join(tmpdir(), "lowprec-zca-bench-"));
try {
  const tg = performance.now();
  writeSyntheticCifar10(dir, trainCount, testCount);
  console.log(`generated ${trainCount} + ${testCount} CIFAR-10 records in ${fmt(seconds(tg))}`);
  const timers = { cov: 0, eigh: 0, p: 0, apply: 0 };
  const timedMatMul: MatMulNT = (a, b, c, m, n, k, upper) => {
    const t0 = performance.now();
    mm(a, b, c, m, n, k, upper);
    const t = seconds(t0);
    if (!upper) timers.apply += t;
    else if (k === n) timers.p += t;
    else timers.cov += t;
  };
  const timedEigh = (a: Float64Array, n: number) => {
    const t0 = performance.now();
    const r = eig(a, n);
    timers.eigh += seconds(t0);
    return r;
  };
  const t0 = performance.now();
  const s = loadCifar10({
    dataDir: dir,
    dir,
    cacheDir: join(dir, "cache"),
    validCount: Math.round(trainCount / 10),
    kernels: { matMulNT: timedMatMul, eigh: timedEigh },
  });
  const total = seconds(t0);
  const rest = total - timers.cov - timers.eigh - timers.p - timers.apply;
  console.log(`CIFAR-10 GCN+ZCA, ${trainCount} train + ${testCount} test images of 3072 (loadCifar10, cold):`);
  console.log(
    `  total ${fmt(total)} = covariance XᵀX ${fmt(timers.cov)} + eigh 3072² ${fmt(timers.eigh)}` +
      ` + P = V·Λ^-½·Vᵀ ${fmt(timers.p)}` +
      ` + apply (x−μ)P ${fmt(timers.apply)} + read/GCN/centre/copy/cache write ${fmt(rest)}`,
  );
  console.log(`  train[0..3] = ${Array.from(s.train.images.subarray(0, 3), (v) => v.toFixed(4)).join(", ")}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`load average at end: ${load()}`);
