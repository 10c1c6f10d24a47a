import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

type Rec = { n: number };

async function open(dir: string, options = {}): Promise<Store<Rec>> {
  const store = new Store<Rec>();
  await store.open(dir, { checkpointThreshold: 0, ...options });
  return store;
}

describe("history across checkpoints and reopens", () => {
  it("getHistory, getOps, undo and at() reach before the last checkpoint and reopen", async () => {
    const dir = tempDir();
    const store = await open(dir);
    await store.set("a", { n: 1 });
    await store.set("a", { n: 2 });
    await store.compact();
    await store.set("a", { n: 3 });
    await store.close();
    const again = await open(dir);
    expect(again.getHistory("a").map((op) => op.data)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(again.getOps().map((op) => op.seq)).toEqual([1, 2, 3]);
    expect(again.getOps(1).map((op) => op.seq)).toEqual([2, 3]);
    expect((await again.at(1)).get("a")).toEqual({ n: 1 });
    expect(await again.undo()).toBe(true);
    expect(await again.undo()).toBe(true);
    expect(again.get("a")).toEqual({ n: 1 });
    expect(await again.undo()).toBe(true);
    expect(again.has("a")).toBe(false);
    expect(await again.undo()).toBe(false);
    expect(await again.redo()).toBe(true);
    expect(again.get("a")).toEqual({ n: 1 });
    expect(again.stats()).toMatchObject({ seq: 7, historyOps: 7 });
    expect(again.stats().historyBytes).toBeGreaterThan(0);
    await again.close();
  });

  it("at() takes a seq, an ISO time or a Date; never shows part of a batch", async () => {
    let now = Date.parse("2026-03-01T00:00:00Z") * 1000;
    const store = await open(tempDir(), { clock: () => (now += 1000) });
    await store.set("a", { n: 1 }); // seq 1 at .001
    await store.batch(() => {
      void store.set("b", { n: 2 }); // seq 2
      void store.set("c", { n: 3 }); // seq 3
    });
    await store.delete("a"); // seq 4
    const inside = await store.at(2);
    expect(inside.seq).toBe(1);
    expect(inside.entries()).toEqual([["a", { n: 1 }]]);
    const after = await store.at(3);
    expect(after.count()).toBe(3);
    expect(after.ts).toBe(store.getOps()[2]!.ts);
    expect((await store.at("2026-03-01T00:00:00.001Z")).entries().map(([id]) => id)).toEqual(["a"]);
    expect((await store.at(new Date("2026-03-01T00:00:00.0035Z"))).count()).toBe(3);
    expect((await store.at(0)).count()).toBe(0);
    expect((await store.at(100)).count()).toBe(2);
    await expect(store.at("not a time")).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    await store.close();
  });

  it("ops() walks the history lazily with since (exclusive), until (inclusive) and id", async () => {
    const dir = tempDir();
    const store = await open(dir);
    for (let i = 1; i <= 30; i++) {
      await store.set(i % 2 ? "odd" : "even", { n: i });
      if (i % 10 === 0) await store.compact();
    }
    const seen: number[] = [];
    for await (const op of store.ops({ since: 5, until: 25, id: "odd" })) seen.push(op.seq);
    expect(seen).toEqual([7, 9, 11, 13, 15, 17, 19, 21, 23, 25]);
    let count = 0;
    for await (const _ of store.ops()) count++;
    expect(count).toBe(30);
    await store.close();
  });
});

describe("retention", () => {
  it("retain { ops } prunes whole old segments at checkpoints, never what is needed", async () => {
    const dir = tempDir();
    const store = await open(dir, { retain: { ops: 10 } });
    for (let i = 1; i <= 50; i++) {
      await store.set(`k${i % 5}`, { n: i });
      if (i % 10 === 0) await store.compact();
    }
    const stats = store.stats();
    expect(stats.historyOps).toBeGreaterThanOrEqual(10);
    expect(stats.historyOps).toBeLessThan(50);
    const oldest = store.getOps()[0]!.seq;
    expect(oldest).toBe(51 - stats.historyOps);
    expect((await store.at(oldest - 1)).count()).toBe(5); // The state just before the oldest op.
    await expect(store.at(oldest - 2)).rejects.toThrow(/oldest reachable state is seq/);
    await expect(store.at(oldest - 2)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    let undone = 0;
    while (await store.undo()) undone++;
    expect(undone).toBe(stats.historyOps); // Undo reaches back exactly to the pruned point.
    await store.close();
    const segments = fs.readdirSync(path.join(dir, "ops"));
    expect(segments.length).toBeLessThan(5);
    const again = await open(dir);
    expect(again.count()).toBeGreaterThanOrEqual(0);
    await again.close();
  });

  it("retain 'all' keeps every operation, compressed once sealed", async () => {
    const dir = tempDir();
    const store = await open(dir);
    for (let i = 1; i <= 30; i++) {
      await store.set(`k${i}`, { n: i });
      if (i % 10 === 0) await store.compact();
    }
    expect(store.stats().historyOps).toBe(30);
    const files = fs.readdirSync(path.join(dir, "ops")).sort();
    expect(files.filter((f) => f.endsWith(".gz"))).toHaveLength(3);
    await store.close();
  });

  it("rejects a bad retain option", async () => {
    for (const retain of [{ ops: -1 }, { days: 3 }, "some", {}]) {
      await expect(new Store().open(tempDir(), { retain } as never)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    }
  });
});

describe("compact previous values", () => {
  it("stores a delta for a small change of a large record and returns full prev", async () => {
    const dir = tempDir();
    const store = new Store<Record<string, unknown>>();
    await store.open(dir, { checkpointOnClose: false });
    const big = { title: "t", body: "x".repeat(1000), tags: ["a", "b"], status: "open", n: 0 };
    await store.set("doc", big);
    await store.set("doc", { ...big, status: "done" });
    await store.close();
    const line = fs.readFileSync(path.join(dir, "ops", "seg-000001.jsonl"), "utf8").trim().split("\n")[1]!;
    expect(line).toContain('"prevDelta":{"set":{"status":"open"}}');
    expect(line.length).toBeLessThan(1300);
    const again = new Store<Record<string, unknown>>();
    await again.open(dir);
    expect(again.getHistory("doc")[1]!.prev).toEqual(big);
    expect(JSON.stringify(again.getHistory("doc")[1]!.prev)).toBe(JSON.stringify(big));
    await again.close();
  });
});
