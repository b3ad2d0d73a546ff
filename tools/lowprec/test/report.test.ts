// The committed report is rebuilt from the committed results tables, byte for byte, and its numbers come
// from those tables: changing a CSV cell (and its record in provenance.json) changes the page.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const bin = new URL("../bin/lowprec.js", import.meta.url).pathname;
const reports = new URL("../../../reports", import.meta.url).pathname;

function report(out: string): void {
  const r = spawnSync(process.execPath, [bin, "report", "--out", out], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
}

describe("lowprec report", () => {
  it("rebuilds the committed reports/ from reports/results/ byte for byte", () => {
    expect(existsSync(join(reports, "results", "budget", "table2.csv"))).toBe(true);
    const out = mkdtempSync(join(tmpdir(), "lowprec-report-"));
    cpSync(join(reports, "results"), join(out, "results"), { recursive: true });
    report(out);
    const files = ["README.md", ...readdirSync(join(reports, "figures")).map((f) => join("figures", f))];
    expect(readdirSync(join(out, "figures")).sort()).toEqual(readdirSync(join(reports, "figures")).sort());
    for (const f of files) expect(readFileSync(join(out, f)).equals(readFileSync(join(reports, f))), f).toBe(true);
  }, 120_000);

  it("takes its numbers from the CSVs", () => {
    const out = mkdtempSync(join(tmpdir(), "lowprec-report-"));
    cpSync(join(reports, "results"), join(out, "results"), { recursive: true });
    const csv = join(out, "results", "budget", "table2.csv");
    const lines = readFileSync(csv, "utf8").split("\n");
    const cols = lines[0]!.split(",");
    // every float32 PI-MNIST run of the cell (its seeds) set to 12.34
    const at = lines.flatMap((l, i) => (l.includes(",pi-mnist,fp32,") && l.includes(",done,") ? [i] : []));
    expect(at.length).toBeGreaterThan(0);
    for (const i of at) {
      const cells = lines[i]!.split(",");
      cells[cols.indexOf("testError")] = "12.34";
      lines[i] = cells.join(",");
    }
    writeFileSync(csv, lines.join("\n"));
    // a table edited by hand no longer matches provenance.json: refused, naming it, until its record is updated
    const refused = spawnSync(process.execPath, [bin, "report", "--out", out], { encoding: "utf8" });
    expect(refused.stderr).toContain(`${csv}: does not match provenance.json`);
    const provenance = join(out, "results", "budget", "provenance.json");
    const p = JSON.parse(readFileSync(provenance, "utf8")) as {
      files: { name: string; bytes: number; sha256: string }[];
    };
    const rec = p.files.find((f) => f.name === "table2.csv")!;
    rec.bytes = readFileSync(csv).length;
    rec.sha256 = createHash("sha256").update(readFileSync(csv)).digest("hex");
    writeFileSync(provenance, JSON.stringify(p));
    report(out);
    const cell =
      at.length === 1
        ? "**12.34, n=1 (no interval)** (paper 1.05, +11.29)"
        : `**12.34 ± 0.00 [12.34, 12.34], n=${at.length}** (paper 1.05, +11.29)`;
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain(cell);
    expect(readFileSync(join(reports, "README.md"), "utf8")).not.toContain("12.34");
  }, 120_000);
});
