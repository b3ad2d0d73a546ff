/**
 * Folder manifests: the files of a folder stay plain (JSON and CSV that jq and pandas read), and one sealed file
 * beside them, `manifest.sealed` (writeSealed: its own length and SHA-256 are checked), records the byte length
 * and SHA-256 of every file the folder's writer wrote. A reader checks a file against its entry before using it,
 * so a flipped bit, a truncated line or an edit by hand is named instead of being read as data.
 *
 * Write protocol (one writer per folder, under its lock), for each file F with new bytes C:
 *   1. the manifest is rewritten (atomically) with F's entry set to C's length and SHA-256, keeping what F held
 *      until now as F's `previous` entry (null: F did not exist); every other entry loses its `previous`, since
 *      this writer finished writing those files;
 *   2. F is written atomically (writeFileAtomic: a reader sees the old F or the new one, never a mix).
 * A SIGKILL before 1 leaves the old manifest and the old F; between 1 and 2, the new manifest and the old F,
 * which matches F's `previous`; after 2, both new. So a file matching its entry or its `previous` is intact
 * (a kill between the two writes is not damage), and anything else is damage. Only the last file written carries
 * a `previous`; `settle()` (when the writer closes) drops it, and a writer opening a folder that a killed writer
 * left resolves each pending entry to what the file on disk holds.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { errnoCode, fileError } from "./errors.js";
import { CorruptFileError, readSealed, writeSealed } from "./sealed.js";

/** The manifest's file name in each folder. */
export const MANIFEST_NAME = "manifest.sealed";

/** A file's exact length and SHA-256 (hex). */
export interface FileDigest {
  readonly bytes: number;
  readonly sha256: string;
}

/** One file of a manifest; `previous` is present only while a write of the file may be in flight. */
export interface ManifestEntry extends FileDigest {
  /** what the file held before the write in flight (null: it did not exist) */
  readonly previous?: FileDigest | null;
}

/** File name (relative to the folder, `/`-separated) → entry. */
export type Manifest = Readonly<Record<string, ManifestEntry>>;

/** One damaged file of a folder: the file (relative name) and why, in a few words. */
export interface FileProblem {
  readonly file: string;
  readonly why: string;
}

/** The folder has no manifest (written before its files were sealed). */
export class UnsealedError extends CorruptFileError {
  constructor(path: string) {
    super(path, UNSEALED);
  }
}

const UNSEALED = "unsealed (written before run files were sealed)";
const FORMAT = "lowprec-manifest-1";

/** Length and SHA-256 of `data` (a string is hashed as UTF-8). */
export function digestOf(data: string | Uint8Array | readonly Uint8Array[]): FileDigest {
  const chunks: readonly Uint8Array[] =
    typeof data === "string" ? [Buffer.from(data, "utf8")] : data instanceof Uint8Array ? [data] : data;
  const h = createHash("sha256");
  let bytes = 0;
  for (const c of chunks) {
    h.update(c);
    bytes += c.length;
  }
  return { bytes, sha256: h.digest("hex") };
}

const isDigest = (d: unknown): d is FileDigest => {
  const o = d as Partial<FileDigest> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    Number.isSafeInteger(o.bytes) &&
    (o.bytes as number) >= 0 &&
    typeof o.sha256 === "string" &&
    /^[0-9a-f]{64}$/.test(o.sha256)
  );
};

/**
 * The manifest of `dir`, or undefined when it has none. A damaged manifest (its seal fails, or its payload is
 * not a manifest) throws CorruptFileError naming it.
 */
