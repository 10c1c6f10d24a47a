import path from "node:path";
import { InvalidArgumentError, NotFoundError } from "../../errors.js";
import type { Operation } from "../../types.js";
import { assert } from "../../util/assert.js";
import type {
  ArchiveStorage,
  CheckpointMeta,
  CommitResult,
  OpenRequest,
  OpsChunk,
  RecordList,
  Storage,
  StorageCapabilities,
  StorageUsage,
  StoredState,
  TailEvent,
  WriteGroup,
} from "../port.js";
import { compressedSuffix, readSegment } from "./log-reader.js";
import { toOperation } from "./log-record.js";
import { FsArchive } from "./fs-archive.js";
import { DurableMark, durableLimit, durableOps } from "./durable-mark.js";
import type { LoadedStore, SegmentInfo } from "./fs-types.js";
import { SegmentFiles } from "./segments.js";
import type { FileSystem } from "./file-system.js";
import { removeIfPresent, syncDirectory } from "./files.js";
import { loadDirectory } from "./fs-load.js";
import { DirectoryLock } from "./lock-file.js";
import {
  crcText,
  fileNumberName,
  formatVersion,
  opsDir,
  snapshotFormatName,
  snapshotsDir,
} from "./log-format.js";
import { encodeLogLine } from "./log-record.js";
import { LogWriter } from "./log-writer.js";
import { readManifest, writeManifest, type Manifest, type SegmentEntry } from "./manifest-file.js";
import { readerManifest, readSegmentBesideWriter } from "./reader-retry.js";
import { writeRecordFile } from "./record-file.js";
import { NodeFileSystem } from "./node-file-system.js";
import { tailDirectory } from "./fs-tail.js";

/** Log bytes since the last snapshot below which a checkpoint is never wanted. */
export const adaptiveLogBytesMin = 16 * 1024 * 1024;
/** A checkpoint is wanted when the log since the snapshot is this many times its size. */
export const adaptiveLogToSnapshotRatio = 2;
/**
 * close() with the default `checkpointOnClose` writes a snapshot only when the log since the
 * last one is at least this fraction of it and at least closeLogBytesMin. Opening costs about
 * 3.5 times more per byte of log than per byte of snapshot (on 200,000 records: 48.6 MB of
 * snapshot in about 640 ms, 5.2 MB of log since it about 200 ms more; bench/analysis.md, issue
 * 14), so the next open pays at most about half an open more, instead of every close rewriting
 * the whole snapshot (W8).
 */
export const closeLogToSnapshotRatio = 0.15;
export const closeLogBytesMin = 4 * 1024 * 1024;
/**
 * An active segment larger than this is sealed (without a snapshot), so that history reads
 * (undo, getHistory, at) decompress and parse a bounded amount to reach any operation.
 */
export const segmentBytesMax = 8 * 1024 * 1024;

/** How often a follower looks for a writer's changes when no fs.watch wake-up came. */
export const followPollMsDefault = 100;
export const followPollMsMax = 60_000;

export interface FileStorageOptions {
  /** Injected file system, for tests (a simulated, fault-injecting one). Default: node:fs. */
  fileSystem?: FileSystem;
  /** A follower (`follow: true`) polls this often besides fs.watch wake-ups. Default 100 ms. */
  followPollMs?: number;
  /** A follower uses fs.watch as its wake-up (default true); false: polling only. */
  followWatch?: boolean;
}

const capabilities: StorageCapabilities = Object.freeze({
  synchronousCommit: true,
  exclusiveWriter: true,
  archive: true,
  tail: true,
});

/**
 * Storage in a directory (docs/FORMAT.md): the only code that knows bytes on disk. The default
 * storage: `store.open("./data")` is `store.open(new FileStorage("./data"))`.
 */
