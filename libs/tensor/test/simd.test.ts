/**
 * The SIMD paths of the native kernels (native/src/simd.h): the paths this CPU runs (against /proc/cpuinfo), every
 * dispatched kernel with the same bits and statistics on every path (against the portable path; parity.test.ts and
 * conv-pool-paths.test.ts hold each path to the TypeScript reference), the path taken from LOWPREC_SIMD when the addon
 * loads (child processes), one clear line for a bad value or a path the CPU lacks, and the compiled objects: each
 * path's code is what its name says, and no symbol is shared between the paths' objects (the linker would keep one
 * copy, possibly another path's instructions).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  bfloat16,
  binary16,
  dynamicFixed,
  fixed,
  float,
  fp8e4m3,
  fp8e5m2,
  identity,
  type Format,
  type RoundingMode,
} from "@lowprec/formats";
import {
  getBackend,
  poolOutputSize,
  setNativeBlas,
  simdPaths,
  withSimd,
  type Backend,
  type QuantizeSpec,
  type SimdPath,
} from "../src/index.js";
import { createNativeBackend, loadAddon } from "../src/backends/native.js";
import { rng, SIMD } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const DIST = new URL("../dist/index.js", import.meta.url).href;
const ADDON = join(here, "..", "native", "build", "Release", "lowprec_tensor.node");
const available = SIMD.length > 0;

// ** the battery: every dispatched kernel, fused quantize included, on data with ties, ±0, ±Inf and NaN **

type Out = Record<string, number[]>;
const bits = (a: Float32Array | Int32Array | Uint8Array): number[] =>
  a instanceof Float32Array ? [...new Uint32Array(a.buffer, a.byteOffset, a.length)] : [...a];

/** Values on a coarse grid (ties) with NaN, ±0, ±Inf, subnormals and a spread of magnitudes sprinkled in. */
function data(n: number, r: () => number): Float32Array {
  const special = [Number.NaN, 0, -0, Infinity, -Infinity, 1e-40, -3e-39, 65504, 65520, 3e38, 2 ** -25];
  return Float32Array.from({ length: n }, () => {
    const u = r();
    if (u < 0.03) return special[Math.floor(r() * special.length)]!;
    if (u < 0.5) return Math.round((r() * 2 - 1) * 6) / 4;
    return (r() < 0.5 ? -1 : 1) * 2 ** (r() * 40 - 20) * (1 + r());
  });
}

const FORMATS: [string, Format, number?][] = [
  ["binary16", binary16],
  ["bfloat16", bfloat16],
  ["fp8e4m3", fp8e4m3],
  ["fp8e5m2", fp8e5m2],
  ["e5m10 no subnormals", float({ exponent: 5, mantissa: 10, subnormals: false, name: "e5m10-nosub" })],
  ["e5m2 saturating", float({ exponent: 5, mantissa: 2, overflow: "saturate", name: "e5m2-sat" })],
  ["fixed 20/5", fixed({ bits: 20, integerBits: 5 })],
  ["fixed 32/5 (float64 lanes)", fixed({ bits: 32, integerBits: 5 })],
  ["dynamic fixed 10/3", dynamicFixed({ bits: 10 }), 3],
  ["dynamic fixed 10/-3", dynamicFixed({ bits: 10 }), -3],
  ["identity", identity],
];
const MODES: RoundingMode[] = ["nearest-even", "nearest-away", "toward-zero", "stochastic"];
// a stochastic stream whose draws cross a 2^32 counter boundary in the middle of the arrays
const q = (format: Format, rounding: RoundingMode, integerBits?: number): QuantizeSpec => ({
  format,
  rounding,
  ...(integerBits !== undefined ? { integerBits } : {}),
  rng: { seed: 77, counter: 2 ** 32 - 20_000 },
});

