/**
 * `lowprec formats --value/--integer-bits/--rounding stochastic --seed`: every item checked, every draw seeded; and
 * MX formats: `--block`, `--values-file`, `--json`.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mx, MX_PRESETS, quantizeMx, randomBits } from "@lowprec/formats";
import { describe, expect, it, vi } from "vitest";
import { EXIT, UsageError, parseCommandArgs } from "../src/command.js";
import { acceptedFormats, command, parseFormat } from "../src/commands/formats.js";

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

/** A values file in a fresh folder: its path. */
function valuesFile(text: string, name = "values.txt"): string {
  const path = join(mkdtempSync(join(tmpdir(), "lowprec-formats-")), name);
  writeFileSync(path, text);
  return path;
}

describe("lowprec formats --format MX", () => {
  it("names the MX presets among the accepted formats, and parses them", () => {
    for (const name of ["mxfp8e4m3", "mxfp8e5m2", "mxfp6e3m2", "mxfp6e2m3", "mxfp4e2m1", "mxint8"]) {
      expect(acceptedFormats()).toContain(name);
      expect(parseFormat(name)).toMatchObject({ kind: "mx", name, block: 32 });
    }
    expect(() => parseFormat("mxfp4")).toThrow(/unknown format "mxfp4" \(did you mean "mxfp4e2m1"\?\)/);
  });

  it("rounds blocks of --block values, one scale each, and prints every element's code", async () => {
    // block 1: max 7, scale 2^(2 − 2); 0.1 flushes, −0.3 → −0.5, 7 saturates at 6. Block 2 holds a NaN: all NaN.
    const r = await formats("--format", "mxfp4e2m1", "--block", "3", "--value", "0.1,-0.3,7,0,NaN,1");
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^MX: blocks of 3 fp4e2m1 elements sharing one E8M0 scale .* ≈6\.667 bits per element/);
    expect(r.out.slice(1)).toEqual([
      "block 1 of 2: scale 2^0 (E8M0 01111111), 1 saturated, 1 flushed to zero",
      "           0.1 → 0                      0000",
      "          -0.3 → -0.5                   1001",
      "             7 → 6                      0111",
      "block 2 of 2: scale NaN (E8M0 11111111): a NaN or an infinity among its values, or its maximum beyond the" +
        " scale's 2^127: all NaN",
      "             0 → NaN                    -",
      "           NaN → NaN                    -",
      "             1 → NaN                    -",
    ]);
  });

  it("--json: the format, the block, each block's scale exponent (null for NaN) and every decoded value", async () => {
    const r = await formats("--format", "mxfp4e2m1", "--block", "3", "--value", "0.1,-0.3,7,0,NaN,1", "--json");
    expect([r.code, r.out]).toEqual([
      0,
      ['{"format":"mxfp4e2m1","block":3,"scales":[0,null],"decoded":[0,-0.5,6,null,null,null]}'],
    ]);
    // blocks of 32 by default; INT8: max 1.5 → 2^(0 − 0); 0.3 → 19/64; −0.001 → −0 only in a float element: 0 here
    const int8 = await formats("--format", "mxint8", "--value", "1.5,0.3,-0.001", "--json");
    expect(JSON.parse(int8.out[0]!)).toEqual({
      format: "mxint8",
      block: 32,
      scales: [0],
      decoded: [1.5, 19 / 64, 0],
    });
    // a float element keeps −0; JSON has it
    const e4 = await formats("--format", "mxfp8e4m3", "--value", "448,-0.0001", "--json");
    expect(e4.out[0]).toBe('{"format":"mxfp8e4m3","block":32,"scales":[0],"decoded":[448,-0]}');
    expect(Object.is((JSON.parse(e4.out[0]!) as { decoded: number[] }).decoded[1], -0)).toBe(true);
  });

  it("stochastic rounding: value i uses draw i of --seed's stream, as the library's quantizeMx", async () => {
    const xs = Array.from({ length: 40 }, (_, i) => Math.sin(i + 1) * 3);
    const want = quantizeMx(Float64Array.from(xs), mx(MX_PRESETS.mxfp4e2m1!.element, { block: 8 }), {
      rounding: "stochastic",
      rng: { seed: 7, counter: 0 },
    });
    const r = await formats(
      ...["--format", "mxfp4e2m1", "--block", "8", "--rounding", "stochastic", "--seed", "7", "--json"],
      ...["--value", xs.join(",")],
    );
    const got = JSON.parse(r.out[0]!) as { scales: number[]; decoded: number[] };
    expect(got.decoded).toEqual(Array.from(want.out));
    expect(got.scales).toEqual(Array.from(want.scales, (c) => c - 127));
  });

  it("lists the MX presets without --format, and describes one without values", async () => {
    const all = await formats();
    expect(all.out.filter((l) => l.startsWith("mx"))).toHaveLength(6);
    const one = await formats("--format", "mxint8", "--block", "64");
    expect([one.code, one.out.length]).toEqual([0, 1]);
    expect(one.out[0]).toMatch(/^MX: blocks of 64 int8 elements .* 8\.125 bits per element/);
  });

  it("--block: a positive integer, for MX formats only; --json: for MX formats, with values", async () => {
    for (const [block, got] of [
      ["0", "0"],
      ["1.5", "1.5"],
      ["-2", "-2"],
      ["x", '"x"'],
    ]) {
      const r = await formats("--format", "mxint8", "--block", block!, "--value", "1");
      expect([r.code, r.err[0]]).toEqual([
        2,
        `option --block must be a positive integer (at most 1048576), got ${got}`,
      ]);
    }
    const notMx = await formats("--format", "binary16", "--block", "4", "--value", "1");
    expect([notMx.code, notMx.err[0]]).toEqual([
      2,
      "--block: binary16 is not an MX format; only MX formats share a scale per block of values",
    ]);
    const json = await formats("--format", "fixed20.5", "--json", "--value", "1");
    expect([json.code, json.err[0]]).toEqual([
      2,
      "--json: it prints MX blocks (their scales and values); fixed20.5 is not an MX format",
    ]);
    const bare = await formats("--format", "mxint8", "--json");
    expect([bare.code, bare.err[0]]).toEqual([2, "--json: it prints rounded values: give --value or --values-file"]);
    const ib = await formats("--format", "mxint8", "--integer-bits", "3", "--value", "1");
    expect([ib.code, ib.err[0]]).toEqual([2, "--integer-bits: mxint8 sets each block's scale from its values"]);
    const alone = await formats("--block", "4");
    expect([alone.code, alone.err[0]]).toEqual([2, "--block: they need --format"]);
  });
});

