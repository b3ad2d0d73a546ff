/** The plain rows the report reads (result rows, scale telemetry rows) and their CSV form. */
import Papa from "papaparse";

/** One finished (or missing) run of an experiment: what `lowprec results` writes, one row per run. */
export interface ResultRow {
  /** "table2" | "radix-point" | "prop-bits" | "update-bits" | "overflow-rate" | ... */
  experiment: string;
  /** "paper" | "budget" | "smoke" */
  variant: string;
  runId: string;
  /** "pi-mnist" | "mnist-conv" | "cifar10" | "svhn" */
  dataset: string;
  /** A label of the precision setting, e.g. "fp32", "half", "fixed", "dfxp". */
  setting: string;
  /** "float32" | "binary16" | "fixed" | "dynamic-fixed" */
  format: string;
  /** Width of the propagations (multiplier inputs), sign included. */
  propagationBits: number;
  /** Width of the stored parameters (updates), sign included. */
  updateBits: number;
  /** Fixed point: the radix position; dynamic fixed point: the initial integer bits. */
  integerBits: number;
  /** NaN when not dynamic fixed point. */
  maxOverflowRate: number;
  rounding: string;
  /** "none" | "overflow-rate" | "delayed-amax" */
  scaling: string;
  seed: number;
  epochs: number;
  /** 0: the whole training set. */
  trainLimit: number;
  /** "done", or why not: "not run: data missing (...)", "running", "failed: ...". */
  status: string;
  /** NaN unless done. */
  bestEpoch: number;
  /** Percent, at the best validation epoch. */
  validError: number;
  /** Percent, at the best validation epoch (the reported number). */
  testError: number;
  /** The float32 run's test error for the same dataset, variant, seed, epochs and subset (NaN if absent). */
  baselineTestError: number;
  /** testError / baselineTestError: what the paper's figures plot. */
  normalizedError: number;
  /** Wall time of the run, seconds. */
  seconds: number;
  /**
   * The git commit of the code that trained the run (40 hex digits, "+dirty" appended when the work tree had
   * uncommitted changes; "unknown" when the run did not record it; empty for a run not done).
   */
  commit: string;
  /** How many test images the reported test error was measured on (NaN when unknown or not done). */
  testExamples: number;
  /**
   * Epochs trained: `epochs` when done; for an interrupted run with a verified history (status "interrupted after
   * epoch N"), N, and then bestEpoch, validError, testError and seconds are its numbers so far (never a result:
   * only rows whose status is "done" are). NaN otherwise, and in collections made before this column.
   */
  epochsDone: number;
  /**
   * The data when it is not the dataset's own files: "<folder>: <what it is>", e.g. "cifar10-jpeg: JPEG copy of
   * the real images" (an experiment variant's image folder); "" for the dataset's own data.
   */
  data: string;
}

/** One row of a run's dynamic fixed point telemetry (`scales/epoch-NNNN.csv`). */
export interface ScaleRow {
  phase: string;
  epoch: number;
  batch: number;
  examples: number;
  layer: number;
  group: string;
  /** NaN (an empty cell) for a group with no single scale: a block-scaled (MX) one, each block having its own */
  integerBits: number;
  overflowRate: number;
  overflowRateHalfRange: number;
  /**
   * The fraction of the window's nonzero values rounded to zero. Optional: files written before this column read
   * as NaN, as does a window that saw no nonzero value; rows made in code may leave it out (an empty cell).
   */
  flushRate?: number;
  amax: number;
}

type Kinds<T> = { readonly [K in keyof T]-?: NonNullable<T[K]> extends number ? "number" : "string" };

/** How each column of a row is read, and which cells may not be empty. */
interface Schema<T> {
  columns: readonly (keyof T & string)[];
  kinds: Kinds<T>;
  /** Text columns that must not be empty. */
  nonEmpty: ReadonlySet<string>;
  /** Number columns that must hold a finite number (others may be empty, read as NaN). */
  finite: ReadonlySet<string>;
  /** Columns a file may lack (added after files were written): read as an empty cell. */
  optional?: ReadonlySet<string>;
}

