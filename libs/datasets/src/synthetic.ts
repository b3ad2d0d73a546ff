/**
 * Synthetic CIFAR-10 files in the genuine binary format (data_batch_1..5.bin, test_batch.bin), for
 * benchmarks and pipeline checks at the real size where the real files are absent. The images are
 * smooth random colour waves plus noise (so GCN and ZCA see realistic correlations); the labels are
 * uniform. Deterministic: the same counts give the same bytes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes `trainCount` records over the five training batches and `testCount` into test_batch.bin. */
export function writeSyntheticCifar10(dir: string, trainCount: number, testCount: number): void {
  if (!Number.isInteger(trainCount) || trainCount < 5 || !Number.isInteger(testCount) || testCount < 1)
    throw new RangeError(
      `writeSyntheticCifar10: counts must be integers, at least 5 training records` +
        ` (one per batch file) and 1 test record, got ${trainCount} and ${testCount}`,
    );
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const record = (buf: Uint8Array, o: number) => {
    buf[o] = Math.floor(rnd() * 10);
    const fx = 1 + rnd() * 3,
      fy = 1 + rnd() * 3,
      ph = rnd() * 6.28,
      base = 60 + rnd() * 120;
    for (let ch = 0; ch < 3; ch++) {
      const tint = 0.7 + 0.6 * rnd();
      for (let r = 0; r < 32; r++)
        for (let c = 0; c < 32; c++) {
          const v = base * tint + 50 * Math.sin((fx * r + fy * c) / 10 + ph) + 20 * (rnd() - 0.5);
          buf[o + 1 + ch * 1024 + r * 32 + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
    }
  };
  for (let b = 1; b <= 5; b++) {
    const n = Math.floor(trainCount / 5) + (b <= trainCount % 5 ? 1 : 0);
    const buf = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i++) record(buf, i * 3073);
    writeFileSync(join(dir, `data_batch_${b}.bin`), buf);
  }
  const buf = new Uint8Array(testCount * 3073);
  for (let i = 0; i < testCount; i++) record(buf, i * 3073);
  writeFileSync(join(dir, "test_batch.bin"), buf);
}

/**
 * Synthetic SVHN format 2 files (train_32x32.mat, test_32x32.mat: MAT 5.0, uncompressed, X uint8 32×32×3×N
 * column-major, y double N×1 with labels 1..10 as the real files hold them, 10 meaning the digit 0), for
 * pipeline checks where the real files are absent. The same waves as writeSyntheticCifar10; the labels cycle
 * 1..10 so every class has its share (the SVHN split draws validation images per class). No extra_32x32.mat:
 * the loader then uses the documented train-only split. Deterministic: the same counts give the same bytes.
 */
export function writeSyntheticSvhn(dir: string, trainCount: number, testCount: number): void {
  if (!Number.isInteger(trainCount) || trainCount < 10 || !Number.isInteger(testCount) || testCount < 1)
    throw new RangeError(
      `writeSyntheticSvhn: counts must be integers, at least 10 training images (one per class) and 1 test ` +
        `image, got ${trainCount} and ${testCount}`,
    );
  let seed = 54321;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const file = (count: number): Buffer => {
    // X is 32 (rows) × 32 (columns) × 3 (channels) × count, column-major: row fastest, then column, channel, image
    const x = new Uint8Array(32 * 32 * 3 * count);
    for (let n = 0; n < count; n++) {
      const fx = 1 + rnd() * 3;
      const fy = 1 + rnd() * 3;
      const ph = rnd() * 6.28;
      const base = 60 + rnd() * 120;
      for (let ch = 0; ch < 3; ch++) {
        const tint = 0.7 + 0.6 * rnd();
        for (let c = 0; c < 32; c++)
          for (let r = 0; r < 32; r++) {
            const v = base * tint + 50 * Math.sin((fx * r + fy * c) / 10 + ph) + 20 * (rnd() - 0.5);
            x[r + 32 * (c + 32 * (ch + 3 * n))] = Math.max(0, Math.min(255, Math.round(v)));
          }
      }
    }
    const y = Float64Array.from({ length: count }, (_, n) => (n % 10) + 1);
    return Buffer.concat([
      matHeader(),
      matMatrix("X", 9, [32, 32, 3, count], 2, x),
      matMatrix("y", 6, [count, 1], 9, new Uint8Array(y.buffer)),
    ]);
  };
  writeFileSync(join(dir, "train_32x32.mat"), file(trainCount));
  writeFileSync(join(dir, "test_32x32.mat"), file(testCount));
}

/** The 128-byte MAT 5.0 header: descriptive text, no subsystem data, version 0x0100, little-endian ("IM"). */
function matHeader(): Buffer {
  const h = Buffer.alloc(128, 0x20);
  h.write("MATLAB 5.0 MAT-file, written by @lowprec/datasets writeSyntheticSvhn", 0, "latin1");
  h.fill(0, 116, 124);
  h.writeUInt16LE(0x0100, 124);
  h.write("IM", 126, "latin1");
  return h;
}

/** A data element: its 8-byte tag (type, byte count) and its bytes, padded to a multiple of 8. */
function matElement(type: number, bytes: Uint8Array): Buffer {
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(bytes.length, 4);
  return Buffer.concat([
    tag,
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
    Buffer.alloc(-bytes.length & 7),
  ]);
}

/** An miMATRIX element: a real, non-sparse array of mxArray class `cls`, its data stored as MAT type `dataType`. */
function matMatrix(name: string, cls: number, dims: readonly number[], dataType: number, data: Uint8Array): Buffer {
  const flags = new Uint32Array([cls, 0]);
  const body = Buffer.concat([
    matElement(6, new Uint8Array(flags.buffer)), // miUINT32 array flags
    matElement(5, new Uint8Array(Int32Array.from(dims).buffer)), // miINT32 dimensions
    matElement(1, new Uint8Array(Buffer.from(name, "latin1"))), // miINT8 name
    matElement(dataType, data),
  ]);
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(14, 0);
  tag.writeUInt32LE(body.length, 4);
  return Buffer.concat([tag, body]);
}
