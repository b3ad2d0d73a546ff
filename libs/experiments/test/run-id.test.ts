import { describe, expect, it } from "vitest";
import { canonicalJson, runId } from "../src/run-id.js";

describe("run ids", () => {
  it("depend on the configuration, not on the order of its keys", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: 0 } })).toBe('{"a":{"c":0,"d":[2,1]},"b":1}');
    expect(runId({ b: 1, a: 2 })).toBe(runId({ a: 2, b: 1 }));
    expect(runId({ a: 2, b: 1 })).not.toBe(runId({ a: 2, b: 2 }));
    expect(runId({})).toMatch(/^[0-9a-f]{16}$/);
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(/NaN/);
  });
});
