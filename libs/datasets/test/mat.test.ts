import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataFormatError, readMat, readSvhnMat } from "../src/index.js";
import { FIXTURES, pixel, tempDir } from "./helpers.js";

/** The message of the error `f` throws (fails the test if it throws nothing). */
function messageOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  throw new Error("expected an error");
}

describe("readMat (MAT 5.0, written by scipy.io.savemat)", () => {
  it("reads double, single, int16 (column-major) and uint8 arrays", () => {
    const m = readMat(join(FIXTURES, "mat", "types.mat"));
    const v = (n: string) => m.variables.get(n)!;
    expect(m.header).toMatch(/^MATLAB 5.0 MAT-file/);
    expect([v("d").className, v("d").dims, Array.from(v("d").data)]).toEqual(["double", [1, 3], [1.5, -2, 3.25]]);
    expect([v("s").className, Array.from(v("s").data)]).toEqual(["single", [1.5, -2.5]]);
    expect([v("i16").className, v("i16").dims, Array.from(v("i16").data)]).toEqual(["int16", [2, 2], [-3, 5, 4, -6]]);
    expect([v("u8").className, Array.from(v("u8").data)]).toEqual(["uint8", [7]]);
  });

  it("hands uint8 data stored as uint8 out as a view of the file's bytes, not a copy (SVHN's extra: 1.6 GB)", () => {
    const m = readMat(join(FIXTURES, "mat", "types.mat"));
    const u8 = m.variables.get("u8")!.data;
    // a copy would own a buffer of exactly its 1 byte; the view lies inside the file's bytes
    expect(u8.buffer.byteLength).toBeGreaterThan(100);
    // and a class converted on reading (int16) is a new array of its own
    expect(m.variables.get("i16")!.data.buffer.byteLength).toBe(8);
  });

  for (const [file, compressed, first] of [
    ["train_32x32.mat", true, 0],
    ["test_32x32.mat", false, 200],
  ] as const) {
    it(`reads SVHN ${file} (${compressed ? "zlib-compressed" : "uncompressed"} elements) exactly`, () => {
      const f = readSvhnMat(join(FIXTURES, "svhn", file));
      expect(f.count).toBe(compressed ? 30 : 2);
      for (let k = 0; k < f.count; k++) {
        const n = first + k;
        expect(f.y[k]).toBe((n % 10) + 1);
        for (let ch = 0; ch < 3; ch++)
          for (let r = 0; r < 32; r++)
            for (let c = 0; c < 32; c++) {
              // column-major X[r, c, ch, n]
              if (f.x[k * 3072 + ch * 1024 + c * 32 + r] !== pixel(n, ch, r, c))
                throw new Error(`${file} pixel ${k},${ch},${r},${c}`);
            }
      }
    });
  }

  it("names the file and the missing variable", () => {
    const p = join(FIXTURES, "bad", "missing_y.mat");
    expect(() => readSvhnMat(p)).toThrow(DataFormatError);
    expect(() => readSvhnMat(p)).toThrow(`${p}: missing variable "y" (found: X)`);
  });

  it("a missing variable lists every variable the file holds, not only the wanted ones", () => {
    const p = join(FIXTURES, "mat", "types.mat");
    const names = [...readMat(p).variables.keys()];
    expect(names.length).toBeGreaterThan(1);
    expect(() => readMat(p, ["X", "y"])).toThrow(`${p}: missing variable "X" (found: ${names.join(", ")})`);
  });

  it("a MAT v4 file is named as such, with no raw bytes in the message", () => {
    const dir = tempDir();
    for (const little of [true, false]) {
      // MAT v4: 20-byte header (type 0 = full double matrix, 1 row, 1 column, real, name length 2), "x\0", 1 double
      const b = Buffer.alloc(20 + 2 + 8);
      const put = (o: number, v: number) => (little ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o));
      put(0, little ? 0 : 1000);
      put(4, 1);
      put(8, 1);
      put(12, 0);
      put(16, 2);
      b.write("x\0", 20, "latin1");
      if (little) b.writeDoubleLE(1.5, 22);
      else b.writeDoubleBE(1.5, 22);
      const p = join(dir, `v4-${little ? "le" : "be"}.mat`);
      writeFileSync(p, b);
      const message = messageOf(() => readMat(p, ["X", "y"]));
      expect(message).toBe(
        `${p}: MAT v4 is not supported (no 128-byte MAT 5.0 text header); save with -v6 or -v7` +
          ' (scipy: savemat(..., format="5"))',
      );
    }
  });

  it("a file that is not MAT 5.0 shows its header bytes escaped, never raw NUL bytes", () => {
    const dir = tempDir();
    const p = join(dir, "zeros.mat");
    const b = Buffer.alloc(200);
    b.write("JUNK", 0, "latin1");
    writeFileSync(p, b);
    const message = messageOf(() => readMat(p));
    expect(message).toBe(`${p}: not a MAT 5.0 file (header "JUNK", endian "\\x00\\x00")`);
    expect(message).not.toMatch(/[\x00-\x1f]/);
  });

  it("names the file, the variable and the unsupported class", () => {
    const p = join(FIXTURES, "bad", "char_y.mat");
    expect(() => readSvhnMat(p)).toThrow(`${p}: variable "y" has unsupported class char`);
  });

  it("rejects truncated files, compressed or not", () => {
    const dir = tempDir();
    for (const name of ["test_32x32.mat", "train_32x32.mat"]) {
      const p = join(dir, name);
      const full = readFileSync(join(FIXTURES, "svhn", name));
      writeFileSync(p, full.subarray(0, full.length - 100));
      expect(() => readMat(p)).toThrow(new RegExp(`^${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: truncated`));
    }
    const h = join(dir, "header.mat");
    writeFileSync(h, Buffer.from("MATLAB 5.0"));
    expect(() => readMat(h)).toThrow(`${h}: truncated MAT header: 10 bytes, need 128`);
  });
});
