/**
 * Checkpoint encoding: one self-describing byte string, `LPCKPT1\n`, a little-endian uint32 length, a
 * JSON header (state + array manifest), zero padding to 4 bytes, then the float32 arrays back to back.
 */
export const CHECKPOINT_MAGIC = "LPCKPT1\n";

export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
}

/** Encodes a JSON-able header and named float32 arrays. */
export function encodeCheckpoint(header: unknown, arrays: ReadonlyMap<string, Float32Array>): Uint8Array {
  const manifest = [...arrays].map(([name, a]) => ({ name, length: a.length }));
  const json = new TextEncoder().encode(JSON.stringify({ header, manifest }, keepNonFinite));
  const magic = new TextEncoder().encode(CHECKPOINT_MAGIC);
  const start = magic.length + 4 + json.length;
  const dataStart = Math.ceil(start / 4) * 4;
  const total = dataStart + manifest.reduce((s, m) => s + m.length * 4, 0);
  const out = new Uint8Array(total);
  out.set(magic, 0);
  new DataView(out.buffer).setUint32(magic.length, json.length, true);
  out.set(json, magic.length + 4);
  let off = dataStart;
  for (const a of arrays.values()) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  return out;
}

/** Decodes bytes made by encodeCheckpoint; throws CheckpointError on anything else. */
export function decodeCheckpoint(bytes: Uint8Array): { header: unknown; arrays: Map<string, Float32Array> } {
  const magic = new TextEncoder().encode(CHECKPOINT_MAGIC);
  if (bytes.length < magic.length + 4 || !magic.every((b, i) => bytes[i] === b))
    throw new CheckpointError("not a lowprec checkpoint (bad magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const jsonLength = view.getUint32(magic.length, true);
  const jsonEnd = magic.length + 4 + jsonLength;
  if (jsonEnd > bytes.length)
    throw new CheckpointError(`truncated checkpoint: header of ${jsonLength} bytes, file of ${bytes.length}`);
  const { header, manifest } = JSON.parse(
    new TextDecoder().decode(bytes.subarray(magic.length + 4, jsonEnd)),
    restoreNonFinite,
  ) as { header: unknown; manifest: { name: string; length: number }[] };
  let off = Math.ceil(jsonEnd / 4) * 4;
  const arrays = new Map<string, Float32Array>();
  for (const m of manifest) {
    const len = m.length * 4;
    if (off + len > bytes.length)
      throw new CheckpointError(
        `truncated checkpoint: array ${m.name} needs ${len} bytes at ${off}, file has ${bytes.length}`,
      );
    const a = new Float32Array(m.length);
    new Uint8Array(a.buffer).set(bytes.subarray(off, off + len));
    arrays.set(m.name, a);
    off += len;
  }
  return { header, arrays };
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
