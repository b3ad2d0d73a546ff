#!/usr/bin/env node
/**
 * `lowprec`: the command line. Commands are discovered by convention: every module in `commands/`
 * exporting `command` (see command.ts) is a subcommand, so adding one means adding one file.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { closest, EXIT, helpText, invoke, UsageError, type Command } from "./command.js";

async function loadCommands(): Promise<Map<string, Command>> {
  const dir = join(dirname(fileURLToPath(import.meta.url)), "commands");
  // NOTE: .ts when run from source (the tests), .js when built.
  const files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !/\.(d|test)\.ts$/.test(f))
    .sort();
  const commands = new Map<string, Command>();
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { command?: Command };
    if (!mod.command) continue;
    if (commands.has(mod.command.name)) throw new Error(`two commands are named "${mod.command.name}" (${f})`);
    commands.set(mod.command.name, mod.command);
  }
  return commands;
}

function help(commands: Map<string, Command>): string {
  const width = Math.max(...[...commands.keys()].map((k) => k.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "usage: lowprec <command> [options]",
    "",
    "commands:",
    ...lines,
    "",
    "'lowprec <command> --help' (or 'lowprec help <command>') shows a command's options.",
    "exit codes: 0 ok, 1 failure, 2 usage error",
  ].join("\n");
}

export async function main(argv: readonly string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    if (rest[0] === undefined) {
      console.log(help(commands));
      return EXIT.ok;
    }
    const target = commands.get(rest[0]);
    if (!target) return unknownCommand(rest[0], commands);
    console.log(helpText(target));
    return EXIT.ok;
  }
  const cmd = commands.get(name);
  if (!cmd) return unknownCommand(name, commands);
  try {
    return await invoke(cmd, rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`lowprec ${name}: ${e.message}\nsee 'lowprec ${name} --help'`);
      return EXIT.usage;
    }
    // NOTE: a bad value (RangeError naming the field), a corrupt file, a diverging run: one clear line, no stack.
    console.error(`lowprec ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env["LOWPREC_DEBUG"] && e instanceof Error) console.error(e.stack);
    return EXIT.failure;
  }
}

function unknownCommand(name: string, commands: Map<string, Command>): number {
  const near = closest(name, [...commands.keys()]);
  console.error(`lowprec: unknown command "${name}"${near ? ` (did you mean ${near}?)` : ""}; see 'lowprec help'`);
  return EXIT.usage;
}

// NOTE: run as a script (`node dist/cli.js …`); the installed `lowprec` command goes through bin/lowprec.js.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`lowprec: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
