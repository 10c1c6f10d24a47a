import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CorruptionError, Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Opening reads a snapshot whose size and whole-file CRC match the manifest without per-record
 * checks, splitting records out of multi-megabyte decoded chunks. These pin the splitting at
 * chunk boundaries (multi-byte UTF-8, escaped ids, a record longer than a chunk) and that a
 * file which does not match falls back to the checked read, which reports file and offset.
 */
type Doc = { text: string; n: number };

function snapshotFile(dir: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as {
    snapshot: { file: string; bytes?: number; fileCrc?: string };
  };
  expect(manifest.snapshot.bytes).toBe(fs.statSync(path.join(dir, manifest.snapshot.file)).size);
  expect(manifest.snapshot.fileCrc).toMatch(/^[0-9a-f]{8}$/);
  return path.join(dir, manifest.snapshot.file);
}

async function writeStore(dir: string, docs: Map<string, Doc>): Promise<void> {
  const store = new Store<Doc>();
  await store.open(dir, { checkpointOnClose: true }); // The snapshot these tests read.
  const entries = [...docs];
  for (let i = 0; i < entries.length; i += 2000) {
    await store.batch(() => {
      for (const [id, doc] of entries.slice(i, i + 2000)) void store.set(id, doc);
    });
  }
  await store.close();
}

describe("reading a sealed snapshot", () => {
  it("splits records correctly across chunk boundaries", async () => {
    const docs = new Map<string, Doc>();
    const texts = ["plain", "ünïcödé ☃ ", "emoji 🎉🎉", 'quote " and \\ backslash', "tab\tnew\nline"];
    for (let i = 0; i < 30_000; i++) {
      const id = i % 997 === 0 ? `odd "id" \\ ${i} ☃` : `r${i}`;
      docs.set(id, { text: texts[i % texts.length]!.repeat(1 + (i % 40)), n: i });
    }
    docs.set("huge", { text: "🎉".repeat(3 * 1024 * 1024), n: -1 }); // 12 MiB of UTF-8: longer than a chunk.
    const dir = tempDir();
    await writeStore(dir, docs);
    expect(fs.statSync(snapshotFile(dir)).size).toBeGreaterThan(20 * 1024 * 1024);
    const store = new Store<Doc>();
    await store.open(dir, { readOnly: true });
    expect(store.count()).toBe(docs.size);
    for (const [id, doc] of docs) expect(store.get(id), id).toEqual(doc);
    await store.close();
  });

  it("falls back to the checked read when a byte changed, and reports file and offset", async () => {
    const docs = new Map<string, Doc>();
    for (let i = 0; i < 5000; i++) docs.set(`r${i}`, { text: "abcdefgh".repeat(8), n: i });
    const dir = tempDir();
    await writeStore(dir, docs);
    const file = snapshotFile(dir);
    const bytes = fs.readFileSync(file);
    const lineStart = bytes.indexOf('{"id":"r3000"');
    const at = bytes.indexOf("abcdefgh", lineStart) + 3;
    bytes[at] = "X".charCodeAt(0);
    fs.writeFileSync(file, bytes);
    const error = (await new Store().open(dir).catch((e: unknown) => e)) as CorruptionError;
    expect(error).toBeInstanceOf(CorruptionError);
    expect(error.file).toBe(path.relative(dir, file));
    expect(error.offset).toBe(lineStart);
  });

  it("reads the file checked when the manifest's size does not match it", async () => {
    const docs = new Map<string, Doc>([["a", { text: "x", n: 1 }]]);
    const dir = tempDir();
    await writeStore(dir, docs);
    const file = snapshotFile(dir);
    const written = fs.statSync(file).size;
    fs.appendFileSync(file, '{"id":"b","data":{"text":"y","n":2},"crc":"00000000"}\n');
    const error = (await new Store().open(dir).catch((e: unknown) => e)) as CorruptionError;
    expect(error).toBeInstanceOf(CorruptionError);
    expect(error.offset).toBe(written); // The line after the records the header counts.
  });
});
