import { binary16, binary32, dynamicFixed, fixed, float, identity, type Format } from "@lowprec/formats";
import { describe, expect, it } from "vitest";
import { CalibrationError, calibration, fitRelative, STATED_TOLERANCES } from "./calibrate.js";
import { loadHorowitz45nm, loadTable1, type ArithmeticRow, type Table1Row } from "./data.js";
import { UnsupportedFormatError } from "./datapath.js";
import { adderCost, macCost, multiplierCost, type OperatorCost } from "./model.js";

/** The formats a Table 1 row names (IEEE readings of "float 32" and "float 16"), built with @lowprec/formats. */
function table1Formats(r: Table1Row): { multiplier: Format; accumulator: Format } {
  const ieee = (bits: number): Format =>
    bits === 32 ? binary32 : bits === 16 ? binary16 : float({ exponent: 5, mantissa: bits - 6 });
  if (r.format === "float") return { multiplier: ieee(r.multiplierBits), accumulator: ieee(r.accumulatorBits) };
  return {
    multiplier: fixed({ bits: r.multiplierBits, integerBits: 5 }),
    accumulator: fixed({ bits: r.accumulatorBits, integerBits: 10 }),
  };
}

function horowitzCost(r: ArithmeticRow): OperatorCost {
  const f: Format = r.operation.startsWith("float")
    ? float({ exponent: r.exponent!, mantissa: r.mantissa! })
    : fixed({ bits: r.bits, integerBits: 0 });
  return r.operation.endsWith("multiply") ? multiplierCost(f) : adderCost(f);
}

const rel = (model: number, measured: number): number => Math.abs(model - measured) / measured;

describe("Table 1 reproduced from the model within the stated residuals", () => {
  it("ALMs of each row within STATED_TOLERANCES.alms", () => {
    for (const r of loadTable1().rows) {
      const { multiplier, accumulator } = table1Formats(r);
      expect(
        rel(macCost(multiplier, accumulator).fpga.alms, r.alms),
        `${r.format} ${r.multiplierBits}/${r.accumulatorBits}`,
      ).toBeLessThanOrEqual(STATED_TOLERANCES.alms);
    }
  });

  it("the fixed-point rows are reproduced within 3 % (the float rows only approximately)", () => {
    for (const r of loadTable1().rows.filter((x) => x.format === "fixed")) {
      const { multiplier, accumulator } = table1Formats(r);
      expect(rel(macCost(multiplier, accumulator).fpga.alms, r.alms)).toBeLessThan(0.03);
    }
  });

  it("DSP blocks: exact on all rows but one, and never off by more than the stated blocks", () => {
    const rows = loadTable1().rows;
    const off = rows.map((r) => {
      const { multiplier, accumulator } = table1Formats(r);
      return Math.abs(macCost(multiplier, accumulator).fpga.dsps - r.dsps);
    });
    expect(off.filter((d) => d === 0).length).toBeGreaterThanOrEqual(rows.length - 1);
    for (const d of off) expect(d).toBeLessThanOrEqual(STATED_TOLERANCES.dspBlocks);
  });

  it("the paper's message holds: a fixed-point MAC costs far fewer ALMs than a float MAC of the same width", () => {
    expect(
      macCost(fixed({ bits: 32, integerBits: 5 }), fixed({ bits: 32, integerBits: 10 })).fpga.alms * 3,
    ).toBeLessThan(macCost(binary32, binary32).fpga.alms);
  });
});

