/**
 * Total cost of ownership of a training workload under each precision setting: the hardware needed to meet a
 * deadline and a monthly volume, its price amortised over a lifetime, and the energy at a stated price and PUE;
 * the saving against float32, the sensitivity of that saving to every assumption, and where it breaks even.
 * Defaults and their sources: `data/tco.json`; the formulas: README, "Total cost of ownership".
 */
import { bfloat16, fp8e4m3 } from "@lowprec/formats";
import { loadNetworks, loadTco, type NetworkEntry, type TcoAssumption, type TcoTargetEntry } from "./data.js";
import { MX_SETTINGS, networkCost, PAPER_SETTINGS, type PrecisionSetting } from "./cost.js";

/** Bad input to the TCO model; the message names the field. */
export class TcoInputError extends RangeError {
  override readonly name = "TcoInputError";
  /**
   * @param field the workload field, option or assumption at fault (`deadlineHours`, `electricityUsdPerKwh`...)
   * @param detail what is wrong with it; the message is `field: detail`
   */
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** Hours in a year (365.25 days) and in a month (a twelfth of it). */
export const HOURS_PER_YEAR = 8766;
export const HOURS_PER_MONTH = HOURS_PER_YEAR / 12;
/** Area of a 300 mm wafer, mm² (π · 150²): the wafer price is spread over it. */
const WAFER_MM2 = Math.PI * 150 ** 2;

/**
 * The settings the TCO compares, float32 first (the baseline of every saving): the paper's single, half, fixed
 * 20/20 and dynamic fixed point 10/12, FP8 E4M3 with bfloat16 stored parameters, MXFP8 and MXINT8.
 */
export const TCO_SETTINGS: readonly PrecisionSetting[] = Object.freeze([
  ...PAPER_SETTINGS.filter((s) => s.name !== "goodfellow"),
  {
    name: "fp8e4m3",
    propagation: fp8e4m3,
    update: bfloat16,
    description: "FP8 E4M3 propagations with a per-tensor scale, bfloat16 stored parameters",
  },
  ...MX_SETTINGS.filter((s) => s.name === "mxfp8e4m3" || s.name === "mxint8"),
]);

/** What is trained, how often and how fast. */
export interface TcoWorkload {
  /** a network of data/networks.json */
  readonly network: string;
  /** epochs per run; default the paper's for this network */
  readonly epochs?: number;
  /** training examples per epoch; default the network's */
  readonly trainExamples?: number;
  readonly runsPerMonth: number;
  /** wall-clock hours within which one run must finish */
  readonly deadlineHours: number;
}

/**
 * `shared`: the workload pays for the device-hours it uses in a pool of devices (cost per job; static power is
 * charged for the busy hours only). `owned`: the workload has its own fleet of whole devices, sized for the
 * deadline and the monthly volume, powered all year.
 */
export type TcoCapacity = "shared" | "owned";
export const TCO_CAPACITIES: readonly TcoCapacity[] = ["shared", "owned"];

/** A setting's measured test error, from stored results (the caller reads them; this library reads no results). */
export interface SettingAccuracy {
  /** test error in %, over n seeds: mean and 95 % interval */
  readonly testError: { readonly n: number; readonly mean: number; readonly lo: number; readonly hi: number };
  /** test error ÷ the float32 run of the same seed and conditions: mean and 95 % interval over the seeds */
  readonly ratio: { readonly n: number; readonly mean: number; readonly lo: number; readonly hi: number };
  /** where the runs come from (experiment, variant, length, subset) */
  readonly source: string;
}

/**
 * `within`: the ratio's 95 % interval lies at or below 1 + tolerance; `outside`: wholly above it (the row is
 * marked); `unclear`: the interval straddles it (or n < 2); `unmeasured`: no stored result.
 */
export type AccuracyVerdict = "within" | "outside" | "unclear" | "unmeasured";

export interface TcoOptions {
  /** a target of data/tco.json (default `asic-45nm`) */
  readonly target?: string;
  /** default `shared` */
  readonly capacity?: TcoCapacity;
  /** new values for assumptions or target parameters, by name */
  readonly overrides?: Readonly<Record<string, number>>;
  /** measured accuracy per setting name */
  readonly accuracy?: Readonly<Record<string, SettingAccuracy>>;
  /** relative error increase over float32 still accepted (default 0.05: 5 %) */
  readonly tolerance?: number;
  /** default TCO_SETTINGS; the first is the baseline */
  readonly settings?: readonly PrecisionSetting[];
}

/** One setting's cost of the workload, per year unless named otherwise. */
export interface TcoRow {
  readonly setting: string;
  readonly description: string;
  readonly macsPerRun: number;
  /** MAC units one device holds */
  readonly macUnitsPerDevice: number;
  /** MACs per second one device sustains: units × clock × utilisation */
  readonly macsPerSecondPerDevice: number;
  /** hours one run takes on one device */
  readonly runHoursOnOneDevice: number;
  /** devices working on one run at once so that it finishes within the deadline */
  readonly devicesForDeadline: number;
  readonly deviceHoursPerMonth: number;
  /** owned: the fleet (whole devices); shared: the device-years used per year (a fraction) */
  readonly devices: number;
  readonly deviceUsd: number;
  readonly hardwareUsdPerYear: number;
  /** energy of the arithmetic and memory traffic, at the devices (kWh per year, before PUE) */
  readonly dynamicKwhPerYear: number;
  /** static power × powered hours (kWh per year, before PUE) */
  readonly staticKwhPerYear: number;
  /** memory traffic's share of the dynamic energy */
  readonly memoryShareOfDynamic: number;
  /** facility energy: (dynamic + static) × PUE */
  readonly facilityKwhPerYear: number;
  readonly energyUsdPerYear: number;
  readonly totalUsdPerYear: number;
  /** baseline total − this total */
  readonly savingUsdPerYear: number;
  /** saving ÷ baseline total */
  readonly savingFraction: number;
  readonly accuracy: SettingAccuracy | null;
  readonly verdict: AccuracyVerdict;
}

export interface TcoResult {
  readonly workload: Required<TcoWorkload>;
  readonly target: { readonly id: string; readonly kind: "asic" | "fpga"; readonly description: string };
  readonly capacity: TcoCapacity;
  readonly tolerance: number;
  /** every assumption and target parameter in force, overrides applied */
  readonly assumptions: readonly (TcoAssumption & { readonly overridden: boolean })[];
  readonly rows: readonly TcoRow[];
}

/** Bounds of each named quantity: a value outside is refused with a line naming it. */
const BOUNDS: Readonly<Record<string, { min: number; max?: number; minExclusive?: boolean }>> = {
  electricityUsdPerKwh: { min: 0 },
  pue: { min: 1 },
  lifetimeYears: { min: 0, minExclusive: true },
  utilisation: { min: 0, max: 1, minExclusive: true },
  idleWatts: { min: 0 },
  dramShare: { min: 0, max: 1 },
  dieMm2: { min: 0, minExclusive: true },
  macShare: { min: 0, max: 1, minExclusive: true },
  clockGHz: { min: 0, minExclusive: true },
  waferUsd: { min: 0 },
  yield: { min: 0, max: 1, minExclusive: true },
  boardUsd: { min: 0 },
  chipCostFactor: { min: 1 },
  alms: { min: 0, minExclusive: true },
  dsps: { min: 0, minExclusive: true },
  deviceUsd: { min: 0 },
  energyFactor: { min: 0, minExclusive: true },
};

function checkBound(name: string, v: number): void {
  const b = BOUNDS[name] ?? { min: 0 };
  const low = b.minExclusive ? v <= b.min : v < b.min;
  if (!Number.isFinite(v) || low || (b.max !== undefined && v > b.max)) {
    const range = `${b.minExclusive ? ">" : "≥"} ${b.min}${b.max !== undefined ? ` and ≤ ${b.max}` : ""}`;
    throw new TcoInputError(name, `${v} (expected a number ${range})`);
  }
}

function positive(name: string, v: number, integer = false): number {
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    throw new TcoInputError(name, `${v} (expected a ${integer ? "whole number ≥ 1" : "number > 0"})`);
  return v;
}

/** The network entry of `id`, or a TcoInputError naming the known ids. */
export function tcoNetwork(id: string): NetworkEntry {
  const all = loadNetworks().networks;
  const n = all.find((x) => x.id === id);
  if (!n) throw new TcoInputError("network", `unknown "${id}" (known: ${all.map((x) => x.id).join(", ")})`);
  return n;
}

/** The target entry of `id`, or a TcoInputError naming the known ids. */
export function tcoTarget(id: string): TcoTargetEntry {
  const all = loadTco().targets;
  const t = all.find((x) => x.id === id);
  if (!t) throw new TcoInputError("target", `unknown "${id}" (known: ${all.map((x) => x.id).join(", ")})`);
  return t;
}

/** The assumptions of a target (shared ones first), with overrides applied and checked. */
export function tcoAssumptions(
  targetId: string,
  overrides: Readonly<Record<string, number>> = {},
): (TcoAssumption & { readonly overridden: boolean })[] {
  const all = [...loadTco().assumptions, ...tcoTarget(targetId).parameters];
  for (const name of Object.keys(overrides))
    if (!all.some((a) => a.name === name))
      throw new TcoInputError(
        name,
        `not an assumption of target ${targetId} (known: ${all.map((a) => a.name).join(", ")})`,
      );
  return all.map((a) => {
    const o = overrides[a.name];
    if (o === undefined) return { ...a, overridden: false };
    checkBound(a.name, o);
    return { ...a, value: o, overridden: true };
  });
}

function resolveWorkload(w: TcoWorkload): { workload: Required<TcoWorkload>; net: NetworkEntry } {
  const net = tcoNetwork(w.network);
  const epochs = positive("epochs", w.epochs ?? net.paperEpochs, true);
  const trainExamples = positive("trainExamples", w.trainExamples ?? net.trainExamples, true);
  if (trainExamples < net.batch)
    throw new TcoInputError("trainExamples", `${trainExamples} (expected at least one batch of ${net.batch})`);
  return {
    workload: {
      network: net.id,
      epochs,
      trainExamples,
      runsPerMonth: positive("runsPerMonth", w.runsPerMonth),
      deadlineHours: positive("deadlineHours", w.deadlineHours),
    },
    net: { ...net, trainExamples },
  };
}

interface Costed {
  readonly row: Omit<TcoRow, "savingUsdPerYear" | "savingFraction" | "accuracy" | "verdict">;
}

/** One setting's cost under resolved assumptions `v` (name → value). */
function costSetting(
  net: NetworkEntry,
  w: Required<TcoWorkload>,
  target: TcoTargetEntry,
  capacity: TcoCapacity,
  v: Readonly<Record<string, number>>,
  setting: PrecisionSetting,
): Costed {
  const at = (name: string): number => {
    const x = v[name];
    if (x === undefined) throw new TcoInputError(name, `missing from the assumptions of target ${target.id}`);
    return x;
  };
  const sram = networkCost(net, setting, { memory: "sram-1MB" });
  const dram = networkCost(net, setting, { memory: "dram", memoryBound: "low" });
  const steps = sram.perEpoch.steps * w.epochs;
  const macsPerRun = sram.perEpoch.macs * w.epochs;

  // ---- one device: MAC units, throughput, price
  let units: number;
  let deviceUsd: number;
  let arithmeticFactor = 1;
  if (target.kind === "asic") {
    const macMm2 = sram.mac.asic.squareMicrometres * 1e-6;
    units = Math.floor((at("dieMm2") * at("macShare")) / macMm2);
    const dieUsd = (at("dieMm2") * at("waferUsd")) / WAFER_MM2 / at("yield");
    deviceUsd = dieUsd * at("chipCostFactor") + at("boardUsd");
  } else {
    const alms = sram.measuredMac?.alms ?? sram.mac.fpga.alms;
    const dsps = sram.measuredMac?.dsps ?? sram.mac.fpga.dsps;
    units = Math.floor(Math.min(at("alms") / alms, dsps > 0 ? at("dsps") / dsps : Number.POSITIVE_INFINITY));
    deviceUsd = at("deviceUsd");
    arithmeticFactor = at("energyFactor");
  }
  if (units < 1)
    throw new TcoInputError(
      target.kind === "asic" ? "dieMm2" : "alms",
      `one ${target.id} device holds no ${setting.name} MAC ` +
        `(${target.kind === "asic" ? "dieMm2 × macShare" : "alms, dsps"} too small)`,
    );
  const macsPerSecondPerDevice = units * at("clockGHz") * 1e9 * at("utilisation");
  const runSecondsOnOne = macsPerRun / macsPerSecondPerDevice;
  const deadlineSeconds = w.deadlineHours * 3600;
  const devicesForDeadline = Math.max(1, Math.ceil(runSecondsOnOne / deadlineSeconds - 1e-12));
  // data parallelism splits a batch across devices; a step cannot go faster than one example per device
  if (devicesForDeadline > net.batch) {
    const fastest = runSecondsOnOne / net.batch / 3600;
    throw new TcoInputError(
      "deadlineHours",
      `${w.deadlineHours} cannot be met by any number of ${target.id} devices under ${setting.name}: ` +
        `a run is ${steps.toLocaleString("en-US")} sequential steps of batch ${net.batch}, ` +
        `at least ${fastest.toPrecision(3)} h with one ` +
        "example per device",
    );
  }
  const deviceHoursPerMonth = (w.runsPerMonth * runSecondsOnOne) / 3600;

  // ---- fleet and hardware
  const lifetimeHours = at("lifetimeYears") * HOURS_PER_YEAR;
  let devices: number;
  let poweredHoursPerYear: number;
  if (capacity === "owned") {
    devices = Math.max(devicesForDeadline, Math.ceil(deviceHoursPerMonth / HOURS_PER_MONTH - 1e-12));
    poweredHoursPerYear = devices * HOURS_PER_YEAR;
  } else {
    devices = (deviceHoursPerMonth * 12) / HOURS_PER_YEAR;
    poweredHoursPerYear = deviceHoursPerMonth * 12;
  }
  const hardwareUsdPerYear =
    capacity === "owned"
      ? (devices * deviceUsd) / at("lifetimeYears")
      : (poweredHoursPerYear * deviceUsd) / lifetimeHours;

  // ---- energy
  const share = at("dramShare");
  const memoryJoules = (1 - share) * sram.perEpoch.memoryJoules + share * dram.perEpoch.memoryJoules;
  const arithmeticJoules = (sram.perEpoch.macJoules + sram.perEpoch.updateJoules) * arithmeticFactor;
  const dynamicJoulesPerRun = (memoryJoules + arithmeticJoules) * w.epochs;
  const dynamicKwhPerYear = (dynamicJoulesPerRun * w.runsPerMonth * 12) / 3.6e6;
  const staticKwhPerYear = (at("idleWatts") * poweredHoursPerYear) / 1000;
  const facilityKwhPerYear = (dynamicKwhPerYear + staticKwhPerYear) * at("pue");
  const energyUsdPerYear = facilityKwhPerYear * at("electricityUsdPerKwh");
  return {
    row: {
      setting: setting.name,
      description: setting.description ?? setting.name,
      macsPerRun,
      macUnitsPerDevice: units,
      macsPerSecondPerDevice,
      runHoursOnOneDevice: runSecondsOnOne / 3600,
      devicesForDeadline,
      deviceHoursPerMonth,
      devices,
      deviceUsd,
      hardwareUsdPerYear,
      dynamicKwhPerYear,
      staticKwhPerYear,
      memoryShareOfDynamic: memoryJoules / (memoryJoules + arithmeticJoules),
      facilityKwhPerYear,
      energyUsdPerYear,
      totalUsdPerYear: hardwareUsdPerYear + energyUsdPerYear,
    },
  };
}

/** The verdict of a measured ratio against 1 + tolerance (see AccuracyVerdict). */
export function accuracyVerdict(a: SettingAccuracy | null | undefined, tolerance: number): AccuracyVerdict {
  if (!a) return "unmeasured";
  const limit = 1 + tolerance;
  if (a.ratio.n < 2 || !Number.isFinite(a.ratio.lo) || !Number.isFinite(a.ratio.hi)) return "unclear";
  if (a.ratio.hi <= limit) return "within";
  if (a.ratio.lo > limit) return "outside";
  return "unclear";
}

function resolveAll(workload: TcoWorkload, options: TcoOptions) {
  const { workload: w, net } = resolveWorkload(workload);
  const target = tcoTarget(options.target ?? "asic-45nm");
  const capacity = options.capacity ?? "shared";
  if (!TCO_CAPACITIES.includes(capacity))
    throw new TcoInputError("capacity", `unknown "${capacity}" (known: ${TCO_CAPACITIES.join(", ")})`);
  const tolerance = options.tolerance ?? 0.05;
  if (!(Number.isFinite(tolerance) && tolerance >= 0))
    throw new TcoInputError("tolerance", `${tolerance} (expected a number ≥ 0)`);
  const assumptions = tcoAssumptions(target.id, options.overrides);
  const settings = options.settings ?? TCO_SETTINGS;
  if (settings.length === 0) throw new TcoInputError("settings", "none given (expected float32 first, then others)");
  return { w, net, target, capacity, tolerance, assumptions, settings };
}

function rowsAt(
  r: ReturnType<typeof resolveAll>,
  values: Readonly<Record<string, number>>,
  accuracy: Readonly<Record<string, SettingAccuracy>>,
  w: Required<TcoWorkload> = r.w,
): TcoRow[] {
  const costed = r.settings.map((s) => costSetting(r.net, w, r.target, r.capacity, values, s).row);
  const base = costed[0]!.totalUsdPerYear;
  return costed.map((c) => {
    const a = accuracy[c.setting] ?? null;
    return {
      ...c,
      savingUsdPerYear: base - c.totalUsdPerYear,
      savingFraction: (base - c.totalUsdPerYear) / base,
      accuracy: a,
      verdict: accuracyVerdict(a, r.tolerance),
    };
  });
}

const valuesOf = (as: readonly TcoAssumption[]): Record<string, number> =>
  Object.fromEntries(as.map((a) => [a.name, a.value]));

/**
 * The cost of `workload` under every setting, per year, with the saving against the first (float32).
 * @example tco({ network: "pi-mnist", runsPerMonth: 200, deadlineHours: 24 }).rows
 */
export function tco(workload: TcoWorkload, options: TcoOptions = {}): TcoResult {
  const r = resolveAll(workload, options);
  return {
    workload: r.w,
    target: { id: r.target.id, kind: r.target.kind, description: r.target.description },
    capacity: r.capacity,
    tolerance: r.tolerance,
    assumptions: r.assumptions,
    rows: rowsAt(r, valuesOf(r.assumptions), options.accuracy ?? {}),
  };
}

/** One bar of the tornado: the focus setting's total and saving with one assumption at its low and high value. */
export interface TornadoBar {
  readonly name: string;
  readonly label: string;
  readonly unit: string;
  readonly low: number;
  readonly high: number;
  readonly base: number;
  readonly totalAtLow: number;
  readonly totalAtHigh: number;
  readonly savingAtLow: number;
  readonly savingAtHigh: number;
  /** |savingAtHigh − savingAtLow| */
  readonly swing: number;
  readonly source: string;
}

export interface TcoSensitivity {
  readonly setting: string;
  readonly baseline: string;
  readonly baseTotal: number;
  readonly baseSaving: number;
  /** widest swing first */
  readonly bars: readonly TornadoBar[];
  /** the assumption whose range moves the saving most */
  readonly deciding: string;
  /**
   * The epochs multiplier at which the setting's total equals float32's at the stated epochs (its saving is then
   * cancelled: an accuracy loss paid back with longer training); null when it saves nothing to begin with.
   */
  readonly breakEvenEpochFactor: number | null;
}

/**
 * Which assumption decides the answer: for each, the `setting`'s total and saving against the baseline with that
 * assumption at its low and at its high value (the others at their values), widest swing first; and the epochs
 * multiplier that cancels the saving.
 */
export function tcoSensitivity(workload: TcoWorkload, setting: string, options: TcoOptions = {}): TcoSensitivity {
  const r = resolveAll(workload, options);
  const i = r.settings.findIndex((s) => s.name === setting);
  if (i < 1)
    throw new TcoInputError(
      "setting",
      `"${setting}" ${i === 0 ? "is the baseline" : "unknown"} (compare one of: ${r.settings
        .slice(1)
        .map((s) => s.name)
        .join(", ")})`,
    );
  const base = valuesOf(r.assumptions);
  const at = (values: Record<string, number>, w = r.w) => {
    const rows = rowsAt(r, values, {}, w);
    return { total: rows[i]!.totalUsdPerYear, saving: rows[i]!.savingUsdPerYear, baseline: rows[0]!.totalUsdPerYear };
  };
  const b = at(base);
  const bars = r.assumptions
    .map((a): TornadoBar => {
      const lo = at({ ...base, [a.name]: a.low });
      const hi = at({ ...base, [a.name]: a.high });
      return {
        name: a.name,
        label: a.label,
        unit: a.unit,
        low: a.low,
        high: a.high,
        base: a.value,
        totalAtLow: lo.total,
        totalAtHigh: hi.total,
        savingAtLow: lo.saving,
        savingAtHigh: hi.saving,
        swing: Math.abs(hi.saving - lo.saving),
        source: a.source,
      };
    })
    .sort((x, y) => y.swing - x.swing || x.name.localeCompare(y.name));
  // break-even: the setting's total is non-decreasing in its epochs; float32's stays at the stated epochs
  let breakEvenEpochFactor: number | null = null;
  if (b.saving > 0) {
    const totalAt = (f: number): number => {
      try {
        return costSetting(r.net, { ...r.w, epochs: r.w.epochs * f }, r.target, r.capacity, base, r.settings[i]!).row
          .totalUsdPerYear;
      } catch (e) {
        // longer runs that no fleet finishes within the deadline cost more than any finite total
        if (e instanceof TcoInputError) return Number.POSITIVE_INFINITY;
        throw e;
      }
    };
    let lo = 1;
    let hi = 2;
    while (totalAt(hi) < b.baseline && hi < 1e9) {
      lo = hi;
      hi *= 2;
    }
    if (totalAt(hi) >= b.baseline) {
      for (let k = 0; k < 60; k++) {
        const mid = (lo + hi) / 2;
        if (totalAt(mid) < b.baseline) lo = mid;
        else hi = mid;
      }
      breakEvenEpochFactor = hi;
    }
  }
  return {
    setting,
    baseline: r.settings[0]!.name,
    baseTotal: b.total,
    baseSaving: b.saving,
    bars,
    deciding: bars[0]!.name,
    breakEvenEpochFactor,
  };
}
