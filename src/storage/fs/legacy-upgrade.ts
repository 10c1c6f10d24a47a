import path from "node:path";
import type { FileSystem } from "./file-system.js";
import { removeIfPresent, syncDirectory, writeFileAtomic, readWholeFile } from "./files.js";
import { readLegacyArchive, readLegacyDirectory, type LegacyDirectory, type LegacyOp } from "./legacy-reader.js";
import {
  archiveDir,
  archiveFormatName,
  encodeLine,
  formatVersion,
  manifestFile,
  opsDir,
  snapshotFormatName,
  snapshotsDir,
} from "./log-format.js";
import { toLogRecord } from "./log-record.js";
import { newManifest } from "./fs-recovery.js";
import { CorruptionError } from "../../errors.js";
import type { Operation } from "../../types.js";
import type { LoadedStore } from "./fs-types.js";
import { writeManifest, type Manifest } from "./manifest-file.js";

/** Where the files of an upgraded opslog 0.x directory are kept (never deleted). */
export const legacyDir = "legacy-0.x";

/**
 * Converts a directory written by opslog 0.x into the current format (docs/LEGACY-FORMAT.md):
 * the old snapshot becomes a snapshot at seq 0, the old log becomes log segment 1 (seq 1…n),
 * archives are rewritten, and the old files move to legacy-0.x/ once the new manifest is
 * durable. A crash before that manifest leaves the old directory as it was.
 */
export function upgradeLegacy(fs: FileSystem, dir: string): Manifest {
  return materialise(fs, dir, requireLegacy(fs, dir), false);
}

/** A readOnly view of an opslog 0.x directory, converted in memory only. */
export function viewLegacy(fs: FileSystem, dir: string): { manifest: Manifest; store: LoadedStore } {
  const legacy = requireLegacy(fs, dir);
  const manifest = materialise(fs, dir, legacy, true);
  const ops: Operation[] = legacy.ops.map((op, index) => toOperation(index + 1, op));
  const store: LoadedStore = {
    schemaVersion: legacy.schemaVersion,
    records: new Map(legacy.snapshotRecords),
    snapshotSeq: 0,
    ops,
    legacy: true,
  };
  return { manifest, store };
}

function requireLegacy(fs: FileSystem, dir: string): LegacyDirectory {
  const legacy = readLegacyDirectory(fs, dir);
  if (!legacy) throw new CorruptionError(manifestFile, 0, "not an opslog 0.x manifest");
  return legacy;
}

function toOperation(seq: number, op: LegacyOp): Operation {
  const operation: Operation = { seq, ts: op.ts, op: op.op, id: op.id, prev: op.prev ?? null };
  if (op.op === "set") operation.data = op.data;
  return operation;
}

/** The archive segment name of an old archive path: "archive/archive-2024-Q1.json" → "2024-Q1". */
function periodOf(legacyPath: string): string {
  const match = /archive-(.+)\.json$/.exec(path.basename(legacyPath));
  return match ? match[1]! : path.basename(legacyPath).replace(/\.json$/, "");
}

type UpgradeManifest = Manifest & { archive: (Manifest["archive"][number] & { legacyPath?: string })[] };

function materialise(fs: FileSystem, dir: string, legacy: LegacyDirectory, dryRun: boolean): UpgradeManifest {
  const manifest: UpgradeManifest = { ...newManifest(legacy.schemaVersion), nextFile: 3 };
  const base = legacy.snapshotRecords;
  manifest.snapshot = { file: path.join(snapshotsDir, "snap-000002.jsonl"), seq: 0, records: base.size };
  manifest.archive = legacy.archiveSegments.map((legacyPath) => {
    const name = periodOf(legacyPath);
    return { name, file: path.join(archiveDir, `${name}.jsonl`), records: readLegacyArchive(fs, dir, legacyPath).size, legacyPath };
  });
  if (dryRun) return manifest;
  for (const sub of [opsDir, snapshotsDir, archiveDir, legacyDir]) fs.mkdir(path.join(dir, sub));
  writeSegment(fs, dir, manifest.segments[0]!.file, legacy.ops);
  writeRecords(fs, dir, manifest.snapshot.file, { format: snapshotFormatName, seq: 0, schemaVersion: legacy.schemaVersion }, base);
  for (const entry of manifest.archive) {
    const records = readLegacyArchive(fs, dir, entry.legacyPath ?? entry.name);
    writeRecords(fs, dir, entry.file, { format: archiveFormatName, segment: entry.name }, records);
  }
  const oldManifest = readWholeFile(fs, path.join(dir, manifestFile));
  writeFileAtomic(fs, path.join(dir, legacyDir, manifestFile), [oldManifest]);
  manifest.archive = manifest.archive.map(({ name, file, records }) => ({ name, file, records }));
  writeManifest(fs, dir, manifest);
  moveLegacyFiles(fs, dir, legacy.files);
  return manifest;
}

function writeSegment(fs: FileSystem, dir: string, file: string, ops: LegacyOp[]): void {
  const lines = ops.map((op, index) => {
    const seq = index + 1;
    return encodeLine(toLogRecord(toOperation(seq, op), seq, undefined));
  });
  removeIfPresent(fs, path.join(dir, file));
  writeFileAtomic(fs, path.join(dir, file), lines);
}

function writeRecords(
  fs: FileSystem,
  dir: string,
  file: string,
  header: Record<string, unknown>,
  records: Map<string, unknown>,
): void {
  const lines = [encodeLine({ ...header, formatVersion, records: records.size })];
  for (const [id, data] of records) lines.push(encodeLine({ id, data }));
  writeFileAtomic(fs, path.join(dir, file), lines);
}

function moveLegacyFiles(fs: FileSystem, dir: string, files: string[]): void {
  for (const file of files) {
    if (file === manifestFile) continue;
    const target = path.join(dir, legacyDir, file);
    fs.mkdir(path.dirname(target));
    try {
      fs.rename(path.join(dir, file), target);
    } catch {
      // Already moved by an earlier, interrupted upgrade.
    }
  }
  syncDirectory(fs, path.join(dir, legacyDir));
  syncDirectory(fs, dir);
}
