import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { NodeFileSystem } from "../../src/storage/fs/node-file-system.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * compact() and close() take a snapshot of everything written so far (close() only when
 * something changed since the last one). A background checkpoint still streaming out an older
 * picture is abandoned instead of finished first: one full snapshot is written, not two, and the
 * abandoned one leaves no file and no error behind.
 */
class CountingFileSystem extends NodeFileSystem {
  snapshotsRenamed = 0;
  override rename(from: string, to: string): void {
    if (from.endsWith(".jsonl.tmp") && path.basename(path.dirname(to)) === "snapshots") this.snapshotsRenamed++;
    super.rename(from, to);
  }
}

describe("a checkpoint superseded by compact()", () => {
  it("is abandoned, leaving one snapshot, no temporary file and no error", async () => {
    const dir = tempDir();
    const fileSystem = new CountingFileSystem();
    const store = new Store<{ n: number; pad: string }>();
    await store.open(dir, { fileSystem, checkpointThreshold: 30_000 });
    const pad = "p".repeat(200);
    for (let b = 0; b < 29; b++) {
      await store.batch(() => {
        for (let k = 0; k < 1000; k++) void store.set(`r${b}-${k}`, { n: k, pad });
      });
    }
    // This batch crosses the threshold: a background checkpoint starts streaming 30,000 records.
    await store.batch(() => {
      for (let k = 0; k < 1000; k++) void store.set(`last-${k}`, { n: k, pad });
    });
    await store.set("after", { n: -1, pad });
    await store.compact();
    expect(fileSystem.snapshotsRenamed).toBe(1);
    expect(store.stats().checkpointError).toBeUndefined();
    expect(store.stats().opsCount).toBe(0);
    expect(fs.readdirSync(path.join(dir, "snapshots"))).toHaveLength(1);
    await store.close();
    const again = new Store<{ n: number; pad: string }>();
    await again.open(dir, { readOnly: true });
    expect(again.count()).toBe(30_001);
    expect(again.get("after")).toEqual({ n: -1, pad });
    await again.close();
  });
});

describe("close() of a store that did not change", () => {
  it("writes no snapshot, and one when something changed", async () => {
    const dir = tempDir();
    const first = new Store<{ n: number }>();
    // checkpointOnClose: true, the original's "always" (the default checkpoints only a large
    // log: tests/contract/close-checkpoint.test.ts).
    await first.open(dir, { checkpointOnClose: true });
    await first.set("a", { n: 1 });
    await first.close();
    const snapshots = () => fs.readdirSync(path.join(dir, "snapshots"));
    const written = snapshots();
    expect(written).toHaveLength(1);

    const fileSystem = new CountingFileSystem();
    const reader = new Store<{ n: number }>();
    await reader.open(dir, { fileSystem, checkpointOnClose: true });
    expect(reader.get("a")).toEqual({ n: 1 });
    await reader.close();
    expect(fileSystem.snapshotsRenamed).toBe(0);
    expect(snapshots()).toEqual(written);

    const writer = new Store<{ n: number }>();
    await writer.open(dir, { fileSystem, checkpointOnClose: true });
    await writer.set("b", { n: 2 });
    await writer.close();
    expect(fileSystem.snapshotsRenamed).toBe(1);
    expect(snapshots()).not.toEqual(written);
  });
});