export class FileStorage implements Storage {
  readonly location: string;
  readonly capabilities = capabilities;
  readonly archive: ArchiveStorage;
  private readonly fs: FileSystem;
  private options: OpenRequest = { readOnly: true, repair: false, schemaVersion: 1 };
  private manifest: Manifest | undefined;
  private writer: LogWriter | undefined;
  /** The writer's durable seq, for followers in other processes (durable-mark.ts). */
  private mark: DurableMark | undefined;
  private lock: DirectoryLock | undefined;
  private logBytesSinceSnapshot = 0;
  private snapshotBytes = 0;
  /** Files to delete once a manifest that no longer names them is durable. */
  private obsolete: string[] = [];
  /** First and last timestamps in the active segment, recorded in its entry when sealed. */
  private active: { firstTs?: string; lastTs?: string } = {};
  private segmentFiles: SegmentFiles;
  /** Size of the active segment when opened read-only (no writer tracks it). */
  private activeBytesAtLoad = 0;
  private compressing: Promise<void> = Promise.resolve();
  /** A manifest was renamed into place but its directory sync failed. */
  private directoryUnsynced = false;

  /** One session at a time: open → close → may be opened again. */
  private isOpen = false;
  private readonly followPollMs: number;
  private readonly followWatch: boolean;

  constructor(dir: string, options: FileStorageOptions = {}) {
    this.location = path.resolve(dir);
    this.fs = options.fileSystem ?? new NodeFileSystem();
    const { followPollMs = followPollMsDefault, followWatch = true } = options;
    if (!(Number.isFinite(followPollMs) && followPollMs >= 1 && followPollMs <= followPollMsMax)) {
      throw new InvalidArgumentError(`followPollMs must be a number of milliseconds from 1 to ${followPollMsMax}`);
    }
    if (typeof followWatch !== "boolean") throw new InvalidArgumentError("followWatch must be a boolean");
    this.followPollMs = followPollMs;
    this.followWatch = followWatch;
    // With an injected file system (simulation), compress on the calling thread: the thread
    // pool finishes after real-time delays, which would make a seeded run unrepeatable.
    this.segmentFiles = new SegmentFiles(this.fs, this.location, options.fileSystem !== undefined);
    this.archive = new FsArchive(this.fs, this.location, {
      manifest: () => this.requireManifest(),
      commit: (manifest) => this.commitManifest(manifest),
    });
  }

  async open(request: OpenRequest): Promise<StoredState> {
    if (this.isOpen) {
      throw new InvalidArgumentError(
        `this FileStorage of ${this.location} is already open; a second store needs its own FileStorage`,
      );
    }
    this.isOpen = true;
    this.resetSession(request);
    let loaded: LoadedStore;
    try {
      loaded = this.load();
    } catch (error) {
      // A failed open holds nothing, also when it failed before taking anything (OPSLOG_LOCKED,
      // a readOnly open of a missing directory): the storage may be opened again.
      this.isOpen = false;
      throw error;
    }
    return stateOf(loaded);
  }

  /**
   * Follows a writer in another process (fs-tail.ts). Only a read-only storage follows; it reads
   * history through the newest manifest the tail has seen.
   */
  tail(afterSeq: number, signal: AbortSignal): AsyncIterable<TailEvent> {
    assert(this.isOpen && this.options.readOnly, "only an open read-only storage follows a writer");
    const host = {
      fs: this.fs,
      dir: this.location,
      pollMs: this.followPollMs,
      watch: this.followWatch,
      schemaVersion: this.requireManifest().schemaVersion,
      adopt: (manifest: Manifest, activeBytes: number) => {
        if (manifest !== this.manifest) this.segmentFiles.keepCached(manifest.segments.map((s) => s.file));
        this.manifest = manifest;
        this.activeBytesAtLoad = activeBytes;
        this.active = {};
      },
      reload: () => {
        this.active = {};
        try {
          return stateOf(this.load());
        } finally {
          // A failed load releases what it took; a reader holds nothing, and its session goes on.
          this.isOpen = true;
        }
      },
    };
    return tailDirectory(host, afterSeq, signal);
  }

  private resetSession(request: OpenRequest): void {
    this.options = request;
    this.manifest = undefined;
    this.logBytesSinceSnapshot = 0;
    this.snapshotBytes = 0;
    this.obsolete = [];
    this.active = {};
    this.activeBytesAtLoad = 0;
    this.directoryUnsynced = false;
    this.segmentFiles.keepCached([]);
  }

