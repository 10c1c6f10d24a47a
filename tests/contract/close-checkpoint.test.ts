import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/*
 * close() with the default checkpointOnClose (issue 14, W8): a snapshot is rewritten only when
 * the log since the last one is large enough to slow the next open (15 % of the snapshot
 * and 4 MiB); `true` keeps the original's "always", `false` "never". Whatever close() chose,
 * the next open reads the same records, to the byte of their JSON text.
 */

interface Doc {
  i: number;
  pad: string;
  nested?: { z: number; a: (number | null)[] };
}

function snapshotSeq(dir: string): number {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    snapshot?: { seq: number };
  };
  return manifest.snapshot?.seq ?? 0;
}

function texts(store: Store<Doc>): string {
  return JSON.stringify(store.entries());
}

/** A store of `count` records of about `bytes` each, checkpointed at close (explicit true). */
async function seeded(count: number, bytes: number): Promise<string> {
  const dir = tempDir();
  const store = new Store<Doc>();
  await store.open(dir, { checkpointOnClose: true });
  for (let start = 0; start < count; start += 500) {
    await store.batch(() => {
      for (let i = start; i < Math.min(count, start + 500); i++) {
        store.set(`r${i}`, { i, pad: "p".repeat(bytes), nested: { z: i % 7, a: [i, null] } });
      }
    });
  }
  await store.close();
  return dir;
}

async function reopenedTexts(dir: string): Promise<string> {
  const store = new Store<Doc>();
  await store.open(dir, { readOnly: true });
  const result = texts(store);
  await store.close();
  return result;
}

describe("checkpoint at close", () => {
  it("by default, a few writes to a large store close without rewriting its snapshot", async () => {
    const dir = await seeded(4000, 1000); // A snapshot of about 4 MiB.
    const before = snapshotSeq(dir);
    expect(before).toBe(4000);
    const store = new Store<Doc>();
    await store.open(dir);
    await store.set("r1", { i: -1, pad: "", nested: { z: 0, a: [] } });
    await store.delete("r2");
    await store.set("new", { i: 9, pad: "q" });
    const expected = texts(store);
    await store.close();
    expect(snapshotSeq(dir)).toBe(before); // The log carries the three writes.
    expect(await reopenedTexts(dir)).toBe(expected);
  });

  it("by default, a log since the snapshot past 15 % of it and 4 MiB is checkpointed", async () => {
    const dir = await seeded(100, 100);
    const store = new Store<Doc>();
    await store.open(dir, { checkpointThreshold: 0 }); // Only close() may checkpoint.
    for (let start = 0; start < 5000; start += 500) {
      await store.batch(() => {
        for (let i = start; i < start + 500; i++) store.set(`big${i}`, { i, pad: "x".repeat(1000) });
      });
    }
    const expected = texts(store);
    await store.close();
    expect(snapshotSeq(dir)).toBe(100 + 5000);
    expect(await reopenedTexts(dir)).toBe(expected);
  });

  it("checkpointOnClose: true rewrites the snapshot after any write; false never does", async () => {
    const dir = await seeded(200, 50);
    for (const [option, expectedSeq] of [
      [true, 201],
      [false, 201],
    ] as const) {
      const store = new Store<Doc>();
      await store.open(dir, { checkpointOnClose: option });
      await store.set(`k${String(option)}`, { i: 1, pad: "" });
      const expected = texts(store);
      await store.close();
      expect(snapshotSeq(dir)).toBe(expectedSeq); // After false, still the one `true` wrote.
      expect(await reopenedTexts(dir)).toBe(expected);
    }
  });

  it("a pending migration is written at close even when the log is small", async () => {
    const dir = await seeded(50, 10);
    const store = new Store<Doc>();
    await store.open(dir, { version: 2, migrate: (r) => ({ ...(r as Doc), pad: "m" }) });
    const expected = texts(store);
    await store.close();
    expect(snapshotSeq(dir)).toBe(50);
    const again = new Store<Doc>();
    await again.open(dir, { version: 2, migrate: () => ({ i: -1, pad: "migrated twice" }) });
    expect(texts(again)).toBe(expected); // Not migrated again: the migration was persisted.
    await again.close();
  });

  it.each([1, "yes", null])("checkpointOnClose %j is refused with OPSLOG_INVALID_ARGUMENT", async (value) => {
    const store = new Store<Doc>();
    await expect(store.open(tempDir(), { checkpointOnClose: value as never })).rejects.toMatchObject({
      code: "OPSLOG_INVALID_ARGUMENT",
    });
  });
});