export function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, MANIFEST_NAME);
  let payload: Uint8Array;
  try {
    payload = readSealed(path);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return undefined;
    throw e;
  }
  let parsed: { format?: unknown; files?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload).toString("utf8")) as typeof parsed;
  } catch (e) {
    throw new CorruptFileError(path, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (parsed?.format !== FORMAT || typeof parsed.files !== "object" || parsed.files === null)
    throw new CorruptFileError(path, `not a ${FORMAT} manifest`);
  const out: Record<string, ManifestEntry> = {};
  for (const [name, e] of Object.entries(parsed.files as Record<string, unknown>)) {
    const prev = (e as { previous?: unknown }).previous;
    if (!isDigest(e) || (prev !== undefined && prev !== null && !isDigest(prev)))
      throw new CorruptFileError(path, `its entry for ${name} is not a length and SHA-256`);
    out[name] = e;
  }
  return out;
}

function writeManifest(dir: string, files: Manifest, guard?: () => void): void {
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const payload = Buffer.from(`${JSON.stringify({ format: FORMAT, files: sorted })}\n`);
  writeSealed(join(dir, MANIFEST_NAME), payload, guard ? { beforeRename: guard } : {});
}

/** The bytes of a file, or undefined when it does not exist. */
function readOrAbsent(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return undefined;
    throw fileError(path, e);
  }
}

const same = (a: FileDigest, b: FileDigest): boolean => a.bytes === b.bytes && a.sha256 === b.sha256;

/**
 * Why `bytes` (undefined: the file is absent) is not what `entry` accepts, or undefined when it is: the entry's
 * digest, or its `previous` (a write in flight; null accepts an absent file).
 */
export function checkAgainst(entry: ManifestEntry | undefined, bytes: Uint8Array | undefined): string | undefined {
  if (entry === undefined) return bytes === undefined ? undefined : `not listed in ${MANIFEST_NAME}`;
  if (bytes === undefined)
    return entry.previous === null ? undefined : `missing (${MANIFEST_NAME} lists ${entry.bytes} bytes)`;
  const d = digestOf(bytes);
  if (same(d, entry) || (entry.previous && same(d, entry.previous))) return undefined;
  const sizes = entry.previous && entry.previous.bytes !== entry.bytes ? [entry.previous.bytes, entry.bytes] : [];
  if (d.bytes !== entry.bytes && !sizes.includes(d.bytes))
    return `${d.bytes} bytes where ${MANIFEST_NAME} says ${entry.bytes} (truncated or appended to)`;
  return "SHA-256 mismatch: its bytes changed after it was written";
}

/** checkAgainst on the length alone (from stat: the file is not read). */
function checkLength(entry: ManifestEntry, path: string): string | undefined {
  let bytes: number;
  try {
    bytes = statSync(path).size;
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw fileError(path, e);
    return entry.previous === null ? undefined : `missing (${MANIFEST_NAME} lists ${entry.bytes} bytes)`;
  }
  if (bytes === entry.bytes || (entry.previous && bytes === entry.previous.bytes)) return undefined;
  return `${bytes} bytes where ${MANIFEST_NAME} says ${entry.bytes} (truncated or appended to)`;
}

/**
 * The bytes of `<dir>/<name>`, verified against the folder's manifest. Throws UnsealedError when the folder has
 * no manifest, CorruptFileError naming the file when it does not match (or is not listed), and a file error
 * when it cannot be read. A file read while its writer replaces it is read again once (file first, then the
 * manifest: the writer writes the manifest first), so a live folder is not mistaken for a damaged one.
 */
export function readVerified(dir: string, name: string): Uint8Array {
  const path = join(dir, name);
  let why: string | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    const bytes = readOrAbsent(path);
    const manifest = readManifest(dir);
    if (manifest === undefined) throw new UnsealedError(path);
    why = checkAgainst(manifest[name], bytes);
    if (why === undefined) {
      if (bytes === undefined) throw fileError(path, { code: "ENOENT" });
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    }
  }
  throw new CorruptFileError(path, why ?? "");
}

/**
 * Every problem of a folder: no manifest (one problem, file MANIFEST_NAME), a listed file missing or not matching
 * its entry, and any file for which `tracked(name)` holds that the manifest does not list (names relative to the
 * folder, `/`-separated; hidden files are never tracked). A damaged manifest throws CorruptFileError. Files for
 * which `hashed(name)` is false are checked for presence and length only (a large file a caller does not read).
 */
