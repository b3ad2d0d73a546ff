// Run folder locks across machines (queue-lock.ts): a lock of another host is taken over only when its queue
// heartbeat stands still for the whole window; a beating one, or one without a heartbeat, is refused; a lock of
// this host waits for its process to end. And the queue's small pure parts: URLs and job ids. No Redis here.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { LockedError, LockLostError, lockFolder } from "@lowprec/storage";
import { jobId, parseQueueUrl } from "../src/queue.js";
import { claimFolder, HEARTBEAT_FILE, startHeartbeat, type Heartbeat } from "../src/queue-lock.js";

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

  it("startHeartbeat: the lock holder beats when due, with its pid and token; stop() removes only its own", () => {
    const dir = join(root, "beats");
    const lock = lockFolder(dir, "test");
    let now = 0;
    const clock = vi.spyOn(performance, "now").mockImplementation(() => now);
    try {
      const hb = startHeartbeat(lock, "e/smoke/y", 1000);
      const read = () => JSON.parse(readFileSync(join(dir, HEARTBEAT_FILE), "utf8")) as Heartbeat;
      expect(read()).toMatchObject({
        beat: 1,
        pid: process.pid,
        host: hostname(),
        token: lock.token,
        job: "e/smoke/y",
      });
      now = 999;
      hb.beat();
      expect(read().beat).toBe(1);
      now = 1000;
      hb.beat();
      expect(read().beat).toBe(2);
      hb.stop();
      expect(existsSync(join(dir, HEARTBEAT_FILE))).toBe(false);
      // another holder's heartbeat is left alone
      startHeartbeat(lock, "e/smoke/y", 1000);
      writeFileSync(join(dir, HEARTBEAT_FILE), `${JSON.stringify({ ...read(), token: "other" })}\n`);
      hb.stop();
      expect(existsSync(join(dir, HEARTBEAT_FILE))).toBe(true);
    } finally {
      clock.mockRestore();
      lock.release();
    }
  });

  it("a holder taken over while it writes a beat does not land it (the lock is checked again before rename)", () => {
    const dir = join(root, "mid-beat");
    mkdirSync(dir, { recursive: true });
    // the new holder's heartbeat is in place; this process passed its first check, then was stopped mid-write and
    // taken over: its second check (before the rename) finds the lock gone
    const theirs = `${JSON.stringify({ host: "elsewhere", pid: 1, token: "theirs", job: "j", beat: 7, time: "t" })}\n`;
    writeFileSync(join(dir, HEARTBEAT_FILE), theirs);
    let checks = 0;
    const lock = {
      dir,
      token: "mine",
      assertHeld(): void {
        checks++;
        if (checks > 1) throw new LockLostError(dir, undefined);
      },
    };
    expect(() => startHeartbeat(lock, "j", 0)).toThrow(LockLostError);
    expect(checks).toBe(2);
    expect(readFileSync(join(dir, HEARTBEAT_FILE), "utf8")).toBe(theirs);
    expect(readdirSync(dir).sort()).toEqual([HEARTBEAT_FILE]);
  });

  it("a holder taken over stops at its next beat (LockLostError), not beating over the new heartbeat", async () => {
    const dir = join(root, "fenced");
    const lock = lockFolder(dir, "test");
    const hb = startHeartbeat(lock, "e/smoke/z", 0);
    // another host's worker judged this holder dead: its heartbeat stood still (this process was stopped)
    const lockText = readFileSync(join(dir, ".lock"), "utf8");
    const asForeign = lockText.replace(`"host":${JSON.stringify(hostname())}`, '"host":"elsewhere"');
    writeFileSync(join(dir, ".lock"), asForeign);
    const hbText = readFileSync(join(dir, HEARTBEAT_FILE), "utf8");
    writeFileSync(
      join(dir, HEARTBEAT_FILE),
      hbText.replace(`"host":${JSON.stringify(hostname())}`, '"host":"elsewhere"'),
    );
    await claimFolder(dir, { windowMs: 100, pollMs: 20 });
    const taker = lockFolder(dir, "taker");
    const theirs = startHeartbeat(taker, "e/smoke/z", 1000);
    const before = readFileSync(join(dir, HEARTBEAT_FILE), "utf8");
    expect(() => hb.beat()).toThrow(LockLostError);
    expect(() => lock.assertHeld()).toThrow(
      /the folder was taken over by pid \d+ on host .* this process stopped writing$/,
    );
    expect(readFileSync(join(dir, HEARTBEAT_FILE), "utf8")).toBe(before);
    hb.stop();
    expect(readFileSync(join(dir, HEARTBEAT_FILE), "utf8")).toBe(before);
    theirs.stop();
    taker.release();
  });

  it("a heartbeat of another token (an earlier holder of the same pid) does not count as the lock's", async () => {
    const dir = foreignFolder(true);
    const lock = JSON.parse(readFileSync(join(dir, ".lock"), "utf8")) as object;
    writeFileSync(join(dir, ".lock"), `${JSON.stringify({ ...lock, token: "a" })}\n`);
    const hb = JSON.parse(readFileSync(join(dir, HEARTBEAT_FILE), "utf8")) as object;
    writeFileSync(join(dir, HEARTBEAT_FILE), `${JSON.stringify({ ...hb, token: "b" })}\n`);
    // refused at once, as a lock without a heartbeat, not after a window of watching a foreign heartbeat
    const t0 = Date.now();
    await expect(claimFolder(dir, { windowMs: 5000, pollMs: 20 })).rejects.toThrow(LockedError);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(existsSync(join(dir, ".lock"))).toBe(true);
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
