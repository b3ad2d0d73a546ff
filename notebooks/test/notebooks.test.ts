/**
 * The committed notebooks are executed, error-free, and current: each has outputs in every code cell and no
 * error output (tslab reports a thrown error or a type error on stderr), shows its execution counts (`In [1]`,
 * `In [2]` … in order) and a PNG beside every SVG figure (some renderers strip SVG), and re-executing it in quick mode
 * (into a temporary copy, with nbconvert and the repository's tslab kernel) gives the committed outputs: text,
 * Markdown, HTML and SVG byte for byte, PNG figures by pixel size. Nothing printed by the notebooks varies
 * between runs (no timings, no dates), so nothing is masked. After a change that moves an output, run
 * `npm run notebooks` and commit the notebooks it rewrites.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  executeNotebook,
  executionCounts,
  findPython,
  notebookFiles,
  notebookServerArgs,
  svgWithoutPng,
  textOutputs,
} from "../run.mjs";

const files = notebookFiles();
const scratch = mkdtempSync(join(tmpdir(), "lowprec-notebooks-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Environment of the re-execution: the committed outputs read the repository's stored results. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.LOWPREC_NOTEBOOK_RESULTS;
  delete env.LOWPREC_NOTEBOOK_MODE;
  return env;
}

type Cells = ReturnType<typeof textOutputs>;

/** Problems of an executed notebook: code cells without output, error outputs, stderr. */
function problems(cells: Cells): string[] {
  const out: string[] = [];
  for (const c of cells) {
    const where = `cell ${c.cell} (${c.source})`;
    if (c.outputs.length === 0) out.push(`${where}: no output (not executed?)`);
    for (const o of c.outputs)
      if (o.kind === "error" || o.kind === "stream:stderr") out.push(`${where}: ${o.kind}: ${o.text.slice(0, 600)}`);
  }
  return out;
}

/** The first difference between two executions, described; undefined when they agree. */
function firstDifference(committed: Cells, now: Cells): string | undefined {
  if (committed.length !== now.length) return `${committed.length} code cells committed, ${now.length} now`;
  for (let i = 0; i < committed.length; i++) {
    const [a, b] = [committed[i]!, now[i]!];
    const where = `cell ${a.cell} (${a.source})`;
    const kinds = (c: typeof a) => c.outputs.map((o) => o.kind).join(", ");
    if (kinds(a) !== kinds(b)) return `${where}: outputs [${kinds(a)}] committed, [${kinds(b)}] now`;
    for (let j = 0; j < a.outputs.length; j++) {
      const [x, y] = [a.outputs[j]!.text, b.outputs[j]!.text];
      if (x === y) continue;
      const [xl, yl] = [x.split("\n"), y.split("\n")];
      const k = xl.findIndex((line, n) => line !== yl[n]);
      const line = k < 0 ? xl.length : k;
      return (
        `${where}, output ${j} (${a.outputs[j]!.kind}), line ${line + 1}:\n` +
        `  committed: ${(xl[line] ?? "(end)").slice(0, 300)}\n  now:       ${(yl[line] ?? "(end)").slice(0, 300)}`
      );
    }
  }
  return undefined;
}

describe("npm run jupyter", () => {
  it("adds --allow-root as root, and says so; leaves a user's arguments alone", () => {
    expect(notebookServerArgs(["--open", "--port=9999"], 0)).toEqual({
      args: ["--port=9999", "--allow-root"],
      note: "running as root, so Jupyter is started with --allow-root (it refuses root without it)",
    });
    expect(notebookServerArgs(["--open", "--allow-root"], 0)).toEqual({ args: ["--allow-root"], note: undefined });
    expect(notebookServerArgs(["--open", "--full", "--port=9999"], 1000)).toEqual({
      args: ["--port=9999"],
      note: undefined,
    });
    expect(notebookServerArgs(["--open"], undefined)).toEqual({ args: [], note: undefined });
  });
});

describe("execution counts and figures of a notebook file", () => {
  const scratchFile = (cells: unknown[]) => {
    const path = join(scratch, `check-${Math.random().toString(36).slice(2)}.ipynb`);
    writeFileSync(path, JSON.stringify({ cells, metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    return path;
  };
  const code = (count: number | null, source = "1", outputs: unknown[] = []) => ({
    cell_type: "code",
    execution_count: count,
    source,
    outputs,
    metadata: {},
  });
  it("executionCounts: 1, 2, … over the non-empty code cells; null or out of order is named", () => {
    const md = { cell_type: "markdown", source: "x", metadata: {} };
    expect(executionCounts(scratchFile([md, code(1), code(null, " "), code(2)])).problems).toEqual([]);
    expect(executionCounts(scratchFile([code(null), code(null)])).problems).toEqual([
      "cell 0: execution count null, expected 1",
      "cell 1: execution count null, expected 2",
    ]);
    expect(executionCounts(scratchFile([md, code(2), code(1)])).problems).toEqual([
      "cell 1: execution count 2, expected 1",
      "cell 2: execution count 1, expected 2",
    ]);
  });
  it("svgWithoutPng: names an output holding an SVG and no PNG", () => {
    const svg = { output_type: "display_data", data: { "image/svg+xml": "<svg/>" }, metadata: {} };
    const both = {
      output_type: "display_data",
      data: { "image/svg+xml": "<svg/>", "image/png": "iVBO" },
      metadata: {},
    };
    const png = { output_type: "display_data", data: { "image/png": "iVBO" }, metadata: {} };
    expect(svgWithoutPng(scratchFile([code(1, "1", [both, png])]))).toEqual([]);
    expect(svgWithoutPng(scratchFile([code(1, "1", [png]), code(2, "1", [both, svg])]))).toEqual([
      "cell 1, output 1: an SVG without a PNG",
    ]);
  });
});

describe("notebooks", () => {
  it("there are notebooks, and Jupyter's nbconvert to run them", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(() => findPython()).not.toThrow();
  });

  for (const file of files) {
    const name = basename(file);
    describe(name, () => {
      it("is committed executed: every code cell has output, none is an error", () => {
        const found = problems(textOutputs(file));
        expect(found, `${name}:\n${found.join("\n")}\nrun \`npm run notebooks\``).toEqual([]);
      });

      it("shows its execution counts, 1, 2, … in order, as a fresh kernel numbers its cells", () => {
        const { counts, problems: found } = executionCounts(file);
        expect(counts.length).toBeGreaterThan(0);
        expect(found, `${name}:\n${found.join("\n")}\nrun \`npm run notebooks\``).toEqual([]);
      });

      it("has a PNG beside every SVG figure", () => {
        const found = svgWithoutPng(file);
        expect(found, `${name}:\n${found.join("\n")}\nshow figures with figureBundle (notebooks/README.md)`).toEqual(
          [],
        );
      });

      it("re-executes in quick mode to the committed outputs", { timeout: 600_000 }, () => {
        const run = executeNotebook(file, { mode: "quick", outputDir: scratch, allowErrors: true, env: cleanEnv() });
        expect(run.ok, `nbconvert failed on ${name}:\n${run.output.slice(-3000)}`).toBe(true);
        const now = textOutputs(run.written);
        const found = [...problems(now), ...executionCounts(run.written).problems];
        expect(found, `${name} re-executed:\n${found.join("\n")}`).toEqual([]);
        const diff = firstDifference(textOutputs(file), now);
        expect(diff, `${name}: the committed outputs are stale; run \`npm run notebooks\`\n${diff}`).toBeUndefined();
      });
    });
  }
});
