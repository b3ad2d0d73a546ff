/**
 * Code keeps the 120-character line width of biome.json, including the long strings and comments that the
 * formatter does not wrap. Checked: every repository file (see repo.ts) ending in .ts, .mjs, .cjs, .js, .py,
 * .cc, .h or .sh. Length is counted in Unicode code points; there are no exemptions.
 */
import { describe, expect, it } from "vitest";
import { type Finding, formatFindings, readText, repoFiles } from "./repo.js";

export const MAX_LINE = 120;
const CODE = /\.(ts|mjs|cjs|js|py|cc|h|sh)$/;

export function longLines(file: string, text: string, max = MAX_LINE): Finding[] {
  const out: Finding[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const length = [...line].length;
    if (length > max) out.push({ file, line: i + 1, what: `${length} characters (max ${max})` });
  });
  return out;
}

describe("line length", () => {
  it("counts code points, not UTF-16 units or bytes", () => {
    expect(longLines("a.ts", `${"→".repeat(120)}\n${"x".repeat(121)}`)).toEqual([
      { file: "a.ts", line: 2, what: "121 characters (max 120)" },
    ]);
  });

  it(`every code line is at most ${MAX_LINE} characters`, () => {
    const findings: Finding[] = [];
    for (const file of repoFiles().filter((f) => CODE.test(f))) {
      const text = readText(file);
      if (text !== undefined) findings.push(...longLines(file, text));
    }
    expect(findings.length, `lines over ${MAX_LINE} characters:\n${formatFindings(findings)}`).toBe(0);
  });
});
