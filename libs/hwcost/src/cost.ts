/**
 * A network under a precision setting: MACs, storage per group, memory traffic, energy and area per
 * training step and per epoch, and a comparison of settings side by side.
 */
import {
  bfloat16,
  binary16,
  binary32,
  dynamicFixed,
  fixed,
  identity,
  MX_PRESETS,
  type Format,
  type MxFormat,
} from "@lowprec/formats";
import { loadHorowitz45nm, type MemoryRow, type Table1Row } from "./data.js";
import { datapathOf, storageBits } from "./datapath.js";
import { type FpgaSource, measuredMac } from "./measured.js";
import { adderCost, macCost, multiplierCost, type OperatorCost } from "./model.js";
import { mxMacCost, mxStorageBits } from "./mx.js";
import { countNetwork, type LayerCount, type NetworkCount, type NetworkShape } from "./network.js";

/**
 * A precision setting (the paper's "format, propagation bits, update bits"): the format of the
 * multiplier operands in forward and backward propagation, the format of the stored parameters that
 * the update writes, and the accumulator of the MACs.
 */
export interface PrecisionSetting {
  readonly name: string;
  /**
   * operands of every forward/backward multiplication, and every stored activation/gradient; an MX format
   * (OCP microscaling) is priced by `mxMacCost` and stored at `mxStorageBits`
   */
  readonly propagation: Format | MxFormat;
  /** the stored parameters W, b (the paper's "parameter updates" width) */
  readonly update: Format;
  /** the MAC accumulator; default `defaultAccumulator(propagation)` */
  readonly accumulator?: Format;
  /** one line on what the setting stands for */
  readonly description?: string;
}

/**
 * Table 1's convention: a float MAC accumulates in its own format; a fixed-point (or dynamic fixed
 * point) MAC accumulates in a 32-bit integer (wide enough for the paper's 10- to 20-bit operands); an MX MAC
 * accumulates in binary32 (its block sums are scaled by powers of two).
 */
export function defaultAccumulator(propagation: Format | MxFormat): Format {
  switch (propagation.kind) {
    case "mx":
      return binary32;
    case "fixed":
      return fixed({ bits: 32, integerBits: Math.min(31, 2 * propagation.integerBits), name: "fixed32-acc" });
    case "dynamic-fixed":
      return dynamicFixed({ bits: 32, name: "dfxp32-acc" });
    default:
      datapathOf(propagation, "propagation");
      return propagation;
  }
}

/** The paper's five rows of Table 2 (METHOD.md §6.2). All cost the AUTHORS' networks. */
export const PAPER_SETTINGS: readonly (PrecisionSetting & { readonly propagation: Format })[] = Object.freeze([
  {
    name: "goodfellow",
    propagation: identity,
    update: identity,
    description: "Goodfellow et al. (2013a) baseline, float32 32/32 (costed on the authors' networks)",
  },
  {
    name: "single",
    propagation: identity,
    update: identity,
    description: "single precision float 32/32, the authors' baseline",
  },
  { name: "half", propagation: binary16, update: binary16, description: "half precision float 16/16" },
  {
    name: "fixed-20",
    propagation: fixed({ bits: 20, integerBits: 5 }),
    update: fixed({ bits: 20, integerBits: 5 }),
    description: "fixed point 20/20, radix after the 5th bit",
  },
  {
    name: "dfxp-10-12",
    propagation: dynamicFixed({ bits: 10 }),
    update: dynamicFixed({ bits: 12 }),
    description: "dynamic fixed point, 10-bit propagations, 12-bit updates",
  },
]);

/**
 * Beyond the paper: the OCP microscaling formats as propagation formats (k = 32, binary32 accumulation), with the
 * parameters stored in bfloat16, as MX training recipes keep a wider copy of the weights. MXFP8 is costed with E4M3
 * elements; the common recipe's E5M2 gradients cost less still (`mxMacCost`: fewer significand bits).
 */
export const MX_SETTINGS: readonly PrecisionSetting[] = Object.freeze(
  (["mxfp8e4m3", "mxfp6e3m2", "mxfp4e2m1", "mxint8"] as const).map((name) => ({
    name,
    propagation: MX_PRESETS[name]!,
    update: bfloat16,
    description: `${name} propagations (blocks of 32, an E8M0 scale each), bfloat16 stored parameters`,
  })),
);

