import { binary16, binary32, dynamicFixed, fixed, identity, MX_PRESETS, totalBits } from "@lowprec/formats";
import { describe, expect, it } from "vitest";
import {
  compareSettings,
  defaultAccumulator,
  networkCost,
  MX_SETTINGS,
  PAPER_SETTINGS,
  type CostRow,
  type PrecisionSetting,
} from "./cost.js";
import { loadHorowitz45nm, loadNetworks, loadTable1, type Table1Row } from "./data.js";
import { adderCost, macCost, multiplierCost } from "./model.js";
import { mxMacCost } from "./mx.js";
import type { NetworkShape } from "./network.js";
import { formatCostRows } from "./table.js";

/** dense 3 → 2 units × 2 pieces, softmax 2 → 2; batch 2, 5 examples (2 steps per epoch). */
const TINY: NetworkShape = {
  batch: 2,
  trainExamples: 5,
  layers: [
    { kind: "dense", inputs: 3, units: 2, pieces: 2 },
    { kind: "softmax", inputs: 2, classes: 2 },
  ],
};
const FIX8_16 = {
  name: "fix8/16",
  propagation: fixed({ bits: 8, integerBits: 3 }),
  update: fixed({ bits: 16, integerBits: 3 }),
} satisfies PrecisionSetting;
const paper = loadNetworks().networks.map((n) => ({ id: n.id, shape: n }));

describe("a tiny network costed by hand", () => {
  const c = networkCost(TINY, FIX8_16);

  it("MACs per step: batch × (forward 12+4, backward 12+4 weight gradients + 4 input gradients)", () => {
    expect(c.perStep.macs).toBe(2 * (16 + 20));
  });

  it("update operations: 2 multiplies and 2 adds per parameter, max-norm 2 multiplies and 1 add per weight", () => {
    expect(c.perStep.updateMultiplies).toBe(2 * 22 + 2 * 16);
    expect(c.perStep.updateAdds).toBe(2 * 22 + 16);
  });

  it("storage: parameters at update width, activations at propagation width, the raw input at 32 bits", () => {
    expect(c.storageBytes.parameters).toBe((22 * 16) / 8);
    expect(c.storageBytes.activationsPerExample).toBe(3 * 4 + (4 + 2 + 2 + 4) + (2 + 2 + 2 + 2));
  });

  it("memory traffic follows the README's access counts: 3,232 bits per step", () => {
    // input 384; layer 0: 576+192+192+64+192+64+192+64+128+96+64+128; layer 1: 192+96+96+32+64+32+64+32+64+64+64+96
    expect(c.perStep.memoryBitsMoved).toBe(384 + 1952 + 896);
  });

  it("energy: picojoules × 1e-12 = joules; per epoch = 2 steps × per step", () => {
    const mac = macCost(FIX8_16.propagation, defaultAccumulator(FIX8_16.propagation)).asic.picojoules;
    const mul = multiplierCost(FIX8_16.update).asic.picojoules,
      add = adderCost(FIX8_16.update).asic.picojoules;
    const sram = loadHorowitz45nm().memory.find((m) => m.level === "sram-1MB")!;
    expect(c.perStep.macJoules).toBeCloseTo(72 * mac * 1e-12, 25);
    expect(c.perStep.updateJoules).toBeCloseTo((76 * mul + 60 * add) * 1e-12, 25);
    expect(c.perStep.memoryJoules).toBeCloseTo(((3232 * sram.picojoulesLow) / sram.accessBits) * 1e-12, 25);
    expect(c.perStep.joules).toBeCloseTo(c.perStep.macJoules + c.perStep.updateJoules + c.perStep.memoryJoules, 25);
    expect(c.perEpoch.steps).toBe(2);
    expect(c.perEpoch.joules).toBeCloseTo(2 * c.perStep.joules, 25);
    expect(c.perStep.macSquareMicrometreMacs).toBeCloseTo(72 * c.mac.asic.squareMicrometres, 6);
  });

  it("DRAM priced at either end of its quoted range; an unknown level is named", () => {
    const low = networkCost(TINY, FIX8_16, { memory: "dram" }),
      high = networkCost(TINY, FIX8_16, { memory: "dram", memoryBound: "high" });
    expect(high.perStep.memoryJoules / low.perStep.memoryJoules).toBeCloseTo(2600 / 1300, 12);
    expect(() => networkCost(TINY, FIX8_16, { memory: "sram-2MB" })).toThrow(
      /unknown memory level "sram-2MB" \(known: sram-8KB, sram-32KB, sram-1MB, dram\)/,
    );
  });
});

