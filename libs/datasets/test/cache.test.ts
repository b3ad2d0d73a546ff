import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { cacheKey, loadSvhn, readCache, writeCache } from "../src/index.js";
import { FIXTURES, tempDir } from "./helpers.js";

afterEach(() => {
  vi.restoreAllMocks();
});

/** console.warn lines while `f` runs. */
function warnings<T>(f: () => T): { value: T; lines: string[] } {
  const lines: string[] = [];
  const spy = vi.spyOn(console, "warn").mockImplementation((...m: unknown[]) => {
    lines.push(m.join(" "));
  });
  try {
    return { value: f(), lines };
  } finally {
    spy.mockRestore();
  }
}

/** A cache entry with two arrays; returns the paths. */
function entry(): { dir: string; key: string; bin: string; json: string } {
  const dir = tempDir();
  const key = cacheKey({ entry: Math.random() });
  writeCache(
    dir,
    key,
    { why: "test" },
    new Map<string, Float32Array | Uint8Array>([
      ["l", Uint8Array.from([1, 2, 3])],
      ["x", Float32Array.from([0.5, -1, 3e-8, 7])],
    ]),
  );
  return { dir, key, bin: join(dir, `${key}.bin`), json: join(dir, `${key}.json`) };
}

/** The entry's index, edited by `edit` and written back. */
function editIndex(
  json: string,
  edit: (index: { arrays: { offset: number; length: number }[]; bytes: number }) => void,
) {
  const index = JSON.parse(readFileSync(json, "utf8"));
  edit(index);
  writeFileSync(json, JSON.stringify(index));
}

describe("cache", () => {
  it("round-trips float32 and uint8 arrays; the key depends on every parameter", () => {
    const dir = tempDir();
    const key = cacheKey({ files: ["abc"], scale: 55 });
    expect(cacheKey({ files: ["abc"], scale: 55 })).toBe(key);
    expect(cacheKey({ files: ["abc"], scale: 1 })).not.toBe(key);
    expect(readCache(dir, key)).toBeUndefined();
    writeCache(
      dir,
      key,
      { why: "test" },
      new Map<string, Float32Array | Uint8Array>([
        ["l", Uint8Array.from([1, 2, 3])],
        ["x", Float32Array.from([0.5, -1, 3e-8])],
      ]),
    );
    const back = readCache(dir, key)!;
    expect(Array.from(back.get("l")!)).toEqual([1, 2, 3]);
    expect(Array.from(back.get("x")!)).toEqual([0.5, -1, Math.fround(3e-8)]);
    expect(readdirSync(dir).sort()).toEqual([`${key}.bin`, `${key}.json`]);
  });

  it("a failed write leaves no file and no temp file behind", () => {
    const dir = tempDir();
    const key = cacheKey("x");
    mkdirSync(join(dir, `${key}.bin`)); // the rename onto a folder fails
    expect(() => writeCache(dir, key, {}, new Map([["x", new Float32Array(4)]]))).toThrow();
    expect(readdirSync(dir)).toEqual([`${key}.bin`]);
    expect(readCache(dir, key)).toBeUndefined();
  });

  it("the index records the .bin's SHA-256", () => {
    const e = entry();
    expect(JSON.parse(readFileSync(e.json, "utf8")).sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("flipped bytes in the .bin (same size): one warning naming the file, and undefined (recompute)", () => {
    const e = entry();
    const b = readFileSync(e.bin);
    b[5]! ^= 0x01;
    writeFileSync(e.bin, b);
    expect(statSync(e.bin).size).toBe(b.length);
    const { value, lines } = warnings(() => readCache(e.dir, e.key));
    expect(value).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${e.bin}: .*corrupt.*recomputed`));
    expect(lines[0]).not.toContain("\n");
  });

  const damaged: [string, (json: string) => void][] = [
    ["does not parse", (json) => writeFileSync(json, '{"version": 2, "key": ')],
    ["an array out of range", (json) => editIndex(json, (i) => void (i.arrays[1]!.length += 1))],
    ["overlapping arrays", (json) => editIndex(json, (i) => void (i.arrays[1]!.offset = 0))],
    ["a wrong total", (json) => editIndex(json, (i) => void (i.bytes += 4))],
    ["a negative offset", (json) => editIndex(json, (i) => void (i.arrays[0]!.offset = -4))],
    ["no arrays field", (json) => editIndex(json, (i) => void Object.assign(i, { arrays: "x" }))],
  ];
  for (const [what, damage] of damaged) {
    it(`an index that ${what.startsWith("does") ? what : `has ${what}`}: one warning, undefined`, () => {
      const e = entry();
      damage(e.json);
      const { value, lines } = warnings(() => readCache(e.dir, e.key));
      expect(value).toBeUndefined();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/corrupt.*recomputed/);
      expect(lines[0]).toContain(e.dir);
    });
  }

  it("an absent entry is silent", () => {
    const { lines } = warnings(() => readCache(tempDir(), cacheKey("none")));
    expect(lines).toEqual([]);
  });

  it("opening the cache removes the temp files of dead writers", () => {
    const e = entry();
    const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout);
    const stale = `.${e.key}.bin.tmp-${dead}-00c0ffee`;
    writeFileSync(join(e.dir, stale), "half a cache");
    expect(readCache(e.dir, e.key)).toBeDefined();
    expect(readdirSync(e.dir)).not.toContain(stale);
  });

  it("loadSvhn recomputes a damaged entry (flipped .bin, edited .json), warns once, and heals the cache", () => {
    const dataDir = tempDir();
    const opts = { dir: join(FIXTURES, "svhn"), dataDir, validPerClassTrain: 1, validPerClassExtra: 1 } as const;
    const first = loadSvhn(opts);
    const bin = first.train.provenance.cacheFile!;
    const json = bin.replace(/\.bin$/, ".json");
    const damageBin = () => {
      const b = readFileSync(bin);
      for (const at of [100, 5000, b.length - 8]) b[at]! ^= 0x40;
      writeFileSync(bin, b);
    };
    const damageJson = () => editIndex(json, (i) => void (i.arrays[0]!.length += 1));
    for (const damage of [damageBin, damageJson]) {
      damage();
      const { value, lines } = warnings(() => loadSvhn(opts));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/corrupt.*recomputed/);
      expect(Array.from(value.train.images)).toEqual(Array.from(first.train.images));
      expect(Array.from(value.test.images)).toEqual(Array.from(first.test.images));
      // the recomputed entry replaced the damaged one: the next load reads it silently
      expect(warnings(() => loadSvhn(opts)).lines).toEqual([]);
    }
  });
});
