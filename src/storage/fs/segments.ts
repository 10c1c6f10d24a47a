import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { CorruptionError } from "../../errors.js";
import type { Operation } from "../../types.js";
import type { SegmentInfo } from "./fs-types.js";
import type { FileSystem } from "./file-system.js";
import { readWholeFile, removeIfPresent, syncDirectory, writeFileAtomic } from "./files.js";
import { compressedSuffix, readSegment } from "./log-reader.js";
import { toOperation } from "./log-record.js";
import type { Manifest, SegmentEntry } from "./manifest-file.js";

const gzip = promisify(zlib.gzip);

/** gzip level of sealed segments: 1 packs this JSON nearly as well as 6, several times faster. */
const compressionLevel = 1;

/** Sealed segments parsed recently, kept to serve history reads without re-reading files. */
const cachedSegmentsMax = 4;

/**
 * Sealed log segments: the history on disk. They are read back for history (getOps, undo,
 * time travel), compressed after sealing, and pruned by the retention policy.
 */
export class SegmentFiles {
  private cache: { file: string; ops: Operation[] }[] = [];

  constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    /**
     * Compress on the calling thread. Set when a file system is injected (simulation): the
     * thread pool finishes after real-time delays, which would make a seeded run unrepeatable.
     */
    private readonly compressInline: boolean,
  ) {}

  /** Sizes come from the manifest (sealed) and the writer (active): no file-system call. */
  info(manifest: Manifest, active: { firstTs?: string; lastTs?: string }, activeBytes: number): SegmentInfo[] {
    const last = manifest.segments.length - 1;
    return manifest.segments.map((entry, index) => ({
      file: entry.file,
      firstSeq: entry.firstSeq,
      lastSeq: index === last ? undefined : (entry.lastSeq ?? entry.firstSeq - 1),
      ...(index === last ? active : timestamps(entry)),
      bytes: index === last ? activeBytes : (entry.bytes ?? 0),
      schemaVersion: entry.schemaVersion ?? manifest.schemaVersion,
    }));
  }

  readOps(segment: SegmentInfo): Operation[] {
    const hit = this.cache.find((entry) => entry.file === segment.file);
    if (hit) return hit.ops;
    const read = readSegment(this.fs, this.dir, segment.file, segment.firstSeq, false, segment.lastSeq);
    if (read.damage) throw new CorruptionError(segment.file, read.damage.offset, read.damage.reason);
    const ops = read.records.map((record) => toOperation(record));
    this.cache.push({ file: segment.file, ops });
    if (this.cache.length > cachedSegmentsMax) this.cache.shift();
    return ops;
  }

  /** Forgets cached segments other than `files` (a reader learnt that the others were pruned). */
  keepCached(files: readonly string[]): void {
    this.cache = this.cache.filter((entry) => files.includes(entry.file));
  }

  /** The manifest without sealed segments whose last seq ≤ throughSeq, and their files. */
  pruned(manifest: Manifest, throughSeq: number): { manifest: Manifest; files: string[] } {
    const last = manifest.segments.length - 1;
    const keep: SegmentEntry[] = [];
    const files: string[] = [];
    manifest.segments.forEach((entry, index) => {
      const sealedThrough = index < last && (entry.lastSeq ?? Infinity) <= throughSeq;
      if (sealedThrough) files.push(entry.file);
      else keep.push(entry);
    });
    this.cache = this.cache.filter((entry) => !files.includes(entry.file));
    return { manifest: { ...manifest, segments: keep }, files };
  }

  /** Writes a gzip copy of a sealed segment; the caller commits the manifest naming it. */
  async compress(entry: SegmentEntry): Promise<{ file: string; bytes: number }> {
    const bytes = readWholeFile(this.fs, path.join(this.dir, entry.file));
    // One output chunk: with zlib's default 16 KiB chunks, each chunk waits for a turn of the
    // event loop, and a busy writer starved the compression of an 8 MiB segment for seconds.
    const options = { level: compressionLevel, chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, bytes.length + 1024) };
    const packed = this.compressInline ? zlib.gzipSync(bytes, options) : await gzip(bytes, options);
    const file = `${entry.file}${compressedSuffix}`;
    writeFileAtomic(this.fs, path.join(this.dir, file), [packed]);
    return { file, bytes: packed.length };
  }

  remove(files: string[]): void {
    if (files.length === 0) return;
    const dirs = new Set<string>();
    for (const file of files) {
      removeIfPresent(this.fs, path.join(this.dir, file));
      dirs.add(path.dirname(path.join(this.dir, file)));
    }
    for (const dir of dirs) syncDirectory(this.fs, dir);
  }
}

function timestamps(entry: SegmentEntry): { firstTs?: string; lastTs?: string } {
  return {
    ...(entry.firstTs ? { firstTs: entry.firstTs } : {}),
    ...(entry.lastTs ? { lastTs: entry.lastTs } : {}),
  };
}