/** The columns of a results CSV, in the order `resultsToCsv` writes them. */
export const RESULT_COLUMNS: readonly (keyof ResultRow)[] = Object.freeze([
  "experiment",
  "variant",
  "runId",
  "dataset",
  "setting",
  "format",
  "propagationBits",
  "updateBits",
  "integerBits",
  "maxOverflowRate",
  "rounding",
  "scaling",
  "seed",
  "epochs",
  "trainLimit",
  "status",
  "bestEpoch",
  "validError",
  "testError",
  "baselineTestError",
  "normalizedError",
  "seconds",
  "commit",
  "testExamples",
  "epochsDone",
  "data",
] as const);

/** The columns of a run's `scales/epoch-NNNN.csv`, in file order. */
export const SCALE_COLUMNS: readonly (keyof ScaleRow)[] = Object.freeze([
  "phase",
  "epoch",
  "batch",
  "examples",
  "layer",
  "group",
  "integerBits",
  "overflowRate",
  "overflowRateHalfRange",
  "flushRate",
  "amax",
] as const);

const RESULT_SCHEMA: Schema<ResultRow> = {
  columns: RESULT_COLUMNS,
  kinds: {
    experiment: "string",
    variant: "string",
    runId: "string",
    dataset: "string",
    setting: "string",
    format: "string",
    propagationBits: "number",
    updateBits: "number",
    integerBits: "number",
    maxOverflowRate: "number",
    rounding: "string",
    scaling: "string",
    seed: "number",
    epochs: "number",
    trainLimit: "number",
    status: "string",
    bestEpoch: "number",
    validError: "number",
    testError: "number",
    baselineTestError: "number",
    normalizedError: "number",
    seconds: "number",
    commit: "string",
    testExamples: "number",
    epochsDone: "number",
    data: "string",
  },
  nonEmpty: new Set(["experiment", "dataset", "setting", "status"]),
  finite: new Set(),
  // NOTE: collections made before these columns existed still read (commit and data "", testExamples and
  // epochsDone NaN)
  optional: new Set(["commit", "testExamples", "epochsDone", "data"]),
};

const SCALE_SCHEMA: Schema<ScaleRow> = {
  columns: SCALE_COLUMNS,
  kinds: {
    phase: "string",
    epoch: "number",
    batch: "number",
    examples: "number",
    layer: "number",
    group: "string",
    integerBits: "number",
    overflowRate: "number",
    overflowRateHalfRange: "number",
    flushRate: "number",
    amax: "number",
  },
  nonEmpty: new Set(["group"]),
  // NOTE: integerBits may be empty (NaN): a block-scaled group has no single scale
  finite: new Set(["epoch", "batch", "examples", "layer"]),
  // NOTE: telemetry written before this column existed still reads (flushRate NaN)
  optional: new Set(["flushRate"]),
};

/** A CSV cell: integers exactly, other finite numbers at 10 significant digits, NaN empty, ±Infinity by name. */
export function csvNumber(v: number): string {
  if (Number.isNaN(v)) return "";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v)) return Object.is(v, -0) ? "0" : String(v);
  return String(Number(v.toPrecision(10)));
}

/**
 * Rows as CSV with the given columns, in that order: a header, `\n` line ends, RFC 4180 quoting (papaparse),
 * numbers as csvNumber writes them, undefined and null as empty cells. The one CSV writer of the project's
 * tables (results, telemetry, a run's metrics).
 */
export function rowsToCsv<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const data = rows.map((row) =>
    columns.map((c) => {
      const v: unknown = row[c];
      return typeof v === "number" ? csvNumber(v) : v === undefined || v === null ? "" : String(v);
    }),
  );
  return `${Papa.unparse({ fields: [...columns], data }, { newline: "\n", quotes: false })}\n`;
}

