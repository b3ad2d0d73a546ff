/**
 * Run ids: a run is its resolved configuration. The id is the SHA-256 of the configuration's canonical JSON
 * (keys sorted at every level), so two runs share an id exactly when they would compute the same thing, and a
 * store keyed by it never holds the same run twice nor mistakes one run for another.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level (arrays keep their order); NaN/Infinity are refused. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "number" && !Number.isFinite(v)) throw new RangeError(`canonicalJson: ${v} has no JSON form`);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  });
}

/** The id of a run: 16 hex digits of the SHA-256 of its configuration's canonical JSON. */
export function runId(config: unknown): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 16);
}
