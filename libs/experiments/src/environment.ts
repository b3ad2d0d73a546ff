/**
 * What a run records about where it ran. Two parts: the settings that change the bits of the result (the
 * backend, whether gemm goes through OpenBLAS and convolutions through oneDNN, the thread counts, which set the
 * order of floating-point sums, and OpenBLAS's kernel choice) and the rest (host, versions, command line),
 * recorded for provenance only. The native kernels' SIMD path is in the first part although the addon's own kernels
 * give the same bits on every path (tested in @lowprec/tensor): another path means another CPU or an instruction set
 * limited by hand, where OpenBLAS and oneDNN may pick other kernels too, so a resume says so.
 */
import { cpus, hostname } from "node:os";
import { backendInfo } from "@lowprec/tensor";
import { codeIdentity, commitLabel, gitState, type CodeIdentity } from "./code-identity.js";

/** Settings under which a resumed run reproduces the uninterrupted one bit for bit (on one machine). */
export interface BitSettings {
  backend: string;
  blas: boolean;
  /** the native backend's convolution path: "onednn" or "im2col" ("" for the TypeScript backend) */
  conv: string;
  /** threads of the backend's own kernels */
  threads: number;
  /** OpenBLAS's thread count: OPENBLAS_NUM_THREADS, else OMP_NUM_THREADS, else the number of cores */
  blasThreads: number;
  /** OPENBLAS_CORETYPE, when set (it selects OpenBLAS's kernels) */
  blasCoreType: string;
  cpu: string;
  /**
   * the native kernels' SIMD path ("avx512", "avx2", "portable"; "" for the TypeScript backend). Absent in records
   * made before it was recorded: not compared then.
   */
  simd?: string;
}

export interface Environment {
  bits: BitSettings;
  host: string;
  cores: number;
  node: string;
  platform: string;
  /** the commit of the code that ran (`<sha>` or `<sha>+dirty`): code.commit, kept for older readers */
  gitCommit: string;
  /** the code that ran: its fingerprint (code-identity.ts) and the commit of the checkout it lives in */
  code: CodeIdentity;
  command: readonly string[];
  started: string;
}

function positiveInt(s: string | undefined): number | undefined {
  const n = s === undefined ? Number.NaN : Number(s);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The current process's bit-relevant settings. */
export function bitSettings(env: NodeJS.ProcessEnv = process.env): BitSettings {
  const info = backendInfo();
  const cores = cpus().length;
  return {
    backend: info.name,
    blas: info.blas,
    conv: info.conv ?? "",
    threads: info.threads,
    blasThreads: info.blas
      ? (positiveInt(env["OPENBLAS_NUM_THREADS"]) ?? positiveInt(env["OMP_NUM_THREADS"]) ?? cores)
      : 0,
    blasCoreType: env["OPENBLAS_CORETYPE"] ?? "",
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    simd: info.simd ?? "",
  };
}

/**
 * The commit (with `+dirty` when the tree has changes) of the code that runs, read where this package lives (not
 * the current directory: another clone's worker would name this one's commit), or of the checkout holding `dir`;
 * "unknown" outside a git checkout.
 */
export function gitCommit(dir?: string): string {
  return commitLabel(dir === undefined ? codeIdentity() : gitState(dir));
}

/** This process's environment, for a run's config.json. */
export function currentEnvironment(command: readonly string[]): Environment {
  return {
    bits: bitSettings(),
    host: hostname(),
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    gitCommit: gitCommit(),
    code: { ...codeIdentity() },
    command,
    started: new Date().toISOString(),
  };
}

/**
 * The bit settings that differ between a run's record and now, one phrase each (empty: none). A setting the record
 * lacks (written before it was recorded) is not a difference.
 */
export function bitDifferences(recorded: BitSettings, now: BitSettings): string[] {
  return (Object.keys(now) as (keyof BitSettings)[])
    .filter((k) => k in recorded && recorded[k] !== now[k])
    .map((k) => `${k} ${JSON.stringify(recorded[k])} → ${JSON.stringify(now[k])}`);
}
