// The command line's gaps a newcomer met (issue 23, item 5), each first reproduced on main: an unknown experiment
// (`lowprec results table3`, `lowprec sweep prop-bit`) exited 1 with no --help pointer; `train --epochs -1` said
// "needs a value" (then "reads as an option; write --epochs=-1", which was refused in turn); `formats --format
// fixed20` said only `unknown format "fixed20"`; a user could not run their own definition file by path. Here:
// - unknown experiments, presets and choices: exit 2, the closest name by edit distance, the --help pointer;
// - every integer option of every command: a negative, zero where zero means nothing, or a word is one line
//   "option --X must be ..., got V", exit 2 (a detached negative too);
// - formats lists the accepted spellings from the parser's own table;
// - `lowprec sweep|results PATH.json`: the example file runs (dry run), a bad field names the file and the field,
//   a missing file names the path, a shipped experiment's name is refused.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { experimentNames } from "@lowprec/experiments";
import { runInProcess } from "./in-process.js";
import { describeRange, type NumberOpts } from "../src/command.js";
import { acceptedFormats, FORMAT_SPELLINGS, parseFormat } from "../src/commands/formats.js";
import { SEEDS_RANGE } from "../src/commands/sweep.js";
import { RANGES } from "../src/commands/train.js";
import { JOBS_RANGE } from "../src/commands/worker.js";
import { lowprec } from "./lowprec.js";

