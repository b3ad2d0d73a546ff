// The `lowprec` command line run inside this test process (its `main`), for tests that need speed or spies.
import { vi } from "vitest";
import { main } from "../src/cli.js";

/** `lowprec argv` in this process: its exit code and what it printed (console.log and console.error). */
export async function runInProcess(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const a = vi.spyOn(console, "log").mockImplementation((...m: unknown[]) => void out.push(m.join(" ")));
  const b = vi.spyOn(console, "error").mockImplementation((...m: unknown[]) => void err.push(m.join(" ")));
  try {
    return { code: await main(argv), out: out.join("\n"), err: err.join("\n") };
  } finally {
    a.mockRestore();
    b.mockRestore();
  }
}
