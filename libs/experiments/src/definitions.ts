/**
 * Experiments as data. An experiment is a JSON file (this library's `experiments/` folder): datasets, precision
 * settings whose array-valued fields are swept (their cartesian product), and variants (`paper`, `budget`,
 * `smoke`) that set the length and size of the runs. `loadExperiment` validates a file completely before
 * anything runs; `expandRuns` turns an experiment and a variant into the list of runs, each with its resolved
 * configuration (and so its run id).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  FLOAT_FORMATS,
  isFloatFormat,
  MAX_EPOCHS,
  NETWORK_PRESETS,
  PRECISION_PRESETS,
  resolveConfig,
  type HyperParameters,
  type PrecisionSpec,
  type ScalingSpec,
} from "@lowprec/maxout";
import { runId } from "./run-id.js";
import { isVitPreset, resolveVitConfig, type RunConfig } from "./vit-run.js";
import { VIT_PRESETS } from "@lowprec/transformer";

/**
 * The columns an experiment runs: a network on its data set. The paper's four Maxout presets, and beyond the paper
 * `vit-mnist`, a small vision Transformer on MNIST (@lowprec/transformer).
 */
export const DATASETS = ["pi-mnist", "mnist-conv", "cifar10", "svhn", "vit-mnist"] as const;
export type DatasetName = (typeof DATASETS)[number];
export const VARIANTS = ["paper", "budget", "long", "images", "smoke"] as const;
export type VariantName = (typeof VARIANTS)[number];

/** The Maxout preset of a column (undefined for the ViT's, and for a name that is no column). */
export function maxoutPreset(d: string): (typeof NETWORK_PRESETS)[keyof typeof NETWORK_PRESETS] | undefined {
  return Object.hasOwn(NETWORK_PRESETS, d) ? NETWORK_PRESETS[d as keyof typeof NETWORK_PRESETS] : undefined;
}

/** A column's own length in epochs (the paper's, for the Maxout presets) and the seed of its first run. */
export function presetDefaults(d: string): { readonly epochs: number; readonly seed: number } | undefined {
  const m = maxoutPreset(d);
  if (m) return { epochs: m.hyper.epochs, seed: m.hyper.seed };
  return isVitPreset(d) ? { epochs: VIT_PRESETS[d].hyper.epochs, seed: VIT_PRESETS[d].seed } : undefined;
}

/** Training examples per epoch of each preset's full training split (the paper's splits). */
export const TRAIN_EXAMPLES: Readonly<Record<DatasetName, number>> = {
  "pi-mnist": 50_000,
  "mnist-conv": 50_000,
  cifar10: 45_000,
  svhn: 598_388,
  "vit-mnist": 50_000,
};

/**
 * The scale window of a run on a training subset (`trainLimit` of the preset's examples): shrunk in proportion
 * (rounded, at least 1), in the window's own unit, so a short run closes as many windows an epoch as a full one
 * (METHOD.md §8.2). The delayed-amax rule has no window and stays as it is.
 */
export function shrinkScaling(scaling: ScalingSpec, dataset: DatasetName, trainLimit: number): ScalingSpec {
  const total = TRAIN_EXAMPLES[dataset];
  if (scaling.kind !== "overflow-rate" || !(trainLimit > 0 && trainLimit < total)) return scaling;
  const shrink = (n: number) => Math.max(1, Math.round((n * trainLimit) / total));
  return scaling.everyBatches !== undefined
    ? { kind: "overflow-rate", maxRate: scaling.maxRate, everyBatches: shrink(scaling.everyBatches) }
    : { kind: "overflow-rate", maxRate: scaling.maxRate, everyExamples: shrink(scaling.everyExamples ?? 10_000) };
}

/** The precision fields a setting may give (a number, or an array of numbers to sweep). */
export const SWEEPABLE = ["propagationBits", "updateBits", "integerBits", "maxOverflowRate"] as const;
export type Sweepable = (typeof SWEEPABLE)[number];

