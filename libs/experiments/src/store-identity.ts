/**
 * A results store's identity: `<results root>/.store-id` holds a random id, created once. Every machine that
 * mounts the same shared folder reads the same id whatever its path there, and a worker pointed at another
 * folder (`--data-dir q2` for a sweep enqueued into q3) reads another: the queue compares ids, not paths.
 *
 * Creation is race-free across processes and hosts: the id is written completely to a temp file (fsynced), then
 * hard-linked to `.store-id`, which fails when the name exists (the O_EXCL of a link, atomic on NFS too); the
 * loser reads the winner's id. A reader checks the format, so a damaged file is named, never guessed around.
 */
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CorruptFileError, ensureWritableDir, tempPathFor, writeFileAtomic } from "@lowprec/storage";

export const STORE_ID_FILE = ".store-id";
const FORMAT = /^[0-9a-f]{32}$/;

/** A store's identity: its id and the path this process reaches it at (for messages). */
export interface StoreIdentity {
  readonly id: string;
  readonly path: string;
}

function read(path: string): string {
  const id = readFileSync(path, "utf8").trim();
  if (!FORMAT.test(id))
    throw new CorruptFileError(path, "not a store id (32 hex digits); remove it only if no queue holds jobs for it");
  return id;
}

/** The identity of the results store at `root`, created when `create` and missing (else undefined). */
export function storeIdentity(root: string, create: true): StoreIdentity;
export function storeIdentity(root: string, create: boolean): StoreIdentity | undefined;
export function storeIdentity(root: string, create: boolean): StoreIdentity | undefined {
  const path = join(root, STORE_ID_FILE);
  if (existsSync(path)) return { id: read(path), path: root };
  if (!create) return undefined;
  ensureWritableDir(root);
  // NOTE: a temp name beside the target, written and fsynced in full before the link makes it visible.
  const tmp = tempPathFor(path);
  writeFileAtomic(tmp, `${randomBytes(16).toString("hex")}\n`);
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return { id: read(path), path: root };
}
