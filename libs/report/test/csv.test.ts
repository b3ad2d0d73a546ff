import { describe, expect, it } from "vitest";
import {
  RESULT_COLUMNS,
  resultsFromCsv,
  resultsToCsv,
  SCALE_COLUMNS,
  scaleRowsFromCsv,
  scaleRowsToCsv,
} from "../src/index.ts";
import { makeRow, makeScales } from "./fixtures.ts";

describe("results CSV", () => {
  it("round-trips rows, NaN included, and quotes a status with a comma", () => {
    const rows = [
      makeRow(),
      makeRow({ runId: "r0002", testError: 1 / 3, baselineTestError: Number.NaN, normalizedError: Number.NaN }),
      makeRow({
        runId: "r0003",
        status: 'failed: diverged, loss "NaN" at epoch 3',
        bestEpoch: Number.NaN,
        validError: Number.NaN,
        testError: Number.NaN,
        normalizedError: Number.NaN,
        maxOverflowRate: 1e-4,
      }),
      makeRow({ runId: "r0004", status: "not run: data missing (run `lowprec fetch-data`)", seconds: 0 }),
    ];
    const csv = resultsToCsv(rows);
    expect(csv.split("\n")[0]).toBe(RESULT_COLUMNS.join(","));
    expect(csv).toContain('"failed: diverged, loss ""NaN"" at epoch 3"');
    expect(csv.endsWith("\n")).toBe(true);
    const back = resultsFromCsv(csv, "results.csv");
    expect(back).toHaveLength(rows.length);
    // 1/3 is written at 10 significant digits; everything else exactly. toEqual treats NaN as equal to NaN.
    expect(back[1]!.testError).toBe(0.3333333333);
    expect(back).toEqual(rows.map((r, i) => (i === 1 ? { ...r, testError: 0.3333333333 } : r)));
    expect(Number.isNaN(back[1]!.baselineTestError)).toBe(true);
    expect(resultsToCsv(back)).toBe(csv);
  });

  it("writes integers exactly, other numbers at 10 significant digits, NaN empty, Infinity by name", () => {
    const csv = resultsToCsv([
      makeRow({ seconds: 123456789012, testError: Math.PI, normalizedError: Number.POSITIVE_INFINITY }),
    ]);
    const cells = csv.split("\n")[1]!.split(",");
    const at = (c: (typeof RESULT_COLUMNS)[number]) => cells[RESULT_COLUMNS.indexOf(c)];
    expect(at("seconds")).toBe("123456789012");
    expect(at("testError")).toBe("3.141592654");
    expect(at("maxOverflowRate")).toBe("");
    expect(at("normalizedError")).toBe("Infinity");
    expect(resultsFromCsv(csv, "x")[0]!.normalizedError).toBe(Number.POSITIVE_INFINITY);
  });

  it("accepts columns in another order, extra columns and a BOM", () => {
    const csv = resultsToCsv([makeRow()]);
    const [header, line] = csv.trim().split("\n") as [string, string];
    const h = header.split(",");
    const l = line.split(",");
    const order = h.map((_, i) => i).reverse();
    const head = [...order.map((i) => h[i]), "extra"].join(",");
    const body = [...order.map((i) => l[i]), "x"].join(",");
    const text = `\uFEFF${head}\n${body}\n`;
    expect(resultsFromCsv(text, "x")).toEqual([makeRow()]);
  });

  it("names the source, row and column of a non-number", () => {
    const csv = resultsToCsv([makeRow(), makeRow()]).replace(/\n(.*)\n$/, (_, last: string) => {
      const cells = last.split(",");
      cells[RESULT_COLUMNS.indexOf("testError")] = "1.2%";
      return `\n${cells.join(",")}\n`;
    });
    expect(() => resultsFromCsv(csv, "runs/results.csv")).toThrow(
      'runs/results.csv: row 2, column "testError": expected a number, got "1.2%"',
    );
  });

  it("names the source and the missing column", () => {
    const rows = resultsToCsv([makeRow()]).split("\n");
    const drop = RESULT_COLUMNS.indexOf("seed");
    const text = rows
      .map((l) =>
        l
          .split(",")
          .filter((_, i) => i !== drop)
          .join(","),
      )
      .join("\n");
    expect(() => resultsFromCsv(text, "a.csv")).toThrow('a.csv: header: missing column "seed"');
  });

  it("names the row that has too few cells, an empty required cell, a duplicate column", () => {
    const csv = resultsToCsv([makeRow()]);
    expect(() => resultsFromCsv(`${csv}a,b,c\n`, "b.csv")).toThrow("b.csv: row 2: 3 cells, the header has 26 columns");
    const noDataset = resultsToCsv([makeRow({ dataset: "" })]);
    expect(() => resultsFromCsv(noDataset, "c.csv")).toThrow('c.csv: row 1, column "dataset": must not be empty');
    const dup = csv.replace("experiment,", "experiment,experiment,");
    expect(() => resultsFromCsv(dup, "d.csv")).toThrow('d.csv: header: column "experiment" appears twice');
    expect(() => resultsFromCsv("", "e.csv")).toThrow("e.csv: empty CSV");
    expect(() => resultsFromCsv(`${csv}"unclosed,1\n`, "f.csv")).toThrow(/^f\.csv: row \d+ malformed CSV/);
  });
});

