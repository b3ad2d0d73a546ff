import { describe, expect, it, vi } from "vitest";
import { main } from "../src/cli.js";
import { parseFormat } from "../src/commands/formats.js";

function capture(): { out: string[]; err: string[]; restore: () => void } {
  const out: string[] = [],
    err: string[] = [];
  const a = vi.spyOn(console, "log").mockImplementation((...m: unknown[]) => {
    out.push(m.join(" "));
  });
  const b = vi.spyOn(console, "error").mockImplementation((...m: unknown[]) => {
    err.push(m.join(" "));
  });
  return {
    out,
    err,
    restore: () => {
      a.mockRestore();
      b.mockRestore();
    },
  };
}

describe("lowprec formats", () => {
  it("parses format specs", () => {
    expect(parseFormat("binary16").name).toBe("binary16");
    expect(parseFormat("e4m3")).toMatchObject({ kind: "float", exponent: 4, mantissa: 3 });
    expect(parseFormat("fixed20.5")).toMatchObject({ kind: "fixed", bits: 20, integerBits: 5 });
    expect(parseFormat("dfxp10")).toMatchObject({ kind: "dynamic-fixed", bits: 10 });
    expect(() => parseFormat("posit8")).toThrow(/unknown format "posit8"/);
  });
  it("rounds values and prints their codes", async () => {
    const c = capture();
    try {
      expect(await main(["formats", "--format", "binary16", "--value", "0.1,65520,-0"])).toBe(0);
    } finally {
      c.restore();
    }
    expect(c.out[1]).toMatch(/0\.1 → 0\.0999755859375\s+0010111001100110/);
    expect(c.out[2]).toMatch(/65520 → Infinity\s+0111110000000000/);
    expect(c.out[3]).toMatch(/-0 → -0\s+1000000000000000/);
  });
  it("reports a usage error with exit code 2, an impossible format with 1, each in one line", async () => {
    const c = capture();
    let codes: number[];
    try {
      codes = [await main(["formats", "--format", "posit8"]), await main(["formats", "--format", "fixed20.40"])];
    } finally {
      c.restore();
    }
    expect(codes).toEqual([2, 1]);
    expect(c.err[0]).toMatch(/^lowprec formats: unknown format "posit8"/);
    expect(c.err[1]).toBe(
      "lowprec formats: invalid fixed integerBits: 40 integer bits do not fit in 20 bits" +
        " (at most 19: one bit is the sign)",
    );
  });
});

describe("the installed command", () => {
  it("bin/lowprec.js runs the built CLI and passes its exit code on", async () => {
    const { spawnSync } = await import("node:child_process");
    const bin = new URL("../bin/lowprec.js", import.meta.url).pathname;
    const ok = spawnSync(process.execPath, [bin, "help"], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^usage: lowprec <command>/);
    const bad = spawnSync(process.execPath, [bin, "nope"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command "nope"/);
  });
});
