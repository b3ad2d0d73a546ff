import { describe, expect, it } from "vitest";
import { formatCell, parseCsv, toCsv } from "../src/csv.js";
import { canonicalJson, runId } from "../src/run-id.js";

describe("CSV", () => {
  it("quotes what needs quoting, writes numbers at the stated precision and NaN as empty", () => {
    const text = toCsv(["a", "b", "c"] as const, [
      { a: "x, y", b: 0.1 + 0.2, c: Number.NaN },
      { a: 'say "hi"', b: 1e21, c: 3 },
    ]);
    expect(text).toBe('a,b,c\n"x, y",0.3,\n"say ""hi""",1e+21,3\n');
    expect(parseCsv(text, "t").rows).toEqual([
      { a: "x, y", b: "0.3", c: "" },
      { a: 'say "hi"', b: "1e+21", c: "3" },
    ]);
    expect(formatCell(Math.fround(0.1))).toBe("0.1000000015");
    expect(formatCell(Number.POSITIVE_INFINITY)).toBe("");
  });
  it("names the source of a malformed file", () => {
    expect(() => parseCsv('a,b\n"unterminated,2\n', "f.csv")).toThrow(/^f\.csv: malformed CSV at row/);
  });
});

describe("run ids", () => {
  it("depend on the configuration, not on the order of its keys", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 0 } })).toBe('{"a":{"c":0,"d":[2,1]},"b":1}');
    expect(runId({ b: 1, a: 2 })).toBe(runId({ a: 2, b: 1 }));
    expect(runId({ a: 2, b: 1 })).not.toBe(runId({ a: 2, b: 2 }));
    expect(runId({})).toMatch(/^[0-9a-f]{16}$/);
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });
});
