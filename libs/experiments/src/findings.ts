/**
 * The findings of the report: each claim of the paper (and a few from later work) with a verdict, reproduced,
 * partly, not reproduced or not tested, computed from the result rows by a written rule. The rules are data
 * (`data/findings.json`: each with its wording and the paper's value it tests, and where that value comes from);
 * the evidence of a finding is built from the rows only (means, n and 95 % intervals from @lowprec/report's
 * `summarize`), with the conditions of the runs it rests on.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  datasetLabel,
  DATASETS as PAPER_COLUMNS,
  formatSummary,
  inInterval,
  markdownTable,
  overlaps,
  summarize,
  type PaperTable2,
  type ResultRow,
  type Summary,
} from "@lowprec/report";
import {
  DATASETS,
  loadExperiment,
  SWEEPABLE,
  TRAIN_EXAMPLES,
  type DatasetName,
  type Sweepable,
} from "./definitions.js";

export type Verdict = "reproduced" | "partly" | "not reproduced" | "not tested";
/** The verdicts, from the strongest to none. */
export const VERDICTS: readonly Verdict[] = Object.freeze(["reproduced", "partly", "not reproduced", "not tested"]);

/** One claim, one verdict. */
export interface Finding {
  /** `<rule id>/<dataset>[/<setting>]`, unique within a report */
  readonly id: string;
  /** the claim, in words, with the paper's numbers it names */
  readonly claim: string;
  /** where the claim comes from */
  readonly source: string;
  /** the numbers that decided the verdict (read from the rows) and the conditions of those runs */
  readonly evidence: string;
  readonly verdict: Verdict;
  /** the rule that decided it, in words */
  readonly rule: string;
  /** a claim of later work, tested with the same machinery, not a claim of the paper */
  readonly beyondPaper: boolean;
}

interface RuleBase {
  readonly id: string;
  readonly beyondPaper: boolean;
  /** the experiment whose rows the rule reads (a file of `experiments/`) */
  readonly experiment: string;
  /** the claim's wording; `{name}` placeholders are filled per finding */
  readonly claim: string;
  readonly source: string;
  /** the rule's wording, with placeholders as `claim` */
  readonly rule: string;
}

/** Each setting / baseline ratio of Table 2 against the paper's, per column. */
export interface Table2RatioRule extends RuleBase {
  readonly kind: "table2-ratio";
  readonly baseline: string;
  readonly settings: readonly string[];
}

/** The order of the settings' test errors in each column of Table 2. */
export interface Table2OrderRule extends RuleBase {
  readonly kind: "table2-order";
  readonly settings: readonly string[];
}

/** A setting's ratio to the baseline at most a bound: `tolerance`, or the paper's ratio when larger. */
export interface NearBaselineRule extends RuleBase {
  readonly kind: "near-baseline";
  readonly settings: readonly string[];
  readonly tolerance: number;
  /** bound = max(tolerance, the paper's Table 2 ratio of the column) */
  readonly paperRatio: boolean;
}

/** The best value of a swept field (lowest mean normalised error) and the paper's. */
export interface OptimumRule extends RuleBase {
  readonly kind: "optimum";
  readonly setting: string;
  readonly field: Sweepable;
  readonly paper: number;
  /** partly when the best is within this distance of `paper` */
  readonly near: number;
}

/** The knee of a width sweep and the paper's. */
export interface KneeRule extends RuleBase {
  readonly kind: "knee";
  readonly setting: string;
  readonly field: Sweepable;
  readonly paper: number;
  readonly reproducedSteps: number;
  readonly partlySteps: number;
}

/** Per value of `by`: no loss up to `threshold` of `field`, a loss above it. */
export interface FlatRule extends RuleBase {
  readonly kind: "flat-up-to";
  readonly setting: string;
  readonly field: Sweepable;
  readonly by: Sweepable;
  readonly threshold: number;
}

/** Setting a against setting b at each value of `field`: a better, or a as good. */
export interface CompareRule extends RuleBase {
  readonly kind: "compare";
  readonly pairs: readonly { readonly a: string; readonly b: string }[];
  readonly field: Sweepable;
  readonly relation: "better" | "as-good";
}

export type FindingRule =
  | Table2RatioRule
  | Table2OrderRule
  | NearBaselineRule
  | OptimumRule
  | KneeRule
  | FlatRule
  | CompareRule;

export interface FindingRules {
  /** the file the rules were read from */
  readonly source: string;
  /** the fewest done runs a verdict that uses an interval needs (at least 2) */
  readonly minN: number;
  /** the seeds the suggested commands ask for */
  readonly seeds: number;
  readonly rules: readonly FindingRule[];
}

/** A bad rules file: names the file and the field. */
export class FindingRulesError extends Error {
  override readonly name = "FindingRulesError";
}

/** The shipped rules file. */
export function findingRulesPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "data", "findings.json");
}

/** The placeholders each kind's claim and rule may use (besides {minN}). */
const PLACEHOLDERS: Readonly<Record<FindingRule["kind"], readonly string[]>> = {
  "table2-ratio": ["setting", "label", "dataset", "paperValue", "paperBaseline", "paperRatio"],
  "table2-order": ["dataset", "paperOrder"],
  "near-baseline": ["setting", "label", "dataset", "tolerance", "bound", "paperRatio"],
  optimum: ["setting", "dataset", "field", "paper", "near"],
  knee: ["setting", "dataset", "field", "paper", "reproducedSteps", "partlySteps"],
  "flat-up-to": ["setting", "dataset", "field", "by", "threshold"],
  compare: ["a", "b", "dataset", "field"],
};

