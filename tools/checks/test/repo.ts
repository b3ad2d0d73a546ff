/**
 * The repository as the checks see it: its root, its files and their text.
 *
 * Files are those git tracks plus untracked ones that .gitignore does not exclude (`git ls-files --cached
 * --others --exclude-standard`), so a new file is checked before its first commit; files deleted from the
 * working tree are skipped. package-lock.json is generated and never checked.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = execFileSync("git", ["rev-parse", "--show-toplevel"], {
  cwd: fileURLToPath(new URL(".", import.meta.url)),
  encoding: "utf8",
}).trim();

const SKIPPED = new Set(["package-lock.json"]);

/** Repository-relative paths (forward slashes), sorted. */
export function repoFiles(): string[] {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = new Set(listed.split("\0").filter((f) => f !== "" && !SKIPPED.has(f.split("/").pop()!)));
  return [...files].filter((f) => isFile(join(ROOT, f))).sort();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The text of a repository file, or undefined when it is binary (a NUL byte, or not valid UTF-8). */
export function readText(file: string): string | undefined {
  const bytes = readFileSync(join(ROOT, file));
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** One problem at one line, printed as `file:line: what`. */
export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly what: string;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.file}:${f.line}: ${f.what}`).join("\n");
}
