/**
 * Reads directories written by the original opslog 0.1–0.8 (@backloghq/opslog); it never writes.
 * The layout is in docs/LEGACY-FORMAT.md, fixtures from the real 0.8.1 in tests/fixtures/legacy/.
 */
import { CorruptionError, NotFoundError, toIoError } from "../../errors.js";
import { assert } from "../../util/assert.js";
import type { FileSystem } from "./file-system.js";

export interface LegacyOp {
  ts: string;
  op: "set" | "delete";
  id: string;
  data?: unknown;
  /** The full previous record: a 0.4+ delta-encoded prev is resolved against `data`. */
  prev: unknown | null;
  /** Multi-writer (0.3+) operations name their agent and carry a Lamport clock. */
  agent?: string;
  clock?: number;
}

export interface LegacyDirectory {
  /** Schema version the old store migrated from: the snapshot's version (see LEGACY-FORMAT.md). */
  schemaVersion: number;
  /** State of the snapshot plus the replayed ops, in the old store's iteration order. */
  records: Map<string, unknown>;
  /** The snapshot alone: the old store migrated these records before replaying the ops. */
  snapshotRecords: Map<string, unknown>;
  ops: LegacyOp[];
  archiveSegments: string[];
  files: string[];
}

interface LegacyManifest {
  currentSnapshot: string;
  activeOps: string;
  activeAgentOps: string[] | undefined;
  archiveSegments: string[];
}

/** Bytes [offset, end) of a JSONL file, and whether a "\n" followed them. */
type Line = { offset: number; end: number; terminated: boolean };
type Records = Map<string, unknown>;
type Snapshot = { records: Records; version: number };

const manifestFile = "manifest.json";
const decoder = new TextDecoder("utf-8", { fatal: true });
/** File names of the old layout, by directory, including the writers' temporary files. */
const layoutNames: ReadonlyArray<readonly [string, RegExp]> = [
  ["snapshots", /^snap-\d+\.jsonl?(\.tmp)?$/],
  ["ops", /^(ops-\d+|agent-.+-\d+)\.jsonl$/],
  ["archive", /^archive-.+\.json(\.tmp)?$/],
];

/** Returns undefined when `dir` has no legacy manifest (our own manifest has "format":"opslog"). */
export function readLegacyDirectory(fs: FileSystem, dir: string): LegacyDirectory | undefined {
  const manifest = readManifest(fs, dir);
  if (manifest === undefined) return undefined;
  const snapshot = readSnapshot(fs, dir, manifest.currentSnapshot);
  const ops = readActiveOps(fs, dir, manifest);
  const records = new Map(snapshot.records);
  for (const op of ops) {
    if (op.op === "set") records.set(op.id, op.data);
    else records.delete(op.id);
  }
  const files = listLayoutFiles(fs, dir, manifest);
  const archiveSegments = [...manifest.archiveSegments];
  const schemaVersion = snapshot.version;
  return { schemaVersion, records, snapshotRecords: snapshot.records, ops, archiveSegments, files };
}

/** Reads an archive segment by the name listArchiveSegments() gave, or by its period. */
export function readLegacyArchive(fs: FileSystem, dir: string, segment: string): Records {
  const manifest = readManifest(fs, dir);
  if (manifest === undefined) throw new NotFoundError(`${dir} has no opslog 0.x manifest.json`);
  const file = manifest.archiveSegments.find(
    (name) => name === segment || name === `archive/archive-${segment}.json`,
  );
  if (file === undefined) throw new NotFoundError(`archive segment '${segment}' not found`);
  const bytes = readWholeFile(fs, joinPath(dir, file)) ?? corrupt(file, 0, "listed but missing");
  const raw = parseJson(decode(bytes, file, 0), file, 0);
  return readContainer(raw, file, ["timestamp", "period"]).records;
}

function readManifest(fs: FileSystem, dir: string): LegacyManifest | undefined {
  const bytes = readWholeFile(fs, joinPath(dir, manifestFile));
  if (bytes === undefined) return undefined;
  const text = decode(bytes, manifestFile, 0);
  // Ours (even damaged) has this; 0.x never wrote a "format" key, and pretty-printed with ": ".
  if (text.includes('"format":"opslog"')) return undefined;
  const raw = parseJson(text, manifestFile, 0);
  const fail = (reason: string): never => corrupt(manifestFile, 0, `manifest ${reason}`);
  if (!isObject(raw)) return fail("is not a JSON object");
  if (raw.version !== undefined && !isPositiveInteger(raw.version)) fail("version is invalid");
  const currentSnapshot = relativePath(raw.currentSnapshot) ?? fail("currentSnapshot is invalid");
  const activeOps = relativePath(raw.activeOps) ?? fail("activeOps is invalid");
  if (!Array.isArray(raw.archiveSegments)) fail("archiveSegments is not an array");
  const archiveSegments = (raw.archiveSegments as unknown[]).map(
    (name) => relativePath(name) ?? fail("archiveSegments has an invalid entry"),
  );
  const agents = raw.activeAgentOps ?? {}; // multi-writer (0.3+): agent id → ops file
  if (!isObject(agents)) fail("activeAgentOps is not an object");
  const agentFiles = Object.values(agents).map((path) => relativePath(path) ?? fail("bad agent"));
  const activeAgentOps = raw.activeAgentOps === undefined ? undefined : agentFiles;
  return { currentSnapshot, activeOps, activeAgentOps, archiveSegments };
}