export interface SettingDef {
  /** the label of the setting in tables and figures, e.g. "fixed", "dfxp" */
  readonly name: string;
  /** the precision preset it starts from: fp32, half, fixed, dfxp */
  readonly precision: string;
  readonly propagationBits?: number | readonly number[];
  readonly updateBits?: number | readonly number[];
  readonly integerBits?: number | readonly number[];
  readonly maxOverflowRate?: number | readonly number[];
  readonly rounding?: string;
  /**
   * the scaling policy (default: the preset's): the paper's overflow-rate rule, or beyond the paper delayed amax,
   * current amax, predictive (with the defaults of SETTING_SCALINGS) or block-scaled (an MX preset's own)
   */
  readonly scaling?: SettingScaling;
  /**
   * beyond the paper, float and MX settings only: the format of the stored parameters (the preset's updateFormat
   * otherwise), e.g. float32 to separate an MX setting's block scaling from its bfloat16 storage; an MX setting
   * gives the width it implies as updateBits too (32 for float32)
   */
  readonly updateFormat?: string;
}

/** The scaling policies a setting may name, with the spec each stands for (undefined: the preset's own). */
export const SETTING_SCALINGS = {
  "overflow-rate": undefined,
  "delayed-amax": { kind: "delayed-amax", history: 16, margin: 0 },
  "current-amax": { kind: "current-amax", margin: 0 },
  predictive: { kind: "predictive", history: 16, deviations: 3, margin: 0 },
  "block-scaled": undefined,
} as const satisfies Record<string, ScalingSpec | undefined>;
export type SettingScaling = keyof typeof SETTING_SCALINGS;

/** A value per dataset, or one for all. */
export type PerDataset<T> = T | Readonly<Partial<Record<DatasetName, T>>>;

/**
 * Data other than a preset's own for one dataset of a variant: a folder of images in torchvision's ImageFolder
 * layout (`train/<class>/*`, `test/<class>/*`) under the data root's `raw/`, loaded as the preset's own data would
 * be (@lowprec/datasets' loadImageFolder). The runs' rows and tables carry `label`, so such a column is never read
 * as the official data set.
 */
export interface VariantSource {
  /** the folder's name under `<data root>/raw/` (lower-case letters, digits and "-") */
  readonly images: string;
  /** what the data is, in a few words, e.g. "JPEG copy of the real images" */
  readonly label: string;
}

export interface VariantDef {
  readonly description: string;
  /** the datasets this variant runs (default: the experiment's) */
  readonly datasets?: readonly DatasetName[];
  /** epochs (default: the preset's, i.e. the paper's) */
  readonly epochs?: PerDataset<number>;
  /** train on the first N examples (0 or absent: all) */
  readonly trainLimit?: PerDataset<number>;
  /** evaluate on the first N validation and test examples (0 or absent: all) */
  readonly evalLimit?: PerDataset<number>;
  /**
   * shrink the learning-rate and momentum saturation epochs in proportion to epochs / the paper's epochs, so a
   * shortened run still ends where the paper's schedule ends (default false: the paper's saturation epochs)
   */
  readonly compressSchedule?: boolean;
  /**
   * shrink the dynamic-fixed-point scale window (examples between two scale updates) in proportion to the
   * training subset, so the scales move as often per epoch as on the whole set (default true when trainLimit);
   * one value, or one per dataset (a dataset left out shrinks)
   */
  readonly shrinkScaleWindow?: PerDataset<boolean>;
  /** restrict swept fields to these values (e.g. fewer widths in `smoke`) */
  readonly values?: Readonly<Partial<Record<Sweepable, readonly number[]>>>;
  /** the wall time this variant is designed for on one 2-core machine, in words (budget) */
  readonly budget?: string;
  /** runs per cell, seeds preset, preset + 1, ... (default 1; `lowprec sweep --seeds` overrides) */
  readonly seeds?: number;
  /** data other than the presets' own, by dataset (an image folder; see VariantSource) */
  readonly source?: Readonly<Partial<Record<DatasetName, VariantSource>>>;
}

export interface ExperimentDef {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** which figure of the paper this experiment makes (none for table2 and the beyond-the-paper ones) */
  readonly figure?: "radix-point" | "prop-bits" | "update-bits" | "overflow-rate";
  readonly datasets: readonly DatasetName[];
  /** the setting whose test error normalises the others' (the paper's figures divide by float32's) */
  readonly baseline?: string;
  readonly settings: readonly SettingDef[];
  readonly variants: Readonly<Partial<Record<VariantName, VariantDef>>>;
}

/** A bad experiment file: names the file and the field. */
export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

