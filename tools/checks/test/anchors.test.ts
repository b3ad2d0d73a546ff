/**
 * Every link to a markdown anchor points at one: `[text](#anchor)` at a heading (or `<a id>`) of the same file,
 * `[text](<file>.md#anchor)` at one of that file's. Anchors are GitHub's (anchors.ts). Which files: repo.ts.
 */
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { anchorLinks, anchors, headings, slug } from "./anchors.js";
import { type Finding, formatFindings, readText, repoFiles } from "./repo.js";

describe("markdown anchors", () => {
  it("are GitHub's: lower case, punctuation dropped, spaces as hyphens, repeats numbered", () => {
    expect(slug("2.1 The ten groups of a layer")).toBe("21-the-ten-groups-of-a-layer");
    expect(slug("6. The paper's tables, as transcribed")).toBe("6-the-papers-tables-as-transcribed");
    expect(slug("5.4 ZCA whitening (CIFAR-10)")).toBe("54-zca-whitening-cifar-10");
    expect(slug("`lowprec train` and [its flags](README.md)")).toBe("lowprec-train-and-its-flags");
    expect(slug("Übersicht: à la carte")).toBe("übersicht-à-la-carte");
    const md = ["# A", "## Notes", "```", "## not a heading", "```", "## Notes", '<a id="here"></a>'].join("\n");
    expect(headings(md).map((h) => h.anchor)).toEqual(["a", "notes", "notes-1"]);
    expect([...anchors(md)]).toEqual(["a", "notes", "notes-1", "here"]);
    const links = "[a](#notes) [b](README.md#x) `[c](#code)` [d](https://example.org/#y) [e](#h%C3%A9)";
    expect(anchorLinks(links)).toEqual([
      { line: 1, file: "", anchor: "notes" },
      { line: 1, file: "README.md", anchor: "x" },
      { line: 1, file: "", anchor: "hé" },
    ]);
  });

  it("every anchor link of every markdown file names an anchor of its target", () => {
    const files = repoFiles().filter((f) => f.endsWith(".md"));
    const cache = new Map<string, Set<string> | undefined>();
    const anchorsOf = (file: string) => {
      if (!cache.has(file)) {
        const text = files.includes(file) ? readText(file) : undefined;
        cache.set(file, text === undefined ? undefined : anchors(text));
      }
      return cache.get(file);
    };
    const findings: Finding[] = [];
    let checked = 0;
    for (const file of files) {
      for (const link of anchorLinks(readText(file) ?? "")) {
        const target = link.file === "" ? file : posix.normalize(posix.join(posix.dirname(file), link.file));
        const known = anchorsOf(target);
        checked++;
        if (known === undefined) findings.push({ file, line: link.line, what: `${target}: no such markdown file` });
        else if (!known.has(link.anchor))
          findings.push({ file, line: link.line, what: `#${link.anchor}: ${target} has no such heading or anchor` });
      }
    }
    expect(checked, "METHOD.md's contents alone link dozens of anchors").toBeGreaterThan(30);
    expect(findings.length, `broken anchor links:\n${formatFindings(findings)}`).toBe(0);
  });
});
