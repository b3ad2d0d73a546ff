/**
 * MATLAB 5.0 MAT-file reader, only what SVHN format 2 needs (see README "MAT reader"):
 * little-endian files; top-level miMATRIX elements, plain or inside miCOMPRESSED (zlib); real, non-sparse
 * numeric arrays of class double, single, int8/16/32, uint8/16/32 (and logical, stored as uint8), with the
 * data stored in any numeric MAT type (MATLAB often stores a double array as miUINT8). Values are returned in
 * MATLAB's column-major order. Anything else (cell, struct, char, sparse, complex, v7.3/HDF5) is an error.
 */
import { inflateSync } from "node:zlib";
import { DataFormatError } from "../dataset.js";
import { fileRecord, readMaybeGzip } from "./files.js";

// MAT data types (tag type field)
const mi = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
} as const;
const miSize: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8 };

// mxArray classes (low byte of the array-flags word)
const MX_CLASSES: Record<number, string> = {
  1: "cell",
  2: "struct",
  3: "object",
  4: "char",
  5: "sparse",
  6: "double",
  7: "single",
  8: "int8",
  9: "uint8",
  10: "int16",
  11: "uint16",
  12: "int32",
  13: "uint32",
  14: "int64",
  15: "uint64",
};
const SUPPORTED = new Set(["double", "single", "int8", "uint8", "int16", "uint16", "int32", "uint32"]);

export type MatData =
  | Float64Array
  | Float32Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface MatVariable {
  readonly name: string;
  /** MATLAB class: double, single, uint8, ... */
  readonly className: string;
  /** dimensions as MATLAB gives them (column-major), e.g. [32, 32, 3, N] */
  readonly dims: readonly number[];
  /** values in column-major order, typed after the class */
  readonly data: MatData;
}

export interface MatFile {
  readonly path: string;
  /** the 116-byte descriptive text of the header, trimmed */
  readonly header: string;
  readonly variables: ReadonlyMap<string, MatVariable>;
  readonly sha256: string;
  readonly bytes: number;
}

/**
 * Reads a MAT 5.0 file. With `names`, only those variables are decoded (others are skipped without inflating
 * their data where possible) and each one must be present.
 */
export function readMat(path: string, names?: readonly string[]): MatFile {
  const { bytes, raw } = readMaybeGzip(path);
  if (isMatV4(bytes))
    throw new DataFormatError(
      path,
      "MAT v4 is not supported (no 128-byte MAT 5.0 text header); save with -v6 or -v7" +
        ' (scipy: savemat(..., format="5"))',
    );
  if (bytes.length < 128) throw new DataFormatError(path, `truncated MAT header: ${bytes.length} bytes, need 128`);
  const header = Buffer.from(bytes.subarray(0, 116))
    .toString("latin1")
    .replace(/[\0 ]+$/, "");
  if (header.startsWith("MATLAB 7.3"))
    throw new DataFormatError(path, "MAT v7.3 (HDF5) files are not supported; save with -v7 or -v6");
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (endian === "MI") throw new DataFormatError(path, "big-endian MAT files are not supported");
  if (endian !== "IM" || !header.startsWith("MATLAB 5.0"))
    throw new DataFormatError(
      path,
      `not a MAT 5.0 file (header "${printable(header.slice(0, 20))}", endian "${printable(endian)}")`,
    );
  const variables = new Map<string, MatVariable>();
  const want = names ? new Set(names) : undefined;
  /** every variable name met, decoded or skipped, for the message on a missing one */
  const seen: string[] = [];
  let pos = 128;
  while (pos < bytes.length) {
    const tag = readTag(path, bytes, pos);
    const start = pos + tag.headerBytes;
    const end = start + tag.nbytes;
    if (end > bytes.length)
      throw new DataFormatError(
        path,
        `truncated: element at byte ${pos} needs ${tag.nbytes} bytes, file ends at ${bytes.length}`,
      );
    let body = bytes.subarray(start, end);
    if (tag.type === mi.COMPRESSED) {
      try {
        body = inflateSync(body);
      } catch (e) {
        throw new DataFormatError(
          path,
          `compressed element at byte ${pos} is corrupt or truncated (${(e as Error).message})`,
        );
      }
      const inner = readTag(path, body, 0);
      if (inner.type !== mi.MATRIX)
        throw new DataFormatError(
          path,
          `compressed element at byte ${pos} holds MAT type ${inner.type}, expected miMATRIX (14)`,
        );
      const v = readMatrix(path, body.subarray(inner.headerBytes, inner.headerBytes + inner.nbytes), want, seen);
      if (v) variables.set(v.name, v);
      pos = end; // NOTE: compressed elements are not padded to 8 bytes
    } else if (tag.type === mi.MATRIX) {
      const v = readMatrix(path, body, want, seen);
      if (v) variables.set(v.name, v);
      pos = end + pad8(tag.nbytes);
    } else {
      throw new DataFormatError(
        path,
        `top-level element at byte ${pos} has MAT type ${tag.type}` +
          `; only miMATRIX (14) and miCOMPRESSED (15) are supported`,
      );
    }
  }
  if (want) {
    for (const n of want) {
      if (!variables.has(n))
        throw new DataFormatError(path, `missing variable "${n}" (found: ${seen.map(printable).join(", ") || "none"})`);
    }
  }
  const rec = fileRecord(path, raw);
  return { path, header, variables, sha256: rec.sha256, bytes: rec.bytes };
}

