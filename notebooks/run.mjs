#!/usr/bin/env node
/**
 * Executes the notebooks headless with Jupyter's nbconvert and the repository's tslab kernel
 * (jupyter/kernels/tslab), and writes the executed copies in place: `npm run notebooks [-- --full] [NAME...]`.
 *
 * Quick mode (the default) is what CI checks and what is committed; `--full` runs the longer versions. The mode
 * reaches the notebooks as LOWPREC_NOTEBOOK_MODE. The kernel runs with one compute thread and one BLAS thread and a
 * pinned OpenBLAS kernel (jupyter/kernels/tslab/kernel.json), so a notebook gives the same bits on every x86-64
 * machine with AVX2 (notebooks/README.md).
 *
 * The functions below are also what the notebooks test (notebooks/test/notebooks.test.ts) uses to re-execute them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const NOTEBOOKS_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = dirname(NOTEBOOKS_DIR);
const INSTALL_HINT =
  "install Jupyter's nbconvert (Debian/Ubuntu: sudo apt-get install jupyter-nbconvert jupyter-client " +
  "python3-ipykernel jupyter-core) and run `npm install` (tslab)";

/** The notebooks, sorted by name: every `*.ipynb` directly in notebooks/. */
export function notebookFiles() {
  return readdirSync(NOTEBOOKS_DIR)
    .filter((f) => f.endsWith(".ipynb"))
    .sort()
    .map((f) => join(NOTEBOOKS_DIR, f));
}

/**
 * The Python that has Jupyter's nbconvert: $LOWPREC_PYTHON, else the system's /usr/bin/python3 (Debian's Jupyter
 * packages install there; a pyenv or venv python3 first on PATH often lacks them), else python3 on PATH.
 * @returns {string}
 */
export function findPython() {
  const candidates = pythonCandidates();
  for (const python of candidates) {
    const probe = spawnSync(python, ["-c", "import nbconvert, nbclient, jupyter_client"], { stdio: "ignore" });
    if (probe.status === 0) return python;
  }
  throw new Error(`no Python with nbconvert found (tried ${candidates.join(", ")}): ${INSTALL_HINT}`);
}

/** Pythons to try, in order: $LOWPREC_PYTHON, /usr/bin/python3, python3 on PATH. */
function pythonCandidates() {
  const chosen = process.env.LOWPREC_PYTHON;
  return chosen ? [chosen, "/usr/bin/python3", "python3"] : ["/usr/bin/python3", "python3"];
}

/**
 * The environment of a run: the repository's kernel spec (JUPYTER_PATH), its node_modules/.bin on PATH (tslab),
 * the mode, and no debugger noise from ipykernel.
 * @param {"quick" | "full"} mode
 * @param {NodeJS.ProcessEnv} [base]
 */
export function jupyterEnv(mode, base = process.env) {
  const env = { ...base };
  env.JUPYTER_PATH = [join(REPO_ROOT, "jupyter"), base.JUPYTER_PATH].filter(Boolean).join(delimiter);
  env.PATH = [join(REPO_ROOT, "node_modules", ".bin"), base.PATH].filter(Boolean).join(delimiter);
  env.LOWPREC_NOTEBOOK_MODE = mode;
  env.PYDEVD_DISABLE_FILE_VALIDATION = "1";
  return env;
}

/**
 * Executes one notebook with nbconvert: in place, or into `outputDir` (the input is left alone). The kernel
 * starts in notebooks/, so the notebooks' relative paths (../reports, ../data) hold either way. Cells time out
 * after `timeoutSeconds` (default: 600 in quick mode, none in full mode; -1 = none).
 * @param {string} file the .ipynb
 * @param {{ mode?: "quick" | "full", outputDir?: string, allowErrors?: boolean, timeoutSeconds?: number,
 *   env?: NodeJS.ProcessEnv, python?: string }} [options]
 * @returns {{ ok: boolean, seconds: number, output: string, written: string }}
 */
