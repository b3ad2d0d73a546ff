/**
 * The report: stored results → `reports/`. Two steps, so the committed report can be rebuilt anywhere:
 *   collectReport: the result store → `<out>/results/<variant>/*.csv` (one tidy table per experiment, the
 *     telemetry of one dynamic-fixed-point run, provenance.json): small files that are committed. The folder is
 *     replaced whole (@lowprec/storage's replaceDirAtomic), so a kill leaves the old collection or the new one;
 *     provenance.json records each table's length and SHA-256;
 *   buildReport: those files → `<out>/README.md` (Table 2 beside the paper, the figures, cost vs error, the
 *     beyond-the-paper tables, provenance) and `<out>/figures/*.svg|png`, byte for byte the same every time,
 *     from tables that match their provenance only.
 * Hardware costs come from @lowprec/hwcost; figures, tables and CSV from @lowprec/report.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bfloat16, fp8e4m3, fp8e5m2, MX_PRESETS } from "@lowprec/formats";
import {
  compareSettings,
  type CostRow,
  loadNetworks,
  MX_SETTINGS,
  PAPER_SETTINGS,
  type PrecisionSetting,
  intervalText,
  usd,
} from "@lowprec/hwcost";
import type { DataRecord } from "@lowprec/maxout";
import {
  conditionsLine,
  costErrorSpec,
  tornadoSpec,
  csvNumber,
  datasetLabel,
  FIGURE_KINDS,
  figureFacts,
  isPartial,
  figureSpec,
  markdownTable,
  overlaps,
  paretoFront,
  resultsFromCsv,
  resultsTableMarkdown,
  resultsToCsv,
  scaleRowsFromCsv,
  scaleRowsToCsv,
  summarize,
  table2Markdown,
  table2RatioSpec,
  table2RatiosMarkdown,
  telemetrySpec,
  scaleRatesSpec,
  policiesSpec,
  SCALING_POLICIES,
  groupSummariesFromCsv,
  groupSummariesToCsv,
  groupsAcrossLayers,
  networksSideBySide,
  summarizeGroups,
  transformerSpec,
  type GroupSummary,
  type VegaLiteSpec,
  toPng,
  telemetryFacts,
  toSvg,
  type CostErrorPoint,
  type PaperTable2,
  type ResultRow,
  type ScaleRow,
  type Summary,
} from "@lowprec/report";
import { CorruptFileError, recoverDirSwap, replaceDirAtomic, sha256Hex, writeFileAtomic } from "@lowprec/storage";
import {
  expandRuns,
  experimentNames,
  loadExperiment,
  presetDefaults,
  type PlannedRun,
  type VariantName,
  VARIANTS,
} from "./definitions.js";
import { AT_CHANCE_ERROR, evaluateFindings, findingsMarkdown, isAtChance, loadFindingRules } from "./findings.js";
import { collectResults, isDirtyCommit, plannedSeeds, storedRunDir } from "./results.js";
import { isVitConfig } from "./vit-run.js";
import { TCO_QUESTION, tcoAnswer, tcoMarkdown } from "./tco.js";
import { vitLayerNames } from "@lowprec/transformer";
import { readConfigRecord, readDataRecord, readJsonFile, readRunFile, type ConfigRecord } from "./run-folder.js";

/** The paper's Table 2 (transcribed; see the file's provenance), in @lowprec/report's form. */
export function paperTable2(): PaperTable2 {
  const path = join(dirname(fileURLToPath(import.meta.url)), "..", "data", "table2.json");
  const raw = readJsonFile(path) as {
    title: string;
    provenance: string;
    rows: ({ setting: string; label: string; propagationBits: number; updateBits: number } & Record<string, unknown>)[];
    columns: string[];
  };
  return {
    title: raw.title,
    provenance: raw.provenance,
    rows: raw.rows.map((r) => ({
      setting: r.setting,
      label: r.label,
      propagationBits: r.propagationBits,
      updateBits: r.updateBits,
      values: Object.fromEntries(raw.columns.map((c) => [c, r[c] as number])),
      ...(r.setting === "goodfellow" ? { reference: true } : {}),
    })),
  };
}

/** Which run's scales the telemetry shows: Table 2's dynamic fixed point run on PI-MNIST, first seed. */
const TELEMETRY = { experiment: "table2", dataset: "pi-mnist", setting: "dfxp" } as const;

/** hwcost's name for each Table 2 setting. */
const COST_SETTING: Readonly<Record<string, string>> = {
  fp32: "single",
  half: "half",
  fixed: "fixed-20",
  dfxp: "dfxp-10-12",
};

/** A collection's provenance.json; its machine fields are those of the latest run (`machines` lists several). */
export interface Provenance extends MachineRecord {
  variant: string;
  collected: string;
  /** the commits of the finished runs: one commit in full, or each shortened to 12 digits with its count */
  gitCommit: string;
  /** the commit of each finished run (the results' `commit` column), with its count, most runs first */
  commits?: { commit: string; runs: number }[];
  /** finished runs made from a work tree with uncommitted changes (refused under refuseDirty unless allowDirty) */
  dirtyRuns?: number;
  /** the code fingerprints of the runs (config.json's environment.code), most runs first; "unknown" when absent */
  codeFingerprints?: { fingerprint: string; runs: number }[];
  runs: number;
  computeHours: number;
  commands: string[];
  /**
   * the data the collected runs trained on, one entry per distinct data set and split (absent when no run recorded
   * its data: runs made before run folders kept data.json)
   */
  data?: DataProvenanceEntry[];
  /** runs without a data record, when some have one */
  dataNotRecorded?: number;
  /** every other file of the folder: what buildReport checks before it reads one */
  files?: TableRecord[];
  /** when the runs come from several machines: each machine with its count of runs, most first */
  machines?: { machine: string; runs: number }[];
  /** each finished run's record, for merging collections (collections since runs were recorded one by one) */
  collection?: CollectionRecord;
}

/** One collected file as provenance.json records it. */
export interface TableRecord {
  name: string;
  bytes: number;
  sha256: string;
}

export interface CollectOptions {
  /** replace the committed collection even from an empty store, or one with fewer finished runs */
  readonly force?: boolean;
  /**
   * refuse finished runs made from a work tree with uncommitted changes (their `commit` ends in "+dirty"),
   * naming the first, unless `allowDirty`: what `lowprec report --collect` does. Off by default, for reports
   * written beside the runs (`lowprec reproduce`); provenance.json counts such runs (`dirtyRuns`) either way.
   */
  readonly refuseDirty?: boolean;
  /**
   * remake the committed collection even when the store holds none of its runs: its finished runs kept (verified
   * against provenance.json), its tables and telemetry rewritten by the current collection code (`--recollect`)
   */
  readonly recollect?: boolean;
  /** with refuseDirty: collect dirty runs anyway (`--allow-dirty`); the page's provenance section says so */
  readonly allowDirty?: boolean;
  /**
   * what the commands of a refusal's message add after `lowprec report ...` (the caller's `--data-dir DIR`), so a
   * hint followed literally reads the same store
   */
  readonly hintArgs?: string;
}

/**
 * The variants whose collections are never committed: `lowprec report` writes their page beside the runs, in
 * `<data root>/report/` (as `lowprec reproduce` does for every variant), never in the repository's `reports/`.
 * The committed `reports/` holds the budget page, which the long, images and paper variants join.
 */
export const LOCAL_VARIANTS: readonly VariantName[] = ["smoke"];

/** Whether `variant`'s report belongs beside the runs (`<data root>/report/`), not in the repository's reports/. */
export function isLocalVariant(variant: VariantName): boolean {
  return LOCAL_VARIANTS.includes(variant);
}

/** The folder of the report beside the runs of `dataDir` (where `lowprec reproduce` and local variants write). */
export function localReportDir(dataDir: string): string {
  return join(dataDir, "report");
}

/**
 * The command that collects `variant` from the store and rebuilds its page, as the tool's hints print it: never one
 * that writes another variant's runs into the committed reports/ (a local variant's report goes to
 * `<data root>/report/`, the command line's default for it). `tail` is appended (e.g. `--data-dir DIR`).
 */
export function collectCommand(variant: VariantName, tail = ""): string {
  const head = variant === "budget" ? "lowprec report --collect" : `lowprec report --variant ${variant} --collect`;
  return tail === "" ? head : `${head} ${tail}`;
}

/**
 * How many finished runs (a run folder with its summary.json) the result store of `dataDir` holds of each variant,
 * over the shipped experiments, most first: what a refusal names when the store holds none of the variant asked for.
 */
export function storeVariants(dataDir: string): { variant: VariantName; runs: number }[] {
  const counts = new Map<VariantName, number>();
  for (const name of experimentNames())
    for (const variant of VARIANTS) {
      const dir = join(dataDir, "results", name, variant);
      if (!existsSync(dir)) continue;
      const done = readdirSync(dir).filter((id) => existsSync(join(dir, id, "summary.json"))).length;
      if (done > 0) counts.set(variant, (counts.get(variant) ?? 0) + done);
    }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || VARIANTS.indexOf(a[0]) - VARIANTS.indexOf(b[0]))
    .map(([variant, runs]) => ({ variant, runs }));
}

/** The code fingerprint a run's config.json records (environment.code.fingerprint), or "unknown" (older runs). */
function codeFingerprint(rec: ConfigRecord): string {
  const code = (rec.environment as { code?: { fingerprint?: unknown } } | undefined)?.code;
  return typeof code?.fingerprint === "string" && code.fingerprint !== "" ? code.fingerprint : "unknown";
}

/** The runs the collection in `dir` lists (0 when there is none, or its provenance cannot be read). */
function committedRuns(dir: string): number {
  try {
    const runs = (JSON.parse(readFileSync(join(dir, "provenance.json"), "utf8")) as { runs?: unknown }).runs;
    return typeof runs === "number" && Number.isSafeInteger(runs) ? runs : 0;
  } catch {
    return 0;
  }
}

/** One split of one data set as the collected runs recorded it (file paths reduced to their names). */
export interface DataProvenanceEntry {
  dataset: string;
  split: "train" | "valid" | "test";
  files: { name: string; sha256: string; bytes: number }[];
  /** how the split was cut from the files */
  cut: string;
  preprocessing: string[];
  /** the cache entry's file name, if the arrays came from or went to the cache */
  cacheFile?: string;
  runs: number;
}

/** The data entries (runs 0) of one run's data record, one per split that records its provenance. */
function dataEntries(dataset: string, rec: DataRecord): DataProvenanceEntry[] {
  return (["train", "valid", "test"] as const).flatMap((split) => {
    const p = rec[split].provenance;
    if (!p) return [];
    return [
      {
        dataset: rec[split].name ?? dataset,
        split,
        files: p.files.map((f) => ({ name: basename(f.path), sha256: f.sha256, bytes: f.bytes })),
        cut: p.split,
        preprocessing: [...p.preprocessing],
        ...(p.cacheFile ? { cacheFile: basename(p.cacheFile) } : {}),
        runs: 0,
      },
    ];
  });
}

/** The machine a run was trained on, as provenance.json records it. */
export interface MachineRecord {
  host: string;
  cpu: string;
  cores: number;
  node: string;
  backend: string;
  threadsPerRun: number;
}

/**
 * What one finished run contributes to a collection (`collection.runs` of provenance.json, by "experiment/run id"),
 * so that a later collection can keep a run its store does not hold, with exact counts. `machine` and `data` index
 * `collection.machines` and `collection.data`.
 */
export interface RunProvenance {
  experiment: string;
  dataset: string;
  /** training seconds (the results' `seconds`) */
  seconds: number;
  commit: string;
  fingerprint: string;
  /** when the run started (config.json's environment) */
  started: string;
  machine: number;
  /** the run's data entries; absent when the run recorded no data.json */
  data?: number[];
}

/** provenance.json's `collection`: each finished run's record, and the machines and data they index. */
export interface CollectionRecord {
  machines: MachineRecord[];
  /** data entries, `runs` 0 (counted from the runs) */
  data: DataProvenanceEntry[];
  runs: Record<string, RunProvenance>;
}