function battery(be: Backend): Out {
  const out: Out = {};
  const r = rng(2024);
  const put = (key: string, arrays: (Float32Array | Int32Array | Uint8Array)[], extra?: unknown) => {
    out[key] = arrays.flatMap(bits);
    if (extra !== undefined) out[`${key} (result)`] = [...new Uint32Array(new Float64Array([...flat(extra)]).buffer)];
  };
  const flat = (v: unknown): number[] =>
    typeof v === "number" ? [v] : v && typeof v === "object" ? Object.values(v).flatMap(flat) : [];

  const x = data(50_003, r);
  for (const [label, format, ib] of FORMATS)
    for (const rounding of MODES) {
      const y = new Float32Array(x.length);
      const stats = be.quantize({ x, y, ...q(format, rounding, ib) });
      put(`quantize ${label} ${rounding}`, [y], stats);
    }
  const ones = x.map((v) => (Number.isFinite(v) ? v : 1));
  const fused: [string, Format, RoundingMode, number?][] = [
    ["dfxp stochastic", dynamicFixed({ bits: 10 }), "stochastic", 2],
    ["binary16 nearest-even", binary16, "nearest-even"],
    ["fp8e4m3 stochastic", fp8e4m3, "stochastic"],
    ["fixed nearest-away", fixed({ bits: 12, integerBits: 4 }), "nearest-away"],
  ];
  for (const [label, format, rounding, ib] of fused) {
    const qs = () => q(format, rounding, ib);
    const n = 20_000,
      a = x.subarray(0, n),
      b = x.subarray(n, 2 * n);
    let y = new Float32Array(n);
    put(`add ${label}`, [y], be.add({ a, b, y, quantize: qs() }));
    y = b.slice();
    put(`axpby ${label}`, [y], be.axpby({ alpha: 0.9, x: a, beta: -0.01, y, quantize: qs() }));
    y = new Float32Array(n);
    put(`scale ${label}`, [y], be.scale({ alpha: 1 / 3, x: a, y, quantize: qs() }));
    y = new Float32Array(n);
    const cols = 125,
      rows = n / cols;
    put(
      `scaleColumns ${label}`,
      [y],
      be.scaleColumns({ rows, cols, w: a, factors: ones.subarray(0, cols), y, quantize: qs() }),
    );
    y = new Float32Array(n);
    put(
      `biasAdd ${label}`,
      [y],
      be.biasAdd({ batch: 4, channels: 10, spatial: 500, x: a, bias: ones.subarray(0, 10), y, quantize: qs() }),
    );
    const db = new Float32Array(10);
    put(
      `biasGrad ${label}`,
      [db],
      be.biasGrad({ batch: 4, channels: 10, spatial: 500, dy: ones.subarray(0, n), db, quantize: qs() }),
    );
    // dense layers (spatial 1): the rows of images, vectorised over the channels
    y = new Float32Array(n);
    put(
      `biasAdd dense ${label}`,
      [y],
      be.biasAdd({ batch: 200, channels: 100, spatial: 1, x: a, bias: ones.subarray(0, 100), y, quantize: qs() }),
    );
    const dbDense = new Float32Array(100);
    put(
      `biasGrad dense ${label}`,
      [dbDense],
      be.biasGrad({ batch: 200, channels: 100, spatial: 1, dy: ones.subarray(0, n), db: dbDense, quantize: qs() }),
    );
    const labels = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 10);
    const probs = ones.subarray(0, 2000).map(Math.abs);
    y = new Float32Array(2000);
    put(
      `softmax backward ${label}`,
      [y],
      be.softmaxCrossEntropyBackward({
        batch: 200,
        classes: 10,
        probs,
        labels,
        dlogits: y,
        scale: 0.1,
        quantize: qs(),
      }),
    );
  }
  const logits = ones.subarray(0, 1280).map((v) => Math.max(-30, Math.min(30, v)));
  const probs = new Float32Array(1280);
  const labels = Int32Array.from({ length: 128 }, (_, i) => i % 10);
  put("softmax forward", [probs], be.softmaxCrossEntropyForward({ batch: 128, classes: 10, logits, labels, probs }));

  for (const [N, U, K, S] of [
    [7, 5, 3, 1],
    [4, 6, 2, 37],
    [3, 4, 4, 300],
    [2, 3, 5, 1000],
  ] as const) {
    const xm = data(N * U * K * S, r),
      y = new Float32Array(N * U * S),
      argmax = new Int32Array(y.length);
    const shape = { batch: N, units: U, pieces: K, spatial: S };
    put(`maxout forward ${N}×${U}×${K}×${S}`, [y, argmax], be.maxoutForward({ ...shape, x: xm, y, argmax }));
    const dy = data(y.length, r);
    for (const ties of ["all", "first"] as const) {
      const dx = new Float32Array(xm.length);
      const st = be.maxoutBackward({ ...shape, x: xm, argmax, dy, dx, ties, quantize: q(fp8e5m2, "stochastic") });
      put(`maxout backward ${ties} ${N}×${U}×${K}×${S}`, [dx], st);
    }
  }

  for (const [N, C, H, W, size, stride] of [
    [2, 5, 21, 21, 4, 2],
    [1, 3, 32, 32, 3, 2],
    [2, 4, 16, 16, 3, 2],
    [2, 7, 9, 9, 4, 2],
    [2, 3, 6, 6, 2, 2],
    [1, 3, 12, 12, 3, 2],
    [1, 2, 9, 7, 2, 2],
    [1, 3, 40, 37, 4, 3],
    [1, 2, 9, 70, 3, 2],
    [1, 1, 140, 5, 3, 2],
    [2, 3, 10, 11, 1, 3],
    [3, 4, 17, 17, 5, 1],
  ] as const) {
    const xp = data(N * C * H * W, r);
    const n = N * C * poolOutputSize(H, size, stride) * poolOutputSize(W, size, stride);
    const y = new Float32Array(n),
      argmax = new Int32Array(n);
    const shape = { batch: N, channels: C, height: H, width: W, size, stride };
    const label = `${N}×${C}×${H}×${W} ${size}/${stride}`;
    put(`max pool forward ${label}`, [y, argmax], be.maxPoolForward({ ...shape, x: xp, y, argmax }));
    const dy = data(n, r);
    for (const ties of ["all", "first"] as const) {
      const dx = new Float32Array(xp.length);
      const st = be.maxPoolBackward({
        ...shape,
        x: xp,
        argmax,
        dy,
        dx,
        ties,
        quantize: q(dynamicFixed({ bits: 8 }), "stochastic", 1),
      });
      put(`max pool backward ${ties} ${label}`, [dx], st);
    }
  }

  for (const keepProb of [0, 0.3, 0.8, 1 - 2 ** -40, 1]) {
    const mask = new Uint8Array(40_001);
    be.dropoutMask({ mask, keepProb, rng: { seed: 5, counter: 2 ** 32 - 30_000 } });
    const y = new Float32Array(mask.length);
    be.applyMask({ x: x.subarray(0, mask.length), mask, y });
    put(`dropout ${keepProb}`, [mask, y]);
  }
  // attention's batched products: register tiles (whole and partial in rows and columns) and the plain loop
  for (const [batch, m, n, k] of [
    [128, 16, 16, 16],
    [3, 19, 35, 6],
    [2, 7, 9, 5],
    [1, 33, 64, 17],
  ] as const)
    for (const transA of [false, true])
      for (const transB of [false, true]) {
        const c = new Float32Array(batch * m * n);
        const st = be.batchedMatmul({
          batch,
          m,
          n,
          k,
          a: ones.subarray(0, batch * m * k),
          b: ones.subarray(40_000 - batch * k * n, 40_000),
          c,
          transA,
          transB,
          alpha: 0.25,
          quantize: q(dynamicFixed({ bits: 10 }), "stochastic", 4),
        });
        put(`batchedMatmul ${batch}×${m}×${n}×${k} ${transA} ${transB}`, [c], st);
        const c2 = new Float32Array(batch * m * n);
        const [a2, b2] = [ones.subarray(1, 1 + batch * m * k), ones.subarray(2, 2 + batch * k * n)];
        be.batchedMatmul({ batch, m, n, k, a: a2, b: b2, c: c2, transA, transB });
        put(`batchedMatmul unrounded ${batch}×${m}×${n}×${k} ${transA} ${transB}`, [c2]);
      }
  const norms = new Float32Array(300);
  be.columnNorms({ rows: 166, cols: 300, w: ones.subarray(0, 49_800), norms });
  put("columnNorms", [norms]);

  // the own blocked gemm (OpenBLAS off) and the im2col convolutions on it, with a fused quantize
  const g = data(160_000, r).map((v) => (Number.isFinite(v) ? v : -1.5));
  setNativeBlas(false);
  const dnnl = loadAddon();
  dnnl.useDnnl?.(false);
  try {
    for (const [m, n, k] of [
      [5, 600, 257],
      [33, 1030, 9],
      [129, 70, 300],
    ] as const)
      for (const transA of [false, true])
        for (const transB of [false, true]) {
          const c = g.subarray(0, m * n).slice();
          const st = be.gemm({
            m,
            n,
            k,
            a: g.subarray(0, m * k),
            b: g.subarray(1000, 1000 + k * n),
            c,
            transA,
            transB,
            alpha: 0.75,
            beta: transA ? 0.5 : 0,
            quantize: q(bfloat16, "stochastic"),
          });
          put(`own gemm ${m}×${n}×${k} ${transA} ${transB}`, [c], st);
        }
    const s = { batch: 3, inChannels: 4, height: 11, width: 9, outChannels: 5, kernelH: 3, kernelW: 4 };
    const geo = { ...s, padH: 1, padW: 2, strideH: 2, strideW: 1 };
    const oh = Math.floor((11 + 2 - 3) / 2) + 1,
      ow = Math.floor((9 + 4 - 4) / 1) + 1;
    const xc = ones.subarray(0, 3 * 4 * 11 * 9),
      w = ones.subarray(500, 500 + 5 * 4 * 3 * 4);
    const yc = new Float32Array(3 * 5 * oh * ow);
    put(
      "conv forward (im2col)",
      [yc],
      be.conv2dForward({ ...geo, x: xc, w, y: yc, quantize: q(fp8e4m3, "stochastic") }),
    );
    const dx = new Float32Array(xc.length);
    put(
      "conv backward data (im2col)",
      [dx],
      be.conv2dBackwardData({ ...geo, dy: yc, w, dx, quantize: q(binary16, "nearest-even") }),
    );
    const dw = new Float32Array(w.length);
    put(
      "conv backward filter (im2col)",
      [dw],
      be.conv2dBackwardFilter({
        ...geo,
        x: xc,
        dy: yc,
        dw,
        quantize: q(fixed({ bits: 16, integerBits: 8 }), "toward-zero"),
      }),
    );
  } finally {
    setNativeBlas(true);
    dnnl.useDnnl?.(true);
  }
  return out;
}

