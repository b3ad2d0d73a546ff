// The trainer's presets and the cost model's network data describe the same four networks: held equal
// here, where both libraries may be imported (neither imports the other).
import { describe, expect, it } from "vitest";
import { countNetwork, loadNetworks, type LayerShape as CostShape } from "@lowprec/hwcost";
import { NETWORK_PRESETS, networkShapes } from "@lowprec/maxout";

describe("maxout presets and hwcost's network data agree", () => {
  for (const entry of loadNetworks().networks) {
    it(`${entry.id}: same layers, batch, and MACs per example`, () => {
      const preset = NETWORK_PRESETS[entry.id as keyof typeof NETWORK_PRESETS];
      expect(preset, `maxout preset for ${entry.id}`).toBeDefined();
      const shapes = networkShapes(preset.network);
      const layers: CostShape[] = shapes;
      const strip = (l: CostShape) =>
        JSON.parse(
          JSON.stringify(l, [
            "kind",
            "inputs",
            "units",
            "pieces",
            "classes",
            "inChannels",
            "height",
            "width",
            "maps",
            "kernel",
            "padding",
            "stride",
            "pool",
            "size",
          ]),
        ) as unknown;
      expect(layers.map(strip)).toEqual(entry.layers.map(strip));
      expect(preset.hyper.batch).toBe(entry.batch);
      const fromPreset = countNetwork({ layers, batch: entry.batch, trainExamples: entry.trainExamples });
      expect(fromPreset.forwardMacsPerExample).toBe(countNetwork(entry).forwardMacsPerExample);
      expect(fromPreset.parameters).toBe(shapes.reduce((s, l) => s + l.parameters, 0));
    });
  }
});