/** A finished run as collected: its record, with its machine and data in full. */
interface CollectedRun {
  record: Omit<RunProvenance, "machine" | "data">;
  machine: MachineRecord;
  data?: DataProvenanceEntry[];
}

/** `counts` as a list, most first, ties by key: the form of provenance.json's commits and fingerprints. */
function countList<K extends string>(counts: Map<string, number>, key: K): ({ [k in K]: string } & { runs: number })[] {
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, runs]) => ({ [key]: k, runs }) as { [k in K]: string } & { runs: number });
}

/** How many of `items` have each key. */
function tally<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of items) m.set(key(t), (m.get(key(t)) ?? 0) + 1);
  return m;
}

/** The machine a run's config.json records. */
function machineOf(env: ConfigRecord["environment"]): MachineRecord {
  return {
    host: env.host,
    cpu: env.bits.cpu,
    cores: env.cores,
    node: env.node,
    backend: `${env.bits.backend}${env.bits.blas ? " + OpenBLAS" : ""}`,
    threadsPerRun: env.bits.threads,
  };
}

const machineLabel = (m: MachineRecord): string => `${m.cpu}, ${m.cores} cores (${m.host})`;

/** A run made from a work tree with uncommitted changes, for the refusal's message. */
interface DirtyRun {
  experiment: string;
  runId: string;
  commit: string;
  folder: string;
}

/**
 * One experiment's rows and finished runs from the store (undefined when `variant` is not one of its variants);
 * `dirty` collects its runs made from a work tree with uncommitted changes. `latest` is the machine of the run
 * that started last, finished or not (the page's machine when nothing finished carries one).
 */
function collectExperiment(
  dataDir: string,
  name: string,
  variant: VariantName,
  dirty: DirtyRun[],
): { rows: ResultRow[]; runs: Map<string, CollectedRun> } | undefined {
  const def = loadExperiment(name);
  if (!def.variants[variant]) return undefined;
  const rows = collectResults(def, variant, dataDir, undefined, (line) => console.log(line));
  const runs = new Map<string, CollectedRun>();
  for (const run of expandRuns(def, variant, { seeds: plannedSeeds(def, variant, dataDir) })) {
    const row = rows.find((r) => r.runId === run.runId);
    if (row?.status !== "done") continue;
    if (isDirtyCommit(row.commit))
      dirty.push({ experiment: name, runId: row.runId, commit: row.commit, folder: storedRunDir(dataDir, run) });
    // NOTE: collectResults verified the run's files
    const rec = readConfigRecord(storedRunDir(dataDir, run));
    const dataRec = readDataRecord(storedRunDir(dataDir, run));
    runs.set(runKey(name, run.runId), {
      record: {
        experiment: name,
        dataset: run.dataset,
        seconds: Number.isFinite(row.seconds) ? row.seconds : 0,
        commit: row.commit,
        fingerprint: rec ? codeFingerprint(rec) : "unknown",
        started: rec?.environment.started ?? "",
      },
      machine: rec ? machineOf(rec.environment) : UNKNOWN_MACHINE,
      ...(dataRec ? { data: dataEntries(run.dataset, dataRec) } : {}),
    });
  }
  return { rows, runs };
}

const UNKNOWN_MACHINE: MachineRecord = {
  host: "unknown",
  cpu: "unknown",
  cores: 0,
  node: "unknown",
  backend: "unknown",
  threadsPerRun: 0,
};

/** The telemetry run of `variant` (table2's dfxp run on PI-MNIST, first seed); undefined when it has none. */
function telemetryRun(variant: VariantName): PlannedRun | undefined {
  const def = loadExperiment(TELEMETRY.experiment);
  if (!def.variants[variant]) return undefined;
  return expandRuns(def, variant, { only: { dataset: TELEMETRY.dataset, setting: TELEMETRY.setting } })[0];
}

/** The scale rows of a stored run, all its files in order; undefined without scales or when a file is corrupt. */
function readScaleRows(dataDir: string, run: PlannedRun): ScaleRow[] | undefined {
  const scales = join(storedRunDir(dataDir, run), "scales");
  if (!existsSync(scales)) return undefined;
  const rows: ScaleRow[] = [];
  for (const f of readdirSync(scales).sort()) {
    if (f.startsWith(".")) continue;
    try {
      const text = Buffer.from(readRunFile(storedRunDir(dataDir, run), `scales/${f}`)).toString("utf8");
      rows.push(...scaleRowsFromCsv(text, join(scales, f)));
    } catch (e) {
      if (!(e instanceof CorruptFileError)) throw e;
      console.log(`${e.message}: telemetry not collected`);
      return undefined;
    }
  }
  return rows;
}

/** The most training epochs a collected telemetry file keeps every window of (a budget run's 50 or 100 do). */
export const TELEMETRY_EPOCHS = 100;

/**
 * A run's scale rows made small enough to commit: unchanged when training has at most `maxEpochs` epochs; else
 * the calibration rows whole and, of training, the last window of every `every`-th epoch (every = ⌈epochs /
 * maxEpochs⌉) and of the last epoch. An 800-epoch paper run's 120,000 rows (8.8 MiB) become about 3,000.
 * Idempotent: thinning thinned rows changes nothing.
 */
export function thinScaleRows(
  rows: readonly ScaleRow[],
  maxEpochs = TELEMETRY_EPOCHS,
): { rows: ScaleRow[]; every: number } {
  const training = rows.filter((r) => r.phase === "training");
  const last = training.reduce((m, r) => Math.max(m, r.epoch), 0);
  if (last <= maxEpochs) return { rows: [...rows], every: 1 };
  const every = Math.ceil(last / maxEpochs);
  // NOTE: an epoch's last window is the one with the most batches done; kept for every layer and group
  const lastBatch = new Map<number, number>();
  for (const r of training) lastBatch.set(r.epoch, Math.max(lastBatch.get(r.epoch) ?? 0, r.batch));
  const keep = (r: ScaleRow): boolean =>
    r.phase !== "training" || ((r.epoch % every === 0 || r.epoch === last) && r.batch === lastBatch.get(r.epoch));
  return { rows: rows.filter(keep), every };
}

/**
 * telemetry.csv and telemetry.json from thinned rows: `which` names the run, and when rows were dropped the json says
 * how (`thinned`).
 */
function setTelemetry(
  tables: Map<string, string>,
  thinned: { rows: ScaleRow[]; every: number },
  which: Record<string, unknown>,
): void {
  const kept = `calibration whole; training: the last window of every ${thinned.every}th epoch and of the last epoch`;
  const note = thinned.every === 1 ? {} : { thinned: kept };
  tables.set("telemetry.csv", scaleRowsToCsv(thinned.rows));
  tables.set("telemetry.json", `${JSON.stringify({ ...which, ...note }, null, 2)}\n`);
}

/** The scales of the telemetry run `run` as tables (nothing without scales, or when a scales file is corrupt). */
function collectTelemetry(dataDir: string, run: PlannedRun, variant: VariantName, tables: Map<string, string>): void {
  const read = readScaleRows(dataDir, run);
  if (read === undefined) return;
  setTelemetry(tables, thinScaleRows(read), { ...TELEMETRY, runId: run.runId, variant });
}

/**
 * The committed telemetry files of a collection, thinned as a collection from the store would be (a collection
 * made before thinning existed is made small; a thinned one is kept byte for byte).
 */
function keepTelemetry(committed: ReadonlyMap<string, string>, dir: string, tables: Map<string, string>): void {
  const csv = committed.get("telemetry.csv");
  const json = committed.get("telemetry.json");
  if (csv === undefined || json === undefined) return;
  const thinned = thinScaleRows(scaleRowsFromCsv(csv, join(dir, "telemetry.csv")));
  if (thinned.every === 1) {
    tables.set("telemetry.csv", csv);
    tables.set("telemetry.json", json);
  } else setTelemetry(tables, thinned, JSON.parse(json) as Record<string, unknown>);
}

/**
 * The scaling experiment's telemetry runs of `variant`: per policy (every setting but the baseline) and dataset,
 * the first seed at the narrowest swept width, where the policies part.
 */
function scalingTelemetryRuns(variant: VariantName): PlannedRun[] {
  const def = loadExperiment("scaling");
  if (!def.variants[variant]) return [];
  const runs = expandRuns(def, variant, { seeds: 1 }).filter((r) => r.setting !== def.baseline);
  const narrowest = new Map<string, number>();
  for (const r of runs) {
    const key = `${r.dataset}/${r.setting}`;
    narrowest.set(key, Math.min(narrowest.get(key) ?? Number.POSITIVE_INFINITY, r.point.propagationBits ?? 0));
  }
  return runs.filter((r) => r.point.propagationBits === narrowest.get(`${r.dataset}/${r.setting}`));
}

/**
 * The groups whose rates the scaling section tabulates. The gradient is ĝ_y (dEdy), where a per-group policy rounds
 * the back-propagated gradient (ĝ_z = Q(maxout⁻¹ ĝ_y) then adds nothing: its values are on the grid already); a
 * block-scaled run has no dEdy rounding, and its gradient is ĝ_z as its products round it (dEdz).
 */
const POLICY_GROUPS = [
  ["y", "y"],
  ["w", "w"],
  ["grad", "ĝ_y or ĝ_z"],
] as const;

/** The telemetry group of a tabulated one in a run's rows (see POLICY_GROUPS). */
function policyGroup(rows: readonly ScaleRow[], g: (typeof POLICY_GROUPS)[number][0]): string {
  if (g !== "grad") return g;
  return rows.some((r) => r.group === "dEdy") ? "dEdy" : "dEdz";
}

/** "1.2e-3", "0" or "—" (no window). */
const rateText = (v: number): string => (!Number.isFinite(v) ? "—" : v === 0 ? "0" : v.toExponential(1));

/** Mean of a rate over a run's training windows and layers for one group (NaN when it has none). */
function meanRate(rows: readonly ScaleRow[], group: string, field: "overflowRate" | "flushRate"): number {
  const vs = rows
    .filter((r) => r.phase === "training" && r.group === group)
    .map((r) => r[field] ?? Number.NaN)
    .filter(Number.isFinite);
  return vs.length === 0 ? Number.NaN : vs.reduce((a, b) => a + b, 0) / vs.length;
}

/** The points of a cost-vs-error figure: per network and setting of `rows`, its MAC energy and test error. */
function costErrorPoints(
  done: readonly ResultRow[],
  settings: readonly PrecisionSetting[],
  costName: Readonly<Record<string, string>>,
): { points: Omit<CostErrorPoint, "pareto">[]; energy: string[][]; costs: CostRow[] } {
  const networks = loadNetworks().networks.filter((n) => done.some((r) => r.dataset === n.id));
  const costs = compareSettings(
    networks.map((n) => ({ id: n.id, shape: n })),
    settings,
  );
  const points: Omit<CostErrorPoint, "pareto">[] = [];
  const energy: string[][] = [];
  for (const n of networks) {
    for (const [setting, name] of Object.entries(costName)) {
      const mine = done.filter((r) => r.dataset === n.id && r.setting === setting);
      const c = costs.find((x) => x.network === n.id && x.setting === name);
      if (!c || mine.length === 0) continue;
      const testError = summarize(mine.map((r) => r.testError));
      points.push({ dataset: n.id, setting, picojoulesPerMac: c.macPicojoules, testError });
      const paperEpochs = presetDefaults(n.id)?.epochs ?? Number.NaN;
      energy.push([
        datasetLabel(n.id),
        setting,
        c.macPicojoules.toPrecision(3),
        c.epochJoules.toPrecision(3),
        (c.epochJoules * paperEpochs).toPrecision(3),
        pct(testError.mean),
      ]);
    }
  }
  return { points, energy, costs };
}

