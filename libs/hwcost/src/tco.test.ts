import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { networkCost, PAPER_SETTINGS } from "./cost.js";
import { loadNetworks, loadTco, parseTco, ReferenceDataError } from "./data.js";
import {
  accuracyVerdict,
  HOURS_PER_MONTH,
  HOURS_PER_YEAR,
  type SettingAccuracy,
  TCO_SETTINGS,
  tco,
  tcoAssumptions,
  TcoInputError,
  tcoSensitivity,
  type TcoWorkload,
} from "./tco.js";

const single = PAPER_SETTINGS.find((s) => s.name === "single")!;
const dfxp = PAPER_SETTINGS.find((s) => s.name === "dfxp-10-12")!;
const SETTINGS = [single, dfxp];

/**
 * Round numbers for a hand computation: a die of 100 mm², half of it MACs; a wafer price of one dollar per mm²
 * (the 300 mm wafer's area in dollars), half the dies good, a chip costing twice its die, $100 of board: a device
 * is 100 · 1 / 0.5 · 2 + 100 = $500. 1 GHz at 50 % utilisation; 10 W static; PUE 2; $0.10 per kWh; 4 years;
 * all memory traffic at 1 MB SRAM.
 */
const ROUND: Record<string, number> = {
  dieMm2: 100,
  macShare: 0.5,
  waferUsd: Math.PI * 150 ** 2,
  yield: 0.5,
  chipCostFactor: 2,
  boardUsd: 100,
  clockGHz: 1,
  utilisation: 0.5,
  idleWatts: 10,
  pue: 2,
  electricityUsdPerKwh: 0.1,
  lifetimeYears: 4,
  dramShare: 0,
};

/** PI-MNIST, one epoch of the 50,000 examples: 500 steps of 100. */
const ONE_EPOCH: TcoWorkload = { network: "pi-mnist", epochs: 1, runsPerMonth: 100, deadlineHours: 24 };

/**
 * PI-MNIST's MACs per example: forward 784·1200 + 240·1200 + 240·10, backward twice that minus layer 0's input
 * gradient.
 */
const FORWARD = 784 * 1200 + 240 * 1200 + 240 * 10;
const BACKWARD = 2 * FORWARD - 784 * 1200;

