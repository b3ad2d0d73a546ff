import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/** The fixture formula (see fixtures/make_fixtures.py). */
export function pixel(n: number, ch: number, r: number, c: number): number {
  return (7 * n + 31 * ch + 5 * r + 3 * c) % 256;
}

export function tempDir(prefix = "lowprec-datasets-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** All entries of a folder, recursively, relative paths. */
export function listAll(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: false }) as string[];
}
