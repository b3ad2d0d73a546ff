/** The bit settings a run records, and what a resume compares: the SIMD path, and records made before it existed. */
import { describe, expect, it } from "vitest";
import { backendInfo, simdPaths } from "@lowprec/tensor";
import { bitDifferences, bitSettings, type BitSettings } from "../src/index.js";

const now: BitSettings = {
  backend: "native",
  blas: true,
  conv: "onednn",
  threads: 2,
  blasThreads: 2,
  blasCoreType: "",
  cpu: "AMD EPYC",
  simd: "avx512",
};

describe("bit settings", () => {
  it('record the native kernels\' SIMD path ("" on the TypeScript backend)', () => {
    const bits = bitSettings();
    const info = backendInfo();
    if (info.name === "ts") expect(bits.simd).toBe("");
    else {
      expect(simdPaths()).toContain(bits.simd);
      expect(bits.simd).toBe(info.simd);
    }
  });

  it("a record made before the SIMD path was recorded is not a difference (absent = not recorded)", () => {
    const { simd: _, ...older } = now;
    expect(bitDifferences(older, now)).toEqual([]);
    // the other settings still count
    expect(bitDifferences({ ...older, threads: 1 }, now)).toEqual(["threads 1 → 2"]);
  });

  it("another recorded SIMD path is a difference, named with both values", () => {
    expect(bitDifferences({ ...now, simd: "avx2" }, now)).toEqual(['simd "avx2" → "avx512"']);
    expect(bitDifferences({ ...now }, now)).toEqual([]);
  });
});
