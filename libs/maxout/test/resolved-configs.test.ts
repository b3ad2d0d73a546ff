/**
 * Run ids are hashes of the resolved configuration, and stored runs depend on them: the resolved configuration of
 * every network preset × the paper's four precision presets must stay byte for byte what it was before the formats
 * beyond the paper (bfloat16, FP8) were added. The fixture was captured from resolveConfig before that change.
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
});