/** Named groups of stored values (the paper's 10 groups per layer, plus the propagation copies and the input). */
export type StorageGroup =
  | "w"
  | "b"
  | "wPropagation"
  | "bPropagation"
  | "dEdw"
  | "dEdb"
  | "update_w"
  | "update_b"
  | "z"
  | "y"
  | "dEdy"
  | "dEdz"
  | "input";

export interface GroupStorage {
  readonly group: StorageGroup;
  /** values per step (per-example groups already multiplied by the batch) */
  readonly values: number;
  /** bits per value */
  readonly bits: number;
  /** bit-packed bytes per step: values · bits / 8 */
  readonly bytes: number;
  /** reads + writes of each value per step (README, "Memory traffic") */
  readonly accessesPerStep: number;
  readonly perExample: boolean;
}

/** Memory level and which end of a quoted range to use. */
export interface CostOptions {
  /** a `level` of data/horowitz45nm.json `memory`: sram-8KB, sram-32KB, sram-1MB (default), dram */
  readonly memory?: string;
  /** for a level quoted as a range (DRAM 1.3–2.6 nJ): `low` (default) or `high` */
  readonly memoryBound?: "low" | "high";
}

export interface StepCost {
  readonly macs: number;
  readonly updateMultiplies: number;
  readonly updateAdds: number;
  readonly macJoules: number;
  readonly updateJoules: number;
  readonly memoryBitsMoved: number;
  readonly memoryJoules: number;
  /** macJoules + updateJoules + memoryJoules */
  readonly joules: number;
  /** area of one MAC unit × MACs: silicon-area × time at one MAC per unit per cycle */
  readonly macSquareMicrometreMacs: number;
  /** the FPGA twin: ALMs of one MAC unit × MACs */
  readonly macAlmMacs: number;
}

export interface NetworkCost {
  readonly setting: string;
  readonly propagation: string;
  readonly update: string;
  readonly accumulator: string;
  readonly counts: NetworkCount;
  /** one MAC unit of the propagation format, as the model prices it */
  readonly mac: OperatorCost;
  /** Table 1's row for this MAC when Table 1 measured it (same format kind and widths; see `measuredMac`) */
  readonly measuredMac: Table1Row | null;
  readonly updateMultiplier: OperatorCost;
  readonly updateAdder: OperatorCost;
  readonly storage: readonly GroupStorage[];
  readonly storageBytes: {
    /** W, b at update width */
    readonly parameters: number;
    /** everything stored per example (input, z, y, dEdy, dEdz) */
    readonly activationsPerExample: number;
    /** all groups for one step */
    readonly perStep: number;
  };
  readonly memory: { readonly level: string; readonly picojoulesPerBit: number; readonly source: string };
  readonly perStep: StepCost;
  readonly perEpoch: StepCost & { readonly steps: number };
  readonly extrapolated: readonly string[];
}

/** Looks up a memory level; throws naming the known levels. */
export function memoryLevel(name: string): MemoryRow {
  const rows = loadHorowitz45nm().memory;
  const row = rows.find((r) => r.level === name);
  if (!row)
    throw new RangeError(`hwcost: unknown memory level "${name}" (known: ${rows.map((r) => r.level).join(", ")})`);
  return row;
}

function groupsOf(
  l: LayerCount,
  first: boolean,
  last: boolean,
  prop: number,
  upd: number,
  batch: number,
): GroupStorage[] {
  const g = (
    group: StorageGroup,
    values: number,
    bits: number,
    accessesPerStep: number,
    perExample: boolean,
  ): GroupStorage => {
    const v = perExample ? values * batch : values;
    return { group, values: v, bits, bytes: (v * bits) / 8, accessesPerStep, perExample };
  };
  return [
    g("w", l.weights, upd, 3, false), // read to derive Ŵ, read and written by the update
    g("b", l.biases, upd, 3, false),
    // written once; read by forward and (not layer 0) input gradient
    g("wPropagation", l.weights, prop, first ? 2 : 3, false),
    g("bPropagation", l.biases, prop, 2, false), // written once, read by forward
    // written once (summed over the batch in the accumulators), read by the update
    g("dEdw", l.weights, prop, 2, false),
    g("dEdb", l.biases, prop, 2, false),
    g("update_w", l.weights, prop, 2, false), // velocity: read and written by the update
    g("update_b", l.biases, prop, 2, false),
    g("z", l.weightedSums, prop, 2, true), // written by forward, read by backward (maxout/pool routing)
    // written; read by the next layer's forward and weight gradient (top: the loss)
    g("y", l.outputs, prop, last ? 2 : 3, true),
    g("dEdy", l.outputs, prop, 2, true),
    // read by the weight gradient and (not layer 0) the input gradient
    g("dEdz", l.weightedSums, prop, first ? 2 : 3, true),
  ];
}

