/** The contract of one CLI command: a module in `src/commands/` exporting `command`. */
export interface Command {
  /** the word after `lowprec`, e.g. `train` */
  readonly name: string;
  /** one line for `lowprec help` */
  readonly summary: string;
  /** full usage text, printed by `lowprec help <name>` and on a usage error */
  readonly usage: string;
  /** runs the command; resolves to the process exit code */
  run(argv: readonly string[]): Promise<number>;
}

/** A bad command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parsed `--flag value`, `--flag=value` and `--switch` arguments plus positionals. */
export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
}

/**
 * Parses GNU-style long options. `booleans` lists flags that take no value.
 * Throws UsageError on an unknown flag when `known` is given.
 */
export function parseArgs(
  argv: readonly string[],
  booleans: readonly string[] = [],
  known?: readonly string[],
): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("--")) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    if (known && !known.includes(name) && !booleans.includes(name)) throw new UsageError(`unknown option --${name}`);
    if (eq >= 0) flags.set(name, a.slice(eq + 1));
    else if (booleans.includes(name)) flags.set(name, true);
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`option --${name} needs a value`);
      flags.set(name, v);
      i++;
    }
  }
  return { flags, positionals };
}

/** The string value of a flag, or the fallback. */
export function flagString(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const v = args.flags.get(name);
  if (v === true) throw new UsageError(`option --${name} needs a value`);
  return v ?? fallback;
}

/** A numeric flag, checked: names the flag and the bad value on error. */
export function flagNumber(
  args: ParsedArgs,
  name: string,
  fallback?: number,
  opts: { integer?: boolean; min?: number } = {},
): number | undefined {
  const s = flagString(args, name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min))
    throw new UsageError(
      `option --${name}: expected ${opts.integer ? "an integer" : "a number"}${opts.min !== undefined ? ` ≥ ${opts.min}` : ""}, got "${s}"`,
    );
  return n;
}
