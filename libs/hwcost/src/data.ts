/**
 * The reference data, read from `libs/hwcost/data/*.json` and checked field by field. Every row keeps
 * its `source`; parsing is lossless, so `JSON.stringify(parseX(raw))` gives back the file's content.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { LayerShape, NetworkShape } from "./network.js";

/** A malformed reference data file: names the file, the field path and the bad value. */
export class ReferenceDataError extends Error {
  override readonly name = "ReferenceDataError";
}

/** One row of the paper's Table 1 (a multiplier-accumulator on a Stratix V FPGA). */
export interface Table1Row {
  readonly format: "float" | "fixed";
  readonly multiplierBits: number;
  readonly accumulatorBits: number;
  readonly alms: number;
  readonly dsps: number;
  readonly source: string;
}

export interface Table1 {
  readonly title: string;
  readonly source: string;
  readonly verified: boolean;
  readonly units: { readonly alms: string; readonly dsps: string };
  readonly interpretation: string;
  readonly rows: readonly Table1Row[];
}

export type ArithmeticOperation = "integer-add" | "integer-multiply" | "float-add" | "float-multiply";

/** One arithmetic operator at 45 nm: energy per operation and area. */
export interface ArithmeticRow {
  readonly operation: ArithmeticOperation;
  /** total operand width, sign included */
  readonly bits: number;
  /** float rows only */
  readonly exponent?: number;
  readonly mantissa?: number;
  readonly picojoules: number;
  readonly squareMicrometres: number;
  readonly source: string;
}

/** One memory level: energy of one access of `accessBits` bits (a range where the source gives one). */
export interface MemoryRow {
  readonly level: string;
  readonly capacityBytes: number | null;
  readonly accessBits: number;
  readonly picojoulesLow: number;
  readonly picojoulesHigh: number;
  readonly source: string;
}

export interface Horowitz45nm {
  readonly title: string;
  readonly source: string;
  readonly verified: boolean;
  readonly technology: { readonly node: string; readonly volts: number };
  readonly arithmetic: readonly ArithmeticRow[];
  readonly memory: readonly MemoryRow[];
}

/** A network of the paper with the data needed to cost one epoch. */
export interface NetworkEntry extends NetworkShape {
  readonly id: string;
  readonly name: string;
  /** the epochs of the paper's run of this network (METHOD.md §4's presets) */
  readonly paperEpochs: number;
  readonly source: string;
}

export interface NetworksFile {
  readonly title: string;
  readonly source: string;
  readonly networks: readonly NetworkEntry[];
}

/** One assumption of the TCO model (data/tco.json): its default, the range the sensitivity sweeps, its source. */
export interface TcoAssumption {
  readonly name: string;
  readonly label: string;
  readonly unit: string;
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly source: string;
}

/** A hardware target of the TCO model: an ASIC die or an FPGA device, with its own parameters. */
export interface TcoTargetEntry {
  readonly id: string;
  readonly kind: "asic" | "fpga";
  readonly description: string;
  readonly parameters: readonly TcoAssumption[];
}

export interface TcoFile {
  readonly title: string;
  readonly source: string;
  /** the assumptions every target shares (energy price, PUE, lifetime, utilisation, static power, DRAM share) */
  readonly assumptions: readonly TcoAssumption[];
  readonly targets: readonly TcoTargetEntry[];
}

// ---------------------------------------------------------------- field checks

type Obj = Record<string, unknown>;