export function executeNotebook(file, options = {}) {
  const mode = options.mode ?? "quick";
  const python = options.python ?? findPython();
  if (!existsSync(join(REPO_ROOT, "node_modules", ".bin", "tslab")))
    throw new Error(`tslab is not installed in node_modules: ${INSTALL_HINT}`);
  const args = [
    "-m",
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    "--ExecutePreprocessor.kernel_name=tslab",
    // a cell's time limit: 10 minutes in quick mode; none in full mode, whose training cells run for hours
    `--ExecutePreprocessor.timeout=${options.timeoutSeconds ?? (mode === "full" ? -1 : 600)}`,
    // no execution timestamps in the cells' metadata: the committed notebooks change only when outputs do
    "--ExecutePreprocessor.record_timing=False",
  ];
  if (options.allowErrors) args.push("--allow-errors");
  if (options.outputDir) args.push("--output-dir", options.outputDir);
  else args.push("--inplace");
  args.push(file);
  const started = performance.now();
  const run = spawnSync(python, args, {
    cwd: REPO_ROOT,
    env: jupyterEnv(mode, options.env),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const written = options.outputDir ? join(options.outputDir, basename(file)) : file;
  let output = `${run.stdout ?? ""}${run.stderr ?? ""}${run.error ? String(run.error) : ""}`;
  let ok = run.status === 0;
  if (ok) {
    const numbered = numberCells(python, written);
    ok = numbered.ok;
    output += numbered.output;
  }
  const seconds = (performance.now() - started) / 1000;
  return { ok, seconds, output, written };
}

/**
 * Python that numbers the executed code cells 1, 2, … in order (and any execute_result output with its cell), the
 * count a fresh kernel gives them: nbconvert executes every non-empty code cell once, top to bottom, in a new
 * kernel. nbclient 0.7 (Debian 12) copies a count only from an iopub message that carries one, and tslab puts its
 * count in the execute reply alone, so without this step every cell would show `In [ ]:`. Written back with
 * nbformat, as nbconvert writes, so nothing else in the file changes.
 */
const NUMBER_CELLS = `
import sys, nbformat
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
n = 0
for cell in nb.cells:
    if cell.cell_type != "code":
        continue
    if not cell.source.strip():
        cell.execution_count = None
        continue
    n += 1
    cell.execution_count = n
    for out in cell.outputs:
        if out.output_type == "execute_result":
            out.execution_count = n
nbformat.write(nb, path)
`;

/** Numbers the code cells of an executed notebook in place (NUMBER_CELLS). */
function numberCells(/** @type {string} */ python, /** @type {string} */ file) {
  const run = spawnSync(python, ["-c", NUMBER_CELLS, file], { encoding: "utf8" });
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}${run.error ? String(run.error) : ""}`;
  return { ok: run.status === 0, output: run.status === 0 ? output : `numbering the cells of ${file}: ${output}` };
}

/**
 * Execution counts of a notebook's code cells, in order (null where a cell has none), and the problems with them:
 * a committed notebook shows `In [1]`, `In [2]` … in order, as a fresh kernel numbers its non-empty cells.
 * @param {string} file
 * @returns {{ counts: (number | null)[], problems: string[] }}
 */
export function executionCounts(file) {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  /** @type {(number | null)[]} */
  const counts = [];
  /** @type {string[]} */
  const problems = [];
  let expected = 0;
  nb.cells.forEach((/** @type {any} */ c, /** @type {number} */ i) => {
    if (c.cell_type !== "code") return;
    const count = c.execution_count ?? null;
    counts.push(count);
    const source = Array.isArray(c.source) ? c.source.join("") : String(c.source ?? "");
    if (source.trim() === "") return;
    expected++;
    if (count !== expected) problems.push(`cell ${i}: execution count ${count}, expected ${expected}`);
  });
  return { counts, problems };
}

/**
 * Figure outputs that only some renderers show: every output holding an SVG must hold a PNG of it too (some
 * renderers strip SVG and would leave the figure blank). One line per offending output.
 * @param {string} file
 * @returns {string[]}
 */
export function svgWithoutPng(file) {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  /** @type {string[]} */
  const out = [];
  nb.cells.forEach((/** @type {any} */ c, /** @type {number} */ i) => {
    (c.outputs ?? []).forEach((/** @type {any} */ o, /** @type {number} */ j) => {
      const data = o.data ?? {};
      if ("image/svg+xml" in data && !("image/png" in data)) out.push(`cell ${i}, output ${j}: an SVG without a PNG`);
    });
  });
  return out;
}

/**
 * A notebook's outputs as text, cell by cell (code cells only), for comparison: streams as `stream:NAME`,
 * rich outputs by MIME type. Text, Markdown, HTML and SVG are kept whole; a PNG is reduced to its pixel size,
 * since its bytes depend on the machine's font rasteriser; an error output keeps its name and message.
 * @param {string} file
 * @returns {{ cell: number, source: string, outputs: { kind: string, text: string }[] }[]}
 */
export function textOutputs(file) {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  const join = (/** @type {string | string[]} */ v) => (Array.isArray(v) ? v.join("") : v);
  /** @type {{ cell: number, source: string, outputs: { kind: string, text: string }[] }[]} */
  const cells = [];
  nb.cells.forEach((/** @type {any} */ c, /** @type {number} */ i) => {
    if (c.cell_type !== "code") return;
    const outputs = [];
    for (const o of c.outputs ?? []) {
      if (o.output_type === "stream") outputs.push({ kind: `stream:${o.name}`, text: join(o.text) });
      else if (o.output_type === "error") outputs.push({ kind: "error", text: `${o.ename}: ${o.evalue}` });
      else
        for (const [mime, value] of Object.entries(o.data ?? {})) {
          if (mime === "image/png") outputs.push({ kind: mime, text: pngSize(join(value)) });
          else if (["text/plain", "text/markdown", "text/html", "image/svg+xml"].includes(mime))
            outputs.push({ kind: mime, text: join(value) });
        }
    }
    cells.push({ cell: i, source: join(c.source).split("\n")[0] ?? "", outputs });
  });
  return cells;
}

/**
 * The Notebook server's own arguments from `npm run jupyter -- …`: the runner's options (--open, --full) removed,
 * and --allow-root added when the user is root (uid 0), since Jupyter refuses to start as root without it; `note`
 * says so (undefined when nothing was added). `uid` is process.getuid() (undefined on Windows).
 * @param {readonly string[]} argv
 * @param {number | undefined} uid
 * @returns {{ args: string[], note: string | undefined }}
 */
export function notebookServerArgs(argv, uid) {
  const args = argv.filter((a) => a !== "--open" && a !== "--full");
  if (uid !== 0 || args.includes("--allow-root")) return { args, note: undefined };
  return {
    args: [...args, "--allow-root"],
    note: "running as root, so Jupyter is started with --allow-root (it refuses root without it)",
  };
}

/**
 * Starts the classic Jupyter Notebook server on notebooks/ with the repository's kernel (`npm run jupyter`).
 * @param {"quick" | "full"} mode
 */
function openJupyter(mode) {
  const python = pythonCandidates().find(
    (p) => spawnSync(p, ["-c", "import notebook, jupyter_client"], { stdio: "ignore" }).status === 0,
  );
  if (!python) {
    console.error(
      "notebooks: Jupyter Notebook is not installed (Debian/Ubuntu: sudo apt-get install jupyter-notebook); " +
        "without it, `npm run notebooks` executes the notebooks headless and writes their outputs in place.",
    );
    process.exit(1);
  }
  const { args, note } = notebookServerArgs(process.argv.slice(2), process.getuid?.());
  if (note) console.log(`notebooks: ${note}`);
  const run = spawnSync(python, ["-m", "notebook", `--notebook-dir=${NOTEBOOKS_DIR}`, ...args], {
    cwd: NOTEBOOKS_DIR,
    env: jupyterEnv(mode),
    stdio: "inherit",
  });
  process.exit(run.status ?? 1);
}

/** "W×H" of a base64 PNG (its IHDR chunk). */
function pngSize(/** @type {string} */ base64) {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length < 24 || bytes.toString("latin1", 12, 16) !== "IHDR") return "not a PNG";
  return `PNG ${bytes.readUInt32BE(16)}×${bytes.readUInt32BE(20)}`;
}

function main() {
  const args = process.argv.slice(2);
  if (args.includes("--help") || args.includes("-h")) {
    console.log(
      "usage: npm run notebooks [-- --full] [NAME...]     (node notebooks/run.mjs)\n" +
        "       npm run jupyter [-- --full]                (node notebooks/run.mjs --open)\n\n" +
        "Executes the notebooks of notebooks/ headless (nbconvert, tslab kernel) and writes them in place.\n" +
        "Quick mode (default): short runs, what CI checks and what is committed. --full: the longer runs.\n" +
        "NAME: notebooks to run (e.g. 01-pi-mnist); default: all.\n" +
        "--open: start Jupyter Notebook on notebooks/ with the repository's TypeScript kernel instead.",
    );
    return;
  }
  const mode = args.includes("--full") ? "full" : "quick";
  if (args[0] === "--open") return openJupyter(mode);
  const unknown = args.filter((a) => a.startsWith("-") && a !== "--full");
  if (unknown.length > 0) {
    console.error(`notebooks: unknown option ${unknown[0]} (see --help)`);
    process.exit(2);
  }
  const names = args.filter((a) => !a.startsWith("-"));
  const files = notebookFiles().filter(
    (f) => names.length === 0 || names.some((n) => basename(f, ".ipynb") === n || basename(f) === n),
  );
  if (files.length === 0) {
    console.error(`notebooks: no notebook matches ${names.join(", ")}`);
    process.exit(2);
  }
  let python;
  try {
    python = findPython();
  } catch (e) {
    console.error(`notebooks: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  if (process.env.LOWPREC_NOTEBOOK_RESULTS)
    console.log(
      `notebooks: stored results read from ${process.env.LOWPREC_NOTEBOOK_RESULTS} (LOWPREC_NOTEBOOK_RESULTS)`,
    );
  const version = execFileSync(python, ["-m", "nbconvert", "--version"], { encoding: "utf8" }).trim();
  console.log(`notebooks: ${files.length} in ${mode} mode (${python}, nbconvert ${version})`);
  let failed = 0;
  for (const file of files) {
    const r = executeNotebook(file, { mode, python });
    console.log(`${r.ok ? "ok    " : "FAILED"} ${basename(file)}  ${r.seconds.toFixed(1)} s`);
    if (!r.ok) {
      failed++;
      console.error(r.output.trim().split("\n").slice(-40).join("\n"));
    }
  }
  console.log(`notebooks: ${files.length - failed} ran, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