const FLOAT32_BITS = 32;

/** Costs one network under one precision setting. */
export function networkCost(net: NetworkShape, setting: PrecisionSetting, options: CostOptions = {}): NetworkCost {
  const counts = countNetwork(net);
  const accumulator = setting.accumulator ?? defaultAccumulator(setting.propagation);
  const p = setting.propagation;
  const mac = p.kind === "mx" ? mxMacCost(p, accumulator) : macCost(p, accumulator);
  const measured = p.kind === "mx" ? null : (measuredMac(p, accumulator) ?? null);
  const updateMultiplier = multiplierCost(setting.update);
  const updateAdder = adderCost(setting.update);
  const prop = p.kind === "mx" ? mxStorageBits(p) : storageBits(datapathOf(p, "propagation"));
  const upd = storageBits(datapathOf(setting.update, "update"));
  const n = counts.layers.length;
  const storage: GroupStorage[] = [
    // the raw input is never quantized (METHOD.md §3): float32, read by the forward pass and the first weight gradient
    {
      group: "input",
      values: counts.inputs * net.batch,
      bits: FLOAT32_BITS,
      bytes: (counts.inputs * net.batch * FLOAT32_BITS) / 8,
      accessesPerStep: 2,
      perExample: true,
    },
    ...counts.layers.flatMap((l, i) => groupsOf(l, i === 0, i === n - 1, prop, upd, net.batch)),
  ];
  const level = memoryLevel(options.memory ?? "sram-1MB");
  const bound = options.memoryBound ?? "low";
  const picojoulesPerBit = (bound === "high" ? level.picojoulesHigh : level.picojoulesLow) / level.accessBits;
  const memoryBitsMoved = storage.reduce((a, s) => a + s.values * s.bits * s.accessesPerStep, 0);
  const macs = net.batch * (counts.forwardMacsPerExample + counts.backwardMacsPerExample);
  const PJ = 1e-12;
  const macJoules = macs * mac.asic.picojoules * PJ;
  const updateJoules =
    (counts.updateMultipliesPerStep * updateMultiplier.asic.picojoules +
      counts.updateAddsPerStep * updateAdder.asic.picojoules) *
    PJ;
  const memoryJoules = memoryBitsMoved * picojoulesPerBit * PJ;
  const perStep: StepCost = {
    macs,
    updateMultiplies: counts.updateMultipliesPerStep,
    updateAdds: counts.updateAddsPerStep,
    macJoules,
    updateJoules,
    memoryBitsMoved,
    memoryJoules,
    joules: macJoules + updateJoules + memoryJoules,
    macSquareMicrometreMacs: mac.asic.squareMicrometres * macs,
    macAlmMacs: mac.fpga.alms * macs,
  };
  const steps = counts.stepsPerEpoch;
  const scale = (k: keyof StepCost): number => perStep[k] * steps;
  const perEpoch = {
    steps,
    macs: scale("macs"),
    updateMultiplies: scale("updateMultiplies"),
    updateAdds: scale("updateAdds"),
    macJoules: scale("macJoules"),
    updateJoules: scale("updateJoules"),
    memoryBitsMoved: scale("memoryBitsMoved"),
    memoryJoules: scale("memoryJoules"),
    joules: scale("joules"),
    macSquareMicrometreMacs: scale("macSquareMicrometreMacs"),
    macAlmMacs: scale("macAlmMacs"),
  };
  const sumBytes = (f: (s: GroupStorage) => boolean): number => storage.filter(f).reduce((a, s) => a + s.bytes, 0);
  return {
    setting: setting.name,
    propagation: setting.propagation.name,
    update: setting.update.name,
    accumulator: accumulator.name,
    counts,
    mac,
    measuredMac: measured,
    updateMultiplier,
    updateAdder,
    storage,
    storageBytes: {
      parameters: sumBytes((s) => s.group === "w" || s.group === "b"),
      activationsPerExample: sumBytes((s) => s.perExample) / net.batch,
      perStep: sumBytes(() => true),
    },
    memory: { level: level.level, picojoulesPerBit, source: level.source },
    perStep,
    perEpoch,
    // the update operators are priced in ASIC energy only, so their FPGA notes do not apply
    extrapolated: [
      ...new Set([
        ...mac.extrapolated,
        ...[...updateMultiplier.extrapolated, ...updateAdder.extrapolated].filter((n) => !n.startsWith("fpga:")),
      ]),
    ],
  };
}

