import { appendFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CorruptFileError, readSealed, sha256Hex, writeSealed } from "../src/index.js";
import { tempDir } from "./helpers.js";

function sealed(): { path: string; payload: Uint8Array } {
  const path = join(tempDir(), "checkpoint.bin");
  const payload = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256);
  writeSealed(path, payload);
  return { path, payload };
}

function corruption(path: string): CorruptFileError {
  try {
    readSealed(path);
  } catch (e) {
    expect(e).toBeInstanceOf(CorruptFileError);
    expect((e as CorruptFileError).path).toBe(path);
    expect((e as Error).message.startsWith(`${path} is corrupt: `)).toBe(true);
    return e as CorruptFileError;
  }
  throw new Error("readSealed accepted a damaged file");
}

describe("sealed files", () => {
  it("sha256Hex of a string and of bytes", () => {
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex(new TextEncoder().encode("abc"))).toBe(sha256Hex("abc"));
  });

  it("round-trips the payload exactly, empty payload included", () => {
    const { path, payload } = sealed();
    expect(readSealed(path)).toEqual(payload);
    const empty = join(tempDir(), "empty");
    writeSealed(empty, new Uint8Array(0));
    expect(readSealed(empty)).toEqual(new Uint8Array(0));
  });

  it("a flipped byte in the payload is a checksum mismatch", () => {
    const { path } = sealed();
    const b = readFileSync(path);
    b[500]! ^= 0x10;
    writeFileSync(path, b);
    expect(corruption(path).message).toMatch(/SHA-256 mismatch/);
  });

  it("a truncated file has no trailer at its end", () => {
    const { path } = sealed();
    truncateSync(path, 900);
    expect(corruption(path).message).toMatch(/no seal trailer|garbled/);
    truncateSync(path, 10);
    corruption(path);
  });

  it("appended garbage is named as such", () => {
    const { path } = sealed();
    appendFileSync(path, "garbage");
    expect(corruption(path).message).toMatch(/7 bytes were appended after its seal/);
  });

  it("a damaged trailer (length or checksum field) is refused", () => {
    const { path } = sealed();
    const text = readFileSync(path);
    const lengthField = Buffer.from(text);
    const at = lengthField.lastIndexOf("bytes=") + "bytes=".length + 15;
    lengthField[at] = "7".charCodeAt(0);
    writeFileSync(path, lengthField);
    expect(corruption(path).message).toMatch(/its seal says/);
    const garbled = Buffer.from(text);
    garbled[garbled.length - 3] = "Z".charCodeAt(0);
    writeFileSync(path, garbled);
    expect(corruption(path).message).toMatch(/garbled/);
  });

  it("a file that is not sealed at all", () => {
    const path = join(tempDir(), "plain.json");
    writeFileSync(path, '{"a":1}');
    expect(corruption(path).message).toMatch(/no seal trailer/);
  });

  it("a missing file is an error naming it, not a CorruptFileError", () => {
    const path = join(tempDir(), "none");
    expect(() => readSealed(path)).toThrow(`${path}: no such file or folder`);
    expect(() => readSealed(path)).not.toThrow(CorruptFileError);
  });
});