describe("Horowitz 45 nm figures reproduced within the stated residuals", () => {
  it.each(["picojoules", "squareMicrometres"] as const)("%s of every operator", (q) => {
    for (const r of loadHorowitz45nm().arithmetic)
      expect(rel(horowitzCost(r).asic[q], r[q]), `${r.operation} ${r.bits}`).toBeLessThanOrEqual(STATED_TOLERANCES[q]);
  });

  it("the reported residuals are the residuals (model through the public API = fit rows)", () => {
    const fit = calibration().fits.asicEnergy;
    loadHorowitz45nm().arithmetic.forEach((r, i) => {
      expect(fit.rows[i]!.measured).toBe(r.picojoules);
      expect(fit.rows[i]!.modelled).toBeCloseTo(horowitzCost(r).asic.picojoules, 12);
    });
    expect(fit.maxAbsRelativeError).toBeLessThanOrEqual(STATED_TOLERANCES.picojoules);
  });
});

describe("fitRelative", () => {
  it("recovers known constants from exact synthetic data", () => {
    const truth = [0.5, 2, 7];
    const rows = [
      [1, 0, 3],
      [4, 1, 0],
      [2, 5, 1],
      [0, 3, 2],
      [6, 1, 1],
    ].map((x, i) => ({
      features: x,
      offset: i,
      measured: i + x.reduce((a, v, j) => a + v * truth[j]!, 0),
    }));
    fitRelative(rows, "synthetic").forEach((c, j) => {
      expect(c).toBeCloseTo(truth[j]!, 12);
    });
  });

  it("one constant, two rows: the relative least-squares closed form", () => {
    // minimise ((k·1 − 1)/1)² + ((k·2 − 3)/3)²  →  k = (1 + 2/3) / (1 + 4/9) = 15/13
    expect(
      fitRelative(
        [
          { features: [1], offset: 0, measured: 1 },
          { features: [2], offset: 0, measured: 3 },
        ],
        "t",
      )[0],
    ).toBeCloseTo(15 / 13, 14);
  });

  it("a negative constant means the model does not describe the data", () => {
    expect(() => fitRelative([{ features: [1], offset: 10, measured: 2 }], "neg")).toThrow(CalibrationError);
  });
});

const QUANTITIES = [
  ["asic", "picojoules"],
  ["asic", "squareMicrometres"],
  ["fpga", "alms"],
  ["fpga", "dsps"],
] as const;

function expectNotCheaper(wider: OperatorCost, narrower: OperatorCost, what: string): void {
  for (const [t, q] of QUANTITIES) {
    const a = (wider[t] as unknown as Record<string, number>)[q]!,
      b = (narrower[t] as unknown as Record<string, number>)[q]!;
    expect(a, `${what}: ${t}.${q}`).toBeGreaterThanOrEqual(b);
  }
}

describe("monotonicity: more bits never cost less", () => {
  it("fixed and dynamic fixed multipliers, adders and MACs, 2..32 bits", () => {
    for (let bits = 3; bits <= 32; bits++) {
      const w = fixed({ bits, integerBits: 1 }),
        n = fixed({ bits: bits - 1, integerBits: 1 });
      expectNotCheaper(multiplierCost(w), multiplierCost(n), `fixed multiplier ${bits}`);
      expectNotCheaper(adderCost(w), adderCost(n), `fixed adder ${bits}`);
      expectNotCheaper(macCost(w, w), macCost(n, n), `fixed MAC ${bits}`);
      expectNotCheaper(
        multiplierCost(dynamicFixed({ bits })),
        multiplierCost(dynamicFixed({ bits: bits - 1 })),
        `dfxp ${bits}`,
      );
    }
  });

  it("floats: one more exponent or mantissa bit never costs less", () => {
    for (let e = 2; e <= 8; e++)
      for (let m = 0; m <= 23; m++) {
        const f = float({ exponent: e, mantissa: m });
        if (m < 23) {
          const g = float({ exponent: e, mantissa: m + 1 });
          expectNotCheaper(macCost(g, g), macCost(f, f), `e${e}m${m + 1}`);
          expectNotCheaper(adderCost(g), adderCost(f), `adder e${e}m${m + 1}`);
        }
        if (e < 8) {
          const g = float({ exponent: e + 1, mantissa: m });
          expectNotCheaper(macCost(g, g), macCost(f, f), `e${e + 1}m${m}`);
        }
      }
  });

  it("a wider accumulator never costs less", () => {
    const m = fixed({ bits: 16, integerBits: 5 });
    for (let a = 17; a <= 32; a++)
      expectNotCheaper(
        macCost(m, fixed({ bits: a, integerBits: 5 })),
        macCost(m, fixed({ bits: a - 1, integerBits: 5 })),
        `acc ${a}`,
      );
  });
});