describe("scale telemetry CSV", () => {
  it("round-trips and reads the run folder's header", () => {
    const rows = makeScales().map((r, i) => ({ ...r, flushRate: i / 8 }));
    const csv = scaleRowsToCsv(rows);
    expect(csv.split("\n")[0]).toBe(
      "phase,epoch,batch,examples,layer,group,integerBits,overflowRate,overflowRateHalfRange,flushRate,amax",
    );
    expect(SCALE_COLUMNS.join(",")).toBe(csv.split("\n")[0]);
    expect(scaleRowsFromCsv(csv, "scales/epoch-0001.csv")).toEqual(rows);
  });

  it("reads telemetry written before the flushRate column (flushRate NaN), and an empty cell as NaN", () => {
    const old =
      "phase,epoch,batch,examples,layer,group,integerBits,overflowRate,overflowRateHalfRange,amax\n" +
      "training,1,100,10000,0,dEdw,-3,0,0.0002,0.12\n";
    const [row] = scaleRowsFromCsv(old, "scales/epoch-0001.csv");
    expect(row).toMatchObject({ group: "dEdw", integerBits: -3, overflowRateHalfRange: 0.0002, amax: 0.12 });
    expect(row!.flushRate).toBeNaN();
    const empty = scaleRowsToCsv([{ ...row!, flushRate: undefined }]);
    expect(empty.split("\n")[1]).toBe("training,1,100,10000,0,dEdw,-3,0,0.0002,,0.12");
    expect(scaleRowsFromCsv(empty, "e.csv")[0]!.flushRate).toBeNaN();
    expect(() => scaleRowsFromCsv(empty.replace(",,0.12", ",x,0.12"), "f.csv")).toThrow(
      'f.csv: row 1, column "flushRate": expected a number, got "x"',
    );
  });

  it("requires finite epoch, batch, examples and layer; empty integer bits (a block-scaled group) read as NaN", () => {
    const head = "phase,epoch,batch,examples,layer,group,integerBits,overflowRate,overflowRateHalfRange,amax\n";
    expect(() => scaleRowsFromCsv(`${head}train,1,0,100,,weights,3,0,0,1\n`, "scales/epoch-0001.csv")).toThrow(
      'scales/epoch-0001.csv: row 1, column "layer": expected a finite number, got ""',
    );
    const [row] = scaleRowsFromCsv(`${head}train,1,0,100,0,w,,0.01,0,1\n`, "scales/epoch-0001.csv");
    expect(row!.integerBits).toBeNaN();
    expect(row!.overflowRate).toBe(0.01);
  });
});
