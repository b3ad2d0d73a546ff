/**
 * Rounding happens where METHOD.md §3 says and nowhere else: a recorder lists every rounding of one
 * training step, compared with the method's list written out by hand from METHOD.md §3.
 */
import { describe, expect, it } from "vitest";
import { Network, type RoundingEvent } from "../src/index.js";
import { convNet, denseNet, kernels, toyConfig, toyData } from "./helpers.js";

type Row = [layer: number, group: string, width: "p" | "u"];

/** METHOD.md §3 for a maxout FC or softmax layer: steps 1, 3, 4 (forward), 6 (backward), 7–9 (update). */
const denseForward = (l: number): Row[] => [
  [l, "w", "p"],
  [l, "b", "p"],
  [l, "z", "p"],
  [l, "y", "p"],
];
const denseBackward = (l: number): Row[] => [
  [l, "dEdy", "p"],
  [l, "dEdz", "p"],
  [l, "dEdw", "p"],
  [l, "dEdb", "p"],
];
/**
 * conv: ĉ = Q_p(conv) and û = Q_p(pool + b̂) are both group z; the gradient is rounded after the bias add and after
 * pooling (dEdz twice).
 */
const convForward = (l: number): Row[] => [
  [l, "w", "p"],
  [l, "b", "p"],
  [l, "z", "p"],
  [l, "z", "p"],
  [l, "y", "p"],
];
const convBackward = (l: number): Row[] => [
  [l, "dEdy", "p"],
  [l, "dEdz", "p"],
  [l, "dEdb", "p"],
  [l, "dEdz", "p"],
  [l, "dEdw", "p"],
];
/** v ← Q_p(M·v − LR·ĝ) for W and b; W ← Q_u(W + v); b ← Q_u(b + v_b); W ← Q_u(max-norm(W)). */
const update = (l: number): Row[] => [
  [l, "update_w", "p"],
  [l, "update_b", "p"],
  [l, "w", "u"],
  [l, "b", "u"],
  [l, "w", "u"],
];

function recordStep(
  network: typeof denseNet,
  precision: "fp32" | "half" | "fixed" | "dfxp",
  roundInput = false,
): RoundingEvent[] {
  const config = toyConfig(network, precision, { faithfulness: { roundInput } });
  const net = new Network(config, kernels, 20);
  net.init();
  const events: RoundingEvent[] = [];
  for (const l of net.layers) l.precision.recorder = (e) => events.push(e);
  if (net.inputPrecision) net.inputPrecision.recorder = (e) => events.push(e);
  const d = toyData(20, network.input, 4, 7);
  net.trainStep(d.images, Int32Array.from(d.labels), 20, 0.05, 0.5);
  return events;
}

const rows = (events: RoundingEvent[]): Row[] =>
  events.map((e) => [e.layer, e.group, e.width === "propagation" ? "p" : "u"]);

describe("one training step rounds exactly at the points of METHOD.md §3", () => {
  it("maxout FC network, dynamic fixed point", () => {
    const expected = [
      ...denseForward(0),
      ...denseForward(1),
      ...denseForward(2),
      ...denseBackward(2),
      ...denseBackward(1),
      ...denseBackward(0),
      ...update(0),
      ...update(1),
      ...update(2),
    ];
    const events = recordStep(denseNet, "dfxp");
    expect(rows(events)).toEqual(expected);
    // Q_p is the 10-bit propagation width, Q_u the 12-bit update width
    for (const e of events) expect(e.format).toBe(e.width === "propagation" ? "dfxp10" : "dfxp12");
  });

  it("maxout conv network: z and dEdz are rounded twice in a conv layer", () => {
    const expected = [
      ...convForward(0),
      ...denseForward(1),
      ...denseForward(2),
      ...denseBackward(2),
      ...denseBackward(1),
      ...convBackward(0),
      ...update(0),
      ...update(1),
      ...update(2),
    ];
    expect(rows(recordStep(convNet, "dfxp"))).toEqual(expected);
  });

  it("the raw input is never rounded (layer −1 appears only with the roundInput switch)", () => {
    expect(recordStep(denseNet, "dfxp").some((e) => e.layer < 0)).toBe(false);
    const on = recordStep(denseNet, "dfxp", true);
    expect(rows(on)[0]).toEqual([-1, "y", "p"]);
    expect(on.filter((e) => e.layer < 0)).toHaveLength(1);
  });

  it("each group's overflow rate is observed once per step: w and b on the stored, update-width values", () => {
    for (const net of [denseNet, convNet]) {
      const events = recordStep(net, "dfxp");
      for (const layer of [0, 1, 2]) {
        const observed = events.filter((e) => e.layer === layer && e.observed);
        const groups = observed.map((e) => e.group).sort();
        expect(groups).toEqual(["b", "dEdb", "dEdw", "dEdy", "dEdz", "update_b", "update_w", "w", "y", "z"]);
        for (const e of observed) expect(e.width).toBe(e.group === "w" || e.group === "b" ? "update" : "propagation");
      }
    }
  });

  it("half precision rounds at the same points with binary16 for both widths", () => {
    const events = recordStep(denseNet, "half");
    expect(rows(events).map(([l, g]) => [l, g])).toEqual(rows(recordStep(denseNet, "dfxp")).map(([l, g]) => [l, g]));
    for (const e of events) expect(e.format).toBe("binary16");
  });

  it("fixed point uses 20 bits with 5 integer bits at both widths", () => {
    for (const e of recordStep(denseNet, "fixed")) expect(e.format).toBe("fixed20.5");
  });

  it("single precision rounds nowhere", () => {
    expect(recordStep(denseNet, "fp32")).toEqual([]);
    expect(recordStep(convNet, "fp32")).toEqual([]);
  });
});