/** Monolithic JSON (0.1–0.4, pretty or one line) or JSONL (later), detected as 0.8.1 does. */
function readSnapshot(fs: FileSystem, dir: string, file: string): Snapshot {
  const bytes = readWholeFile(fs, joinPath(dir, file));
  if (bytes === undefined) throw new CorruptionError(file, 0, "snapshot named by manifest missing");
  const lines = splitLines(bytes);
  const header = tryParse(bytes.subarray(0, lines[0]?.end ?? 0));
  if (header === undefined) {
    return readContainer(parseJson(decode(bytes, file, 0), file, 0), file, ["timestamp"]);
  }
  if (isObject(header) && "records" in header) return readContainer(header, file, ["timestamp"]);
  if (!isObject(header) || !isPositiveInteger(header.version)) corrupt(file, 0, "bad header");
  const records = new Map<string, unknown>();
  for (const line of lines.slice(1)) {
    const text = decode(bytes.subarray(line.offset, line.end), file, line.offset);
    if (text.trim() === "") continue;
    const entry = parseJson(text, file, line.offset);
    if (!isObject(entry) || typeof entry.id !== "string" || entry.data === undefined) {
      throw new CorruptionError(file, line.offset, "snapshot entry is not {id, data}");
    }
    records.set(entry.id, entry.data);
  }
  return { records, version: header.version };
}

/** A JSON snapshot or archive segment: {version, timestamp, [period,] records: {id: record}}. */
function readContainer(raw: unknown, file: string, fields: string[]): Snapshot {
  if (!isObject(raw)) return corrupt(file, 0, "not a JSON object");
  if (!isPositiveInteger(raw.version)) corrupt(file, 0, "version is invalid");
  for (const field of fields) if (typeof raw[field] !== "string") corrupt(file, 0, `no ${field}`);
  if (!isObject(raw.records)) corrupt(file, 0, "records is not an object");
  return { records: new Map(Object.entries(raw.records)), version: raw.version };
}

/** Single writer: the activeOps file. Multi-writer: every agent's file, by (clock, agent). */
function readActiveOps(fs: FileSystem, dir: string, manifest: LegacyManifest): LegacyOp[] {
  if (manifest.activeAgentOps === undefined) return readOpsFile(fs, dir, manifest.activeOps);
  const ops = manifest.activeAgentOps.flatMap((file) => readOpsFile(fs, dir, file));
  // Array.prototype.sort is stable, so equal (clock, agent) keep file order, as in 0.8.1.
  return ops.sort(
    (a, b) => (a.clock ?? 0) - (b.clock ?? 0) || (a.agent ?? "").localeCompare(b.agent ?? ""),
  );
}

/** A torn final line (crash mid-append) ends the log; any other bad line is corruption. */
function readOpsFile(fs: FileSystem, dir: string, file: string): LegacyOp[] {
  const bytes = readWholeFile(fs, joinPath(dir, file));
  if (bytes === undefined) return []; // 0.x treats a missing ops file as an empty log
  const lines = splitLines(bytes);
  const ops: LegacyOp[] = [];
  for (const [index, line] of lines.entries()) {
    const last = index === lines.length - 1 && !line.terminated;
    if (last && tryParse(bytes.subarray(line.offset, line.end)) === undefined) break; // torn
    const text = decode(bytes.subarray(line.offset, line.end), file, line.offset);
    if (text.trim() === "") continue;
    const op = toLegacyOp(parseJson(text, file, line.offset));
    ops.push(typeof op === "string" ? corrupt(file, line.offset, op) : op);
  }
  return ops;
}

/** Validates an operation as 0.8.1's validateOp does; returns the reason when it is invalid. */
function toLegacyOp(raw: unknown): LegacyOp | string {
  if (!isObject(raw)) return "operation is not a JSON object";
  const { ts, op, id, prev, encoding } = raw;
  if (typeof ts !== "string" || ts === "") return "operation ts is invalid";
  if (op !== "set" && op !== "delete") return `operation op is neither "set" nor "delete"`;
  if (typeof id !== "string" || id === "") return "operation id is invalid";
  if (prev === undefined) return "operation has no prev";
  if (op === "set" && (raw.data === undefined || raw.data === null)) return "set has no data";
  if (op === "delete" && (prev === null || Object.hasOwn(raw, "data"))) return "delete needs prev, no data";
  if (![undefined, "full", "delta"].includes(encoding as string)) return "bad encoding";
  const full = encoding === "delta" ? applyDelta(raw.data, prev) : prev;
  if (full === undefined) return "delta prev is not a {$set, $unset} patch of an object";
  const result: LegacyOp = { ts, op, id, prev: full };
  if (op === "set") result.data = raw.data;
  const { agent, clock } = raw;
  if (agent !== undefined && (typeof agent !== "string" || agent === "")) return "bad agent";
  if (clock !== undefined && !isPositiveInteger(clock, 0)) return "bad clock";
  if (typeof agent === "string") result.agent = agent;
  if (typeof clock === "number") result.clock = clock;
  return result;
}