/** The energy rows of costErrorPoints as a table; `errorTitle` heads the last column. */
function energyTable(energy: readonly string[][], errorTitle: string): string {
  return markdownTable(["Dataset", "Setting", "pJ / MAC", "J / epoch", "J / paper run", errorTitle], energy, [
    "l",
    "l",
    "r",
    "r",
    "r",
    "r",
  ]);
}

/** The points with the Pareto front of their means marked, per dataset. */
function withParetoFront(points: readonly Omit<CostErrorPoint, "pareto">[]): CostErrorPoint[] {
  const withFront: CostErrorPoint[] = [];
  for (const d of new Set(points.map((p) => p.dataset))) {
    const mine = points.filter((p) => p.dataset === d);
    const front = new Set(
      paretoFront(
        mine,
        (p) => p.picojoulesPerMac,
        (p) => p.testError.mean,
      ),
    );
    for (const p of mine) withFront.push({ ...p, pareto: front.has(p) });
  }
  return withFront;
}

/**
 * The formats experiment's settings as hwcost prices them: the paper's where they are the same, the floats and
 * FP8 with bfloat16 stored parameters (as the presets), the MX settings by their forward element (MXFP6: E2M3).
 */
const FORMATS_COST: readonly [string, PrecisionSetting][] = [
  ["fp32", PAPER_SETTINGS[1]!],
  ["half", PAPER_SETTINGS[2]!],
  ["dfxp", PAPER_SETTINGS[4]!],
  ["bfloat16", { name: "bfloat16", propagation: bfloat16, update: bfloat16, description: "bfloat16 16/16" }],
  ["fp8e4m3", { name: "fp8e4m3", propagation: fp8e4m3, update: bfloat16, description: "FP8 E4M3, bfloat16 W" }],
  ["fp8e5m2", { name: "fp8e5m2", propagation: fp8e5m2, update: bfloat16, description: "FP8 E5M2, bfloat16 W" }],
  ["fp8e4m3-current-amax", { name: "fp8e4m3", propagation: fp8e4m3, update: bfloat16, description: "FP8 E4M3" }],
  ["fp8e4m3-predictive", { name: "fp8e4m3", propagation: fp8e4m3, update: bfloat16, description: "FP8 E4M3" }],
  ["mxfp8", MX_SETTINGS.find((m) => m.name === "mxfp8e4m3")!],
  ["mxfp6", { name: "mxfp6e2m3", propagation: MX_PRESETS["mxfp6e2m3"]!, update: bfloat16, description: "MXFP6 E2M3" }],
  ["mxfp4", MX_SETTINGS.find((m) => m.name === "mxfp4e2m1")!],
  ["mxint8", MX_SETTINGS.find((m) => m.name === "mxint8")!],
];

/** A ratio's summary as "1.050 [1.025, 1.075], n=3", or "1.050, n=1" without an interval (3 decimals). */
const ratioWithN = (s: Summary): string => `${intervalText(s, 3)}, n=${s.n}`;

/** What the scaling policies lose at the narrowest width of one dataset (policyLosses). */
export interface PolicyLosses {
  readonly dataset: string;
  /** the narrowest width with finished runs */
  readonly bits: number;
  /** the table: ratio to float32 and each tabulated group's mean overflow and flush rates, per policy */
  readonly markdown: string;
  /** the policy with the highest mean ratio there that has telemetry: its rates figure's run */
  readonly worst?: { policy: string; ratio: number; seed: number; telemetry: ScaleRow[] };
  /** the worst policy's rates beside the paper's rule's, computed from the table's numbers */
  readonly facts: string[];
}

/**
 * Per dataset of the scaling experiment's rows, at its narrowest width: each policy's ratio to float32 (mean and
 * 95 % interval over seeds) and the mean overflow and flush rates over training of its first seed's telemetry
 * (`telemetryOf(dataset, setting)`), and the policy with the highest mean ratio.
 */
export function policyLosses(
  rows: readonly ResultRow[],
  telemetryOf: (dataset: string, setting: string) => ScaleRow[] | undefined,
): PolicyLosses[] {
  const done = rows.filter((r) => r.status === "done" && r.setting !== "fp32");
  const out: PolicyLosses[] = [];
  for (const dataset of [...new Set(done.map((r) => r.dataset))]) {
    const mine = done.filter((r) => r.dataset === dataset);
    const bits = Math.min(...mine.map((r) => r.propagationBits));
    const at = mine.filter((r) => r.propagationBits === bits);
    const policies = SCALING_POLICIES.filter((p) => at.some((r) => r.setting === p));
    const lines: string[][] = [];
    const ratio = new Map<string, number>();
    const telemetry = new Map<string, ScaleRow[]>();
    for (const p of policies) {
      const usable = at
        .filter((r) => r.setting === p)
        .map((r) => r.normalizedError)
        .filter(Number.isFinite);
      const sum = usable.length > 0 ? summarize(usable) : undefined;
      if (sum) ratio.set(p, sum.mean);
      const t = telemetryOf(dataset, p);
      if (t) telemetry.set(p, t);
      lines.push([
        p,
        sum === undefined ? "—" : ratioWithN(sum),
        ...POLICY_GROUPS.map(([g]) => (t ? rateText(meanRate(t, policyGroup(t, g), "overflowRate")) : "—")),
        ...POLICY_GROUPS.map(([g]) => (t ? rateText(meanRate(t, policyGroup(t, g), "flushRate")) : "—")),
        t ? rateText(meanRate(t, "dEdw", "flushRate")) : "—",
      ]);
    }
    const markdown = markdownTable(
      [
        "Policy",
        `Ratio at ${bits} bits`,
        ...POLICY_GROUPS.map(([, l]) => `overflow ${l}`),
        ...POLICY_GROUPS.map(([, l]) => `flushed ${l}`),
        "flushed ĝ_W",
      ],
      lines,
      ["l", "r", "r", "r", "r", "r", "r", "r", "r"],
    );
    const ranked = [...ratio.entries()].sort((a, b) => b[1] - a[1]);
    const worst = ranked.find(([p]) => telemetry.has(p));
    const facts: string[] = [];
    // NOTE: the worst policy's rates beside the paper's rule's; beside the best trained policy's (the storage control
    // aside) when the rule is the worst, lacks telemetry or did not train (a run at chance explains nothing)
    const rule = "overflow-rate";
    const atChance = (p: string) => at.some((r) => r.setting === p && isAtChance(r));
    const best = [...ranked].reverse().find(([p]) => RANKED_POLICIES.includes(p) && telemetry.has(p) && !atChance(p));
    const ruleServes = telemetry.has(rule) && ratio.has(rule) && !atChance(rule);
    const referenceOf = (p: string) =>
      p !== rule && ruleServes
        ? { policy: rule, label: "the paper's overflow-rate rule" }
        : best !== undefined && best[0] !== p
          ? { policy: best[0], label: `${best[0]}, the lowest mean there` }
          : undefined;
    // the worst policy; when it did not train, every policy with a run at chance, worst first
    const losers =
      worst === undefined ? [] : atChance(worst[0]) ? ranked.filter(([p]) => atChance(p) && telemetry.has(p)) : [worst];
    for (const [loser, loserRatio] of losers) {
      const reference = referenceOf(loser);
      if (reference === undefined) continue;
      const [w, r] = [telemetry.get(loser)!, telemetry.get(reference.policy)!];
      const percent = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(0)} %` : "—");
      const pair = (g: string, field: "overflowRate" | "flushRate") => [
        meanRate(w, g === "grad" ? policyGroup(w, "grad") : g, field),
        meanRate(r, g === "grad" ? policyGroup(r, "grad") : g, field),
      ];
      const both = (g: string, field: "overflowRate" | "flushRate", show: (v: number) => string) =>
        pair(g, field).map(show).join(" vs ");
      // which of the stated rates are above the reference's (both measured): what the telemetry can blame
      const stated = [
        ["the gradient's flush", pair("grad", "flushRate")],
        ["ĝ_W's flush", pair("dEdw", "flushRate")],
        ["y's flush", pair("y", "flushRate")],
        ["y's overflow", pair("y", "overflowRate")],
        ["the gradient's overflow", pair("grad", "overflowRate")],
      ] as const;
      const comparable = stated.filter(([, [a, b]]) => Number.isFinite(a) && Number.isFinite(b));
      const above = comparable.filter(([, [a, b]]) => a! > b!).map(([name]) => name);
      const verdict =
        comparable.length === 0
          ? ""
          : above.length === 0
            ? ` None of these rates is above ${reference.policy}'s: they do not account for the loss.`
            : ` Above ${reference.policy}'s: ${above.join(", ")}.`;
      facts.push(
        `At ${bits} bits on ${datasetLabel(dataset)}, ${loser} (ratio ${loserRatio.toFixed(3)}` +
          `${atChance(loser) ? ", a run at chance" : ""}) against ` +
          `${reference.label} (${ratio.get(reference.policy)!.toFixed(3)}): flushed to zero, the gradient ` +
          `${both("grad", "flushRate", percent)}, ĝ_W ${both("dEdw", "flushRate", percent)}, y ` +
          `${both("y", "flushRate", percent)}` +
          `; overflow of y ${both("y", "overflowRate", rateText)}, of the gradient ` +
          `${both("grad", "overflowRate", rateText)} (means over training, first seed).${verdict}`,
      );
    }
    out.push({
      dataset,
      bits,
      markdown,
      facts,
      ...(worst === undefined
        ? {}
        : {
            worst: {
              policy: worst[0],
              ratio: worst[1],
              seed: Math.min(...at.filter((r) => r.setting === worst[0]).map((r) => r.seed)),
              telemetry: telemetry.get(worst[0])!,
            },
          }),
    });
  }
  return out;
}

/** Which scaling policy wins at each width of one dataset (policyWinners). */
export interface PolicyWinners {
  readonly dataset: string;
  /** a row per width: the policy of lowest mean ratio, those level with it, those worse, those without an interval */
  readonly markdown: string;
  /** per policy, the widths where it has the lowest mean, is level with it and is worse, from the table */
  readonly facts: string[];
}

/** The policies policyWinners ranks: all but the storage control, which differs from block-scaled in storage only. */
const RANKED_POLICIES = SCALING_POLICIES.filter((p) => p !== "block-scaled-f32");

/**
 * Per dataset of the scaling experiment's rows and per swept width: the policy with the lowest mean ratio to
 * float32 among those with an interval (n ≥ 2), the policies whose 95 % interval overlaps its interval (level: the
 * seeds cannot part them), those whose interval lies wholly above it (worse), and those with fewer than two finished
 * runs (no interval: not ranked). A policy with a run at chance (AT_CHANCE_ERROR) is not ranked at that width: the
 * runs at chance are counted. Failed runs (no finite ratio) count as missing. The storage control block-scaled-f32
 * is not ranked (storageControlFacts compares it with block-scaled).
 */