const COMMON_KEYS = ["id", "kind", "beyondPaper", "experiment", "claim", "source", "rule"];
const KIND_KEYS: Readonly<Record<FindingRule["kind"], readonly string[]>> = {
  "table2-ratio": ["baseline", "settings"],
  "table2-order": ["settings"],
  "near-baseline": ["settings", "tolerance", "paperRatio"],
  optimum: ["setting", "field", "paper", "near"],
  knee: ["setting", "field", "paper", "reproducedSteps", "partlySteps"],
  "flat-up-to": ["setting", "field", "by", "threshold"],
  compare: ["pairs", "field", "relation"],
};
const TOP_KEYS = ["title", "description", "minN", "seeds", "rules"];
const ID = /^[a-z0-9][a-z0-9-]*$/;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks the shape of a rules file (and that each experiment and setting it names exists); `source` names it. */
export function validateFindingRules(raw: unknown, source: string): FindingRules {
  const fail = (field: string, why: string): never => {
    throw new FindingRulesError(`${source}: ${field}: ${why}`);
  };
  const show = (v: unknown) => (v === undefined ? "nothing" : JSON.stringify(v));
  if (!isObj(raw)) return fail("(top)", "expected an object");
  const known = (o: Json, keys: readonly string[], at: string) => {
    for (const k of Object.keys(o))
      if (!keys.includes(k)) fail(`${at}${k}`, `unknown field (known: ${keys.join(", ")})`);
  };
  known(raw, TOP_KEYS, "");
  const int = (o: Json, k: string, at: string, lo: number, hi: number): number => {
    const v = o[k];
    if (!(Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi))
      fail(`${at}${k}`, `expected an integer from ${lo} to ${hi}, got ${show(v)}`);
    return v as number;
  };
  const minN = int(raw, "minN", "", 2, 100);
  const seeds = int(raw, "seeds", "", minN, 100);
  const list = raw["rules"];
  if (!Array.isArray(list) || list.length === 0) return fail("rules", "missing (a non-empty list of rules)");
  const ids = new Set<string>();
  const rules = list.map((r: unknown, i): FindingRule => {
    const at = `rules[${i}]`;
    if (!isObj(r)) return fail(at, "expected an object");
    const kind = r["kind"];
    if (typeof kind !== "string" || !(kind in KIND_KEYS))
      return fail(`${at}.kind`, `expected one of ${Object.keys(KIND_KEYS).join(", ")}, got ${show(kind)}`);
    const k = kind as FindingRule["kind"];
    known(r, [...COMMON_KEYS, ...KIND_KEYS[k]], `${at}.`);
    const str = (key: string): string => {
      const v = r[key];
      if (typeof v !== "string" || v.trim() === "") fail(`${at}.${key}`, `expected a non-empty string, got ${show(v)}`);
      return v as string;
    };
    const num = (key: string, ok: (x: number) => boolean, what: string): number => {
      const v = r[key];
      if (typeof v !== "number" || !Number.isFinite(v) || !ok(v))
        fail(`${at}.${key}`, `expected ${what}, got ${show(v)}`);
      return v as number;
    };
    const id = str("id");
    if (!ID.test(id)) fail(`${at}.id`, `${show(id)} is not an id (lower-case letters, digits and '-')`);
    if (ids.has(id)) fail(`${at}.id`, `"${id}" is used twice`);
    ids.add(id);
    if (typeof r["beyondPaper"] !== "boolean")
      fail(`${at}.beyondPaper`, `expected true or false, got ${show(r["beyondPaper"])}`);
    const experiment = str("experiment");
    let settingNames: string[];
    try {
      settingNames = loadExperiment(experiment).settings.map((s) => s.name);
    } catch (e) {
      return fail(`${at}.experiment`, e instanceof Error ? e.message : String(e));
    }
    const setting = (v: unknown, field: string): string => {
      if (typeof v !== "string" || !settingNames.includes(v))
        fail(field, `${show(v)} is not a setting of ${experiment} (known: ${settingNames.join(", ")})`);
      return v as string;
    };
    const settings = (key: string): string[] => {
      const v = r[key];
      if (!Array.isArray(v) || v.length === 0) return fail(`${at}.${key}`, "expected a non-empty list of settings");
      const out = v.map((s, j) => setting(s, `${at}.${key}[${j}]`));
      out.forEach((s, j) => {
        if (out.indexOf(s) !== j) fail(`${at}.${key}[${j}]`, `"${s}" is listed twice`);
      });
      return out;
    };
    const field = (key: string): Sweepable => {
      const v = r[key];
      if (!(SWEEPABLE as readonly unknown[]).includes(v))
        fail(`${at}.${key}`, `expected one of ${SWEEPABLE.join(", ")}, got ${show(v)}`);
      return v as Sweepable;
    };
    const base = {
      id,
      beyondPaper: r["beyondPaper"] as boolean,
      experiment,
      claim: str("claim"),
      source: str("source"),
      rule: str("rule"),
    };
    const positive = (x: number) => x > 0;
    let rule: FindingRule;
    switch (k) {
      case "table2-ratio":
        rule = { ...base, kind: k, baseline: setting(r["baseline"], `${at}.baseline`), settings: settings("settings") };
        break;
      case "table2-order": {
        const s = settings("settings");
        if (s.length < 2) fail(`${at}.settings`, "expected at least two settings to order");
        rule = { ...base, kind: k, settings: s };
        break;
      }
      case "near-baseline": {
        const paperRatio = r["paperRatio"];
        if (typeof paperRatio !== "boolean")
          fail(`${at}.paperRatio`, `expected true or false, got ${show(paperRatio)}`);
        const tolerance = num("tolerance", (x) => x >= 1, "a ratio ≥ 1");
        rule = { ...base, kind: k, settings: settings("settings"), tolerance, paperRatio: paperRatio as boolean };
        break;
      }
      case "optimum":
        rule = {
          ...base,
          kind: k,
          setting: setting(r["setting"], `${at}.setting`),
          field: field("field"),
          paper: num("paper", Number.isFinite, "a number"),
          near: num("near", (x) => x >= 0, "a distance ≥ 0"),
        };
        break;
      case "knee": {
        const reproducedSteps = num("reproducedSteps", (x) => x >= 0, "a number of steps ≥ 0");
        const partlySteps = num("partlySteps", (x) => x >= reproducedSteps, `a number of steps ≥ ${reproducedSteps}`);
        rule = {
          ...base,
          kind: k,
          setting: setting(r["setting"], `${at}.setting`),
          field: field("field"),
          paper: num("paper", positive, "a width > 0"),
          reproducedSteps,
          partlySteps,
        };
        break;
      }
      case "flat-up-to":
        rule = {
          ...base,
          kind: k,
          setting: setting(r["setting"], `${at}.setting`),
          field: field("field"),
          by: field("by"),
          threshold: num("threshold", positive, "a number > 0"),
        };
        break;
      case "compare": {
        const pairs = r["pairs"];
        if (!Array.isArray(pairs) || pairs.length === 0) return fail(`${at}.pairs`, "expected a non-empty list");
        const relation = r["relation"];
        if (relation !== "better" && relation !== "as-good")
          fail(`${at}.relation`, `expected "better" or "as-good", got ${show(relation)}`);
        rule = {
          ...base,
          kind: k,
          field: field("field"),
          relation: relation as "better" | "as-good",
          pairs: pairs.map((p: unknown, j) => {
            const pat = `${at}.pairs[${j}]`;
            if (!isObj(p)) return fail(pat, "expected an object {a, b}");
            known(p, ["a", "b"], `${pat}.`);
            const a = setting(p["a"], `${pat}.a`);
            const b = setting(p["b"], `${pat}.b`);
            if (a === b) fail(`${pat}.b`, `"${b}" is compared with itself`);
            return { a, b };
          }),
        };
        break;
      }
    }
    const allowed = [...PLACEHOLDERS[k], "minN"];
    for (const key of ["claim", "rule"] as const)
      for (const m of rule[key].matchAll(/\{([^{}]*)\}/g)) {
        const name = m[1]!;
        const ok =
          allowed.includes(name) && !(name === "paperRatio" && rule.kind === "near-baseline" && !rule.paperRatio);
        if (!ok) fail(`${at}.${key}`, `unknown placeholder {${name}} (known here: ${allowed.join(", ")})`);
      }
    return rule;
  });
  return { source, minN, seeds, rules };
}

