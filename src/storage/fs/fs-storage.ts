import path from "node:path";
import { InvalidArgumentError, NotFoundError } from "../../errors.js";
import type { Operation } from "../../types.js";
import { assert } from "../../util/assert.js";
import { recordList, type LoadedStore, type RecordList, type SegmentInfo, type SnapshotMeta, type Storage, type StorageSizes } from "../port.js";
import { compressedSuffix } from "./log-reader.js";
import { SegmentFiles } from "./segments.js";
import type { FileSystem } from "./file-system.js";
import { removeIfPresent, syncDirectory } from "./files.js";
import { loadDirectory } from "./fs-load.js";
import { DirectoryLock } from "./lock-file.js";
import {
  archiveDir,
  archiveFormatName,
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
import { readRecordFile, writeRecordFile } from "./record-file.js";

export interface FsStorageOptions {
  readOnly: boolean;
  repair: boolean;
  schemaVersion: number;
  /** Compress sealed segments on the calling thread (deterministic; for injected file systems). */
  compressInline?: boolean;
}

/** Storage in a directory (docs/FORMAT.md): the only code that knows bytes on disk. */
export class FsStorage implements Storage {
  private manifest: Manifest | undefined;
  private writer: LogWriter | undefined;
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

  constructor(
    readonly location: string,
    private readonly fs: FileSystem,
    private readonly options: FsStorageOptions,
  ) {
    this.segmentFiles = new SegmentFiles(fs, location, options.compressInline === true);
  }

  load(): LoadedStore {
    if (!this.options.readOnly) {
      this.fs.mkdir(this.location);
      this.lock = DirectoryLock.acquire(this.fs, this.location);
    } else if (!this.fs.stat(this.location)?.isDirectory) {
      throw new NotFoundError(`${this.location} does not exist; a readOnly store cannot create it`);
    }
    try {
      const loaded = loadDirectory(this.fs, this.location, this.options);
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
      }
      return loaded.store;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  append(ops: readonly Operation[], batchSizes: ReadonlyMap<number, number>): void {
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

  sync(): void {
    assert(this.writer !== undefined, "sync on a storage opened without a writer");
    this.writer.sync();
  }

  roll(nextSeq: number): void {
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
      this.commit(
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

  async writeSnapshot(meta: SnapshotMeta, records: RecordList, signal?: AbortSignal): Promise<void> {
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
    this.commit({ ...manifest, schemaVersion, snapshot: entry, segments });
    this.snapshotBytes = written.bytes;
    this.logBytesSinceSnapshot = this.writer?.bytes ?? 0;
    if (old) this.obsolete.push(old);
    this.deleteObsolete();
  }

  async writeArchive(name: string, records: Iterable<[string, unknown]>): Promise<number> {
    const merged = this.readArchiveIfPresent(name) ?? new Map<string, unknown>();
    for (const [id, value] of records) merged.set(id, value);
    const file = path.join(archiveDir, `${name}.jsonl`);
    this.fs.mkdir(path.join(this.location, archiveDir));
    const header = { format: archiveFormatName, formatVersion, segment: name, records: merged.size };
    await writeRecordFile(this.fs, path.join(this.location, file), header, recordList(merged));
    const manifest = this.requireManifest(); // Read now: other commits may have happened.
    const archive = manifest.archive.filter((entry) => entry.name !== name);
    archive.push({ name, file, records: merged.size });
    this.commit({ ...manifest, archive });
    return merged.size;
  }

  readArchive(name: string): Map<string, unknown> {
    const found = this.readArchiveIfPresent(name);
    if (!found) throw new InvalidArgumentError(`Archive segment ${JSON.stringify(name)} not found`);
    return found;
  }

  archiveSegments(): { name: string; records: number }[] {
    return this.requireManifest().archive.map(({ name, records }) => ({ name, records }));
  }

  sizes(): StorageSizes {
    return { logBytesSinceSnapshot: this.logBytesSinceSnapshot, snapshotBytes: this.snapshotBytes };
  }

  activeSegmentBytes(): number {
    return this.writer?.bytes ?? this.activeBytesAtLoad;
  }

  segments(): SegmentInfo[] {
    return this.segmentFiles.info(this.requireManifest(), this.active, this.writer?.bytes ?? this.activeBytesAtLoad);
  }

  readSegmentOps(segment: SegmentInfo): Operation[] {
    const read = (named: SegmentInfo) => this.segmentFiles.readOps(named);
    if (!this.options.readOnly) return read(segment); // A writer's missing file is damage.
    return readSegmentBesideWriter(segment, read, () => this.refreshSegments());
  }

  prune(throughSeq: number): void {
    const { manifest, files } = this.segmentFiles.pruned(this.requireManifest(), throughSeq);
    if (files.length === 0) return;
    this.commit(manifest);
    this.segmentFiles.remove(files);
  }

  /** One compression pass at a time: passes started meanwhile wait for it and then run. */
  compressSealed(): Promise<void> {
    const run = this.compressing.then(() => this.compressPass());
    this.compressing = run.catch(() => undefined);
    return run;
  }

  private async compressPass(): Promise<void> {
    const pending = this.requireManifest().segments.slice(0, -1).filter((s) => !s.file.endsWith(compressedSuffix));
    for (const entry of pending) {
      const { file, bytes } = await this.segmentFiles.compress(entry);
      const manifest = this.requireManifest(); // Read now: other commits may have happened.
      const segments = manifest.segments.map((s) => (s.file === entry.file ? { ...s, file, bytes } : s));
      this.commit({ ...manifest, segments });
      this.segmentFiles.remove([entry.file]);
    }
  }

  async idle(): Promise<void> {
    await this.compressing;
  }

  close(): void {
    try {
      this.writer?.close();
    } finally {
      this.writer = undefined;
      this.lock?.release();
      this.lock = undefined;
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

  private readArchiveIfPresent(name: string): Map<string, unknown> | undefined {
    const entry = this.requireManifest().archive.find((candidate) => candidate.name === name);
    if (!entry) return undefined;
    const records = new Map<string, unknown>();
    readRecordFile(this.fs, this.location, entry.file, archiveFormatName, (id, data) => {
      records.set(id, data);
    });
    return records;
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
  private commit(manifest: Manifest, onRenamed?: () => void): void {
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