/** One row of a comparison table: flat, units in the names. */
export interface CostRow {
  readonly network: string;
  readonly setting: string;
  readonly propagation: string;
  readonly update: string;
  readonly accumulator: string;
  readonly forwardMacsPerExample: number;
  readonly backwardMacsPerExample: number;
  readonly updateMultipliesPerStep: number;
  readonly macPicojoules: number;
  readonly macSquareMicrometres: number;
  /** the model's ALMs of one MAC (also where Table 1 measured the MAC: see `measuredMacAlms`) */
  readonly macAlms: number;
  /** the model's DSP blocks of one MAC */
  readonly macDsps: number;
  /** Table 1's measured ALMs of this MAC, `null` when Table 1 has no row for it */
  readonly measuredMacAlms: number | null;
  /** Table 1's measured DSP blocks of this MAC, `null` when Table 1 has no row for it */
  readonly measuredMacDsps: number | null;
  /** where the FPGA figures to quote come from: Table 1 when it measured this MAC, else the model */
  readonly macFpgaSource: FpgaSource;
  readonly parameterBytes: number;
  readonly activationBytesPerExample: number;
  readonly stepMacJoules: number;
  readonly stepMemoryJoules: number;
  readonly stepJoules: number;
  readonly epochJoules: number;
  /** this row's stepJoules / the baseline row's (the first setting) */
  readonly energyVsBaseline: number;
  /** this row's MAC area / the baseline's */
  readonly macAreaVsBaseline: number;
  readonly memoryLevel: string;
  /** extrapolation notes joined with "; " (empty when every estimate is inside the data's range) */
  readonly extrapolated: string;
}

/**
 * Costs every network under every setting; the first setting is the baseline of the ratios.
 * @example compareSettings([{ id: "pi-mnist", shape }], PAPER_SETTINGS)
 */
export function compareSettings(
  networks: readonly { readonly id: string; readonly shape: NetworkShape }[],
  settings: readonly PrecisionSetting[],
  options: CostOptions = {},
): CostRow[] {
  if (settings.length === 0) throw new RangeError("compareSettings: expected at least one precision setting");
  return networks.flatMap(({ id, shape }) => {
    const costs = settings.map((s) => networkCost(shape, s, options));
    const base = costs[0]!;
    return costs.map(
      (c): CostRow => ({
        network: id,
        setting: c.setting,
        propagation: c.propagation,
        update: c.update,
        accumulator: c.accumulator,
        forwardMacsPerExample: c.counts.forwardMacsPerExample,
        backwardMacsPerExample: c.counts.backwardMacsPerExample,
        updateMultipliesPerStep: c.counts.updateMultipliesPerStep,
        macPicojoules: c.mac.asic.picojoules,
        macSquareMicrometres: c.mac.asic.squareMicrometres,
        macAlms: c.mac.fpga.alms,
        macDsps: c.mac.fpga.dsps,
        measuredMacAlms: c.measuredMac?.alms ?? null,
        measuredMacDsps: c.measuredMac?.dsps ?? null,
        macFpgaSource: c.measuredMac ? "Table 1 (measured)" : "model",
        parameterBytes: c.storageBytes.parameters,
        activationBytesPerExample: c.storageBytes.activationsPerExample,
        stepMacJoules: c.perStep.macJoules,
        stepMemoryJoules: c.perStep.memoryJoules,
        stepJoules: c.perStep.joules,
        epochJoules: c.perEpoch.joules,
        energyVsBaseline: c.perStep.joules / base.perStep.joules,
        macAreaVsBaseline: c.mac.asic.squareMicrometres / base.mac.asic.squareMicrometres,
        memoryLevel: c.memory.level,
        extrapolated: c.extrapolated.join("; "),
      }),
    );
  });
}
