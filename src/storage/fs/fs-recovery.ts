import { CorruptionError } from "../../errors.js";
import type { StacksState } from "../../model/undo-stacks.js";
import type { Operation, RepairReport } from "../../types.js";
import type { FileSystem } from "./file-system.js";
import { formatVersion, snapshotFormatName } from "./log-format.js";
import { readSegment } from "./log-reader.js";
import { toOperation } from "./log-record.js";
import type { Manifest, SegmentEntry, SnapshotEntry } from "./manifest-file.js";
import { assert } from "../../util/assert.js";
import { quarantineFile, quarantineTail } from "./quarantine.js";
import { readRecordFile, readSealedRecordFile, type RecordFileHeader } from "./record-file.js";

export interface RecoverOptions {
  readOnly: boolean;
  repair: boolean;
}

export interface Recovered {
  manifest: Manifest;
  records: Map<string, unknown>;
  snapshotSeq: number;
  stacks?: StacksState;
  ops: Operation[];
  /** Valid bytes of the active segment: where the next append goes. */
  activeBytes: number;
  logBytesSinceSnapshot: number;
  /** The manifest changed during repair and must be committed. */
  manifestChanged: boolean;
  repair?: RepairReport;
}

/** Rebuilds state from a current-format manifest: its snapshot, then the log after it. */
export function recoverFromManifest(
  fs: FileSystem,
  dir: string,
  manifest: Manifest,
  options: RecoverOptions,
  report: RepairReport = { quarantined: [] },
): Recovered {
  const result: Recovered = {
    manifest: { ...manifest, segments: [...manifest.segments] },
    records: new Map(),
    snapshotSeq: 0,
    ops: [],
    activeBytes: 0,
    logBytesSinceSnapshot: 0,
    manifestChanged: false,
  };
  loadSnapshot(fs, dir, result, options, report);
  if (options.repair) repairSealedHistory(fs, dir, result, report);
  replaySegments(fs, dir, result, options, report);
  if (report.quarantined.length > 0) result.repair = report;
  return result;
}

function loadSnapshot(
  fs: FileSystem,
  dir: string,
  result: Recovered,
  options: RecoverOptions,
  report: RepairReport,
): void {
  const entry = result.manifest.snapshot;
  if (!entry) return;
  const header = readSealedSnapshot(fs, dir, entry, result.records) ?? readCheckedSnapshot(fs, dir, entry, result, options, report);
  if (!header) return;
  result.snapshotSeq = entry.seq;
  const { undo, redo } = header;
  if (Array.isArray(undo) && Array.isArray(redo)) result.stacks = { undo, redo } as StacksState;
}

/** The fast path: a snapshot whose size and whole-file CRC match the manifest's. */
function readSealedSnapshot(
  fs: FileSystem,
  dir: string,
  entry: SnapshotEntry,
  records: Map<string, unknown>,
): RecordFileHeader | undefined {
  if (entry.bytes === undefined || entry.fileCrc === undefined) return undefined;
  const seal = { bytes: entry.bytes, crc: entry.fileCrc };
  const header = readSealedRecordFile(fs, dir, entry.file, snapshotFormatName, seal, (id, data) => records.set(id, data));
  if (!header) records.clear(); // Not as written: the checked read finds and reports the damage.
  return header;
}

/** Checks every record line; on damage (when repairing) quarantines the snapshot. */
function readCheckedSnapshot(
  fs: FileSystem,
  dir: string,
  entry: SnapshotEntry,
  result: Recovered,
  options: RecoverOptions,
  report: RepairReport,
): RecordFileHeader | undefined {
  const read = readRecordFile(fs, dir, entry.file, snapshotFormatName, (id, data) => {
    result.records.set(id, data);
  }, options.repair, true);
  if (!read.damage) return read.header;
  // Repair: rebuild from the whole log when it reaches back to seq 1, else keep the valid
  // records of the snapshot (reported) and replay the log over them.
  const fromLog = (result.manifest.segments[0]?.firstSeq ?? 0) === 1;
  if (fromLog) result.records.clear();
  result.snapshotSeq = fromLog ? 0 : entry.seq;
  report.quarantined.push(quarantineFile(fs, dir, entry.file, read.damage.offset));
  result.manifest.snapshot = null;
  result.manifestChanged = true;
  return undefined;
}

/**
 * Repair: checks every sealed segment that recovery does not replay (history before the
 * snapshot, otherwise read only on demand). History must stay contiguous, so a damaged segment
 * is moved to quarantine with every older one, and the seq range they held is reported lost.
 */