export function policyWinners(rows: readonly ResultRow[]): PolicyWinners[] {
  const done = rows.filter((r) => r.status === "done" && r.setting !== "fp32" && Number.isFinite(r.normalizedError));
  const out: PolicyWinners[] = [];
  const text = (p: string, x: Summary) => `${p} ${intervalText(x, 3)}`;
  for (const dataset of [...new Set(done.map((r) => r.dataset))]) {
    const mine = done.filter((r) => r.dataset === dataset);
    const widths = [...new Set(mine.map((r) => r.propagationBits))].sort((a, b) => a - b);
    const lines: string[][] = [];
    const where = new Map<string, { best: number[]; level: number[]; worse: number[]; chance: string[] }>();
    const at = (p: string) => {
      if (!where.has(p)) where.set(p, { best: [], level: [], worse: [], chance: [] });
      return where.get(p)!;
    };
    for (const bits of widths) {
      const cells = RANKED_POLICIES.flatMap((p) => {
        const mineAt = mine.filter((r) => r.setting === p && r.propagationBits === bits);
        if (mineAt.length === 0) return [];
        const chance = mineAt.filter(isAtChance).length;
        return [{ p, s: summarize(mineAt.map((r) => r.normalizedError)), chance }];
      });
      const failed = cells.filter((x) => x.chance > 0);
      for (const x of failed) at(x.p).chance.push(`${x.chance} of ${x.s.n} at ${bits} bits`);
      const trained = cells.filter((x) => x.chance === 0);
      const ranked = trained.filter((x) => x.s.n >= 2).sort((a, b) => a.s.mean - b.s.mean);
      const few = trained.filter((x) => x.s.n < 2).map((x) => `${x.p} (n=${x.s.n})`);
      const chanceText = failed.map((x) => `${x.p} (${x.chance} of ${x.s.n})`).join(", ") || "—";
      const best = ranked[0];
      if (best === undefined) {
        lines.push([String(bits), "—", "—", "—", chanceText, few.join(", ") || "—"]);
        continue;
      }
      const level = ranked.slice(1).filter((x) => overlaps(x.s, best.s));
      const worse = ranked.slice(1).filter((x) => !overlaps(x.s, best.s));
      at(best.p).best.push(bits);
      for (const x of level) at(x.p).level.push(bits);
      for (const x of worse) at(x.p).worse.push(bits);
      lines.push([
        String(bits),
        `${best.p} ${ratioWithN(best.s)}`,
        level.map((x) => text(x.p, x.s)).join("; ") || "—",
        worse.map((x) => text(x.p, x.s)).join("; ") || "—",
        chanceText,
        few.join(", ") || "—",
      ]);
    }
    const markdown = markdownTable(
      [
        "Bits",
        "Lowest mean ratio",
        "Level with it (intervals overlap)",
        "Worse (interval wholly above)",
        "Runs at chance (of n)",
        "No interval",
      ],
      lines,
      ["r", "l", "l", "l", "l", "l"],
    );
    const list = (xs: readonly number[]) => xs.join(", ");
    const facts = RANKED_POLICIES.filter((p) => where.has(p)).map((p) => {
      const w = where.get(p)!;
      const parts = [
        ...(w.best.length > 0 ? [`the lowest mean at ${list(w.best)} bits`] : []),
        ...(w.level.length > 0 ? [`level with the lowest at ${list(w.level)}`] : []),
        ...(w.worse.length > 0 ? [`worse than the lowest at ${list(w.worse)}`] : []),
        ...(w.chance.length > 0 ? [`runs at chance: ${w.chance.join(", ")}`] : []),
      ];
      return `${datasetLabel(dataset)}, ${p}: ${parts.join("; ")}.`;
    });
    out.push({ dataset, markdown, facts });
  }
  return out;
}

/** The explanation above each policyWinners table. */
export const POLICY_WINNERS_INTRO =
  "Per width, the policy with the lowest mean ratio to float32 (mean [95 % interval] over seeds), the policies " +
  "whose interval overlaps its interval (the seeds cannot part them) and those whose interval lies wholly above " +
  `it. A policy with a run at chance (test error ≥ ${AT_CHANCE_ERROR} %, near the 90 % of guessing among 10 ` +
  "classes: the run did not train) is not ranked at that width: its runs at chance are counted instead. Policies " +
  "with fewer than two finished runs have no interval and are not ranked. The storage control block-scaled-f32 " +
  "is not ranked: it differs from block-scaled in its stored parameters only (compared below).";

/**
 * Per dataset, the scaling experiment's control for block scaling: `block-scaled` (parameters stored in bfloat16)
 * beside `block-scaled-f32` (the same, stored in float32) at each width both ran, as ratios to float32 (mean [95 %
 * interval], n seeds), and at which widths the two intervals do not overlap (n ≥ 2 on both sides).
 */
export function storageControlFacts(rows: readonly ResultRow[]): string[] {
  const [bf16, f32] = ["block-scaled", "block-scaled-f32"];
  const done = rows.filter((r) => r.status === "done" && Number.isFinite(r.normalizedError));
  const facts: string[] = [];
  for (const dataset of [...new Set(done.map((r) => r.dataset))]) {
    const ratios = (setting: string, bits: number) =>
      done
        .filter((r) => r.dataset === dataset && r.setting === setting && r.propagationBits === bits)
        .map((r) => r.normalizedError);
    const widths = [...new Set(done.filter((r) => r.dataset === dataset).map((r) => r.propagationBits))]
      .filter((b) => ratios(bf16, b).length > 0 && ratios(f32, b).length > 0)
      .sort((a, b) => a - b);
    if (widths.length === 0) continue;
    const [compared, apart]: [number[], number[]] = [[], []];
    const parts = widths.map((b) => {
      const [a, c] = [summarize(ratios(bf16, b)), summarize(ratios(f32, b))];
      if (a.n >= 2 && c.n >= 2) compared.push(b);
      if (a.n >= 2 && c.n >= 2 && !overlaps(a, c)) apart.push(b);
      return `${b} bits ${ratioWithN(a)} vs ${ratioWithN(c)}`;
    });
    facts.push(
      `${datasetLabel(dataset)}, block-scaled with the parameters stored in bfloat16 vs in float32 ` +
        `(${f32}), ratio to float32: ${parts.join("; ")}. ` +
        (compared.length === 0
          ? "No width has two runs or more on both sides: no intervals to compare."
          : apart.length === 0
            ? `The two intervals overlap at every width compared (${compared.join(", ")} bits).`
            : `The two intervals do not overlap at ${apart.join(", ")} bits (of ${compared.join(", ")}).`),
    );
  }
  return facts;
}

/** The explanation above each policyLosses table. */
export function policyLossesIntro(bits: number): string {
  return (
    `Ratio to float32 at ${bits} bits (mean [95 % interval], n seeds), and the mean over the training windows ` +
    "and layers of the first seed's telemetry: the overflow rate (values beyond the range, saturated) and the " +
    "flush rate (nonzero values rounded to 0) of the activations y, the weights w, the back-propagated " +
    "gradient (ĝ_y, where a per-group policy rounds it; block-scaled: ĝ_z) and the weight gradient ĝ_W. " +
    "Block-scaled rounds only the products' operands (METHOD.md §8.6): its rates are those of the forward " +
    "operands and of ĝ_z in the weight gradient, and it does not round ĝ_W (—)."
  );
}

/** The rates figure's title for the worst policy of a policyLosses entry. */
export function policyRatesTitle(l: PolicyLosses): string {
  const w = l.worst!;
  return `${w.policy} at ${l.bits} bits, ${datasetLabel(l.dataset)}, seed ${w.seed}: what its groups lose`;
}

/** The groups the rates figure of a policy's telemetry draws. */
export function policyRatesGroups(telemetry: readonly ScaleRow[]): string[] {
  return ["y", "w", policyGroup(telemetry, "grad"), "dEdw"];
}

/**
 * The scaling experiment beyond its table: the normalised error against the width, a line per policy; then, per
 * dataset at the narrowest width, what each policy's groups lost over training (policyLosses) and the rates figure
 * of the policy with the highest mean ratio there.
 */
async function scalingSection(
  rows: readonly ResultRow[],
  texts: ReadonlyMap<string, string>,
  dir: string,
  variant: VariantName,
  md: string[],
  figure: (name: string, spec: VegaLiteSpec, what: string) => Promise<void>,
): Promise<void> {
  if (!rows.some((r) => r.status === "done" && r.setting !== "fp32")) return;
  await figure(`scaling-${variant}`, policiesSpec(rows), "scaling policies");
  md.push(...figureFacts("scaling", rows).map((f) => `- ${f}`), "");
  for (const w of policyWinners(rows))
    md.push(
      `#### Which policy wins at each width (${datasetLabel(w.dataset)})`,
      "",
      POLICY_WINNERS_INTRO,
      "",
      w.markdown,
      "",
      ...w.facts.map((f) => `- ${f}`),
      "",
    );
  const control = storageControlFacts(rows);
  if (control.length > 0) md.push(...control.map((f) => `- ${f}`), "");
  const telemetryOf = (dataset: string, setting: string): ScaleRow[] | undefined => {
    const file = scalingTelemetryFile({ dataset, setting });
    const text = texts.get(file);
    return text === undefined ? undefined : scaleRowsFromCsv(text, join(dir, file));
  };
  for (const l of policyLosses(rows, telemetryOf)) {
    md.push(
      `#### What each policy loses at ${l.bits} bits (${datasetLabel(l.dataset)})`,
      "",
      policyLossesIntro(l.bits),
      "",
      l.markdown,
      "",
      ...l.facts.map((f) => `- ${f}`),
      ...(l.facts.length > 0 ? [""] : []),
    );
    if (l.worst === undefined) continue;
    md.push(
      `The policy with the highest mean ratio to float32 at ${l.bits} bits on ${datasetLabel(l.dataset)} is ` +
        `${l.worst.policy} (${l.worst.ratio.toFixed(3)}); its groups' rates over training (seed ${l.worst.seed}):`,
      "",
    );
    await figure(
      `scaling-rates-${l.dataset}-${variant}`,
      scaleRatesSpec(l.worst.telemetry, policyRatesTitle(l), policyRatesGroups(l.worst.telemetry)),
      `${l.worst.policy} rates`,
    );
  }
}

/**
 * The transformer experiment's telemetry runs, the ViT's first seed: dynamic fixed point at the paper's 10 bits and
 * at 6 (below the Maxout network's knee), and fixed point 20/20 (one radix point for every group).
 */
export const TRANSFORMER_TELEMETRY: readonly { readonly setting: string; readonly bits: number }[] = [
  { setting: "dfxp", bits: 10 },
  { setting: "dfxp", bits: 6 },
  { setting: "fixed", bits: 20 },
];

function transformerTelemetryRuns(variant: VariantName): PlannedRun[] {
  if (!experimentNames().includes("transformer")) return [];
  const def = loadExperiment("transformer");
  if (!def.variants[variant]) return [];
  return expandRuns(def, variant, { seeds: 1, only: { dataset: "vit-mnist" } }).filter((r) =>
    TRANSFORMER_TELEMETRY.some((t) => t.setting === r.setting && t.bits === r.config.precision.propagationBits),
  );
}

/** The file of a transformer telemetry run in a collection: one row per layer and group (summarizeGroups). */
export function transformerTelemetryFile(run: { dataset: string; setting: string; propagationBits: number }): string {
  return `telemetry-transformer-${run.dataset}-${run.setting}-${run.propagationBits}.csv`;
}

/**
 * The transformer section after its results table: the networks side by side, the dynamic fixed point widths
 * figure and its facts, and per telemetry file the attention and linear groups' scales across layers.
 */
async function transformerSection(
  rows: readonly ResultRow[],
  texts: ReadonlyMap<string, string>,
  dir: string,
  variant: VariantName,
  md: string[],
  figure: (name: string, spec: VegaLiteSpec, what: string) => Promise<void>,
): Promise<void> {
  const side = networksSideBySide(rows, ["vit-mnist", "pi-mnist"]);
  if (side.markdown !== "")
    md.push(
      "Each setting's normalised error on the two networks, trained on the same MNIST subset (mean ± sd [95 % " +
        "interval], n seeds; each run ÷ the float32 run of its own network and seed):",
      "",
      side.markdown,
      ...side.facts.map((f) => `- ${f}`),
      ...(side.facts.length > 0 ? [""] : []),
    );
  if (rows.some((r) => r.status === "done" && r.format === "dynamic-fixed")) {
    await figure(`transformer-${variant}`, transformerSpec(rows), "transformer widths");
    md.push(...figureFacts("transformer", rows).map((f) => `- ${f}`), "");
  }
  for (const { setting, bits } of TRANSFORMER_TELEMETRY) {
    const file = transformerTelemetryFile({ dataset: "vit-mnist", setting, propagationBits: bits });
    const text = texts.get(file);
    if (text === undefined) continue;
    const summary = groupSummariesFromCsv(text, join(dir, file));
    const which = setting === "dfxp" ? `dynamic fixed point ${bits}/12` : `${setting} ${bits} bits`;
    md.push(
      `#### The ViT's groups at ${which} (seed 1234)`,
      "",
      `Every group's integer bits after the last training window, over the layers that have it; its mean overflow ` +
        "rate and its mean rate of nonzero values rounded to zero over the training windows; and the training " +
        "examples seen (calibration included) when a window of it first overflowed more than the rule's 1e-4 " +
        `(${file}):`,
      "",
      groupTelemetryTable(summary),
      "",
      ...attentionFacts(summary).map((f) => `- ${f}`),
      "",
    );
  }
}

