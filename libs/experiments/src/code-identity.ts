/**
 * The identity of the code a process trains with. Two clones of the repository (one with a constant edited)
 * that share a queue and a result store must not pass each other's runs off as their own, and the commit a run
 * records must be the one of the code that ran, not of whatever checkout the shell happens to be in.
 *
 * fingerprint: SHA-256 over the sorted list of (path relative to its package, bytes) of every built file the
 * training code runs: `dist/**\/*.js` of @lowprec/formats, tensor, storage, datasets, precision, maxout and
 * experiments (each package found from this module's own location, never from the cwd), plus the native addon when
 * it is built. The presets and every other constant live in those dist files; none of these packages reads a data
 * file of its own while training (the experiment definitions and table2.json are read by the enqueuer and the
 * report, and the datasets' files are recorded with their SHA-256 in each run's data.json). Source maps and
 * .d.ts files are left out: they do not run.
 *
 * commit, dirty: `git -C <this package's directory>` (rev-parse HEAD; status --porcelain --untracked-files=no),
 * "unknown" and false outside a git checkout. A dirty tree or an unbuilt edit is why the fingerprint, not the
 * commit, is what resumes and queue workers compare.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface CodeIdentity {
  /** SHA-256 (hex) of the built code (see the module comment) */
  readonly fingerprint: string;
  /** the commit of the checkout this package lives in, or "unknown" */
  readonly commit: string;
  /** whether that checkout has uncommitted changes to tracked files */
  readonly dirty: boolean;
}

/** The packages whose built code a training run executes. */
export const FINGERPRINTED_PACKAGES = [
  "@lowprec/formats",
  "@lowprec/tensor",
  "@lowprec/storage",
  "@lowprec/datasets",
  "@lowprec/precision",
  "@lowprec/maxout",
  "@lowprec/experiments",
] as const;

const ADDON = join("native", "build", "Release", "lowprec_tensor.node");

/** The folder holding the package.json named `name`, at or above `from`. */
function packageRootAbove(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const p = join(dir, "package.json");
    if (existsSync(p)) {
      try {
        if ((JSON.parse(readFileSync(p, "utf8")) as { name?: unknown }).name === name) return dir;
      } catch {
        // not this one
      }
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** This package's own folder (from src/ under vitest or dist/ when built alike). */
export function experimentsRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = packageRootAbove(here, "@lowprec/experiments");
  if (!root) throw new Error(`${here}: no package.json of @lowprec/experiments above this module`);
  return root;
}

/** Where each fingerprinted package lives, as Node resolves it from this package (symlinks resolved). */
export function packageRoots(): Map<string, string> {
  const own = experimentsRoot();
  const require = createRequire(join(own, "package.json"));
  const roots = new Map<string, string>();
  for (const name of FINGERPRINTED_PACKAGES) {
    if (name === "@lowprec/experiments") {
      roots.set(name, own);
      continue;
    }
    let entry: string;
    try {
      entry = require.resolve(name);
    } catch {
      // NOTE: not a direct dependency (formats): npm workspaces hoist it, but go through maxout to be sure.
      const maxout = roots.get("@lowprec/maxout") ?? dirname(require.resolve("@lowprec/maxout"));
      entry = createRequire(join(maxout, "package.json")).resolve(name);
    }
    const root = packageRootAbove(dirname(entry), name);
    if (!root) throw new Error(`${entry}: no package.json of ${name} above it`);
    roots.set(name, root);
  }
  return roots;
}

function jsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...jsFiles(p));
    else if (e.isFile() && e.name.endsWith(".js")) out.push(p);
  }
  return out;
}

/** The fingerprint of the built code of `roots` (package name → folder); see the module comment. */
export function fingerprintOf(roots: ReadonlyMap<string, string>): string {
  const files: { key: string; path: string }[] = [];
  for (const [name, root] of roots) {
    const dist = join(root, "dist");
    const found = jsFiles(dist);
    if (found.length === 0) throw new Error(`${dist}: no built code (npm run build)`);
    for (const p of found) files.push({ key: `${name}/${relative(root, p).split(sep).join("/")}`, path: p });
    const addon = join(root, ADDON);
    if (name === "@lowprec/tensor" && existsSync(addon)) files.push({ key: `${name}/${ADDON}`, path: addon });
  }
  files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const h = createHash("sha256");
  for (const f of files) {
    const bytes = readFileSync(f.path);
    // NOTE: name and length before the bytes, so no two different file lists hash the same stream.
    h.update(`${f.key}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest("hex");
}

/** The commit and dirtiness of the git checkout holding `dir` ("unknown", false outside one). */
export function gitState(dir: string): { commit: string; dirty: boolean } {
  try {
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: "pipe" }).trim();
    const commit = git("rev-parse", "HEAD");
    return { commit, dirty: git("status", "--porcelain", "--untracked-files=no") !== "" };
  } catch {
    return { commit: "unknown", dirty: false };
  }
}

let cached: CodeIdentity | undefined;

/** This process's code identity, computed once (the files are read at the first call). */
export function codeIdentity(): CodeIdentity {
  if (!cached) {
    const fingerprint = fingerprintOf(packageRoots());
    cached = { fingerprint, ...gitState(experimentsRoot()) };
  }
  return cached;
}

/** `<sha>` or `<sha>+dirty`: the commit as config.json's gitCommit field has always written it. */
export function commitLabel(code: Pick<CodeIdentity, "commit" | "dirty">): string {
  return code.dirty ? `${code.commit}+dirty` : code.commit;
}

/** A fingerprint and commit in a message: 12 hex digits of each. */
export function describeCode(code: Partial<CodeIdentity> | undefined): string {
  if (!code?.fingerprint) return "unknown code (recorded before runs carried a code fingerprint)";
  const commit =
    code.commit && code.commit !== "unknown"
      ? `commit ${code.commit.slice(0, 12)}${code.dirty ? "+dirty" : ""}`
      : "no git commit";
  return `code ${code.fingerprint.slice(0, 12)} (${commit})`;
}
