/**
 * Seconds per training epoch of the paper's four networks on this machine (native backend by default; set
 * LOWPREC_BACKEND=ts for the reference), fp32 and dfxp 10/12, side by side with PyTorch CPU training the same
 * networks (bench/torch_maxout.py, sent each preset's NetworkSpec as JSON) when a Python with torch is found.
 * This script installs nothing; without PyTorch it says so and reports our figures only.
 *
 *   npx tsx bench/epoch.ts [--preset P[,P…]]… [--batches N] [--rounds R] [--no-torch] [--profile]
 *                          [--isa avx512,avx2[,portable]] [--mx]
 *
 * Timing uses one synthetic batch of each data set's shape (the arithmetic does not depend on the values); an
 * epoch's time is extrapolated from N timed batches after warm-up batches, × floor(examples / batch). The 2 cores
 * are shared: ours fp32, ours dfxp, PyTorch fp32 and PyTorch dfxp are timed alternately, R rounds, the fastest
 * kept. PyTorch is timed with several torch / OpenBLAS thread settings in the first round, the best one after.
 * `--profile` then runs the steps again with LOWPREC_PROFILE=1 and prints ms per step per kernel group.
 *
 * Every run also prints, per preset, the useful FLOPs of a training step (2 × 3 × the forward MACs of
 * @lowprec/hwcost's count of the network × the batch), the GFLOP/s our fp32 step achieves, and its share of this
 * machine's sgemm peak (a 2048³ sgemm through the addon, OpenBLAS, the same threads and environment; best of 5).
 * `--isa avx512,avx2[,portable]` runs all of it once per SIMD path, each in a child process with LOWPREC_SIMD set;
 * on the avx2 path also OPENBLAS_CORETYPE=Haswell, ONEDNN_MAX_CPU_ISA=AVX2, DNNL_MAX_CPU_ISA=AVX2 and (PyTorch)
 * ATEN_CPU_CAPABILITY=avx2, so that the libraries take their AVX2 kernels too (an AVX2 host emulated on an AVX-512
 * one); then one table per path. `--mx` also times our MXFP8 setting (block-scaled products, METHOD.md §8.6) in the
 * same rounds, alternately with the others, and prints its epoch over our fp32 epoch (PyTorch has no MX to compare).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { countNetwork, loadNetworks, type LayerShape } from "@lowprec/hwcost";
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
  SIMD_PATHS,
  simdPaths,
  type KernelName,
  type KernelProfile,
  type SimdPath,
} from "@lowprec/tensor";
import { Network, NETWORK_PRESETS, resolveConfig, type NetworkPresetName, type NetworkSpec } from "../src/index.js";

type Precision = "fp32" | "dfxp" | "mxfp8";
const PRESETS = Object.keys(NETWORK_PRESETS) as NetworkPresetName[];
/** The settings timed on both sides (ours and PyTorch's). */
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
const known = new Set(["--preset", "--batches", "--rounds", "--no-torch", "--profile", "--isa", "--mx"]);
argv.forEach((a, i) => {
  if (a.startsWith("--") && !known.has(a)) throw new RangeError(`unknown option ${a} (known: ${[...known].join(" ")})`);
  if (!a.startsWith("--") && !["--preset", "--batches", "--rounds", "--isa"].includes(argv[i - 1] ?? ""))
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
/** ours only: MXFP8 beside fp32 and dfxp */
const OURS: readonly Precision[] = argv.includes("--mx") ? [...PRECISIONS, "mxfp8"] : PRECISIONS;
const withProfile = argv.includes("--profile");
const isas = (value("isa") ?? "")
  .split(",")
  .map((p) => p.trim())
  .filter((p) => p !== "");
for (const p of isas)
  if (!(SIMD_PATHS as readonly string[]).includes(p))
    throw new RangeError(`--isa: unknown path "${p}" (known: ${SIMD_PATHS.join(", ")})`);

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

// ** useful FLOPs per step (@lowprec/hwcost's MAC counts) and the machine's sgemm peak **

/** The preset's network as @lowprec/hwcost counts it (conv at stride 1, its cuda-convnet pooling). */
function hwcostLayers(spec: NetworkSpec): LayerShape[] {
  let [c, h, w] = spec.input;
  let values = c * h * w;
  return spec.layers.map((l): LayerShape => {
    if (l.kind === "maxout-conv") {
      const pool = { size: l.poolSize, stride: l.poolStride };
      const { maps, pieces, kernel, padding } = l;
      const shape: LayerShape = {
        kind: "conv",
        inChannels: c,
        height: h,
        width: w,
        maps,
        pieces,
        kernel,
        padding,
        stride: 1,
        pool,
      };
      h = poolOutputSize(h + 2 * l.padding - l.kernel + 1, l.poolSize, l.poolStride);
      w = poolOutputSize(w + 2 * l.padding - l.kernel + 1, l.poolSize, l.poolStride);
      c = l.maps;
      values = c * h * w;
      return shape;
    }
    if (l.kind === "maxout-dense") {
      const shape: LayerShape = { kind: "dense", inputs: values, units: l.units, pieces: l.pieces };
      values = l.units;
      return shape;
    }
    return { kind: "softmax", inputs: values, classes: l.classes };
  });
}

/**
 * Useful FLOPs of one training step: forward, input gradient and weight gradient, each as many MACs as the forward
 * pass, 2 FLOPs per MAC, × the batch. The MACs are @lowprec/hwcost's count of the network in its networks.json, checked
 * against the preset's NetworkSpec (the count of the spec is used, and said, where they differ).
 */
function usefulFlops(preset: NetworkPresetName): { flops: number; note: string } {
  const { network, hyper } = NETWORK_PRESETS[preset];
  const count = (layers: readonly LayerShape[]) =>
    countNetwork({ layers, batch: hyper.batch, trainExamples: EXAMPLES[preset] }).forwardMacsPerExample;
  const spec = count(hwcostLayers(network));
  const entry = loadNetworks().networks.find((n) => n.id === preset);
  const listed = entry === undefined ? undefined : count(entry.layers);
  const note =
    listed === spec
      ? "hwcost networks.json"
      : listed === undefined
        ? "hwcost count of the preset (not in networks.json)"
        : `hwcost count of the preset (networks.json: ${listed} MACs per example)`;
  return { flops: 2 * 3 * spec * hyper.batch, note };
}

/** GFLOP/s of a 2048³ sgemm through the addon (OpenBLAS when linked), best of 5 after a warm-up call. */
function sgemmPeak(): number {
  const n = 2048,
    be = getBackend();
  let s = 99;
  const fill = () =>
    Float32Array.from({ length: n * n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296 - 0.5;
    });
  const a = fill(),
    b = fill(),
    c = new Float32Array(n * n);
  let best = Infinity;
  for (let r = 0; r < 6; r++) {
    const t0 = performance.now();
    be.gemm({ m: n, n, k: n, a, b, c });
    if (r > 0) best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return (2 * n ** 3) / best / 1e9;
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
const machine = (): string =>
  `machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load average ${load()} (1, 5, 15 min)` +
  `; ${new Date().toISOString()}${git ? `, commit ${git}` : ""}`;
/** A table with its first column left-aligned and the others right-aligned, two spaces in. */
function printTable(rows: string[][]): void {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(`  ${r.map((v, c) => (c === 0 ? v.padEnd(w[c]!) : v.padStart(w[c]!))).join("  ")}`);
}

// ** --isa: this bench once per SIMD path, in child processes **

/** The environment of a path's run beside LOWPREC_SIMD: on avx2, the libraries limited to their AVX2 kernels too. */
const ISA_ENV: Record<SimdPath, Record<string, string>> = {
  avx512: {},
  avx2: {
    OPENBLAS_CORETYPE: "Haswell",
    ONEDNN_MAX_CPU_ISA: "AVX2",
    DNNL_MAX_CPU_ISA: "AVX2",
    ATEN_CPU_CAPABILITY: "avx2",
  },
  portable: {},
};
/** What a child run reports to the parent (one line on stdout, after this tag). */
const JSON_TAG = "@@epoch-bench ";
interface PathReport {
  simd: string;
  peak: number;
  rows: { preset: string; fp32: number; dfxp: number; torch?: number; flops: number }[];
}

if (isas.length > 0) {
  const runs = simdPaths();
  for (const p of isas)
    if (!(runs as string[]).includes(p))
      throw new RangeError(`--isa: this machine does not run the ${p} kernels (it runs: ${runs.join(", ") || "none"})`);
  const rest = argv.filter((a, i) => a !== "--isa" && argv[i - 1] !== "--isa");
  console.log(machine());
  console.log(`SIMD paths, one child process each: ${isas.join(", ")}`);
  const reports: { path: string; env: string; report: PathReport }[] = [];
  for (const path of isas as SimdPath[]) {
    const env = { LOWPREC_SIMD: path, ...ISA_ENV[path] };
    const envText = Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    console.log(`\n=== SIMD path ${path}: ${envText}`);
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...rest], {
      env: { ...process.env, ...env, LOWPREC_BENCH_REPORT: "1" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let report: PathReport | undefined;
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    for await (const line of createInterface({ input: child.stdout }))
      if (line.startsWith(JSON_TAG)) report = JSON.parse(line.slice(JSON_TAG.length)) as PathReport;
      else console.log(`  ${line}`);
    const code = await closed;
    if (code !== 0 || report === undefined) throw new Error(`the ${path} run failed (exit ${String(code)})`);
    reports.push({ path, env: envText, report });
  }
  console.log("\nms per training step by SIMD path (each the best of its rounds; the host's load moves them)");
  for (const { path, env, report } of reports) {
    console.log(`\n${path} (${env}); kernels ${report.simd}; sgemm peak ${report.peak.toFixed(1)} GFLOP/s`);
    printTable([
      [
        "preset",
        "ours fp32",
        "ours dfxp",
        "dfxp/fp32",
        "PyTorch fp32",
        "ours/PyTorch",
        "GFLOP/step",
        "GFLOP/s",
        "of peak",
      ],
      ...report.rows.map((r) => [
        r.preset,
        `${(r.fp32 * 1000).toFixed(1)} ms`,
        `${(r.dfxp * 1000).toFixed(1)} ms`,
        `${(r.dfxp / r.fp32).toFixed(2)}×`,
        r.torch === undefined ? "–" : `${(r.torch * 1000).toFixed(1)} ms`,
        r.torch === undefined ? "–" : `${(r.fp32 / r.torch).toFixed(2)}×`,
        (r.flops / 1e9).toFixed(2),
        (r.flops / r.fp32 / 1e9).toFixed(1),
        `${((100 * r.flops) / r.fp32 / 1e9 / report.peak).toFixed(0)} %`,
      ]),
    ]);
  }
  console.log(`\nload average at the end ${load()}`);
  process.exit(0);
}

const info = backendInfo();
console.log(machine());
console.log(`lowprec backend ${describeBackend(info)}`);
const isaVars = ["LOWPREC_SIMD", ...new Set(Object.values(ISA_ENV).flatMap((e) => Object.keys(e)))];
const setVars = isaVars.filter((k) => process.env[k]).map((k) => `${k}=${process.env[k]}`);
console.log(
  `SIMD path ${info.simd ?? "(none: TypeScript backend)"}` +
    `; ${setVars.length ? setVars.join(" ") : "LOWPREC_SIMD and the libraries' ISA variables unset (their best)"}`,
);
const peak = sgemmPeak();
console.log(
  `sgemm 2048³ through the addon (${info.blas ? "OpenBLAS" : "own kernel"}, ${info.threads} thread(s) of ours` +
    `, OPENBLAS_NUM_THREADS=${process.env["OPENBLAS_NUM_THREADS"] ?? "unset"}): ${peak.toFixed(1)} GFLOP/s, best of 5`,
);

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
    for (const precision of OURS) {
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
printTable(rows);
if (OURS.includes("mxfp8")) {
  const mxRows = [["preset", "ours fp32", "ours mxfp8", "mxfp8/fp32"]];
  for (const preset of presets) {
    const f = ours.get(`${preset}/fp32`)!,
      m = ours.get(`${preset}/mxfp8`)!;
    mxRows.push([preset, `${fmt(f)} s`, `${fmt(m)} s`, `${(m / f).toFixed(2)}×`]);
  }
  console.log("\nMXFP8 (every product's operands in blocks of 32, METHOD.md §8.6), timed in the same rounds:");
  printTable(mxRows);
  console.log("  mxfp8/fp32 = our MXFP8 epoch over our fp32 epoch (target ≤ 1.3×)");
}
console.log(
  "  timed = warm-up + timed batches; dfxp/fp32 = our dfxp 10/12 over our fp32 (target ≤ 1.15×)" +
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

// per training step, with the useful FLOPs: what fraction of the sgemm peak a step reaches
const report: PathReport = { simd: info.simd ?? "ts", peak, rows: [] };
const stepRows: string[][] = [
  ["preset", "ours fp32", "ours dfxp", "dfxp/fp32", "PyTorch fp32", "ours/PyTorch", "GFLOP/step", "GFLOP/s", "of peak"],
];
const flopNotes = new Set<string>();
for (const preset of presets) {
  const step = (s: number) => s / epochBatches(preset);
  const f = step(ours.get(`${preset}/fp32`)!),
    d = step(ours.get(`${preset}/dfxp`)!);
  const tf = theirs.get(`${preset}/fp32`);
  const t = tf === undefined ? undefined : step(tf.seconds);
  const { flops, note } = usefulFlops(preset);
  flopNotes.add(`${preset}: ${note}`);
  report.rows.push({ preset, fp32: f, dfxp: d, flops, ...(t !== undefined ? { torch: t } : {}) });
  stepRows.push([
    preset,
    `${(f * 1000).toFixed(1)} ms`,
    `${(d * 1000).toFixed(1)} ms`,
    `${(d / f).toFixed(2)}×`,
    t === undefined ? "–" : `${(t * 1000).toFixed(1)} ms`,
    t === undefined ? "–" : `${(f / t).toFixed(2)}×`,
    (flops / 1e9).toFixed(2),
    (flops / f / 1e9).toFixed(1),
    `${((100 * flops) / f / 1e9 / peak).toFixed(0)} %`,
  ]);
}
console.log(`\nper training step (SIMD path ${report.simd}; sgemm peak ${peak.toFixed(1)} GFLOP/s)`);
printTable(stepRows);
console.log(
  "  GFLOP/step = useful FLOPs of a step: 2 × 3 × forward MACs × batch (forward, input and weight gradients);" +
    ` GFLOP/s and "of peak" for our fp32 step. MACs: ${[...flopNotes].join("; ")}`,
);
if (process.env["LOWPREC_BENCH_REPORT"] === "1") console.log(`${JSON_TAG}${JSON.stringify(report)}`);

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
  { name: "quantize MX", kernels: ["quantizeMx"] },
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
    const runs = OURS.map((p) => profileSteps(preset, p));
    const table: string[][] = [[`${preset} (${timedBatches(preset)} steps)`, ...OURS.flatMap((p) => [p, "", "calls"])]];
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
