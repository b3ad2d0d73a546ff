/**
 * @lowprec/storage: files that are never half written, never silently corrupt and never shared by two
 * processes. Atomic durable writes, sealed (length + SHA-256) files, folder manifests, folder locks, writable-folder
 * checks, folders replaced whole.
 * It imports nothing else of ours.
 */
export { writeFileAtomic, removeStaleTemps, tempPathFor, pidAlive } from "./atomic.js";
export { CorruptFileError, sha256Hex, writeSealed, readSealed } from "./sealed.js";
export { lockFolder, lockHolder, LockedError, LockLostError, type FolderLock, type LockHolder } from "./lock.js";
export { ensureWritableDir } from "./dirs.js";
export { insideRoot, OutsideRootError } from "./inside.js";
export {
  checkAgainst,
  digestOf,
  hasManifest,
  MANIFEST_NAME,
  ManifestWriter,
  type ManifestWriterOptions,
  readManifest,
  readVerified,
  UnsealedError,
  verifyFolder,
  type FileDigest,
  type FileProblem,
  type Manifest,
  type ManifestEntry,
} from "./manifest.js";
export { replaceDirAtomic, recoverDirSwap } from "./swap.js";
export { CHECKPOINT_MAGIC, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
