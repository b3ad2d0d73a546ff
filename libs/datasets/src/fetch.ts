/**
 * Downloads of CIFAR-10 (binary) and SVHN (format 2) from their official addresses: streamed to a temp file in
 * the target folder while hashing, checked against the published MD5, then renamed into place. When the
 * machine is offline the error says exactly which files to put where.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync, createReadStream } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";
import { gunzipSync } from "node:zlib";
import { ensureWritableDir, removeStaleTemps, tempPathFor, writeFileAtomic } from "@lowprec/storage";
import { isFile } from "./io/files.js";
import { CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES } from "./cifar10.js";
import { dataPaths } from "./paths.js";

export type FetchableDataset = "cifar10" | "svhn";

/** One remote file: where it comes from, its checksum and where it lands. */
export interface RemoteFile {
  readonly url: string;
  /** expected MD5, hex */
  readonly md5: string;
  /** file name on disk */
  readonly file: string;
  /** false for SVHN's extra_32x32.mat (1.3 GB), fetched only when asked */
  readonly required: boolean;
}

/**
 * Official addresses. CIFAR-10's MD5 is the one published on its page; SVHN's page publishes none, so these are
 * the MD5s torchvision checks for the same files.
 */
export const REMOTE_FILES: Readonly<Record<FetchableDataset, readonly RemoteFile[]>> = {
  cifar10: [
    {
      url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
      md5: "c32a1d4ab5d03f1284b67883e8d87530",
      file: "cifar-10-binary.tar.gz",
      required: true,
    },
  ],
  svhn: [
    {
      url: "http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
      md5: "e26dedcc434d2e4c54c9b2d4a06d8373",
      file: "train_32x32.mat",
      required: true,
    },
    {
      url: "http://ufldl.stanford.edu/housenumbers/test_32x32.mat",
      md5: "eb5a983be6a315427106f1b164d9cef3",
      file: "test_32x32.mat",
      required: true,
    },
    {
      url: "http://ufldl.stanford.edu/housenumbers/extra_32x32.mat",
      md5: "a93ce644f1a588dc4d68dda5feec44a7",
      file: "extra_32x32.mat",
      required: false,
    },
  ],
};

/** Why a download failed: "offline" (no connection), "http" (a bad status) or "checksum" (wrong bytes). */
export class DownloadError extends Error {
  override readonly name = "DownloadError";
  constructor(
    readonly url: string,
    readonly kind: "offline" | "http" | "checksum",
    detail: string,
  ) {
    super(`${url}: ${detail}`);
  }
}

export interface DownloadOptions {
  /** abort when no bytes arrive for this long; default 60 000 ms */
  readonly idleTimeoutMs?: number;
  /** called with bytes received so far and the total when known */
  readonly onProgress?: (received: number, total: number | undefined) => void;
}

/** Streams `url` to `dest` atomically, verifying its MD5. Returns the MD5. */
export async function downloadVerified(
  url: string,
  dest: string,
  md5: string,
  options: DownloadOptions = {},
): Promise<string> {
  ensureWritableDir(dirname(dest));
  // NOTE: a download killed half way leaves its temp file (up to 1.3 GB); the next download collects it.
  removeStaleTemps(dirname(dest));
  const controller = new AbortController();
  const idle = options.idleTimeoutMs ?? 60000;
  let timer = setTimeout(() => controller.abort(), idle);
  const tmp = tempPathFor(dest);
  let fd = -1;
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: controller.signal, redirect: "follow" });
    } catch (e) {
      throw new DownloadError(url, "offline", `cannot connect (${describe(e)})`);
    }
    if (!res.ok || !res.body) throw new DownloadError(url, "http", `HTTP ${res.status} ${res.statusText}`);
    const total = Number(res.headers.get("content-length")) || undefined;
    const hash = createHash("md5");
    fd = openSync(tmp, "w");
    let received = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(), idle);
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        received += chunk.length;
        options.onProgress?.(received, total);
      }
    } catch (e) {
      throw new DownloadError(url, "offline", `connection lost after ${received} bytes (${describe(e)})`);
    }
    closeSync(fd);
    fd = -1;
    const got = hash.digest("hex");
    if (got !== md5.toLowerCase())
      throw new DownloadError(
        url,
        "checksum",
        `MD5 ${got} does not match the published ${md5} (${received} bytes); nothing was kept`,
      );
    renameSync(tmp, dest);
    return got;
  } finally {
    clearTimeout(timer);
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
  }
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "AbortError") return "timed out";
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

/** MD5 of a file on disk, streamed. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Unpacks the regular files of a .tar.gz into `destDir` (each written atomically). Refuses absolute paths and
 * `..`. Returns the paths written.
 */