class Reader {
  constructor(readonly file: string) {}
  fail(path: string, expected: string, value: unknown): never {
    throw new ReferenceDataError(`${this.file}: ${path}: expected ${expected}, got ${JSON.stringify(value)}`);
  }
  obj(v: unknown, path: string, keys: readonly string[], optional: readonly string[] = []): Obj {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "an object", v);
    const o = v as Obj;
    for (const k of Object.keys(o))
      if (!keys.includes(k) && !optional.includes(k))
        this.fail(`${path}.${k}`, `no such field (known: ${[...keys, ...optional].join(", ")})`, o[k]);
    for (const k of keys) if (!(k in o)) this.fail(`${path}.${k}`, "a value (field missing)", undefined);
    return o;
  }
  arr(v: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(v) || v.length === 0) this.fail(path, "a non-empty array", v);
    return v as unknown[];
  }
  str(v: unknown, path: string): string {
    if (typeof v !== "string" || v.length === 0) this.fail(path, "a non-empty string", v);
    return v as string;
  }
  bool(v: unknown, path: string): boolean {
    if (typeof v !== "boolean") this.fail(path, "a boolean", v);
    return v as boolean;
  }
  num(v: unknown, path: string, min = 0): number {
    if (typeof v !== "number" || !Number.isFinite(v) || v < min) this.fail(path, `a finite number ≥ ${min}`, v);
    return v as number;
  }
  int(v: unknown, path: string, min = 1): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) this.fail(path, `an integer ≥ ${min}`, v);
    return v as number;
  }
  oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
    if (typeof v !== "string" || !(values as readonly string[]).includes(v))
      this.fail(path, `one of ${values.join(", ")}`, v);
    return v as T;
  }
}

// ---------------------------------------------------------------- parsers

export function parseTable1(raw: unknown, file = "table1.json"): Table1 {
  const r = new Reader(file);
  const o = r.obj(raw, "$", ["title", "source", "verified", "units", "interpretation", "rows"]);
  const u = r.obj(o.units, "$.units", ["alms", "dsps"]);
  return {
    title: r.str(o.title, "$.title"),
    source: r.str(o.source, "$.source"),
    verified: r.bool(o.verified, "$.verified"),
    units: { alms: r.str(u.alms, "$.units.alms"), dsps: r.str(u.dsps, "$.units.dsps") },
    interpretation: r.str(o.interpretation, "$.interpretation"),
    rows: r.arr(o.rows, "$.rows").map((v, i) => {
      const p = `$.rows[${i}]`;
      const row = r.obj(v, p, ["format", "multiplierBits", "accumulatorBits", "alms", "dsps", "source"]);
      return {
        format: r.oneOf(row.format, `${p}.format`, ["float", "fixed"] as const),
        multiplierBits: r.int(row.multiplierBits, `${p}.multiplierBits`),
        accumulatorBits: r.int(row.accumulatorBits, `${p}.accumulatorBits`),
        alms: r.num(row.alms, `${p}.alms`),
        dsps: r.int(row.dsps, `${p}.dsps`, 0),
        source: r.str(row.source, `${p}.source`),
      };
    }),
  };
}

const OPERATIONS: readonly ArithmeticOperation[] = ["integer-add", "integer-multiply", "float-add", "float-multiply"];

export function parseHorowitz(raw: unknown, file = "horowitz45nm.json"): Horowitz45nm {
  const r = new Reader(file);
  const o = r.obj(raw, "$", ["title", "source", "verified", "technology", "arithmetic", "memory"]);
  const t = r.obj(o.technology, "$.technology", ["node", "volts"]);
  return {
    title: r.str(o.title, "$.title"),
    source: r.str(o.source, "$.source"),
    verified: r.bool(o.verified, "$.verified"),
    technology: { node: r.str(t.node, "$.technology.node"), volts: r.num(t.volts, "$.technology.volts") },
    arithmetic: r.arr(o.arithmetic, "$.arithmetic").map((v, i): ArithmeticRow => {
      const p = `$.arithmetic[${i}]`;
      const row = r.obj(
        v,
        p,
        ["operation", "bits", "picojoules", "squareMicrometres", "source"],
        ["exponent", "mantissa"],
      );
      const operation = r.oneOf(row.operation, `${p}.operation`, OPERATIONS);
      const bits = r.int(row.bits, `${p}.bits`, 2);
      const common = {
        picojoules: r.num(row.picojoules, `${p}.picojoules`),
        squareMicrometres: r.num(row.squareMicrometres, `${p}.squareMicrometres`),
        source: r.str(row.source, `${p}.source`),
      };
      if (operation === "float-add" || operation === "float-multiply") {
        const exponent = r.int(row.exponent, `${p}.exponent`);
        const mantissa = r.int(row.mantissa, `${p}.mantissa`, 0);
        if (1 + exponent + mantissa !== bits)
          r.fail(`${p}.bits`, `1 + exponent + mantissa = ${1 + exponent + mantissa}`, bits);
        return { operation, bits, exponent, mantissa, ...common };
      }
      if ("exponent" in row || "mantissa" in row) r.fail(`${p}`, "no exponent/mantissa on an integer operation", row);
      return { operation, bits, ...common };
    }),
    memory: r.arr(o.memory, "$.memory").map((v, i): MemoryRow => {
      const p = `$.memory[${i}]`;
      const row = r.obj(v, p, ["level", "capacityBytes", "accessBits", "picojoulesLow", "picojoulesHigh", "source"]);
      const low = r.num(row.picojoulesLow, `${p}.picojoulesLow`);
      const high = r.num(row.picojoulesHigh, `${p}.picojoulesHigh`);
      if (high < low) r.fail(`${p}.picojoulesHigh`, `≥ picojoulesLow (${low})`, high);
      return {
        level: r.str(row.level, `${p}.level`),
        capacityBytes: row.capacityBytes === null ? null : r.int(row.capacityBytes, `${p}.capacityBytes`),
        accessBits: r.int(row.accessBits, `${p}.accessBits`),
        picojoulesLow: low,
        picojoulesHigh: high,
        source: r.str(row.source, `${p}.source`),
      };
    }),
  };
}