  private load(): LoadedStore {
    if (!this.options.readOnly) {
      this.fs.mkdir(this.location);
      this.lock = DirectoryLock.acquire(this.fs, this.location);
    } else if (!this.fs.stat(this.location)?.isDirectory) {
      throw new NotFoundError(`${this.location} does not exist; a readOnly store cannot create it`);
    }
    try {
      // A reader beside a live writer shows what the writer made durable, not what it wrote: the
      // mark is read before the log, so nothing written after it is taken.
      let limit = this.options.readOnly ? durableLimit(this.fs, this.location) : undefined;
      const loaded = loadDirectory(this.fs, this.location, this.options);
      // No live writer when the mark was read, but one now: it may have written past its mark
      // while the log was read; its mark (read after the log) bounds what is durable.
      if (this.options.readOnly && limit === undefined) limit = durableLimit(this.fs, this.location);
      if (this.options.readOnly) loaded.store.ops = durableOps(loaded.store.ops, limit);
      this.manifest = loaded.manifest;
      this.logBytesSinceSnapshot = loaded.logBytesSinceSnapshot;
      this.snapshotBytes = loaded.snapshotBytes;
      this.obsolete = loaded.obsolete;
      this.activeBytesAtLoad = loaded.activeBytes;
      const activeFirst = this.requireManifest().segments.at(-1)!.firstSeq;
      const activeOps = loaded.store.ops.filter((op) => op.seq >= activeFirst);
      if (activeOps.length > 0) this.active = { firstTs: activeOps[0]!.ts, lastTs: activeOps.at(-1)!.ts };
      if (!this.options.readOnly) {
        const active = this.activeSegment();
        this.writer = LogWriter.openExisting(this.fs, this.location, active, loaded.activeBytes);
        // What recovery found is what this session acknowledges: durable before it is published.
        this.writer.sync();
        this.mark = DurableMark.open(this.fs, this.location, this.lock!.token);
        this.mark.publish(loaded.store.ops.at(-1)?.seq ?? loaded.store.snapshotSeq);
      }
      return loaded.store;
    } catch (error) {
      this.release();
      throw error;
    }
  }

  commit(group: WriteGroup): CommitResult {
    if (group.checkpointAt !== undefined && group.ops.length === 0) {
      this.roll(group.checkpointAt + 1);
      return undefined;
    }
    this.append(group.ops, group.batchSizes);
    this.sync();
    this.mark?.publish(group.ops.at(-1)!.seq); // Followers may now take these operations.
    if (group.checkpointAt !== undefined) this.roll(group.checkpointAt + 1);
    else if ((this.writer?.bytes ?? 0) >= segmentBytesMax) this.sealFullSegment(group.ops.at(-1)!.seq + 1);
    return undefined;
  }

  /**
   * Seals a full active segment after a durable commit. The commit has succeeded whatever
   * happens here: a failed seal leaves the old segment active, and writes go on there.
   */
  private sealFullSegment(nextSeq: number): void {
    try {
      this.roll(nextSeq);
    } catch {
      return;
    }
    this.compressSealed().catch(() => undefined); // Retried by the next checkpoint's pass.
  }

  private append(ops: readonly Operation[], batchSizes: ReadonlyMap<number, number>): void {
    assert(this.writer !== undefined, "append on a storage opened without a writer");
    if (this.directoryUnsynced) {
      syncDirectory(this.fs, this.location);
      this.directoryUnsynced = false;
    }
    assert(ops.length > 0, "append of an empty group");
    const group = ops[0]!.seq;
    let text = "";
    for (const op of ops) {
      const size = op.batch === undefined ? undefined : batchSizes.get(op.batch);
      text += encodeLogLine(op, group, size);
    }
    const bytes = Buffer.from(text);
    this.writer.append(bytes);
    this.logBytesSinceSnapshot += bytes.length;
    this.active.firstTs ??= ops[0]!.ts;
    this.active.lastTs = ops[ops.length - 1]!.ts;
  }

  checkWritable(): void {
    this.writer?.checkUsable();
  }

