/**
 * Checkpoint encoding: one self-verifying byte string.
 *
 *   0  `LPCKPT2\n`
 *   8  uint32 LE  length of the JSON header (state + array manifest)
 *  12  uint32 LE  total length of the checkpoint, low word
 *  16  uint32 LE  total length, high word
 *  20  32 bytes   SHA-256 of bytes 0..20 followed by bytes 52..end (everything but the checksum itself)
 *  52  JSON header, zero padding to 4 bytes, then the float32 arrays back to back (little-endian)
 *
 * decodeCheckpoint checks the length and the checksum before it parses anything, so a flipped bit, a cut or
 * appended bytes throw CheckpointError ("checkpoint is corrupt: …"); the caller adds the file name.
 */
import { createHash } from "node:crypto";

export const CHECKPOINT_MAGIC = "LPCKPT2\n";
const MAGIC_PREFIX = "LPCKPT";
const FIXED = 52;
const HASH_AT = 20;
const TWO32 = 4294967296;

export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  /** the message without its "checkpoint is corrupt: " prefix, for a caller that names the file itself */
  readonly reason: string;
  constructor(message: string, reason = message) {
    super(message);
    this.reason = reason;
  }
}

function corrupt(reason: string): CheckpointError {
  return new CheckpointError(`checkpoint is corrupt: ${reason}`, reason);
}

/** SHA-256 over the checkpoint's first `total` bytes, skipping the checksum field. */
function digest(bytes: Uint8Array, total: number): Uint8Array {
  return createHash("sha256").update(bytes.subarray(0, HASH_AT)).update(bytes.subarray(FIXED, total)).digest();
}

/** Encodes a JSON-able header and named float32 arrays. */
export function encodeCheckpoint(header: unknown, arrays: ReadonlyMap<string, Float32Array>): Uint8Array {
  const manifest = [...arrays].map(([name, a]) => ({ name, length: a.length }));
  const json = new TextEncoder().encode(JSON.stringify({ header, manifest }, keepNonFinite));
  const dataStart = Math.ceil((FIXED + json.length) / 4) * 4;
  const total = dataStart + manifest.reduce((s, m) => s + m.length * 4, 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, json.length, true);
  view.setUint32(12, total % TWO32, true);
  view.setUint32(16, Math.floor(total / TWO32), true);
  out.set(json, FIXED);
  let off = dataStart;
  for (const a of arrays.values()) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  out.set(digest(out, total), HASH_AT);
  return out;
}

/** Decodes bytes made by encodeCheckpoint; throws CheckpointError on anything else. */
export function decodeCheckpoint(bytes: Uint8Array): { header: unknown; arrays: Map<string, Float32Array> } {
  checkMagic(bytes);
  if (bytes.length < FIXED)
    throw corrupt(`truncated: ${bytes.length} bytes, shorter than its ${FIXED}-byte fixed header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(8, true);
  const total = view.getUint32(12, true) + view.getUint32(16, true) * TWO32;
  const stored = bytes.subarray(HASH_AT, FIXED);
  const matches = (n: number) => n >= FIXED && n <= bytes.length && equal(digest(bytes, n), stored);
  if (total > bytes.length) throw corrupt(`truncated: ${bytes.length} of its ${total} bytes`);
  if (total < bytes.length) {
    if (matches(total)) throw corrupt(`${bytes.length - total} bytes after its end (appended to)`);
    throw corrupt(`its length field says ${total} bytes, it has ${bytes.length}, and its SHA-256 does not match`);
  }
  if (!matches(total)) throw corrupt("SHA-256 mismatch: its bytes changed after it was written");
  // NOTE: past the checksum only a faulty writer can produce what follows; still no raw exception escapes.
  const jsonEnd = FIXED + jsonLength;
  if (jsonEnd > total) throw corrupt(`its header of ${jsonLength} bytes runs past its end`);
  let parsed: { header?: unknown; manifest?: unknown };
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes.subarray(FIXED, jsonEnd)), restoreNonFinite) as typeof parsed;
  } catch {
    throw corrupt("its JSON header does not parse");
  }
  const manifest = parsed?.manifest;
  if (
    !Array.isArray(manifest) ||
    !manifest.every(
      (m: { name?: unknown; length?: unknown }) =>
        typeof m?.name === "string" && Number.isSafeInteger(m.length) && (m.length as number) >= 0,
    )
  )
    throw corrupt("its header has no valid array manifest");
  let off = Math.ceil(jsonEnd / 4) * 4;
  const need = off + (manifest as { length: number }[]).reduce((s, m) => s + m.length * 4, 0);
  if (need !== total) throw corrupt(`its arrays need ${need} bytes, it has ${total}`);
  const arrays = new Map<string, Float32Array>();
  for (const m of manifest as { name: string; length: number }[]) {
    const a = new Float32Array(m.length);
    new Uint8Array(a.buffer).set(bytes.subarray(off, off + m.length * 4));
    arrays.set(m.name, a);
    off += m.length * 4;
  }
  return { header: parsed.header, arrays };
}

function checkMagic(bytes: Uint8Array): void {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, CHECKPOINT_MAGIC.length));
  if (head === CHECKPOINT_MAGIC) return;
  if (head === "LPCKPT1\n")
    throw new CheckpointError(
      "checkpoint was made by an older version of lowprec (LPCKPT1, without length and checksum); it cannot be " +
        "verified or resumed: start the run again",
    );
  if (head.startsWith(MAGIC_PREFIX) && head.endsWith("\n"))
    throw new CheckpointError(
      `checkpoint format ${head.trim()} is not one this version reads (${CHECKPOINT_MAGIC.trim()})`,
    );
  throw new CheckpointError("not a lowprec checkpoint (bad magic)");
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// NOTE: JSON has no NaN or Infinity (epoch 0 has no training loss); they travel as {"$number": "NaN"}.
function keepNonFinite(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? { $number: String(v) } : v;
}
function restoreNonFinite(_key: string, v: unknown): unknown {
  if (v !== null && typeof v === "object" && "$number" in v && Object.keys(v).length === 1)
    return Number((v as { $number: string }).$number);
  return v;
}
