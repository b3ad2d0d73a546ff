/** `lowprec formats --value/--integer-bits/--rounding stochastic --seed`: every item checked, every draw seeded. */
import { randomBits } from "@lowprec/formats";
import { describe, expect, it, vi } from "vitest";
import { EXIT, UsageError, parseCommandArgs } from "../src/command.js";
import { command } from "../src/commands/formats.js";

/**
 * Runs `lowprec formats ...args` through the command itself (not the CLI's loader of every command): the exit
 * code (2 for a usage error, as the CLI maps it), stdout lines and the error's message.
 */
async function formats(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...m: unknown[]) => {
    out.push(m.join(" "));
  });
  try {
    const parsed = parseCommandArgs(command, args);
    if (parsed === "help") throw new Error("unexpected --help");
    return { code: await command.run(parsed), out, err: [] };
  } catch (e) {
    if (e instanceof UsageError) return { code: EXIT.usage, out, err: [e.message] };
    return { code: EXIT.failure, out, err: [e instanceof Error ? e.message : String(e)] };
  } finally {
    log.mockRestore();
  }
}

describe("lowprec formats --value", () => {
  for (const [list, position] of [
    [",1,,2", 1],
    ["1,,2", 2],
    ["1,2,", 3],
    ["1, ,2", 2],
  ] as const) {
    it(`"${list}": a usage error naming item ${position}, before anything is printed`, async () => {
      const r = await formats("--format", "fixed20.5", "--value", list);
      expect(r.code).toBe(2);
      expect(r.err[0]).toBe(`option --value: item ${position} is empty`);
      expect(r.out).toEqual([]);
    });
  }

  it("a non-number item is named, before anything is printed", async () => {
    const r = await formats("--format", "binary16", "--value", "1,abc");
    expect([r.code, r.err[0], r.out]).toEqual([2, 'option --value: "abc" is not a number', []]);
  });

  it("values are plain decimal: hex, a sign or spaces inside are not numbers", async () => {
    for (const v of ["0x10", "+1", "1 2", "0b1"]) {
      const r = await formats("--format", "binary16", "--value", v);
      expect([r.code, r.err[0]], v).toEqual([2, `option --value: "${v}" is not a number`]);
    }
  });
  it("NaN and Infinity are values", async () => {
    const r = await formats("--format", "binary16", "--value", "NaN,Infinity");
    expect(r.code).toBe(0);
    expect(r.out[1]).toMatch(/NaN → NaN/);
    expect(r.out[2]).toMatch(/Infinity → Infinity/);
  });
});

describe("lowprec formats --integer-bits", () => {
  it("is refused with a format that fixes its own radix point", async () => {
    for (const spec of ["fixed20.5", "binary16"]) {
      const r = await formats("--format", spec, "--integer-bits", "3", "--value", "1");
      expect(r.code).toBe(2);
      expect(r.err[0]).toMatch(new RegExp(`^--integer-bits: ${spec} fixes its own radix point`));
    }
  });

  it("places dynamic fixed point's radix point, 5 when not given (as its help says)", async () => {
    const three = await formats("--format", "dfxp10", "--integer-bits", "3", "--value", "0.3");
    expect(three.code).toBe(0);
    expect(three.out[0]).toMatch(/3 integer/);
    expect(three.out[1]).toMatch(/0\.3 → 0\.296875 /); // step 2^-6
    const byDefault = await formats("--format", "dfxp10", "--value", "0.3");
    expect(byDefault.code).toBe(0);
    expect(byDefault.out[0]).toMatch(/5 integer/);
    expect(byDefault.out[1]).toMatch(/0\.3 → 0\.3125 /); // step 2^-4
  });
});

describe("lowprec formats --rounding stochastic --seed", () => {
  // fixed4.1 has 2 fraction bits: 0.1 lies 0.4 of a step above 0, so it rounds up when draw < 0.4·2^32
  const expected = (seed: number, n: number) =>
    Array.from({ length: n }, (_, i) => (randomBits(seed, i) < 0.4 * 2 ** 32 ? "0.25" : "0"));
  const rounded = (out: string[]) => out.slice(1).map((l) => /→ (\S+)/.exec(l)![1]);
  const values = Array.from({ length: 24 }, () => "0.1").join(",");

  it("value i uses draw i of the stream of --seed (default 1)", async () => {
    const byDefault = await formats("--format", "fixed4.1", "--rounding", "stochastic", "--value", values);
    expect(byDefault.code).toBe(0);
    expect(rounded(byDefault.out)).toEqual(expected(1, 24));
    const seven = await formats("--format", "fixed4.1", "--rounding", "stochastic", "--seed", "7", "--value", values);
    expect(rounded(seven.out)).toEqual(expected(7, 24));
    expect(expected(7, 24)).not.toEqual(expected(1, 24));
    const again = await formats("--format", "fixed4.1", "--rounding", "stochastic", "--seed", "7", "--value", values);
    expect(again.out).toEqual(seven.out);
  });

  it("--seed without stochastic rounding, or not an integer, is a usage error", async () => {
    const alone = await formats("--format", "fixed4.1", "--seed", "2", "--value", "0.1");
    expect([alone.code, alone.err[0]]).toEqual([2, "--seed: only stochastic rounding draws random numbers"]);
    const bad = await formats("--format", "fixed4.1", "--rounding", "stochastic", "--seed", "1.5", "--value", "0.1");
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toBe("option --seed must be 0 or a positive integer (at most 4294967295), got 1.5");
  });
});
