import { describe, expect, it } from "vitest";
import { toSvg, tornadoSpec } from "../src/index.js";

const bars = [
  { label: "small", lowText: "1", highText: "2", atLow: 0.9, atHigh: 1.1 },
  { label: "wide", lowText: "$300", highText: "$3,000", atLow: 0.3, atHigh: 1.7 },
  { label: "inverted", lowText: "20 %", highText: "90 %", atLow: 1.5, atHigh: 0.4 },
];

describe("tornadoSpec", () => {
  const spec = tornadoSpec(bars, 1, { title: "t", subtitle: ["s"], axisTitle: "saving" }) as unknown as {
    data: { values: { label: string; end: string; from: number; to: number; text: string }[] };
    layer: { encoding: { y?: { sort?: string[] } } }[];
  };
  it("orders the bars by swing, widest first, each from the base to both ends", () => {
    expect(spec.layer[0]!.encoding.y!.sort).toEqual(["wide", "inverted", "small"]);
    const wide = spec.data.values.filter((v) => v.label === "wide");
    expect(wide).toEqual([
      { label: "wide", end: "low value", from: 1, to: 0.3, text: "$300" },
      { label: "wide", end: "high value", from: 1, to: 1.7, text: "$3,000" },
    ]);
  });
  it("renders", async () => {
    const svg = await toSvg(spec as never);
    expect(svg).toContain("$3,000");
    expect(svg).toContain("inverted");
  });
});