function parseLayer(r: Reader, v: unknown, p: string): LayerShape {
  const kind = r.oneOf((v as Obj | null)?.kind, `${p}.kind`, ["dense", "conv", "softmax"] as const);
  if (kind === "dense") {
    const o = r.obj(v, p, ["kind", "inputs", "units", "pieces"]);
    return {
      kind,
      inputs: r.int(o.inputs, `${p}.inputs`),
      units: r.int(o.units, `${p}.units`),
      pieces: r.int(o.pieces, `${p}.pieces`),
    };
  }
  if (kind === "softmax") {
    const o = r.obj(v, p, ["kind", "inputs", "classes"]);
    return { kind, inputs: r.int(o.inputs, `${p}.inputs`), classes: r.int(o.classes, `${p}.classes`) };
  }
  const o = r.obj(v, p, [
    "kind",
    "inChannels",
    "height",
    "width",
    "maps",
    "pieces",
    "kernel",
    "padding",
    "stride",
    "pool",
  ]);
  const pool = r.obj(o.pool, `${p}.pool`, ["size", "stride"]);
  return {
    kind,
    inChannels: r.int(o.inChannels, `${p}.inChannels`),
    height: r.int(o.height, `${p}.height`),
    width: r.int(o.width, `${p}.width`),
    maps: r.int(o.maps, `${p}.maps`),
    pieces: r.int(o.pieces, `${p}.pieces`),
    kernel: r.int(o.kernel, `${p}.kernel`),
    padding: r.int(o.padding, `${p}.padding`, 0),
    stride: r.int(o.stride, `${p}.stride`),
    pool: { size: r.int(pool.size, `${p}.pool.size`), stride: r.int(pool.stride, `${p}.pool.stride`) },
  };
}

export function parseNetworks(raw: unknown, file = "networks.json"): NetworksFile {
  const r = new Reader(file);
  const o = r.obj(raw, "$", ["title", "source", "networks"]);
  const seen = new Set<string>();
  return {
    title: r.str(o.title, "$.title"),
    source: r.str(o.source, "$.source"),
    networks: r.arr(o.networks, "$.networks").map((v, i): NetworkEntry => {
      const p = `$.networks[${i}]`;
      const n = r.obj(v, p, ["id", "name", "batch", "trainExamples", "paperEpochs", "source", "layers"]);
      const id = r.str(n.id, `${p}.id`);
      if (seen.has(id)) r.fail(`${p}.id`, "a unique id", id);
      seen.add(id);
      return {
        id,
        name: r.str(n.name, `${p}.name`),
        batch: r.int(n.batch, `${p}.batch`),
        trainExamples: r.int(n.trainExamples, `${p}.trainExamples`),
        paperEpochs: r.int(n.paperEpochs, `${p}.paperEpochs`),
        source: r.str(n.source, `${p}.source`),
        layers: r.arr(n.layers, `${p}.layers`).map((l, j) => parseLayer(r, l, `${p}.layers[${j}]`)),
      };
    }),
  };
}

