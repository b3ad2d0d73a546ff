import { chmodSync, existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fsOps } from "../src/fsops.js";
import { ensureWritableDir } from "../src/index.js";
import { errno, isRoot, tempDir } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** The error message of f, checked to be one line. */
function oneLine(f: () => void): string {
  try {
    f();
  } catch (e) {
    const m = (e as Error).message;
    expect(m).not.toContain("\n");
    return m;
  }
  throw new Error("no error");
}

describe("ensureWritableDir", () => {
  it("creates missing folders and accepts existing ones", () => {
    const dir = join(tempDir(), "a", "b", "c");
    ensureWritableDir(dir);
    expect(statSync(dir).isDirectory()).toBe(true);
    ensureWritableDir(dir);
  });

  it("refuses /proc and /sys at once (mkdir -p /proc/x never returns on Node 20)", () => {
    const t0 = performance.now();
    expect(oneLine(() => ensureWritableDir("/proc/x"))).toMatch(/^\/proc\/x: cannot write under \/proc/);
    expect(oneLine(() => ensureWritableDir("/proc/x/y/z"))).toMatch(/^\/proc\/x\/y\/z: cannot write under \/proc/);
    expect(oneLine(() => ensureWritableDir("/sys/kernel/x"))).toMatch(/cannot write under \/sys/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("a file where a parent folder should be", () => {
    const root = tempDir();
    const file = join(root, "results");
    writeFileSync(file, "x");
    const dir = join(file, "run1");
    expect(oneLine(() => ensureWritableDir(dir))).toBe(`${dir}: ${file} is not a folder`);
    expect(oneLine(() => ensureWritableDir(file))).toBe(`${file}: exists and is not a folder`);
  });

  it("a read-only file system (as access(2) reports it) names the folder and creates nothing", () => {
    const dir = join(tempDir(), "new");
    vi.spyOn(fsOps, "accessSync").mockImplementation(() => {
      throw errno("EROFS", "access");
    });
    expect(oneLine(() => ensureWritableDir(dir))).toBe(`${dir}: read-only file system`);
    expect(existsSync(dir)).toBe(false);
  });

  it.skipIf(isRoot)("a folder without write permission (skipped as root: root ignores the mode bits)", () => {
    const root = tempDir();
    chmodSync(root, 0o555);
    try {
      const dir = join(root, "sub");
      expect(oneLine(() => ensureWritableDir(dir))).toMatch(new RegExp(`^${dir}: permission denied`));
    } finally {
      chmodSync(root, 0o755);
    }
  });
});
