/**
 * Which backend runs the kernels. Explicit and visible: `LOWPREC_BACKEND=ts|native` (or `getBackend(name)`)
 * selects one; unset means `native` when the addon loaded, else `ts` with one printed line saying why.
 * `backendInfo()` tells every training run what it runs on (name, whether gemm uses OpenBLAS, threads).
 * `LOWPREC_THREADS=n` sets the native backend's thread count (default: all cores); a value that is not an integer in
 * [1, MAX_THREADS] makes getBackend() throw, like an unknown LOWPREC_BACKEND.
 * `LOWPREC_SIMD=avx512|avx2|portable` picks the native kernels' instruction-set path when the addon loads (default:
 * the best the CPU runs); an unknown value, or a path the CPU lacks, makes getBackend() throw (one line, naming the
 * paths that run here) instead of falling back to the TypeScript backend.
 */
import { SIMD_PATHS, type Backend, type BackendInfo, type BackendName, type SimdPath } from "./kernels.js";
import { TsBackend } from "./backends/ts.js";
import { createNativeBackend, loadAddon, type Addon } from "./backends/native.js";
import { withProfile } from "./profile.js";

let addon: Addon | null | undefined;
let addonError = "";
/** the addon refused LOWPREC_SIMD (the message), or "" */
let simdError = "";
const simdBackends = new Map<SimdPath, Backend>();
const SIMD_CHOICES = '"avx512", "avx2" or "portable"';
let nativeBackend: Backend | undefined;
let defaultBackend: Backend | undefined;
let warned = false;

/** The addon if it loads (cached), else null with the reason in `addonError`. */
function tryAddon(): Addon | null {
  if (addon !== undefined) return addon;
  try {
    addon = loadAddon();
    const threads = threadsFromEnv(false);
    if (threads !== undefined) addon.setThreads(threads);
  } catch (e) {
    addon = null;
    addonError = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    if ((e as { code?: unknown }).code === "LOWPREC_SIMD") simdError = addonError;
  }
  return addon;
}

/**
 * Checks LOWPREC_SIMD: an unknown value throws (whichever backend); with `native` (the addon will run), so does a path
 * the addon refused (the CPU lacks it).
 */
function checkSimdEnv(native: boolean): void {
  const v = process.env["LOWPREC_SIMD"];
  if (v !== undefined && v !== "" && !(SIMD_PATHS as readonly string[]).includes(v))
    throw new RangeError(`LOWPREC_SIMD must be ${SIMD_CHOICES}, got "${v}"`);
  if (native && tryAddon() === null && simdError !== "") throw new RangeError(simdError);
}

/**
 * LOWPREC_THREADS as a thread count (undefined when unset). Strict: decimal digits only, at least 1. An invalid
 * value throws when `strict`, else counts as unset (so a bad variable never looks like a missing addon).
 */
function threadsFromEnv(strict: boolean): number | undefined {
  const threads = process.env["LOWPREC_THREADS"];
  if (threads === undefined || threads === "") return undefined;
  if (/^[1-9][0-9]*$/.test(threads) && Number(threads) <= MAX_THREADS) return Number(threads);
  if (strict) throw new RangeError(`LOWPREC_THREADS must be an integer in [1, ${MAX_THREADS}], got "${threads}"`);
  return undefined;
}

/**
 * The most threads LOWPREC_THREADS may ask for: the native pool's own cap (64, threads.cc). A larger value used to
 * become 64 silently, so a run ran on other threads than asked; now it is refused by name, with the value.
 */
export const MAX_THREADS = 64;

/** Whether the native addon is built and loads here (and why not). */
export function nativeAvailable(): { available: boolean; reason?: string } {
  return tryAddon() ? { available: true } : { available: false, reason: addonError };
}

function native(reason?: string): Backend {
  threadsFromEnv(true);
  checkSimdEnv(true);
  const a = tryAddon();
  if (a === null)
    throw new Error(
      `@lowprec/tensor: the native backend was asked for but the addon did not load (${addonError})` +
        `; rebuild with \`npm install -w @lowprec/tensor\` or use LOWPREC_BACKEND=ts`,
    );
  if (reason === undefined) nativeBackend ??= createNativeBackend(a);
  return reason === undefined ? nativeBackend! : createNativeBackend(a, reason);
}

function parseName(name: string, where: string): BackendName {
  if (name === "ts" || name === "native") return name;
  throw new RangeError(`${where} must be "ts" or "native", got "${name}"`);
}

/**
 * The backend to run kernels on; with LOWPREC_PROFILE=1, its timed wrapper (profile.ts).
 * @param name `ts` or `native`; default: LOWPREC_BACKEND, else native if available, else ts (printed once)
 */
export function getBackend(name?: BackendName): Backend {
  return withProfile(rawBackend(name));
}

function rawBackend(name?: BackendName): Backend {
  if (name !== undefined) return parseName(name, "getBackend(name)") === "ts" ? TsBackend : native();
  if (defaultBackend) return defaultBackend;
  threadsFromEnv(true);
  checkSimdEnv(false);
  const env = process.env["LOWPREC_BACKEND"];
  if (env !== undefined && env !== "") {
    defaultBackend = parseName(env, "LOWPREC_BACKEND") === "ts" ? TsBackend : native();
  } else if (tryAddon() !== null || simdError !== "") {
    defaultBackend = native();
  } else {
    const reason = `native addon not available (${addonError})`;
    defaultBackend = Object.freeze({ ...TsBackend, info: Object.freeze({ ...TsBackend.info, reason }) });
    if (!warned) {
      warned = true;
      console.warn(`@lowprec/tensor: ${reason}; running on the TypeScript backend (slow)`);
    }
  }
  return defaultBackend;
}

/** What the default backend is: `{ name, blas, threads, reason? }`, for every run to print. */
export function backendInfo(): BackendInfo {
  return getBackend().info;
}

/**
 * The backend in words for a log line: "native (OpenBLAS, oneDNN convolutions, avx512 kernels), 2 thread(s)",
 * "ts, 1 thread(s)".
 */
export function describeBackend(info: BackendInfo = backendInfo()): string {
  const libs = [
    info.blas ? "OpenBLAS" : "",
    info.conv === "onednn" ? "oneDNN convolutions" : "",
    info.simd ? `${info.simd} kernels` : "",
  ].filter(Boolean);
  return `${info.name}${libs.length ? ` (${libs.join(", ")})` : ""}, ${info.threads} thread(s)`;
}

/** For tests and benchmarks: force the native gemm to its own blocked kernel (false) or back to BLAS. */
export function setNativeBlas(on: boolean): void {
  tryAddon()?.useBlas(on);
}

/** The SIMD paths the native kernels run on here, best first (none without the addon). */
export function simdPaths(): SimdPath[] {
  return tryAddon()?.info().simdSupported ?? [];
}

/**
 * The native backend with its kernels on one SIMD path, whatever LOWPREC_SIMD chose (tests and benchmarks compare the
 * paths in one process; a run takes its path from LOWPREC_SIMD). Throws when the addon is absent or the path does not
 * run here.
 */
export function withSimd(path: SimdPath): Backend {
  if (!(SIMD_PATHS as readonly string[]).includes(path))
    throw new RangeError(`withSimd(path): path must be ${SIMD_CHOICES}, got "${String(path)}"`);
  const a = tryAddon();
  if (a === null) throw new Error(`@lowprec/tensor: withSimd("${path}"): the addon did not load (${addonError})`);
  let be = simdBackends.get(path);
  if (be === undefined) simdBackends.set(path, (be = createNativeBackend(a, undefined, path)));
  return withProfile(be);
}