describe("precision settings", () => {
  it("the paper's five rows with their widths (sign included)", () => {
    expect(PAPER_SETTINGS.map((s) => `${s.name} ${totalBits(s.propagation)}/${totalBits(s.update)}`)).toEqual([
      "goodfellow 32/32",
      "single 32/32",
      "half 16/16",
      "fixed-20 20/20",
      "dfxp-10-12 10/12",
    ]);
    expect(PAPER_SETTINGS[3]!.propagation).toMatchObject({ kind: "fixed", integerBits: 5 });
    expect(PAPER_SETTINGS[4]!.propagation.kind).toBe("dynamic-fixed");
  });

  it("default accumulators: floats in their own format, fixed and dynamic fixed in 32 bits", () => {
    expect(defaultAccumulator(PAPER_SETTINGS[2]!.propagation)).toBe(PAPER_SETTINGS[2]!.propagation);
    expect(totalBits(defaultAccumulator(fixed({ bits: 20, integerBits: 5 })))).toBe(32);
    expect(defaultAccumulator(dynamicFixed({ bits: 10 })).kind).toBe("dynamic-fixed");
  });

  it("a wider propagation or update format never makes a training step cheaper", () => {
    for (const { shape } of paper.slice(0, 2))
      for (let bits = 3; bits <= 32; bits++) {
        const at = (p: number, u: number) =>
          networkCost(shape, { name: "x", propagation: dynamicFixed({ bits: p }), update: dynamicFixed({ bits: u }) })
            .perStep;
        const w = at(bits, 32),
          n = at(bits - 1, 32);
        expect(w.joules).toBeGreaterThanOrEqual(n.joules);
        expect(w.macSquareMicrometreMacs).toBeGreaterThanOrEqual(n.macSquareMicrometreMacs);
        expect(at(32, bits).joules).toBeGreaterThanOrEqual(at(32, bits - 1).joules);
      }
  });
});

describe("compareSettings and its renderings", () => {
  const rows = compareSettings(paper, PAPER_SETTINGS);

  it("one row per network and setting; ratios relative to the first setting", () => {
    expect(rows).toHaveLength(4 * 5);
    for (const r of rows.filter((x) => x.setting === "goodfellow")) {
      expect(r.energyVsBaseline).toBe(1);
      expect(r.macAreaVsBaseline).toBe(1);
    }
    const pi = rows.filter((r) => r.network === "pi-mnist");
    expect(pi.find((r) => r.setting === "single")!.stepJoules).toBe(pi[0]!.stepJoules);
    // fewer bits, less energy: dfxp 10/12 < half 16/16 < single 32/32
    const e = (s: string) => pi.find((r) => r.setting === s)!.stepJoules;
    expect(e("dfxp-10-12")).toBeLessThan(e("half"));
    expect(e("half")).toBeLessThan(e("single"));
  });

  it("CSV has a header and one line per row with the same fields; JSON round-trips", () => {
    const csv = formatCostRows(rows, "csv").split("\n");
    expect(csv).toHaveLength(rows.length + 1);
    const header = csv[0]!.split(",");
    expect(header).toContain("stepJoules");
    expect(header).toContain("macSquareMicrometres");
    const json = JSON.parse(formatCostRows(rows, "json")) as CostRow[];
    expect(json).toEqual(rows);
  });

  it("the text table lists every network and setting and footnotes extrapolations", () => {
    const t = formatCostRows(rows, "table");
    for (const id of ["pi-mnist", "mnist-conv", "cifar10", "svhn"]) expect(t).toContain(id);
    expect(t).toMatch(/dfxp-10-12\*\d/);
    expect(t).toMatch(/extrapolated beyond the reference data: fpga: multiplier dfxp10 has 10 bits/);
  });

  it("an empty list of settings is an error", () => {
    expect(() => compareSettings(paper, [])).toThrow(/at least one precision setting/);
  });
});