describe("tco: one setting by hand (shared capacity)", () => {
  const r = tco(ONE_EPOCH, { settings: SETTINGS, overrides: ROUND });
  const row = r.rows[0]!;
  const sram = networkCost(loadNetworks().networks[0]!, single, { memory: "sram-1MB" });
  const macMm2 = sram.mac.asic.squareMicrometres * 1e-6;

  it("counts the MACs of a run: (forward + backward) per example × 50,000 examples × epochs", () => {
    expect(FORWARD).toBe(1_231_200);
    expect(BACKWARD).toBe(1_521_600);
    expect(row.macsPerRun).toBe((FORWARD + BACKWARD) * 50_000);
  });

  it("fits floor(die × MAC share ÷ MAC area) MAC units in a device, each one MAC per cycle at the utilisation", () => {
    expect(row.macUnitsPerDevice).toBe(Math.floor(50 / macMm2));
    expect(row.macsPerSecondPerDevice).toBe(row.macUnitsPerDevice * 1e9 * 0.5);
    expect(row.runHoursOnOneDevice).toBeCloseTo(row.macsPerRun / row.macsPerSecondPerDevice / 3600, 12);
  });

  it("prices a device: die at wafer $/mm² ÷ yield, × chip factor, + board", () => {
    expect(row.deviceUsd).toBeCloseTo(500, 9);
  });

  it("charges the device-hours used: runs × run hours × 12 × price ÷ (lifetime in hours)", () => {
    const hoursPerYear = 100 * row.runHoursOnOneDevice * 12;
    expect(row.deviceHoursPerMonth).toBeCloseTo(100 * row.runHoursOnOneDevice, 12);
    expect(row.devices).toBeCloseTo(hoursPerYear / HOURS_PER_YEAR, 12);
    expect(row.hardwareUsdPerYear).toBeCloseTo((hoursPerYear * 500) / (4 * HOURS_PER_YEAR), 12);
  });

  it("prices the energy: (dynamic + static for the busy hours) × PUE × $/kWh", () => {
    const dynamicJoules = sram.perEpoch.joules * 100 * 12;
    expect(row.dynamicKwhPerYear).toBeCloseTo(dynamicJoules / 3.6e6, 12);
    expect(row.staticKwhPerYear).toBeCloseTo((10 * 100 * row.runHoursOnOneDevice * 12) / 1000, 12);
    expect(row.facilityKwhPerYear).toBeCloseTo(2 * (row.dynamicKwhPerYear + row.staticKwhPerYear), 12);
    expect(row.energyUsdPerYear).toBeCloseTo(0.1 * row.facilityKwhPerYear, 12);
    expect(row.totalUsdPerYear).toBeCloseTo(row.energyUsdPerYear + row.hardwareUsdPerYear, 12);
    expect(row.memoryShareOfDynamic).toBeCloseTo(
      sram.perEpoch.memoryJoules / (sram.perEpoch.memoryJoules + sram.perEpoch.macJoules + sram.perEpoch.updateJoules),
      12,
    );
  });

  it("the saving is the baseline's total minus the row's, and float32 saves nothing against itself", () => {
    expect(row.savingUsdPerYear).toBe(0);
    const d = r.rows[1]!;
    expect(d.savingUsdPerYear).toBeCloseTo(row.totalUsdPerYear - d.totalUsdPerYear, 12);
    expect(d.savingFraction).toBeCloseTo(d.savingUsdPerYear / row.totalUsdPerYear, 12);
    // a 10-bit MAC is smaller than a float32 one: more units per die, fewer device-hours, a saving
    expect(d.macUnitsPerDevice).toBeGreaterThan(row.macUnitsPerDevice);
    expect(d.savingFraction).toBeGreaterThan(0);
  });

  it("blends SRAM and DRAM traffic by the DRAM share", () => {
    const s = 0.25;
    const withDram = tco(ONE_EPOCH, { settings: SETTINGS, overrides: { ...ROUND, dramShare: s } }).rows[0]!;
    const dram = networkCost(loadNetworks().networks[0]!, single, { memory: "dram", memoryBound: "low" });
    const memory = (1 - s) * sram.perEpoch.memoryJoules + s * dram.perEpoch.memoryJoules;
    const joules = memory + sram.perEpoch.macJoules + sram.perEpoch.updateJoules;
    expect(withDram.dynamicKwhPerYear).toBeCloseTo((joules * 1200) / 3.6e6, 12);
  });
});

describe("tco: owned fleets and deadlines", () => {
  // one epoch takes runHoursOnOneDevice; a deadline of 0.4 of it needs ceil(2.5) = 3 devices
  const shared = tco(ONE_EPOCH, { settings: SETTINGS, overrides: ROUND }).rows[0]!;
  const run = shared.runHoursOnOneDevice;

  it("splits a run over ceil(run hours ÷ deadline) devices", () => {
    const r = tco({ ...ONE_EPOCH, deadlineHours: 0.4 * run }, { settings: SETTINGS, overrides: ROUND });
    expect(r.rows[0]!.devicesForDeadline).toBe(3);
    expect(r.rows[0]!.hardwareUsdPerYear).toBeCloseTo(shared.hardwareUsdPerYear, 12); // shared: same device-hours
  });

  it("owns whole devices: the larger of the deadline's and the month's, powered all year", () => {
    const r = tco(
      { ...ONE_EPOCH, deadlineHours: 0.4 * run },
      { settings: SETTINGS, overrides: ROUND, capacity: "owned" },
    );
    const row = r.rows[0]!;
    expect(row.devices).toBe(3);
    expect(row.hardwareUsdPerYear).toBeCloseTo((3 * 500) / 4, 9);
    expect(row.staticKwhPerYear).toBeCloseTo((3 * 10 * HOURS_PER_YEAR) / 1000, 9);
    // a monthly volume beyond one device's month needs ceil(hours ÷ month) devices
    const runs = Math.ceil((4.5 * HOURS_PER_MONTH) / run);
    const busy = tco({ ...ONE_EPOCH, runsPerMonth: runs }, { settings: SETTINGS, overrides: ROUND, capacity: "owned" });
    expect(busy.rows[0]!.devices).toBe(5);
  });

  it("refuses a deadline no fleet can meet (fewer than one example per device per step), naming the field", () => {
    // 100 devices split a batch of 100; a deadline below run ÷ 100 cannot be met
    expect(() => tco({ ...ONE_EPOCH, deadlineHours: run / 150 }, { settings: SETTINGS, overrides: ROUND })).toThrow(
      /^deadlineHours: .* cannot be met by any number of asic-45nm devices under single: a run is 500 sequential steps/,
    );
    expect(() =>
      tco({ ...ONE_EPOCH, deadlineHours: run / 90 }, { settings: SETTINGS, overrides: ROUND }),
    ).not.toThrow();
  });
});

