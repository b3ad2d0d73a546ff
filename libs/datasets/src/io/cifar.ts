/** CIFAR-10 binary version: records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G, 1024 B, rows of 32). */
import { DataFormatError } from "../dataset.js";
import { fileRecord, readMaybeGzip } from "./files.js";

/** Bytes per CIFAR-10 record: 1 label + 3·32·32 pixels. */
export const CIFAR_RECORD_BYTES = 3073;
export const CIFAR_IMAGE_BYTES = 3072;

export interface CifarBatch {
  readonly path: string;
  readonly count: number;
  /** count × 3072 raw pixels 0..255, CHW per image */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Reads one CIFAR-10 .bin batch. Throws DataFormatError on a size that is not a positive multiple of 3073 or a
 * label ≥ 10.
 */
export function readCifarBatch(path: string): CifarBatch {
  const { bytes, raw } = readMaybeGzip(path);
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    throw new DataFormatError(
      path,
      `size ${bytes.length} bytes` +
        ` is not a positive multiple of the CIFAR-10 record size ${CIFAR_RECORD_BYTES} (1 label + 3072 pixels)`,
    );
  }
  const count = bytes.length / CIFAR_RECORD_BYTES;
  const pixels = new Uint8Array(count * CIFAR_IMAGE_BYTES);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const o = i * CIFAR_RECORD_BYTES;
    const label = bytes[o]!;
    if (label > 9) throw new DataFormatError(path, `record ${i} (byte offset ${o}) has label ${label}, expected 0..9`);
    labels[i] = label;
    pixels.set(bytes.subarray(o + 1, o + CIFAR_RECORD_BYTES), i * CIFAR_IMAGE_BYTES);
  }
  const rec = fileRecord(path, raw);
  return { path, count, pixels, labels, sha256: rec.sha256, bytes: rec.bytes };
}