  private sync(): void {
    assert(this.writer !== undefined, "sync on a storage opened without a writer");
    this.writer.sync();
  }

  private roll(nextSeq: number): void {
    if (this.writer?.bytes === 0) return; // The active segment is empty: it already starts here.
    const manifest = this.requireManifest();
    assert(nextSeq > manifest.segments.at(-1)!.firstSeq, "a sealed segment holds operations");
    const file = path.join(opsDir, fileNumberName("seg", manifest.nextFile, ".jsonl"));
    removeIfPresent(this.fs, path.join(this.location, file)); // An orphan of a crashed roll.
    const writer = LogWriter.create(this.fs, this.location, file);
    let adopted = false;
    try {
      syncDirectory(this.fs, path.join(this.location, opsDir));
      const sealed = { ...manifest.segments.at(-1)!, lastSeq: nextSeq - 1, ...this.active, bytes: this.writer?.bytes ?? 0 };
      // Once the new manifest has replaced the old one, writes must go to the new segment,
      // even if a later step (the directory sync) fails.
      this.commitManifest(
        { ...manifest, nextFile: manifest.nextFile + 1, segments: [...manifest.segments.slice(0, -1), sealed, { file, firstSeq: nextSeq }] },
        () => {
          adopted = true;
          this.writer?.closeQuietly();
          this.writer = writer;
          this.active = {};
        },
      );
    } catch (error) {
      if (!adopted) writer.closeQuietly();
      throw error;
    }
  }

  /**
   * Writes the snapshot and commits the manifest naming it; then compresses sealed segments in
   * the background (after retention has pruned what it prunes; close() waits for it).
   */
  async writeCheckpoint(meta: CheckpointMeta, records: RecordList, signal?: AbortSignal): Promise<void> {
    // Checked before anything is written: a small snapshot fits one chunk and never yields.
    signal?.throwIfAborted();
    await this.writeSnapshot(meta, records, signal);
    this.compressSealed().catch(() => undefined); // An uncompressed segment is valid; retried.
  }

  wantsCheckpoint(): boolean {
    const threshold = Math.max(adaptiveLogBytesMin, adaptiveLogToSnapshotRatio * this.snapshotBytes);
    return this.logBytesSinceSnapshot >= threshold;
  }

  wantsCheckpointOnClose(): boolean {
    const threshold = Math.max(closeLogBytesMin, closeLogToSnapshotRatio * this.snapshotBytes);
    return this.logBytesSinceSnapshot >= threshold;
  }

  applyRetention(throughSeq: number): void {
    const snapshotSeq = this.requireManifest().snapshot?.seq ?? 0;
    assert(throughSeq <= snapshotSeq, "retention never prunes beyond the last checkpoint");
    this.prune(throughSeq);
  }

  usage(): StorageUsage {
    const historyBytes = this.segments().reduce((sum, segment) => sum + segment.bytes, 0);
    return { historyBytes, formatVersion };
  }

  private async writeSnapshot(meta: CheckpointMeta, records: RecordList, signal?: AbortSignal): Promise<void> {
    const { seq, ts, schemaVersion, stacks } = meta;
    const before = this.requireManifest();
    const file = path.join(snapshotsDir, fileNumberName("snap", before.nextFile, ".jsonl"));
    const header = {
      format: snapshotFormatName,
      formatVersion,
      seq,
      ts,
      schemaVersion,
      undo: stacks.undo,
      redo: stacks.redo,
      records: records.ids.length,
    };
    this.reserveFileNumber();
    const written = await writeRecordFile(this.fs, path.join(this.location, file), header, records, signal);
    const manifest = this.requireManifest(); // Rolls may have happened meanwhile.
    // Checkpoints run one at a time, in order: a newer snapshot is never replaced by an older one.
    assert(seq >= (manifest.snapshot?.seq ?? 0), `snapshot at seq ${seq} would replace a newer one`);
    const old = manifest.snapshot?.file;
    const entry = { file, seq, ...(ts ? { ts } : {}), records: header.records, bytes: written.bytes, fileCrc: crcText(written.crc) };
    const segments = stampSchemaVersion(manifest, schemaVersion, seq);
    this.commitManifest({ ...manifest, schemaVersion, snapshot: entry, segments });
    this.snapshotBytes = written.bytes;
    this.logBytesSinceSnapshot = this.writer?.bytes ?? 0;
    if (old) this.obsolete.push(old);
    this.deleteObsolete();
  }

