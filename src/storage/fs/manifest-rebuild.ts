import path from "node:path";
import type { RepairReport } from "../../types.js";
import type { FileSystem } from "./file-system.js";
import { readWholeFile, writeFileAtomic } from "./files.js";
import { archiveDir, archiveFormatName, formatVersion, manifestFile, opsDir, quarantineDir, snapshotFormatName, snapshotsDir } from "./log-format.js";
import { assert } from "../../util/assert.js";
import { anyFirstSeq, readSegment, type SegmentRead } from "./log-reader.js";
import { writeManifest, type ArchiveEntry, type Manifest, type SegmentEntry, type SnapshotEntry } from "./manifest-file.js";
import { readRecordFile } from "./record-file.js";

const numbered = /^(?:seg|snap)-(\d+)\.jsonl(?:\.gz)?$/;

/**
 * Repair of a damaged manifest: a copy goes to quarantine/, and a new manifest is rebuilt from
 * the files themselves — every log segment in number order, the newest snapshot that reads
 * cleanly, every archive segment.
 */
export function rebuildManifest(fs: FileSystem, dir: string, report: RepairReport): Manifest {
  const damaged = readWholeFile(fs, path.join(dir, manifestFile));
  fs.mkdir(path.join(dir, quarantineDir));
  const quarantineFile = path.join(quarantineDir, `${manifestFile}.bad`);
  writeFileAtomic(fs, path.join(dir, quarantineFile), [damaged]);
  report.quarantined.push({ file: manifestFile, offset: 0, bytes: damaged.length, quarantineFile });
  const segments = findSegments(fs, dir);
  const snapshot = newestSnapshot(fs, dir);
  const numbers = [...list(fs, dir, opsDir), ...list(fs, dir, snapshotsDir)].map((name) => Number(numbered.exec(name)?.[1] ?? 0));
  const manifest: Manifest = {
    formatVersion,
    schemaVersion: snapshot?.schemaVersion ?? 1,
    nextFile: Math.max(1, ...numbers) + 1,
    snapshot: snapshot?.entry ?? null,
    segments,
    archive: findArchives(fs, dir),
  };
  writeManifest(fs, dir, manifest);
  return manifest;
}

function list(fs: FileSystem, dir: string, sub: string): string[] {
  try {
    return fs.readdir(path.join(dir, sub)).filter((name) => numbered.test(name)).sort();
  } catch {
    return [];
  }
}

function findSegments(fs: FileSystem, dir: string): SegmentEntry[] {
  const entries: SegmentEntry[] = [];
  let nextSeq = 1;
  for (const copies of segmentCopies(list(fs, dir, opsDir))) {
    const { file, read } = readBestCopy(fs, dir, copies);
    const first = read.records[0]?.seq ?? nextSeq;
    const last = read.records.at(-1)?.seq ?? first - 1;
    if (entries.length > 0) entries[entries.length - 1]!.lastSeq = first - 1;
    entries.push({ file, firstSeq: first, lastSeq: last, bytes: fs.stat(path.join(dir, file))?.size ?? 0 });
    nextSeq = last + 1;
  }
  if (entries.length === 0) return [{ file: path.join(opsDir, "seg-000001.jsonl"), firstSeq: 1 }];
  delete entries[entries.length - 1]!.lastSeq;
  delete entries[entries.length - 1]!.bytes;
  return entries;
}

/**
 * The names of each segment, by number: seg-N.jsonl, seg-N.jsonl.gz or both. Both are present
 * after a crash while N was being compressed (the copy is in place, the original not yet removed).
 */
function segmentCopies(names: string[]): string[][] {
  const byNumber = new Map<number, string[]>();
  for (const name of names.filter((n) => n.startsWith("seg-"))) {
    const number = Number(numbered.exec(name)![1]);
    const copies = byNumber.get(number) ?? [];
    copies.push(name);
    byNumber.set(number, copies);
  }
  return [...byNumber.keys()].sort((a, b) => a - b).map((number) => byNumber.get(number)!);
}

/**
 * Of the copies of one segment, the original unless the compressed copy holds more: the next
 * compression pass then rewrites the copy and removes the original, so no file stays unnamed.
 */
function readBestCopy(fs: FileSystem, dir: string, copies: string[]): { file: string; read: SegmentRead } {
  assert(copies.length === 1 || copies.length === 2, "a segment has at most two copies");
  let best: { file: string; read: SegmentRead } | undefined;
  for (const name of [...copies].sort()) { // seg-N.jsonl sorts before seg-N.jsonl.gz.
    if (best && !best.read.damage) break;
    const file = path.join(opsDir, name);
    let read: SegmentRead;
    try {
      read = readSegment(fs, dir, file, anyFirstSeq, false);
    } catch (error) {
      if (!best) throw error; // A damaged compressed copy: the original, if any, stands.
      break;
    }
    if (!best || read.records.length > best.read.records.length) best = { file, read };
  }
  assert(best !== undefined, "a segment has a copy");
  return best;
}

function newestSnapshot(fs: FileSystem, dir: string): { entry: SnapshotEntry; schemaVersion: number } | undefined {
  for (const name of list(fs, dir, snapshotsDir).filter((n) => n.startsWith("snap-")).reverse()) {
    const file = path.join(snapshotsDir, name);
    try {
      const read = readRecordFile(fs, dir, file, snapshotFormatName, () => undefined);
      const seq = Number(read.header["seq"]);
      const ts = read.header["ts"];
      return {
        entry: { file, seq, ...(typeof ts === "string" ? { ts } : {}), records: read.records },
        schemaVersion: Number(read.header["schemaVersion"] ?? 1),
      };
    } catch {
      continue; // A damaged snapshot: try an older one, or rebuild from the log.
    }
  }
  return undefined;
}

function findArchives(fs: FileSystem, dir: string): ArchiveEntry[] {
  let names: string[];
  try {
    names = fs.readdir(path.join(dir, archiveDir)).filter((name) => name.endsWith(".jsonl")).sort();
  } catch {
    return [];
  }
  const entries: ArchiveEntry[] = [];
  for (const name of names) {
    const file = path.join(archiveDir, name);
    try {
      const read = readRecordFile(fs, dir, file, archiveFormatName, () => undefined);
      entries.push({ name: String(read.header["segment"] ?? name.slice(0, -6)), file, records: read.records });
    } catch {
      continue; // Left in place for `opslog verify` to report; not listed.
    }
  }
  return entries;
}
