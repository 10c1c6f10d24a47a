import { assert } from "../../util/assert.js";
import path from "node:path";
import { CorruptionError, VersionError } from "../../errors.js";
import type { FileSystem } from "./file-system.js";
import { isMissing, readWholeFile, writeFileAtomic } from "./files.js";
import { decodeLine, encodeLine, formatName, formatVersion, manifestFile } from "./log-format.js";

export interface SegmentEntry {
  /** Path relative to the store directory, for example "ops/seg-000003.jsonl". */
  file: string;
  /** Seq of the first operation the segment may hold. */
  firstSeq: number;
  /** Set when the segment is sealed: its last seq (firstSeq - 1 when empty). */
  lastSeq?: number;
  /** Set when the segment is sealed and not empty: first and last operation timestamps. */
  firstTs?: string;
  lastTs?: string;
  /** Set when the segment is sealed: its size on disk. */
  bytes?: number;
  /**
   * Schema version of the values in its operations, when older than the manifest's: set on the
   * segments written before a migration, in the commit that raises `schemaVersion`. Absent: the
   * manifest's `schemaVersion`.
   */
  schemaVersion?: number;
}

export interface SnapshotEntry {
  file: string;
  /** The snapshot holds the state after every operation with seq ≤ this. */
  seq: number;
  /** Timestamp of the operation at `seq`. */
  ts?: string;
  records: number;
  /**
   * Size and CRC-32 (8 hex digits) of the whole file (optional; older manifests lack them): a
   * reader whose file matches both skips the per-record checks, as the file is exactly as written.
   */
  bytes?: number;
  fileCrc?: string;
}

export interface ArchiveEntry {
  name: string;
  file: string;
  records: number;
}

/** The root of a store directory: which snapshot and log segments make up its state. */
export interface Manifest {
  formatVersion: number;
  schemaVersion: number;
  /** Number for the next file created; file names never repeat. */
  nextFile: number;
  snapshot: SnapshotEntry | null;
  /** Retained log segments, oldest first; the last one is the active segment. */
  segments: SegmentEntry[];
  archive: ArchiveEntry[];
}

export type ManifestRead =
  | { kind: "missing" }
  | { kind: "legacy"; raw: Record<string, unknown> }
  | { kind: "current"; manifest: Manifest; bytes: number };

export function readManifest(fs: FileSystem, dir: string): ManifestRead {
  let bytes: Buffer;
  try {
    bytes = readWholeFile(fs, path.join(dir, manifestFile));
  } catch (error) {
    if (isMissing(error)) return { kind: "missing" };
    throw error;
  }
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d)) end--;
  const text = bytes.toString("utf8", 0, end);
  // A damaged current manifest still ends in its checksum member; opslog 0.x never wrote one.
  const ours = text.includes(`"format":"${formatName}"`) || /,"crc":"[^"]*"}$/.test(text);
  if (!ours) return readLegacyManifest(text);
  const line = decodeLine(bytes, 0, end);
  if (!line.ok) throw new CorruptionError(manifestFile, 0, line.reason);
  const manifest = line.value as unknown as Manifest;
  if (manifest.formatVersion > formatVersion) {
    throw new VersionError(
      `${manifestFile} is format version ${manifest.formatVersion}; this opslog reads up to ` +
        `version ${formatVersion}: upgrade opslog`,
    );
  }
  checkManifestShape(manifest);
  return { kind: "current", manifest, bytes: bytes.length };
}

function readLegacyManifest(text: string): ManifestRead {
  try {
    const raw = JSON.parse(text) as unknown;
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) {
      return { kind: "legacy", raw: raw as Record<string, unknown> };
    }
  } catch {
    // Falls through to the corruption report.
  }
  throw new CorruptionError(manifestFile, 0, "not an opslog manifest (unparsable or wrong shape)");
}

function checkManifestShape(m: Manifest): void {
  const ok =
    Number.isInteger(m.schemaVersion) &&
    Number.isInteger(m.nextFile) &&
    Array.isArray(m.segments) &&
    m.segments.length > 0 &&
    m.segments.every((s) => typeof s.file === "string" && Number.isInteger(s.firstSeq)) &&
    m.segments.every((s) => s.schemaVersion === undefined || Number.isInteger(s.schemaVersion)) &&
    Array.isArray(m.archive) &&
    (m.snapshot === null || (typeof m.snapshot.file === "string" && Number.isInteger(m.snapshot.seq)));
  if (!ok) throw new CorruptionError(manifestFile, 0, "manifest fields are missing or malformed");
}

export function writeManifest(fs: FileSystem, dir: string, manifest: Manifest, onRenamed?: () => void): number {
  assert(manifest.segments.length > 0, "a manifest names an active segment");
  for (let i = 1; i < manifest.segments.length; i++) {
    assert(manifest.segments[i]!.firstSeq > manifest.segments[i - 1]!.firstSeq, "segments in seq order");
  }
  const record = {
    format: formatName,
    formatVersion: manifest.formatVersion,
    schemaVersion: manifest.schemaVersion,
    nextFile: manifest.nextFile,
    snapshot: manifest.snapshot,
    segments: manifest.segments,
    archive: manifest.archive,
  };
  return writeFileAtomic(fs, path.join(dir, manifestFile), [encodeLine(record)], onRenamed);
}