const rateCell = (v: number): string => (!Number.isFinite(v) ? "—" : v === 0 ? "0" : v.toExponential(1));

function groupTelemetryTable(summary: readonly GroupSummary[]): string {
  const body = groupsAcrossLayers(summary).map((g) => [
    g.group,
    String(g.layers),
    g.lastBits,
    rateCell(g.meanOverflowRate),
    rateCell(g.meanFlushRate),
    Number.isFinite(g.firstOverflowExamples) ? g.firstOverflowExamples.toLocaleString("en-US") : "never",
  ]);
  return markdownTable(
    ["Group", "Layers", "Integer bits (last window)", "Mean overflow rate", "Mean flush rate", "First overflow > 1e-4"],
    body,
    ["l", "r", "l", "r", "r", "r"],
  );
}

/** "a, b, c" or "a, b, c and 4 more". */
const namesText = (names: readonly string[], most = 3): string =>
  names.length <= most ? names.join(", ") : `${names.slice(0, most).join(", ")} and ${names.length - most} more`;

/**
 * What a ViT telemetry summary says, computed from it: the group that needs the most integer bits (or that every
 * group keeps one radix point), the groups with the highest mean flush and overflow rates, and whether the attention
 * scores or the probabilities overflowed above the rule's rate first (or neither).
 */
export function attentionFacts(summary: readonly GroupSummary[]): string[] {
  const across = groupsAcrossLayers(summary);
  const facts: string[] = [];
  const top = across[0];
  const bits = new Set(summary.map((s) => s.lastBits).filter(Number.isFinite));
  if (bits.size === 1) facts.push(`Every group keeps ${[...bits][0]} integer bits: one radix point for all.`);
  else if (top && Number.isFinite(top.maxLastBits)) {
    const where = summary.filter((s) => s.group === top.group && s.lastBits === top.maxLastBits).map((s) => s.name);
    facts.push(`The most integer bits at the end: ${top.group}, ${top.maxLastBits} (${namesText(where)}).`);
  }
  const highest = (field: "meanFlushRate" | "meanOverflowRate") =>
    across
      .filter((g) => Number.isFinite(g[field]) && g[field] > 0)
      .sort((a, b) => b[field] - a[field] || a.group.localeCompare(b.group))
      .slice(0, 3)
      .map((g) => `${g.group} ${rateCell(g[field])}`);
  const flush = highest("meanFlushRate"),
    overflow = highest("meanOverflowRate");
  if (flush.length > 0) facts.push(`The highest mean rates of nonzero values rounded to zero: ${flush.join(", ")}.`);
  if (overflow.length > 0) facts.push(`The highest mean overflow rates: ${overflow.join(", ")}.`);
  const first = (g: string) => across.find((a) => a.group === g)?.firstOverflowExamples ?? Number.NaN;
  const [scores, probs] = [first("scores"), first("probs")];
  const at = (v: number) => `${v.toLocaleString("en-US")} examples`;
  const when = (v: number) => (Number.isFinite(v) ? `at ${at(v)}` : "never");
  if (!Number.isFinite(scores) && !Number.isFinite(probs))
    facts.push("Neither the scores nor the probabilities ever overflowed more than the rule's rate in a window.");
  else if (Number.isFinite(scores) && (!Number.isFinite(probs) || scores < probs))
    facts.push(`The scores overflowed first (at ${at(scores)}; the probabilities ${when(probs)}).`);
  else if (Number.isFinite(probs) && (!Number.isFinite(scores) || probs < scores))
    facts.push(`The probabilities overflowed first (at ${at(probs)}; the scores ${when(scores)}).`);
  else facts.push(`The scores and the probabilities first overflowed in the same window (${at(scores)}).`);
  return facts;
}

/** The file of a scaling telemetry run in a collection. */
export function scalingTelemetryFile(run: { dataset: string; setting: string }): string {
  return `telemetry-scaling-${run.dataset}-${run.setting}.csv`;
}

/**
 * A run's key in a collection: its experiment and run id (two experiments may plan the same configuration, so
 * the same run id: float32 is the baseline of several).
 */
const runKey = (experiment: string, runId: string): string => `${experiment}/${runId}`;

/** provenance.json of a collection of `runs` (by experiment/run id), whose files are `tables`. */
function provenanceOf(
  variant: VariantName,
  runs: ReadonlyMap<string, CollectedRun>,
  tables: ReadonlyMap<string, string>,
): Provenance {
  const all = [...runs.values()];
  const byRuns = countList(
    tally(all, (r) => r.record.commit),
    "commit",
  );
  // NOTE: the latest run's machine heads the page; when the runs come from several, each is listed with its runs
  const latest = all.reduce<CollectedRun | undefined>(
    (a, b) => (!a || b.record.started > a.record.started ? b : a),
    undefined,
  );
  const machines = countList(
    tally(all, (r) => machineLabel(r.machine)),
    "machine",
  );
  const m = latest?.machine;
  // NOTE: each distinct data entry once, counting the runs that trained on it
  const data = new Map<string, DataProvenanceEntry>();
  for (const r of all)
    for (const e of r.data ?? []) {
      const key = JSON.stringify({ ...e, runs: 0 });
      const seen = data.get(key) ?? { ...e, runs: 0 };
      seen.runs++;
      data.set(key, seen);
    }
  const dataList = [...data.values()].sort((a, b) =>
    `${a.dataset} ${SPLIT_ORDER[a.split]}`.localeCompare(`${b.dataset} ${SPLIT_ORDER[b.split]}`),
  );
  const dataNotRecorded = all.filter((r) => r.data === undefined).length;
  // NOTE: the collection's own record: machines and data listed once, each run pointing into them
  const machineList = [...new Map(all.map((r) => [JSON.stringify(r.machine), r.machine])).values()];
  const dataKeys = dataList.map((e) => JSON.stringify({ ...e, runs: 0 }));
  const ids = [...runs.keys()].sort();
  const record: CollectionRecord = {
    machines: machineList,
    data: dataList.map((e) => ({ ...e, runs: 0 })),
    runs: Object.fromEntries(
      ids.map((id) => {
        const r = runs.get(id)!;
        const machine = machineList.findIndex((x) => JSON.stringify(x) === JSON.stringify(r.machine));
        const dataIdx = r.data?.map((e) => dataKeys.indexOf(JSON.stringify({ ...e, runs: 0 })));
        return [id, { ...r.record, machine, ...(dataIdx ? { data: dataIdx } : {}) }];
      }),
    ),
  };
  const experiments = experimentNames().filter((n) => all.some((r) => r.record.experiment === n));
  const provenance: Provenance = {
    variant,
    collected: latest?.record.started ?? "",
    // NOTE: runs made at several commits are listed with their counts, most runs first
    gitCommit:
      byRuns.length > 1
        ? byRuns
            .map((c) => `${c.commit.slice(0, 12)}${isDirtyCommit(c.commit) ? "+dirty" : ""} (${c.runs} runs)`)
            .join(", ")
        : (byRuns[0]?.commit ?? "unknown"),
    commits: byRuns,
    dirtyRuns: all.filter((r) => isDirtyCommit(r.record.commit)).length,
    codeFingerprints: countList(
      tally(all, (r) => r.record.fingerprint),
      "fingerprint",
    ),
    host: m?.host ?? "unknown",
    cpu: m?.cpu ?? "unknown",
    cores: m?.cores ?? 0,
    node: m?.node ?? "unknown",
    backend: m?.backend ?? "unknown",
    threadsPerRun: m?.threadsPerRun ?? 0,
    ...(machines.length > 1 ? { machines } : {}),
    runs: all.length,
    computeHours: Math.round((all.reduce((s, r) => s + r.record.seconds, 0) / 3600) * 100) / 100,
    commands: experiments.map((n) => `lowprec sweep ${n} --variant ${variant}`),
    // NOTE: only when some run recorded its data, so a report of runs without data.json is unchanged
    ...(dataList.length > 0 ? { data: dataList, ...(dataNotRecorded > 0 ? { dataNotRecorded } : {}) } : {}),
    collection: record,
  };
  provenance.files = [...tables.keys()].sort().map((name) => {
    const bytes = Buffer.from(tables.get(name) as string, "utf8");
    return { name, bytes: bytes.length, sha256: sha256Hex(bytes) };
  });
  return provenance;
}

/**
 * The run ids `experiment` plans in `variant`, with as many seeds as the rows of `rows` reach (at least the
 * variant's own); empty when the experiment no longer has the variant or is gone.
 */
function plannedRunIds(experiment: string, variant: VariantName, rows: readonly ResultRow[]): Set<string> {
  if (!experimentNames().includes(experiment)) return new Set();
  const def = loadExperiment(experiment);
  const v = def.variants[variant];
  if (!v) return new Set();
  const offsets = rows.map((r) => r.seed - (presetDefaults(r.dataset)?.seed ?? r.seed));
  const seeds = Math.max(v.seeds ?? 1, ...offsets.map((o) => o + 1));
  return new Set(expandRuns(def, variant, { seeds }).map((r) => r.runId));
}

/** The finished runs a committed collection records, in full, and its rows by experiment. */
interface Committed {
  runs: Map<string, CollectedRun>;
  texts: Map<string, string>;
  rows: (experiment: string) => ResultRow[];
}

/**
 * Refreshes `<out>/results/<variant>/` from the store's results of `variant`; returns the files written.
 * Run by run: the collection is every run the store has finished, and every finished run of the committed
 * collection that the store does not hold (rows and provenance from provenance.json's `collection`), so results
 * computed in several sessions, on machines whose stores did not survive, or on several machines, add up and a
 * finished run is never dropped; a run that is interrupted in both keeps the row with more epochs. With `force`
 * the collection is the store's runs only, and a line names what it drops (counts by experiment). Refused, in one
 * line: a store with no finished or interrupted run of `variant` (the wrong data root, or another variant's runs:
 * the message names the variants it holds and the command for each), `force` or not; `force` with interrupted runs
 * only over a collection of finished ones; and, for a collection made before runs were recorded one by one, a store
 * with fewer finished runs than it lists (naming what would be dropped), unless `force`. A refusal writes nothing.
 * The folder is replaced whole (see the module comment).
 */