/** One run of an experiment's variant. */
export interface PlannedRun {
  readonly experiment: string;
  readonly variant: VariantName;
  readonly dataset: DatasetName;
  readonly setting: string;
  /** the swept values of this run, e.g. { propagationBits: 10 } */
  readonly point: Readonly<Partial<Record<Sweepable, number>>>;
  readonly seed: number;
  readonly config: RunConfig;
  readonly runId: string;
  /** the variant's data for this dataset when it is not the preset's own (recorded in run.json) */
  readonly source?: VariantSource;
}

const SETTING_KEYS = ["name", "precision", ...SWEEPABLE, "rounding", "scaling", "updateFormat"];
const VARIANT_KEYS = [
  "description",
  "datasets",
  "epochs",
  "trainLimit",
  "evalLimit",
  "compressSchedule",
  "shrinkScaleWindow",
  "values",
  "budget",
  "seeds",
  "source",
];
const EXPERIMENT_KEYS = ["name", "title", "description", "figure", "datasets", "baseline", "settings", "variants"];
const FIGURES = ["radix-point", "prop-bits", "update-bits", "overflow-rate"];

/** The folder of the experiment files shipped with this library. */
export function experimentsDir(): string {
  // NOTE: this file is libs/experiments/{src,dist}/definitions.*: the files are one level up.
  return join(dirname(fileURLToPath(import.meta.url)), "..", "experiments");
}

/** The names of the shipped experiments. */
export function experimentNames(dir = experimentsDir()): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => basename(f, ".json"))
    .sort();
}

/**
 * Whether a command-line argument names a definition file rather than a shipped experiment: it holds a "/" or ends
 * in ".json" (`./mine.json`, `defs/mine`, `mine.json`). Shipped names are plain (`table2`).
 */
export function isDefinitionPath(arg: string): boolean {
  return arg.includes("/") || arg.endsWith(".json");
}

/** An experiment name that is not one of the shipped experiments: `given` and the `known` names. */
export class UnknownExperimentError extends DefinitionError {
  constructor(
    readonly given: string,
    readonly known: readonly string[],
  ) {
    super(`unknown experiment "${given}" (known: ${known.join(", ")}; or a definition file: a path ending in .json)`);
  }
}

/**
 * Loads and validates an experiment by name (from `dir`) or from a definition file (an argument with a "/" or
 * ending in .json: isDefinitionPath), through the same validator. A definition file's runs are stored under its
 * own `name`, so it may not take a shipped experiment's name (its runs would mix with theirs).
 */