/** Reads and validates a rules file (default: the shipped `data/findings.json`). */
export function loadFindingRules(path = findingRulesPath()): FindingRules {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new FindingRulesError(`${path}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FindingRulesError(`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return validateFindingRules(raw, path);
}

// ** numbers and words **

const fix = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : "—");
const ratio = (x: number) => fix(x, 3);
const sumText = (s: Summary, d = 3) => formatSummary(s, d);
/** 10000 → "10,000" */
function grouped(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
/** A swept value as the figures label it: widths and positions as integers, rates as 1e-4. */
function valueText(field: Sweepable, v: number): string {
  return field === "maxOverflowRate" ? v.toExponential(0).replace("e+", "e") : String(v);
}
const fieldUnit = (field: Sweepable) =>
  field === "maxOverflowRate" ? "" : field === "integerBits" ? " integer bits" : " bits";
const distinct = <T>(xs: readonly T[]): T[] => [...new Set(xs)];
const byNumber = (a: number, b: number) => a - b;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function fill(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** "n = 3", "n = 2–3" */
function nText(ns: readonly number[]): string {
  if (ns.length === 0) return "n = 0";
  const [lo, hi] = [Math.min(...ns), Math.max(...ns)];
  return lo === hi ? `n = ${lo}` : `n = ${lo}–${hi}`;
}

/**
 * The conditions of `rows` as the evidence states them: variant, epochs, training subset (trainLimit 0: the
 * whole set), test images (testExamples when recorded) and n (the done runs per point, `ns`).
 */
export function conditionsText(rows: readonly ResultRow[], ns: readonly number[]): string {
  if (rows.length === 0) return "no rows";
  const variants = distinct(rows.map((r) => r.variant)).sort();
  const epochs = distinct(rows.map((r) => r.epochs)).sort(byNumber);
  const subsets = distinct(rows.map((r) => r.trainLimit))
    .sort(byNumber)
    .map((t) => (t === 0 ? "the whole training set" : `${grouped(t)} training examples`));
  const tests = distinct(rows.map((r) => r.testExamples).filter((t) => Number.isFinite(t))).sort(byNumber);
  const testText = tests.length > 0 ? `${tests.map(grouped).join(" / ")} test images` : "test images not recorded";
  const unit = epochs.length === 1 && epochs[0] === 1 ? "epoch" : "epochs";
  const length = `${epochs.join(" / ")} ${unit} on ${subsets.join(" / ")}`;
  // NOTE: data other than the dataset's own files (an image folder) is named, so it is never read as the official set
  const data = distinct(rows.map((r) => r.data).filter((d) => d)).map((d) => `data: ${d}`);
  return [`${variants.join(" / ")} variant`, length, ...data, testText, nText(ns)].join(", ");
}

// ** reading the rows **

const isDone = (r: ResultRow) => r.status === "done";

type Measure = "normalizedError" | "testError";

/** A point's summary, or why it has none worth a verdict (with the summary of what there is, if anything). */
type Measured =
  | { readonly ok: true; readonly s: Summary }
  | { readonly ok: false; readonly why: string; readonly s?: Summary };

/** The statuses of rows none of which is done, e.g. "not run: data missing (run `lowprec fetch-data`)". */
function statuses(rows: readonly ResultRow[]): string {
  return distinct(rows.map((r) => r.status))
    .sort()
    .join("; ");
}

function measure(rows: readonly ResultRow[], what: Measure, minN: number): Measured {
  if (rows.length === 0) return { ok: false, why: "no rows" };
  const done = rows.filter(isDone);
  if (done.length === 0) return { ok: false, why: statuses(rows) };
  const values = done.map((r) => r[what]).filter((x) => Number.isFinite(x));
  if (values.length === 0)
    return { ok: false, why: "no float32 run of the same seed, length and subset (normalizedError empty)" };
  const s = summarize(values);
  if (s.n < minN) return { ok: false, why: `n = ${s.n} (a verdict needs n ≥ ${minN})`, s };
  return { ok: true, s };
}

/** The evaluation's context: rows by experiment, the rules' settings, the commands to suggest. */
interface Context {
  readonly tables: ReadonlyMap<string, readonly ResultRow[]>;
  readonly long: ReadonlyMap<string, readonly ResultRow[]>;
  readonly paper: PaperTable2;
  readonly minN: number;
  readonly seeds: number;
  readonly variant: string;
}

const rowsOf = (ctx: Context, experiment: string): readonly ResultRow[] => ctx.tables.get(experiment) ?? [];

/** The variant the rows of an experiment are of (the first row's), else the context's. */
function variantOf(ctx: Context, rows: readonly ResultRow[]): string {
  return rows[0]?.variant ?? ctx.variant;
}

/** What would run a missing or single-seed point: a sweep command (after fetch-data when data are missing). */
function command(ctx: Context, experiment: string, variant: string, dataset: string): string {
  return `\`lowprec sweep ${experiment} --variant ${variant} --seeds ${ctx.seeds} --only dataset=${dataset}\``;
}

/** The evidence of a finding that could not be tested: why, what there is, what would run it. */
function notTested(
  ctx: Context,
  experiment: string,
  dataset: string,
  variant: string,
  why: string,
  rows: readonly ResultRow[],
  ns: readonly number[],
): string {
  // NOTE: the variant of the rows themselves (a CIFAR-10 cell from the images variant on the budget page), so that
  // the command runs more of the same runs
  const of = rows[0]?.variant ?? variant;
  return `${why}; to test: ${command(ctx, experiment, of, dataset)} (${conditionsText(rows, ns)})`;
}

/** "n = 1 at every point", or "n = 1 at 8 bits at 1e-5, …; no rows at …" (`total`: the points there are). */
function missingText(items: readonly { where: string; why: string }[], total: number): string {
  return distinct(items.map((x) => x.why))
    .map((why) => {
      const at = items.filter((x) => x.why === why);
      return at.length === total ? `${why} at every point` : `${why} at ${at.map((x) => x.where).join(", ")}`;
    })
    .join("; ");
}

/** The datasets of an experiment's rows in the paper's order, or the ones its variant plans when it has none. */
function datasetsOf(ctx: Context, experiment: string): string[] {
  const rows = rowsOf(ctx, experiment);
  const order = (d: string) => {
    const i = (DATASETS as readonly string[]).indexOf(d);
    return i < 0 ? DATASETS.length : i;
  };
  const sorted = (ds: string[]) => ds.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  if (rows.length > 0) return sorted(distinct(rows.map((r) => r.dataset)));
  const def = loadExperiment(experiment);
  const v = (def.variants as Readonly<Record<string, { readonly datasets?: readonly DatasetName[] }>>)[ctx.variant];
  return sorted([...(v?.datasets ?? def.datasets)]);
}

/** The paper's Table 2 columns: the report's dataset order, then any other column of the paper. */
function paperColumns(paper: PaperTable2): string[] {
  const cols: string[] = PAPER_COLUMNS.map((d) => d.id);
  for (const row of paper.rows) for (const c of Object.keys(row.values)) if (!cols.includes(c)) cols.push(c);
  return cols.filter((c) => paper.rows.some((r) => Number.isFinite(r.values[c])));
}

const paperRow = (paper: PaperTable2, setting: string) => paper.rows.find((r) => r.setting === setting);

/** The paper's ratio setting / baseline in one column (NaN when it lacks either value). */
function paperRatioOf(paper: PaperTable2, setting: string, baseline: string, column: string): number {
  const v = paperRow(paper, setting)?.values[column];
  const b = paperRow(paper, baseline)?.values[column];
  return v !== undefined && b !== undefined && b > 0 ? v / b : Number.NaN;
}

/** Done rows' points of one setting by a swept field: summaries of the normalised error (n ≥ 1). */
function sweepPoints(rows: readonly ResultRow[], field: Sweepable, minN: number) {
  const values = distinct(rows.map((r) => r[field])).sort(byNumber);
  return values.map((v) => {
    const at = rows.filter((r) => r[field] === v);
    return { value: v, rows: at, m: measure(at, "normalizedError", minN) };
  });
}

// ** the sweep shapes, exported for the figures and the tests **

/** One point of a sweep: a swept value and the summary of its normalised error over seeds. */
export interface SweepPoint {
  readonly width: number;
  readonly summary: Summary;
}

export interface Knee {
  /** the narrowest width from which every wider swept width shows no loss against float32 (interval reaches 1) */
  readonly knee: number;
  /** the widest swept width */
  readonly widest: number;
  /** the width just below the knee (its interval lies wholly above 1), undefined when the knee is the narrowest */
  readonly below?: { readonly width: number; readonly summary: Summary };
  /** the smallest spacing of neighbouring swept widths (NaN with one width) */
  readonly step: number;
}

/**
 * The knee of a width sweep of normalised errors (float32 = 1): the narrowest width w such that every swept width
 * from w up to the widest shows no measurable loss, i.e. its 95 % interval reaches 1 or lies below it (lo ≤ 1).
 * A width with no loss below a wider one that has a loss does not count. The same rule as the figures' facts
 * (`figureFacts` of @lowprec/report), so a caption and a finding never disagree. Undefined when a width has no
 * interval (n < 2).
 */
export function sweepKnee(points: readonly SweepPoint[]): Knee | undefined {
  if (points.length === 0) throw new RangeError("sweepKnee: no points");
  const sorted = [...points].sort((a, b) => a.width - b.width);
  if (sorted.some((p) => !Number.isFinite(p.summary.halfWidth))) return undefined;
  const widest = sorted[sorted.length - 1]!;
  let i = sorted.length;
  while (i > 0 && sorted[i - 1]!.summary.lo <= 1) i--;
  // NOTE: i = sorted.length when even the widest width shows a loss: the knee is then above the sweep
  const knee = i < sorted.length ? sorted[i]!.width : Number.POSITIVE_INFINITY;
  const gaps = sorted.slice(1).map((p, j) => p.width - sorted[j]!.width);
  return {
    knee,
    widest: widest.width,
    ...(i > 0 ? { below: { width: sorted[i - 1]!.width, summary: sorted[i - 1]!.summary } } : {}),
    step: gaps.length > 0 ? Math.min(...gaps) : Number.NaN,
  };
}

/**
 * A run "at chance": a test error of 80 % or more, within 10 points of guessing among the paper's 10 classes
 * (90 %). Such a run did not train (it diverged, or never left the untrained network): the comparisons count it
 * apart instead of averaging its ratio into an interval wide enough to look level.
 */
export const AT_CHANCE_ERROR = 80;

/** Whether a run is at chance (its test error at or above AT_CHANCE_ERROR). */
export const isAtChance = (r: ResultRow): boolean => r.testError >= AT_CHANCE_ERROR;

export interface Optimum {
  /** the value of lowest mean */
  readonly best: number;
  readonly bestSummary: Summary;
  /** the values whose mean lies in the best's 95 % interval (the best included), ascending */
  readonly ties: readonly number[];
}

/** The best point of a sweep (lowest mean; the smaller value on a tie) and those whose mean lies in its interval. */
export function sweepOptimum(points: readonly SweepPoint[]): Optimum {
  if (points.length === 0) throw new RangeError("sweepOptimum: no points");
  const sorted = [...points].sort((a, b) => a.width - b.width);
  let best = sorted[0]!;
  for (const p of sorted) if (p.summary.mean < best.summary.mean) best = p;
  const ties = sorted.filter((p) => p === best || inInterval(best.summary, p.summary.mean)).map((p) => p.width);
  return { best: best.width, bestSummary: best.summary, ties };
}

// ** the rules **

interface Made {
  readonly verdict: Verdict;
  readonly evidence: string;
}

function table2Ratio(rule: Table2RatioRule, ctx: Context, out: Finding[]): void {
  const rows = rowsOf(ctx, rule.experiment);
  const variant = variantOf(ctx, rows);
  for (const d of paperColumns(ctx.paper))
    for (const s of rule.settings) {
      const pr = paperRatioOf(ctx.paper, s, rule.baseline, d);
      const vars = {
        minN: String(ctx.minN),
        setting: s,
        label: paperRow(ctx.paper, s)?.label ?? s,
        dataset: datasetLabel(d),
        paperValue: fix(paperRow(ctx.paper, s)?.values[d] ?? Number.NaN, 2),
        paperBaseline: fix(paperRow(ctx.paper, rule.baseline)?.values[d] ?? Number.NaN, 2),
        paperRatio: ratio(pr),
      };
      const cell = rows.filter((r) => r.dataset === d && r.setting === s);
      const made = ((): Made => {
        if (!Number.isFinite(pr))
          return { verdict: "not tested", evidence: `the paper's table has no ${s} or ${rule.baseline} value here` };
        const m = measure(cell, "normalizedError", ctx.minN);
        const cond = conditionsText(cell, m.s ? [m.s.n] : []);
        if (!m.ok) {
          const ours = m.s ? `ours ${sumText(m.s)} against the paper's ${ratio(pr)}; ` : "";
          return {
            verdict: "not tested",
            evidence: ours + notTested(ctx, rule.experiment, d, variant, m.why, cell, m.s ? [m.s.n] : []),
          };
        }
        const head = `ours ${sumText(m.s)} against the paper's ${ratio(pr)}`;
        if (inInterval(m.s, pr))
          return { verdict: "reproduced", evidence: `${head}: the paper's ratio lies in our interval (${cond})` };
        const otherSide = pr > 1 ? m.s.hi <= 1 : m.s.lo > 1;
        if (otherSide) {
          const where = pr > 1 ? "at or below 1 (no loss), the paper's above" : "above 1 (a loss), the paper's not";
          return { verdict: "not reproduced", evidence: `${head}: our interval lies wholly ${where} (${cond})` };
        }
        const why = inInterval(m.s, 1)
          ? "our interval contains 1, the paper's ratio lies outside it"
          : `the paper's ratio lies outside our interval, both ${pr > 1 ? "above 1" : "at most 1"}`;
        return { verdict: "partly", evidence: `${head}: ${why} (${cond})` };
      })();
      out.push({
        id: `${rule.id}/${d}/${s}`,
        claim: fill(rule.claim, vars),
        source: rule.source,
        rule: fill(rule.rule, vars),
        beyondPaper: rule.beyondPaper,
        ...made,
      });
    }
}

function table2Order(rule: Table2OrderRule, ctx: Context, out: Finding[]): void {
  const rows = rowsOf(ctx, rule.experiment);
  const variant = variantOf(ctx, rows);
  for (const d of paperColumns(ctx.paper)) {
    const paperValue = (s: string) => paperRow(ctx.paper, s)?.values[d] ?? Number.NaN;
    const ranked = [...rule.settings].sort((a, b) => paperValue(a) - paperValue(b));
    const paperOrder = ranked
      .map((s, i) => {
        const sep = i === 0 ? "" : paperValue(s) === paperValue(ranked[i - 1]!) ? " = " : " < ";
        return `${sep}${s} ${fix(paperValue(s), 2)}`;
      })
      .join("");
    const vars = { minN: String(ctx.minN), dataset: datasetLabel(d), paperOrder };
    const cellRows = rows.filter((r) => r.dataset === d && rule.settings.includes(r.setting));
    const made = ((): Made => {
      const missing = rule.settings.filter((s) => !Number.isFinite(paperValue(s)));
      if (missing.length > 0)
        return { verdict: "not tested", evidence: `the paper's table has no value for ${missing.join(", ")} here` };
      const ms = rule.settings.map((s) => ({
        s,
        m: measure(
          cellRows.filter((r) => r.setting === s),
          "testError",
          ctx.minN,
        ),
      }));
      const ns = ms.flatMap((x) => (x.m.s ? [x.m.s.n] : []));
      const cond = conditionsText(cellRows, ns);
      const ours = ms.filter((x) => x.m.s).map((x) => `${x.s} ${sumText(x.m.s as Summary, 2)}`);
      const bad = ms.filter((x) => !x.m.ok);
      if (bad.length > 0) {
        const whys = distinct(bad.map((x) => (x.m.ok ? "" : x.m.why)));
        const why = `${bad.map((x) => x.s).join(", ")}: ${whys.join("; ")}`;
        const have = ours.length > 0 ? `ours (test error, %): ${ours.join("; ")}; ` : "";
        return {
          verdict: "not tested",
          evidence: have + notTested(ctx, rule.experiment, d, variant, why, cellRows, ns),
        };
      }
      const agree: string[] = [];
      const unresolved: string[] = [];
      const contradict: string[] = [];
      for (let i = 0; i < ms.length; i++)
        for (let j = i + 1; j < ms.length; j++) {
          const [a, b] = [ms[i]!, ms[j]!];
          const [pa, pb] = [paperValue(a.s), paperValue(b.s)];
          if (pa === pb) continue;
          const [lo, hi] = pa < pb ? [a, b] : [b, a];
          const [sl, sh] = [lo.m.s as Summary, hi.m.s as Summary];
          if (overlaps(sl, sh)) unresolved.push(`${lo.s} vs ${hi.s}`);
          else if (sl.mean < sh.mean) agree.push(`${lo.s} < ${hi.s}`);
          else contradict.push(`${hi.s} < ${lo.s}`);
        }
      if (agree.length + unresolved.length + contradict.length === 0)
        return { verdict: "not tested", evidence: "the paper orders no pair of these settings" };
      const parts = [`ours (test error, %): ${ours.join("; ")}`];
      if (agree.length > 0) parts.push(`ordered as the paper: ${agree.join(", ")}`);
      if (contradict.length > 0) parts.push(`ordered against the paper: ${contradict.join(", ")}`);
      if (unresolved.length > 0) parts.push(`not resolved (intervals overlap): ${unresolved.join(", ")}`);
      const evidence = `${parts.join("; ")} (${cond})`;
      const verdict: Verdict =
        contradict.length > 0 ? "not reproduced" : unresolved.length > 0 ? "partly" : "reproduced";
      return { verdict, evidence };
    })();
    out.push({
      id: `${rule.id}/${d}`,
      claim: fill(rule.claim, vars),
      source: rule.source,
      rule: fill(rule.rule, vars),
      beyondPaper: rule.beyondPaper,
      ...made,
    });
  }
}

function nearBaseline(rule: NearBaselineRule, ctx: Context, out: Finding[]): void {
  const rows = rowsOf(ctx, rule.experiment);
  const variant = variantOf(ctx, rows);
  const def = loadExperiment(rule.experiment);
  const baseline = def.baseline ?? "fp32";
  const datasets = rule.paperRatio ? paperColumns(ctx.paper) : datasetsOf(ctx, rule.experiment);
  for (const d of datasets)
    for (const s of rule.settings) {
      const pr = rule.paperRatio ? paperRatioOf(ctx.paper, s, baseline, d) : Number.NaN;
      const bound = rule.paperRatio ? Math.max(rule.tolerance, pr) : rule.tolerance;
      const vars = {
        minN: String(ctx.minN),
        setting: s,
        label: paperRow(ctx.paper, s)?.label ?? s,
        dataset: datasetLabel(d),
        tolerance: String(rule.tolerance),
        bound: ratio(bound),
        paperRatio: ratio(pr),
      };
      const cell = rows.filter((r) => r.dataset === d && r.setting === s);
      const made = ((): Made => {
        if (!Number.isFinite(bound))
          return { verdict: "not tested", evidence: `the paper's table has no ${s} or ${baseline} value here` };
        const m = measure(cell, "normalizedError", ctx.minN);
        if (!m.ok) {
          const ours = m.s ? `ours ${sumText(m.s)} (bound ${ratio(bound)}); ` : "";
          return {
            verdict: "not tested",
            evidence: ours + notTested(ctx, rule.experiment, d, variant, m.why, cell, m.s ? [m.s.n] : []),
          };
        }
        const head = `ours ${sumText(m.s)} against the bound ${ratio(bound)}`;
        const cond = conditionsText(cell, [m.s.n]);
        if (m.s.hi <= bound)
          return { verdict: "reproduced", evidence: `${head}: our interval lies at or below it (${cond})` };
        if (m.s.lo > bound)
          return { verdict: "not reproduced", evidence: `${head}: our interval lies above it (${cond})` };
        return { verdict: "partly", evidence: `${head}: our interval contains it (${cond})` };
      })();
      out.push({
        id: `${rule.id}/${d}/${s}`,
        claim: fill(rule.claim, vars),
        source: rule.source,
        rule: fill(rule.rule, vars),
        beyondPaper: rule.beyondPaper,
        ...made,
      });
    }
}

/** "12: 9.66, 14: 2.48" (means, 2 decimals; "—" for a point with no done run) */
function meansText(field: Sweepable, points: ReturnType<typeof sweepPoints>): string {
  return points
    .map((p) => `${valueText(field, p.value)}: ${p.m.s ? fix(p.m.s.mean, 2) : `— (${statusWord(p.m)})`}`)
    .join(", ");
}
const statusWord = (m: Measured) => (m.ok ? "" : m.why.split(":")[0]!.trim());

function optimum(rule: OptimumRule, ctx: Context, out: Finding[]): void {
  const all = rowsOf(ctx, rule.experiment);
  const variant = variantOf(ctx, all);
  for (const d of datasetsOf(ctx, rule.experiment)) {
    const vars = {
      minN: String(ctx.minN),
      setting: rule.setting,
      dataset: datasetLabel(d),
      field: rule.field,
      paper: valueText(rule.field, rule.paper),
      near: String(rule.near),
    };
    const rows = all.filter((r) => r.dataset === d && r.setting === rule.setting);
    const points = sweepPoints(rows, rule.field, ctx.minN);
    const made = ((): Made => {
      const have = points.filter((p) => p.m.s !== undefined);
      const ns = have.map((p) => (p.m.s as Summary).n);
      const cond = conditionsText(rows, ns);
      if (have.length === 0) {
        const why = rows.length === 0 ? "no rows" : statuses(rows);
        return { verdict: "not tested", evidence: notTested(ctx, rule.experiment, d, variant, why, rows, ns) };
      }
      const o = sweepOptimum(have.map((p) => ({ width: p.value, summary: p.m.s as Summary })));
      const means = `means by ${rule.field}: ${meansText(rule.field, points)}`;
      if (o.bestSummary.n < ctx.minN) {
        const why = `best ${o.best}, n = ${o.bestSummary.n} there (no interval); ${means}`;
        return { verdict: "not tested", evidence: notTested(ctx, rule.experiment, d, variant, why, rows, ns) };
      }
      const head =
        `best ${o.best} (${sumText(o.bestSummary)}); within its interval: ${o.ties.join(", ")}; ${means}; ` +
        `the paper's ${vars.paper}`;
      const verdict: Verdict = o.ties.includes(rule.paper)
        ? "reproduced"
        : Math.abs(o.best - rule.paper) <= rule.near
          ? "partly"
          : "not reproduced";
      return { verdict, evidence: `${head} (${cond})` };
    })();
    out.push({
      id: `${rule.id}/${d}`,
      claim: fill(rule.claim, vars),
      source: rule.source,
      rule: fill(rule.rule, vars),
      beyondPaper: rule.beyondPaper,
      ...made,
    });
  }
}

/** Examples seen by the rows' runs (epochs × training examples), the most of any row; NaN when unknown. */
function examplesSeen(rows: readonly ResultRow[]): number {
  const seen = rows.map((r) => {
    const whole = (TRAIN_EXAMPLES as Readonly<Record<string, number>>)[r.dataset];
    const n = r.trainLimit > 0 ? r.trainLimit : whole;
    return n === undefined ? Number.NaN : r.epochs * n;
  });
  return seen.length === 0 ? Number.NaN : Math.max(...seen);
}

/** The knee of one length's rows of one dataset and setting, and its evidence. */
interface KneeAt {
  readonly variant: string;
  readonly rows: readonly ResultRow[];
  readonly knee?: Knee;
  /** the evidence at this length */
  readonly text: string;
  /** why there is no knee */
  readonly why?: string;
}

function kneeAt(rule: KneeRule, ctx: Context, rows: readonly ResultRow[], variant: string): KneeAt {
  const points = sweepPoints(rows, rule.field, ctx.minN);
  const have = points.filter((p) => p.m.s !== undefined);
  const ns = have.map((p) => (p.m.s as Summary).n);
  const cond = conditionsText(rows, ns);
  if (have.length === 0) {
    const why = rows.length === 0 ? "no rows" : statuses(rows);
    return { variant, rows, why, text: `${variant}: ${why} (${cond})` };
  }
  if (have.length < 2) {
    const why = "one swept width: no knee";
    return { variant, rows, why, text: `${variant}: ${why} (${cond})` };
  }
  const knee = sweepKnee(have.map((p) => ({ width: p.value, summary: p.m.s as Summary })));
  const means = `means: ${meansText(rule.field, points)}`;
  if (knee === undefined) {
    const single = have.filter((p) => (p.m.s as Summary).n < 2).map((p) => p.value);
    const why = `n = 1 at ${single.join(", ")} bits (no interval)`;
    return { variant, rows, why, text: `${variant}: ${why}; ${means} (${cond})` };
  }
  if (!Number.isFinite(knee.knee)) {
    const why = `every swept width up to ${knee.widest} shows a loss (its interval lies above 1): the knee is wider`;
    return { variant, rows, knee, text: `${variant}: ${why}; ${means} (${cond})` };
  }
  const steps = Math.abs(knee.knee - rule.paper) / knee.step;
  const stepsText = `${fix(steps, steps % 1 === 0 ? 0 : 1)} step${steps === 1 ? "" : "s"}`;
  // NOTE: a knee at an end of the sweep says so: the sweep does not show where the loss begins
  const edge =
    knee.below === undefined
      ? ", the narrowest swept width: no loss anywhere in the sweep, the knee may lie lower"
      : knee.knee === knee.widest
        ? ", the widest swept width"
        : "";
  const below =
    knee.below === undefined ? "" : `; ${knee.below.width} bits shows a loss: ${sumText(knee.below.summary)}`;
  const text =
    `${variant}: knee ${knee.knee}${edge} (from it to ${knee.widest} bits every 95 % interval reaches 1${below})` +
    `; ${means}; ${stepsText} of ${plural(knee.step, "bit")} from the paper's ${rule.paper} (${cond})`;
  return { variant, rows, knee, text };
}

function kneeVerdict(rule: KneeRule, k: Knee): Verdict {
  if (!Number.isFinite(k.knee)) return "not reproduced";
  const steps = Math.abs(k.knee - rule.paper) / k.step;
  return steps <= rule.reproducedSteps ? "reproduced" : steps <= rule.partlySteps ? "partly" : "not reproduced";
}

/** How the knee moves from the shorter training to the longer, relative to the paper's. */
function kneeMove(paper: number, shorter: Knee, longer: Knee): string {
  if (shorter.knee === longer.knee) return "does not move";
  const at = (k: number) => (Number.isFinite(k) ? String(k) : "above the sweep");
  if (!(Number.isFinite(shorter.knee) && Number.isFinite(longer.knee)))
    return `moves from ${at(shorter.knee)} to ${at(longer.knee)}`;
  const [before, after] = [Math.abs(shorter.knee - paper), Math.abs(longer.knee - paper)];
  const moves = `moves from ${shorter.knee} to ${longer.knee}`;
  if (after < before) return `${moves}, toward the paper's ${paper}`;
  if (after > before) return `${moves}, away from the paper's ${paper}`;
  return `${moves}, to the other side of the paper's ${paper}, as far from it`;
}

function knee(rule: KneeRule, ctx: Context, out: Finding[]): void {
  const budgetAll = rowsOf(ctx, rule.experiment);
  const longAll = ctx.long.get(rule.experiment) ?? [];
  const variant = variantOf(ctx, budgetAll);
  const datasets = datasetsOf(ctx, rule.experiment);
  for (const d of longAll.map((r) => r.dataset)) if (!datasets.includes(d)) datasets.push(d);
  for (const d of datasets) {
    const vars = {
      minN: String(ctx.minN),
      setting: rule.setting,
      dataset: datasetLabel(d),
      field: rule.field,
      paper: String(rule.paper),
      reproducedSteps: String(rule.reproducedSteps),
      partlySteps: String(rule.partlySteps),
    };
    const pick = (rows: readonly ResultRow[]) => rows.filter((r) => r.dataset === d && r.setting === rule.setting);
    const lengths: KneeAt[] = [kneeAt(rule, ctx, pick(budgetAll), variant)];
    const longRows = pick(longAll);
    if (longRows.length > 0) lengths.push(kneeAt(rule, ctx, longRows, longRows[0]!.variant));
    // NOTE: the longest training (examples seen) with a knee decides; the others are shown beside it
    const byLength = [...lengths].sort((a, b) => examplesSeen(a.rows) - examplesSeen(b.rows));
    const deciding = [...byLength].reverse().find((l) => l.knee !== undefined);
    const made = ((): Made => {
      const texts = byLength.map((l) => l.text);
      const withKnee = byLength.filter((l) => l.knee !== undefined);
      if (withKnee.length === 2) {
        const [a, b] = [withKnee[0]!, withKnee[1]!];
        texts.push(
          `from ${a.variant} to ${b.variant} the knee ${kneeMove(rule.paper, a.knee as Knee, b.knee as Knee)}`,
        );
      }
      if (deciding === undefined) {
        const first = byLength[byLength.length - 1]!;
        const run = command(ctx, rule.experiment, first.variant, d);
        return { verdict: "not tested", evidence: `${texts.join("; ")}; to test: ${run}` };
      }
      if (lengths.length > 1) texts.push(`the verdict uses ${deciding.variant}, the longest training with a knee`);
      return { verdict: kneeVerdict(rule, deciding.knee as Knee), evidence: texts.join("; ") };
    })();
    out.push({
      id: `${rule.id}/${d}`,
      claim: fill(rule.claim, vars),
      source: rule.source,
      rule: fill(rule.rule, vars),
      beyondPaper: rule.beyondPaper,
      ...made,
    });
  }
}

function flatUpTo(rule: FlatRule, ctx: Context, out: Finding[]): void {
  const all = rowsOf(ctx, rule.experiment);
  const variant = variantOf(ctx, all);
  // NOTE: rates are read back from CSV as decimals; a relative margin keeps 1e-4 at or below 1e-4
  const atMost = (v: number) => v <= rule.threshold * (1 + 1e-9);
  for (const d of datasetsOf(ctx, rule.experiment)) {
    const vars = {
      minN: String(ctx.minN),
      setting: rule.setting,
      dataset: datasetLabel(d),
      field: rule.field,
      by: rule.by,
      threshold: valueText("maxOverflowRate", rule.threshold),
    };
    const rows = all.filter((r) => r.dataset === d && r.setting === rule.setting);
    const made = ((): Made => {
      const groups = distinct(rows.map((r) => r[rule.by])).sort(byNumber);
      const curves = groups.map((g) => ({
        g,
        points: sweepPoints(
          rows.filter((r) => r[rule.by] === g),
          rule.field,
          ctx.minN,
        ),
      }));
      const ns = curves.flatMap((c) => c.points.flatMap((p) => (p.m.s ? [p.m.s.n] : [])));
      const cond = conditionsText(rows, ns);
      if (rows.length === 0 || !rows.some(isDone)) {
        const why = rows.length === 0 ? "no rows" : statuses(rows);
        return { verdict: "not tested", evidence: notTested(ctx, rule.experiment, d, variant, why, rows, ns) };
      }
      const untested = curves.flatMap((c) =>
        c.points.flatMap((p) =>
          p.m.ok ? [] : [{ where: `${c.g}${fieldUnit(rule.by)} at ${valueText(rule.field, p.value)}`, why: p.m.why }],
        ),
      );
      if (untested.length > 0) {
        const total = curves.reduce((t, c) => t + c.points.length, 0);
        const means = curves.map((c) => `${c.g}${fieldUnit(rule.by)}: ${meansText(rule.field, c.points)}`).join("; ");
        const why = `${missingText(untested, total)}; means: ${means}`;
        return { verdict: "not tested", evidence: notTested(ctx, rule.experiment, d, variant, why, rows, ns) };
      }
      const lines: string[] = [];
      let flat = 0;
      let flatAndRise = 0;
      for (const c of curves) {
        const s = (p: (typeof c.points)[number]) => p.m.s as Summary;
        const low = c.points.filter((p) => atMost(p.value));
        const high = c.points.filter((p) => !atMost(p.value));
        const isFlat = low.length > 0 && low.every((p) => s(p).lo <= 1);
        const rise = high.find((p) => s(p).lo > 1);
        const show = (p: (typeof c.points)[number]) => `${valueText(rule.field, p.value)}: ${sumText(s(p))}`;
        const lowText = low.length > 0 ? low.map(show).join("; ") : "no rate at or below it";
        const flatText = isFlat ? "flat" : "not flat";
        const riseText = rise ? `rises at ${show(rise)}` : "does not rise above it";
        lines.push(`${c.g}${fieldUnit(rule.by)}: ${flatText} up to ${vars.threshold} (${lowText}), ${riseText}`);
        if (isFlat) flat++;
        if (isFlat && rise) flatAndRise++;
      }
      const verdict: Verdict = flatAndRise === curves.length ? "reproduced" : flat > 0 ? "partly" : "not reproduced";
      return { verdict, evidence: `${lines.join("; ")} (${cond})` };
    })();
    out.push({
      id: `${rule.id}/${d}`,
      claim: fill(rule.claim, vars),
      source: rule.source,
      rule: fill(rule.rule, vars),
      beyondPaper: rule.beyondPaper,
      ...made,
    });
  }
}

function compare(rule: CompareRule, ctx: Context, out: Finding[]): void {
  const all = rowsOf(ctx, rule.experiment);
  const variant = variantOf(ctx, all);
  for (const d of datasetsOf(ctx, rule.experiment))
    for (const { a, b } of rule.pairs) {
      const vars = { minN: String(ctx.minN), a, b, dataset: datasetLabel(d), field: rule.field };
      const rows = all.filter((r) => r.dataset === d && (r.setting === a || r.setting === b));
      const made = ((): Made => {
        const values = distinct(rows.map((r) => r[rule.field])).sort(byNumber);
        const at = values.map((v) => {
          const of = (s: string) =>
            measure(
              rows.filter((r) => r.setting === s && r[rule.field] === v),
              "normalizedError",
              ctx.minN,
            );
          return { v, ma: of(a), mb: of(b) };
        });
        const ns = at.flatMap((x) => [x.ma.s?.n, x.mb.s?.n].filter((n): n is number => n !== undefined));
        const cond = conditionsText(rows, ns);
        const bad: { where: string; why: string }[] = [];
        for (const x of at)
          for (const [s, m] of [
            [a, x.ma],
            [b, x.mb],
          ] as const)
            if (!m.ok) bad.push({ where: `${s} at ${valueText(rule.field, x.v)}`, why: m.why });
        if (rows.length === 0 || bad.length > 0) {
          const mean = (m: Measured) => (m.s ? fix(m.s.mean, 2) : "—");
          const means = at.map((x) => `${valueText(rule.field, x.v)}: ${a} ${mean(x.ma)} vs ${b} ${mean(x.mb)}`);
          const why = rows.length === 0 ? "no rows" : `${missingText(bad, 2 * at.length)}; means: ${means.join("; ")}`;
          return { verdict: "not tested", evidence: notTested(ctx, rule.experiment, d, variant, why, rows, ns) };
        }
        let better = 0;
        let worse = 0;
        const chance = (s: string, v: ResultRow[keyof ResultRow]) =>
          rows.filter((r) => r.setting === s && r[rule.field] === v && isAtChance(r)).length;
        const lines = at.map((x) => {
          const [sa, sb] = [x.ma.s as Summary, x.mb.s as Summary];
          // NOTE: a run at chance did not train: more of them is worse whatever the intervals (wide, around a failure)
          const [ca, cb] = [chance(a, x.v), chance(b, x.v)];
          const failures = `${ca} of ${sa.n} runs at chance vs ${cb} of ${sb.n}`;
          const rel =
            ca > cb
              ? `worse (${failures})`
              : ca < cb
                ? `better (${failures})`
                : ca > 0
                  ? `as bad (${failures})`
                  : overlaps(sa, sb)
                    ? "inside the noise"
                    : sa.mean < sb.mean
                      ? "better"
                      : "worse";
          if (rel.startsWith("better")) better++;
          if (rel.startsWith("worse")) worse++;
          const where = `${valueText(rule.field, x.v)}${fieldUnit(rule.field)}`;
          return `${where}: ${a} ${sumText(sa)} vs ${b} ${sumText(sb)}, ${rel}`;
        });
        const n = at.length;
        const verdict: Verdict =
          rule.relation === "better"
            ? better === n
              ? "reproduced"
              : worse > 0
                ? "not reproduced"
                : "partly"
            : worse === 0
              ? "reproduced"
              : worse === n
                ? "not reproduced"
                : "partly";
        return { verdict, evidence: `${lines.join("; ")} (${cond})` };
      })();
      out.push({
        id: `${rule.id}/${d}/${a}`,
        claim: fill(rule.claim, vars),
        source: rule.source,
        rule: fill(rule.rule, vars),
        beyondPaper: rule.beyondPaper,
        ...made,
      });
    }
}

export interface FindingsInput {
  /** the result rows of each experiment of the main variant, by experiment name */
  readonly tables: ReadonlyMap<string, readonly ResultRow[]>;
  /** the rows of the `long` variant (prop-bits, update-bits), when collected */
  readonly long?: ReadonlyMap<string, readonly ResultRow[]>;
  /** the paper's Table 2 (paperTable2()) */
  readonly paper: PaperTable2;
  /** default: loadFindingRules() */
  readonly rules?: FindingRules;
  /** the variant named in suggested commands when an experiment has no rows (default "budget") */
  readonly variant?: string;
}

/** One finding per claim and dataset (and setting), in the order of the rules. */
export function evaluateFindings(input: FindingsInput): Finding[] {
  const rules = input.rules ?? loadFindingRules();
  const ctx: Context = {
    tables: input.tables,
    long: input.long ?? new Map(),
    paper: input.paper,
    minN: rules.minN,
    seeds: rules.seeds,
    variant: input.variant ?? "budget",
  };
  const out: Finding[] = [];
  for (const rule of rules.rules)
    switch (rule.kind) {
      case "table2-ratio":
        table2Ratio(rule, ctx, out);
        break;
      case "table2-order":
        table2Order(rule, ctx, out);
        break;
      case "near-baseline":
        nearBaseline(rule, ctx, out);
        break;
      case "optimum":
        optimum(rule, ctx, out);
        break;
      case "knee":
        knee(rule, ctx, out);
        break;
      case "flat-up-to":
        flatUpTo(rule, ctx, out);
        break;
      case "compare":
        compare(rule, ctx, out);
        break;
    }
  return out;
}

/** "30 findings: 2 reproduced, 5 partly, 1 not reproduced, 22 not tested (beyond the paper: …)" */
export function findingsSummary(findings: readonly Finding[]): string {
  const count = (fs: readonly Finding[]) =>
    VERDICTS.map((v) => `${fs.filter((f) => f.verdict === v).length} ${v}`).join(", ");
  const paper = findings.filter((f) => !f.beyondPaper);
  const beyond = findings.filter((f) => f.beyondPaper);
  const parts = [`${plural(paper.length, "finding")} on the paper's claims: ${count(paper)}`];
  if (beyond.length > 0) parts.push(`${plural(beyond.length, "finding")} beyond the paper: ${count(beyond)}`);
  return `${parts.join("; ")}.`;
}

/** "1–3, 5": finding numbers, consecutive runs joined. */
function numberList(ns: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ns.length; ) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    out.push(j > i ? `${ns[i]}–${ns[j]}` : String(ns[i]));
    i = j + 1;
  }
  return out.join(", ");
}