/** 0.4+ stores an update's prev as a reverse patch of top-level keys applied to `data`. */
function applyDelta(data: unknown, patch: unknown): Record<string, unknown> | undefined {
  if (!isObject(data) || !isObject(patch)) return undefined;
  const { $set, $unset } = patch;
  if (!isObject($set ?? {}) || !Array.isArray($unset ?? [])) return undefined;
  // fromEntries defines own properties, so a "__proto__" key stays data, never a prototype.
  const unset = new Set<unknown>(($unset ?? []) as unknown[]);
  const entries = [...Object.entries(data), ...Object.entries($set ?? {})];
  return Object.fromEntries(entries.filter(([key]) => !unset.has(key)));
}

/** Every old-layout file present: manifest, snapshots, ops and archive segments, sorted. */
function listLayoutFiles(fs: FileSystem, dir: string, manifest: LegacyManifest): string[] {
  const files = new Set<string>([manifestFile]);
  if (fs.stat(joinPath(dir, `${manifestFile}.tmp`)) !== undefined) files.add(`${manifestFile}.tmp`);
  for (const [sub, pattern] of layoutNames) {
    if (fs.stat(joinPath(dir, sub))?.isDirectory !== true) continue;
    for (const name of fs.readdir(joinPath(dir, sub))) {
      if (pattern.test(name)) files.add(`${sub}/${name}`);
    }
  }
  const named = [manifest.currentSnapshot, manifest.activeOps, ...manifest.archiveSegments];
  for (const file of [...named, ...(manifest.activeAgentOps ?? [])]) {
    if (fs.stat(joinPath(dir, file))?.isDirectory === false) files.add(file);
  }
  return [...files].sort();
}

/** Reads a file through the port: undefined if missing, a prefix if it shrinks as we read. */
function readWholeFile(fs: FileSystem, path: string): Uint8Array | undefined {
  let fd: number | undefined;
  try {
    if (fs.stat(path) === undefined) return undefined;
    fd = fs.open(path, "r");
    const bytes = new Uint8Array(fs.fstat(fd).size);
    let filled = 0;
    for (let count = -1; filled < bytes.length && count !== 0; filled += count) {
      count = fs.read(fd, bytes, filled, bytes.length - filled, filled);
    }
    assert(filled <= bytes.length, "read past the size fstat reported");
    return bytes.subarray(0, filled);
  } catch (error) {
    throw toIoError(`reading ${path}`, error);
  } finally {
    if (fd !== undefined) fs.close(fd);
  }
}

/** Splits at "\n" bytes, which are never part of a multi-byte UTF-8 sequence. */
function splitLines(bytes: Uint8Array): Line[] {
  const lines: Line[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const newlineAt = bytes.indexOf(0x0a, offset);
    const end = newlineAt === -1 ? bytes.length : newlineAt;
    lines.push({ offset, end, terminated: newlineAt !== -1 });
    offset = end + 1;
  }
  return lines;
}

function decode(bytes: Uint8Array, file: string, offset: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new CorruptionError(file, offset, "not valid UTF-8");
  }
}

/** The parsed value, or undefined when the bytes are not UTF-8 JSON. */
function tryParse(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

/** Parses JSON; a syntax error becomes corruption at the byte where V8 reports it, if it does. */
function parseJson(text: string, file: string, offset: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    const at = /position (\d+)/.exec(message)?.[1] ?? (/end of JSON/.test(message) ? "" : "0");
    const before = at === "" ? text : text.slice(0, Number(at));
    const bytesBefore = new TextEncoder().encode(before).length;
    throw new CorruptionError(file, offset + bytesBefore, "not valid JSON");
  }
}

/** A manifest path must stay inside the store directory. */
function relativePath(value: unknown): string | undefined {
  if (typeof value !== "string" || value.includes("\\") || value.includes("\0")) return undefined;
  return value.split("/").some((part) => part === ".." || part === "") ? undefined : value;
}

function corrupt(file: string, offset: number, reason: string): never {
  throw new CorruptionError(file, offset, reason);
}

function joinPath(dir: string, file: string): string {
  return dir.endsWith("/") ? `${dir}${file}` : `${dir}/${file}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPositiveInteger(value: unknown, least = 1): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= least;
}
