/**
 * A ViT training step rounds where METHOD.md §9 says and nowhere else: the test reads METHOD.md §9's table (per kind of
 * layer, the groups rounded forward, backward and in the update, in order) and the layer order written beside it,
 * builds the expected list, and compares it with every rounding a recorder sees in one dynamic fixed point step.
 */
import { readFileSync } from "node:fs";
import { PRECISION_PRESETS, type RoundingEvent } from "@lowprec/precision";
import { TsBackend } from "@lowprec/tensor";
import { describe, expect, it } from "vitest";
import { BLOCK_PARTS, Vit, type VitSpec, vitLayerNames } from "../src/index.js";

const SPEC: VitSpec = {
  image: { channels: 1, height: 4, width: 4 },
  patch: 2,
  dim: 4,
  heads: 2,
  blocks: 2,
  mlp: 6,
  classes: 3,
};

type Phase = "forward" | "backward" | "update";

/** METHOD.md §9's table: layer name → the groups of each phase (`wᵘ` = w at the update width). */
function methodTable(): Map<string, Record<Phase, string[]>> {
  const text = readFileSync(new URL("../../../METHOD.md", import.meta.url), "utf8");
  const section = text.slice(text.indexOf("## 9."));
  // NOTE: the table whose header starts "| kind" (the section's other tables, MX's operands, are not this one)
  const lines = section.split("\n");
  const start = lines.findIndex((l) => l.startsWith("| kind"));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
  const rows = lines.slice(start + 1, end).filter((l) => /^\| [^-]/.test(l));
  const byLayer = new Map<string, Record<Phase, string[]>>();
  for (const row of rows) {
    const [, , layers, forward, backward, update] = row.split("|").map((c) => c.trim());
    const groups = (c: string) => (c === "–" ? [] : c.split(" "));
    for (const layer of layers!.split(", "))
      byLayer.set(layer, { forward: groups(forward!), backward: groups(backward!), update: groups(update!) });
  }
  return byLayer;
}

/** The expected (layer, group, width) list of one step, from the table and METHOD.md §9's layer order. */
function expected(blocks: number): string[] {
  const table = methodTable();
  const names = vitLayerNames(blocks);
  const kind = (name: string) => name.replace(/^block\d+\./, "");
  const list: string[] = [];
  const emit = (name: string, phase: Phase) => {
    for (const g of table.get(kind(name))![phase]) {
      const update = g.endsWith("ᵘ");
      list.push(`${name} ${update ? g.slice(0, -1) : g} ${update ? "u" : "p"}`);
    }
  };
  for (const n of names) emit(n, "forward");
  const backward = ["head", "norm"];
  for (let b = blocks; b >= 1; b--)
    for (const part of ["fc2", "fc1", "ln2", "out", "attn", "q", "k", "v", "ln1"]) backward.push(`block${b}.${part}`);
  backward.push("pos", "embed");
  for (const n of backward) emit(n, "backward");
  for (const n of names.filter((n) => kind(n) !== "attn")) emit(n, "update");
  return list;
}

function recordStep(preset: "dfxp" | "half" | "fp32"): { events: RoundingEvent[]; names: string[] } {
  const images = 3;
  const net = new Vit(SPEC, PRECISION_PRESETS[preset], TsBackend, images, 11);
  net.init(11);
  const events: RoundingEvent[] = [];
  for (const p of net.precisions) p.recorder = (e) => events.push(e);
  const x = Float32Array.from({ length: images * 16 }, (_, i) => Math.sin(i));
  net.setLabels(Int32Array.of(0, 1, 2));
  net.forward(x, images);
  net.backward(images);
  net.update(0.05, 0.5);
  return { events, names: [...net.layerNames] };
}

describe("one ViT training step rounds exactly at the points of METHOD.md §9", () => {
  it("METHOD.md §9's table covers every kind of layer the network has", () => {
    const table = methodTable();
    for (const part of [...BLOCK_PARTS, "embed", "pos", "norm", "head"]) expect(table.has(part), part).toBe(true);
  });

  it("dynamic fixed point: the recorded roundings are the table's, in its order, at 10 and 12 bits", () => {
    const { events, names } = recordStep("dfxp");
    const got = events.map((e) => `${names[e.layer]} ${e.group} ${e.width === "update" ? "u" : "p"}`);
    expect(got).toEqual(expected(SPEC.blocks));
    for (const e of events) expect(e.format).toBe(e.width === "propagation" ? "dfxp10" : "dfxp12");
  });

  it("each group with a pass is observed once per step (stored w and b at the update width)", () => {
    const { events, names } = recordStep("dfxp");
    const observed = events.filter((e) => e.observed).map((e) => `${names[e.layer]} ${e.group}`);
    expect(new Set(observed).size).toBe(observed.length);
    const rounded = new Set(events.map((e) => `${names[e.layer]} ${e.group}`));
    expect(new Set(observed)).toEqual(rounded);
    for (const e of events.filter((x) => x.observed && (x.group === "w" || x.group === "b")))
      expect(e.width).toBe("update");
  });

  it("half precision rounds at the same points in binary16; float32 nowhere", () => {
    const half = recordStep("half").events;
    expect(half.map((e) => [e.layer, e.group])).toEqual(recordStep("dfxp").events.map((e) => [e.layer, e.group]));
    for (const e of half) expect(e.format).toBe("binary16");
    expect(recordStep("fp32").events).toEqual([]);
  });
});
