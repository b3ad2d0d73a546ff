// Every command answers --help and -h with its options, and an unknown option with one line naming it
// (and the closest known one), exit code 2. Options are declared once, so help and parser cannot drift apart.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runInProcess } from "./in-process.js";
import {
  closest,
  editDistance,
  helpText,
  parseCommandArgs,
  unknownName,
  UsageError,
  type Command,
} from "../src/command.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "commands");
const commands: Command[] = [];
for (const f of readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .sort()) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { command?: Command };
  if (mod.command) commands.push(mod.command);
}

const run = runInProcess;

describe("every command", () => {
  it("is found", () => {
    expect(commands.map((c) => c.name).sort()).toEqual([
      "cost",
      "fetch-data",
      "formats",
      "report",
      "reproduce",
      "results",
      "sweep",
      "tco",
      "train",
      "verify",
      "worker",
    ]);
  });
  for (const cmd of commands) {
    describe(cmd.name, () => {
      it("--help and -h exit 0 and list every option", async () => {
        for (const flag of ["--help", "-h"]) {
          const r = await run([cmd.name, flag]);
          expect(r.code).toBe(0);
          expect(r.out).toMatch(new RegExp(`^usage: lowprec ${cmd.name} `));
          for (const name of Object.keys(cmd.options)) expect(r.out).toContain(`--${name}`);
          expect(r.out).toContain("exit codes: 0 ok, 1 failure");
        }
        expect((await run(["help", cmd.name])).out).toBe(helpText(cmd));
      });
      it("every declared option is read by the command (its name at a read site, not only in the declaration)", () => {
        // NOTE: commands share option declarations with train.ts and sweep.ts; their read sites count too.
        const sources = [`${cmd.name}.ts`, "train.ts", "sweep.ts"].map((f) => readFileSync(join(dir, f), "utf8"));
        for (const name of Object.keys(cmd.options)) {
          const read = new RegExp(`"${name}"(?!\\s*:)`);
          expect(
            sources.some((src) => read.test(src)),
            `--${name} is declared but never read`,
          ).toBe(true);
        }
      });
      it("an unknown option exits 2 with one line naming it and a pointer to --help", async () => {
        const r = await run([cmd.name, "--no-such-option", "1"]);
        expect(r.code).toBe(2);
        const lines = r.err.split("\n");
        expect(lines[0]).toBe(`lowprec ${cmd.name}: unknown option --no-such-option`);
        expect(lines[1]).toBe(`see 'lowprec ${cmd.name} --help'`);
        expect(lines).toHaveLength(2);
      });
      it("a misspelt option is answered with the closest one", async () => {
        const name = Object.keys(cmd.options)[0]!;
        const typo = `${name.slice(0, -1)}${name.at(-1) === "x" ? "y" : "x"}`;
        const r = await run([cmd.name, `--${typo}`]);
        expect(r.code).toBe(2);
        expect(r.err.split("\n")[0]).toBe(`lowprec ${cmd.name}: unknown option --${typo} (did you mean --${name}?)`);
      });
    });
  }
});

describe("the parser", () => {
  const cmd: Command = {
    name: "t",
    summary: "",
    synopsis: "[options]",
    options: {
      epochs: { type: "string", value: "N", description: "" },
      resume: { type: "boolean", description: "" },
    },
    run: async () => 0,
  };
  it("reads --flag value, --flag=value and switches", () => {
    const a = parseCommandArgs(cmd, ["--epochs=3", "--resume"]);
    if (a === "help") throw new Error("help");
    expect(a.number("epochs", { integer: true, min: 0, max: 10 })).toBe(3);
    expect(a.flag("resume")).toBe(true);
    expect(a.given().sort()).toEqual(["epochs", "resume"]);
  });
  it("names the bad option or value", () => {
    expect(() => parseCommandArgs(cmd, ["--epochs"])).toThrow(/^option --epochs needs a value$/);
    expect(() => parseCommandArgs(cmd, ["--resume=1"])).toThrow(/^option --resume takes no value$/);
    expect(() => parseCommandArgs(cmd, ["extra"])).toThrow(/^unexpected argument "extra"$/);
    const a = parseCommandArgs(cmd, ["--epochs", "2.5"]);
    if (a === "help") throw new Error("help");
    expect(() => a.number("epochs", { integer: true, min: 0, max: 10 })).toThrow(
      /^option --epochs must be 0 or a positive integer \(at most 10\), got 2\.5$/,
    );
    expect(() => a.number("epochs", { min: 3, max: 10 })).toThrow(UsageError);
  });
  it("suggests only close names", () => {
    expect(closest("epoch", ["epochs", "batch"])).toBe("epochs");
    expect(closest("zzz", ["epochs", "batch"])).toBeUndefined();
    expect(closest("prop-bit", ["prop-bits", "update-bits", "radix-point"])).toBe("prop-bits");
    expect(closest("table3", ["table2", "formats"])).toBe("table2");
  });
  it("edit distance: insertions, deletions and substitutions count 1 each", () => {
    expect(editDistance("", "")).toBe(0);
    expect(editDistance("abc", "abc")).toBe(0);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("abc", "")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("table3", "table2")).toBe(1);
    expect(editDistance("prop-bit", "prop-bits")).toBe(1);
    expect(editDistance("flaw", "lawn")).toBe(2);
    // symmetric
    expect(editDistance("sitting", "kitten")).toBe(3);
  });
  it("an unknown name: the closest, else the known ones (and what else the argument may be)", () => {
    expect(unknownName("preset", "pi-mnst", ["pi-mnist", "svhn"])).toBe(
      'unknown preset "pi-mnst"; did you mean "pi-mnist"?',
    );
    expect(unknownName("preset", "foo", ["pi-mnist", "svhn"])).toBe('unknown preset "foo" (known: pi-mnist, svhn)');
    expect(unknownName("experiment", "zzz", ["table2"], "or a file")).toBe(
      'unknown experiment "zzz" (known: table2; or a file)',
    );
  });
  it("an unknown command is one line with a suggestion, exit 2", async () => {
    const r = await run(["trian"]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`lowprec: unknown command "trian" (did you mean train?); see 'lowprec help'`);
  });
});
