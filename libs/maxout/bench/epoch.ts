/**
 * Seconds per training epoch of the paper's four networks on this machine (native backend by default; set
 * LOWPREC_BACKEND=ts for the reference), fp32 and dfxp 10/12, side by side with PyTorch CPU training the same
 * networks (bench/torch_maxout.py, sent each preset's NetworkSpec as JSON) when a Python with torch is found.
 * This script installs nothing; without PyTorch it says so and reports our figures only.
 *
 *   npx tsx bench/epoch.ts [--preset P[,P…]]… [--batches N] [--rounds R] [--no-torch] [--profile]
 *
 * Timing uses one synthetic batch of each data set's shape (the arithmetic does not depend on the values); an
 * epoch's time is extrapolated from N timed batches after warm-up batches, × floor(examples / batch). The 2 cores
 * are shared: ours fp32, ours dfxp, PyTorch fp32 and PyTorch dfxp are timed alternately, R rounds, the fastest
 * kept. PyTorch is timed with several torch / OpenBLAS thread settings in the first round, the best one after.
 * `--profile` then runs the steps again with LOWPREC_PROFILE=1 and prints ms per step per kernel group.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  backendInfo,
  describeBackend,
  getBackend,
  kernelProfile,
  poolOutputSize,
  resetKernelProfile,
  type KernelName,
  type KernelProfile,
} from "@lowprec/tensor";
import { Network, NETWORK_PRESETS, resolveConfig, type NetworkPresetName } from "../src/index.js";

type Precision = "fp32" | "dfxp";
const PRESETS = Object.keys(NETWORK_PRESETS) as NetworkPresetName[];
const PRECISIONS: readonly Precision[] = ["fp32", "dfxp"];

// ** command line **

const argv = process.argv.slice(2);
function value(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new RangeError(`--${name} needs a value`);
  return v;
}
function positive(name: string): number | undefined {
  const v = value(name);
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v)) throw new RangeError(`--${name} must be a positive integer, got "${v}"`);
  return Number(v);
}
const known = new Set(["--preset", "--batches", "--rounds", "--no-torch", "--profile"]);
argv.forEach((a, i) => {
  if (a.startsWith("--") && !known.has(a)) throw new RangeError(`unknown option ${a} (known: ${[...known].join(" ")})`);
  if (!a.startsWith("--") && !["--preset", "--batches", "--rounds"].includes(argv[i - 1] ?? ""))
    throw new RangeError(`unexpected argument "${a}"`);
});
const chosen = argv
  .flatMap((a, i) => (argv[i - 1] === "--preset" ? a.split(",") : []))
  .map((p) => p.trim())
  .filter((p) => p !== "");
for (const p of chosen)
  if (!(PRESETS as string[]).includes(p)) throw new RangeError(`unknown preset "${p}" (known: ${PRESETS.join(", ")})`);
const presets = chosen.length ? PRESETS.filter((p) => chosen.includes(p)) : PRESETS;
const rounds = positive("rounds") ?? 2;
const batchesOverride = positive("batches");
const withTorch = !argv.includes("--no-torch");
const withProfile = argv.includes("--profile");

/** Examples of one training epoch (the training split the trainer sees). */
const EXAMPLES: Record<NetworkPresetName, number> = {
  "pi-mnist": 50_000,
  "mnist-conv": 50_000,
  cifar10: 45_000,
  svhn: 598_388,
};
/** Timed batches and warm-up batches by default (a few minutes in all on 2 cores). */
const DEFAULT_BATCHES: Record<NetworkPresetName, { timed: number; warmup: number }> = {
  "pi-mnist": { timed: 100, warmup: 5 },
  "mnist-conv": { timed: 4, warmup: 1 },
  cifar10: { timed: 3, warmup: 1 },
  svhn: { timed: 3, warmup: 1 },
};
const timedBatches = (p: NetworkPresetName): number => batchesOverride ?? DEFAULT_BATCHES[p].timed;
const warmupBatches = (p: NetworkPresetName): number => DEFAULT_BATCHES[p].warmup;
const batchOf = (p: NetworkPresetName): number => NETWORK_PRESETS[p].hyper.batch;
const epochBatches = (p: NetworkPresetName): number => Math.floor(EXAMPLES[p] / batchOf(p));
// NOTE: the bench steps with a fixed learning rate and momentum (timing does not depend on them)
const LR = 0.01,
  MOMENTUM = 0.5;

