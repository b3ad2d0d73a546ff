// Folders replaced whole (swap.ts): the old folder or the new one, never files of both, whatever fails or is
// killed (SIGKILL inside a file write of the new folder, after it is filled, between the two renames, after the
// second), once the next process recovers; and no `.swap-` folder left behind.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { recoverDirSwap, replaceDirAtomic, writeFileAtomic } from "../src/index.js";
import { fsOps } from "../src/fsops.js";
import { deadPid, errno, tempDir } from "./helpers.js";

const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));

const OLD = { "a.txt": "old a\n", "b.txt": "old b\n" };
const NEW = { "a.txt": "new a\n", "b.txt": "new b\n", "c.txt": "new c\n" };

/** `<parent>/report` holding OLD. */
function withOld(): { parent: string; target: string } {
  const parent = tempDir();
  const target = join(parent, "report");
  mkdirSync(target);
  for (const [f, t] of Object.entries(OLD)) writeFileSync(join(target, f), t);
  return { parent, target };
}

const contents = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
const leftovers = (parent: string) => readdirSync(parent).filter((f) => f !== "report");

afterEach(() => {
  vi.restoreAllMocks();
});

describe("replaceDirAtomic", () => {
  it("replaces the folder whole (files of the old one that the new one lacks are gone), or creates it", () => {
    const { parent, target } = withOld();
    writeFileSync(join(target, "stale.csv"), "left by an older collection\n");
    replaceDirAtomic(target, (d) => {
      for (const [f, t] of Object.entries(NEW)) writeFileAtomic(join(d, f), t);
    });
    expect(contents(target)).toEqual(NEW);
    expect(leftovers(parent)).toEqual([]);
    const fresh = join(tempDir(), "made");
    replaceDirAtomic(fresh, (d) => writeFileAtomic(join(d, "x"), "x"));
    expect(contents(fresh)).toEqual({ x: "x" });
  });

  it("a fill that throws leaves the old folder and no temp folder", () => {
    const { parent, target } = withOld();
    expect(() =>
      replaceDirAtomic(target, (d) => {
        writeFileAtomic(join(d, "a.txt"), "new a\n");
        throw new Error("the store could not be read");
      }),
    ).toThrow("the store could not be read");
    expect(contents(target)).toEqual(OLD);
    expect(leftovers(parent)).toEqual([]);
  });

  it("a rename that fails puts the old folder back, removes the new one, and names the folder", () => {
    const { parent, target } = withOld();
    const real = fsOps.renameSync;
    let n = 0;
    vi.spyOn(fsOps, "renameSync").mockImplementation((from, to) => {
      // the first two renames are the files' own (writeFileAtomic); the fourth is "new in"
      if (++n === 4) throw errno("EIO", "rename");
      real(from, to);
    });
    expect(() =>
      replaceDirAtomic(target, (d) => {
        writeFileAtomic(join(d, "a.txt"), "new a\n");
        writeFileAtomic(join(d, "b.txt"), "new b\n");
      }),
    ).toThrow(`${target}: input/output error`);
    expect(contents(target)).toEqual(OLD);
    expect(leftovers(parent)).toEqual([]);
  });

  it("refuses a parent that is not a folder, in one line", () => {
    const parent = tempDir();
    writeFileSync(join(parent, "file"), "");
    expect(() => replaceDirAtomic(join(parent, "file", "report"), () => {})).toThrow(/is not a folder$/);
  });

  // NOTE: each kill in a child process (LOWPREC_FAULT_KILL, as the atomic writes' own kill test), then this
  // process recovers: before the renames the old folder stays; from the first rename on the swap is finished.
  for (const [point, expected] of [
    ["b.txt:1", OLD],
    ["#swap-filled:1", OLD],
    ["#swap-aside:1", NEW],
    ["#swap-in:1", NEW],
  ] as const) {
    it(`killed at ${point}: the next process recovers the ${expected === OLD ? "old" : "new"} folder whole`, () => {
      const { parent, target } = withOld();
      const code = `
        const { replaceDirAtomic, writeFileAtomic } = await import(${JSON.stringify(DIST)});
        const { join } = await import("node:path");
        replaceDirAtomic(${JSON.stringify(target)}, (d) => {
          for (const [f, t] of Object.entries(${JSON.stringify(NEW)})) writeFileAtomic(join(d, f), t);
        });`;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], {
        env: { ...process.env, LOWPREC_FAULT_KILL: point },
        encoding: "utf8",
      });
      expect(r.signal, r.stderr).toBe("SIGKILL");
      expect(leftovers(parent).length).toBeGreaterThan(0);
      if (point === "#swap-aside:1") expect(existsSync(target)).toBe(false);
      const lines = recoverDirSwap(target);
      expect(lines.length).toBeGreaterThan(0);
      expect(contents(target)).toEqual(expected);
      expect(leftovers(parent)).toEqual([]);
      expect(recoverDirSwap(target)).toEqual([]);
    });
  }

  it("an old folder aside without its new one (removed by hand) is put back", () => {
    const { parent, target } = withOld();
    const aside = join(parent, `.report.swap-${deadPid()}-0a0b.old`);
    writeFileSync(join(parent, "x"), "");
    // move the old folder aside as a killed swap would have
    fsOps.renameSync(target, aside);
    expect(recoverDirSwap(target)).toEqual([`${target}: undid a swap interrupted by a kill`]);
    expect(contents(target)).toEqual(OLD);
    expect(leftovers(parent)).toEqual(["x"]);
  });

  it("a live process's swap is left alone", () => {
    const { parent, target } = withOld();
    const live = join(parent, `.report.swap-${process.ppid}-0a0b.new`);
    mkdirSync(live);
    expect(recoverDirSwap(target)).toEqual([]);
    expect(existsSync(live)).toBe(true);
  });
});
