/**
 * File helpers shared by the readers: whole-file reads with gzip detection and checksums. Writes go through
 * @lowprec/storage (atomic and durable).
 */
import { readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { sha256Hex } from "@lowprec/storage";
import { DataFormatError } from "../dataset.js";

/** Reads a whole file; transparently gunzips it when it starts with the gzip magic 1f 8b. */
export function readMaybeGzip(path: string): { bytes: Uint8Array; raw: Buffer } {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw new DataFormatError(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return { bytes: gunzipSync(raw), raw };
    } catch (e) {
      throw new DataFormatError(path, `gzip data is corrupt or truncated (${(e as Error).message})`);
    }
  }
  return { bytes: raw, raw };
}

/** SHA-256 per (path, size, mtime), so loading the same file twice in a process hashes it once. */
const checksums = new Map<string, string>();

/** A provenance record for a file already read into memory. */
export function fileRecord(path: string, raw: Uint8Array): { path: string; sha256: string; bytes: number } {
  let key = "";
  try {
    const st = statSync(path);
    key = `${path}\0${st.size}\0${st.mtimeMs}`;
  } catch {
    // unreadable metadata: just hash
  }
  let sha256 = key ? checksums.get(key) : undefined;
  if (sha256 === undefined) {
    sha256 = sha256Hex(raw);
    if (key) checksums.set(key, sha256);
  }
  return { path, sha256, bytes: raw.length };
}

/** True when `path` exists and is a file. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