function parseAssumption(r: Reader, v: unknown, p: string): TcoAssumption {
  const a = r.obj(v, p, ["name", "label", "unit", "value", "low", "high", "source"]);
  const low = r.num(a.low, `${p}.low`);
  const value = r.num(a.value, `${p}.value`);
  const high = r.num(a.high, `${p}.high`);
  if (!(low <= value && value <= high)) r.fail(`${p}.value`, `low ≤ value ≤ high (low ${low}, high ${high})`, value);
  return {
    name: r.str(a.name, `${p}.name`),
    label: r.str(a.label, `${p}.label`),
    unit: r.str(a.unit, `${p}.unit`),
    value,
    low,
    high,
    source: r.str(a.source, `${p}.source`),
  };
}

export function parseTco(raw: unknown, file = "tco.json"): TcoFile {
  const r = new Reader(file);
  const o = r.obj(raw, "$", ["title", "source", "assumptions", "targets"]);
  const names = new Set<string>();
  const assumptions = r.arr(o.assumptions, "$.assumptions").map((v, i) => {
    const a = parseAssumption(r, v, `$.assumptions[${i}]`);
    if (names.has(a.name)) r.fail(`$.assumptions[${i}].name`, "a unique name", a.name);
    names.add(a.name);
    return a;
  });
  const ids = new Set<string>();
  const targets = r.arr(o.targets, "$.targets").map((v, i): TcoTargetEntry => {
    const p = `$.targets[${i}]`;
    const t = r.obj(v, p, ["id", "kind", "description", "parameters"]);
    const id = r.str(t.id, `${p}.id`);
    if (ids.has(id)) r.fail(`${p}.id`, "a unique id", id);
    ids.add(id);
    const own = new Set<string>();
    const parameters = r.arr(t.parameters, `${p}.parameters`).map((x, j) => {
      const a = parseAssumption(r, x, `${p}.parameters[${j}]`);
      if (names.has(a.name) || own.has(a.name))
        r.fail(`${p}.parameters[${j}].name`, "a name not used by the shared assumptions or this target", a.name);
      own.add(a.name);
      return a;
    });
    return {
      id,
      kind: r.oneOf(t.kind, `${p}.kind`, ["asic", "fpga"] as const),
      description: r.str(t.description, `${p}.description`),
      parameters,
    };
  });
  return { title: r.str(o.title, "$.title"), source: r.str(o.source, "$.source"), assumptions, targets };
}

// ---------------------------------------------------------------- files

/** Absolute path of a file in `libs/hwcost/data/` (the same from `src/` and from `dist/`). */
export function dataPath(name: string): string {
  return fileURLToPath(new URL(`../data/${name}`, import.meta.url));
}

function readJson(name: string): unknown {
  const path = dataPath(name);
  const text = readFileSync(path, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ReferenceDataError(`${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

let table1: Table1 | undefined;
let horowitz: Horowitz45nm | undefined;
let networks: NetworksFile | undefined;
let tco: TcoFile | undefined;

/** The paper's Table 1, from `data/table1.json`. */
export function loadTable1(): Table1 {
  return (table1 ??= parseTable1(readJson("table1.json"), dataPath("table1.json")));
}

/** Horowitz's 45 nm figures, from `data/horowitz45nm.json`. */
export function loadHorowitz45nm(): Horowitz45nm {
  return (horowitz ??= parseHorowitz(readJson("horowitz45nm.json"), dataPath("horowitz45nm.json")));
}

/** The paper's four networks, from `data/networks.json`. */
export function loadNetworks(): NetworksFile {
  return (networks ??= parseNetworks(readJson("networks.json"), dataPath("networks.json")));
}

/** The TCO model's defaults and their sources, from `data/tco.json`. */
export function loadTco(): TcoFile {
  return (tco ??= parseTco(readJson("tco.json"), dataPath("tco.json")));
}