describe.skipIf(!available)("SIMD paths of the native kernels", () => {
  it("the paths that run here follow the CPU's flags (/proc/cpuinfo), best first; the default is the best", () => {
    const paths = simdPaths();
    expect(paths.at(-1)).toBe("portable");
    if (platform() === "linux" && arch() === "x64") {
      const flags = new Set(
        (readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? "").trim().split(/\s+/),
      );
      const has = (...f: string[]) => f.every((x) => flags.has(x));
      const avx2 = has("avx2", "fma", "f16c");
      const want: SimdPath[] = [
        ...(avx2 && has("avx512f", "avx512bw", "avx512vl", "avx512dq") ? (["avx512"] as const) : []),
        ...(avx2 ? (["avx2"] as const) : []),
        "portable",
      ];
      expect(paths).toEqual(want);
    } else if (arch() !== "x64") expect(paths).toEqual(["portable"]);
    const asked = process.env["LOWPREC_SIMD"];
    expect(getBackend("native").info.simd).toBe(asked ? asked : paths[0]);
  });

  it("withSimd runs each kernel on its path and puts the active path back after the call", () => {
    const addon = loadAddon();
    const seen: string[] = [];
    const spy = {
      ...addon,
      scale: (...args: Parameters<typeof addon.scale>) => {
        seen.push(addon.info().simd ?? "");
        addon.scale(...args);
      },
    };
    const before = addon.info().simd;
    for (const path of SIMD) {
      const be = createNativeBackend(spy, undefined, path);
      expect(be.info.simd).toBe(path);
      be.scale({ alpha: 2, x: Float32Array.of(1, 2), y: new Float32Array(2) });
      expect(addon.info().simd).toBe(before);
    }
    expect(seen).toEqual(SIMD);
    expect(() => withSimd("avx1" as SimdPath)).toThrow(
      'withSimd(path): path must be "avx512", "avx2" or "portable", got "avx1"',
    );
  });

  let portable: Out | undefined;
  const reference = (): Out => (portable ??= battery(withSimd("portable")));
  for (const path of SIMD.filter((p) => p !== "portable"))
    it(`[${path}] every dispatched kernel gives the portable path's bits and statistics`, () => {
      const got = battery(withSimd(path));
      expect(Object.keys(got)).toEqual(Object.keys(reference()));
      for (const [key, want] of Object.entries(reference())) {
        const g = got[key]!;
        const i = g.findIndex((v, j) => v !== want[j]);
        expect(i === -1 && g.length === want.length, `${key}: first difference at ${i}`).toBe(true);
      }
    });

  it("the battery is not trivial: NaN, ties and rounding show in the portable path's results", () => {
    const ref = reference();
    const pool = ref["max pool forward 1×3×32×32 3/2"]!;
    expect(pool.some((v) => v === 0x7fc00000)).toBe(true); // a window holding a NaN
    expect(new Set(ref["quantize dynamic fixed 10/3 stochastic"]).size).toBeGreaterThan(100);
    expect(ref["dropout 0.3"]!.slice(0, 40_001).filter((v) => v === 1).length).toBeGreaterThan(10_000);
  });
});

