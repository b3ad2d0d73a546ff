import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataFormatError, readMat, readSvhnMat } from "../src/index.js";
import { FIXTURES, pixel, tempDir } from "./helpers.js";

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