describe("tco: every assumption moves the total as its formula says", () => {
  const at = (overrides: Record<string, number>) =>
    tco(ONE_EPOCH, { settings: SETTINGS, overrides: { ...ROUND, ...overrides } }).rows[0]!;
  const base = at({});

  it("electricity price: the energy cost scales in proportion, hardware does not move", () => {
    const x = at({ electricityUsdPerKwh: 0.3 });
    expect(x.energyUsdPerYear).toBeCloseTo(3 * base.energyUsdPerYear, 12);
    expect(x.hardwareUsdPerYear).toBe(base.hardwareUsdPerYear);
  });
  it("PUE: the facility energy scales in proportion", () => {
    expect(at({ pue: 1 }).facilityKwhPerYear).toBeCloseTo(base.facilityKwhPerYear / 2, 12);
  });
  it("lifetime: hardware per year falls as 1 / lifetime", () => {
    expect(at({ lifetimeYears: 8 }).hardwareUsdPerYear).toBeCloseTo(base.hardwareUsdPerYear / 2, 12);
  });
  it("utilisation: half the utilisation, twice the device-hours", () => {
    expect(at({ utilisation: 0.25 }).deviceHoursPerMonth).toBeCloseTo(2 * base.deviceHoursPerMonth, 12);
  });
  it("board cost adds to the device price one for one", () => {
    expect(at({ boardUsd: 600 }).deviceUsd).toBeCloseTo(base.deviceUsd + 500, 9);
  });
  it("static power: adds watts × busy hours", () => {
    const x = at({ idleWatts: 20 });
    expect(x.staticKwhPerYear).toBeCloseTo(2 * base.staticKwhPerYear, 12);
    expect(x.dynamicKwhPerYear).toBe(base.dynamicKwhPerYear);
  });
  it("clock: twice the clock, half the run", () => {
    expect(at({ clockGHz: 2 }).runHoursOnOneDevice).toBeCloseTo(base.runHoursOnOneDevice / 2, 12);
  });
  it.each([
    ["electricityUsdPerKwh", 1],
    ["pue", 1],
    ["lifetimeYears", -1],
    ["utilisation", -1],
    ["idleWatts", 1],
    ["dramShare", 1],
    ["dieMm2", -1],
    ["macShare", -1],
    ["clockGHz", -1],
    ["waferUsd", 1],
    ["yield", -1],
    ["boardUsd", 1],
    ["chipCostFactor", 1],
  ] as const)("%s at its high value moves float32's total the way its formula says (%i)", (name, sign) => {
    const a = tcoAssumptions("asic-45nm").find((x) => x.name === name)!;
    const lo = tco(ONE_EPOCH, { settings: SETTINGS, overrides: { [name]: a.low } }).rows[0]!.totalUsdPerYear;
    const hi = tco(ONE_EPOCH, { settings: SETTINGS, overrides: { [name]: a.high } }).rows[0]!.totalUsdPerYear;
    expect(Math.sign(hi - lo)).toBe(sign);
  });
  it("the FPGA target multiplies the arithmetic energy by its energy factor and takes MACs from ALMs and DSPs", () => {
    const f = (energyFactor: number) =>
      tco(ONE_EPOCH, { settings: SETTINGS, target: "stratix-v", overrides: { energyFactor, dramShare: 0 } }).rows[0]!;
    const sram = networkCost(loadNetworks().networks[0]!, single, { memory: "sram-1MB" });
    const arithmetic = (sram.perEpoch.macJoules + sram.perEpoch.updateJoules) * 1200;
    expect((f(20).dynamicKwhPerYear - f(10).dynamicKwhPerYear) * 3.6e6).toBeCloseTo(10 * arithmetic, 6);
    // Table 1 measured the float 32/32 MAC: 504 ALMs, 4 DSPs → min(262,400 / 504, 3,926 / 4) = 520
    expect(f(14).macUnitsPerDevice).toBe(Math.floor(Math.min(262_400 / 504, 3_926 / 4)));
  });
});