/**
 * The findings as Markdown: the summary line; a table of the paper's claims and one of the claims beyond the
 * paper (numbered rows: claim, verdict, evidence, source); then each rule once, with the numbers of the findings
 * it decided (findings of one rule share its wording unless it names a per-dataset value).
 */
export function findingsMarkdown(findings: readonly Finding[]): string {
  const numbered = findings.map((f, i) => ({ f, n: i + 1 }));
  const table = (fs: readonly { f: Finding; n: number }[]) =>
    markdownTable(
      ["#", "Claim", "Verdict", "Evidence", "Source"],
      fs.map(({ f, n }) => [String(n), f.claim, `**${f.verdict}**`, f.evidence, f.source]),
      ["r", "l", "l", "l", "l"],
    );
  const paper = numbered.filter((x) => !x.f.beyondPaper);
  const beyond = numbered.filter((x) => x.f.beyondPaper);
  const parts = [findingsSummary(findings), ""];
  if (paper.length > 0) parts.push(table(paper), "");
  if (beyond.length > 0)
    parts.push("Beyond the paper (claims of later work, tested the same way):", "", table(beyond), "");
  const rules = new Map<string, number[]>();
  for (const { f, n } of numbered) rules.set(f.rule, [...(rules.get(f.rule) ?? []), n]);
  parts.push("How each verdict was decided:", "");
  for (const [rule, ns] of rules) parts.push(`- ${ns.length > 1 ? "findings" : "finding"} ${numberList(ns)}: ${rule}`);
  return `${parts.join("\n")}\n`;
}