/** `s` with control and non-ASCII bytes written as \xNN, so a message never carries raw NUL bytes. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/**
 * Whether `b` starts like a MAT v4 file: no text header, but a 20-byte matrix header (type MOPT, rows, columns,
 * imaginary flag, name length) followed by a NUL-terminated name, in either byte order. A MAT 5.0 file starts with
 * text ("MATLAB 5.0 ..."), which never reads as a valid MOPT.
 */
function isMatV4(b: Uint8Array): boolean {
  if (b.length < 21) return false;
  const v = new DataView(b.buffer, b.byteOffset, 20);
  for (const little of [true, false]) {
    const mopt = v.getInt32(0, little);
    const [rows, cols, imagf, namlen] = [4, 8, 12, 16].map((o) => v.getInt32(o, little)) as [
      number,
      number,
      number,
      number,
    ];
    const [m, o, p, t] = [Math.floor(mopt / 1000), Math.floor(mopt / 100) % 10, Math.floor(mopt / 10) % 10, mopt % 10];
    if (mopt < 0 || m > 4 || o !== 0 || p > 5 || t > 2) continue;
    if (rows < 0 || cols < 0 || (imagf !== 0 && imagf !== 1) || namlen < 1 || namlen > 4096) continue;
    if (20 + namlen <= b.length && b[20 + namlen - 1] === 0) return true;
  }
  return false;
}

function pad8(n: number): number {
  return (8 - (n % 8)) % 8;
}

interface Tag {
  type: number;
  nbytes: number;
  headerBytes: number;
}

/**
 * A data-element tag: 8 bytes (type, nbytes), or the 4-byte "small data element" form (nbytes ≤ 4 in the upper
 * half).
 */
function readTag(path: string, b: Uint8Array, pos: number): Tag {
  if (pos + 8 > b.length)
    throw new DataFormatError(path, `truncated: data-element tag at byte ${pos} runs past the end (${b.length} bytes)`);
  const v = new DataView(b.buffer, b.byteOffset + pos, 8);
  const first = v.getUint32(0, true);
  if (first >>> 16 !== 0) return { type: first & 0xffff, nbytes: first >>> 16, headerBytes: 4 };
  return { type: first, nbytes: v.getUint32(4, true), headerBytes: 8 };
}

/** Reads a sub-element at `pos` of a matrix body: returns its type, bytes and the position after it (padded). */
function subElement(
  path: string,
  body: Uint8Array,
  pos: number,
  what: string,
): { type: number; data: Uint8Array; next: number } {
  const tag = readTag(path, body, pos);
  const start = pos + tag.headerBytes;
  const end = start + tag.nbytes;
  if (end > body.length)
    throw new DataFormatError(path, `truncated: ${what} needs ${tag.nbytes} bytes, only ${body.length - start} left`);
  const padded = tag.headerBytes === 4 ? pos + 8 : end + pad8(tag.nbytes);
  return { type: tag.type, data: body.subarray(start, end), next: padded };
}

