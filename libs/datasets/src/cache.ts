/**
 * The preprocessing cache: `<cacheDir>/<key>.bin` (the arrays, back to back) + `<key>.json` (their layout and a
 * description), where key = SHA-256 of the inputs' checksums and every parameter. Both files are written
 * atomically, .bin first, so a reader that finds the .json finds a complete .bin.
 */
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./io/files.js";

/** Bump when the cached layout or any preprocessing code changes meaning. */
export const CACHE_VERSION = 1;

export type CachedArray = Float32Array | Uint8Array;

interface ArrayEntry {
  name: string;
  dtype: "float32" | "uint8";
  offset: number;
  length: number;
}
interface CacheIndex {
  version: number;
  key: string;
  description: unknown;
  bytes: number;
  arrays: ArrayEntry[];
}

/** Stable hash of any JSON-able description of inputs and parameters. */
export function cacheKey(description: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify({ version: CACHE_VERSION, description }))
    .digest("hex")
    .slice(0, 32);
}

/** Paths of a cache entry. */
export function cachePaths(cacheDir: string, key: string): { bin: string; json: string } {
  return { bin: join(cacheDir, `${key}.bin`), json: join(cacheDir, `${key}.json`) };
}

/** Reads a cache entry, or undefined if it is absent or incomplete. */
export function readCache(cacheDir: string, key: string): Map<string, CachedArray> | undefined {
  const { bin, json } = cachePaths(cacheDir, key);
  let index: CacheIndex;
  try {
    index = JSON.parse(readFileSync(json, "utf8")) as CacheIndex;
    if (index.version !== CACHE_VERSION || index.key !== key || statSync(bin).size !== index.bytes) return undefined;
  } catch {
    return undefined;
  }
  const out = new Map<string, CachedArray>();
  const fd = openSync(bin, "r");
  try {
    for (const a of index.arrays) {
      const data = a.dtype === "uint8" ? new Uint8Array(a.length) : new Float32Array(a.length);
      let at = a.offset;
      for (const view of byteViews(data)) {
        readFully(fd, view, at);
        at += view.length;
      }
      out.set(a.name, data);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Writes a cache entry atomically (.bin then .json). */
export function writeCache(
  cacheDir: string,
  key: string,
  description: unknown,
  arrays: ReadonlyMap<string, CachedArray>,
): string {
  mkdirSync(cacheDir, { recursive: true });
  const entries: ArrayEntry[] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of arrays) {
    const dtype = data instanceof Float32Array ? "float32" : "uint8";
    entries.push({ name, dtype, offset, length: data.length });
    chunks.push(...byteViews(data));
    offset += data.byteLength;
    const pad = (4 - (offset % 4)) % 4;
    if (pad) {
      chunks.push(new Uint8Array(pad));
      offset += pad;
    }
  }
  const { bin, json } = cachePaths(cacheDir, key);
  writeFileAtomic(bin, chunks);
  const index: CacheIndex = { version: CACHE_VERSION, key, description, bytes: offset, arrays: entries };
  writeFileAtomic(json, [Buffer.from(JSON.stringify(index, null, 1))]);
  return bin;
}

/** Reads exactly target.length bytes at `position` (in ≤ 1 GiB pieces: files may exceed 2 GiB). */
function readFully(fd: number, target: Uint8Array, position: number): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (n === 0) throw new Error(`cache file ended early at byte ${position + done}`);
    done += n;
  }
}

/** The bytes of an array as views of ≤ 1 GiB (a single Uint8Array cannot exceed 4 GiB in Node 20; SVHN's can). */
function byteViews(data: CachedArray): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let off = 0; off < data.byteLength; off += 1 << 30) {
    views.push(new Uint8Array(data.buffer, data.byteOffset + off, Math.min(1 << 30, data.byteLength - off)));
  }
  return views;
}
