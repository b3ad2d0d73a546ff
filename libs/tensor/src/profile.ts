/**
 * Per-kernel profile. `LOWPREC_PROFILE=1` makes `getBackend()` hand out a wrapper of the backend whose every
 * kernel is timed with `performance.now()`: the wall time and the number of calls accumulate per kernel in one
 * process-wide table (`kernelProfile()`, `resetKernelProfile()`). Unset (or any other value), `getBackend()`
 * returns the raw backend, so a run that does not profile pays nothing.
 *
 * A kernel's fused rounding (`quantize` in its args) is timed inside that kernel; only explicit `quantize`
 * calls count as `quantize`.
 *
 * @example
 * process.env.LOWPREC_PROFILE = "1";
 * const be = getBackend();                  // the timed wrapper
 * resetKernelProfile();
 * net.trainStep(...);
 * kernelProfile().gemm;                     // { calls, ms }
 */
import { KERNEL_NAMES, type Backend, type KernelName, type Kernels } from "./kernels.js";

/** Accumulated wall time (milliseconds) and calls of one kernel. */
export interface KernelTiming {
  calls: number;
  ms: number;
}
export type KernelProfile = Record<KernelName, KernelTiming>;

/** A table of zeros, one row per kernel. */
export function emptyKernelProfile(): KernelProfile {
  const p = {} as KernelProfile;
  for (const name of KERNEL_NAMES) p[name] = { calls: 0, ms: 0 };
  return p;
}

const totals = emptyKernelProfile();
const wrappers = new WeakMap<Backend, Backend>();

/** Whether `getBackend()` hands out the timed wrapper (LOWPREC_PROFILE=1, read at every call). */
export function profilingEnabled(): boolean {
  return process.env["LOWPREC_PROFILE"] === "1";
}

/**
 * A backend that times every kernel of `backend` into `into` (default: the process-wide table) and returns
 * each kernel's result unchanged. Kernels throw as the raw ones do (the failed call is still counted).
 */
export function profileBackend(backend: Backend, into: KernelProfile = totals): Backend {
  const timed = { info: backend.info } as { -readonly [K in keyof Backend]: Backend[K] };
  for (const name of KERNEL_NAMES) {
    const kernel = backend[name].bind(backend) as (args: unknown) => unknown;
    const row = into[name];
    (timed as Record<KernelName, unknown>)[name] = (args: unknown): unknown => {
      const t0 = performance.now();
      try {
        return kernel(args);
      } finally {
        row.ms += performance.now() - t0;
        row.calls++;
      }
    };
  }
  return Object.freeze(timed as Kernels & { info: Backend["info"] });
}

/** For the registry: the timed wrapper (one per backend, cached) when profiling is on, else `backend` itself. */
export function withProfile(backend: Backend): Backend {
  if (!profilingEnabled()) return backend;
  let w = wrappers.get(backend);
  if (!w) {
    w = profileBackend(backend);
    wrappers.set(backend, w);
  }
  return w;
}

/** A copy of the process-wide table (kernels never called have zero rows). */
export function kernelProfile(): KernelProfile {
  const p = emptyKernelProfile();
  for (const name of KERNEL_NAMES) p[name] = { ...totals[name] };
  return p;
}

/** Zeroes the process-wide table. */
export function resetKernelProfile(): void {
  for (const name of KERNEL_NAMES) {
    totals[name].calls = 0;
    totals[name].ms = 0;
  }
}
