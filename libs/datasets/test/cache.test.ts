import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cacheKey, readCache, writeCache } from "../src/index.js";
import { tempDir } from "./helpers.js";

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
});
