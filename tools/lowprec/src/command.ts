/**
 * The contract of one CLI command (a module in `src/commands/` exporting `command`) and its arguments.
 * Options are declared once, as data: node:util's parseArgs reads them, `--help` prints them, and a test
 * holds every command to both (no option accepted without being documented, none documented but unknown).
 */
import { parseArgs as nodeParseArgs } from "node:util";

/** One `--name` option of a command. */
export interface OptionSpec {
  /** `string` takes a value (`--epochs 3` or `--epochs=3`); `boolean` is a switch */
  readonly type: "string" | "boolean";
  /** the value's placeholder in the help, e.g. `N`, `DIR` (string options) */
  readonly value?: string;
  /** one line (or a few) for the help */
  readonly description: string;
  /** a one-letter alias, e.g. `n` */
  readonly short?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

export interface Command {
  /** the word after `lowprec`, e.g. `train` */
  readonly name: string;
  /** one line for `lowprec help` */
  readonly summary: string;
  /** what follows `lowprec <name>` in the usage line, e.g. `<experiment> [options]` */
  readonly synopsis: string;
  /** a paragraph printed under the usage line */
  readonly description?: string;
  readonly options: OptionSpecs;
  /** the number of positional arguments the command takes (default 0) */
  readonly positionals?: { readonly min: number; readonly max: number };
  /** runs the command; resolves to the process exit code */
  run(args: Args): Promise<number>;
}

/** A bad command line: one line, then a pointer to `--help`; exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The parsed arguments of one command, read through typed accessors that name the option on error. */
export class Args {
  private readonly values: Readonly<Record<string, string | boolean | undefined>>;
  constructor(
    readonly command: Command,
    values: Record<string, string | boolean | undefined>,
    readonly positionals: readonly string[],
    /** the raw arguments, for the run's record */
    readonly argv: readonly string[],
  ) {
    this.values = values;
  }
  private spec(name: string): OptionSpec {
    const s = this.command.options[name];
    if (!s) throw new Error(`lowprec ${this.command.name}: reads an undeclared option --${name}`);
    return s;
  }
  /** whether the option was given on the command line */
  has(name: string): boolean {
    this.spec(name);
    return this.values[name] !== undefined;
  }
  /** the options given on the command line */
  given(): string[] {
    return Object.keys(this.values).filter((k) => this.values[k] !== undefined);
  }
  flag(name: string): boolean {
    if (this.spec(name).type !== "boolean") throw new Error(`--${name} is not a switch`);
    return this.values[name] === true;
  }
  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    if (this.spec(name).type !== "string") throw new Error(`--${name} takes no value`);
    const v = this.values[name];
    return typeof v === "string" ? v : fallback;
  }
  /** A string option restricted to `choices`. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T;
  choice<T extends string>(name: string, choices: readonly T[]): T | undefined;
  choice<T extends string>(name: string, choices: readonly T[], fallback?: T): T | undefined {
    const v = this.string(name);
    if (v === undefined) return fallback;
    if (!(choices as readonly string[]).includes(v)) {
      const near = closest(v, choices);
      throw new UsageError(
        `option --${name}: expected ${choices.join(", ")}; got "${v}"${near ? `; did you mean "${near}"?` : ""}`,
      );
    }
    return v as T;
  }
  /**
   * A numeric option, checked: plain decimal only (an optional "-", digits, a fraction and an exponent unless
   * `integer`), inside the option's range. Every numeric option declares a range: an unbounded count is how a typo
   * (`--seeds 1e9`) becomes a run that never ends or a plan that fills the memory.
   */
  number(name: string, opts: NumberOpts): number | undefined;
  number(name: string, opts: NumberOpts, fallback: number): number;
  number(name: string, opts: NumberOpts, fallback?: number): number | undefined {
    const s = this.string(name);
    if (s === undefined) return fallback;
    return checkNumber(name, s, opts);
  }
  /** Refuses options that the chosen setting would ignore, naming them and the reason. */
  refuse(names: readonly string[], why: string): void {
    const bad = names.filter((n) => this.has(n));
    if (bad.length) throw new UsageError(`${bad.map((n) => `--${n}`).join(", ")}: ${why}`);
  }
}

