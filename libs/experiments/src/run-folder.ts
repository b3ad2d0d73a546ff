/**
 * The run folder: where one training run keeps its record.
 *
 *   config.json      {runId, config, environment, earlier}  (earlier: the environments of previous sessions)
 *   data.json        the data trained on: per split, name, count, shape, class names and provenance (files with
 *                    SHA-256 and size, the split, the preprocessing and its parameters, the cache entry)
 *   metrics.csv/json every epoch so far (epoch 0: the untrained network)
 *   scales/epoch-NNNN.csv  dynamic-fixed-point telemetry (epoch 0: calibration)
 *   checkpoint.bin   the state after the last finished epoch (self-verifying: length + SHA-256)
 *   summary.json     the reported numbers, written when the run stops
 *   run.json         what the run is within its experiment (sweep and queue workers only)
 *   manifest.sealed  the length and SHA-256 of every file above (@lowprec/storage's folder manifest)
 *   .lock            the writer's pid, host and command while a process holds the folder
 *
 * Rules: one writer (an exclusive lock for the folder's lifetime); a folder that holds a run is never reused
 * silently (`resume` continues it, `force` deletes it first, `new` refuses); every write is atomic and durable;
 * the checkpoint is verified before it is used; temp files of dead writers are removed on open; a resume on other
 * data (other files, split or preprocessing than data.json records) is refused.
 *
 * Sealing: the files stay plain JSON and CSV; every write goes through the folder's manifest (ManifestWriter:
 * the file's new length and SHA-256 are recorded before the file is written, its previous bytes stay accepted
 * until the write is done), and every reader of a run file (readRunFile, readRunJson) checks it against the
 * manifest first. A folder without a manifest (written before runs were sealed) is not trusted: it is reported
 * as unsealed, and a resume of it is refused.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import {
  formatBar,
  formatEpochLine,
  CheckpointError,
  decodeCheckpoint,
  type DataRecord,
  type EpochMetrics,
  type ProgressEvent,
  type RunOutput,
  type ScaleRow,
} from "@lowprec/maxout";
import {
  CorruptFileError,
  ensureWritableDir,
  hasManifest,
  lockFolder,
  MANIFEST_NAME,
  ManifestWriter,
  readVerified,
  removeStaleTemps,
  type FolderLock,
} from "@lowprec/storage";
import { rowsToCsv, SCALE_COLUMNS } from "@lowprec/report";
import type { BitSettings, Environment } from "./environment.js";
import { runId } from "./run-id.js";
import type { RunConfig } from "./vit-run.js";

/** How to open a folder: a new run, the continuation of the run it holds, or a new run replacing it. */
export type OpenMode = "new" | "resume" | "force";

/** A folder that already holds a run was opened for a new one. */
export class RunExistsError extends Error {
  override readonly name = "RunExistsError";
}

/** The files and folders a run writes (what `force` removes). */
export const RUN_FILES = [
  "config.json",
  "data.json",
  "metrics.csv",
  "metrics.json",
  "checkpoint.bin",
  "summary.json",
  "scales",
  "run.json",
  MANIFEST_NAME,
] as const;

/** The files of a run folder that its manifest seals: the run's files but the manifest and scales/ (a folder). */
const SEALED_FILES: readonly string[] = RUN_FILES.filter((f) => f !== "scales" && f !== MANIFEST_NAME);

/** Whether `name` (relative to a run folder, `/`-separated) is a run file the manifest must list. */
export function isRunFile(name: string): boolean {
  return SEALED_FILES.includes(name) || /^scales\/epoch-\d{4,}\.csv$/.test(name);
}

export const METRIC_COLUMNS: readonly (keyof EpochMetrics & string)[] = [
  "epoch",
  "learningRate",
  "momentum",
  "loss",
  "trainError",
  "validError",
  "testError",
  "validLoss",
  "trainSeconds",
  "seconds",
  "examplesPerSecond",
  "bestEpoch",
  "bestValidError",
  "bestTestError",
];
/** What config.json holds. */
export interface ConfigRecord {
  runId: string;
  config: RunConfig;
  environment: Environment;
  /** environments of earlier sessions of this run (before resumes) */
  earlier: Environment[];
}

