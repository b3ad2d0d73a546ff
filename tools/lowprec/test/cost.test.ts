/** `lowprec cost`: Table 1's measured values in the cost table, the model's beside them; `--fit` unchanged. */
import { loadTable1, type Table1Row } from "@lowprec/hwcost";
import { describe, expect, it, vi } from "vitest";
import { parseCommandArgs } from "../src/command.js";
import { command } from "../src/commands/cost.js";

/** Runs `lowprec cost ...args` through the command itself: exit code and stdout. */
async function cost(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...m: unknown[]) => {
    out.push(m.join(" "));
  });
  try {
    const parsed = parseCommandArgs(command, args);
    if (parsed === "help") throw new Error("unexpected --help");
    return { code: await command.run(parsed), out: out.join("\n") };
  } finally {
    log.mockRestore();
  }
}

/** Table 1's row of a format and widths, read from the data file (throws when the file lacks it). */
function table1Row(format: Table1Row["format"], multiplierBits: number, accumulatorBits: number): Table1Row {
  const r = loadTable1().rows.find(
    (x) => x.format === format && x.multiplierBits === multiplierBits && x.accumulatorBits === accumulatorBits,
  );
  if (!r) throw new Error(`table1.json has no ${format} ${multiplierBits}/${accumulatorBits} row`);
  return r;
}

/** The text table's body as records keyed by the header, cut at the `----` runs of its second line. */
function parseTextTable(text: string): Record<string, string>[] {
  const [header, dashes, ...body] = text.split("\n\n")[0]!.split("\n");
  const spans = [...dashes!.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length] as const);
  const cells = (line: string) => spans.map(([a, b]) => line.slice(a, b).trim());
  const names = cells(header!);
  return body.map((line) => Object.fromEntries(cells(line).map((c, j) => [names[j]!, c])));
}

const number = (cell: string | undefined): number => Number(cell!.replace(/,/g, ""));

describe("lowprec cost", () => {
  it("float 32/32 rows show Table 1's ALMs (from table1.json), marked measured, the model's beside them", async () => {
    const r = await cost("--network", "pi-mnist");
    expect(r.code).toBe(0);
    const t1 = table1Row("float", 32, 32);
    const rows = parseTextTable(r.out);
    for (const s of ["goodfellow", "single"]) {
      const row = rows.find((x) => x.setting === s)!;
      expect(number(row["MAC ALMs"])).toBe(t1.alms);
      expect(number(row.DSPs)).toBe(t1.dsps);
      expect(row["FPGA source"]).toBe("Table 1 (measured)");
      expect(number(row["model ALMs"])).not.toBe(t1.alms);
      expect(number(row["model ALMs"])).toBeGreaterThan(0);
    }
    const half = rows.find((x) => x.setting === "half")!;
    expect([number(half["MAC ALMs"]), half["FPGA source"]]).toEqual([
      table1Row("float", 16, 16).alms,
      "Table 1 (measured)",
    ]);
  });

  it("fixed 20/32 and dfxp 10/32 are marked model, with no measured value", async () => {
    const rows = parseTextTable((await cost("--network", "pi-mnist")).out);
    for (const s of ["fixed-20", "dfxp-10-12"]) {
      const row = rows.find((x) => x.setting.replace(/\*\d+$/, "") === s)!;
      expect(row["FPGA source"]).toBe("model");
      expect(number(row["MAC ALMs"])).toBeGreaterThan(0);
      expect(row["model ALMs"]).toBe("");
    }
  });

  it("--format json carries the measured and the modelled ALMs", async () => {
    const rows = JSON.parse((await cost("--network", "pi-mnist", "--format", "json")).out) as {
      setting: string;
      macAlms: number;
      measuredMacAlms: number | null;
      macFpgaSource: string;
    }[];
    const single = rows.find((x) => x.setting === "single")!;
    expect(single.measuredMacAlms).toBe(table1Row("float", 32, 32).alms);
    expect(single.macFpgaSource).toBe("Table 1 (measured)");
    expect(single.macAlms).not.toBe(single.measuredMacAlms);
    expect(rows.find((x) => x.setting === "fixed-20")).toMatchObject({ measuredMacAlms: null, macFpgaSource: "model" });
  });

  it("--settings mx: float32, then four MX settings priced as MX MACs into binary32, none from Table 1", async () => {
    type Row = { setting: string; propagation: string; accumulator: string; measuredMacAlms: number | null };
    const rows = JSON.parse(
      (await cost("--network", "pi-mnist", "--settings", "mx", "--format", "json")).out,
    ) as (Row & {
      energyVsBaseline: number;
    })[];
    expect(rows.map((r) => r.setting)).toEqual(["single", "mxfp8e4m3", "mxfp6e3m2", "mxfp4e2m1", "mxint8"]);
    for (const r of rows.slice(1)) {
      expect(r.propagation).toBe(r.setting);
      expect(r.accumulator).toBe("binary32");
      expect(r.measuredMacAlms).toBeNull();
      expect(r.energyVsBaseline).toBeLessThan(1);
    }
    const all = JSON.parse((await cost("--network", "pi-mnist", "--settings", "all", "--format", "json")).out) as Row[];
    expect(all.map((r) => r.setting)).toEqual([
      "goodfellow",
      "single",
      "half",
      "fixed-20",
      "dfxp-10-12",
      "mxfp8e4m3",
      "mxfp6e3m2",
      "mxfp4e2m1",
      "mxint8",
    ]);
    const paper = JSON.parse((await cost("--network", "pi-mnist", "--format", "json")).out) as Row[];
    expect(paper.map((r) => r.setting)).toEqual(all.slice(0, 5).map((r) => r.setting));
  });

  it("--fit still prints the calibration with every Table 1 row's measured ALMs beside the model", async () => {
    const r = await cost("--fit");
    expect(r.code).toBe(0);
    const block = r.out.split("\n\n").find((b) => b.startsWith("FPGA ALMs per MAC"))!;
    const rows = parseTextTable(block.split("\n").slice(2).join("\n").replace(/^ {2}/gm, ""));
    for (const t1 of loadTable1().rows) {
      const row = rows.find((x) => x.row === `${t1.format} ${t1.multiplierBits}/${t1.accumulatorBits}`)!;
      expect(number(row.measured)).toBe(t1.alms);
      expect(number(row.model)).toBeGreaterThan(0);
    }
  });
});