  /** Bytes in the active log segment. */
  activeSegmentBytes(): number {
    return this.writer?.bytes ?? this.activeBytesAtLoad;
  }

  /** The log segments, oldest first; the last is the active one. */
  segments(): SegmentInfo[] {
    return this.segmentFiles.info(this.requireManifest(), this.active, this.writer?.bytes ?? this.activeBytesAtLoad);
  }

  /** From the manifest as it is (history reads and the change feed ask often: no copies). */
  oldestSeq(): number {
    const segments = this.requireManifest().segments;
    const last = segments.length - 1;
    // The first segment holding an operation, or the active one (which holds the next).
    const first = segments.findIndex((s, i) => i === last || (s.lastSeq ?? s.firstSeq - 1) >= s.firstSeq);
    return segments[first]!.firstSeq;
  }

  readOps(from: number, to: number): OpsChunk[] {
    const chunks: OpsChunk[] = [];
    if (from > to) return chunks;
    for (const segment of this.segments()) {
      const last = segment.lastSeq ?? Infinity;
      if (last < from || segment.firstSeq > to || last < segment.firstSeq) continue;
      const ops = segment.lastSeq === undefined ? this.readActiveOps(segment) : this.readSegmentOps(segment);
      const inRange = ops.filter((op) => op.seq >= from && op.seq <= to);
      if (inRange.length > 0) chunks.push({ ops: inRange, schemaVersion: segment.schemaVersion });
    }
    return chunks;
  }

  /** The operations of a sealed segment (complete batches only). */
  private readSegmentOps(segment: SegmentInfo): Operation[] {
    const read = (named: SegmentInfo) => this.segmentFiles.readOps(named);
    if (!this.options.readOnly) return read(segment); // A writer's missing file is damage.
    return readSegmentBesideWriter(segment, read, () => this.refreshSegments());
  }

  /** The complete batches of the active segment, read from the file (never cached). */
  private readActiveOps(segment: SegmentInfo): Operation[] {
    const read = readSegment(this.fs, this.location, segment.file, segment.firstSeq, true);
    return read.records.map((record) => toOperation(record));
  }

  private prune(throughSeq: number): void {
    const { manifest, files } = this.segmentFiles.pruned(this.requireManifest(), throughSeq);
    if (files.length === 0) return;
    this.commitManifest(manifest);
    this.segmentFiles.remove(files);
  }

  /** One compression pass at a time: passes started meanwhile wait for it and then run. */
  private compressSealed(): Promise<void> {
    const run = this.compressing.then(() => this.compressPass());
    this.compressing = run.catch(() => undefined);
    return run;
  }

  /**
   * Compresses the sealed segments not compressed yet. Retention may prune a segment while it
   * is compressed (compression runs in the background): its copy is then removed, not named.
   */
  private async compressPass(): Promise<void> {
    const pending = this.requireManifest().segments.slice(0, -1).filter((s) => !s.file.endsWith(compressedSuffix));
    const named = (file: string) => this.requireManifest().segments.some((s) => s.file === file);
    for (const entry of pending) {
      if (!named(entry.file)) continue; // Pruned since the pass began.
      const { file, bytes } = await this.segmentFiles.compress(entry);
      if (!named(entry.file)) {
        this.segmentFiles.remove([file]);
        continue;
      }
      const manifest = this.requireManifest(); // Read now: other commits may have happened.
      const segments = manifest.segments.map((s) => (s.file === entry.file ? { ...s, file, bytes } : s));
      this.commitManifest({ ...manifest, segments });
      this.segmentFiles.remove([entry.file]);
    }
  }

  async idle(): Promise<void> {
    await this.compressing;
  }

  async close(): Promise<void> {
    await this.compressing;
    this.release();
  }

