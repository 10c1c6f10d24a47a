import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { inspect, Store, type StoreOptions } from "../../src/index.js";
import type { OpenFlags } from "../../src/storage/fs/file-system.js";
import { NodeFileSystem } from "../../src/storage/fs/node-file-system.js";
import { tempDir } from "../helpers/temp-dir.js";

type Value = { n: number };

/**
 * Issue 10, defect 11: in a second process, read-only opens and history reads failed with
 * OPSLOG_IO/ENOENT while the writer compressed seg-N.jsonl to seg-N.jsonl.gz, replaced the
 * snapshot or pruned segments: files the manifest the reader had read still named. Each case
 * here puts a reader in exactly that position, deterministically, in one process.
 */

/** The real file system, copying manifest.json aside just before a segment's gzip copy lands. */
class CapturingFileSystem extends NodeFileSystem {
  captured: Buffer | undefined;

  constructor(private readonly dir: string) {
    super();
  }

  override rename(from: string, to: string): void {
    if (to.endsWith(".jsonl.gz")) this.captured ??= fs.readFileSync(path.join(this.dir, "manifest.json"));
    super.rename(from, to);
  }
}

/** The real file system, except that the first `times` reads of manifest.json see `stale`. */
class StaleManifestFileSystem extends NodeFileSystem {
  private readonly staleFile: string;

  constructor(
    stale: Buffer,
    private times = 1,
  ) {
    super();
    this.staleFile = path.join(tempDir(), "stale-manifest.json");
    fs.writeFileSync(this.staleFile, stale);
  }

  override open(file: string, flags: OpenFlags): number {
    if (path.basename(file) !== "manifest.json" || flags !== "r" || this.times === 0) return super.open(file, flags);
    this.times--;
    return super.open(this.staleFile, flags);
  }
}

async function writeAndCompact(store: Store<Value>, from: number, count: number): Promise<void> {
  for (let n = from; n < from + count; n++) await store.set(`r${n % 7}`, { n });
  await store.compact();
}

describe("regression: read-only readers beside a checkpointing writer", () => {
  it("reads a sealed segment that the writer compressed after the reader opened", async () => {
    const dir = path.join(tempDir(), "store");
    const writerFs = new CapturingFileSystem(dir);
    const writer = new Store<Value>();
    await writer.open(dir, { fileSystem: writerFs, checkpointThreshold: 0 });
    await writeAndCompact(writer, 1, 10);
    // The reader read the manifest after the snapshot committed, before the .gz name did.
    const reader = new Store<Value>();
    await reader.open(dir, { readOnly: true, fileSystem: new StaleManifestFileSystem(writerFs.captured!) });
    expect(fs.existsSync(path.join(dir, "ops/seg-000001.jsonl"))).toBe(false);
    expect(reader.getOps().map((op) => op.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await reader.at(5)).get("r5")).toEqual({ n: 5 });
    await reader.close();
    await writer.close();
  });

  it("reads on after the writer pruned segments: the history starts later, as for a fresh open", async () => {
    const dir = tempDir();
    const options: StoreOptions<Value> = { checkpointThreshold: 0, retain: { ops: 15 } };
    const writer = new Store<Value>();
    await writer.open(dir, options);
    await writeAndCompact(writer, 1, 10);
    await writeAndCompact(writer, 11, 10);
    const reader = new Store<Value>();
    await reader.open(dir, { readOnly: true });
    await writeAndCompact(writer, 21, 10); // Prunes seg 1 (ops 1–10).
    const expected = JSON.stringify(writer.getOps(10).filter((op) => op.seq <= 20));
    expect(JSON.stringify(reader.getOps())).toBe(expected);
    expect(reader.stats().historyOps).toBe(10);
    expect((await reader.at(15)).get("r1")).toEqual({ n: 15 });
    expect((await reader.at(20)).get("r6")).toEqual({ n: 20 });
    await expect(reader.at(3)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    const iterated: number[] = [];
    for await (const op of reader.ops()) iterated.push(op.seq);
    expect(iterated).toEqual(Array.from({ length: 10 }, (_, i) => 11 + i));
    await reader.close();
    await writer.close();
  });

  it("keeps history reads contiguous when pruning is found after older segments were read", async () => {
    const dir = tempDir();
    const writer = new Store<Value>();
    await writer.open(dir, { checkpointThreshold: 0, retain: { ops: 15 } });
    for (let from = 1; from <= 21; from += 10) await writeAndCompact(writer, from, 10);
    for (let n = 31; n <= 35; n++) await writer.set(`r${n % 7}`, { n });
    const reader = new Store<Value>();
    await reader.open(dir, { readOnly: true }); // Sealed: ops 11–20 and 21–30; 31–35 in memory.
    for await (const op of reader.ops({ until: 12 })) if (op.seq === 11) break; // Reads (and caches) 11–20 only.
    await writeAndCompact(writer, 36, 20); // Prunes ops 11–30.
    // The cached 11–20 must not be used past the gap: at(15) would show the state at 30.
    await expect(reader.at(15)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    expect(reader.getOps().map((op) => op.seq)).toEqual([31, 32, 33, 34, 35]);
    expect((await reader.at(33)).get("r5")).toEqual({ n: 33 });
    await reader.close();
    await writer.close();
  });

  it("opens read-only although the manifest it read names a snapshot replaced since", async () => {
    const dir = tempDir();
    const writer = new Store<Value>();
    await writer.open(dir, { checkpointThreshold: 0, retain: { ops: 5 } });
    await writeAndCompact(writer, 1, 10);
    const stale = fs.readFileSync(path.join(dir, "manifest.json"));
    // A new snapshot replaces the old one; seg 2 is sealed, compressed and seg 1 pruned.
    await writeAndCompact(writer, 11, 10);
    await writer.set("after", { n: 21 });
    const reader = new Store<Value>();
    await reader.open(dir, { readOnly: true, fileSystem: new StaleManifestFileSystem(stale) });
    expect(JSON.stringify(reader.entries())).toBe(JSON.stringify(writer.entries()));
    expect(reader.stats().seq).toBe(21);
    expect(reader.getOps(15).map((op) => op.seq)).toEqual([16, 17, 18, 19, 20, 21]);
    await reader.close();
    await writer.close();
  });

  it("inspect() (opslog info) retries a manifest naming an active segment sealed since", async () => {
    const dir = tempDir();
    const writer = new Store<Value>();
    await writer.open(dir, { checkpointThreshold: 0 });
    await writeAndCompact(writer, 1, 10);
    await writer.set("r1", { n: 11 });
    const stale = fs.readFileSync(path.join(dir, "manifest.json"));
    await writer.compact(); // seg 2, active in the stale manifest, is compressed and removed.
    const info = await inspect(dir, { fileSystem: new StaleManifestFileSystem(stale) });
    expect(info.seq).toBe(11);
    expect(info.segments.at(-1)!.file).toBe(path.join("ops", "seg-000004.jsonl"));
    await writer.close();
  });

  it("still fails, after a bounded number of tries, when the manifest names a missing file", async () => {
    const dir = tempDir();
    const writer = new Store<Value>();
    await writer.open(dir, { checkpointThreshold: 0 });
    await writeAndCompact(writer, 1, 10);
    await writer.close();
    const snapshot = fs.readdirSync(path.join(dir, "snapshots"))[0]!;
    fs.unlinkSync(path.join(dir, "snapshots", snapshot));
    const started = Date.now();
    const reader = new Store<Value>();
    await expect(reader.open(dir, { readOnly: true })).rejects.toMatchObject({ code: "OPSLOG_IO" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
