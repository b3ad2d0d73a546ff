#!/usr/bin/env node
/**
 * `lowprec`: the command line. Commands are discovered by convention: every module in `commands/`
 * exporting `command` (see command.ts) is a subcommand, so adding one means adding one file.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { UsageError, type Command } from "./command.js";

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
  return `usage: lowprec <command> [options]\n\ncommands:\n${lines.join("\n")}\n\n'lowprec help <command>' shows a command's options.`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const target = rest[0] !== undefined ? commands.get(rest[0]) : undefined;
    console.log(target ? target.usage : help(commands));
    return 0;
  }
  const cmd = commands.get(name);
  if (!cmd) {
    console.error(`lowprec: unknown command "${name}"\n\n${help(commands)}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`lowprec ${name}: ${e.message}\n\n${cmd.usage}`);
      return 2;
    }
    // NOTE: a bad value (RangeError naming the field), a corrupt file, a diverging run: one clear line, no stack.
    console.error(`lowprec ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env["LOWPREC_DEBUG"] && e instanceof Error) console.error(e.stack);
    return 1;
  }
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
