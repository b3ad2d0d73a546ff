// insideRoot: a path built from names stays inside its root (issue 20, item 9: an experiment named
// "../../../x/ESCAPED" wrote its runs outside the data root).
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { insideRoot, OutsideRootError } from "../src/index.js";

describe("insideRoot", () => {
  const root = "/data/results";
  it("resolves a path inside the root, or the root itself", () => {
    expect(insideRoot(root, join("table2", "smoke", "abc"))).toBe("/data/results/table2/smoke/abc");
    expect(insideRoot(root, "a/../b")).toBe("/data/results/b");
    expect(insideRoot(root, ".")).toBe(resolve(root));
    expect(insideRoot(root, "/data/results/x")).toBe("/data/results/x");
    expect(insideRoot(root, "..results")).toBe("/data/results/..results");
  });
  it("refuses a path that leaves it, naming both", () => {
    for (const p of ["../../../x/ESCAPED", "..", "/etc/passwd", "a/../../results2", "/data/results2"])
      expect(() => insideRoot(root, p), p).toThrow(OutsideRootError);
    expect(() => insideRoot(root, "../x")).toThrow("../x: outside /data/results, where it must be");
  });
});
