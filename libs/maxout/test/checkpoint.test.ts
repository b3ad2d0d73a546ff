/** The checkpoint verifies itself: exact length and SHA-256 over header and data; damage is a CheckpointError. */
import { describe, expect, it } from "vitest";
import { CHECKPOINT_MAGIC, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../src/index.js";

const arrays = new Map([
  ["layer0.w", Float32Array.from({ length: 64 }, (_, i) => Math.sin(i))],
  ["layer0.b", Float32Array.of(0.5, -0.25, NaN)],
]);
const bytes = () => encodeCheckpoint({ epoch: 3, loss: NaN, note: "x".repeat(50) }, arrays);

/** The CheckpointError decodeCheckpoint throws for `b`. */
function refusal(b: Uint8Array): CheckpointError {
  try {
    decodeCheckpoint(b);
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    expect((e as Error).message).not.toMatch(/Unexpected token|JSON at position|is not valid JSON/);
    return e as CheckpointError;
  }
  throw new Error("decodeCheckpoint accepted damaged bytes");
}

describe("checkpoint format LPCKPT2", () => {
  it("starts with the LPCKPT2 magic and round-trips", () => {
    const b = bytes();
    expect(CHECKPOINT_MAGIC).toBe("LPCKPT2\n");
    expect(new TextDecoder().decode(b.subarray(0, 8))).toBe("LPCKPT2\n");
    const back = decodeCheckpoint(b);
    expect(back.header).toEqual({ epoch: 3, loss: NaN, note: "x".repeat(50) });
    expect(new Uint32Array(back.arrays.get("layer0.w")!.buffer)).toEqual(
      new Uint32Array(arrays.get("layer0.w")!.buffer),
    );
  });

  it("a flipped bit anywhere in the data section is caught", () => {
    const clean = bytes();
    for (const at of [clean.length - 1, clean.length - 100, clean.length - 200]) {
      const b = clean.slice();
      b[at]! ^= 0x04;
      expect(refusal(b).message).toMatch(/checkpoint is corrupt: SHA-256 mismatch/);
    }
  });

  it("a damaged JSON header is a CheckpointError, not a SyntaxError", () => {
    const b = bytes();
    const text = new TextDecoder().decode(b);
    const at = text.indexOf('"epoch"');
    b[at] = "{".charCodeAt(0);
    expect(refusal(b).message).toMatch(/checkpoint is corrupt/);
  });

  it("appended garbage and truncation are named", () => {
    const b = bytes();
    const longer = new Uint8Array(b.length + 5);
    longer.set(b);
    expect(refusal(longer).message).toMatch(/checkpoint is corrupt: 5 bytes after its end/);
    expect(refusal(b.subarray(0, b.length - 4)).message).toMatch(/checkpoint is corrupt: truncated/);
    expect(refusal(b.subarray(0, 30)).message).toMatch(/checkpoint is corrupt: truncated/);
  });

  it("a damaged length field is caught", () => {
    const b = bytes();
    b[12]! ^= 0x01; // the low byte of the recorded total length
    expect(refusal(b).message).toMatch(/checkpoint is corrupt/);
  });

  it("an LPCKPT1 checkpoint is refused as made by an older version", () => {
    const json = new TextEncoder().encode(JSON.stringify({ header: {}, manifest: [] }));
    const old = new Uint8Array(12 + json.length);
    old.set(new TextEncoder().encode("LPCKPT1\n"));
    new DataView(old.buffer).setUint32(8, json.length, true);
    old.set(json, 12);
    expect(refusal(old).message).toMatch(/made by an older version/);
  });

  it("other bytes are not a checkpoint", () => {
    expect(refusal(new Uint8Array(20)).message).toMatch(/not a lowprec checkpoint/);
    expect(refusal(new TextEncoder().encode("LPCKPT9\nxxxxxxxxxxxxxxxx")).message).toMatch(/LPCKPT9/);
  });
});