export interface RunFolderOptions {
  readonly mode: OpenMode;
  /** the command line, recorded in the lock */
  readonly command?: readonly string[];
  readonly log?: (line: string) => void;
  /** progress bars on a terminal (default: stdout is a TTY) */
  readonly interactive?: boolean;
  /** called with every progress event (after the folder's own handling), e.g. a sweep worker's reporter */
  readonly onEvent?: (e: ProgressEvent) => void;
}

/** Reads and parses a JSON file, naming the file when it is not JSON. */
export function readJsonFile(path: string): unknown {
  const text = readFileSync(path, "utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CorruptFileError(path, e instanceof Error ? e.message : String(e));
  }
}

/**
 * The bytes of the run file `name` of the run folder `dir`, verified against the folder's manifest: a file that is
 * not what its writer wrote throws CorruptFileError naming it (`... is corrupt: unsealed (...)` for a folder
 * written before runs were sealed).
 */
export function readRunFile(dir: string, name: string): Uint8Array {
  return readVerified(dir, name);
}

/** A run file parsed as JSON, verified first (see readRunFile); JSON that does not parse names the file too. */
export function readRunJson(dir: string, name: string): unknown {
  const path = join(dir, name);
  const text = Buffer.from(readRunFile(dir, name)).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new CorruptFileError(path, e instanceof Error ? e.message : String(e));
  }
}

/** The config.json of the run folder `dir`, if any, verified; one without a runId or config is named as corrupt. */
export function readConfigRecord(dir: string): ConfigRecord | undefined {
  const p = join(dir, "config.json");
  if (!existsSync(p)) return undefined;
  const r = readRunJson(dir, "config.json") as Partial<ConfigRecord> | null;
  if (typeof r?.runId !== "string" || typeof r.config !== "object")
    throw new CorruptFileError(p, "no runId or config field");
  return r as ConfigRecord;
}

/**
 * The data.json of the run in `dir`, if any (runs made before run folders recorded their data have none),
 * verified; a file without a count and shape for each split is named as corrupt.
 */
export function readDataRecord(dir: string): DataRecord | undefined {
  const p = join(dir, "data.json");
  if (!existsSync(p)) return undefined;
  const r = readRunJson(dir, "data.json") as Partial<DataRecord> | null;
  for (const split of ["train", "valid", "test"] as const) {
    const d = r?.[split];
    if (typeof d !== "object" || d === null || typeof d.count !== "number" || !Array.isArray(d.shape))
      throw new CorruptFileError(p, `no valid ${split} record (count and shape)`);
  }
  return r as DataRecord;
}

/** A RunOutput over a locked folder. Call close() when the run stops (the lock also goes at process exit). */
export class RunFolder implements RunOutput<RunConfig> {
  private readonly log: (line: string) => void;
  private readonly interactive: boolean;
  private readonly onEvent: ((e: ProgressEvent) => void) | undefined;
  private previous: ConfigRecord | undefined;
  private previousData: DataRecord | undefined;

  private constructor(
    readonly dir: string,
    readonly lock: FolderLock,
    private readonly manifest: ManifestWriter,
    /** whether the folder holds a checkpoint to continue from */
    readonly resumable: boolean,
    opts: RunFolderOptions,
  ) {
    this.log = opts.log ?? ((l) => console.log(l));
    this.interactive = opts.interactive ?? Boolean(process.stdout.isTTY);
    this.onEvent = opts.onEvent;
  }