describe("tco: bad input is one line naming the field", () => {
  it.each([
    [{ electricityUsdPerKwh: -0.1 }, /^electricityUsdPerKwh: -0.1 \(expected a number ≥ 0\)$/],
    [{ lifetimeYears: 0 }, /^lifetimeYears: 0 \(expected a number > 0\)$/],
    [{ utilisation: 1.5 }, /^utilisation: 1.5 \(expected a number > 0 and ≤ 1\)$/],
    [{ pue: 0.9 }, /^pue: 0.9 \(expected a number ≥ 1\)$/],
    [{ flux: 1 }, /^flux: not an assumption of target asic-45nm \(known: electricityUsdPerKwh, /],
  ])("override %o", (overrides, message) => {
    expect(() => tco(ONE_EPOCH, { overrides })).toThrow(TcoInputError);
    expect(() => tco(ONE_EPOCH, { overrides })).toThrow(message);
  });
  it("workload fields", () => {
    expect(() => tco({ ...ONE_EPOCH, network: "imagenet" })).toThrow(
      /^network: unknown "imagenet" \(known: pi-mnist, mnist-conv, cifar10, svhn\)$/,
    );
    expect(() => tco({ ...ONE_EPOCH, runsPerMonth: 0 })).toThrow(/^runsPerMonth: 0 \(expected a number > 0\)$/);
    expect(() => tco({ ...ONE_EPOCH, epochs: 2.5 })).toThrow(/^epochs: 2.5 \(expected a whole number ≥ 1\)$/);
    expect(() => tco({ ...ONE_EPOCH, deadlineHours: -1 })).toThrow(/^deadlineHours: -1/);
    expect(() => tco({ ...ONE_EPOCH, trainExamples: 50 })).toThrow(
      /^trainExamples: 50 \(expected at least one batch of 100\)$/,
    );
    expect(() => tco(ONE_EPOCH, { target: "tpu" })).toThrow(/^target: unknown "tpu" \(known: asic-45nm, stratix-v\)$/);
    expect(() => tcoSensitivity(ONE_EPOCH, "single")).toThrow(/^setting: "single" is the baseline/);
    expect(() => tcoSensitivity(ONE_EPOCH, "fp4")).toThrow(/^setting: "fp4" unknown/);
  });
  it("a device that holds no MAC", () => {
    const refusal = (() => {
      try {
        tco(ONE_EPOCH, { overrides: { dieMm2: 0.001, macShare: 0.1 } });
      } catch (e) {
        return e;
      }
    })();
    expect(refusal).toBeInstanceOf(TcoInputError);
    expect((refusal as TcoInputError).field).toBe("dieMm2");
    expect((refusal as TcoInputError).message).toMatch(/^dieMm2: one asic-45nm device holds no single MAC/);
  });
});

describe("tcoSensitivity", () => {
  const s = tcoSensitivity(ONE_EPOCH, "dfxp-10-12", { settings: SETTINGS, overrides: ROUND });
  const all = tcoAssumptions("asic-45nm");

  it("one bar per assumption of the target, widest swing first, the widest deciding", () => {
    expect(s.bars.map((b) => b.name).sort()).toEqual(all.map((a) => a.name).sort());
    for (let i = 1; i < s.bars.length; i++) expect(s.bars[i - 1]!.swing).toBeGreaterThanOrEqual(s.bars[i]!.swing);
    expect(s.deciding).toBe(s.bars[0]!.name);
  });

  it("a bar is the saving with that one assumption at its low and high value", () => {
    const price = s.bars.find((b) => b.name === "electricityUsdPerKwh")!;
    const row = (v: number) =>
      tco(ONE_EPOCH, { settings: SETTINGS, overrides: { ...ROUND, electricityUsdPerKwh: v } }).rows;
    const low = row(price.low);
    const high = row(price.high);
    expect(price.savingAtLow).toBeCloseTo(low[1]!.savingUsdPerYear, 12);
    expect(price.savingAtHigh).toBeCloseTo(high[1]!.savingUsdPerYear, 12);
    expect(price.totalAtHigh).toBeCloseTo(high[1]!.totalUsdPerYear, 12);
    // the saving's energy part is linear in the price: Δsaving = Δprice × (float32 kWh − dfxp kWh)
    const base = row(0.1);
    expect(price.savingAtHigh - price.savingAtLow).toBeCloseTo(
      (price.high - price.low) * (base[0]!.facilityKwhPerYear - base[1]!.facilityKwhPerYear),
      12,
    );
  });

  it("breaks even where every cost, linear in the epochs under shared capacity, reaches float32's", () => {
    const r = tco(ONE_EPOCH, { settings: SETTINGS, overrides: ROUND }).rows;
    expect(s.breakEvenEpochFactor).not.toBeNull();
    expect(s.breakEvenEpochFactor!).toBeCloseTo(r[0]!.totalUsdPerYear / r[1]!.totalUsdPerYear, 6);
  });

  it("no break-even for a setting that saves nothing", () => {
    const worse = tcoSensitivity(ONE_EPOCH, "single", { settings: [dfxp, single], overrides: ROUND });
    expect(worse.baseSaving).toBeLessThan(0);
    expect(worse.breakEvenEpochFactor).toBeNull();
  });
});

describe("accuracy beside cost", () => {
  const acc = (lo: number, hi: number, n = 3): SettingAccuracy => ({
    testError: { n, mean: 1.4, lo: 1.3, hi: 1.5 },
    ratio: { n, mean: (lo + hi) / 2, lo, hi },
    source: "test",
  });
  it("verdicts against 1 + tolerance", () => {
    expect(accuracyVerdict(acc(0.95, 1.04), 0.05)).toBe("within");
    expect(accuracyVerdict(acc(1.06, 1.2), 0.05)).toBe("outside");
    expect(accuracyVerdict(acc(1.0, 1.1), 0.05)).toBe("unclear");
    expect(accuracyVerdict(acc(1.0, 1.04, 1), 0.05)).toBe("unclear");
    expect(accuracyVerdict(undefined, 0.05)).toBe("unmeasured");
  });
  it("rows carry their setting's measurement and verdict", () => {
    const r = tco(ONE_EPOCH, { accuracy: { "dfxp-10-12": acc(1.06, 1.2) } });
    expect(r.rows.find((x) => x.setting === "dfxp-10-12")!.verdict).toBe("outside");
    expect(r.rows.find((x) => x.setting === "half")!.verdict).toBe("unmeasured");
    expect(r.rows.map((x) => x.setting)).toEqual(TCO_SETTINGS.map((x) => x.name));
  });
});

describe("data/tco.json", () => {
  it("every default lies in its range and cites a source; the README lists each with its value", () => {
    const readme = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
    const file = loadTco();
    for (const a of [...file.assumptions, ...file.targets.flatMap((t) => t.parameters)]) {
      expect(a.low).toBeLessThanOrEqual(a.value);
      expect(a.value).toBeLessThanOrEqual(a.high);
      expect(a.source.length).toBeGreaterThan(20);
      expect(readme).toContain(`\`${a.name}\``);
    }
  });
  it("refuses a default outside its range, naming the path", () => {
    const raw = JSON.parse(JSON.stringify(loadTco())) as { assumptions: { value: number }[] };
    raw.assumptions[0]!.value = 99;
    expect(() => parseTco(raw, "x.json")).toThrow(ReferenceDataError);
    expect(() => parseTco(raw, "x.json")).toThrow(/^x.json: \$.assumptions\[0\].value: expected low ≤ value ≤ high/);
  });
});