export function extractTarGz(archive: string, destDir: string): string[] {
  const tar = gunzipSync(readFileSync(archive));
  const written: string[] = [];
  let pos = 0;
  while (pos + 512 <= tar.length) {
    const header = tar.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) break;
    const field = (o: number, n: number) =>
      Buffer.from(header.subarray(o, o + n))
        .toString("latin1")
        .replace(/\0.*$/s, "");
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(0, 100);
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1);
    const start = pos + 512;
    if (!Number.isFinite(size) || start + size > tar.length)
      throw new Error(`${archive}: truncated tar entry "${name}" (${size} bytes)`);
    if (type === "0" || type === "") {
      const rel = normalize(name);
      if (rel.startsWith(sep) || rel.split(sep).includes(".."))
        throw new Error(`${archive}: refusing unsafe path "${name}"`);
      const out = join(destDir, rel);
      ensureWritableDir(dirname(out));
      writeFileAtomic(out, tar.subarray(start, start + size));
      written.push(out);
    }
    pos = start + Math.ceil(size / 512) * 512;
  }
  return written;
}

/** Where the files of a data set must end up, as a user-facing paragraph. */
export function placementInstructions(dataset: FetchableDataset, dataDir: string): string {
  const p = dataPaths(dataDir);
  if (dataset === "cifar10") {
    return [
      `CIFAR-10: download ${REMOTE_FILES.cifar10[0]!.url}` +
        ` (MD5 ${REMOTE_FILES.cifar10[0]!.md5}) on a machine with internet,`,
      `then unpack it so that these files exist:`,
      ...[...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].map((f) => `  ${join(p.cifar10, f)}`),
      `(e.g. tar xzf cifar-10-binary.tar.gz -C ${join(dataDir, "raw")})`,
    ].join("\n");
  }
  return [
    `SVHN (format 2): download these files and put them in ${p.svhn}:`,
    ...REMOTE_FILES.svhn.map(
      (f) =>
        `  ${f.url}  (MD5 ${f.md5})${f.required ? "" : "  optional: without it the split falls back to train only"}`,
    ),
  ].join("\n");
}

export interface FetchResult {
  readonly dataset: FetchableDataset;
  /** files downloaded now */
  readonly downloaded: readonly string[];
  /** files already present and verified */
  readonly present: readonly string[];
}

export interface FetchOptions extends DownloadOptions {
  readonly dataDir: string;
  /** also fetch SVHN's extra_32x32.mat (default true) */
  readonly includeExtra?: boolean;
  /** replace the official address's folder with a mirror holding the same file names */
  readonly baseUrl?: string;
  /** the file table, for tests; default REMOTE_FILES */
  readonly remoteFiles?: Readonly<Record<FetchableDataset, readonly RemoteFile[]>>;
  readonly log?: (line: string) => void;
}

/** Fetches one data set into dataDir (skipping files already present with the right checksum). */
export async function fetchDataset(dataset: FetchableDataset, options: FetchOptions): Promise<FetchResult> {
  const p = dataPaths(options.dataDir);
  const log = options.log ?? (() => undefined);
  const table = (options.remoteFiles ?? REMOTE_FILES)[dataset].filter(
    (f) => f.required || options.includeExtra !== false,
  );
  const urlOf = (f: RemoteFile) => (options.baseUrl ? `${options.baseUrl.replace(/\/$/, "")}/${f.file}` : f.url);
  const downloaded: string[] = [];
  const present: string[] = [];
  if (dataset === "cifar10") {
    const bins = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].map((f) => join(p.cifar10, f));
    if (bins.every(isFile)) return { dataset, downloaded, present: bins };
    const f = table[0]!;
    const archive = join(p.downloads, f.file);
    if (!(isFile(archive) && (await md5File(archive)) === f.md5)) {
      log(`downloading ${urlOf(f)}`);
      await downloadVerified(urlOf(f), archive, f.md5, options);
      downloaded.push(archive);
    } else present.push(archive);
    const written = extractTarGz(archive, join(options.dataDir, "raw"));
    log(`unpacked ${written.length} files into ${join(options.dataDir, "raw")}`);
    const missing = bins.filter((b) => !isFile(b));
    if (missing.length)
      throw new Error(`${archive}: unpacked, but these files are still missing: ${missing.join(", ")}`);
    return { dataset, downloaded, present };
  }
  for (const f of table) {
    const dest = join(p.svhn, f.file);
    if (isFile(dest) && (await md5File(dest)) === f.md5) {
      present.push(dest);
      continue;
    }
    log(`downloading ${urlOf(f)}`);
    await downloadVerified(urlOf(f), dest, f.md5, options);
    downloaded.push(dest);
  }
  return { dataset, downloaded, present };
}
