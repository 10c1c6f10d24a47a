import { assert } from "../../util/assert.js";
import path from "node:path";
import zlib from "node:zlib";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { CorruptionError } from "../../errors.js";
import type { RecordList } from "../port.js";
import type { FileSystem } from "./file-system.js";
import { RawRecord } from "../../model/raw-record.js";
import { forEachLine, readChunkBytes, syncDirectory } from "./files.js";
import {
  crcSuffixBytes,
  crcText,
  decodeLine,
  decodeRecordLineRaw,
  encodeLine,
  encodeRecordLine,
  formatVersion,
} from "./log-format.js";

const idPrefix = '{"id":"';
const dataMember = ',"data":';

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

/** What a record file write produced: its size and the CRC-32 of all its bytes. */
export interface RecordFileWritten {
  bytes: number;
  crc: number;
}

/**
 * Writes a record file through a temporary name, syncs it and renames it into place. Between
 * chunks it yields to the event loop so that writers keep going; an abort there (a newer
 * checkpoint replaces this one) removes the temporary file and rejects with the signal's reason.
 */
export async function writeRecordFile(
  fs: FileSystem,
  file: string,
  header: RecordFileHeader,
  records: RecordList,
  signal?: AbortSignal,
): Promise<RecordFileWritten> {
  assert(records.ids.length === records.values.length, "one value per id");
  assert(header.records === records.ids.length, "the header counts the records written");
  const temp = `${file}.tmp`;
  const fd = fs.open(temp, "w");
  const out = { bytes: 0, crc: 0 };
  const { ids, values } = records;
  try {
    let pending = encodeLine(header);
    for (let i = 0; i < ids.length; i++) {
      pending += encodeRecordLine(ids[i]!, values[i]);
      if (pending.length >= recordFileChunkBytes) {
        writeText(fs, fd, pending, out);
        pending = "";
        await yieldToEventLoop();
        signal?.throwIfAborted();
      }
    }
    writeText(fs, fd, pending, out);
    fs.fsync(fd);
  } catch (error) {
    fs.close(fd);
    if (signal?.aborted) fs.unlink(temp);
    throw error;
  }
  fs.close(fd);
  fs.rename(temp, file);
  syncDirectory(fs, path.dirname(file));
  return out;
}

function writeText(fs: FileSystem, fd: number, text: string, out: RecordFileWritten): void {
  if (text.length === 0) return;
  const buffer = Buffer.from(text);
  fs.write(fd, buffer, out.bytes);
  out.bytes += buffer.length;
  out.crc = zlib.crc32(buffer, out.crc);
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
    } else if (typeof check.value["id"] !== "string" || !Object.hasOwn(check.value, "data")) {
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

/** The whole-file size and CRC-32 a manifest records for a record file. */
export interface FileSeal {
  bytes: number;
  crc: string;
}

/**
 * The fast path of reading a snapshot at open: when the file's size and whole-file CRC-32
 * match what the manifest recorded, the file is exactly as written, so records are split out of
 * large decoded chunks without a checksum (or a buffer, or a string copy) per record, and handed
 * over as RawRecord text. Returns undefined, having handed over nothing the caller should keep,
 * when the file does not match or is not laid out as the writer lays it out: the caller then
 * reads it with readRecordFile, which finds and reports the damage.
 */
export function readSealedRecordFile(
  fs: FileSystem,
  dir: string,
  file: string,
  expectedFormat: string,
  seal: FileSeal,
  onRecord: (id: string, data: RawRecord) => void,
): RecordFileHeader | undefined {
  const fd = fs.open(path.join(dir, file), "r");
  try {
    if (fs.fstat(fd).size !== seal.bytes) return undefined;
    let crc = 0;
    let header: RecordFileHeader | undefined;
    let records = 0;
    let buffer = Buffer.allocUnsafe(Math.min(readChunkBytes, seal.bytes));
    let kept = 0; // Bytes of an unfinished line, moved to the front of the buffer.
    let position = 0;
    while (position < seal.bytes) {
      if (kept === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
      const count = fs.read(fd, buffer, kept, Math.min(buffer.length - kept, seal.bytes - position), position);
      if (count === 0) return undefined;
      position += count;
      crc = zlib.crc32(buffer.subarray(kept, kept + count), crc);
      const filled = kept + count;
      // Decode up to the last newline (a newline byte never falls inside a UTF-8 sequence); the
      // rest waits, as bytes, for the next read.
      const cut = buffer.lastIndexOf(0x0a, filled - 1) + 1;
      if (cut === 0) {
        kept = filled;
        continue;
      }
      const text = buffer.toString("utf8", 0, cut);
      buffer.copy(buffer, 0, cut, filled);
      kept = filled - cut;
      let start = 0;
      if (!header) {
        const end = text.indexOf("\n");
        const line = decodeLine(Buffer.from(text.slice(0, end + 1)), 0, end);
        if (!line.ok || headerProblem(line.value, expectedFormat, 0)) return undefined;
        header = line.value as unknown as RecordFileHeader;
        start = end + 1;
      }
      for (let end = text.indexOf("\n", start); end >= 0; end = text.indexOf("\n", start)) {
        const data = text.indexOf(dataMember, start);
        if (!text.startsWith(idPrefix, start) || data < 0 || data > end - crcSuffixBytes) return undefined;
        const idText = text.slice(start + idPrefix.length - 1, data);
        const id = idText.includes("\\") ? (JSON.parse(idText) as string) : idText.slice(1, -1);
        onRecord(id, new RawRecord(text.slice(data + dataMember.length, end - crcSuffixBytes)));
        records++;
        start = end + 1;
      }
    }
    const sound = kept === 0 && header !== undefined && records === header.records && crcText(crc) === seal.crc;
    return sound ? header : undefined;
  } finally {
    fs.close(fd);
  }
}
