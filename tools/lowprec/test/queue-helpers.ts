// What the queue tests share (queue, queue-identity, fence): a redis-server of their own on a free port of
// 127.0.0.1, `lowprec worker` processes whose output is kept, and bookkeeping so that every process a test starts
// is stopped in afterAll whatever happened (call stopAll there).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { bin } from "./lowprec.js";

/** Every process a test starts, stopped by stopAll whatever happened. */
const started = new Set<ChildProcess>();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every `pollMs` for at most `ms`; throws naming `what` when it never holds. */
export async function waitFor(
  what: string,
  ms: number,
  cond: () => boolean | Promise<boolean>,
  pollMs = 200,
): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await cond()) return;
    await sleep(pollMs);
  }
  throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
}

/** Starts a process and tracks it (stdout and stderr piped). */
export function startProcess(command: string, args: readonly string[]): ChildProcess {
  const p = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  started.add(p);
  return p;
}

/**
 * Stops `p` with `signal` (SIGKILL after `ms`) and resolves with its exit code. A stopped process (SIGSTOP) is
 * continued first, so that the signal can act.
 */
export async function stopProcess(
  p: ChildProcess,
  signal: NodeJS.Signals = "SIGTERM",
  ms = 30_000,
): Promise<number | null> {
  started.delete(p);
  if (p.exitCode !== null || p.signalCode !== null) return p.exitCode;
  const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
  p.kill("SIGCONT");
  p.kill(signal);
  const t = setTimeout(() => p.kill("SIGKILL"), ms);
  const code = await exited;
  clearTimeout(t);
  return code;
}

/** Kills every process still running (for afterAll). */
export async function stopAll(): Promise<void> {
  for (const p of [...started]) await stopProcess(p, "SIGKILL", 5_000);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server on 127.0.0.1 with its data in `<root>/redis-<name>`: no RDB snapshots, appendfsync always, and by
 * default appendonly yes (what the queue requires; `extra` can say otherwise, e.g. to test the refusal).
 */
export class Redis {
  proc: ChildProcess | undefined;
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly extra: readonly string[],
  ) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  static async start(root: string, name: string, extra: readonly string[] = ["--appendonly", "yes"]): Promise<Redis> {
    const dir = join(root, `redis-${name}`);
    mkdirSync(dir, { recursive: true });
    const r = new Redis(dir, await freePort(), extra);
    await r.up();
    return r;
  }
  async up(): Promise<void> {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--protected-mode", "yes", "--dir", this.dir];
    args.push("--save", "", "--appendfsync", "always", "--daemonize", "no", ...this.extra);
    const p = startProcess("redis-server", args);
    this.proc = p;
    let out = "";
    p.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await waitFor(`redis-server on port ${this.port}`, 15_000, () => {
      if (p.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
      return out.includes("Ready to accept connections");
    });
  }
  async down(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.proc) await stopProcess(this.proc, signal);
  }
}

export interface WorkerOptions {
  /** more options for `lowprec worker` */
  readonly extra?: readonly string[];
  /** the lowprec.js to run (default: this repository's; a copy of the code elsewhere) */
  readonly binPath?: string;
  /** run it as host `hostname`, in a UTS namespace of its own (`unshare --uts`, root only) */
  readonly hostname?: string;
  /** how long ready() waits (default 30 s) */
  readonly readyMs?: number;
}

/** A `lowprec worker` process (one job at a time); its output is kept. */
export class Worker {
  readonly proc: ChildProcess;
  out = "";
  constructor(
    url: string,
    dataDir: string,
    private readonly opts: WorkerOptions = {},
  ) {
    const args = [opts.binPath ?? bin, "worker", "--queue", url, "--data-dir", dataDir, "--jobs", "1"];
    args.push(...(opts.extra ?? []));
    this.proc = opts.hostname
      ? startProcess("unshare", [
          "--uts",
          "sh",
          "-c",
          `hostname ${opts.hostname} && exec "$0" "$@"`,
          process.execPath,
          ...args,
        ])
      : startProcess(process.execPath, args);
    const keep = (d: Buffer) => {
      this.out += d.toString();
    };
    this.proc.stdout?.on("data", keep);
    this.proc.stderr?.on("data", keep);
  }
  ready(): Promise<void> {
    return waitFor("a worker to start", this.opts.readyMs ?? 30_000, () => /^worker \S+: 1 job/m.test(this.out));
  }
  /** Ids of the jobs this worker started, in order (a resumed one appears again). */
  starts(): string[] {
    return [...this.out.matchAll(/^start (\S+) /gm)].map((m) => m[1]!);
  }
  trained(): string[] {
    return [...this.out.matchAll(/^done (\S+) /gm)].map((m) => m[1]!);
  }
  /** Stops it (SIGTERM) and keeps its output as `<logDir>/worker-<name>.log`, for a look after the run. */
  async stop(logDir: string, name = String(this.proc.pid)): Promise<number | null> {
    const code = await stopProcess(this.proc);
    writeFileSync(join(logDir, `worker-${name}.log`), this.out);
    return code;
  }
}
