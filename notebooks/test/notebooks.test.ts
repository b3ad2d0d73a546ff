/**
 * The committed notebooks are executed, error-free, and current: each has outputs in every code cell and no
 * error output (tslab reports a thrown error or a type error on stderr), and re-executing it in quick mode
 * (into a temporary copy, with nbconvert and the repository's tslab kernel) gives the committed outputs: text,
 * Markdown, HTML and SVG byte for byte, PNG figures by pixel size. Nothing printed by the notebooks varies
 * between runs (no timings, no dates), so nothing is masked. After a change that moves an output, run
 * `npm run notebooks` and commit the notebooks it rewrites.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { executeNotebook, findPython, notebookFiles, textOutputs } from "../run.mjs";

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

      it("re-executes in quick mode to the committed outputs", { timeout: 600_000 }, () => {
        const run = executeNotebook(file, { mode: "quick", outputDir: scratch, allowErrors: true, env: cleanEnv() });
        expect(run.ok, `nbconvert failed on ${name}:\n${run.output.slice(-3000)}`).toBe(true);
        const now = textOutputs(run.written);
        const found = problems(now);
        expect(found, `${name} re-executed:\n${found.join("\n")}`).toEqual([]);
        const diff = firstDifference(textOutputs(file), now);
        expect(diff, `${name}: the committed outputs are stale; run \`npm run notebooks\`\n${diff}`).toBeUndefined();
      });
    });
  }
});