export function verifyFolder(
  dir: string,
  tracked: (name: string) => boolean,
  hashed: (name: string) => boolean = () => true,
): FileProblem[] {
  const manifest = readManifest(dir);
  if (manifest === undefined) return [{ file: MANIFEST_NAME, why: UNSEALED }];
  const problems: FileProblem[] = [];
  for (const [name, entry] of Object.entries(manifest)) {
    const why = hashed(name) ? checkAgainst(entry, readOrAbsent(join(dir, name))) : checkLength(entry, join(dir, name));
    if (why !== undefined) problems.push({ file: name, why });
  }
  for (const name of filesUnder(dir))
    if (manifest[name] === undefined && name !== MANIFEST_NAME && tracked(name))
      problems.push({ file: name, why: `not listed in ${MANIFEST_NAME}` });
  return problems;
}

/** Regular files under `dir`, relative and `/`-separated, hidden ones (temp files, locks) left out. */
function filesUnder(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    if (name.startsWith(".")) continue;
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = statSync(join(dir, rel));
    if (st.isDirectory()) out.push(...filesUnder(dir, rel));
    else if (st.isFile()) out.push(rel);
  }
  return out;
}

export interface ManifestWriterOptions {
  /**
   * Called before every write and again just before each rename (writeFileAtomic's beforeRename): a fenced
   * writer passes its lock's assertHeld, so a writer whose folder was taken over lands neither the manifest nor
   * the file (lock.ts).
   */
  readonly guard?: () => void;
}

/**
 * The writer's side of a folder's manifest (see the module comment for the protocol). Use one per folder, by the
 * process holding the folder's lock.
 */
export class ManifestWriter {
  private constructor(
    readonly dir: string,
    private files: Record<string, ManifestEntry>,
    private readonly guard: (() => void) | undefined,
  ) {}

  /**
   * Opens the manifest of `dir` (an empty one when it has none; a damaged one throws CorruptFileError). Entries a
   * killed writer left pending are resolved to what the file holds now, so only this writer's writes are pending.
   */
  static open(dir: string, opts: ManifestWriterOptions = {}): ManifestWriter {
    const files: Record<string, ManifestEntry> = { ...(readManifest(dir) ?? {}) };
    let changed = false;
    for (const [name, e] of Object.entries(files)) {
      if (e.previous === undefined) continue;
      const bytes = readOrAbsent(join(dir, name));
      const now = bytes === undefined ? undefined : digestOf(bytes);
      // NOTE: a file matching neither alternative is damage: its entry stays as written, and stays damage.
      if (now !== undefined && same(now, e)) files[name] = { bytes: e.bytes, sha256: e.sha256 };
      else if (now === undefined && e.previous === null) delete files[name];
      else if (now !== undefined && e.previous && same(now, e.previous)) files[name] = { ...e.previous };
      else continue;
      changed = true;
    }
    const w = new ManifestWriter(dir, files, opts.guard);
    if (changed) {
      opts.guard?.();
      writeManifest(dir, files, opts.guard);
    }
    return w;
  }

  /** The entries as they stand. */
  entries(): Manifest {
    return this.files;
  }

  /** Writes `<dir>/<name>` (atomically, through writeFileAtomic) after recording it in the manifest. */
  write(name: string, data: string | Uint8Array | readonly Uint8Array[]): void {
    const old = this.files[name];
    const next: Record<string, ManifestEntry> = {};
    for (const [n, e] of Object.entries(this.files)) next[n] = { bytes: e.bytes, sha256: e.sha256 };
    const previous = old === undefined ? null : { bytes: old.bytes, sha256: old.sha256 };
    next[name] = { ...digestOf(data), previous };
    this.guard?.();
    writeManifest(this.dir, next, this.guard);
    this.files = next;
    writeFileAtomic(join(this.dir, name), data, this.guard ? { beforeRename: this.guard } : {});
  }

  /** Drops the pending alternative of the last write (it is done); call when the writer stops writing. */
  settle(): void {
    if (!Object.values(this.files).some((e) => e.previous !== undefined)) return;
    const next: Record<string, ManifestEntry> = {};
    for (const [n, e] of Object.entries(this.files)) next[n] = { bytes: e.bytes, sha256: e.sha256 };
    this.guard?.();
    writeManifest(this.dir, next, this.guard);
    this.files = next;
  }
}

/** Whether `dir` has a manifest. */
export function hasManifest(dir: string): boolean {
  return existsSync(join(dir, MANIFEST_NAME));
}
