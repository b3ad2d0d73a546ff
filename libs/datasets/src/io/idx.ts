/**
 * IDX reader (the MNIST / Fashion-MNIST container): magic 00 00 <type> <ndim>, ndim big-endian uint32 sizes,
 * then the values big-endian, row-major. Plain or gzip-compressed (.gz) files.
 */
import { DataFormatError } from "../dataset.js";
import { fileRecord, readMaybeGzip } from "./files.js";

/** IDX element types by their type byte. */
const IDX_TYPES = {
  0x08: { name: "ubyte", size: 1 },
  0x09: { name: "sbyte", size: 1 },
  0x0b: { name: "short", size: 2 },
  0x0c: { name: "int", size: 4 },
  0x0d: { name: "float", size: 4 },
  0x0e: { name: "double", size: 8 },
} as const;

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxFile {
  readonly path: string;
  /** element type name: ubyte, sbyte, short, int, float, double */
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: IdxData;
  /** SHA-256 and size of the file as stored (compressed, if .gz) */
  readonly sha256: string;
  readonly bytes: number;
}

/** Reads an IDX file (plain or gzip). Throws DataFormatError naming the file on a bad magic, size or truncation. */
export function readIdx(path: string): IdxFile {
  const { bytes, raw } = readMaybeGzip(path);
  if (bytes.length < 4) throw new DataFormatError(path, `truncated IDX header: ${bytes.length} bytes, need at least 4`);
  const typeByte = bytes[2]!;
  const ndim = bytes[3]!;
  const type = (IDX_TYPES as Record<number, { name: string; size: number } | undefined>)[typeByte];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || ndim === 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new DataFormatError(path, `wrong IDX magic ${magic}: expected 00 00 <type 08|09|0b|0c|0d|0e> <ndim ≥ 1>`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes)
    throw new DataFormatError(
      path,
      `truncated IDX header: ${bytes.length} bytes, need ${headerBytes} for ${ndim} dimensions`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const expected = headerBytes + count * type.size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? "truncated" : "has trailing bytes";
    throw new DataFormatError(
      path,
      `${what}: ${bytes.length} bytes, expected ${expected} for ${type.name} [${dims.join(", ")}]`,
    );
  }
  const data = decode(view, headerBytes, count, typeByte);
  return { path, type: type.name, dims, data, ...fileInfo(path, raw) };
}

function fileInfo(path: string, raw: Uint8Array): { sha256: string; bytes: number } {
  const r = fileRecord(path, raw);
  return { sha256: r.sha256, bytes: r.bytes };
}

function decode(view: DataView, offset: number, count: number, typeByte: number): IdxData {
  const start = view.byteOffset + offset;
  switch (typeByte) {
    case 0x08:
      return new Uint8Array(view.buffer, start, count);
    case 0x09:
      return new Int8Array(view.buffer, start, count);
    case 0x0b: {
      const a = new Int16Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt16(offset + 2 * i, false);
      return a;
    }
    case 0x0c: {
      const a = new Int32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt32(offset + 4 * i, false);
      return a;
    }
    case 0x0d: {
      const a = new Float32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat32(offset + 4 * i, false);
      return a;
    }
    default: {
      const a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat64(offset + 8 * i, false);
      return a;
    }
  }
}
