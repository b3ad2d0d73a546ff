/**
 * Sealed files: the payload, then a fixed-size text trailer holding the payload's exact length and SHA-256.
 * A reader gets the payload only when the file is exactly what was written: a flipped bit, a truncation,
 * bytes appended or a damaged trailer each throw CorruptFileError naming the file.
 *
 * Trailer (104 bytes, ASCII): `\nLPSEAL1 bytes=<16 decimal digits> sha256=<64 hex digits>\n`.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic.js";
import { fileError } from "./errors.js";

/** A file whose contents are not what was written. Message: `<path> is corrupt: <why>`. */
export class CorruptFileError extends Error {
  override readonly name = "CorruptFileError";
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`${path} is corrupt: ${why}`);
  }
}

/** Hex SHA-256. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

const MARK = "\nLPSEAL1 bytes=";
const TRAILER = /^\nLPSEAL1 bytes=(\d{16}) sha256=([0-9a-f]{64})\n$/;
const TRAILER_BYTES = MARK.length + 16 + " sha256=".length + 64 + 1;

function trailerFor(payload: Uint8Array): Uint8Array {
  const text = `${MARK}${String(payload.length).padStart(16, "0")} sha256=${sha256Hex(payload)}\n`;
  return Buffer.from(text, "latin1");
}

/** Writes `payload` and its seal atomically (through writeFileAtomic, which runs `beforeRename` if given). */
export function writeSealed(
  path: string,
  payload: Uint8Array,
  opts: { readonly beforeRename?: () => void } = {},
): void {
  writeFileAtomic(path, [payload, trailerFor(payload)], opts);
}

/**
 * The payload of a sealed file. Throws CorruptFileError naming the file when its length, checksum or trailer
 * is wrong, or bytes follow the trailer; a file that cannot be read throws an Error naming it (code kept).
 */
export function readSealed(path: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
  const payloadBytes = raw.length - TRAILER_BYTES;
  const tail = payloadBytes >= 0 ? raw.subarray(payloadBytes).toString("latin1") : "";
  const m = TRAILER.exec(tail);
  if (!m) throw new CorruptFileError(path, whyNoTrailer(raw));
  const sealedBytes = Number(m[1]);
  if (sealedBytes !== payloadBytes)
    throw new CorruptFileError(path, `it holds ${payloadBytes} bytes of data, its seal says ${sealedBytes}`);
  const payload = raw.subarray(0, payloadBytes);
  if (sha256Hex(payload) !== m[2])
    throw new CorruptFileError(path, "SHA-256 mismatch: its bytes changed after it was written");
  return new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
}

/** Why the end of the file is not a valid trailer. */
function whyNoTrailer(raw: Buffer): string {
  const at = raw.lastIndexOf(MARK, undefined, "latin1");
  if (at < 0) return `no seal trailer at its end (truncated, or not a sealed file; ${raw.length} bytes)`;
  const candidate = raw.subarray(at, at + TRAILER_BYTES).toString("latin1");
  if (TRAILER.test(candidate) && at + TRAILER_BYTES < raw.length)
    return `${raw.length - at - TRAILER_BYTES} bytes were appended after its seal`;
  return "its seal trailer is garbled or cut short";
}
