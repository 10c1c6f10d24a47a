import zlib from "node:zlib";

/**
 * Constants and the line codec shared by every writer and reader of opslog files
 * (docs/FORMAT.md). Every record is one line of JSON ending in a checksum member:
 *
 *     {"seq":1,"ts":"…","g":1,"op":"set","id":"a","data":{…},"prev":null,"crc":"1a2b3c4d"}\n
 *
 * `crc` is the CRC-32 (zlib) of the line's UTF-8 bytes before `,"crc":`, in 8 lowercase hex
 * digits, so a line is checked without re-serialising it and stays valid JSON for `jq`.
 */
export const formatVersion = 1;
export const formatName = "opslog";
export const snapshotFormatName = "opslog-snapshot";
export const archiveFormatName = "opslog-archive";

export const manifestFile = "manifest.json";
export const lockFile = "LOCK";
export const snapshotsDir = "snapshots";
export const opsDir = "ops";
export const archiveDir = "archive";
export const quarantineDir = "quarantine";

/** `,"crc":"` + 8 hex digits + `"}`. */
export const crcSuffixBytes = 18;
const crcPrefix = ',"crc":"';
const newline = 0x0a;

export function crcHex(text: string | Uint8Array): string {
  return zlib.crc32(text).toString(16).padStart(8, "0");
}

/** Encodes an object (which must serialise to a JSON object) as one checksummed line. */
export function encodeLine(record: object): string {
  const json = JSON.stringify(record);
  const head = json.slice(0, -1);
  return `${head}${crcPrefix}${crcHex(head)}"}\n`;
}

export type LineCheck =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; reason: string };

/** Checks and parses the line in bytes [start, end) (end excludes the newline). */
export function decodeLine(bytes: Uint8Array, start: number, end: number): LineCheck {
  const length = end - start;
  if (length < crcSuffixBytes + 2) return { ok: false, reason: "record too short" };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const suffixStart = end - crcSuffixBytes;
  if (buffer.toString("latin1", suffixStart, suffixStart + 8) !== crcPrefix) {
    return { ok: false, reason: "record has no checksum" };
  }
  const expected = buffer.toString("latin1", suffixStart + 8, end - 2);
  const actual = crcHex(buffer.subarray(start, suffixStart));
  if (expected !== actual) {
    return { ok: false, reason: `checksum mismatch (stored ${expected}, computed ${actual})` };
  }
  try {
    const value = JSON.parse(buffer.toString("utf8", start, end)) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { ok: false, reason: "record is not a JSON object" };
    }
    delete (value as Record<string, unknown>)["crc"];
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false, reason: "record is not valid JSON" };
  }
}

export interface RawLine {
  start: number;
  /** Offset of the newline, or of the end of the data when the line is unterminated. */
  end: number;
  terminated: boolean;
}

/** Splits bytes into lines, with offsets relative to `base`. */
export function* splitLines(bytes: Uint8Array, base = 0): Generator<RawLine> {
  let start = 0;
  while (start < bytes.length) {
    const at = bytes.indexOf(newline, start);
    if (at === -1) {
      yield { start: base + start, end: base + bytes.length, terminated: false };
      return;
    }
    yield { start: base + start, end: base + at, terminated: true };
    start = at + 1;
  }
}

export function fileNumberName(prefix: string, number: number, extension: string): string {
  return `${prefix}-${String(number).padStart(6, "0")}${extension}`;
}