const root = mkdtempSync(join(tmpdir(), "lowprec-usage-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const example = new URL("../../../libs/experiments/examples/my-experiment.json", import.meta.url).pathname;

const run = runInProcess;

/** A usage error: exit 2, the message, then the pointer to the command's --help. */
async function usage(argv: string[], message: string): Promise<void> {
  const r = await run(argv);
  expect(r.code, r.err).toBe(2);
  expect(r.err.split("\n"), argv.join(" ")).toEqual([
    `lowprec ${argv[0]}: ${message}`,
    `see 'lowprec ${argv[0]} --help'`,
  ]);
}

describe("unknown names: exit 2, the closest name, the --help pointer", () => {
  it("experiments (results, sweep, reproduce --experiments)", async () => {
    await usage(["results", "table3"], 'unknown experiment "table3"; did you mean "table2"?');
    await usage(["sweep", "prop-bit"], 'unknown experiment "prop-bit"; did you mean "prop-bits"?');
    await usage(["sweep", "updat-bits", "--dry-run"], 'unknown experiment "updat-bits"; did you mean "update-bits"?');
    await usage(
      ["sweep", "zzz"],
      `unknown experiment "zzz" (known: ${experimentNames().join(", ")}; or a definition file: a path ending in .json)`,
    );
    await usage(
      ["reproduce", "--experiments", "table2,radix"],
      'option --experiments: unknown experiment "radix"; did you mean "radix-point"?',
    );
  });

  it("presets, precisions and choices", async () => {
    await usage(
      ["train", "--preset", "foo"],
      'option --preset: unknown preset "foo" (known: pi-mnist, mnist-conv, cifar10, svhn, vit-mnist, vit-cifar10)',
    );
    await usage(
      ["train", "--preset", "pi-mnst"],
      'option --preset: unknown preset "pi-mnst"; did you mean "pi-mnist"?',
    );
    await usage(["train", "--precision", "dfx"], 'option --precision: unknown precision "dfx"; did you mean "dfxp"?');
    await usage(
      ["report", "--variant", "smoek"],
      'option --variant: expected paper, budget, long, images, smoke; got "smoek"; did you mean "smoke"?',
    );
  });

  it("a variant the experiment does not have, and an --only that matches no run", async () => {
    await usage(
      ["sweep", "table2", "--variant", "long"],
      "--variant long: table2 has no long variant (it has: paper, budget, images, smoke)",
    );
    await usage(
      ["results", example],
      "--variant budget (the default): my-experiment has no budget variant (it has: smoke); --variant smoke",
    );
    await usage(
      ["sweep", "table2", "--variant", "smoke", "--only", "dataset=svhn", "--dry-run"],
      "option --only: no run of table2/smoke matches dataset=svhn",
    );
  });
});

describe("integer options: one line naming the option, what it takes and the value, exit 2", () => {
  /** A value below the range: -1 for counts from 0, 0 for counts from 1, one below the least otherwise. */
  const below = (r: NumberOpts) => String(r.min === 0 ? -1 : r.min - 1);
  const shown = (name: string, r: NumberOpts, v: string) => `option --${name} must be ${describeRange(r)}, got ${v}`;

  it("the words: a positive integer, 0 or a positive integer, an integer from a to b", () => {
    expect(shown("epochs", RANGES.epochs, "-1")).toBe(
      "option --epochs must be 0 or a positive integer (at most 100000), got -1",
    );
    expect(shown("jobs", JOBS_RANGE, "0")).toBe("option --jobs must be a positive integer (at most 256), got 0");
    expect(shown("prop-bits", RANGES["prop-bits"], "1")).toBe(
      "option --prop-bits must be an integer from 2 to 32, got 1",
    );
    expect(describeRange(RANGES.lr)).toBe("a number from 0 to 100");
  });

  it("every integer option of train: below its range (detached or with =) and a word", async () => {
    const integer = Object.entries(RANGES).filter(([, r]) => "integer" in r && r.integer);
    expect(integer.length).toBeGreaterThan(8);
    for (const [name, r] of integer) {
      const v = below(r);
      // NOTE: dfxp takes every width and scale option, the MX settings --block
      const p = name === "block" ? "mxfp8" : "dfxp";
      await usage(["train", "--precision", p, `--${name}`, v], shown(name, r, v));
      await usage(["train", "--precision", p, `--${name}=${v}`], shown(name, r, v));
      await usage(["train", "--precision", p, `--${name}`, "ten"], shown(name, r, '"ten"'));
    }
  });

  it("sweep, reproduce, worker and formats", async () => {
    await usage(["sweep", "rounding", "--jobs", "-1"], shown("jobs", JOBS_RANGE, "-1"));
    await usage(["sweep", "rounding", "--jobs", "0"], shown("jobs", JOBS_RANGE, "0"));
    await usage(["sweep", "rounding", "--seeds", "0"], shown("seeds", SEEDS_RANGE, "0"));
    await usage(["sweep", "rounding", "--seeds", "-2"], shown("seeds", SEEDS_RANGE, "-2"));
    await usage(["reproduce", "--jobs", "0"], shown("jobs", JOBS_RANGE, "0"));
    await usage(["worker", "--queue", "redis://127.0.0.1:1", "--jobs", "-1"], shown("jobs", JOBS_RANGE, "-1"));
    await usage(
      ["worker", "--queue", "redis://127.0.0.1:1", "--lock-duration", "-1"],
      "option --lock-duration must be an integer from 1000 to 3600000, got -1",
    );
    await usage(
      ["formats", "--format", "dfxp10", "--integer-bits", "-65"],
      "option --integer-bits must be an integer from -64 to 64, got -65",
    );
    await usage(
      ["formats", "--format", "binary16", "--rounding", "stochastic", "--seed", "-1"],
      "option --seed must be 0 or a positive integer (at most 4294967295), got -1",
    );
    // a negative value in range goes through, detached or not
    for (const argv of [["--integer-bits", "-2"], ["--integer-bits=-2"]])
      expect((await run(["formats", "--format", "dfxp10", ...argv, "--value", "0.1"])).code).toBe(0);
  });
});

describe("lowprec formats --format: an unknown spelling lists the accepted ones", () => {
  it("from the parser's own table: every preset and every spelling, whose example parses", async () => {
    await usage(
      ["formats", "--format", "fixed20"],
      `unknown format "fixed20" (did you mean "fixed20.5"?); accepted: ${acceptedFormats()}`,
    );
    await usage(["formats", "--format", "posit8"], `unknown format "posit8"; accepted: ${acceptedFormats()}`);
    const list = acceptedFormats();
    for (const name of ["float32", "binary32", "binary16", "bfloat16", "fp8e4m3", "fp8e5m2"])
      expect(list).toContain(name);
    expect(FORMAT_SPELLINGS.map((f) => f.form)).toEqual(["eEmM", "fixedB.I", "dfxpB"]);
    for (const f of FORMAT_SPELLINGS) {
      expect(list).toContain(`${f.form} (e.g. ${f.example})`);
      expect(parseFormat(f.example).name).toBe(f.example);
    }
    expect((await run(["formats", "--help"])).out).toContain(acceptedFormats());
  });
});

describe("lowprec sweep|results PATH.json: a user's own definition file", () => {
  it("the example: a dry run lists its two runs under its own name; results reads it", () => {
    const data = join(root, "example-data");
    mkdirSync(data);
    const r = lowprec(["sweep", example, "--variant", "smoke", "--dry-run", "--data-dir", data]);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toMatch(/pi-mnist fp32 seed 1234: 1 epoch, to run/);
    expect(r.out).toMatch(/pi-mnist dfxp propagationBits=10 updateBits=12 seed 1234: 1 epoch, to run/);
    expect(r.out).toContain("my-experiment/smoke: 2 runs, 0 done, 2 to run");
    const res = lowprec(["results", example, "--variant", "smoke", "--data-dir", data]);
    expect(res.status, res.err).toBe(0);
    expect(res.out.split("\n")[0]).toBe(
      "my-experiment/smoke: float32 against dynamic fixed point 10/12 on PI-MNIST, one short run each",
    );
    expect(res.out.match(/\| not run/g)).toHaveLength(2);
  });

  it("a bad field is one line naming the file and the field (exit 1); a missing file names the path", () => {
    const bad = join(root, "bad.json");
    writeFileSync(bad, JSON.stringify({ name: "bad", title: "t", description: "d", datasets: ["mnist"] }));
    for (const argv of [
      ["sweep", bad, "--variant", "smoke", "--dry-run"],
      ["results", bad, "--variant", "smoke"],
    ]) {
      const cmd = argv[0]!;
      const r = lowprec(argv);
      expect(r.status).toBe(1);
      expect(r.err.trim()).toBe(
        `lowprec ${cmd}: ${bad}: datasets[0]: unknown dataset "mnist" ` +
          "(known: pi-mnist, mnist-conv, cifar10, svhn, vit-mnist)",
      );
    }
    const missing = join(root, "nowhere", "mine.json");
    const r = lowprec(["sweep", missing, "--dry-run"]);
    expect(r.status).toBe(1);
    expect(r.err.trim()).toBe(`lowprec sweep: ${missing}: no such definition file`);
    const word = lowprec(["results", "./mine"]);
    expect(word.err.trim()).toBe("lowprec results: ./mine: no such definition file");
  });

  it("a file that takes a shipped experiment's name is refused (its runs would mix with the shipped ones)", () => {
    const mine = join(root, "mine.json");
    writeFileSync(
      mine,
      JSON.stringify({
        name: "table2",
        title: "t",
        description: "d",
        datasets: ["pi-mnist"],
        settings: [{ name: "fp32", precision: "fp32" }],
        variants: { smoke: { description: "s", epochs: 1, trainLimit: 100 } },
      }),
    );
    const r = lowprec(["sweep", mine, "--variant", "smoke", "--dry-run"]);
    expect(r.status).toBe(1);
    expect(r.err.trim()).toBe(
      `lowprec sweep: ${mine}: name: "table2" is a shipped experiment's name (its runs are stored under ` +
        "results/table2/); give yours another",
    );
  });
});
