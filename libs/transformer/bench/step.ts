/**
 * One ViT training step (forward, backward, momentum update) of the `vit-mnist` preset, ours in float32 and in dynamic
 * fixed point 10/12 beside the same network in PyTorch (bench/torch_vit.py, Debian's python3-torch), in one run:
 * rounds alternate ours and PyTorch's so that a noisy machine slows both alike; ratios of medians are reported.
 *
 *   npx tsx bench/step.ts [--batch B] [--steps S] [--rounds R] [--no-torch] [--profile]
 *
 * `--profile` then times every kernel of 100 more float32 steps (LOWPREC_PROFILE=1, @lowprec/tensor's kernelProfile)
 * and prints ms per step per kernel, and the rest of the step (TypeScript between the kernels).
 *
 * PyTorch runs with 1 and with 2 threads and the faster is kept (what a user would pick); ours uses the native
 * backend's thread pool.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PRECISION_PRESETS, type PrecisionSpec } from "@lowprec/precision";
import {
  backendInfo,
  describeBackend,
  getBackend,
  type Kernels,
  kernelProfile,
  resetKernelProfile,
} from "@lowprec/tensor";
import { VIT_MNIST, Vit } from "../src/index.js";

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : Number(argv[i + 1]);
};
for (const a of argv)
  if (a.startsWith("--") && !["--batch", "--steps", "--rounds", "--no-torch", "--profile"].includes(a)) {
    console.error(`bench/step.ts: unknown option ${a}`);
    process.exit(2);
  }
const batch = opt("--batch", 64),
  steps = opt("--steps", 20),
  rounds = opt("--rounds", 3);
const kernels = getBackend("native");

function oursStep(precision: PrecisionSpec, k: Kernels = kernels, n = steps): number[] {
  const net = new Vit(VIT_MNIST, precision, k, batch, 1234);
  net.init(1234);
  const x = Float32Array.from({ length: batch * 784 }, (_, i) => Math.sin(i * 0.61));
  net.setLabels(Int32Array.from({ length: batch }, (_, i) => i % 10));
  const times: number[] = [];
  for (let s = 0; s < n + 3; s++) {
    if (s === 3) resetKernelProfile();
    const t0 = performance.now();
    net.forward(x, batch);
    net.backward(batch);
    net.update(0.01, 0.9);
    net.endStep(batch);
    if (s >= 3) times.push((performance.now() - t0) / 1000);
  }
  return times;
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
};

function python(): string | undefined {
  for (const p of ["/usr/bin/python3", "python3"])
    if (spawnSync(p, ["-c", "import torch"], { encoding: "utf8" }).status === 0) return p;
  return undefined;
}

async function torchStep(py: string, threads: number): Promise<number[]> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "torch_vit.py");
  const child = spawn(py, [script], { env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) } });
  let out = "",
    err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  child.stdin.end(`${JSON.stringify({ spec: VIT_MNIST, batch, steps, threads })}\n`);
  const code = await new Promise<number | null>((r) => child.on("close", r));
  if (code !== 0) throw new Error(`torch_vit.py exited ${code}: ${err.trim().split("\n").pop()}`);
  return (JSON.parse(out.trim()) as { seconds: number[] }).seconds;
}

const py = argv.includes("--no-torch") ? undefined : python();
const cpu = readFileSync("/proc/cpuinfo", "utf8");
const isa = /\bavx512f\b/.test(cpu) ? "avx512f" : /\bavx2\b/.test(cpu) ? "avx2" : "neither avx2 nor avx512f";
console.log(
  `ViT step, vit-mnist (16 tokens, d 64, 4 heads, 4 blocks, MLP 256), batch ${batch}, ${steps} steps × ${rounds}`,
);
console.log(`${describeBackend()}; host ${isa}; ${py ? `PyTorch from ${py}` : "PyTorch not run"}`);
const ours = { fp32: [] as number[], dfxp: [] as number[] };
const theirs: number[] = [];
let torchThreads = 0;
for (let r = 0; r < rounds; r++) {
  ours.fp32.push(median(oursStep(PRECISION_PRESETS.fp32)));
  if (py) {
    // NOTE: the first round tries 1 and 2 threads; later rounds use the faster
    if (torchThreads === 0) {
      const [one, two] = [median(await torchStep(py, 1)), median(await torchStep(py, 2))];
      torchThreads = one <= two ? 1 : 2;
      theirs.push(Math.min(one, two));
    } else theirs.push(median(await torchStep(py, torchThreads)));
  }
  ours.dfxp.push(median(oursStep(PRECISION_PRESETS.dfxp)));
}
const ms = (s: number) => `${(s * 1000).toFixed(2)} ms`;
const f32 = median(ours.fp32),
  dfx = median(ours.dfxp);
console.log(`ours float32 ${ms(f32)} (threads ${backendInfo().threads}), dfxp 10/12 ${ms(dfx)}`);
console.log(`dfxp / float32: ${(dfx / f32).toFixed(2)}×`);
if (py) {
  const t = median(theirs);
  console.log(`PyTorch float32 ${ms(t)} (${torchThreads} thread${torchThreads > 1 ? "s" : ""})`);
  console.log(`ours float32 / PyTorch: ${(f32 / t).toFixed(2)}×`);
}

if (argv.includes("--profile")) {
  // NOTE: getBackend reads LOWPREC_PROFILE at each call: this one hands out the timed wrapper
  process.env["LOWPREC_PROFILE"] = "1";
  const n = 100;
  const stepMs = (oursStep(PRECISION_PRESETS.fp32, getBackend("native"), n).reduce((a, b) => a + b, 0) / n) * 1000;
  const rows = Object.entries(kernelProfile())
    .filter(([, t]) => t.calls > 0)
    .map(([name, t]) => ({ name, ms: t.ms / n, calls: t.calls / n }))
    .sort((a, b) => b.ms - a.ms);
  const inKernels = rows.reduce((a, r) => a + r.ms, 0);
  console.log(`\nkernel profile, float32, ${n} steps: ${stepMs.toFixed(2)} ms per step (timed)`);
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(28)} ${r.ms.toFixed(2).padStart(6)} ms ${String(r.calls).padStart(4)} calls ` +
        `${((100 * r.ms) / stepMs).toFixed(1).padStart(5)} %`,
    );
  const rest = stepMs - inKernels;
  console.log(
    `  ${"(outside the kernels)".padEnd(28)} ${rest.toFixed(2).padStart(6)} ms      ` +
      `${((100 * rest) / stepMs).toFixed(1).padStart(5)} %`,
  );
}