function readMatrix(
  path: string,
  body: Uint8Array,
  want: Set<string> | undefined,
  seen: string[],
): MatVariable | undefined {
  const flags = subElement(path, body, 0, "array flags");
  if (flags.type !== mi.UINT32 || flags.data.length < 8)
    throw new DataFormatError(path, "miMATRIX without a valid array-flags sub-element");
  const fv = new DataView(flags.data.buffer, flags.data.byteOffset, 8);
  const flagWord = fv.getUint32(0, true);
  const classId = flagWord & 0xff;
  const complex = (flagWord & 0x800) !== 0;
  const dimsEl = subElement(path, body, flags.next, "dimensions");
  if (dimsEl.type !== mi.INT32)
    throw new DataFormatError(path, `dimensions stored as MAT type ${dimsEl.type}, expected miINT32`);
  const dims: number[] = [];
  const dv = new DataView(dimsEl.data.buffer, dimsEl.data.byteOffset, dimsEl.data.byteLength);
  for (let i = 0; i + 4 <= dimsEl.data.length; i += 4) dims.push(dv.getInt32(i, true));
  const nameEl = subElement(path, body, dimsEl.next, "array name");
  const name = Buffer.from(nameEl.data).toString("latin1");
  seen.push(name);
  if (want && !want.has(name)) return undefined;
  const className = MX_CLASSES[classId] ?? `class ${classId}`;
  if (!SUPPORTED.has(className))
    throw new DataFormatError(
      path,
      `variable "${name}" has unsupported class ${className}; supported: ${[...SUPPORTED].join(", ")}`,
    );
  if (complex) throw new DataFormatError(path, `variable "${name}" is complex; only real arrays are supported`);
  const count = dims.reduce((a, d) => a * d, 1);
  const real = subElement(path, body, nameEl.next, `real part of "${name}"`);
  const size = miSize[real.type];
  if (size === undefined)
    throw new DataFormatError(path, `variable "${name}" stores its data as unsupported MAT type ${real.type}`);
  if (real.data.length !== count * size) {
    throw new DataFormatError(
      path,
      `variable "${name}" [${dims.join("×")}] needs ${count * size}` +
        ` data bytes of MAT type ${real.type}, found ${real.data.length}`,
    );
  }
  return { name, className, dims, data: convert(real.type, real.data, count, className) };
}

function makeClassArray(className: string, n: number): MatData {
  switch (className) {
    case "double":
      return new Float64Array(n);
    case "single":
      return new Float32Array(n);
    case "int8":
      return new Int8Array(n);
    case "uint8":
      return new Uint8Array(n);
    case "int16":
      return new Int16Array(n);
    case "uint16":
      return new Uint16Array(n);
    case "int32":
      return new Int32Array(n);
    default:
      return new Uint32Array(n);
  }
}

/** Decodes `count` little-endian values of MAT type `type` into an array of the MATLAB class. */
function convert(type: number, src: Uint8Array, count: number, className: string): MatData {
  // NOTE: uint8 stored as uint8 (SVHN's images) is handed out as a view: a copy of extra_32x32.mat would be 1.6 GB.
  if (type === mi.UINT8 && className === "uint8") return src.subarray(0, count);
  const out = makeClassArray(className, count);
  if (type === mi.UINT8) {
    out.set(src.subarray(0, count)); // converts to the class's element type
    return out;
  }
  const v = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let i = 0; i < count; i++) {
    let x: number;
    switch (type) {
      case mi.INT8:
        x = v.getInt8(i);
        break;
      case mi.INT16:
        x = v.getInt16(2 * i, true);
        break;
      case mi.UINT16:
        x = v.getUint16(2 * i, true);
        break;
      case mi.INT32:
        x = v.getInt32(4 * i, true);
        break;
      case mi.UINT32:
        x = v.getUint32(4 * i, true);
        break;
      case mi.SINGLE:
        x = v.getFloat32(4 * i, true);
        break;
      case mi.DOUBLE:
        x = v.getFloat64(8 * i, true);
        break;
      case mi.INT64:
        x = Number(v.getBigInt64(8 * i, true));
        break;
      default:
        x = Number(v.getBigUint64(8 * i, true));
        break;
    }
    out[i] = x;
  }
  return out;
}
