import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LockedError, LockLostError, lockFolder, writeFileAtomic, type LockHolder } from "../src/index.js";
import { deadPid, tempDir } from "./helpers.js";

const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

/** A child process that takes the lock from the built library, reports, and waits for stdin to close. */
function childHolding(dir: string): Promise<{ child: ReturnType<typeof spawn>; line: string }> {
  const code = `
    const { lockFolder } = await import(${JSON.stringify(DIST)});
    lockFolder(${JSON.stringify(dir)}, "child test");
    console.log("locked");
    process.stdin.resume();
    process.stdin.on("end", () => process.exit(0));`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve({ child, line: d.toString().trim() }));
    child.once("exit", (c) => reject(new Error(`child exited with ${c}`)));
  });
}

describe("lockFolder", () => {
  it("writes who holds it, refuses a second lock in the same process, and releases", () => {
    const dir = tempDir();
    const lock = lockFolder(dir, "lowprec train x");
    expect(lock.path).toBe(join(dir, ".lock"));
    const holder = JSON.parse(readFileSync(lock.path, "utf8")) as LockHolder;
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), command: "lowprec train x" });
    expect(() => lockFolder(dir)).toThrow(LockedError);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    lock.release();
    lockFolder(dir).release();
  });

  it("a lock held by another live process is refused, naming its pid, host, start and command", async () => {
    const dir = tempDir();
    const { child, line } = await childHolding(dir);
    try {
      expect(line).toBe("locked");
      let err: LockedError | undefined;
      try {
        lockFolder(dir);
      } catch (e) {
        err = e as LockedError;
      }
      expect(err).toBeInstanceOf(LockedError);
      expect(err!.holder?.pid).toBe(child.pid);
      expect(err!.message).toMatch(
        new RegExp(`^${dir} is in use by pid ${child.pid} on ${hostname()} since \\d{4}-.+ \\(child test\\)$`),
      );
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin!.end();
      await exited;
    }
    // the child released its lock on exit
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    lockFolder(dir).release();
  });

  it("a lock left by a killed process is taken over", async () => {
    const dir = tempDir();
    const { child } = await childHolding(dir);
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    expect(existsSync(join(dir, ".lock"))).toBe(true);
    const lock = lockFolder(dir, "after the kill");
    expect(JSON.parse(readFileSync(lock.path, "utf8")).pid).toBe(process.pid);
    lock.release();
  });

  it("a stale lock of a dead pid on this host is taken over; one of another host is not", () => {
    const dir = tempDir();
    const stale: LockHolder = { pid: deadPid(), host: hostname(), started: "2020-01-01T00:00:00.000Z", command: "x" };
    writeFileSync(join(dir, ".lock"), JSON.stringify(stale));
    const lock = lockFolder(dir);
    lock.release();
    writeFileSync(join(dir, ".lock"), JSON.stringify({ ...stale, host: "elsewhere" }));
    expect(() => lockFolder(dir)).toThrow(`${dir} is in use by pid ${stale.pid} on elsewhere since 2020-01-01`);
  });

  it("a garbled lock file is refused with advice, not taken over", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".lock"), "");
    expect(() => lockFolder(dir)).toThrow(/is in use: its lock file .*\.lock is not a lock.*remove it if no process/);
  });

  it("a lock is released when its process exits normally", () => {
    const dir = tempDir();
    const code = `const { lockFolder } = await import(${JSON.stringify(DIST)}); lockFolder(${JSON.stringify(dir)});`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });
});

describe("fencing (assertHeld, LockLostError)", () => {
  it("each lock has a new random token, written in the lock file; assertHeld passes while the lock is ours", () => {
    const dir = tempDir();
    const a = lockFolder(dir);
    const token = a.token;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect((JSON.parse(readFileSync(a.path, "utf8")) as LockHolder).token).toBe(token);
    a.assertHeld();
    a.release();
    const b = lockFolder(dir);
    expect(b.token).not.toBe(token);
    b.release();
  });

  it("a lock file replaced by another holder (a takeover) fences the old one: one line naming who took it", () => {
    const dir = tempDir();
    const lock = lockFolder(dir, "first");
    const other: LockHolder = {
      pid: 4242,
      host: "other-host",
      started: "2026-01-02T03:04:05.000Z",
      command: "lowprec worker",
      token: "b".repeat(32),
    };
    writeFileSync(lock.path, `${JSON.stringify(other)}\n`);
    let err: unknown;
    try {
      lock.assertHeld();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LockLostError);
    expect((err as LockLostError).holder).toEqual(other);
    expect((err as Error).message).toBe(
      `${dir}: the folder was taken over by pid 4242 on host other-host at 2026-01-02T03:04:05.000Z; ` +
        "this process stopped writing",
    );
    // release() leaves the new holder's lock alone
    lock.release();
    expect(JSON.parse(readFileSync(lock.path, "utf8"))).toEqual(other);
  });

  it("the same pid and host with another token is not ours either (a takeover by a process of the same pid)", () => {
    const dir = tempDir();
    const lock = lockFolder(dir);
    const mine = JSON.parse(readFileSync(lock.path, "utf8")) as LockHolder;
    writeFileSync(lock.path, `${JSON.stringify({ ...mine, token: "c".repeat(32) })}\n`);
    expect(() => lock.assertHeld()).toThrow(LockLostError);
  });

  it("a removed lock, a garbled one and one without a token (an older version) fence too", () => {
    const dir = tempDir();
    const lock = lockFolder(dir);
    rmSync(lock.path);
    expect(() => lock.assertHeld()).toThrow(new LockLostError(dir, undefined).message);
    writeFileSync(lock.path, "garbage");
    expect(() => lock.assertHeld()).toThrow(LockLostError);
    const { token: _, ...old } = { pid: process.pid, host: hostname(), started: "t", command: "c", token: "x" };
    writeFileSync(lock.path, `${JSON.stringify(old)}\n`);
    expect(() => lock.assertHeld()).toThrow(/taken over by pid \d+ on host/);
  });

  it("a write fenced before its rename: taken over during the write, the target is untouched, no temp file", () => {
    const dir = tempDir();
    const lock = lockFolder(dir);
    const target = join(dir, "metrics.json");
    writeFileSync(target, "the new holder's\n");
    // the takeover lands while this process writes (it was stopped between its first check and the rename)
    const other = { pid: 4242, host: "other-host", started: "t", command: "c", token: "d".repeat(32) };
    expect(() =>
      writeFileAtomic(target, "stale epoch\n", {
        beforeRename: () => {
          writeFileSync(lock.path, `${JSON.stringify(other)}\n`);
          lock.assertHeld();
        },
      }),
    ).toThrow(LockLostError);
    expect(readFileSync(target, "utf8")).toBe("the new holder's\n");
    expect(readdirSync(dir).sort()).toEqual([".lock", "metrics.json"]);
  });

  it("a takeover of a dead holder's lock gives a new token, and the old lock object is fenced", () => {
    const dir = tempDir();
    const old = lockFolder(dir);
    const dead = { ...(JSON.parse(readFileSync(old.path, "utf8")) as LockHolder), pid: deadPid() };
    writeFileSync(old.path, `${JSON.stringify(dead)}\n`);
    const taker = lockFolder(dir);
    expect(taker.token).not.toBe(old.token);
    expect(() => old.assertHeld()).toThrow(LockLostError);
    taker.assertHeld();
    taker.release();
  });
});
