import path from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { CorruptionError } from "../../errors.js";
import type { FileSystem } from "./file-system.js";
import { forEachLine, syncDirectory } from "./files.js";
import { decodeLine, decodeRecordLineRaw, encodeLine, encodeRecordLine, formatVersion } from "./log-format.js";

/**
 * Snapshots and archive segments share one grammar (docs/FORMAT.md): a header line naming the
 * kind, format version and record count, then one checksummed line per record
 * `{"id":…,"data":…,"crc":…}`. The count in the header detects a truncated file.
 */
export interface RecordFileHeader {
  format: string;
  formatVersion: number;
  records: number;
  [field: string]: unknown;
}

/** Bytes gathered before each write while streaming a record file out. */
export const recordFileChunkBytes = 1024 * 1024;

export async function writeRecordFile(
  fs: FileSystem,
  file: string,
  header: RecordFileHeader,
  entries: Iterable<[string, unknown]>,
): Promise<number> {
  const temp = `${file}.tmp`;
  const fd = fs.open(temp, "w");
  let bytes = 0;
  try {
    let pending = encodeLine(header);
    for (const [id, data] of entries) {
      pending += encodeRecordLine(id, data);
      if (pending.length >= recordFileChunkBytes) {
        bytes += writeText(fs, fd, pending, bytes);
        pending = "";
        // Writers keep going while a large snapshot streams out.
        await yieldToEventLoop();
      }
    }
    bytes += writeText(fs, fd, pending, bytes);
    fs.fsync(fd);
  } finally {
    fs.close(fd);
  }
  fs.rename(temp, file);
  syncDirectory(fs, path.dirname(file));
  return bytes;
}

function writeText(fs: FileSystem, fd: number, text: string, position: number): number {
  if (text.length === 0) return 0;
  const buffer = Buffer.from(text);
  fs.write(fd, buffer, position);
  return buffer.length;
}

export interface RecordFileRead {
  header: RecordFileHeader;
  /** Records read before any damage (all of them when the file is sound). */
  records: number;
  damage?: { offset: number; reason: string };
}

/**
 * Reads a record file, calling `onRecord` for each record. Damage raises CorruptionError unless
 * `tolerate` is set, in which case reading stops there and the damage is reported.
 */
export function readRecordFile(
  fs: FileSystem,
  dir: string,
  file: string,
  expectedFormat: string,
  onRecord: (id: string, data: unknown) => void,
  tolerate = false,
  /** Hand records over as RawRecord text instead of parsing them. */
  raw = false,
): RecordFileRead {
  let header: RecordFileHeader | undefined;
  let records = 0;
  let damage: { offset: number; reason: string } | undefined;
  const size = forEachLine(fs, path.join(dir, file), (bytes, start, end, offset, terminated) => {
    if (damage) return;
    if (raw && header && terminated && records < header.records) {
      const line = decodeRecordLineRaw(bytes, start, end);
      if (line.ok && "id" in line) {
        records++;
        onRecord(line.id, line.data);
        return;
      }
    }
    const check = terminated ? decodeLine(bytes, start, end) : { ok: false as const, reason: "unterminated record" };
    if (!check.ok) {
      damage = { offset, reason: check.reason };
    } else if (!header) {
      damage = headerProblem(check.value, expectedFormat, offset);
      if (!damage) header = check.value as unknown as RecordFileHeader;
    } else if (typeof check.value["id"] !== "string" || !("data" in check.value)) {
      damage = { offset, reason: "record without id or data" };
    } else if (records >= header.records) {
      damage = { offset, reason: `more records than the ${header.records} in the header` };
    } else {
      records++;
      onRecord(check.value["id"] as string, check.value["data"]);
    }
  });
  if (!damage && !header) damage = { offset: 0, reason: "empty file" };
  if (!damage && header && records !== header.records) {
    damage = { offset: size, reason: `${records} records where the header says ${header.records}` };
  }
  if (damage && !tolerate) throw new CorruptionError(file, damage.offset, damage.reason);
  const fallback: RecordFileHeader = { format: expectedFormat, formatVersion, records };
  return { header: header ?? fallback, records, ...(damage ? { damage } : {}) };
}

function headerProblem(
  value: Record<string, unknown>,
  expectedFormat: string,
  offset: number,
): { offset: number; reason: string } | undefined {
  if (value["format"] !== expectedFormat) return { offset, reason: `not an ${expectedFormat} file` };
  if (!Number.isInteger(value["records"])) return { offset, reason: "header without a record count" };
  return undefined;
}
