import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NumpyRandomState } from "../src/index.js";
import { FIXTURES } from "./helpers.js";

const NUMPY = JSON.parse(readFileSync(join(FIXTURES, "numpy_random.json"), "utf8")) as {
  seed322_shuffle_arange1000: number[];
  seed7_shuffle_arange70000_first50: number[];
};

describe("NumpyRandomState", () => {
  it("MT19937 seeded with 5489 starts 3499211612, 581869302 (the reference generator's outputs)", () => {
    const r = new NumpyRandomState(5489);
    expect([r.nextUint32(), r.nextUint32()]).toEqual([3499211612, 581869302]);
  });

  it("shuffle matches numpy.random.RandomState(322).shuffle(arange(1000))", () => {
    const a = Int32Array.from({ length: 1000 }, (_, i) => i);
    expect(Array.from(new NumpyRandomState(322).shuffle(a))).toEqual(NUMPY.seed322_shuffle_arange1000);
  });

  it("shuffle matches numpy for 70 000 items (masks above 2^16)", () => {
    const a = Int32Array.from({ length: 70000 }, (_, i) => i);
    expect(Array.from(new NumpyRandomState(7).shuffle(a).subarray(0, 50))).toEqual(
      NUMPY.seed7_shuffle_arange70000_first50,
    );
  });

  it("rejects a seed outside [0, 2^32)", () => {
    expect(() => new NumpyRandomState(-1)).toThrow(RangeError);
  });
});
