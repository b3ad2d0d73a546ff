import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fsOps } from "../src/fsops.js";
import { removeStaleTemps, writeFileAtomic } from "../src/index.js";
import { deadPid, errno, tempDir } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("writeFileAtomic", () => {
  it("writes strings and bytes, replacing the old contents, and leaves no temp file", () => {
    const dir = tempDir();
    const p = join(dir, "a.json");
    writeFileAtomic(p, "old");
    writeFileAtomic(p, '{"x":1}');
    expect(readFileSync(p, "utf8")).toBe('{"x":1}');
    writeFileAtomic(join(dir, "b.bin"), Uint8Array.of(1, 2, 3));
    writeFileAtomic(join(dir, "c.bin"), [Uint8Array.of(1), Uint8Array.of(2, 3)]);
    expect([...readFileSync(join(dir, "c.bin"))]).toEqual([1, 2, 3]);
    expect(readdirSync(dir).sort()).toEqual(["a.json", "b.bin", "c.bin"]);
  });

  it("fsyncs the data before the rename, then fsyncs the folder", () => {
    const dir = tempDir();
    const p = join(dir, "f.txt");
    const calls: string[] = [];
    const fds = new Map<number, string>();
    const open = fsOps.openSync;
    vi.spyOn(fsOps, "openSync").mockImplementation((path, flags, mode) => {
      const fd = open(path, flags, mode);
      fds.set(fd, String(path) === dir ? "folder" : "temp");
      return fd;
    });
    const fsync = fsOps.fsyncSync;
    vi.spyOn(fsOps, "fsyncSync").mockImplementation((fd) => {
      calls.push(`fsync ${fds.get(fd)}`);
      fsync(fd);
    });
    const rename = fsOps.renameSync;
    vi.spyOn(fsOps, "renameSync").mockImplementation((a, b) => {
      calls.push("rename");
      rename(a, b);
    });
    writeFileAtomic(p, "durable");
    expect(calls).toEqual(["fsync temp", "rename", "fsync folder"]);
    expect(readFileSync(p, "utf8")).toBe("durable");
  });

  it("a failed write (ENOSPC) removes the temp file, keeps the old file and names the path", () => {
    const dir = tempDir();
    const p = join(dir, "metrics.json");
    writeFileAtomic(p, "old");
    vi.spyOn(fsOps, "writeSync").mockImplementation(() => {
      throw errno("ENOSPC", "write");
    });
    expect(() => writeFileAtomic(p, "new")).toThrow(`${p}: no space left on device`);
    expect(readdirSync(dir)).toEqual(["metrics.json"]);
    expect(readFileSync(p, "utf8")).toBe("old");
  });

  it("EROFS and EACCES are one line naming the path", () => {
    const dir = tempDir();
    const p = join(dir, "x");
    for (const [code, text] of [
      ["EROFS", "read-only file system"],
      ["EACCES", "permission denied"],
    ]) {
      vi.spyOn(fsOps, "openSync").mockImplementationOnce(() => {
        throw errno(code!, "open");
      });
      let err: (Error & { code?: string }) | undefined;
      try {
        writeFileAtomic(p, "x");
      } catch (e) {
        err = e as Error & { code?: string };
      }
      expect(err?.message).toBe(`${p}: ${text}`);
      expect(err?.code).toBe(code);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a failed rename (the target is a folder) leaves nothing behind", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "t"));
    expect(() => writeFileAtomic(join(dir, "t"), "x")).toThrow(join(dir, "t"));
    expect(readdirSync(dir)).toEqual(["t"]);
  });

  it("a missing folder is named", () => {
    const dir = tempDir();
    expect(() => writeFileAtomic(join(dir, "no", "f"), "x")).toThrow(`the folder ${join(dir, "no")} does not exist`);
  });
});

describe("removeStaleTemps", () => {
  it("removes a dead process's temp files and keeps a live one's and other files", () => {
    const dir = tempDir();
    const dead = deadPid();
    const stale = join(dir, `.cache.bin.tmp-${dead}-0a1b2c3d`);
    const live = join(dir, `.cache.json.tmp-${process.pid}-deadbeef`);
    for (const f of [stale, live, join(dir, "cache.bin"), join(dir, ".hidden")]) writeFileSync(f, "x");
    expect(removeStaleTemps(dir)).toEqual([stale]);
    expect(readdirSync(dir).sort()).toEqual([`.cache.json.tmp-${process.pid}-deadbeef`, ".hidden", "cache.bin"]);
  });

  it("a missing folder has none", () => {
    expect(removeStaleTemps(join(tempDir(), "none"))).toEqual([]);
  });
});
