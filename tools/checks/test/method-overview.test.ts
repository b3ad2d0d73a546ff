/**
 * METHOD.md opens with its contents and a one-page overview: the contents link every section below, in order; the
 * overview's diagram of a training step rounds into exactly the ten groups that METHOD.md §2.1 lists in its table,
 * at their widths; the number line figure it shows is in the repository (its bytes are checked by
 * libs/report/test/method-figure.test.ts).
 */
import { describe, expect, it } from "vitest";
import { anchorLinks, headings } from "./anchors.js";
import { readText } from "./repo.js";

const METHOD = readText("METHOD.md") ?? "";
const lines = METHOD.split("\n");

/** The lines of the section that starts at the heading `title` (level 2) up to the next level-2 heading. */
function section(title: string): string[] {
  const start = lines.indexOf(`## ${title}`);
  expect(start, `METHOD.md has no "## ${title}"`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The groups of the table of METHOD.md §2.1: its first column's `name`s. */
function tableGroups(): string[] {
  return section("2. Dynamic fixed point").flatMap((l) => /^\| `(\w+)`\s+\|/.exec(l)?.[1] ?? []);
}

describe("METHOD.md's opening", () => {
  it("lists every section below its contents, in order, each once", () => {
    const all = headings(METHOD);
    const contents = all.findIndex((h) => h.level === 2 && h.text === "Contents");
    expect(contents).toBeGreaterThan(0);
    const below = all.slice(contents + 1).filter((h) => h.level <= 3);
    const linked = anchorLinks(section("Contents").join("\n")).map((l) => l.anchor);
    expect(linked).toEqual(below.map((h) => h.anchor));
    // the numbered sections keep their numbers, 1 to 9 at level 2, in order
    expect(below.filter((h) => h.level === 2).map((h) => h.text.split(".")[0])).toEqual([
      "Overview",
      "1",
      "2",
      "3",
      "4",
      "5",
      "6",
      "7",
      "8",
      "9",
    ]);
  });

  it("draws a training step whose roundings name exactly the ten groups of METHOD.md §2.1, at their widths", () => {
    const groups = tableGroups();
    expect(groups).toHaveLength(10);
    const overview = section("Overview").join("\n");
    const diagram = /```mermaid\n([\s\S]*?)\n```/.exec(overview)?.[1];
    expect(diagram, "the overview has a Mermaid diagram").toBeDefined();
    const text = diagram!.replace(/<br\/>/g, " ");
    const roundings = [...text.matchAll(/Q_([pu])\([^;]*;\s*(\w+)\)/g)].map((m) => ({ width: m[1]!, group: m[2]! }));
    expect(new Set(roundings.map((r) => r.group))).toEqual(new Set(groups));
    // only w and b are ever stored at the update width (Q_u); every group is rounded at the propagation width
    const updateWidth = new Set(roundings.filter((r) => r.width === "u").map((r) => r.group));
    expect(updateWidth).toEqual(new Set(["w", "b"]));
    expect(new Set(roundings.filter((r) => r.width === "p").map((r) => r.group))).toEqual(new Set(groups));
    // the prose under it lists the same ten groups
    const listed = /\*\*The ten groups\*\*[^:]*:([^(]*)\(/.exec(overview)?.[1] ?? "";
    expect([...listed.matchAll(/`(\w+)`/g)].map((m) => m[1])).toEqual(groups);
  });

  it("shows the number line figure, before the details", () => {
    const overview = section("Overview").join("\n");
    expect(overview).toContain("](figures/method-number-line.png)");
    expect(readText("figures/method-number-line.svg")).toContain("<svg");
    expect(lines.indexOf("## Overview")).toBeLessThan(lines.indexOf("## 1. Number formats"));
  });
});
