/**
 * Benchmarks: MNIST from the package (load + float arrays) and CIFAR-10 GCN + ZCA at the real size on generated
 * data (50 000 + 10 000 images written as genuine CIFAR-10 .bin files, then `loadCifar10`, cold then cached).
 * Run: npm run bench  (or: npx tsx bench/datasets.bench.ts [--train N] [--skip-cifar])
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { eigh, loadCifar10, loadMnist, matMulNT, writeSyntheticCifar10, type MatMulNT } from "../src/index.js";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const fmt = (s: number) => `${s.toFixed(2)} s`;

console.log(
  `load average at start: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(", ")} (2 cores, shared)`,
);

// ** MNIST **
const mnistTimes: number[] = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const s = loadMnist();
  mnistTimes.push(seconds(t0));
  if (s.train.count + s.valid.count + s.test.count !== 70000) throw new Error("MNIST count");
}
console.log(
  `MNIST loadMnist() (read 4 IDX files, SHA-256 them, 70 000 images to float32): ${mnistTimes.map(fmt).join(", ")}`,
);

// ** CIFAR-10 GCN + ZCA **
if (!process.argv.includes("--skip-cifar")) {
  const trainCount = Number(arg("train") ?? 50000);
  const testCount = Math.min(10000, Math.max(1, Math.round(trainCount / 5)));
  const dir = mkdtempSync(join(tmpdir(), "lowprec-cifar-bench-"));
  try {
    writeSyntheticCifar10(dir, trainCount, testCount);
    const timers = { cov: 0, p: 0, apply: 0, eigh: 0 };
    const timedMatMul: MatMulNT = (a, b, c, m, n, k, upper) => {
      const t0 = performance.now();
      matMulNT(a, b, c, m, n, k, upper);
      const t = seconds(t0);
      if (!upper) timers.apply += t;
      else if (k === n) timers.p += t;
      else timers.cov += t;
    };
    const timedEigh = (a: Float64Array, n: number) => {
      const t0 = performance.now();
      const r = eigh(a, n);
      timers.eigh += seconds(t0);
      return r;
    };
    const t0 = performance.now();
    const s = loadCifar10({
      dataDir: dir,
      dir,
      validCount: Math.round(trainCount / 10),
      kernels: { matMulNT: timedMatMul, eigh: timedEigh },
    });
    const total = seconds(t0);
    const t1 = performance.now();
    loadCifar10({ dataDir: dir, dir, validCount: Math.round(trainCount / 10) });
    const cached = seconds(t1);
    const rest = total - timers.cov - timers.p - timers.apply - timers.eigh;
    console.log(`CIFAR-10 GCN+ZCA, ${trainCount} train + ${testCount} test images of 3072:`);
    console.log(
      `  total ${fmt(total)} = covariance XᵀX ${fmt(timers.cov)} + eigh 3072² ${fmt(timers.eigh)}` +
        ` + P = V·Λ^-½·Vᵀ ${fmt(timers.p)} + apply (x−μ)P ${fmt(timers.apply)}` +
        ` + read/GCN/cache ${fmt(rest)}`,
    );
    console.log(
      `  second call (cache hit): ${fmt(cached)}` +
        `; train[0..3] = ${Array.from(s.train.images.subarray(0, 3), (v) => v.toFixed(4)).join(", ")}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(
  `load average at end: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(", ")}`,
);
