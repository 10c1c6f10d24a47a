import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { CorruptionError, NotFoundError } from "../../src/errors.js";
import type { FileStat, FileSystem } from "../../src/storage/fs/file-system.js";
import { readLegacyArchive, readLegacyDirectory } from "../../src/storage/fs/legacy-reader.js";
import type { LegacyOp } from "../../src/storage/fs/legacy-reader.js";
import { NodeFileSystem } from "../../src/storage/fs/node-file-system.js";

/** What the real @backloghq/opslog 0.8.1 reported (scripts/make-legacy-fixtures.mjs). */
interface Expected {
  schemaVersion: number;
  state: [string, unknown][];
  ops: LegacyOp[];
  history: Record<string, LegacyOp[]>;
  archiveSegments: string[];
  archives: Record<string, [string, unknown][]>;
  files: string[];
  readerError?: { file: string; offset: number };
}

const root = fileURLToPath(new URL("../fixtures/legacy/", import.meta.url));
const expected = JSON.parse(readFileSync(join(root, "expected.json"), "utf8")) as {
  fixtures: Record<string, Expected>;
};
const fs = new NodeFileSystem();
const readable = Object.entries(expected.fixtures).filter(([, fixture]) => !fixture.readerError);
const scratch: string[] = [];

afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A throwaway copy of a fixture that a test may damage. */
function copyOf(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), "opslog-legacy-"));
  scratch.push(dir);
  cpSync(join(root, name), dir, { recursive: true });
  return dir;
}

function activeOpsFile(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { activeOps: string })
    .activeOps;
}

function corruptionOf(read: () => unknown): CorruptionError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(CorruptionError);
    return error as CorruptionError;
  }
  throw new Error("expected a CorruptionError, but the read succeeded");
}

/** A read-only in-memory FileSystem: proves the reader does all its I/O through the port. */
function memoryFileSystem(files: Map<string, Uint8Array>): FileSystem {
  const open = new Map<number, Uint8Array>();
  let nextFd = 3;
  const isDir = (path: string): boolean => [...files.keys()].some((f) => f.startsWith(`${path}/`));
  const unsupported = (): never => {
    throw new Error("read-only test file system");
  };
  return {
    open: (path) => {
      const bytes = files.get(path);
      if (!bytes) throw Object.assign(new Error(`ENOENT ${path}`), { code: "ENOENT" });
      open.set(nextFd, bytes);
      return nextFd++;
    },
    close: (fd) => void open.delete(fd),
    fstat: (fd): FileStat => ({ size: open.get(fd)?.length ?? 0, isDirectory: false }),
    read: (fd, buffer, offset, length, position) => {
      const chunk = (open.get(fd) ?? new Uint8Array()).subarray(position, position + length);
      buffer.set(chunk.subarray(0, 7), offset); // short reads, to exercise the read loop
      return Math.min(chunk.length, 7);
    },
    stat: (path) => {
      const bytes = files.get(path);
      if (bytes) return { size: bytes.length, isDirectory: false };
      return isDir(path) ? { size: 0, isDirectory: true } : undefined;
    },
    readdir: (path) => {
      const inside = [...files.keys()].filter((file) => file.startsWith(`${path}/`));
      return inside.map((file) => file.slice(path.length + 1));
    },
    openDirectory: unsupported,
    write: unsupported,
    fdatasync: unsupported,
    fsync: unsupported,
    ftruncate: unsupported,
    rename: unsupported,
    link: unsupported,
    realpath: unsupported,
    unlink: unsupported,
    mkdir: unsupported,
  };
}

function loadIntoMemory(name: string, base: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(`${base}/${relative(join(root, name), path)}`, readFileSync(path));
    }
  };
  walk(join(root, name));
  return files;
}

