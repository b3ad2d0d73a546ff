/**
 * Run ids are hashes of the resolved configuration, and stored runs depend on them: the resolved configuration of
 * every network preset × the paper's four precision presets must stay byte for byte what the fixture holds. The
 * fixture was captured before the formats beyond the paper were added, and captured again, deliberately, when the
 * authors' scale window (every dfxp configuration: 100 batches counted per epoch), SVHN batch order (svhn) and conv
 * fan-out (cifar10, svhn) became the defaults; pi-mnist and mnist-conv at fp32, half and fixed did not change.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveConfig, type PrecisionPresetName } from "../src/index.js";

const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/resolved-configs.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

describe("the paper's precision presets resolve as before", () => {
  it("the fixture holds the 4 network presets × 4 precision presets", () => {
    expect(Object.keys(fixture)).toHaveLength(16);
  });
  for (const key of Object.keys(fixture)) {
    const [preset, precision] = key.split("/") as [string, PrecisionPresetName];
    it(`${preset} × ${precision}: the same JSON, key order included`, () => {
      expect(JSON.stringify(resolveConfig(preset, precision))).toBe(JSON.stringify(fixture[key]));
    });
  }
  it("a switch is recorded only where it can act", () => {
    const keys = (preset: string, precision: PrecisionPresetName) =>
      Object.keys(resolveConfig(preset, precision).faithfulness).filter((k) =>
        ["scaleWindow", "batchOrder", "convFanOut"].includes(k),
      );
    expect(keys("pi-mnist", "fixed")).toEqual([]);
    expect(keys("mnist-conv", "dfxp")).toEqual(["scaleWindow"]); // 48·8²/4², 24·5²/2²: whole fan-outs
    expect(keys("cifar10", "fp32")).toEqual(["convFanOut"]); // 64·5²/3² = 177.8
    expect(keys("svhn", "dfxp")).toEqual(["scaleWindow", "batchOrder", "convFanOut"]);
    expect(keys("pi-mnist", "fp8e4m3")).toEqual(["scaleWindow"]);
  });
});
