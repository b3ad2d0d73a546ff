/**
 * CSV through papaparse, one way for the whole project: a header row of column names, RFC 4180 quoting (a
 * field holding a comma, quote or newline is quoted), `\n` line ends, and numbers at a stated precision:
 * integers exactly, other finite numbers at `digits` significant digits (10 by default: exact for every
 * float32 and for errors in percent) with the shortest form that reads back to that value; NaN, ±Infinity,
 * undefined and null are written as an empty cell.
 */
import Papa from "papaparse";

export interface CsvOptions {
  /** significant digits of non-integer numbers (default 10) */
  readonly digits?: number;
}

/** One cell's text. */
export function formatCell(v: unknown, digits = 10): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return "";
    return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(digits)));
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

/** Rows as CSV text with the given columns, in that order. */
export function toCsv<T extends object>(
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
  opts: CsvOptions = {},
): string {
  const data = rows.map((r) => columns.map((c) => formatCell(r[c], opts.digits)));
  return `${Papa.unparse({ fields: [...columns], data }, { newline: "\n", quotes: false })}\n`;
}

/** A parsed CSV: its header and rows of strings keyed by column; a malformed file is an error naming it. */
export function parseCsv(text: string, source: string): { columns: string[]; rows: Record<string, string>[] } {
  const r = Papa.parse<Record<string, string>>(text.trimEnd(), { header: true, skipEmptyLines: true });
  if (r.errors.length) {
    const e = r.errors[0]!;
    throw new Error(`${source}: malformed CSV at row ${(e.row ?? 0) + 2}: ${e.message}`);
  }
  return { columns: r.meta.fields ?? [], rows: r.data };
}

/** A cell read back as a number: an empty cell is NaN; anything else that is not a number is an error. */
export function numberCell(row: Record<string, string>, column: string, source: string): number {
  const s = row[column];
  if (s === undefined) throw new Error(`${source}: no column "${column}"`);
  if (s === "") return Number.NaN;
  const n = Number(s);
  if (Number.isNaN(n)) throw new Error(`${source}: column "${column}" holds "${s}", not a number`);
  return n;
}
