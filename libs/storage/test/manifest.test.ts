import { mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CorruptFileError,
  checkAgainst,
  digestOf,
  MANIFEST_NAME,
  ManifestWriter,
  readManifest,
  readSealed,
  readVerified,
  UnsealedError,
  verifyFolder,
  writeSealed,
} from "../src/index.js";
import { tempDir } from "./helpers.js";

const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const all = () => true;

/** A folder with a manifest written by hand (known digests), and the files it lists. */
function handMade(files: Record<string, unknown>, contents: Record<string, string>): string {
  const dir = tempDir("lowprec-manifest-");
  writeSealed(join(dir, MANIFEST_NAME), Buffer.from(JSON.stringify({ format: "lowprec-manifest-1", files })));
  for (const [name, text] of Object.entries(contents)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("folder manifests", () => {
  it("digestOf: length and SHA-256 of strings, bytes and chunks (known values)", () => {
    expect(digestOf("abc")).toEqual({ bytes: 3, sha256: ABC });
    expect(digestOf(new Uint8Array(0))).toEqual({ bytes: 0, sha256: EMPTY });
    expect(digestOf([Buffer.from("a"), Buffer.from("bc")])).toEqual({ bytes: 3, sha256: ABC });
  });

  it("checks a hand-made manifest against hand-made bytes", () => {
    const dir = handMade(
      { "a.json": { bytes: 3, sha256: ABC }, "sub/e.csv": { bytes: 0, sha256: EMPTY } },
      { "a.json": "abc", "sub/e.csv": "" },
    );
    expect(Buffer.from(readVerified(dir, "a.json")).toString()).toBe("abc");
    expect(verifyFolder(dir, all)).toEqual([]);
    writeFileSync(join(dir, "a.json"), "abd");
    expect(verifyFolder(dir, all)).toEqual([
      { file: "a.json", why: "SHA-256 mismatch: its bytes changed after it was written" },
    ]);
    expect(() => readVerified(dir, "a.json")).toThrow(`${join(dir, "a.json")} is corrupt: SHA-256 mismatch`);
    writeFileSync(join(dir, "a.json"), "ab");
    expect(verifyFolder(dir, all)[0]?.why).toBe(`2 bytes where ${MANIFEST_NAME} says 3 (truncated or appended to)`);
    rmSync(join(dir, "a.json"));
    expect(verifyFolder(dir, all)[0]?.why).toBe(`missing (${MANIFEST_NAME} lists 3 bytes)`);
    writeFileSync(join(dir, "a.json"), "abc");
    writeFileSync(join(dir, "extra.csv"), "x");
    writeFileSync(join(dir, ".hidden"), "x");
    expect(verifyFolder(dir, all)).toEqual([{ file: "extra.csv", why: `not listed in ${MANIFEST_NAME}` }]);
    expect(verifyFolder(dir, (n) => n.endsWith(".json"))).toEqual([]);
  });

  it("a pending entry accepts the file's previous bytes, or its absence when previous is null", () => {
    const entry = { bytes: 3, sha256: ABC, previous: { bytes: 0, sha256: EMPTY } };
    expect(checkAgainst(entry, Buffer.from("abc"))).toBeUndefined();
    expect(checkAgainst(entry, Buffer.from(""))).toBeUndefined();
    expect(checkAgainst(entry, Buffer.from("abd"))).toMatch(/SHA-256 mismatch/);
    expect(checkAgainst(entry, undefined)).toMatch(/missing/);
    expect(checkAgainst({ bytes: 3, sha256: ABC, previous: null }, undefined)).toBeUndefined();
    expect(checkAgainst(undefined, undefined)).toBeUndefined();
  });

  it("a folder without a manifest is unsealed; a damaged manifest is named", () => {
    const dir = tempDir("lowprec-manifest-");
    writeFileSync(join(dir, "a.json"), "abc");
    expect(verifyFolder(dir, all)).toEqual([
      { file: MANIFEST_NAME, why: "unsealed (written before run files were sealed)" },
    ]);
    expect(() => readVerified(dir, "a.json")).toThrow(UnsealedError);
    const sealed = handMade({ "a.json": { bytes: 3, sha256: ABC } }, { "a.json": "abc" });
    const m = join(sealed, MANIFEST_NAME);
    truncateSync(m, readFileSync(m).length - 5);
    expect(() => verifyFolder(sealed, all)).toThrow(CorruptFileError);
    expect(() => readVerified(sealed, "a.json")).toThrow(`${m} is corrupt`);
    const notManifest = handMade({}, {});
    writeSealed(join(notManifest, MANIFEST_NAME), Buffer.from("{}"));
    expect(() => readManifest(notManifest)).toThrow("not a lowprec-manifest-1 manifest");
  });

  it("the writer records a file before writing it, keeping the previous bytes as accepted until it settles", () => {
    const dir = tempDir("lowprec-manifest-");
    const w = ManifestWriter.open(dir);
    w.write("a.json", "abc");
    expect(readManifest(dir)).toEqual({ "a.json": { bytes: 3, sha256: ABC, previous: null } });
    w.write("b.csv", "");
    // a.json is done: its previous is dropped when the next file is recorded
    expect(readManifest(dir)).toEqual({
      "a.json": { bytes: 3, sha256: ABC },
      "b.csv": { bytes: 0, sha256: EMPTY, previous: null },
    });
    w.write("b.csv", "abc");
    expect(readManifest(dir)?.["b.csv"]).toEqual({ bytes: 3, sha256: ABC, previous: { bytes: 0, sha256: EMPTY } });
    w.settle();
    expect(readManifest(dir)?.["b.csv"]).toEqual({ bytes: 3, sha256: ABC });
    expect(verifyFolder(dir, all)).toEqual([]);
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe("abc");
    expect(Buffer.from(readSealed(join(dir, MANIFEST_NAME))).toString()).toContain('"format":"lowprec-manifest-1"');
  });

  it("a kill between the manifest write and the file write is not damage, and the next writer resolves it", () => {
    const dir = tempDir("lowprec-manifest-");
    const w = ManifestWriter.open(dir);
    w.write("a.json", "");
    w.settle();
    // step 1 of a write of "abc" only, as if killed before step 2
    const pending = { "a.json": { bytes: 3, sha256: ABC, previous: { bytes: 0, sha256: EMPTY } } };
    writeSealed(
      join(dir, MANIFEST_NAME),
      Buffer.from(JSON.stringify({ format: "lowprec-manifest-1", files: pending })),
    );
    expect(verifyFolder(dir, all)).toEqual([]);
    expect(readVerified(dir, "a.json")).toEqual(new Uint8Array(0));
    ManifestWriter.open(dir);
    expect(readManifest(dir)).toEqual({ "a.json": { bytes: 0, sha256: EMPTY } });
    // a first write killed before its file existed: the file may be absent
    const first = { "a.json": { bytes: 0, sha256: EMPTY }, "n.csv": { bytes: 3, sha256: ABC, previous: null } };
    writeSealed(join(dir, MANIFEST_NAME), Buffer.from(JSON.stringify({ format: "lowprec-manifest-1", files: first })));
    expect(verifyFolder(dir, all)).toEqual([]);
    ManifestWriter.open(dir);
    expect(readManifest(dir)).toEqual({ "a.json": { bytes: 0, sha256: EMPTY } });
    // the same pending entry with other bytes on disk stays damage
    writeSealed(
      join(dir, MANIFEST_NAME),
      Buffer.from(JSON.stringify({ format: "lowprec-manifest-1", files: pending })),
    );
    writeFileSync(join(dir, "a.json"), "xyz");
    ManifestWriter.open(dir);
    expect(verifyFolder(dir, all)).toEqual([
      { file: "a.json", why: "SHA-256 mismatch: its bytes changed after it was written" },
    ]);
  });
});
