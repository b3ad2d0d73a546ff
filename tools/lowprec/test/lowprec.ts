// The `lowprec` command line run as a user runs it (a child process of this Node), for the tests of tools/lowprec.
import { spawnSync } from "node:child_process";

export const bin = new URL("../bin/lowprec.js", import.meta.url).pathname;

/** What a finished `lowprec` process left: its exit code, its output and how long it took. */
export interface Ran {
  readonly status: number | null;
  /** the signal that ended it, if one did */
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
  readonly ms: number;
}

export interface RunOptions {
  /** added to this process's environment */
  readonly env?: Readonly<Record<string, string>>;
  /** killed after this long (default 120 s) */
  readonly timeout?: number;
  /** the lowprec.js to run (default: this repository's) */
  readonly binPath?: string;
}

/** Runs `lowprec <args>` to its end. */
export function lowprec(args: readonly string[], opts: RunOptions = {}): Ran {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [opts.binPath ?? bin, ...args], {
    encoding: "utf8",
    timeout: opts.timeout ?? 120_000,
    env: { ...process.env, ...opts.env },
  });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}