/** Table 1's row of a format and widths, read from the data file (throws when the file lacks it). */
function table1Row(format: Table1Row["format"], multiplierBits: number, accumulatorBits: number): Table1Row {
  const r = loadTable1().rows.find(
    (x) => x.format === format && x.multiplierBits === multiplierBits && x.accumulatorBits === accumulatorBits,
  );
  if (!r) throw new Error(`table1.json has no ${format} ${multiplierBits}/${accumulatorBits} row`);
  return r;
}

/** The body of a `formatCostRows(…, "table")` text as records keyed by the header, cut at the `----` runs. */
function parseTextTable(text: string): Record<string, string>[] {
  const [header, dashes, ...body] = text.split("\n\n")[0]!.split("\n");
  const spans = [...dashes!.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const cells = (line: string) => spans.map(([a, b]) => line.slice(a, b).trim());
  const names = cells(header!);
  return body.map((line) => Object.fromEntries(cells(line).map((c, j) => [names[j]!, c])));
}

const number = (cell: string | undefined): number => Number(cell!.replace(/,/g, ""));

describe("Table 1's measured values in the cost table", () => {
  const rows = compareSettings(paper, PAPER_SETTINGS);
  const pi = (setting: string): CostRow => rows.find((r) => r.network === "pi-mnist" && r.setting === setting)!;
  const table = parseTextTable(formatCostRows(rows, "table"));
  const line = (setting: string): Record<string, string> =>
    table.find((r) => r.network === "pi-mnist" && r.setting.replace(/\*\d+$/, "") === setting)!;

  it("a float 32/32 MAC carries Table 1's values beside the model's, which stay in macAlms, macDsps", () => {
    const t1 = table1Row("float", 32, 32),
      model = macCost(identity, identity).fpga;
    for (const s of ["goodfellow", "single"]) {
      expect(pi(s)).toMatchObject({ measuredMacAlms: t1.alms, measuredMacDsps: t1.dsps });
      expect(pi(s)).toMatchObject({ macFpgaSource: "Table 1 (measured)", macAlms: model.alms, macDsps: model.dsps });
    }
    expect(model.alms).not.toBe(t1.alms);
  });

  it("the text table shows Table 1's 32-bit float ALMs, marked measured, with the model's beside them", () => {
    const t1 = table1Row("float", 32, 32),
      model = macCost(identity, identity).fpga;
    const r = line("single");
    expect(number(r["MAC ALMs"])).toBe(t1.alms);
    expect(number(r.DSPs)).toBe(t1.dsps);
    expect(r["FPGA source"]).toBe("Table 1 (measured)");
    expect(number(r["model ALMs"])).toBe(Number(model.alms.toPrecision(3)));
    expect(number(r["model DSPs"])).toBe(model.dsps);
  });

  it("float 16/16 (binary16) shows Table 1's ALMs and DSP blocks, the model's beside them", () => {
    const t1 = table1Row("float", 16, 16),
      model = macCost(binary16, binary16).fpga;
    const r = line("half");
    expect([number(r["MAC ALMs"]), number(r.DSPs), r["FPGA source"]]).toEqual([t1.alms, t1.dsps, "Table 1 (measured)"]);
    expect([number(r["model ALMs"]), number(r["model DSPs"])]).toEqual([Number(model.alms.toPrecision(3)), model.dsps]);
  });

  it("settings Table 1 did not measure (fixed 20/32, dfxp 10/32) are marked model and show the model's values", () => {
    for (const s of ["fixed-20", "dfxp-10-12"]) {
      const c = pi(s);
      expect(c).toMatchObject({ measuredMacAlms: null, measuredMacDsps: null, macFpgaSource: "model" });
      const r = line(s);
      expect(r["FPGA source"]).toBe("model");
      expect(number(r["MAC ALMs"])).toBe(Number(c.macAlms.toPrecision(3)));
      expect(number(r.DSPs)).toBe(c.macDsps);
      expect([r["model ALMs"], r["model DSPs"]]).toEqual(["", ""]);
    }
  });

  it("a fixed 16/32 setting, which Table 1 measured, is marked measured", () => {
    const setting: PrecisionSetting = {
      name: "fixed-16",
      propagation: fixed({ bits: 16, integerBits: 5 }),
      update: fixed({ bits: 16, integerBits: 5 }),
    };
    const [c] = compareSettings(paper.slice(0, 1), [setting]);
    const t1 = table1Row("fixed", 16, 32);
    expect(c).toMatchObject({
      measuredMacAlms: t1.alms,
      measuredMacDsps: t1.dsps,
      macFpgaSource: "Table 1 (measured)",
    });
    expect(number(parseTextTable(formatCostRows([c!], "table"))[0]!["MAC ALMs"])).toBe(t1.alms);
  });

  it("CSV carries the measured columns (empty where Table 1 has no row) and the source", () => {
    const csv = formatCostRows(rows, "csv").split("\n");
    const header = csv[0]!.split(",");
    const field = (setting: string, name: string) =>
      csv.find((l) => l.startsWith(`pi-mnist,${setting},`))!.split(",")[header.indexOf(name)];
    expect(field("single", "measuredMacAlms")).toBe(String(table1Row("float", 32, 32).alms));
    expect(field("single", "macFpgaSource")).toBe("Table 1 (measured)");
    expect(field("fixed-20", "measuredMacAlms")).toBe("");
    expect(field("fixed-20", "macFpgaSource")).toBe("model");
  });

  it("the table's footnote says what the two sources are", () => {
    const t = formatCostRows(rows, "table");
    expect(t).toMatch(/"Table 1 \(measured\)": the paper's Table 1 .* measured this MAC/);
    expect(t).toMatch(/"model": the cost model/);
  });
});

describe("MX settings (beyond the paper)", () => {
  const mxfp8 = MX_SETTINGS.find((s) => s.name === "mxfp8e4m3")!;
  const c = networkCost(TINY, mxfp8);
  it("price the MAC with mxMacCost into binary32, never as a Table 1 row", () => {
    expect(c.accumulator).toBe(binary32.name);
    expect(c.mac.asic.picojoules).toBe(mxMacCost(MX_PRESETS.mxfp8e4m3!, binary32).asic.picojoules);
    expect(c.measuredMac).toBeNull();
    expect(c.perStep.macJoules).toBeCloseTo(c.perStep.macs * c.mac.asic.picojoules * 1e-12, 20);
  });
  it("store propagated values at 8 + 8/32 bits and the parameters in bfloat16", () => {
    for (const s of c.storage) {
      if (s.group === "input") expect(s.bits).toBe(32);
      else if (s.group === "w" || s.group === "b") expect(s.bits).toBe(16);
      else if (s.group === "update_w" || s.group === "update_b") continue;
      else expect(s.bits, s.group).toBe(8.25);
    }
  });
  it("the four MX settings cost less MAC energy than float32 on every paper network, MXFP4 least of the floats", () => {
    const rows = compareSettings(paper, [PAPER_SETTINGS[1]!, ...MX_SETTINGS]);
    for (const net of paper) {
      const of = (s: string) => rows.find((r) => r.network === net.id && r.setting === s)!;
      for (const s of MX_SETTINGS) expect(of(s.name).macPicojoules).toBeLessThan(of("single").macPicojoules);
      expect(of("mxfp4e2m1").macPicojoules).toBeLessThan(of("mxfp8e4m3").macPicojoules);
    }
  });
});