export function collectReport(dataDir: string, variant: VariantName, out: string, opts: CollectOptions = {}): string[] {
  const dir = join(out, "results", variant);
  // NOTE: the tables are made in memory first and written only once the collection is known to be wanted.
  const tables = new Map<string, string>();
  const fresh = new Map<string, { rows: ResultRow[]; runs: Map<string, CollectedRun> }>();
  const dirty: DirtyRun[] = [];
  for (const name of experimentNames()) {
    const e = collectExperiment(dataDir, name, variant, dirty);
    if (e) fresh.set(name, e);
  }
  if (opts.refuseDirty && !opts.allowDirty && dirty.length > 0) {
    const d = dirty[0]!;
    const more = dirty.length > 1 ? ` (and ${dirty.length - 1} more such run${dirty.length > 2 ? "s" : ""})` : "";
    throw new Error(
      `${d.folder}: run ${d.runId} of ${d.experiment} was trained from a work tree with uncommitted changes (commit ` +
        `${d.commit.slice(0, 12)}+dirty)${more}; --allow-dirty collects it anyway and the report says so`,
    );
  }
  recoverDirSwap(dir);
  const store = join(dataDir, "results");
  const storeRuns = new Map([...fresh.values()].flatMap((e) => [...e.runs]));
  const before = committedRuns(dir);
  const partial = [...fresh.values()].some((e) => e.rows.some(isPartial));
  // NOTE: nothing of this variant in the store (the wrong data root, or another variant's runs): never written,
  // --force or not, so a committed collection is never replaced by "runs 0, machine unknown"
  // (--recollect excepted: it remakes the committed collection from its own verified runs)
  if (storeRuns.size === 0 && !partial && !(opts.recollect && before > 0))
    throw new Error(nothingToCollect(dataDir, variant, dir, before, opts.hintArgs));
  if (opts.force && storeRuns.size === 0 && before > 0)
    throw new Error(
      `${store}: no finished run of the ${variant} variant (interrupted ones only); --force would replace the ` +
        `${before} finished runs of ${join(dir, "provenance.json")} with none: refused, the collection is left ` +
        "as it is",
    );
  const committed = opts.force ? undefined : committedCollection(dir);
  // NOTE: a collection made before runs were recorded one by one is compared as a whole and replaced whole
  if (!opts.force && committed === undefined && storeRuns.size < before) {
    const drop = droppedRuns(dir, storeRuns);
    throw new Error(
      `${store}: ${storeRuns.size} finished run${storeRuns.size === 1 ? "" : "s"} of the ${variant} variant, fewer ` +
        `than the ${before} the report's provenance.json lists (${dir}); collecting would drop ` +
        `${drop === undefined || drop.size === 0 ? "the others" : describeDrop(drop)} (--force replaces it anyway)`,
    );
  }
  if (opts.force) {
    const drop = droppedRuns(dir, storeRuns);
    if (drop !== undefined && drop.size > 0)
      console.log(`--force: ${describeDrop(drop)} of ${dir} dropped (the store lacks them)`);
  }
  const runs = new Map(storeRuns);
  const kept = new Map<string, number>();
  // NOTE: a committed run that its experiment no longer plans (the definition changed: other lengths, settings or
  // widths) is dropped, and named, rather than shown beside runs of other conditions
  const planned = new Map<string, Set<string>>();
  const dropped = new Map<string, number>();
  for (const [id, r] of committed?.runs ?? []) {
    if (runs.has(id)) continue;
    const name = r.record.experiment;
    if (!planned.has(name)) planned.set(name, plannedRunIds(name, variant, committed!.rows(name)));
    if (!planned.get(name)!.has(id.slice(name.length + 1))) {
      dropped.set(name, (dropped.get(name) ?? 0) + 1);
      continue;
    }
    runs.set(id, r);
    kept.set(name, (kept.get(name) ?? 0) + 1);
  }
  for (const [name, n] of dropped)
    console.log(`${name}: ${n} collected run${n === 1 ? "" : "s"} dropped: its definition no longer plans them`);
  for (const name of experimentNames()) {
    const mine = fresh.get(name)?.rows ?? [];
    const theirs = committed?.rows(name) ?? [];
    if (![...runs.values()].some((r) => r.record.experiment === name) && !mine.some(isPartial)) continue;
    const keys = new Set([...runs.keys()].filter((k) => k.startsWith(`${name}/`)).map((k) => k.slice(name.length + 1)));
    tables.set(`${name}.csv`, resultsToCsv(mergeRows(loadExperiment(name).baseline, mine, theirs, keys)));
    if (kept.has(name)) console.log(`${name}: ${kept.get(name)} finished runs kept from ${dir} (the store lacks them)`);
  }
  // NOTE: the telemetry run's scales from the store when it finished there, else the committed files
  const run = telemetryRun(variant);
  const telemetry = run ? runKey(TELEMETRY.experiment, run.runId) : undefined;
  if (run && telemetry !== undefined && storeRuns.has(telemetry)) collectTelemetry(dataDir, run, variant, tables);
  else if (telemetry !== undefined && committed?.runs.has(telemetry)) keepTelemetry(committed.texts, dir, tables);
  // NOTE: the scaling policies' telemetry at their narrowest width, each from the store or kept as committed
  for (const r of scalingTelemetryRuns(variant)) {
    const file = scalingTelemetryFile(r);
    const rows = storeRuns.has(runKey("scaling", r.runId)) ? readScaleRows(dataDir, r) : undefined;
    if (rows !== undefined) tables.set(file, scaleRowsToCsv(rows));
    else if (committed?.texts.has(file)) tables.set(file, committed.texts.get(file) as string);
  }
  // NOTE: the ViT's groups at two widths, summarised per layer and group (the raw windows of 38 layers are megabytes)
  for (const r of transformerTelemetryRuns(variant)) {
    const file = transformerTelemetryFile({ ...r, propagationBits: r.config.precision.propagationBits });
    const rows = storeRuns.has(runKey("transformer", r.runId)) ? readScaleRows(dataDir, r) : undefined;
    if (rows !== undefined && isVitConfig(r.config))
      tables.set(file, groupSummariesToCsv(summarizeGroups(rows, vitLayerNames(r.config.network.blocks))));
    else if (committed?.texts.has(file)) tables.set(file, committed.texts.get(file) as string);
  }
  const provenance = provenanceOf(variant, runs, tables);
  replaceDirAtomic(dir, (next) => {
    for (const [name, text] of tables) writeFileAtomic(join(next, name), text);
    writeFileAtomic(join(next, "provenance.json"), `${JSON.stringify(provenance, null, 2)}\n`);
  });
  return [...tables.keys(), "provenance.json"].map((name) => join(dir, name));
}

/**
 * The one-line refusal of a store with no finished (or interrupted) run of `variant`: what the store holds instead
 * and the command for it, and that the collection in `dir` is left as it is.
 */
function nothingToCollect(dataDir: string, variant: VariantName, dir: string, before: number, tail = ""): string {
  const held = storeVariants(dataDir);
  const kept = before > 0 ? `; nothing collected, ${join(dir, "provenance.json")} (${before} runs) left as it is` : "";
  if (held.length === 0)
    return (
      `${join(dataDir, "results")}: no finished run of any variant (is it the data root of your runs? ` +
      `--data-dir, $LOWPREC_DATA)${kept}`
    );
  const commands = held.map(
    (h) =>
      `${collectCommand(h.variant, tail)}${isLocalVariant(h.variant) ? ` (writes ${localReportDir(dataDir)}/)` : ""}`,
  );
  return (
    `${join(dataDir, "results")}: no finished run of the ${variant} variant; it holds ` +
    `${held.map((h) => `${h.variant} (${h.runs} finished run${h.runs === 1 ? "" : "s"})`).join(", ")}${kept}. ` +
    `For ${held.length === 1 ? "those runs" : "each"}: ${commands.join("; ")}`
  );
}

/**
 * The finished runs of the collection in `dir` (its tables' done rows) that `runs` lacks, by experiment; undefined
 * when the collection cannot be read (none, or damaged).
 */
function droppedRuns(dir: string, runs: ReadonlyMap<string, CollectedRun>): Map<string, number> | undefined {
  if (!existsSync(join(dir, "provenance.json"))) return undefined;
  let texts: Map<string, string>;
  try {
    texts = verifiedCollection(dir).texts;
  } catch {
    return undefined;
  }
  const drop = new Map<string, number>();
  for (const name of experimentNames()) {
    const text = texts.get(`${name}.csv`);
    if (text === undefined) continue;
    for (const r of resultsFromCsv(text, join(dir, `${name}.csv`)))
      if (r.status === "done" && !runs.has(runKey(name, r.runId))) drop.set(name, (drop.get(name) ?? 0) + 1);
  }
  return drop;
}

/** "70 finished runs (table2 30, prop-bits 40)". */
function describeDrop(drop: ReadonlyMap<string, number>): string {
  const n = [...drop.values()].reduce((a, b) => a + b, 0);
  return `${n} finished run${n === 1 ? "" : "s"} (${[...drop].map(([e, k]) => `${e} ${k}`).join(", ")})`;
}

/**
 * One experiment's rows: the store's (`mine`, one per planned run, in the definition's order), where the store
 * has not finished a run that `theirs` (the committed rows) has finished (a run of `runs`) its committed row; and
 * where both have it interrupted, the row with more epochs. Committed rows of runs the store does not plan (other
 * seeds) follow, when finished. Baseline-normalised values are recomputed on the merged rows.
 */
function mergeRows(
  baseline: string | undefined,
  mine: readonly ResultRow[],
  theirs: readonly ResultRow[],
  runs: ReadonlySet<string>,
): ResultRow[] {
  const committed = new Map(theirs.map((r) => [r.runId, r]));
  const pick = (r: ResultRow): ResultRow => {
    const c = committed.get(r.runId);
    if (r.status === "done" || c === undefined) return r;
    if (c.status === "done" && runs.has(c.runId)) return c;
    if (isPartial(c) && (!isPartial(r) || c.epochsDone > r.epochsDone)) return c;
    return r;
  };
  const planned = new Set(mine.map((r) => r.runId));
  const rows = [...mine.map(pick), ...theirs.filter((r) => !planned.has(r.runId) && runs.has(r.runId))];
  return baseline === undefined ? rows : renormalize(rows, baseline);
}

/**
 * The rows' normalised errors against the baseline (float32) row of the same dataset, seed, epochs, training
 * subset and test images, as collectResults computes them, for rows that came from two collections.
 */
function renormalize(rows: readonly ResultRow[], baseline: string): ResultRow[] {
  const key = (r: ResultRow) => [r.dataset, r.seed, r.epochs, r.trainLimit, r.testExamples].join("|");
  // NOTE: from the errors as the CSV holds them, so a row reads the same whichever collection it came from
  const written = (v: number): number => (Number.isFinite(v) ? Number(csvNumber(v)) : v);
  const base = new Map<string, number>();
  for (const r of rows) if (r.setting === baseline && r.status === "done") base.set(key(r), written(r.testError));
  return rows.map((r) => {
    const b = base.get(key(r)) ?? Number.NaN;
    const normalizedError = r.status === "done" ? written(r.testError) / b : Number.NaN;
    return { ...r, baselineTestError: b, normalizedError };
  });
}

/**
 * The finished runs, verified files and rows of the collection in `dir`; undefined when there is none or it was
 * made before runs were recorded one by one. A collection that does not verify is named (never merged).
 */
function committedCollection(dir: string): Committed | undefined {
  if (!existsSync(join(dir, "provenance.json"))) return undefined;
  let c: { provenance: Provenance; texts: Map<string, string> };
  try {
    c = verifiedCollection(dir);
  } catch (e) {
    const why = (e as Error).message.replace(/: collect again$/, "");
    throw new Error(`${why} (--force replaces the collection with the store's runs)`);
  }
  const rec = c.provenance.collection;
  if (rec === undefined) return undefined;
  const runs = new Map<string, CollectedRun>();
  for (const [id, r] of Object.entries(rec.runs)) {
    const { machine, data, ...record } = r;
    runs.set(id, {
      record,
      machine: rec.machines[machine] ?? UNKNOWN_MACHINE,
      ...(data ? { data: data.map((i) => rec.data[i]!) } : {}),
    });
  }
  return {
    runs,
    texts: c.texts,
    rows: (experiment) => {
      const text = c.texts.get(`${experiment}.csv`);
      return text === undefined ? [] : resultsFromCsv(text, join(dir, `${experiment}.csv`));
    },
  };
}

/**
 * The files of a collection, checked against its provenance.json (length and SHA-256 of each): a file that
 * differs, is missing, or is not listed fails in one line naming it, so a page is never built from a mix of two
 * collections (or a table edited by hand). Returns provenance.json and the files' texts by name.
 */