// ** ours **

interface Bench {
  net: Network;
  x: Float32Array;
  labels: Int32Array;
  batch: number;
}

function makeBench(preset: NetworkPresetName, precision: Precision): Bench {
  const config = resolveConfig(preset, precision, { hyper: { epochs: 1 } });
  const batch = config.hyper.batch;
  const net = new Network(config, getBackend(), batch);
  net.init();
  const [c, h, w] = NETWORK_PRESETS[preset].network.input;
  const x = new Float32Array(batch * c * h * w);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 4294967296;
  }
  return { net, x, labels: Int32Array.from({ length: batch }, (_, i) => i % 10), batch };
}

/** Wall seconds per training step over `batches` steps after `warmup` steps. */
function secondsPerBatch(b: Bench, warmup: number, batches: number): number {
  steps(b, warmup);
  const t0 = performance.now();
  steps(b, batches);
  return (performance.now() - t0) / 1000 / batches;
}
function steps(b: Bench, n: number): void {
  for (let i = 0; i < n; i++) b.net.trainStep(b.x, b.labels, b.batch, LR, MOMENTUM);
}

/** (maps, pooled height, pooled width) after each conv layer, as our layers computed them. */
function convOutputShapes(net: Network): number[][] {
  return net.layers.flatMap((l) => ("outputShape" in l ? [[...(l.outputShape as readonly number[])]] : []));
}

// ** PyTorch: one worker process per OpenBLAS thread count (read when torch loads), one JSON job per line **

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "torch_maxout.py");
// NOTE: Debian's torch is built against the generic BLAS (OpenBLAS here) with OpenMP; OpenMP and OpenBLAS
// threads together can oversubscribe 2 cores, so these settings are tried and the fastest is kept.
const THREAD_SETTINGS = [
  { torch: 2, blas: 2 },
  { torch: 1, blas: 1 },
  { torch: 1, blas: 2 },
] as const;
type ThreadSetting = (typeof THREAD_SETTINGS)[number];

class TorchWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve: (line: string) => void; reject: (e: Error) => void }[] = [];
  private stderr = "";

  constructor(python: string, blasThreads: number) {
    this.child = spawn(python, [SCRIPT], { env: { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads) } });
    this.child.stderr.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => this.waiting.shift()?.resolve(line));
    this.child.on("exit", (code) => {
      const last = this.stderr.trim().split("\n").at(-1) ?? "";
      for (const w of this.waiting.splice(0)) w.reject(new Error(`${SCRIPT} exited (${code}): ${last}`));
    });
  }

  ask<T>(job: object): Promise<T> {
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify(job)}\n`);
    }).then((line) => {
      const r = JSON.parse(line) as T | { error: string };
      if (typeof r === "object" && r !== null && "error" in r) throw new Error(`${SCRIPT}: ${r.error}`);
      return r as T;
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** A Python that imports torch, or why none does. */
function findTorchPython(): { python: string } | { reason: string } {
  const errors: string[] = [];
  for (const python of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
    if (probe.status === 0) return { python };
    errors.push(`${python}: ${(probe.stderr || probe.error?.message || "").trim().split("\n").at(-1)}`);
  }
  return { reason: errors.join("; ") };
}

interface TorchTiming {
  seconds: number;
  setting: ThreadSetting;
}

// ** the run **

const fmt = (s: number): string => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s.toFixed(2));
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(" ");
const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).stdout.trim();
const info = backendInfo();
console.log(
  `machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load average ${load()} (1, 5, 15 min)` +
    `; ${new Date().toISOString()}${git ? `, commit ${git}` : ""}`,
);
console.log(`lowprec backend ${describeBackend(info)}`);

const benches = new Map<string, Bench>();
const bench = (p: NetworkPresetName, q: Precision): Bench => {
  const key = `${p}/${q}`;
  let b = benches.get(key);
  if (!b) benches.set(key, (b = makeBench(p, q)));
  return b;
};

let workers: Map<number, TorchWorker> | undefined;
let torchNote = "";
if (withTorch) {
  const found = findTorchPython();
  if ("reason" in found)
    torchNote =
      `PyTorch not found (${found.reason}); this benchmark installs nothing` +
      `: apt-get install python3-torch to compare`;
  else {
    const blas = [...new Set(THREAD_SETTINGS.map((s) => s.blas))];
    workers = new Map(blas.map((b) => [b, new TorchWorker(found.python, b)]));
    const w = workers.get(2)!;
    const { version } = await w.ask<{ version: string }>({ kind: "info" });
    // NOTE: our poolOutputSize is cuda-convnet's; PyTorch's MaxPool2d(ceil_mode=True) must agree on every case
    const cases: number[][] = [];
    for (let size = 2; size <= 5; size++)
      for (let stride = 1; stride <= size; stride++)
        for (let n = size; n <= 40; n++) cases.push([n, size, stride, poolOutputSize(n, size, stride)]);
    const { mismatches } = await w.ask<{ mismatches: number[][] }>({ kind: "pool", cases });
    if (mismatches.length)
      throw new Error(`PyTorch pooling sizes differ from poolOutputSize: ${JSON.stringify(mismatches.slice(0, 5))}`);
    torchNote =
      `PyTorch ${version} (${found.python}, CPU)` +
      `; MaxPool2d(ceil_mode=True) = our poolOutputSize on ${cases.length} cases`;
  }
}
console.log(torchNote || "PyTorch: not asked (--no-torch)");

const ours = new Map<string, number>();
const theirs = new Map<string, TorchTiming>();
const keep = <T>(m: Map<string, T>, key: string, v: T, better: (a: T, b: T) => boolean): void => {
  const old = m.get(key);
  if (old === undefined || better(v, old)) m.set(key, v);
};

for (let round = 0; round < rounds; round++) {
  for (const preset of presets) {
    const warmup = warmupBatches(preset),
      batches = timedBatches(preset);
    process.stderr.write(`(timing ${preset}, round ${round + 1} of ${rounds})\n`);
    for (const precision of PRECISIONS) {
      const s = secondsPerBatch(bench(preset, precision), warmup, batches) * epochBatches(preset);
      keep(ours, `${preset}/${precision}`, s, (a, b) => a < b);
    }
    if (!workers) continue;
    const b = bench(preset, "fp32");
    for (const precision of PRECISIONS) {
      const key = `${preset}/${precision}`;
      const settings = round === 0 ? THREAD_SETTINGS : [theirs.get(key)!.setting];
      for (const setting of settings) {
        const r = await workers.get(setting.blas)!.ask<{ secondsPerBatch: number }>({
          kind: "time",
          network: NETWORK_PRESETS[preset].network,
          shapes: convOutputShapes(b.net),
          batch: b.batch,
          precision,
          threads: setting.torch,
          warmup,
          batches,
          learningRate: LR,
          momentum: MOMENTUM,
        });
        keep(
          theirs,
          key,
          { seconds: r.secondsPerBatch * epochBatches(preset), setting },
          (x, y) => x.seconds < y.seconds,
        );
      }
    }
  }
}
for (const w of workers?.values() ?? []) w.close();

console.log(
  `\nseconds per training epoch, extrapolated from timed batches after warm-up; best of ${rounds} round(s)` +
    `, timed alternately (ours fp32, ours dfxp, torch fp32, torch dfxp)`,
);
const rows: string[][] = [
  [
    "preset",
    "examples",
    "batch",
    "timed",
    "ours fp32",
    "ours dfxp",
    "dfxp/fp32",
    "torch fp32",
    "torch dfxp",
    "ours/torch",
  ],
];
for (const preset of presets) {
  const f = ours.get(`${preset}/fp32`)!,
    d = ours.get(`${preset}/dfxp`)!;
  const tf = theirs.get(`${preset}/fp32`),
    td = theirs.get(`${preset}/dfxp`);
  rows.push([
    preset,
    EXAMPLES[preset].toLocaleString("en-US"),
    String(batchOf(preset)),
    `${warmupBatches(preset)}+${timedBatches(preset)}`,
    `${fmt(f)} s`,
    `${fmt(d)} s`,
    `${(d / f).toFixed(2)}×`,
    tf ? `${fmt(tf.seconds)} s` : "–",
    td ? `${fmt(td.seconds)} s` : "–",
    tf ? `${(f / tf.seconds).toFixed(2)}×` : "–",
  ]);
}
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
for (const r of rows)
  console.log(`  ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join("  ")}`);
console.log(
  "  timed = warm-up + timed batches; dfxp/fp32 = our dfxp 10/12 over our fp32 (target ≤ 1.3×)" +
    "; ours/torch = our fp32 over PyTorch fp32 (target ≤ 1); torch dfxp = the same rounding written in PyTorch",
);
if (workers)
  for (const preset of presets)
    console.log(
      `  PyTorch thread settings kept, ${preset}: ` +
        PRECISIONS.map((p) => {
          const s = theirs.get(`${preset}/${p}`)!.setting;
          return `${p} ${s.torch} torch thread(s), OPENBLAS_NUM_THREADS=${s.blas}`;
        }).join("; "),
    );

// ** per-kernel profile **

const GROUPS: readonly { name: string; kernels: readonly KernelName[] }[] = [
  { name: "conv forward", kernels: ["conv2dForward"] },
  { name: "conv backward-data", kernels: ["conv2dBackwardData"] },
  { name: "conv backward-filter", kernels: ["conv2dBackwardFilter"] },
  { name: "pooling (fwd+bwd)", kernels: ["maxPoolForward", "maxPoolBackward"] },
  { name: "maxout (fwd+bwd)", kernels: ["maxoutForward", "maxoutBackward"] },
  { name: "bias", kernels: ["biasAdd", "biasGrad"] },
  { name: "dropout", kernels: ["dropoutMask", "applyMask"] },
  { name: "quantize", kernels: ["quantize"] },
  { name: "update", kernels: ["axpby", "add", "columnNorms", "scaleColumns", "scale"] },
  { name: "gemm (dense layers)", kernels: ["gemm"] },
  { name: "other kernels", kernels: ["softmaxCrossEntropyForward", "softmaxCrossEntropyBackward"] },
];

function profileSteps(preset: NetworkPresetName, precision: Precision): { profile: KernelProfile; stepMs: number } {
  const b = makeBench(preset, precision);
  const n = timedBatches(preset);
  steps(b, warmupBatches(preset));
  resetKernelProfile();
  const stepMs = secondsPerBatch(b, 0, n) * 1000;
  const profile = kernelProfile();
  for (const k of Object.keys(profile) as KernelName[])
    profile[k] = { calls: profile[k].calls / n, ms: profile[k].ms / n };
  return { profile, stepMs };
}

if (withProfile) {
  process.env["LOWPREC_PROFILE"] = "1";
  console.log(
    `\nper-kernel profile (LOWPREC_PROFILE=1): ms per training step by kernel group, share of the step` +
      `; a kernel's fused rounding counts in that kernel; load average ${load()}`,
  );
  for (const preset of presets) {
    process.stderr.write(`(profiling ${preset})\n`);
    const runs = PRECISIONS.map((p) => profileSteps(preset, p));
    const table: string[][] = [
      [`${preset} (${timedBatches(preset)} steps)`, ...PRECISIONS.flatMap((p) => [p, "", "calls"])],
    ];
    const cell = (ms: number, stepMs: number): string[] => [ms.toFixed(2), `${((100 * ms) / stepMs).toFixed(1)} %`];
    for (const g of GROUPS)
      table.push([
        g.name,
        ...runs.flatMap((r) => {
          const ms = g.kernels.reduce((s, k) => s + r.profile[k].ms, 0),
            calls = g.kernels.reduce((s, k) => s + r.profile[k].calls, 0);
          return [...cell(ms, r.stepMs), String(Math.round(calls))];
        }),
      ]);
    const inKernels = runs.map((r) => Object.values(r.profile).reduce((s, t) => s + t.ms, 0));
    table.push(["outside kernels (JS)", ...runs.flatMap((r, i) => [...cell(r.stepMs - inKernels[i]!, r.stepMs), ""])]);
    table.push(["step", ...runs.flatMap((r) => [r.stepMs.toFixed(2), "100 %", ""])]);
    const w = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    for (const r of table)
      console.log(`  ${r.map((v, c) => (c === 0 ? v.padEnd(w[c]!) : v.padStart(w[c]!))).join("  ")}`);
  }
  delete process.env["LOWPREC_PROFILE"];
}
console.log(`\nload average at the end ${load()}`);
