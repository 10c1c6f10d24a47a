import path from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { OpslogError, type LockHolder } from "../../errors.js";
import type { FileSystem } from "./file-system.js";
import { readHolder } from "./lock-file.js";
import { archiveFormatName, formatVersion, lockFile, manifestFile, snapshotFormatName } from "./log-format.js";
import { readSegment } from "./log-reader.js";
import { readManifest, type Manifest } from "./manifest-file.js";
import { NodeFileSystem } from "./node-file-system.js";
import { readBesideWriter } from "./reader-retry.js";
import { readRecordFile } from "./record-file.js";

export interface DirectoryInfo {
  formatVersion: number;
  schemaVersion: number;
  /** Written by opslog 0.x; upgraded by the first writable open. */
  legacy: boolean;
  /** Seq of the last operation in the log (0 when empty). */
  seq: number;
  snapshot?: { file: string; seq: number; bytes: number; records: number };
  segments: { file: string; firstSeq: number; bytes: number; sealed: boolean }[];
  archive: { name: string; file: string; bytes: number; records: number }[];
  lock?: LockHolder;
  /** Bytes of every file under the directory. */
  totalBytes: number;
}

export interface VerifyProblem {
  file: string;
  offset: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  files: number;
  bytes: number;
  problems: VerifyProblem[];
  /** An unterminated last write in the active segment: not damage; trimmed at the next open. */
  tornTail?: { file: string; offset: number; bytes: number };
}

export interface InspectOptions {
  fileSystem?: FileSystem;
}

/** Describes a store directory without opening it (and without taking its lock). */
export async function inspect(dir: string, options: InspectOptions = {}): Promise<DirectoryInfo> {
  const fs = options.fileSystem ?? new NodeFileSystem();
  // Like a reader, it starts over when a writer deleted a file the manifest it read named.
  return readBesideWriter(fs, dir, () => describe(fs, dir));
}

function describe(fs: FileSystem, dir: string): DirectoryInfo {
  const read = readManifest(fs, dir);
  const lock = readHolder(fs, path.join(dir, lockFile)) ?? undefined;
  const totalBytes = directoryBytes(fs, dir);
  if (read.kind !== "current") {
    return { formatVersion: read.kind === "legacy" ? 0 : formatVersion, schemaVersion: 1,
      legacy: read.kind === "legacy", seq: 0, segments: [], archive: [], totalBytes, ...(lock ? { lock } : {}) };
  }
  const m = read.manifest;
  const size = (file: string) => fs.stat(path.join(dir, file))?.size ?? 0;
  const segments = m.segments.map((s, i) => ({ ...s, bytes: size(s.file), sealed: i < m.segments.length - 1 }));
  const active = m.segments[m.segments.length - 1]!;
  const tail = readSegment(fs, dir, active.file, active.firstSeq, true).records;
  const seq = tail.length > 0 ? tail[tail.length - 1]!.seq : Math.max(active.firstSeq - 1, m.snapshot?.seq ?? 0);
  const info: DirectoryInfo = {
    formatVersion: m.formatVersion,
    schemaVersion: m.schemaVersion,
    legacy: false,
    seq,
    segments,
    archive: m.archive.map((a) => ({ ...a, bytes: size(a.file) })),
    totalBytes,
  };
  if (m.snapshot) info.snapshot = { ...m.snapshot, bytes: size(m.snapshot.file) };
  if (lock) info.lock = lock;
  return info;
}

export interface VerifyOptions extends InspectOptions {
  onProgress?(doneBytes: number, totalBytes: number): void;
}

/** Checks every checksum of every file the manifest names; never changes anything. */
export async function verify(dir: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const fs = options.fileSystem ?? new NodeFileSystem();
  const report: VerifyReport = { ok: true, files: 0, bytes: 0, problems: [] };
  let manifest: Manifest;
  try {
    const read = readManifest(fs, dir);
    if (read.kind !== "current") {
      const reason = read.kind === "missing" ? "no manifest: not an opslog store" : "opslog 0.x data: open it once to upgrade";
      return { ...report, ok: read.kind === "legacy", problems: read.kind === "legacy" ? [] : [{ file: manifestFile, offset: 0, reason }] };
    }
    manifest = read.manifest;
  } catch (error) {
    return { ...report, ok: false, files: 1, problems: [problemOf(error, manifestFile)] };
  }
  const files = filesOf(manifest);
  const total = files.reduce((sum, f) => sum + (fs.stat(path.join(dir, f.file))?.size ?? 0), 0);
  for (const file of files) {
    report.files++;
    report.bytes += fs.stat(path.join(dir, file.file))?.size ?? 0;
    checkFile(fs, dir, file, report);
    options.onProgress?.(report.bytes, total);
    await yieldToEventLoop();
  }
  report.ok = report.problems.length === 0;
  return report;
}

interface FileToCheck {
  file: string;
  kind: "snapshot" | "segment" | "archive";
  firstSeq?: number;
  lastSeq?: number;
  active?: boolean;
}

function filesOf(m: Manifest): FileToCheck[] {
  const files: FileToCheck[] = [];
  if (m.snapshot) files.push({ file: m.snapshot.file, kind: "snapshot" });
  m.segments.forEach((s, i) =>
    files.push({
      file: s.file,
      kind: "segment",
      firstSeq: s.firstSeq,
      active: i === m.segments.length - 1,
      ...(i < m.segments.length - 1 && s.lastSeq !== undefined ? { lastSeq: s.lastSeq } : {}),
    }),
  );
  for (const a of m.archive) files.push({ file: a.file, kind: "archive" });
  return files;
}

function checkFile(fs: FileSystem, dir: string, file: FileToCheck, report: VerifyReport): void {
  try {
    if (file.kind === "segment") {
      const read = readSegment(fs, dir, file.file, file.firstSeq ?? 1, file.active === true, file.lastSeq);
      if (read.damage?.torn) {
        report.tornTail = { file: file.file, offset: read.damage.offset, bytes: read.fileBytes - read.validBytes };
      } else if (read.damage) {
        report.problems.push({ file: file.file, offset: read.damage.offset, reason: read.damage.reason });
      }
      return;
    }
    const format = file.kind === "snapshot" ? snapshotFormatName : archiveFormatName;
    const read = readRecordFile(fs, dir, file.file, format, () => undefined, true);
    if (read.damage) report.problems.push({ file: file.file, ...read.damage });
  } catch (error) {
    report.problems.push(problemOf(error, file.file));
  }
}

function problemOf(error: unknown, file: string): VerifyProblem {
  if (error instanceof OpslogError && "offset" in error) {
    const e = error as OpslogError & { file: string; offset: number };
    return { file: e.file, offset: e.offset, reason: e.message };
  }
  const code = (error as { code?: string }).code;
  return { file, offset: 0, reason: code === "ENOENT" ? "file is missing" : String((error as Error).message ?? error) };
}

function directoryBytes(fs: FileSystem, dir: string): number {
  let total = 0;
  let names: string[];
  try {
    names = fs.readdir(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const stat = fs.stat(full);
    if (!stat) continue;
    total += stat.isDirectory ? directoryBytes(fs, full) : stat.size;
  }
  return total;
}
