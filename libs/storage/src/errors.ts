/** One-line errors that name the file: `<path>: no space left on device` instead of a bare errno. */

/** The errno code of an error thrown by node:fs, if any. */
export function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or folder",
  ENOTDIR: "a component of the path is not a folder",
  EISDIR: "is a folder",
  EIO: "input/output error",
  EMFILE: "too many open files",
};

/** An Error whose message is `<path>: <reason>`, keeping the errno code and the original as `cause`. */
export function fileError(path: string, e: unknown, reason?: string): Error & { code?: string; path: string } {
  const code = errnoCode(e);
  const why =
    reason ??
    (code !== undefined && REASONS[code] !== undefined ? REASONS[code] : ((e as Error)?.message ?? String(e)));
  const err = new Error(`${path}: ${why}`, { cause: e }) as Error & { code?: string; path: string };
  if (code !== undefined) err.code = code;
  err.path = path;
  return err;
}
