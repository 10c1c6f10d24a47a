import zlib from "node:zlib";
import { RawRecord } from "../../model/raw-record.js";
import { valueText } from "../../model/value-text.js";

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
/** The writer's durable seq, for followers (docs/FORMAT.md "The durability mark"). */
export const durableFile = "DURABLE";
export const snapshotsDir = "snapshots";
export const opsDir = "ops";
export const archiveDir = "archive";
export const quarantineDir = "quarantine";

/** `,"crc":"` + 8 hex digits + `"}`. */
export const crcSuffixBytes = 18;
const crcPrefix = ',"crc":"';

export function crcHex(text: string | Uint8Array): string {
  return crcText(zlib.crc32(text));
}

const hexPairs = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** A CRC-32 as the 8 lowercase hex digits the format writes (by table: once per line written). */
export function crcText(crc: number): string {
  return hexPairs[crc >>> 24]! + hexPairs[(crc >>> 16) & 255]! + hexPairs[(crc >>> 8) & 255]! + hexPairs[crc & 255]!;
}

/** Encodes an object (which must serialise to a JSON object) as one checksummed line. */
export function encodeLine(record: object): string {
  return sealLine(JSON.stringify(record).slice(0, -1));
}

/** Ends `head` (a JSON object without its closing brace) with its checksum and a newline. */
export function sealLine(head: string): string {
  return `${head}${crcPrefix}${crcHex(head)}"}\n`;
}

/**
 * Encodes a snapshot or archive record line, the bytes `encodeLine({ id, data })` gives, from
 * the value's text when it is known (a RawRecord, or a value encoded before).
 */
export function encodeRecordLine(id: string, data: unknown): string {
  return sealLine(`{"id":${JSON.stringify(id)},"data":${valueText(data)}`);
}

const dataMember = Buffer.from(',"data":', "latin1");
const idPrefix = Buffer.from('{"id":"', "latin1");

/**
 * Checks a record line and returns its id and its data as text, without parsing the data:
 * `{"id":"…","data":…,"crc":"…"}` as the writer lays it out. A bare `"` cannot occur inside a
 * JSON string, so the first `,"data":` ends the id. Lines laid out otherwise are parsed whole.
 */
export function decodeRecordLineRaw(
  bytes: Buffer,
  start: number,
  end: number,
): { ok: true; id: string; data: RawRecord } | { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  const suffixStart = end - crcSuffixBytes;
  const at = bytes.indexOf(dataMember, start);
  const laidOut =
    end - start >= crcSuffixBytes + 2 &&
    bytes.compare(idPrefix, 0, idPrefix.length, start, start + idPrefix.length) === 0 &&
    at > start && at < suffixStart && bytes[at - 1] === 0x22;
  if (!laidOut) return decodeLine(bytes, start, end);
  if (bytes.compare(crcPrefixBytes, 0, 8, suffixStart, suffixStart + 8) !== 0) {
    return { ok: false, reason: "record has no checksum" };
  }
  if (parseHex(bytes, suffixStart + 8) !== zlib.crc32(bytes.subarray(start, suffixStart))) {
    return { ok: false, reason: "checksum mismatch" };
  }
  const idText = bytes.toString("utf8", start + idPrefix.length - 1, at);
  const id = idText.includes("\\") ? (JSON.parse(idText) as string) : idText.slice(1, -1);
  return { ok: true, id, data: new RawRecord(bytes.toString("utf8", at + dataMember.length, suffixStart)) };
}

export type LineCheck =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; reason: string };

/** `,"crc":"` as bytes, to find the checksum member without decoding the line. */
const crcPrefixBytes = Buffer.from(crcPrefix, "latin1");

/**
 * Checks and parses the line in bytes [start, end) (end excludes the newline). The parsed
 * object keeps its `crc` member: deleting it would slow every later access to the object.
 */
export function decodeLine(bytes: Buffer, start: number, end: number): LineCheck {
  if (end - start < crcSuffixBytes + 2) return { ok: false, reason: "record too short" };
  const suffixStart = end - crcSuffixBytes;
  if (bytes.compare(crcPrefixBytes, 0, 8, suffixStart, suffixStart + 8) !== 0) {
    return { ok: false, reason: "record has no checksum" };
  }
  const stored = parseHex(bytes, suffixStart + 8);
  const actual = zlib.crc32(bytes.subarray(start, suffixStart));
  if (stored !== actual || bytes[end - 2] !== 0x22 || bytes[end - 1] !== 0x7d) {
    return { ok: false, reason: `checksum mismatch (stored ${bytes.toString("latin1", suffixStart + 8, suffixStart + 16)}, computed ${actual.toString(16).padStart(8, "0")})` };
  }
  try {
    const value = JSON.parse(bytes.toString("utf8", start, end)) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { ok: false, reason: "record is not a JSON object" };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false, reason: "record is not valid JSON" };
  }
}

/** Reads 8 lowercase hex digits as an unsigned 32-bit number; -1 when they are not hex. */
function parseHex(bytes: Buffer, at: number): number {
  let value = 0;
  for (let i = at; i < at + 8; i++) {
    const c = bytes[i]!;
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

export function fileNumberName(prefix: string, number: number, extension: string): string {
  return `${prefix}-${String(number).padStart(6, "0")}${extension}`;
}