function verifiedCollection(dir: string): { provenance: Provenance; texts: Map<string, string> } {
  const path = join(dir, "provenance.json");
  const provenance = readJsonFile(path) as Provenance;
  if (!Array.isArray(provenance.files))
    throw new Error(`${path}: records no table lengths and hashes (collected by an older lowprec): collect again`);
  const listed = new Map(provenance.files.map((f) => [f.name, f]));
  for (const name of readdirSync(dir).sort())
    if (name !== "provenance.json" && !name.startsWith(".") && !listed.has(name))
      throw new Error(`${join(dir, name)}: not listed in provenance.json (not of this collection)`);
  const texts = new Map<string, string>();
  for (const f of provenance.files) {
    const p = join(dir, f.name);
    if (!existsSync(p)) throw new Error(`${p}: listed in provenance.json but missing`);
    const bytes = readFileSync(p);
    const sha = sha256Hex(bytes);
    if (bytes.length !== f.bytes || sha !== f.sha256)
      throw new Error(
        `${p}: does not match provenance.json (${bytes.length} B, SHA-256 ${sha.slice(0, 12)}; recorded ` +
          `${f.bytes} B, ${String(f.sha256).slice(0, 12)}): collect again`,
      );
    texts.set(f.name, bytes.toString("utf8"));
  }
  return { provenance, texts };
}

/**
 * The rows of one experiment's table in a collected results folder (`<out>/results/<variant>/<name>.csv`), each file
 * checked against the collection's provenance.json (size, SHA-256) first; [] when the variant or table is absent.
 */
export function readCollectedRows(out: string, variant: VariantName, name: string): ResultRow[] {
  const dir = join(out, "results", variant);
  recoverDirSwap(dir);
  if (!existsSync(dir)) return [];
  const text = verifiedCollection(dir).texts.get(`${name}.csv`);
  return text !== undefined ? resultsFromCsv(text, join(dir, `${name}.csv`)) : [];
}

/** A fingerprint as the page shows it: long hex shortened to 12 digits, as the commits. */
const shortFingerprint = (f: string): string => (/^[0-9a-f]{13,}$/.test(f) ? f.slice(0, 12) : f);

function fingerprintsMarkdown(provenance: Provenance): string {
  const fs = provenance.codeFingerprints ?? [];
  if (fs.length === 0) return "unknown";
  if (fs.length === 1) return shortFingerprint(fs[0]!.fingerprint);
  return fs.map((f) => `${shortFingerprint(f.fingerprint)} (${f.runs} runs)`).join(", ");
}

const SPLIT_ORDER = { train: 0, valid: 1, test: 2 } as const;

/** The data the runs trained on, for the provenance section (nothing when no run recorded it). */
function dataProvenanceMarkdown(provenance: Provenance): string[] {
  if (!provenance.data || provenance.data.length === 0) return [];
  const rows = provenance.data.map((d) => [
    datasetLabel(d.dataset),
    d.split,
    d.files.map((f) => `${f.name} (${f.sha256.slice(0, 12)}, ${f.bytes} B)`).join("<br>"),
    d.cut,
    d.preprocessing.join("; "),
    String(d.runs),
  ]);
  const missing = provenance.dataNotRecorded
    ? [`${provenance.dataNotRecorded} run(s) made before run folders recorded their data are not listed.`, ""]
    : [];
  return [
    "Data the runs trained on (each run folder's data.json; SHA-256 shortened to 12 hex digits):",
    "",
    markdownTable(["Dataset", "Split", "Files (SHA-256, size)", "Cut", "Preprocessing", "Runs"], rows),
    "",
    ...missing,
  ];
}

/**
 * The commits of the runs as provenance.json records them: `commits` (collections since the column existed), else
 * parsed back from `gitCommit` ("<12 digits>[+dirty] (<n> runs), ..." for several commits, else one commit for
 * every run).
 */
function commitsOf(provenance: Provenance): { commit: string; runs: number }[] {
  if (Array.isArray(provenance.commits)) return provenance.commits;
  const parts = provenance.gitCommit.split(", ").map((p) => /^(\S+) \((\d+) runs?\)$/.exec(p));
  if (parts.length > 1 && parts.every((m) => m !== null))
    return parts.map((m) => ({ commit: m![1]!, runs: Number(m![2]) }));
  return [{ commit: provenance.gitCommit, runs: provenance.runs }];
}

/** The provenance section's sentence on the runs' commits: one clean commit, or how many commits and dirty runs. */
function commitsMarkdown(provenance: Provenance): string[] {
  const entries = commitsOf(provenance).filter((e) => e.runs > 0);
  if (provenance.runs === 0 || entries.length === 0) return [];
  const dirty = provenance.dirtyRuns ?? entries.filter((e) => isDirtyCommit(e.commit)).reduce((s, e) => s + e.runs, 0);
  const unknown = entries.filter((e) => e.commit === "unknown").reduce((s, e) => s + e.runs, 0);
  const named = new Set(entries.filter((e) => e.commit !== "unknown").map((e) => e.commit.replace(/\+dirty$/, "")));
  const one = entries.length === 1 ? entries[0]! : undefined;
  if (one && dirty === 0 && unknown === 0)
    return [
      `All ${provenance.runs} runs were trained from one commit, ${one.commit}, with no uncommitted changes.`,
      "",
    ];
  const said: string[] = [];
  if (named.size > 1) said.push(`The runs were trained from ${named.size} commits (counts above).`);
  if (dirty > 0)
    said.push(
      `${dirty} of ${provenance.runs} runs were trained from a work tree with uncommitted changes (+dirty): no ` +
        "commit holds their exact code.",
    );
  if (unknown > 0) said.push(`${unknown} of ${provenance.runs} runs recorded no commit.`);
  return said.length > 0 ? [said.join(" "), ""] : [];
}

/**
 * The datasets whose Table 2 runs are shorter than the paper's, or on a training subset: "PI MNIST 100 of 800
 * epochs, MNIST 10 of 800 epochs on 5000 training examples"; "" when none is.
 */
function shorterThanThePaper(rows: readonly ResultRow[]): string {
  const done = rows.filter((r) => r.status === "done");
  const parts: string[] = [];
  for (const d of [...new Set(done.map((r) => r.dataset))]) {
    const full = presetDefaults(d)?.epochs;
    if (full === undefined) continue;
    const short = done.filter((r) => r.dataset === d && (r.epochs < full || r.trainLimit > 0));
    const kinds = [...new Set(short.map((r) => `${r.epochs} of ${full} epochs${subset(r)}`))];
    if (kinds.length > 0) parts.push(`${datasetLabel(d)} ${kinds.join(" and ")}`);
  }
  return parts.join(", ");
}

const subset = (r: ResultRow): string => (r.trainLimit > 0 ? ` on ${r.trainLimit} training examples` : "");

/** The method document, as linked from the report folder (reports/ sits at the repository's root). */
const METHOD_LINK = ["..", "METHOD.md"].join("/");

const pct = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : "—");

/** The variant that runs the points around the paper's knees longer: a section of the budget page. */
const LONG = "long";

/** The variant at the paper's lengths, whose Table 2 rows join the budget page's Table 2. */
const PAPER = "paper";

/** The variant on image folders (CIFAR-10 from a JPEG copy), whose Table 2 rows join the budget page's too. */
const IMAGES = "images";

/**
 * What the page says of the paper-length Table 2 runs, per dataset with a run finished or stopped part way: how
 * many finished, how many stopped (and where), how many are still to run, and (while one is) the command that
 * continues them.
 */
function paperLengthSentence(rows: readonly ResultRow[]): string {
  const datasets = [...new Set(rows.filter((r) => r.status === "done" || isPartial(r)).map((r) => r.dataset))];
  const parts = datasets.map((d) => {
    const mine = rows.filter((r) => r.dataset === d);
    const done = mine.filter((r) => r.status === "done").length;
    const partial = mine.filter(isPartial);
    const left = mine.length - done - partial.length;
    const where = partial.map((r) => `${r.setting} at epoch ${r.epochsDone} of ${r.epochs}`).join(", ");
    return (
      `${datasetLabel(d)}: ${done} of ${mine.length} runs finished` +
      `${partial.length > 0 ? `, ${partial.length} stopped part way (${where})` : ""}` +
      `${left > 0 ? `, ${left} not started` : ""}`
    );
  });
  const unfinished = rows.some((r) => datasets.includes(r.dataset) && r.status !== "done");
  return (
    `Paper-length runs (the \`paper\` variant, read from \`results/paper/\`): ${parts.join("; ")}.` +
    (unfinished
      ? " `lowprec sweep table2 --variant paper --only dataset=<dataset>` continues them (a sweep resumes an " +
        "interrupted run from its checkpoint)."
      : "")
  );
}

/** Options of buildReport. */
export interface BuildOptions {
  /**
   * the command that collects `variant` into `out`, for the message when nothing is collected there (default:
   * collectCommand(variant), right for the command line's default folder of the variant)
   */
  readonly collect?: string;
}

/**
 * Builds `<out>/README.md` and `<out>/figures/` from `<out>/results/<variant>/` (and, for the budget page,
 * `<out>/results/long/` when collected); returns the files written.
 */