export interface NumberOpts {
  readonly integer?: boolean;
  /** every option has a range: an unbounded number is how a typo hangs a command or overflows a timer */
  readonly min: number;
  readonly max: number;
}

// NOTE: Number() takes far more than a number written by hand ("0x2", " 2", "+2", "", "0b1", "Infinity" are all
// numbers to it): the command line takes plain decimal only. Integers take no exponent either, so "1e9" is not a
// seed count.
const INTEGER_TEXT = /^-?[0-9]+$/;
const DECIMAL_TEXT = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** Whether `text` is a plain decimal number as the command line takes them (see DECIMAL_TEXT). */
export function isDecimal(text: string): boolean {
  return DECIMAL_TEXT.test(text);
}

/**
 * What a numeric option expects, in words: "a positive integer (at most 256)", "0 or a positive integer (at most
 * 100000)" (zero means something: 0 epochs evaluates the untrained network, a limit of 0 takes everything), "an
 * integer from 2 to 32", "a number from 0 to 1".
 */
export function describeRange(opts: NumberOpts): string {
  const { min, max } = opts;
  if (!opts.integer) return `a number from ${min} to ${max}`;
  if (min === 1) return `a positive integer (at most ${max})`;
  if (min === 0) return `0 or a positive integer (at most ${max})`;
  return `an integer from ${min} to ${max}`;
}

/**
 * Parses the value `text` of option `--name` against `opts`; UsageError naming the option, what it takes and the
 * value: "option --epochs must be 0 or a positive integer (at most 100000), got -1".
 */
export function checkNumber(name: string, text: string, opts: NumberOpts): number {
  const n = (opts.integer ? INTEGER_TEXT : DECIMAL_TEXT).test(text) ? Number(text) : Number.NaN;
  const { min, max } = opts;
  if (!Number.isFinite(n) || n < min || n > max) {
    // NOTE: a number as typed; anything else quoted, so " 2" and "" show what was given
    const got = isDecimal(text) ? text : JSON.stringify(text);
    throw new UsageError(`option --${name} must be ${describeRange(opts)}, got ${got}`);
  }
  return n;
}

/** Whether a command-line token looks like a negative number (`-3`, `-0.5`, `-1e-4`) rather than an option. */
const NEGATIVE_NUMBER = /^-(?:[0-9]|\.[0-9])/;

/** Levenshtein edit distance (insertions, deletions, substitutions, each 1), for "did you mean". */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/**
 * The known name closest to `name`, if reasonably close: a prefix either way, or within max(2, a third of its
 * length) edits.
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = k.startsWith(name) || name.startsWith(k) ? 1 : editDistance(name, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * "unknown experiment "prop-bit"; did you mean "prop-bits"?", or, with nothing close, the known names:
 * "unknown preset "foo" (known: pi-mnist, mnist-conv, cifar10, svhn)"; `orElse` is added to the list ("or a ...").
 */
export function unknownName(what: string, given: string, known: readonly string[], orElse = ""): string {
  const near = closest(given, known);
  return near
    ? `unknown ${what} "${given}"; did you mean "${near}"?`
    : `unknown ${what} "${given}" (known: ${known.join(", ")}${orElse ? `; ${orElse}` : ""})`;
}

const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", description: "print this help and exit" };