// ** LOWPREC_SIMD, read when the addon loads: child processes **

interface ChildResult {
  info?: { simd?: string; name: string };
  text?: string;
  error?: string;
  available?: { available: boolean; reason?: string };
  hash?: string;
}
function child(env: Record<string, string>, extra = ""): ChildResult {
  const code = `
    const t = await import(${JSON.stringify(DIST)});
    const out = { available: t.nativeAvailable() };
    try {
      const be = t.getBackend();
      out.info = be.info;
      out.text = t.describeBackend(be.info);
      ${extra}
    } catch (e) { out.error = e.message; }
    console.log(JSON.stringify(out));`;
  const clean = { ...process.env };
  for (const k of ["LOWPREC_SIMD", "LOWPREC_SIMD_CAP", "LOWPREC_BACKEND", "LOWPREC_PROFILE"]) delete clean[k];
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...clean, ...env },
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as ChildResult;
}
// a stochastic quantize and a max pool in the child, hashed: the same on every path
const HASH = `
      const x = Float32Array.from({ length: 51200 }, (_, i) => Math.sin(i * 0.37) * 50 + (i % 97 === 0 ? NaN : 0));
      const y = new Float32Array(x.length);
      const f = (await import("@lowprec/formats")).dynamicFixed({ bits: 10 });
      be.quantize({ x, y, format: f, integerBits: 3, rounding: "stochastic", rng: { seed: 1, counter: 4294960000 } });
      const p = new Float32Array(4 * 25 * 16 * 8), a = new Int32Array(p.length);
      be.maxPoolForward({ batch: 4, channels: 25, height: 32, width: 16, size: 3, stride: 2, x, y: p, argmax: a });
      const h = (await import("node:crypto")).createHash("sha256");
      for (const v of [y, p, a]) h.update(new Uint8Array(v.buffer));
      out.hash = h.digest("hex");`;