export async function buildReport(out: string, variant: VariantName, opts: BuildOptions = {}): Promise<string[]> {
  if (variant === LONG || variant === IMAGES)
    throw new Error(
      `the ${variant} variant is a section of the budget report, not a page: lowprec report --variant budget reads ` +
        `${join(out, "results", variant)}`,
    );
  const dir = join(out, "results", variant);
  // NOTE: a collection killed between its two renames is finished (or undone) first
  recoverDirSwap(dir);
  if (!existsSync(dir))
    throw new Error(`${dir}: no results of the ${variant} variant (${opts.collect ?? collectCommand(variant)})`);
  const { provenance, texts } = verifiedCollection(dir);
  // NOTE: the long variant's rows (the knees at a longer length), when collected, join the budget page
  const longDir = join(out, "results", LONG);
  if (variant === "budget") recoverDirSwap(longDir);
  const longTexts = variant === "budget" && existsSync(longDir) ? verifiedCollection(longDir).texts : undefined;
  const readLong = (name: string): ResultRow[] => {
    const text = longTexts?.get(`${name}.csv`);
    return text !== undefined ? resultsFromCsv(text, join(longDir, `${name}.csv`)) : [];
  };
  // NOTE: the Table 2 runs of the variants that join the budget page's Table 2 (the paper's lengths; the image
  // folders), when collected
  const joined = (name: VariantName): ResultRow[] => {
    const d = join(out, "results", name);
    if (variant !== "budget") return [];
    recoverDirSwap(d);
    const text = existsSync(d) ? verifiedCollection(d).texts.get("table2.csv") : undefined;
    return text !== undefined ? resultsFromCsv(text, join(d, "table2.csv")) : [];
  };
  const paperLength = joined(PAPER);
  const fromImages = joined(IMAGES);
  const written: string[] = [];
  const put = (path: string, data: string | Uint8Array) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, data);
    written.push(path);
  };
  const read = (name: string): ResultRow[] => {
    const text = texts.get(`${name}.csv`);
    return text !== undefined ? resultsFromCsv(text, join(dir, `${name}.csv`)) : [];
  };
  const md: string[] = [];
  const figure = async (name: string, spec: Parameters<typeof toSvg>[0], caption: string) => {
    const svg = await toSvg(spec);
    put(join(out, "figures", `${name}.svg`), svg);
    put(join(out, "figures", `${name}.png`), toPng(svg));
    md.push(`![${caption}](figures/${name}.png)`, "");
  };

  md.push(
    "# Reproduction report",
    "",
    `Courbariaux, David & Bengio, *Training deep neural networks with low precision multiplications* (arXiv`,
    `1412.7024), reproduced by this repository's \`${variant}\` variant of each experiment. Every number below is`,
    `read from \`results/${variant}/*.csv\`; \`lowprec report --variant ${variant}\` rebuilds this page and its`,
    `figures from them, and \`lowprec report --collect --variant ${variant}\` first refreshes them from the`,
    `result store. The method, and where this code differs from the authors', is in [METHOD.md](${METHOD_LINK}).`,
    "",
  );

  // ** findings **
  // NOTE: a dataset the images variant ran (CIFAR-10 from its JPEG copy) is judged on those runs, whose evidence
  // names the data; the budget's own rows of that dataset (no official files here) are left out
  const imaged = new Set(fromImages.filter((r) => r.status === "done").map((r) => r.dataset));
  const withImages = (rows: ResultRow[]) =>
    imaged.size === 0
      ? rows
      : [...rows.filter((r) => !imaged.has(r.dataset)), ...fromImages.filter((r) => imaged.has(r.dataset))];
  const tables = new Map(
    experimentNames()
      .filter((n) => loadExperiment(n).variants[variant] !== undefined)
      .map((n) => [n, n === "table2" ? withImages(read(n)) : read(n)] as const),
  );
  const long = new Map((["prop-bits", "update-bits"] as const).map((n) => [n, readLong(n)] as const));
  const findings = evaluateFindings({
    tables,
    ...(longTexts !== undefined ? { long } : {}),
    paper: paperTable2(),
    variant,
  });
  const minN = loadFindingRules().minN;
  md.push(
    "## Findings",
    "",
    "Each claim of the paper, and a few of later work, with a verdict decided by a rule written in " +
      "`libs/experiments/data/findings.json` from the rows of `results/` (means and 95 % Student-t intervals over " +
      "seeds; a normalised error is the run's test error ÷ the float32 error of the same seed, length and subset). " +
      `A verdict needs at least ${minN} seeds (with 2, a 95 % interval is ±12.7 standard errors wide and hides ` +
      'any loss); with fewer, the finding is "not tested" and says which command would test it.',
    "",
    findingsMarkdown(findings),
  );

  // ** Table 2 **
  const t2 = read("table2");
  const t2def = loadExperiment("table2");
  // NOTE: the paper-length runs that finished or stopped part way; the budget page's figures and findings stay
  // on its own rows
  const t2all = [...[...paperLength, ...fromImages].filter((r) => r.status === "done" || isPartial(r)), ...t2];
  md.push("## Table 2: test error (%)", "");
  // NOTE: the conditions are read from the rows, not from the definition, which may have changed since they ran
  const t2conditions = conditionsLine(t2all);
  if (t2conditions !== "") md.push(t2conditions, "");
  if (paperLength.some((r) => r.status === "done" || isPartial(r))) md.push(paperLengthSentence(paperLength), "");
  md.push(table2Markdown(t2all, paperTable2()), "");
  md.push("### Table 2 as ratios to float32", "");
  md.push(table2RatiosMarkdown(t2all, paperTable2(), t2def.baseline ?? "fp32"), "");
  if (t2.some((r) => r.status === "done" && r.setting !== (t2def.baseline ?? "fp32")))
    await figure(`table2-ratio-${variant}`, table2RatioSpec(t2, paperTable2()), "Table 2 as ratios to float32");
  const shorter = shorterThanThePaper(t2);
  if (shorter !== "")
    md.push(
      "The paper trained every network for its full length on the whole training set (METHOD.md §4.2: 800, 800, " +
        `400 and 200 epochs); runs here are shorter (${shorter}), so compare each format with float32 of the ` +
        "same column (the ratios) as much as with the paper's number.",
      "",
    );

  // ** the four figures **
  md.push("## The paper's four figures", "");
  md.push(
    "Test error divided by the float32 error of the same dataset, length, subset and seed (1 = no degradation), " +
      "as the paper plots it: each point is the mean over seeds with its 95 % interval; the grey dashed line is " +
      "float32 = 1 and the dotted lines in a series' colour mark the paper's values (its knees, its radix point, " +
      "its overflow rate). Below each figure, what it shows, computed from its rows.",
    "",
  );
  for (const kind of FIGURE_KINDS) {
    const rows = read(kind);
    const def = loadExperiment(kind);
    md.push(`### ${def.title}`, "", def.description, "");
    const conditions = conditionsLine(rows);
    if (conditions !== "") md.push(conditions, "");
    if (!rows.some((r) => r.status === "done")) {
      md.push("Not run in this variant.", "");
      continue;
    }
    await figure(`${kind}-${variant}`, figureSpec(kind, rows), def.title);
    md.push(...figureFacts(kind, rows).map((f) => `- ${f}`), "");
  }

  // ** the knees at a longer length **
  const longRows = [...long.values()].flat();
  if (longRows.some((r) => r.status === "done")) {
    md.push("## The knees at a longer length", "");
    md.push(
      "The points around the paper's knees, trained again on the whole PI-MNIST training set (the long variant of " +
        "the two width sweeps). The knee findings above give the knee at both lengths and whether it moves toward " +
        "the paper's.",
      "",
    );
    for (const name of ["prop-bits", "update-bits"] as const) {
      const rows = long.get(name) ?? [];
      if (!rows.some((r) => r.status === "done")) continue;
      const def = loadExperiment(name);
      md.push(`### ${def.title} (long)`, "", conditionsLine(rows), "");
      await figure(`${name}-${LONG}`, figureSpec(name, rows), `${def.title} (long)`);
      md.push(...figureFacts(name, rows).map((f) => `- ${f}`), "");
      md.push(resultsTableMarkdown(rows), "");
    }
  }

  // ** telemetry **
  const telemetry = texts.get("telemetry.csv");
  const telemetryRun = texts.get("telemetry.json");
  if (telemetry !== undefined && telemetryRun !== undefined) {
    const which = JSON.parse(telemetryRun) as { dataset: string; setting: string; runId: string };
    const rows = scaleRowsFromCsv(telemetry, join(dir, "telemetry.csv"));
    md.push("## Dynamic fixed point: each group's scale over training", "");
    md.push(
      `Run ${which.runId} (Table 2, ${datasetLabel(which.dataset)}, ${which.setting} 10/12, one seed): ` +
        "the integer bits of each of the ten groups per layer, moved by the overflow-rate rule, and the measured " +
        "overflow rates (calibration epochs included). What the telemetry shows, computed from it:",
      "",
      ...telemetryFacts(rows).map((f) => `- ${f}`),
      "",
    );
    await figure(`telemetry-${variant}`, telemetrySpec(rows), "scale telemetry");
  }

  // ** cost vs error **
  const done = t2.filter((r) => r.status === "done");
  if (done.length > 0) {
    const { points, energy, costs } = costErrorPoints(done, PAPER_SETTINGS, COST_SETTING);
    const withFront = withParetoFront(points);
    md.push("## Cost vs error (beyond the paper)", "");
    md.push(
      "Energy of one multiply-accumulate (45 nm ASIC model of @lowprec/hwcost; the paper reports FPGA cost only, " +
        "Table 1) against our measured Table 2 test error (mean and 95 % interval over seeds) for each setting; " +
        "the Pareto front of the means (nothing both cheaper and more accurate) is joined by a line. A setting " +
        "on the front whose interval overlaps a neighbour's is not shown to be better by these runs.",
      "",
    );
    await figure(`cost-error-${variant}`, costErrorSpec(withFront), "cost vs error");
    md.push(
      "Energy of training at the paper's length (MACs and memory traffic, parameters and activations priced at a " +
        `1 MB SRAM, the model's default level; ${costs[0]?.memoryLevel ?? "sram-1MB"}):`,
      "",
    );
    md.push(energyTable(energy, "our test error (%)"), "");
  }

  // ** beyond the paper **
  const beyond = experimentNames().filter(
    (n) => n !== "table2" && !(FIGURE_KINDS as readonly string[]).includes(n) && read(n).length > 0,
  );
  if (beyond.length > 0)
    md.push(
      "## Beyond the paper",
      "",
      "Test error (%) and normalised error (÷ the float32 run of the same experiment, dataset, seed, epochs, " +
        "training subset and test images, summarised over those per-seed ratios): mean ± sample standard " +
        "deviation [95 % Student-t interval of the mean], n runs. Each table's float32 row is that experiment's " +
        "own float32 run, under the conditions given below the table; where they differ from Table 2's, so does " +
        "its error.",
      "",
    );
  for (const n of beyond) {
    const def = loadExperiment(n);
    md.push(`### ${def.title}`, "", def.description, "");
    const table = resultsTableMarkdown(read(n));
    md.push(table === "" ? "No finished run in this variant." : table, "");
    if (n === "scaling" && table !== "") await scalingSection(read(n), texts, dir, variant, md, figure);
    if (n === "transformer" && table !== "") await transformerSection(read(n), texts, dir, variant, md, figure);
    if (n === "formats" && table !== "") {
      const rows = read(n).filter((r) => r.status === "done");
      const costName = Object.fromEntries(FORMATS_COST.map(([setting, c]) => [setting, c.name]));
      // NOTE: each cost setting once (the FP8 rows of several policies share one)
      const settings = [...new Map(FORMATS_COST.map(([, c]) => [c.name, c])).values()];
      const { points, energy } = costErrorPoints(rows, settings, costName);
      if (points.length > 0) {
        md.push(
          "Cost vs error of these settings, under this table's conditions: the energy of one multiply-accumulate " +
            "(45 nm ASIC model of @lowprec/hwcost, binary32 accumulation for the MX settings; the scaling policy " +
            "of an FP8 row does not change its MAC) against the test error above (mean and 95 % interval over " +
            "seeds); the Pareto front of the means is joined by a line.",
          "",
        );
        await figure(
          `cost-error-formats-${variant}`,
          costErrorSpec(withParetoFront(points), { width: 760, height: 420, fromZero: false }),
          "formats cost vs error",
        );
        md.push(energyTable(energy, "test error (%)"), "");
      }
    }
  }

  // ** total cost of ownership **
  if (variant === "budget") {
    const { result, sensitivity, bars } = tcoAnswer(TCO_QUESTION, "dfxp-10-12", (e) => read(e));
    md.push(
      "## What a precision choice saves: total cost of ownership (beyond the paper)",
      "",
      "The cost model of @lowprec/hwcost turned into money for one stated workload (`lowprec tco --network " +
        `${TCO_QUESTION.network} --runs-per-month ${TCO_QUESTION.runsPerMonth}\`): MAC units per device from each ` +
        "MAC's area, the device-hours a run needs, the hardware amortised over its lifetime and the energy at a " +
        "price and a PUE, with each setting's measured error beside its cost. Every default, its source and its " +
        'range: `libs/hwcost/README.md`, "Total cost of ownership".',
      "",
      ...tcoMarkdown(result, sensitivity),
    );
    await figure(
      "tco-tornado",
      tornadoSpec(bars, sensitivity.baseSaving, {
        title: `What decides ${sensitivity.setting}'s saving against float32`,
        subtitle: [
          `${TCO_QUESTION.network}, ${result.workload.epochs} epochs, ${TCO_QUESTION.runsPerMonth} runs a month, ` +
            `${result.target.id}, ${result.capacity} capacity`,
          "each bar: one assumption from its low to its high value, the others at their defaults",
          `dashed: the saving at the defaults (${usd(sensitivity.baseSaving)} a year)`,
        ],
        axisTitle: "saving against float32 ($ per year)",
      }),
      "TCO tornado",
    );
  }

  // ** provenance **
  md.push("## Provenance", "");
  md.push(
    markdownTable(
      ["", ""],
      [
        ["variant", provenance.variant],
        ["results collected", provenance.collected],
        ["commit of the runs", provenance.gitCommit],
        ["code fingerprint of the runs", fingerprintsMarkdown(provenance)],
        [
          "machine",
          provenance.machines
            ? provenance.machines.map((m) => `${m.machine}: ${m.runs} runs`).join("; ")
            : `${provenance.cpu}, ${provenance.cores} cores (${provenance.host})`,
        ],
        ["backend", `${provenance.backend}, ${provenance.threadsPerRun} thread(s) per run`],
        ["Node", provenance.node],
        ["runs", `${provenance.runs} (${provenance.computeHours} compute hours)`],
      ],
    ),
    "",
    ...commitsMarkdown(provenance),
    `Commands that produced the tables: ${provenance.commands.map((c) => `\`${c}\``).join(", ")}.`,
    "",
    ...dataProvenanceMarkdown(provenance),
  );
  put(join(out, "README.md"), md.join("\n"));
  return written;
}