describe("formats and units", () => {
  it("the identity format costs what binary32 costs; dynamic fixed what fixed of the same width costs", () => {
    expect(macCost(identity, identity).asic).toEqual(macCost(binary32, binary32).asic);
    expect(macCost(dynamicFixed({ bits: 10 }), dynamicFixed({ bits: 32 })).asic).toEqual(
      macCost(fixed({ bits: 10, integerBits: 3 }), fixed({ bits: 32, integerBits: 0 })).asic,
    );
  });

  it("a MAC is its multiplier plus its accumulator, in every unit", () => {
    const m = fixed({ bits: 12, integerBits: 2 }),
      a = fixed({ bits: 32, integerBits: 4 });
    const mac = macCost(m, a),
      mul = multiplierCost(m),
      add = adderCost(a);
    expect(mac.asic.picojoules).toBeCloseTo(mul.asic.picojoules + add.asic.picojoules, 12);
    expect(mac.asic.squareMicrometres).toBeCloseTo(mul.asic.squareMicrometres + add.asic.squareMicrometres, 9);
    expect(mac.fpga.alms).toBeCloseTo(mul.fpga.alms + add.fpga.alms, 9);
    expect(Object.keys(mac.asic).sort()).toEqual(["picojoules", "squareMicrometres"]);
    expect(Object.keys(mac.fpga).sort()).toEqual(["alms", "dsps"]);
  });

  it("estimates outside the data's range say so", () => {
    expect(macCost(binary16, binary16).extrapolated).toEqual([]);
    expect(multiplierCost(fixed({ bits: 4, integerBits: 1 })).extrapolated.join()).toMatch(
      /asic: multiplier fixed4\.1 has 4 bits, data spans 8-32/,
    );
    expect(
      macCost(float({ exponent: 4, mantissa: 3 }), float({ exponent: 4, mantissa: 3 })).extrapolated.join(),
    ).toMatch(/e4m3/);
  });
});

describe("bad input is an UnsupportedFormatError naming the format", () => {
  it("a kind the model does not cover", () => {
    const posit = { kind: "posit", name: "posit16", bits: 16 } as unknown as Format;
    expect(() => multiplierCost(posit)).toThrow(UnsupportedFormatError);
    expect(() => multiplierCost(posit)).toThrow(
      /multiplier format "posit16" \(kind "posit"\) is not covered by the cost model/,
    );
  });

  it("negative and non-integer widths", () => {
    const neg = { kind: "fixed", name: "neg4", bits: -4, integerBits: 0 } as unknown as Format;
    expect(() => adderCost(neg)).toThrow(
      /accumulator format "neg4" \(kind "fixed"\): bits must be an integer in \[2, 64\], got -4/,
    );
    const frac = {
      kind: "float",
      name: "odd",
      exponent: 5,
      mantissa: 2.5,
      bias: 15,
      subnormals: true,
      overflow: "infinity",
      specials: "ieee",
    } as unknown as Format;
    expect(() => multiplierCost(frac)).toThrow(/"odd".*mantissa must be an integer.*got 2.5/);
  });

  it("a float multiplier with an integer accumulator", () => {
    expect(() => macCost(binary16, fixed({ bits: 32, integerBits: 5 }))).toThrow(
      /float multiplier \(binary16\) and a integer accumulator \(fixed32\.5\)/,
    );
  });

  it("not an object at all", () => {
    expect(() => multiplierCost(null as unknown as Format)).toThrow(UnsupportedFormatError);
  });
});