describe.skipIf(!available)("LOWPREC_SIMD (child processes)", () => {
  const best = SIMD[0]!;
  it("unset: the best path; set: that path, in backendInfo and describeBackend, with the same bits", () => {
    const auto = child({}, HASH);
    expect(auto.info?.simd).toBe(best);
    expect(auto.text).toContain(`${best} kernels`);
    for (const path of SIMD) {
      const r = child({ LOWPREC_SIMD: path }, HASH);
      expect(r.info?.simd, r.error).toBe(path);
      expect(r.text).toMatch(new RegExp(`^native \\(.*${path} kernels\\), \\d+ thread\\(s\\)$`));
      expect(r.hash).toBe(auto.hash);
    }
  });

  it("an unknown value is one line naming the variable and the value, whichever backend", () => {
    const msg = 'LOWPREC_SIMD must be "avx512", "avx2" or "portable", got "sse9"';
    expect(child({ LOWPREC_SIMD: "sse9" }).error).toBe(msg);
    expect(child({ LOWPREC_SIMD: "sse9", LOWPREC_BACKEND: "ts" }).error).toBe(msg);
    // the addon itself refuses it as it loads (for any other user of the addon)
    const r = spawnSync(
      process.execPath,
      ["-e", `try { require(${JSON.stringify(ADDON)}) } catch (e) { console.log(e.name, e.code, e.message) }`],
      { env: { ...process.env, LOWPREC_SIMD: "sse9" }, encoding: "utf8" },
    );
    expect(r.stdout.trim()).toBe(`RangeError LOWPREC_SIMD ${msg}`);
    expect(child({ LOWPREC_SIMD_CAP: "avx3" }).error).toBe(
      'LOWPREC_SIMD_CAP must be "avx512", "avx2" or "portable", got "avx3"',
    );
  });

  // LOWPREC_SIMD_CAP makes the addon treat the CPU as one without the paths above the cap: the message of a CPU that
  // lacks a path, tested on any machine that runs one above portable
  it.skipIf(SIMD.length < 2)("a path the CPU lacks is one line: what it lacks and the paths that run", () => {
    const [top, below] = [SIMD[0]!, SIMD[1]!];
    const lacks = top === "avx512" ? "avx512f, avx512bw, avx512vl, avx512dq" : "avx2, fma, f16c";
    const needs = top === "avx512" ? "avx512f, avx512bw, avx512vl, avx512dq, avx2, fma, f16c" : "avx2, fma, f16c";
    const msg =
      `LOWPREC_SIMD=${top}: this CPU lacks ${lacks} (LOWPREC_SIMD_CAP=${below} hides them), which the ${top} ` +
      `kernels need (${needs}); the paths that run here: ${SIMD.slice(1).join(", ")}`;
    const r = child({ LOWPREC_SIMD: top, LOWPREC_SIMD_CAP: below });
    expect(r.error).toBe(msg);
    expect(r.available).toEqual({ available: false, reason: msg });
    // the TypeScript backend does not run the addon's kernels: it is not refused
    expect(child({ LOWPREC_SIMD: top, LOWPREC_SIMD_CAP: below, LOWPREC_BACKEND: "ts" }).info?.name).toBe("ts");
    // without LOWPREC_SIMD the cap picks the best path below it; withSimd refuses the hidden one
    const capped = child({ LOWPREC_SIMD_CAP: below }, `out.hash = String(t.simdPaths()); t.withSimd("${top}");`);
    expect(capped.info?.simd).toBe(below);
    expect(capped.hash).toBe(SIMD.slice(1).join(","));
    expect(capped.error).toBe(
      `SIMD path "${top}" does not run here (the paths that run here: ${SIMD.slice(1).join(", ")})`,
    );
  });
});

