// Run folder locks across machines (queue-lock.ts): a lock of another host is taken over only when its queue
// heartbeat stands still for the whole window; a beating one, or one without a heartbeat, is refused; a lock of
// this host waits for its process to end. And the queue's small pure parts: URLs and job ids. No Redis here.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LockedError, lockFolder } from "@lowprec/storage";
import { jobId, parseQueueUrl } from "../src/queue.js";
import { claimFolder, HEARTBEAT_FILE, startHeartbeat } from "../src/queue-lock.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-queue-lock-"));
let n = 0;
/** A run folder locked by pid 4242 on another host, with (or without) a queue heartbeat for it. */
function foreignFolder(heartbeat: boolean): string {
  const dir = join(root, `run-${n++}`);
  mkdirSync(dir, { recursive: true });
  const holder = { pid: 4242, host: "elsewhere", started: new Date().toISOString(), command: "lowprec worker" };
  writeFileSync(join(dir, ".lock"), `${JSON.stringify(holder)}\n`);
  if (heartbeat) {
    const hb = { host: "elsewhere", pid: 4242, job: "e/smoke/x", beat: 7, time: new Date().toISOString() };
    writeFileSync(join(dir, HEARTBEAT_FILE), `${JSON.stringify(hb)}\n`);
  }
  return dir;
}

describe("claimFolder", () => {
  it("takes over another host's lock whose heartbeat stood still for the window", async () => {
    const dir = foreignFolder(true);
    const lines: string[] = [];
    const t0 = Date.now();
    await claimFolder(dir, { windowMs: 300, pollMs: 20, log: (l) => lines.push(l) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    expect(existsSync(join(dir, HEARTBEAT_FILE))).toBe(false);
    expect(lines.join("\n")).toMatch(/took over .* from pid 4242 on elsewhere: its heartbeat \(beat 7\) stood still/);
    const lock = lockFolder(dir, "test");
    lock.release();
  });

  it("refuses another host's lock while its heartbeat beats", async () => {
    const dir = foreignFolder(true);
    let beat = 8;
    const timer = setInterval(() => {
      const hb = { host: "elsewhere", pid: 4242, job: "e/smoke/x", beat: beat++, time: new Date().toISOString() };
      writeFileSync(join(dir, HEARTBEAT_FILE), `${JSON.stringify(hb)}\n`);
    }, 50);
    try {
      await expect(claimFolder(dir, { windowMs: 400, pollMs: 20 })).rejects.toThrow(
        /is in use by pid 4242 on elsewhere/,
      );
    } finally {
      clearInterval(timer);
    }
    expect(existsSync(join(dir, ".lock"))).toBe(true);
  });

  it("never takes over another host's lock without a queue heartbeat (a local sweep there)", async () => {
    const dir = foreignFolder(false);
    await expect(claimFolder(dir, { windowMs: 100, pollMs: 20 })).rejects.toThrow(LockedError);
    expect(existsSync(join(dir, ".lock"))).toBe(true);
  });

  it("leaves this host's dead holder to lockFolder, and refuses a live one after the window", async () => {
    const dir = join(root, "local");
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"], { stdio: "ignore" });
    try {
      const pid = child.pid ?? 0;
      const holder = { pid, host: hostname(), started: new Date().toISOString(), command: "train" };
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, ".lock"), `${JSON.stringify(holder)}\n`);
      await expect(claimFolder(dir, { windowMs: 200, pollMs: 20 })).rejects.toThrow(`in use by pid ${pid}`);
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      await claimFolder(dir, { windowMs: 200, pollMs: 20 });
      const lock = lockFolder(dir, "test"); // the dead pid's lock is taken over here
      lock.release();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("startHeartbeat beats, and stop() removes only its own heartbeat", async () => {
    const dir = join(root, "beats");
    mkdirSync(dir, { recursive: true });
    const hb = startHeartbeat(dir, 99, "e/smoke/y", 30);
    const read = () => JSON.parse(readFileSync(join(dir, HEARTBEAT_FILE), "utf8")) as { beat: number; pid: number };
    const first = read().beat;
    await new Promise((r) => setTimeout(r, 150));
    expect(read().beat).toBeGreaterThan(first);
    expect(read().pid).toBe(99);
    hb.stop();
    expect(existsSync(join(dir, HEARTBEAT_FILE))).toBe(false);
  });
});

describe("queue addresses", () => {
  it("parses redis URLs and refuses others", () => {
    expect(parseQueueUrl("redis://127.0.0.1:6390")).toMatchObject({ host: "127.0.0.1", port: 6390, db: 0 });
    expect(parseQueueUrl("redis://h/3")).toMatchObject({ host: "h", port: 6379, db: 3 });
    expect(parseQueueUrl("redis://u:p%40ss@h:1").options).toMatchObject({ username: "u", password: "p@ss" });
    expect(() => parseQueueUrl("http://h:1")).toThrow(/expected redis:\/\/host:port/);
    expect(() => parseQueueUrl("nonsense")).toThrow(/expected redis:\/\/host:port/);
  });
  it("a job id is the run's place in the store (run ids repeat across experiments)", () => {
    expect(jobId({ experiment: "prop-bits", variant: "smoke", runId: "0123456789abcdef" })).toBe(
      "prop-bits/smoke/0123456789abcdef",
    );
    expect(jobId({ experiment: "a:b", variant: "smoke", runId: "x" })).toBe("a_b/smoke/x");
  });
});
