/**
 * @lowprec/storage: files that are never half written, never silently corrupt and never shared by two
 * processes. Atomic durable writes, sealed (length + SHA-256) files, folder locks, writable-folder checks,
 * folders replaced whole.
 * It imports nothing else of ours.
 */
export { writeFileAtomic, removeStaleTemps, tempPathFor, pidAlive } from "./atomic.js";
export { CorruptFileError, sha256Hex, writeSealed, readSealed } from "./sealed.js";
export { lockFolder, LockedError, LockLostError, type FolderLock, type LockHolder } from "./lock.js";
export { ensureWritableDir } from "./dirs.js";
export { replaceDirAtomic, recoverDirSwap } from "./swap.js";
