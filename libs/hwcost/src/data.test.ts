import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  dataPath,
  loadHorowitz45nm,
  loadNetworks,
  loadTable1,
  parseHorowitz,
  parseNetworks,
  parseTable1,
  ReferenceDataError,
} from "./data.js";

const raw = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(dataPath(name), "utf8")) as Record<string, unknown>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe("reference data files", () => {
  it.each([
    ["table1.json", parseTable1],
    ["horowitz45nm.json", parseHorowitz],
    ["networks.json", parseNetworks],
  ] as const)("%s round-trips: parsing keeps every field and value", (name, parse) => {
    const r = raw(name);
    expect(clone(parse(r))).toStrictEqual(r);
  });

  it("every row names its source; the transcriptions say they are unverified", () => {
    const t = loadTable1(),
      h = loadHorowitz45nm(),
      n = loadNetworks();
    for (const row of [...t.rows, ...h.arithmetic, ...h.memory, ...n.networks])
      expect(row.source.length).toBeGreaterThan(10);
    expect(t.verified).toBe(false);
    expect(t.source).toMatch(/unverified/);
    expect(h.verified).toBe(false);
    expect(h.source).toMatch(/as widely reproduced/);
  });

  it("Table 1 has the paper's four rows: float 32/32, float 16/16, fixed 32/32, fixed 16/32", () => {
    expect(loadTable1().rows.map((r) => `${r.format} ${r.multiplierBits}/${r.accumulatorBits}`)).toEqual([
      "float 32/32",
      "float 16/16",
      "fixed 32/32",
      "fixed 16/32",
    ]);
  });
});

describe("malformed data is a ReferenceDataError naming file, field and value", () => {
  it("a negative ALM count", () => {
    const r = clone(raw("table1.json")) as { rows: { alms: number }[] };
    r.rows[2]!.alms = -85;
    expect(() => parseTable1(r, "t1.json")).toThrow(ReferenceDataError);
    expect(() => parseTable1(r, "t1.json")).toThrow(
      /t1\.json: \$\.rows\[2\]\.alms: expected a finite number ≥ 0, got -85/,
    );
  });

  it("a missing source", () => {
    const r = clone(raw("horowitz45nm.json")) as { arithmetic: Record<string, unknown>[] };
    delete r.arithmetic[0]!.source;
    expect(() => parseHorowitz(r)).toThrow(/\$\.arithmetic\[0\]\.source: expected a value \(field missing\)/);
  });

  it("an unknown field (a typo must not vanish silently)", () => {
    const r = clone(raw("networks.json")) as { networks: { layers: Record<string, unknown>[] }[] };
    r.networks[0]!.layers[0]!.unit = 240;
    expect(() => parseNetworks(r)).toThrow(/\$\.networks\[0\]\.layers\[0\]\.unit: expected no such field/);
  });

  it("a float row whose widths do not add up", () => {
    const r = clone(raw("horowitz45nm.json")) as { arithmetic: Record<string, unknown>[] };
    const i = r.arithmetic.findIndex((a) => a.operation === "float-add");
    r.arithmetic[i]!.mantissa = 11;
    expect(() => parseHorowitz(r)).toThrow(/bits: expected 1 \+ exponent \+ mantissa = 17, got 16/);
  });

  it("a duplicated network id", () => {
    const r = clone(raw("networks.json")) as { networks: { id: string }[] };
    r.networks[1]!.id = r.networks[0]!.id;
    expect(() => parseNetworks(r)).toThrow(/a unique id/);
  });
});