function repairSealedHistory(
  fs: FileSystem,
  dir: string,
  result: Recovered,
  report: RepairReport,
): void {
  const segments = result.manifest.segments;
  let lost = -1;
  for (let i = 0; i + 1 < segments.length; i++) {
    if (segments[i + 1]!.firstSeq > result.snapshotSeq + 1) break; // Replayed: checked there.
    if (isDamaged(fs, dir, segments[i]!)) lost = i;
  }
  if (lost < 0) return;
  const last = segments[lost]!.lastSeq;
  assert(last !== undefined, "a segment before the snapshot is sealed");
  for (const segment of segments.slice(0, lost + 1)) {
    report.quarantined.push(quarantineFile(fs, dir, segment.file, 0));
  }
  report.lostHistory = { fromSeq: segments[0]!.firstSeq, toSeq: last };
  result.manifest.segments = segments.slice(lost + 1);
  result.manifestChanged = true;
  assert(result.manifest.segments[0]!.firstSeq === last + 1, "retained history stays contiguous");
}

/** Whether a sealed segment fails its checks (record CRCs, seq order, gzip CRC, last seq). */
function isDamaged(fs: FileSystem, dir: string, segment: SegmentEntry): boolean {
  try {
    const read = readSegment(fs, dir, segment.file, segment.firstSeq, false, segment.lastSeq);
    return read.damage !== undefined;
  } catch (error) {
    if (error instanceof CorruptionError) return true;
    throw error;
  }
}

function replaySegments(
  fs: FileSystem,
  dir: string,
  result: Recovered,
  options: RecoverOptions,
  report: RepairReport,
): void {
  const segments = result.manifest.segments;
  let expected = 0;
  /** Where the replayed log ends: its last seq, and the file and offset after it. */
  let end: LogEnd | undefined;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const next = segments[i + 1];
    if (next && next.firstSeq <= result.snapshotSeq + 1) continue;
    const active = i === segments.length - 1;
    const read = readSegment(fs, dir, segment.file, segment.firstSeq, active, active ? undefined : segment.lastSeq);
    const lastRead = read.records.at(-1)?.seq ?? end?.seq ?? segment.firstSeq - 1;
    const firstFile = end?.first ?? segment.file;
    end = { seq: lastRead, file: segment.file, offset: read.validBytes, first: firstFile };
    const first = read.records[0];
    if (expected !== 0 && first && first.seq !== expected) {
      throw new CorruptionError(segment.file, 0, `starts at seq ${first.seq}; ${expected} expected`);
    }
    for (const record of read.records) {
      if (record.seq > result.snapshotSeq) result.ops.push(toOperation(record));
    }
    if (read.records.length > 0) expected = read.records[read.records.length - 1]!.seq + 1;
    result.logBytesSinceSnapshot += read.validBytes;
    if (active) result.activeBytes = read.validBytes;
    if (!read.damage || read.damage.torn) continue;
    if (!options.repair) throw new CorruptionError(segment.file, read.damage.offset, read.damage.reason);
    repairSegment(fs, dir, result, i, read.damage.offset, report);
    result.activeBytes = read.validBytes;
    break;
  }
  if (end) checkReplayStart(result, end);
}

interface LogEnd {
  seq: number;
  file: string;
  offset: number;
  /** The first segment replayed. */
  first: string;
}

/**
 * The replayed log must continue the snapshot exactly: its first operation after the snapshot
 * is snapshot seq + 1, and it reaches at least the snapshot's seq (appends continue from there).
 * Anything else means operations are missing (a stale snapshot committed over a newer one, or a
 * log pruned past it): reported, never replayed over a hole.
 */
function checkReplayStart(result: Recovered, end: LogEnd): void {
  const snapshotSeq = result.snapshotSeq;
  const first = result.ops[0];
  if (first && first.seq !== snapshotSeq + 1) {
    const gap = `operations ${snapshotSeq + 1}–${first.seq - 1} are missing`;
    const reason =
      `the log after the snapshot (seq ${snapshotSeq}) starts at seq ${first.seq}: ${gap}`;
    throw new CorruptionError(end.first, 0, reason);
  }
  if (!first && end.seq < snapshotSeq) {
    const reason =
      `the log ends at seq ${end.seq}, before the snapshot's seq ${snapshotSeq}: ` +
      `operations ${end.seq + 1}–${snapshotSeq} are missing from the log`;
    throw new CorruptionError(end.file, end.offset, reason);
  }
}

/** Keeps segment `index` up to `offset` as the new active segment; moves the rest aside. */
function repairSegment(
  fs: FileSystem,
  dir: string,
  result: Recovered,
  index: number,
  offset: number,
  report: RepairReport,
): void {
  const segments = result.manifest.segments;
  const segment = segments[index]!;
  const tail = quarantineTail(fs, dir, segment.file, offset);
  report.quarantined.push({ file: segment.file, offset, bytes: tail.bytes, quarantineFile: tail.quarantineFile });
  for (const later of segments.slice(index + 1)) report.quarantined.push(quarantineFile(fs, dir, later.file, 0));
  result.manifest.segments = segments.slice(0, index + 1);
  result.manifestChanged = true;
}

export function newManifest(schemaVersion: number): Manifest {
  return {
    formatVersion,
    schemaVersion,
    nextFile: 2,
    snapshot: null,
    segments: [{ file: "ops/seg-000001.jsonl", firstSeq: 1 }],
    archive: [],
  };
}