describe("legacy fixtures open to what opslog 0.8.1 reported", () => {
  it.each(readable)("%s", (name, fixture) => {
    const legacy = readLegacyDirectory(fs, join(root, name));
    expect(legacy).toBeDefined();
    expect(legacy?.schemaVersion).toBe(fixture.schemaVersion);
    expect([...(legacy?.records ?? [])]).toEqual(fixture.state);
    expect(legacy?.ops).toEqual(fixture.ops);
    for (const [id, history] of Object.entries(fixture.history)) {
      expect(legacy?.ops.filter((op) => op.id === id)).toEqual(history);
    }
    expect(legacy?.archiveSegments).toEqual(fixture.archiveSegments);
    for (const segment of fixture.archiveSegments) {
      const records = readLegacyArchive(fs, join(root, name), segment);
      expect([...records]).toEqual(fixture.archives[segment]);
    }
    expect(legacy?.files).toEqual(fixture.files);
  });

  it("covers every required kind of fixture", () => {
    const names = readable.map(([name]) => name);
    expect(names).toEqual(expect.arrayContaining(["a-snapshot-and-log", "b-archive"]));
    expect(names).toEqual(expect.arrayContaining(["d-json-snapshot-pretty"]));
    expect(readable.some(([, fixture]) => fixture.schemaVersion === 2)).toBe(true);
    expect(readable.some(([, fixture]) => fixture.archiveSegments.length > 1)).toBe(true);
  });

  it("reads through the injected file system only", () => {
    const files = loadIntoMemory("b-archive", "/memory/store");
    const memory = memoryFileSystem(files);
    const legacy = readLegacyDirectory(memory, "/memory/store");
    const fixture = expected.fixtures["b-archive"];
    expect([...(legacy?.records ?? [])]).toEqual(fixture?.state);
    expect(legacy?.files).toEqual(fixture?.files);
    expect([...readLegacyArchive(memory, "/memory/store", "2024-Q1")]).toEqual(
      fixture?.archives["archive/archive-2024-Q1.json"],
    );
  });
});

describe("damaged legacy files", () => {
  const base = "a-snapshot-and-log";
  const baseline = expected.fixtures[base];

  it("ignores a torn final ops line (crash mid-append)", () => {
    const dir = copyOf(base);
    appendFileSync(join(dir, activeOpsFile(dir)), '{"ts":"2026-01-01T00:00:00.000Z","op":"se');
    const legacy = readLegacyDirectory(fs, dir);
    expect([...(legacy?.records ?? [])]).toEqual(baseline?.state);
    expect(legacy?.ops).toEqual(baseline?.ops);
  });

  it("ignores a torn final line cut inside a multi-byte character", () => {
    const dir = copyOf(base);
    const line = Buffer.from('{"ts":"2026-01-01T00:00:00.000Z","op":"set","id":"x","data":"é');
    appendFileSync(join(dir, activeOpsFile(dir)), line.subarray(0, line.length - 1));
    expect(readLegacyDirectory(fs, dir)?.ops).toEqual(baseline?.ops);
  });

  it("keeps a complete final line whose newline never reached the disk", () => {
    const dir = copyOf(base);
    const late = { n: 1 };
    const op = { ts: "2027-01-01T00:00:00.000Z", op: "set", id: "late", prev: null, data: late };
    appendFileSync(join(dir, activeOpsFile(dir)), JSON.stringify(op));
    const legacy = readLegacyDirectory(fs, dir);
    expect(legacy?.ops).toEqual([...(baseline?.ops ?? []), op]);
    expect(legacy?.records.get("late")).toEqual({ n: 1 });
  });

  it("raises CorruptionError naming the file and offset of a corrupt middle line", () => {
    const dir = copyOf(base);
    const file = activeOpsFile(dir);
    const lines = readFileSync(join(dir, file), "utf8").split("\n");
    lines[2] = "garbage" + (lines[2] ?? "");
    writeFileSync(join(dir, file), lines.join("\n"));
    const error = corruptionOf(() => readLegacyDirectory(fs, dir));
    expect(error.file).toBe(file);
    expect(error.offset).toBe(Buffer.byteLength(`${lines[0]}\n${lines[1]}\n`));
    expect(error.code).toBe("OPSLOG_CORRUPTION");
  });

  it("raises CorruptionError for a well-formed line that is not a valid operation", () => {
    const dir = copyOf(base);
    const file = activeOpsFile(dir);
    const before = readFileSync(join(dir, file));
    const bad = { ts: "2027-01-01T00:00:00.000Z", op: "frob", id: "x", prev: null };
    appendFileSync(join(dir, file), `${JSON.stringify(bad)}\n`);
    const error = corruptionOf(() => readLegacyDirectory(fs, dir));
    expect([error.file, error.offset]).toEqual([file, before.length]);
  });

  it("raises CorruptionError where the old package let its undo damage the log", () => {
    const name = "g-undo-multibyte-damage";
    const fixture = expected.fixtures[name];
    const error = corruptionOf(() => readLegacyDirectory(fs, join(root, name)));
    expect({ file: error.file, offset: error.offset }).toEqual(fixture?.readerError);
  });

  it("raises CorruptionError for a garbage manifest", () => {
    const dir = copyOf(base);
    writeFileSync(join(dir, "manifest.json"), "{\n  \"version\": 1,\n  garbage");
    const error = corruptionOf(() => readLegacyDirectory(fs, dir));
    expect(error.file).toBe("manifest.json");
    expect(error.offset).toBe(20); // the "g" of garbage
  });

  it("raises CorruptionError for a manifest missing fields or escaping the directory", () => {
    const dir = copyOf(base);
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as object;
    writeFileSync(join(dir, "manifest.json"), JSON.stringify({ ...manifest, activeOps: 7 }));
    expect(corruptionOf(() => readLegacyDirectory(fs, dir)).file).toBe("manifest.json");
    const escaping = { ...manifest, currentSnapshot: "../../etc/passwd" };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(escaping));
    expect(corruptionOf(() => readLegacyDirectory(fs, dir)).file).toBe("manifest.json");
  });

  it("raises CorruptionError for a damaged or missing snapshot", () => {
    const dir = copyOf(base);
    const file = (JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
      currentSnapshot: string;
    }).currentSnapshot;
    const lines = readFileSync(join(dir, file), "utf8").split("\n");
    writeFileSync(join(dir, file), [lines[0], "{oops", ...lines.slice(1)].join("\n"));
    const error = corruptionOf(() => readLegacyDirectory(fs, dir));
    expect([error.file, error.offset]).toEqual([file, Buffer.byteLength(`${lines[0]}\n`) + 1]);
    rmSync(join(dir, file));
    expect(corruptionOf(() => readLegacyDirectory(fs, dir)).file).toBe(file);
  });
});