  /** Opens `dir` for one writer (see the module comment for the rules). */
  static open(dir: string, opts: RunFolderOptions): RunFolder {
    ensureWritableDir(dir);
    const lock = lockFolder(dir, (opts.command ?? []).join(" "));
    try {
      for (const d of [dir, join(dir, "scales")]) if (existsSync(d)) removeStaleTemps(d);
      const held = RUN_FILES.filter((f) => existsSync(join(dir, f)));
      const log = opts.log ?? ((l: string) => console.log(l));
      const hasCheckpoint = held.includes("checkpoint.bin");
      if (held.length > 0 && opts.mode === "new")
        throw new RunExistsError(
          `${dir} already holds a run (${describeRun(dir)}); --resume continues it, --force deletes it and starts over`,
        );
      if (opts.mode === "resume" && !hasCheckpoint)
        log(
          `no checkpoint in ${dir}: starting fresh${held.length ? " (removing the files of the unfinished run)" : ""}`,
        );
      if (held.length > 0 && (opts.mode === "force" || !hasCheckpoint)) {
        if (opts.mode === "force") log(`--force: removing the run in ${dir}`);
        for (const f of held) rmSync(join(dir, f), { recursive: true, force: true });
      }
      const resumable = opts.mode === "resume" && hasCheckpoint;
      // NOTE: a folder written before runs were sealed cannot be verified: it is not continued on trust.
      if (resumable && !hasManifest(dir))
        throw new Error(
          `${dir}: unsealed (written before run files were sealed): its files cannot be verified; ` +
            "start it over with --force",
        );
      // NOTE: every write checks the lock's fencing token first and again just before its rename (lock.ts), so a
      // writer whose folder was taken over lands nothing.
      const manifest = ManifestWriter.open(dir, { guard: () => lock.assertHeld() });
      const folder = new RunFolder(dir, lock, manifest, resumable, opts);
      if (folder.resumable && existsSync(join(dir, "config.json"))) folder.previous = folder.readConfigRecord();
      if (folder.resumable) folder.previousData = folder.readDataRecord();
      return folder;
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /** The config.json of the run in the folder, if any (see readConfigRecord). */
  readConfigRecord(): ConfigRecord | undefined {
    return readConfigRecord(this.dir);
  }

  /** The data.json of the run in the folder, if any (see readDataRecord). */
  readDataRecord(): DataRecord | undefined {
    return readDataRecord(this.dir);
  }

  /** The bit settings recorded by the previous session of a resumed run. */
  previousBits(): BitSettings | undefined {
    return this.previous?.environment?.bits;
  }

  writeConfig(config: RunConfig, environment: Record<string, unknown>): void {
    const earlier = this.previous ? [...(this.previous.earlier ?? []), this.previous.environment] : [];
    const record = { runId: runId(config), config, environment, earlier };
    this.write("config.json", `${JSON.stringify(record, null, 2)}\n`);
  }
  /** Records the data (data.json); on a resume, refuses data other than the earlier session's, writing nothing. */
  writeData(data: DataRecord): void {
    const p = join(this.dir, "data.json");
    if (this.previousData) {
      const diff = dataDifference(this.previousData, data);
      if (diff)
        throw new Error(
          `${p}: the run in the folder trained on other data (${diff}); resume it on the same data, or start over ` +
            "with --force",
        );
    }
    this.write("data.json", `${JSON.stringify(data, null, 2)}\n`);
  }
  writeMetrics(history: readonly EpochMetrics[]): void {
    this.write("metrics.csv", rowsToCsv(METRIC_COLUMNS, history));
    this.write("metrics.json", `${JSON.stringify(history, null, 1)}\n`);
  }
  writeScales(epoch: number, rows: readonly ScaleRow[]): void {
    // NOTE: the trainer's rows have report's telemetry columns (integerBits is empty for a group without a scale).
    const columns = SCALE_COLUMNS as readonly (keyof ScaleRow & string)[];
    this.write(`scales/epoch-${String(epoch).padStart(4, "0")}.csv`, rowsToCsv(columns, rows));
  }
  writeCheckpoint(bytes: Uint8Array): void {
    this.write("checkpoint.bin", bytes);
  }
  /** run.json: what the run is within its experiment (written by sweep and queue workers before training). */
  writeRunMeta(meta: object): void {
    this.write("run.json", `${JSON.stringify(meta, null, 2)}\n`);
  }
  /** The checkpoint, verified (manifest, then its own length and SHA-256) before it is handed back. */
  readCheckpoint(): Uint8Array | undefined {
    const p = join(this.dir, "checkpoint.bin");
    if (!this.resumable || !existsSync(p)) return undefined;
    const bytes = new Uint8Array(readRunFile(this.dir, "checkpoint.bin"));
    try {
      decodeCheckpoint(bytes);
    } catch (e) {
      if (e instanceof CheckpointError && e.reason.includes("made by an older version"))
        throw new Error(`${p}: ${e.reason}; start over with --force`);
      throw new CorruptFileError(p, e instanceof CheckpointError ? e.reason : String(e));
    }
    return bytes;
  }
  writeSummary(summary: object): void {
    this.write("summary.json", `${JSON.stringify(summary, null, 2)}\n`);
  }
  /**
   * Every write of a run file goes through here: the manifest records the new bytes, then the file is written
   * atomically (writeFileAtomic, whose fault hook tests kill runs with). `name` is relative to the folder.
   */
  private write(name: string, data: string | Uint8Array): void {
    if (name.includes("/")) mkdirSync(dirname(join(this.dir, name)), { recursive: true });
    this.manifest.write(name, data);
  }
  progress(e: ProgressEvent): void {
    this.onEvent?.(e);
    if (e.kind === "batch") {
      if (this.interactive && (e.batch % 5 === 0 || e.batch === e.batches))
        process.stdout.write(`\r${formatBar(`${e.phase} epoch ${e.epoch} batch`, e.batch, e.batches)}`);
      return;
    }
    if (this.interactive) process.stdout.write("\r\x1b[2K");
    if (e.kind === "start" && e.phase === "calibration")
      this.log(`calibrating the DFXP scales: epoch ${e.epoch} (${e.batches} batches at the calibration width)`);
    if (e.kind === "warning") this.log(e.message);
    if (e.kind === "resumed") this.log(`resumed after epoch ${e.epoch} from ${join(this.dir, "checkpoint.bin")}`);
    if (e.kind === "epoch") this.log(formatEpochLine(e.metrics, e.epochs, e.etaSeconds));
  }
  /** Settles the manifest (the last write is done) and releases the folder's lock. */
  close(): void {
    try {
      this.manifest.settle();
    } catch {
      // NOTE: a tidy-up only: an entry left pending still accepts exactly the file on disk (see ManifestWriter),
      // and close() runs in `finally` blocks, where it must not hide the error that stopped the run.
    } finally {
      this.lock.release();
    }
  }
  /** The environment recorded by the previous session of a resumed run (its code identity, if it has one). */
  previousEnvironment(): Partial<Environment> | undefined {
    return this.previous?.environment;
  }
}

/**
 * The first difference that makes two data records other data, in words, or undefined when they are the same data:
 * per split, the count and shape, and, when both record them, the files' SHA-256 and sizes (not their paths: a
 * moved copy is the same data), the split and the preprocessing. Names and cache paths may differ.
 */
export function dataDifference(before: DataRecord, now: DataRecord): string | undefined {
  for (const split of ["train", "valid", "test"] as const) {
    const [a, b] = [before[split], now[split]];
    if (a.count !== b.count) return `${split}: ${a.count} examples before, ${b.count} now`;
    if (a.shape.join("×") !== b.shape.join("×"))
      return `${split}: images of shape [${a.shape.join(", ")}] before, [${b.shape.join(", ")}] now`;
    const [pa, pb] = [a.provenance, b.provenance];
    if (!pa || !pb) continue;
    const files = (f: typeof pa.files) => f.map((x) => `${basename(x.path)} ${x.sha256.slice(0, 12)} ${x.bytes}`);
    const [fa, fb] = [files(pa.files), files(pb.files)];
    for (let i = 0; i < Math.max(fa.length, fb.length); i++)
      if (pa.files[i]?.sha256 !== pb.files[i]?.sha256 || pa.files[i]?.bytes !== pb.files[i]?.bytes)
        return `${split}: file ${fa[i] ?? "(none)"} before, ${fb[i] ?? "(none)"} now (name, SHA-256, bytes)`;
    if (pa.split !== pb.split) return `${split}: split "${pa.split}" before, "${pb.split}" now`;
    if (pa.preprocessing.join("; ") !== pb.preprocessing.join("; "))
      return `${split}: preprocessing "${pa.preprocessing.join("; ")}" before, "${pb.preprocessing.join("; ")}" now`;
  }
  return undefined;
}

/** A few words on the run a folder holds, for messages. */
function describeRun(dir: string): string {
  try {
    const r = readRunJson(dir, "config.json") as Partial<ConfigRecord>;
    const done = existsSync(join(dir, "metrics.json")) ? (readRunJson(dir, "metrics.json") as unknown[]).length - 1 : 0;
    const c = r.config;
    return c ? `${c.preset} ${c.precision.name}, ${Math.max(0, done)} of ${c.hyper.epochs} epochs done` : "unknown";
  } catch {
    return `files: ${readdirSync(dir).join(", ")}`;
  }
}