describe("lowprec formats --values-file", () => {
  it("reads one number per line (spaces, CRLF and a final newline allowed), for every kind of format", async () => {
    const file = valuesFile(" 0.1\r\n-0.3\n7\n0\nNaN\n1\n");
    const fromFile = await formats("--format", "mxfp4e2m1", "--block", "3", "--values-file", file, "--json");
    const fromList = await formats("--format", "mxfp4e2m1", "--block", "3", "--value", "0.1,-0.3,7,0,NaN,1", "--json");
    expect(fromFile).toEqual(fromList);
    const half = await formats("--format", "binary16", "--values-file", valuesFile("65520\n-0.1\n"));
    expect(half.code).toBe(0);
    expect(half.out.slice(1).map((l) => /→ (\S+)/.exec(l)![1])).toEqual(["Infinity", "-0.0999755859375"]);
  });

  it("a bad line is one line naming the file and the line (exit 1), before anything is printed", async () => {
    for (const [text, why] of [
      ["1\n2\nabc\n", 'line 3: "abc" is not a number'],
      ["1\n\n2\n", "line 2 is empty (one number per line)"],
      ["1,2\n", 'line 1: "1,2" is not a number'],
      ["0x10\n", 'line 1: "0x10" is not a number'],
      ["", "no values (one number per line)"],
    ] as const) {
      const file = valuesFile(text);
      const r = await formats("--format", "mxint8", "--values-file", file);
      expect([r.code, r.err[0], r.out]).toEqual([1, `${file}: ${why}`, []]);
    }
    const missing = join(tmpdir(), "lowprec-no-such-dir", "values.txt");
    const r = await formats("--format", "mxint8", "--values-file", missing);
    expect([r.code, r.err[0]]).toEqual([1, `${missing}: no such values file`]);
  });

  it("is refused together with --value", async () => {
    const r = await formats("--format", "mxint8", "--values-file", valuesFile("1\n"), "--value", "1");
    expect([r.code, r.err[0]]).toEqual([2, "--value, --values-file: give the values one way, not both"]);
  });
});