describe("what is not a legacy directory", () => {
  it("returns undefined without a manifest, or with our own manifest", () => {
    const dir = mkdtempSync(join(tmpdir(), "opslog-legacy-"));
    scratch.push(dir);
    expect(readLegacyDirectory(fs, dir)).toBeUndefined();
    writeFileSync(join(dir, "manifest.json"), '{"format":"opslog","formatVersion":1}\n');
    expect(readLegacyDirectory(fs, dir)).toBeUndefined();
  });

  it("finds archive segments by listed name or period, and nothing else", () => {
    const dir = join(root, "b-archive");
    const byName = readLegacyArchive(fs, dir, "archive/archive-old.json");
    expect([...readLegacyArchive(fs, dir, "old")]).toEqual([...byName]);
    expect(() => readLegacyArchive(fs, dir, "../b-archive/archive/archive-old.json")).toThrow(
      NotFoundError,
    );
    expect(() => readLegacyArchive(fs, dir, "2023-Q4")).toThrow(NotFoundError);
    expect(() => readLegacyArchive(fs, dir, "Q1")).toThrow(NotFoundError); // no substring match
  });

  it("lists only the old layout's files for removal, not files it does not know", () => {
    const dir = copyOf("a-snapshot-and-log");
    writeFileSync(join(dir, "snapshots", "00000001.snapshot"), "new format");
    writeFileSync(join(dir, "ops", "notes.txt"), "not ours");
    writeFileSync(join(dir, "manifest.json.tmp"), "{");
    const files = readLegacyDirectory(fs, dir)?.files;
    const baseline = expected.fixtures["a-snapshot-and-log"]?.files ?? [];
    expect(files).toEqual([...baseline, "manifest.json.tmp"].sort());
  });
});
