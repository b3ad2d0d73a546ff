// Sums vitest's per-project "Tests  a failed | b passed | c skipped (n)" lines into one plain line.
import { readFileSync } from "node:fs";
const text = readFileSync(process.argv[2], "utf8").replace(/\x1b\[[0-9;]*m/g, "");
let passed = 0,
  failed = 0,
  skipped = 0,
  projects = 0;
for (const line of text.split("\n")) {
  const m = /^\s*Tests\s+(.*)\(\d+\)\s*$/.exec(line);
  if (!m) continue;
  projects++;
  for (const part of m[1].split("|")) {
    const p = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part);
    if (!p) continue;
    const n = Number(p[1]);
    if (p[2] === "passed") passed += n;
    else if (p[2] === "failed") failed += n;
    else skipped += n;
  }
}
console.log(`\n${projects} test projects`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
