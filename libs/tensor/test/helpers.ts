/** Test helpers: run one suite on every available backend, seeded data, bit-pattern comparison. */
import { describe, beforeAll, afterAll } from "vitest";
import {
  getBackend,
  nativeAvailable,
  setNativeBlas,
  simdPaths,
  TsBackend,
  withSimd,
  type Backend,
  type SimdPath,
} from "../src/index.js";

export interface BackendCase {
  label: string;
  backend: () => Backend;
  setup?: () => void;
  teardown?: () => void;
}

const native = nativeAvailable();
if (!native.available) console.log(`native backend tests SKIPPED: the addon is not built (${native.reason})`);

/** The SIMD paths the native kernels run on here, best first (none without the addon). */
export const SIMD: SimdPath[] = native.available ? simdPaths() : [];
const defaultSimd = native.available ? getBackend("native").info.simd : undefined;

/**
 * ts, native (BLAS gemm if linked; its SIMD path the default one), native with its own blocked gemm, and native on
 * each other SIMD path.
 */
export const BACKENDS: BackendCase[] = [
  { label: "ts", backend: () => TsBackend },
  ...(native.available
    ? [
        { label: "native", backend: () => getBackend("native"), setup: () => setNativeBlas(true) },
        {
          label: "native (own gemm)",
          backend: () => getBackend("native"),
          setup: () => setNativeBlas(false),
          teardown: () => setNativeBlas(true),
        },
      ]
    : []),
  ...SIMD.filter((p) => p !== defaultSimd).map((p) => ({ label: `native [${p}]`, backend: () => withSimd(p) })),
];

/** Writes a suite once; runs it on every backend of BACKENDS. */
export function describeForBackends(name: string, body: (be: () => Backend) => void): void {
  for (const c of BACKENDS) {
    describe(`${name} [${c.label}]`, () => {
      if (c.setup) beforeAll(c.setup);
      if (c.teardown) afterAll(c.teardown);
      body(c.backend);
    });
  }
}

/** mulberry32: a small seeded generator for test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, r: () => number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
  return a;
}

/**
 * Index of the first element whose bit pattern differs, or -1. NOTE: where `a` (the reference) holds a NaN,
 * `b` must hold the canonical quiet NaN 0x7fc00000: the native kernels always write that one, while the sign
 * of a JavaScript NaN stored into a Float32Array depends on the engine (V8 may or may not flip it for -NaN).
 */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length),
    ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i])) {
      if (ub[i] !== 0x7fc00000) return i;
    } else if (ua[i] !== ub[i]) return i;
  }
  return -1;
}
