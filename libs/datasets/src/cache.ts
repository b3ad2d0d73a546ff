/**
 * The preprocessing cache: `<cacheDir>/<key>.bin` (the arrays, back to back) + `<key>.json` (their layout, the
 * .bin's SHA-256 and a description), where key = SHA-256 of the inputs' checksums and every parameter. Both
 * files are written atomically, .bin first, so a reader that finds the .json finds a complete .bin.
 *
 * A reader trusts nothing: the layout must be exactly the one writeCache makes and the .bin must hash to the
 * recorded SHA-256. Anything else prints one line naming the file and counts as a miss, so the caller recomputes
 * (and its writeCache replaces the damaged entry).
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureWritableDir, removeStaleTemps, writeFileAtomic } from "@lowprec/storage";

/** Bump when the cached layout or any preprocessing code changes meaning. */
export const CACHE_VERSION = 2;

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
  /** size of the .bin */
  bytes: number;
  /** SHA-256 of the whole .bin, hex */
  sha256: string;
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

/** A damaged entry: the one line a user sees before the data is recomputed. */
class Corrupt {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {}
}

function warnCorrupt(c: Corrupt): undefined {
  const why = c.why.replace(/\s+/g, " ");
  console.warn(`${c.file}: corrupt preprocessing cache entry (${why}); it will be recomputed`);
  return undefined;
}

/**
 * Reads a cache entry, or undefined if it is absent or damaged (a damaged one prints one line naming the file).
 * Removes the temp files of dead writers from the folder first.
 */
export function readCache(cacheDir: string, key: string): Map<string, CachedArray> | undefined {
  removeStaleTemps(cacheDir);
  const { bin, json } = cachePaths(cacheDir, key);
  let text: string;
  try {
    text = readFileSync(json, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? undefined : warnCorrupt(new Corrupt(json, `cannot be read: ${code ?? String(e)}`));
  }
  const index = parseIndex(json, text, key);
  if (index instanceof Corrupt) return warnCorrupt(index);
  let size: number;
  try {
    size = statSync(bin).size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return warnCorrupt(new Corrupt(bin, code === "ENOENT" ? `missing, but ${json} exists` : `cannot be read: ${code}`));
  }
  if (size !== index.bytes) return warnCorrupt(new Corrupt(bin, `${size} bytes, its index says ${index.bytes}`));
  const arrays = readArrays(bin, index);
  return arrays instanceof Corrupt ? warnCorrupt(arrays) : arrays;
}

/** The index if it is exactly what writeCache writes (contiguous arrays, 4-byte aligned, right total). */
function parseIndex(json: string, text: string, key: string): CacheIndex | Corrupt {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return new Corrupt(json, `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const i = raw as Partial<CacheIndex> | null;
  if (i === null || typeof i !== "object") return new Corrupt(json, "not a JSON object");
  if (i.version !== CACHE_VERSION) return new Corrupt(json, `version ${String(i.version)}, expected ${CACHE_VERSION}`);
  if (i.key !== key) return new Corrupt(json, `key ${String(i.key)} does not match its file name`);
  if (!isCount(i.bytes)) return new Corrupt(json, `bytes ${String(i.bytes)} is not a byte count`);
  if (typeof i.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(i.sha256))
    return new Corrupt(json, "no SHA-256 of the .bin");
  if (!Array.isArray(i.arrays)) return new Corrupt(json, "no list of arrays");
  const names = new Set<string>();
  let pos = 0;
  for (const a of i.arrays as Partial<ArrayEntry>[]) {
    if (a === null || typeof a !== "object" || typeof a.name !== "string" || names.has(a.name))
      return new Corrupt(json, "an array without a name, or a name twice");
    names.add(a.name);
    if (a.dtype !== "float32" && a.dtype !== "uint8")
      return new Corrupt(json, `array ${a.name}: dtype ${String(a.dtype)}`);
    if (!isCount(a.offset) || !isCount(a.length))
      return new Corrupt(json, `array ${a.name}: offset ${String(a.offset)}, length ${String(a.length)}`);
    if (a.offset !== pos)
      return new Corrupt(json, `array ${a.name} starts at byte ${a.offset}, expected ${pos} (overlapping or gapped)`);
    const end = a.offset + a.length * (a.dtype === "float32" ? 4 : 1);
    if (end > i.bytes) return new Corrupt(json, `array ${a.name} ends at byte ${end}, beyond the ${i.bytes} bytes`);
    pos = Math.ceil(end / 4) * 4;
  }
  if (pos !== i.bytes) return new Corrupt(json, `its arrays fill ${pos} bytes, its total says ${i.bytes}`);
  return i as CacheIndex;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Reads the arrays in file order, hashing every byte (padding included) against the index's SHA-256. */
function readArrays(bin: string, index: CacheIndex): Map<string, CachedArray> | Corrupt {
  const out = new Map<string, CachedArray>();
  const hash = createHash("sha256");
  let fd = -1;
  try {
    fd = openSync(bin, "r");
    let at = 0;
    for (const a of index.arrays) {
      const data = a.dtype === "uint8" ? new Uint8Array(a.length) : new Float32Array(a.length);
      for (const view of byteViews(data)) {
        readFully(fd, view, at, hash);
        at += view.length;
      }
      const pad = Math.ceil(at / 4) * 4 - at;
      if (pad > 0) readFully(fd, new Uint8Array(pad), at, hash);
      at += pad;
      out.set(a.name, data);
    }
  } catch (e) {
    return new Corrupt(bin, e instanceof Error ? e.message : String(e));
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  const got = hash.digest("hex");
  if (got !== index.sha256) return new Corrupt(bin, `SHA-256 ${got.slice(0, 12)}… is not the recorded one`);
  return out;
}

/** Writes a cache entry atomically (.bin then .json with the .bin's SHA-256). */
export function writeCache(
  cacheDir: string,
  key: string,
  description: unknown,
  arrays: ReadonlyMap<string, CachedArray>,
): string {
  ensureWritableDir(cacheDir);
  removeStaleTemps(cacheDir);
  const entries: ArrayEntry[] = [];
  const chunks: Uint8Array[] = [];
  const hash = createHash("sha256");
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
  for (const c of chunks) hash.update(c);
  const { bin, json } = cachePaths(cacheDir, key);
  writeFileAtomic(bin, chunks);
  const index: CacheIndex = {
    version: CACHE_VERSION,
    key,
    description,
    bytes: offset,
    sha256: hash.digest("hex"),
    arrays: entries,
  };
  writeFileAtomic(json, JSON.stringify(index, null, 1));
  return bin;
}

/** Reads exactly target.length bytes at `position` (in ≤ 1 GiB pieces: files may exceed 2 GiB), hashing them. */
function readFully(fd: number, target: Uint8Array, position: number, hash: Hash): void {
  let done = 0;
  while (done < target.length) {
    const n = readSync(fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (n === 0) throw new Error(`the file ended early at byte ${position + done}`);
    done += n;
  }
  hash.update(target);
}

/** The bytes of an array as views of ≤ 1 GiB (a single Uint8Array cannot exceed 4 GiB in Node 20; SVHN's can). */
function byteViews(data: CachedArray): Uint8Array[] {
  const views: Uint8Array[] = [];
  for (let off = 0; off < data.byteLength; off += 1 << 30) {
    views.push(new Uint8Array(data.buffer, data.byteOffset + off, Math.min(1 << 30, data.byteLength - off)));
  }
  return views;
}
