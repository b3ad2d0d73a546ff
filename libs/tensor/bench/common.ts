/** Benchmark helpers: run a function for at least `seconds`, report the best-of-runs time per call. */
import { availableParallelism, loadavg } from "node:os";
import { backendInfo, getBackend, nativeAvailable, type Backend } from "../src/index.js";

export function timeIt(fn: () => void, seconds = 1.5): number {
  fn(); // warm up
  let best = Infinity,
    total = 0;
  while (total < seconds) {
    const t0 = performance.now();
    fn();
    const dt = (performance.now() - t0) / 1000;
    best = Math.min(best, dt);
    total += dt;
  }
  return best;
}

/** Mean CPU seconds (user + system, all threads) per call: under a loaded machine, a bound on the unloaded time. */
export function cpuPerCall(fn: () => void, calls = 10): number {
  fn();
  const c0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6 / calls;
}

export function header(name: string): Backend[] {
  const na = nativeAvailable();
  console.log(
    `# ${name}  (cores ${availableParallelism()}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")})`,
  );
  console.log(
    `# default backend: ${JSON.stringify(backendInfo())}${na.available ? "" : `; native unavailable: ${na.reason}`}`,
  );
  return na.available ? [getBackend("native")] : [];
}

export function fill(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}