function toCsv<T extends object>(schema: Schema<T>, rows: readonly T[]): string {
  return rowsToCsv(schema.columns, rows);
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number cell: decimal or exponent notation, `Infinity`, or empty / `NaN` for NaN; undefined if not a number. */
function parseNumber(cell: string): number | undefined {
  const t = cell.trim();
  if (t === "" || t === "NaN") return Number.NaN;
  if (t === "Infinity" || t === "+Infinity") return Number.POSITIVE_INFINITY;
  if (t === "-Infinity") return Number.NEGATIVE_INFINITY;
  return NUMBER.test(t) ? Number(t) : undefined;
}

function fromCsv<T>(schema: Schema<T>, text: string, source: string): T[] {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ""), {
    header: false,
    delimiter: ",",
    skipEmptyLines: true,
  });
  if (parsed.errors.length > 0) {
    const e = parsed.errors[0]!;
    const where = e.row === undefined ? "" : e.row === 0 ? " (header)" : ` row ${e.row}`;
    throw new Error(`${source}:${where} malformed CSV: ${e.message}`);
  }
  const [header, ...body] = parsed.data;
  if (header === undefined) throw new Error(`${source}: empty CSV, expected a header with ${schema.columns.join(",")}`);
  const index = new Map<string, number>();
  header.forEach((name, j) => {
    const key = name.trim();
    if (index.has(key)) throw new Error(`${source}: header: column "${key}" appears twice`);
    index.set(key, j);
  });
  const missing = schema.columns.filter((c) => !index.has(c) && !schema.optional?.has(c));
  if (missing.length > 0)
    throw new Error(
      `${source}: header: missing column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `"${c}"`).join(", ")}`,
    );
  return body.map((cells, i) => {
    const rowNo = i + 1; // data rows count from 1, after the header
    if (cells.length !== header.length)
      throw new Error(`${source}: row ${rowNo}: ${cells.length} cells, the header has ${header.length} columns`);
    const out: Record<string, string | number> = {};
    for (const c of schema.columns) {
      const j = index.get(c);
      const cell = j === undefined ? "" : cells[j]!;
      if (schema.kinds[c] === "number") {
        const v = parseNumber(cell);
        if (v === undefined)
          throw new Error(`${source}: row ${rowNo}, column "${c}": expected a number, got "${cell}"`);
        if (schema.finite.has(c) && !Number.isFinite(v))
          throw new Error(`${source}: row ${rowNo}, column "${c}": expected a finite number, got "${cell}"`);
        out[c] = v;
      } else {
        if (schema.nonEmpty.has(c) && cell.trim() === "")
          throw new Error(`${source}: row ${rowNo}, column "${c}": must not be empty`);
        out[c] = cell;
      }
    }
    return out as unknown as T;
  });
}

/** Result rows as CSV: RESULT_COLUMNS as header, `\n` line ends, RFC 4180 quoting (papaparse), NaN as empty cell. */
export function resultsToCsv(rows: readonly ResultRow[]): string {
  return toCsv(RESULT_SCHEMA, rows);
}

/**
 * Reads a results CSV. Every column of RESULT_COLUMNS must be in the header (in any order; extra columns are
 * ignored); number cells must be numbers (empty = NaN). An error names `source`, the data row (1 = the first row
 * after the header) and the column.
 */
export function resultsFromCsv(text: string, source: string): ResultRow[] {
  return fromCsv(RESULT_SCHEMA, text, source);
}

/** Scale telemetry rows as CSV, in the layout of a run folder's `scales/epoch-NNNN.csv`. */
export function scaleRowsToCsv(rows: readonly ScaleRow[]): string {
  return toCsv(SCALE_SCHEMA, rows);
}

/** Reads a run folder's `scales/epoch-NNNN.csv` (checked as `resultsFromCsv` checks a results CSV). */
export function scaleRowsFromCsv(text: string, source: string): ScaleRow[] {
  return fromCsv(SCALE_SCHEMA, text, source);
}
