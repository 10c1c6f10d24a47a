import path from "node:path";
import type { FileSystem } from "./file-system.js";
import zlib from "node:zlib";
import { CorruptionError } from "../../errors.js";
import { forEachLine, forEachLineIn, readWholeFile, type LineVisitor } from "./files.js";
import { decodeLine } from "./log-format.js";
import { logRecordProblem, type LogRecord } from "./log-record.js";

/** Sealed segments may be stored gzip-compressed under this suffix (docs/FORMAT.md). */
export const compressedSuffix = ".gz";

/** The uncompressed bytes of a compressed segment; offsets in errors refer to them. */
export function readCompressed(fs: FileSystem, dir: string, file: string): Buffer {
  const bytes = readWholeFile(fs, path.join(dir, file));
  try {
    return zlib.gunzipSync(bytes);
  } catch (error) {
    throw new CorruptionError(file, 0, `compressed segment is damaged (${(error as Error).message})`);
  }
}

/** As `firstSeq` of readSegment: accept whatever seq the first record has. */
export const anyFirstSeq = 0;

export interface SegmentRead {
  records: LogRecord[];
  /** Bytes of the valid prefix: everything before the first torn or damaged record. */
  validBytes: number;
  fileBytes: number;
  /** Set when the file has bytes after the valid prefix. */
  damage?: { offset: number; reason: string; torn: boolean };
}

interface Scan {
  records: LogRecord[];
  offsets: number[];
  ends: number[];
  firstBad?: { offset: number; reason: string };
  /** Offset where zero bytes written ahead by the writer begin (free space, not damage). */
  zeroTail?: number;
  /** Valid records after the first bad one: their write groups decide torn vs corrupt. */
  laterGroups: number[];
}

/**
 * Reads one log segment (docs/FORMAT.md, "Reading a segment"). The valid prefix ends at the
 * first bad record or incomplete batch. Bytes after it are a torn tail, the unsynced end of the
 * last write, when this is the active segment and every valid record after the damage belongs
 * to one write group that began at or before the damage; anything else is corruption.
 */
export function readSegment(
  fs: FileSystem,
  dir: string,
  file: string,
  firstSeq: number,
  active: boolean,
  /** A sealed segment's last seq from the manifest: a segment ending earlier lost records. */
  lastSeq?: number,
): SegmentRead {
  const scan: Scan = { records: [], offsets: [], ends: [], laterGroups: [] };
  const visit: LineVisitor = (bytes, start, end, offset, terminated) => {
    visitLine(scan, bytes, start, end, offset, terminated, firstSeq);
  };
  const fileBytes = file.endsWith(compressedSuffix)
    ? forEachLineIn(readCompressed(fs, dir, file), visit)
    : forEachLine(fs, path.join(dir, file), visit);
  const cut = completeBatches(scan);
  const records = scan.records.slice(0, cut);
  const validBytes = cut === 0 ? 0 : (scan.ends[cut - 1] as number);
  if (validBytes === fileBytes || (scan.zeroTail === validBytes && cut === scan.records.length)) {
    const end = records.at(-1)?.seq ?? firstSeq - 1;
    if (lastSeq === undefined || end === lastSeq) return { records, validBytes, fileBytes };
    const reason = `ends at seq ${end}; the manifest says it holds operations up to ${lastSeq}`;
    return { records, validBytes, fileBytes, damage: { offset: validBytes, reason, torn: false } };
  }
  const firstBadOffset = scan.firstBad?.offset ?? fileBytes;
  const reason =
    cut < scan.records.length && validBytes < firstBadOffset
      ? "incomplete batch"
      : (scan.firstBad?.reason ?? "incomplete batch");
  const lastGood = records.length > 0 ? (records[records.length - 1] as LogRecord).seq : firstSeq - 1;
  const groups = [...scan.records.slice(cut).map((record) => record.g), ...scan.laterGroups];
  const torn = active && isTornTail(groups, lastGood);
  return { records, validBytes, fileBytes, damage: { offset: validBytes, reason, torn } };
}

function visitLine(
  scan: Scan,
  bytes: Buffer,
  start: number,
  end: number,
  offset: number,
  terminated: boolean,
  firstSeq: number,
): void {
  if (!terminated && !scan.firstBad && isZeros(bytes, start, end)) {
    scan.zeroTail = offset;
    return;
  }
  const check = terminated ? decodeLine(bytes, start, end) : { ok: false as const, reason: "unterminated record" };
  let problem = check.ok ? logRecordProblem(check.value) : check.reason;
  const record = check.ok ? (check.value as unknown as LogRecord) : undefined;
  if (scan.firstBad) {
    if (record && problem === undefined) scan.laterGroups.push(record.g);
    return;
  }
  if (record && problem === undefined) {
    const last = scan.records[scan.records.length - 1];
    const expected = last ? last.seq + 1 : firstSeq;
    if (record.seq !== expected && (last || firstSeq !== anyFirstSeq)) problem = `seq ${record.seq} where ${expected} was expected`;
  }
  if (problem !== undefined || !record) {
    scan.firstBad = { offset, reason: problem ?? "bad record" };
    return;
  }
  scan.records.push(record);
  scan.offsets.push(offset);
  scan.ends.push(offset + (end - start) + 1);
}

/** Returns how many leading records form complete batches (a batch is all or nothing). */
function completeBatches(scan: Scan): number {
  const { records } = scan;
  let i = 0;
  while (i < records.length) {
    const record = records[i] as LogRecord;
    if (record.batch === undefined) {
      i++;
      continue;
    }
    const size = record.n as number;
    const last = records[i + size - 1];
    if (record.batch !== record.seq || !last || last.batch !== record.seq) return i;
    i += size;
  }
  return i;
}

function isTornTail(laterGroups: number[], lastGood: number): boolean {
  const [first, ...rest] = laterGroups;
  if (first === undefined) return true;
  return first <= lastGood + 1 && rest.every((group) => group === first);
}

function isZeros(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false;
  return true;
}
