/**
 * Seconds per training epoch of the paper's networks on this machine (native backend by default; set
 * LOWPREC_BACKEND=ts for the reference), fp32 and dfxp 10/12, next to PyTorch CPU training the same
 * PI-MNIST network (bench/torch_pi_mnist.py) when a Python with torch is found. This script installs
 * nothing; without PyTorch it says so and reports our figures only.
 *
 *   npx tsx bench/epoch.ts [--batches N] [--conv] [--no-torch]
 *
 * Timing uses synthetic inputs of each data set's shape (the arithmetic does not depend on the values);
 * an epoch's time is extrapolated from N timed batches after 5 warm-up batches (PI-MNIST: best of 3).
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backendInfo, getBackend } from "@lowprec/tensor";
import {
  Network,
  NETWORK_PRESETS,
  resolveConfig,
  type NetworkPresetName,
  type PrecisionPresetName,
} from "../src/index.js";

const argv = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const batchesTimed = opt("batches", 100);
const examplesPerEpoch: Record<NetworkPresetName, number> = {
  "pi-mnist": 50_000,
  "mnist-conv": 50_000,
  cifar10: 45_000,
  svhn: 598_388,
};

function secondsPerEpoch(preset: NetworkPresetName, precision: PrecisionPresetName, batches: number): number {
  const config = resolveConfig(preset, precision, { hyper: { epochs: 1 } });
  const B = config.hyper.batch;
  const net = new Network(config, getBackend(), B);
  net.init();
  const [c, h, w] = NETWORK_PRESETS[preset].network.input;
  const x = new Float32Array(B * c * h * w);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296;
  }
  const labels = Int32Array.from({ length: B }, (_, i) => i % 10);
  for (let i = 0; i < 5; i++) net.trainStep(x, labels, B, 0.01, 0.5);
  const t0 = performance.now();
  for (let i = 0; i < batches; i++) net.trainStep(x, labels, B, 0.01, 0.5);
  const perBatch = (performance.now() - t0) / 1000 / batches;
  return perBatch * Math.floor(examplesPerEpoch[preset] / B);
}

function torch(precision: "fp32" | "dfxp", examples: number): { seconds: number; note: string } | string {
  const script = join(dirname(fileURLToPath(import.meta.url)), "torch_pi_mnist.py");
  // NOTE: Debian's torch is built against the generic BLAS (OpenBLAS here) with OpenMP; OpenMP and OpenBLAS
  // threads together oversubscribe 2 cores, so both thread settings are tried and the faster one is kept.
  let best: { seconds: number; note: string } | undefined,
    lastError = "";
  for (const python of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
    if (probe.status !== 0) {
      lastError = `${python}: ${(probe.stderr || probe.error?.message || "").trim().split("\n").at(-1)}`;
      continue;
    }
    for (const [torchThreads, blasThreads] of [
      [2, 2],
      [1, 1],
      [1, 2],
    ] as const) {
      const r = spawnSync(
        python,
        [script, "--precision", precision, "--examples", String(examples), "--threads", String(torchThreads)],
        { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads) } },
      );
      if (r.status !== 0) return `${python} ${script} failed: ${r.stderr.trim().split("\n").at(-1)}`;
      const j = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { secondsPerEpoch: number; version: string };
      if (!best || j.secondsPerEpoch < best.seconds)
        best = {
          seconds: j.secondsPerEpoch,
          note: `torch ${j.version}, ${torchThreads} torch thread(s), OPENBLAS_NUM_THREADS=${blasThreads}`,
        };
    }
    return best!;
  }
  return `PyTorch not found (${lastError}); this benchmark installs nothing: apt-get install python3-torch to compare`;
}

const info = backendInfo();
console.log(
  `backend ${info.name}${info.blas ? " (OpenBLAS)" : ""}, ${info.threads} thread(s)` +
    `; ${cpus().length} cores (${cpus()[0]?.model}); load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")}`,
);
console.log(
  `PI-MNIST (50,000 examples, batch 100), seconds per training epoch` +
    `, extrapolated from ${batchesTimed} batches, best of 3:`,
);
// NOTE: the 2 cores are shared; fp32 and dfxp are timed alternately, 3 times each, and the fastest kept.
let fp32 = Infinity,
  dfxp = Infinity;
for (let rep = 0; rep < 3; rep++) {
  fp32 = Math.min(fp32, secondsPerEpoch("pi-mnist", "fp32", batchesTimed));
  dfxp = Math.min(dfxp, secondsPerEpoch("pi-mnist", "dfxp", batchesTimed));
}
console.log(`  lowprec fp32         ${fp32.toFixed(2)} s`);
console.log(`  lowprec dfxp 10/12   ${dfxp.toFixed(2)} s   (${(dfxp / fp32).toFixed(2)}× our fp32; target ≤ 1.3×)`);
if (!argv.includes("--no-torch")) {
  for (const p of ["fp32", "dfxp"] as const) {
    const t = torch(p, batchesTimed * 100);
    if (typeof t === "string") {
      console.log(`  pytorch: ${t}`);
      break;
    }
    console.log(
      `  pytorch ${p.padEnd(12)} ${t.seconds.toFixed(2)} s   (${t.note})` +
        `${p === "fp32" ? `; ours/theirs ${(fp32 / t.seconds).toFixed(2)} (target ≤ 1)` : ""}`,
    );
  }
}
if (argv.includes("--conv")) {
  const convBatches = Math.max(2, Math.round(batchesTimed / 20));
  console.log(`conv presets, seconds per training epoch (extrapolated from ${convBatches} batches):`);
  for (const preset of ["mnist-conv", "cifar10", "svhn"] as const)
    for (const p of ["fp32", "dfxp"] as const)
      console.log(
        `  ${preset.padEnd(10)} ${p.padEnd(5)} ${secondsPerEpoch(preset, p, convBatches).toFixed(1)} s` +
          ` (${examplesPerEpoch[preset]} examples, batch ${NETWORK_PRESETS[preset].hyper.batch})`,
      );
}