/** Parses `argv` for `cmd` (node:util parseArgs, strict), throwing UsageError with one line on a bad one. */
export function parseCommandArgs(cmd: Command, argv: readonly string[]): Args | "help" {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, spec] of Object.entries({ ...cmd.options, help: HELP_OPTION }))
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  const joined = joinDetachedNegatives(cmd, argv);
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = nodeParseArgs({ args: joined, options, strict: true, allowPositionals: true }) as typeof parsed;
  } catch (e) {
    throw new UsageError(explainParseError(cmd, e, argv));
  }
  if (parsed.values["help"] === true) return "help";
  const { min, max } = cmd.positionals ?? { min: 0, max: 0 };
  if (parsed.positionals.length > max) throw new UsageError(`unexpected argument "${parsed.positionals[max]}"`);
  if (parsed.positionals.length < min) throw new UsageError(`missing argument: ${cmd.synopsis.split(" ")[0]}`);
  const values = { ...parsed.values };
  delete values["help"];
  return new Args(cmd, values, parsed.positionals, argv);
}

/**
 * `--epochs -3`: parseArgs reads "-3" as an option and says "--epochs needs a value", which hides the real problem.
 * No option is named like a number, so a negative number after an option that takes a value is that value: joined
 * as `--epochs=-3`, it is then checked as any value is ("option --epochs must be 0 or a positive integer ..., got
 * -3"; `--integer-bits -2` is simply -2).
 */
function joinDetachedNegatives(cmd: Command, argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") return [...out, ...argv.slice(i)];
    const m = /^--([^=]+)$/.exec(a) ?? (/^-([A-Za-z])$/.exec(a) && [a, shortName(cmd, a.slice(1))]);
    const name = m?.[1];
    const next = argv[i + 1];
    if (
      name !== undefined &&
      cmd.options[name]?.type === "string" &&
      next !== undefined &&
      NEGATIVE_NUMBER.test(next)
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function shortName(cmd: Command, letter: string): string | undefined {
  return Object.entries(cmd.options).find(([, s]) => s.short === letter)?.[0];
}

function explainParseError(cmd: Command, e: unknown, argv: readonly string[]): string {
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const m = /'(-{1,2}[^'\s=]+)/.exec(message);
    const given = m?.[1] ?? "?";
    const near = closest(given.replace(/^-+/, ""), Object.keys(cmd.options));
    return `unknown option ${given}${near ? ` (did you mean --${near}?)` : ""}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const m = /Option '(?:-\w, )?--([\w-]+)/.exec(message);
    const name = m?.[1];
    if (name && cmd.options[name]?.type === "boolean") return `option --${name} takes no value`;
    if (name) return `option --${name} needs a value`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
    const extra = argv.find((a) => !a.startsWith("-"));
    return `unexpected argument "${extra ?? "?"}"`;
  }
  return message.split("\n")[0] ?? message;
}

/** The help text of a command, generated from its option specs. */
export function helpText(cmd: Command): string {
  const entries = Object.entries(cmd.options).map(([name, s]) => {
    const head = `${s.short ? `-${s.short}, ` : ""}--${name}${s.type === "string" ? ` ${s.value ?? "VALUE"}` : ""}`;
    return [head, s.description] as const;
  });
  entries.push(["-h, --help", HELP_OPTION.description]);
  const width = Math.min(28, Math.max(...entries.map(([h]) => h.length)));
  const lines = entries.map(([head, text]) => {
    const pad = head.length > width ? `\n${" ".repeat(width + 4)}` : " ".repeat(width - head.length + 2);
    return `  ${head}${pad}${text.replaceAll("\n", `\n${" ".repeat(width + 4)}`)}`;
  });
  return [
    `usage: lowprec ${cmd.name} ${cmd.synopsis}`,
    "",
    ...(cmd.description ? [cmd.description, ""] : []),
    "options:",
    ...lines,
    "",
    "exit codes: 0 ok, 1 failure (bad data, a diverging run, a locked folder...), 2 usage error",
  ].join("\n");
}

/** Parses and runs a command (what the dispatcher does, less the error printing): for tests and callers. */
export async function invoke(cmd: Command, argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(cmd, argv);
  if (args === "help") {
    console.log(helpText(cmd));
    return EXIT.ok;
  }
  return cmd.run(args);
}