export function loadExperiment(nameOrPath: string, dir = experimentsDir()): ExperimentDef {
  const isPath = isDefinitionPath(nameOrPath);
  const path = isPath ? nameOrPath : join(dir, `${nameOrPath}.json`);
  if (!existsSync(path)) {
    if (isPath) throw new DefinitionError(`${path}: no such definition file`);
    throw new UnknownExperimentError(nameOrPath, experimentNames(dir));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new DefinitionError(`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const def = validateExperiment(raw, path);
  const shipped = resolve(dir, `${def.name}.json`);
  if (isPath && resolve(path) !== shipped && existsSync(shipped))
    throw new DefinitionError(
      `${path}: name: "${def.name}" is a shipped experiment's name (its runs are stored under results/${def.name}/); ` +
        "give yours another",
    );
  // NOTE: resolve every run of every variant now, so an impossible width fails before anything runs.
  for (const v of Object.keys(def.variants) as VariantName[]) expandRuns(def, v, { seeds: 1, source: path });
  return def;
}

/**
 * Names of experiments and settings: they become folders and labels, so plain lower-case identifiers, nothing a path
 * could read as a separator or a parent ("../x", "a/b", "").
 */
const NAME = /^[a-z0-9][a-z0-9-]*$/;
const NAME_RULE = "lower-case letters, digits and '-', starting with a letter or digit";

/** The most seeds per cell a variant may ask for (as `lowprec sweep --seeds`). */
export const MAX_SEEDS = 100;

type LimitField = "trainLimit" | "evalLimit";
/** The largest trainLimit and evalLimit of each dataset: its training split, the larger of validation and test. */
const SPLIT_LIMITS: Readonly<Record<DatasetName, Readonly<Record<LimitField, number>>>> = {
  "pi-mnist": { trainLimit: TRAIN_EXAMPLES["pi-mnist"], evalLimit: 10_000 },
  "mnist-conv": { trainLimit: TRAIN_EXAMPLES["mnist-conv"], evalLimit: 10_000 },
  cifar10: { trainLimit: TRAIN_EXAMPLES.cifar10, evalLimit: 10_000 },
  svhn: { trainLimit: TRAIN_EXAMPLES.svhn, evalLimit: 26_032 },
  "vit-mnist": { trainLimit: TRAIN_EXAMPLES["vit-mnist"], evalLimit: 10_000 },
};

/**
 * The most runs one plan may hold. The largest real plan (the paper variant of a figure sweep, a few seeds) is a
 * few hundred runs; a plan of millions is a typo, and listing it would fill the memory before printing a line.
 */
export const MAX_PLANNED_RUNS = 100_000;

/** A swept value given twice would plan the same run twice (two rows, one of them a spurious failure). */
function duplicateIn(list: readonly number[], field: string, fail: (field: string, why: string) => never): void {
  const seen = new Set<number>();
  for (const x of list) {
    if (seen.has(x)) fail(field, `${x} is listed twice`);
    seen.add(x);
  }
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks the shape of an experiment file; `source` names it in errors. */
export function validateExperiment(raw: unknown, source: string): ExperimentDef {
  const fail = (field: string, why: string): never => {
    throw new DefinitionError(`${source}: ${field}: ${why}`);
  };
  if (!isObj(raw)) return fail("(top)", "expected an object");
  const unknownKeys = (o: Json, allowed: readonly string[], where: string) => {
    for (const k of Object.keys(o))
      if (!allowed.includes(k)) fail(`${where}${k}`, `unknown field (known: ${allowed.join(", ")})`);
  };
  unknownKeys(raw, EXPERIMENT_KEYS, "");
  for (const k of ["name", "title", "description"])
    if (typeof raw[k] !== "string" || raw[k] === "") fail(k, "missing (a non-empty string)");
  // NOTE: the experiment's name is a folder of the result store (results/<name>/...): "../x" would write elsewhere.
  if (!NAME.test(raw["name"] as string)) fail("name", `${JSON.stringify(raw["name"])} is not a name (${NAME_RULE})`);
  if (raw["figure"] !== undefined && !FIGURES.includes(raw["figure"] as string))
    fail("figure", `expected one of ${FIGURES.join(", ")}`);
  const datasetList = (v: unknown, where: string): DatasetName[] => {
    if (!Array.isArray(v) || v.length === 0) return fail(where, "missing (a non-empty list of datasets)");
    for (const [i, d] of v.entries())
      if (!(DATASETS as readonly unknown[]).includes(d))
        fail(`${where}[${i}]`, `unknown dataset ${JSON.stringify(d)} (known: ${DATASETS.join(", ")})`);
    return v as DatasetName[];
  };
  const datasets = datasetList(raw["datasets"], "datasets");
  const settings = raw["settings"];
  if (!Array.isArray(settings) || settings.length === 0) fail("settings", "missing (a non-empty list)");
  const names = new Set<string>();
  for (const [i, s] of (settings as unknown[]).entries()) {
    const at = `settings[${i}]`;
    if (!isObj(s)) fail(at, "expected an object");
    const o = s as Json;
    unknownKeys(o, SETTING_KEYS, `${at}.`);
    if (typeof o["name"] !== "string" || o["name"] === "") fail(`${at}.name`, "missing");
    if (!NAME.test(o["name"] as string))
      fail(`${at}.name`, `${JSON.stringify(o["name"])} is not a name (${NAME_RULE})`);
    if (names.has(o["name"] as string)) fail(`${at}.name`, `"${String(o["name"])}" is used twice`);
    names.add(o["name"] as string);
    if (!(typeof o["precision"] === "string" && o["precision"] in PRECISION_PRESETS))
      fail(`${at}.precision`, `expected one of ${Object.keys(PRECISION_PRESETS).join(", ")}`);
    if (
      o["scaling"] !== undefined &&
      !(typeof o["scaling"] === "string" && Object.hasOwn(SETTING_SCALINGS, o["scaling"]))
    )
      fail(`${at}.scaling`, `expected one of ${Object.keys(SETTING_SCALINGS).join(", ")}`);
    if (o["updateFormat"] !== undefined && !(typeof o["updateFormat"] === "string" && isFloatFormat(o["updateFormat"])))
      fail(`${at}.updateFormat`, `expected one of ${Object.keys(FLOAT_FORMATS).join(", ")}`);
    for (const k of SWEEPABLE) {
      const v = o[k];
      if (v === undefined) continue;
      const ok = typeof v === "number" || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number"));
      if (!ok) fail(`${at}.${k}`, "expected a number or a non-empty list of numbers");
      if (Array.isArray(v)) duplicateIn(v as number[], `${at}.${k}`, fail);
    }
  }
  if (raw["baseline"] !== undefined && !names.has(raw["baseline"] as string))
    fail("baseline", `no setting is named ${JSON.stringify(raw["baseline"])}`);
  const variants = raw["variants"];
  if (!isObj(variants) || Object.keys(variants).length === 0) return fail("variants", "missing");
  for (const [name, v] of Object.entries(variants)) {
    const at = `variants.${name}`;
    if (!(VARIANTS as readonly string[]).includes(name)) fail(at, `unknown variant (known: ${VARIANTS.join(", ")})`);
    if (!isObj(v)) fail(at, "expected an object");
    const o = v as Json;
    unknownKeys(o, VARIANT_KEYS, `${at}.`);
    if (typeof o["description"] !== "string") fail(`${at}.description`, "missing");
    if (o["datasets"] !== undefined)
      for (const [i, d] of datasetList(o["datasets"], `${at}.datasets`).entries())
        if (!datasets.includes(d)) fail(`${at}.datasets[${i}]`, `"${d}" is not among the experiment's datasets`);
    for (const k of ["epochs", "trainLimit", "evalLimit"]) {
      const val = o[k];
      if (val === undefined) continue;
      const entries = typeof val === "number" ? [["", val] as const] : isObj(val) ? Object.entries(val) : undefined;
      if (!entries) fail(`${at}.${k}`, "expected an integer or an object of integers by dataset");
      for (const [d, n] of entries ?? []) {
        if (d !== "" && !(DATASETS as readonly string[]).includes(d)) fail(`${at}.${k}.${d}`, "unknown dataset");
        const field = `${at}.${k}${d ? `.${d}` : ""}`;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
          fail(field, `expected an integer ≥ 0, got ${JSON.stringify(n)}`);
        if (k === "epochs" && (n as number) > MAX_EPOCHS)
          fail(field, `expected at most ${MAX_EPOCHS} epochs, got ${JSON.stringify(n)}`);
        // NOTE: a limit above the split trains on the whole split while the run's record says otherwise.
        if (k !== "epochs") {
          const most = Math.min(...(d ? [d as DatasetName] : datasets).map((x) => SPLIT_LIMITS[x][k as LimitField]));
          if ((n as number) > most)
            fail(field, `${JSON.stringify(n)} is more than the ${most} examples of the split it limits`);
        }
      }
    }
    if (o["compressSchedule"] !== undefined && typeof o["compressSchedule"] !== "boolean")
      fail(`${at}.compressSchedule`, "expected true or false");
    const shrink = o["shrinkScaleWindow"];
    if (shrink !== undefined && typeof shrink !== "boolean") {
      if (!isObj(shrink)) fail(`${at}.shrinkScaleWindow`, "expected true, false or an object of them by dataset");
      for (const [d, b] of Object.entries(shrink as Json)) {
        if (!(DATASETS as readonly string[]).includes(d)) fail(`${at}.shrinkScaleWindow.${d}`, "unknown dataset");
        if (typeof b !== "boolean") fail(`${at}.shrinkScaleWindow.${d}`, "expected true or false");
      }
    }
    if (o["source"] !== undefined) {
      if (!isObj(o["source"])) fail(`${at}.source`, "expected an object of image folders by dataset");
      for (const [d, src] of Object.entries(o["source"] as Json)) {
        const field = `${at}.source.${d}`;
        if (!(DATASETS as readonly string[]).includes(d)) fail(field, "unknown dataset");
        if (!isObj(src)) fail(field, 'expected { "images": <folder under raw/>, "label": <what the data is> }');
        const so = src as Json;
        unknownKeys(so, ["images", "label"], `${field}.`);
        if (typeof so["images"] !== "string" || !NAME.test(so["images"]))
          fail(`${field}.images`, `expected a folder name under the data root's raw/ (${NAME_RULE})`);
        if (typeof so["label"] !== "string" || so["label"] === "")
          fail(`${field}.label`, "missing (a non-empty string)");
      }
    }
    const seeds = o["seeds"];
    if (seeds !== undefined && !(Number.isInteger(seeds) && (seeds as number) >= 1 && (seeds as number) <= MAX_SEEDS))
      fail(`${at}.seeds`, `expected an integer from 1 to ${MAX_SEEDS}, got ${JSON.stringify(seeds)}`);
    if (o["values"] !== undefined) {
      if (!isObj(o["values"])) fail(`${at}.values`, "expected an object");
      for (const [k, list] of Object.entries(o["values"] as Json)) {
        if (!(SWEEPABLE as readonly string[]).includes(k)) fail(`${at}.values.${k}`, "not a sweepable field");
        if (!Array.isArray(list) || !list.every((x) => typeof x === "number"))
          fail(`${at}.values.${k}`, "expected a list of numbers");
        duplicateIn(list as number[], `${at}.values.${k}`, fail);
      }
    }
  }
  return raw as unknown as ExperimentDef;
}

/**
 * The saturation epochs of a run shortened to `epochs`, in proportion to the paper's (PI-MNIST at 100 of 800
 * epochs: learning rate at 50 instead of 400, momentum at 25 instead of 200), so it ends where the paper's
 * schedule ends.
 */
export function compressedSchedule(
  preset: string,
  epochs: number,
): Pick<HyperParameters, "learningRateSaturationEpochs" | "momentumSaturationEpochs"> {
  const h = maxoutPreset(preset)?.hyper;
  if (!h) throw new RangeError(`unknown preset "${preset}"`);
  const f = epochs / h.epochs;
  return {
    learningRateSaturationEpochs: Math.max(1, Math.round(h.learningRateSaturationEpochs * f)),
    momentumSaturationEpochs: Math.max(1, Math.round(h.momentumSaturationEpochs * f)),
  };
}

function perDataset<T extends number | boolean>(v: PerDataset<T> | undefined, d: DatasetName): T | undefined {
  return typeof v === "object" ? v[d] : v;
}

/** The swept values of each field of a setting (restricted by `values`): their cartesian product is its points. */
function sweptLists(s: SettingDef, restrict: VariantDef["values"]): [Sweepable, number[]][] {
  const lists: [Sweepable, number[]][] = [];
  for (const k of SWEEPABLE) {
    const v = s[k];
    if (v === undefined) continue;
    let list = typeof v === "number" ? [v] : [...v];
    const only = restrict?.[k];
    if (Array.isArray(v) && only) list = list.filter((x) => only.includes(x));
    lists.push([k, list]);
  }
  return lists;
}

/** The swept points of a setting: the cartesian product of its array-valued fields (restricted by `values`). */
function pointsOf(s: SettingDef, restrict: VariantDef["values"]): Partial<Record<Sweepable, number>>[] {
  let points: Partial<Record<Sweepable, number>>[] = [{}];
  for (const [k, list] of sweptLists(s, restrict)) points = points.flatMap((p) => list.map((x) => ({ ...p, [k]: x })));
  return points;
}

/** How many runs a variant plans with `seeds` seeds, counted without building them (before any `only` filter). */
export function plannedRunCount(def: ExperimentDef, variantName: VariantName, seedsOverride?: number): number {
  const v = def.variants[variantName];
  if (!v) return 0;
  const seeds = seedsOverride ?? v.seeds ?? 1;
  const points = def.settings.reduce((n, s) => n + sweptLists(s, v.values).reduce((m, [, l]) => m * l.length, 1), 0);
  return (v.datasets ?? def.datasets).length * points * seeds;
}

export interface ExpandOptions {
  /** runs per cell, with seeds preset, preset + 1, ... (default: the variant's `seeds`, else 1) */
  readonly seeds?: number;
  /** keep only runs matching every key=value (dataset, setting, or a swept field) */
  readonly only?: Readonly<Record<string, string>>;
  /** names the definition in errors */
  readonly source?: string;
}

/** The runs of `variant` of `def`, each with its resolved configuration and run id. */
export function expandRuns(def: ExperimentDef, variantName: VariantName, opts: ExpandOptions = {}): PlannedRun[] {
  return [...planRuns(def, variantName, opts)];
}

/**
 * The runs of `variant` of `def` one at a time, as expandRuns lists them, so a dry run prints each as it is planned.
 * A plan of more than MAX_PLANNED_RUNS runs is refused before the first one is built.
 */
export function* planRuns(
  def: ExperimentDef,
  variantName: VariantName,
  opts: ExpandOptions = {},
): Generator<PlannedRun, void, undefined> {
  const v = def.variants[variantName];
  const source = opts.source ?? def.name;
  if (!v)
    throw new DefinitionError(
      `${source}: no variant "${variantName}" (this experiment has: ${Object.keys(def.variants).join(", ")})`,
    );
  const seeds = opts.seeds ?? v.seeds ?? 1;
  if (!(Number.isSafeInteger(seeds) && seeds >= 1))
    throw new RangeError(`seeds: expected an integer ≥ 1, got ${JSON.stringify(seeds)}`);
  const count = plannedRunCount(def, variantName, seeds);
  if (count > MAX_PLANNED_RUNS)
    throw new RangeError(
      `${source} (${variantName}): ${count} runs planned, more than the ${MAX_PLANNED_RUNS} a sweep takes ` +
        `(${seeds} seed(s) per cell)`,
    );
  const only = opts.only ?? {};
  const matches = (r: PlannedRun): boolean =>
    Object.entries(only).every(([k, want]) => {
      const have =
        k === "dataset" ? r.dataset : k === "setting" ? r.setting : (r.point[k as Sweepable]?.toString() ?? undefined);
      return have !== undefined && (have === want || Number(have) === Number(want));
    });
  for (const dataset of v.datasets ?? def.datasets) {
    const own = presetDefaults(dataset)!;
    const epochs = perDataset(v.epochs, dataset) ?? own.epochs;
    const trainLimit = perDataset(v.trainLimit, dataset) ?? 0;
    const evalLimit = perDataset(v.evalLimit, dataset) ?? 0;
    // NOTE: the ViT's schedule (warm-up, then a linear decay to zero at the last epoch) follows its length already.
    const hyper: Partial<HyperParameters> =
      v.compressSchedule && maxoutPreset(dataset) ? { epochs, ...compressedSchedule(dataset, epochs) } : { epochs };
    for (const [si, s] of def.settings.entries()) {
      for (const point of pointsOf(s, v.values)) {
        for (let k = 0; k < seeds; k++) {
          const seed = own.seed + k;
          const base = PRECISION_PRESETS[s.precision as keyof typeof PRECISION_PRESETS] as PrecisionSpec;
          const precision: Record<string, unknown> = {};
          for (const key of ["propagationBits", "updateBits", "integerBits"] as const)
            if (point[key] !== undefined) precision[key] = point[key];
          if (s.rounding !== undefined) precision["rounding"] = s.rounding;
          if (s.updateFormat !== undefined) precision["updateFormat"] = s.updateFormat;
          let scaling: ScalingSpec = base.scaling;
          const named = s.scaling === undefined ? undefined : SETTING_SCALINGS[s.scaling];
          if (named !== undefined) scaling = named;
          else if (s.scaling !== undefined && s.scaling !== base.scaling.kind)
            throw new DefinitionError(
              `${source}: settings[${si}].scaling: ${s.name} starts from ${s.precision}, whose scaling is ` +
                `${base.scaling.kind}, not ${s.scaling}`,
            );
          if (scaling.kind === "overflow-rate") {
            const shrinks = perDataset(v.shrinkScaleWindow, dataset) !== false;
            const shrunk = shrinks ? shrinkScaling(scaling, dataset, trainLimit) : scaling;
            if (shrunk.kind === "overflow-rate")
              scaling = { ...shrunk, maxRate: point.maxOverflowRate ?? shrunk.maxRate };
          } else if (point.maxOverflowRate !== undefined)
            throw new DefinitionError(
              `${source}: settings[${si}].maxOverflowRate: ${s.name} has no overflow-rate rule`,
            );
          if (base.format === "dynamic-fixed" || s.scaling !== undefined) precision["scaling"] = scaling;
          precision["name"] = s.name;
          let config: RunConfig;
          try {
            const overrides = { precision: precision as Partial<PrecisionSpec>, trainLimit, evalLimit };
            config = isVitPreset(dataset)
              ? resolveVitConfig(dataset, base, { ...overrides, hyper: { epochs, seed } })
              : resolveConfig(dataset, base, { ...overrides, hyper: { ...hyper, seed } });
          } catch (e) {
            const msg = e instanceof Error ? e.message : String(e);
            throw new DefinitionError(`${source}: settings[${si}] (${s.name}) on ${dataset}: ${msg}`);
          }
          const run: PlannedRun = {
            experiment: def.name,
            variant: variantName,
            dataset,
            setting: s.name,
            point,
            seed,
            config,
            runId: runId(config),
            ...(v.source?.[dataset] ? { source: v.source[dataset] } : {}),
          };
          if (matches(run)) yield run;
        }
      }
    }
  }
}