  /** Closes the log and releases the lock, synchronously (also after a failed open). */
  private release(): void {
    try {
      this.mark?.close();
      this.mark = undefined;
      this.writer?.close();
    } finally {
      this.writer = undefined;
      this.lock?.release();
      this.lock = undefined;
      this.isOpen = false;
    }
  }

  /** A reader re-reads the manifest (the writer may have compressed or pruned segments since). */
  private refreshSegments(): SegmentInfo[] {
    assert(this.options.readOnly, "only a reader refreshes its manifest");
    const read = readManifest(this.fs, this.location);
    if (read.kind === "current") {
      this.manifest = readerManifest(this.requireManifest(), read.manifest);
      this.segmentFiles.keepCached(this.manifest.segments.map((s) => s.file));
    }
    return this.segments();
  }

  private reserveFileNumber(): void {
    const manifest = this.requireManifest();
    this.manifest = { ...manifest, nextFile: manifest.nextFile + 1 };
  }

  /**
   * Replaces the manifest. If the directory sync after the rename fails, the new manifest is
   * in place but maybe not durable: it is adopted, and the sync is retried before the next
   * append, so no write is acknowledged until the manifest naming its segment is durable.
   */
  private commitManifest(manifest: Manifest, onRenamed?: () => void): void {
    assert(!this.options.readOnly, "a reader never writes the manifest");
    writeManifest(this.fs, this.location, manifest, () => {
      this.manifest = manifest;
      this.directoryUnsynced = true;
      onRenamed?.();
    });
    this.directoryUnsynced = false;
  }

  private deleteObsolete(): void {
    if (this.obsolete.length === 0) return;
    const named = new Set(namedFiles(this.requireManifest()));
    const dirs = new Set<string>();
    for (const file of this.obsolete.filter((f) => !named.has(path.normalize(f)))) {
      removeIfPresent(this.fs, path.join(this.location, file));
      dirs.add(path.dirname(path.join(this.location, file)));
    }
    this.obsolete = [];
    for (const dir of dirs) syncDirectory(this.fs, dir);
  }

  private activeSegment(): string {
    const segments = this.requireManifest().segments;
    return segments[segments.length - 1]!.file;
  }

  private requireManifest(): Manifest {
    assert(this.manifest !== undefined, "storage used before load");
    return this.manifest;
  }
}

/**
 * The segments for a manifest at `schemaVersion` whose snapshot is at `seq`. When the version
 * changes (the migration checkpoint), segments written before it keep the old version in their
 * entry, so that history read from them is still migrated (docs/FORMAT.md).
 */
function stampSchemaVersion(
  manifest: Manifest,
  schemaVersion: number,
  seq: number,
): SegmentEntry[] {
  if (schemaVersion === manifest.schemaVersion) return manifest.segments;
  assert(schemaVersion > manifest.schemaVersion, "the schema version only grows");
  const last = manifest.segments.length - 1;
  return manifest.segments.map((entry, index) => {
    if (entry.schemaVersion !== undefined || entry.firstSeq > seq) return entry;
    assert(index < last, "the active segment starts after the snapshot");
    return { ...entry, schemaVersion: manifest.schemaVersion };
  });
}

/** Every file a manifest names: never deleted while it names them. */
function namedFiles(manifest: Manifest): string[] {
  const files = manifest.segments.map((s) => path.normalize(s.file));
  if (manifest.snapshot) files.push(path.normalize(manifest.snapshot.file));
  for (const entry of manifest.archive) files.push(path.normalize(entry.file));
  return files;
}

/** What open() reports of a loaded directory. */
function stateOf(loaded: LoadedStore): StoredState {
  return {
    head: loaded.ops.at(-1)?.seq ?? loaded.snapshotSeq,
    checkpoint: {
      seq: loaded.snapshotSeq,
      ...(loaded.snapshotTs ? { ts: loaded.snapshotTs } : {}),
      ...(loaded.stacks ? { stacks: loaded.stacks } : {}),
      records: loaded.records,
    },
    ops: loaded.ops,
    schemaVersion: loaded.schemaVersion,
    ...(loaded.repair ? { repair: loaded.repair } : {}),
    needsCheckpoint: loaded.legacy,
  };
}