// ** the compiled objects **

const OBJ = join(here, "..", "native", "build", "Release", "obj.target");
const objects = (path: SimdPath): string[] => {
  const dir = join(OBJ, `kernels_${path}`, "src");
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".o"))
        .map((f) => join(dir, f))
    : [];
};
const tool = (cmd: string, args: string[]): string => {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 1 << 28 });
  expect(r.status, `${cmd}: ${r.stderr || r.error?.message}`).toBe(0);
  return r.stdout;
};

describe.skipIf(!available || !existsSync(OBJ))("the per-path objects (native/build)", () => {
  for (const path of SIMD)
    it(`[${path}] define only symbols of lp::${path}, and run no code when the library loads`, () => {
      const files = objects(path);
      expect(files.map((f) => f.split("/").at(-1)).sort()).toEqual(["ops.o", "own_gemm.o", "quantize.o"]);
      for (const f of files) {
        const lines = tool("nm", ["-C", "--defined-only", f]).split("\n").filter(Boolean);
        const globals = lines.filter((l) => / [A-Z] /.test(l) && !l.endsWith(" DW.ref.__gxx_personality_v0"));
        expect(globals.length).toBeGreaterThan(0);
        expect(
          globals.filter((l) => !l.includes(` lp::${path}::`)),
          f,
        ).toEqual([]);
        expect(
          lines.filter((l) => l.includes("_GLOBAL__sub_I")),
          f,
        ).toEqual([]);
      }
    });

  it.skipIf(arch() !== "x64")("each path's machine code uses its registers and nothing beyond them", () => {
    const asm = (path: SimdPath) =>
      objects(path)
        .map((f) => tool("objdump", ["-d", "--no-show-raw-insn", f]))
        .join("\n");
    const mnemonics = (text: string) =>
      new Set(text.split("\n").flatMap((l) => (/^\s+[0-9a-f]+:\t(\S+)/.exec(l)?.[1] ?? []) as string[]));
    const portable = asm("portable");
    expect([...mnemonics(portable)].filter((m) => m.startsWith("v"))).toEqual([]); // no VEX / EVEX: SSE2 only
    if (SIMD.includes("avx2")) {
      const avx2 = asm("avx2");
      expect(avx2).toMatch(/%ymm/); // vectorised 8 lanes wide
      expect(avx2).toMatch(/vgatherdps|vpermps/); // the hand-written pooling kernels
      expect(avx2).toMatch(/vcvtps2ph/); // the F16C binary16 kernel
      expect(avx2).not.toMatch(/%zmm|%k[1-7]\b|%[xy]mm(1[6-9]|2\d|3[01])\b/); // nothing of AVX-512
    }
    if (SIMD.includes("avx512")) expect(asm("avx512")).toMatch(/%zmm/);
  });
});
