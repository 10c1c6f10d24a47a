import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store, type Operation } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

interface Task {
  name: string;
  status: string;
}

async function openStore(dir: string, options = {}): Promise<Store<Task>> {
  const store = new Store<Task>();
  await store.open(dir, options);
  return store;
}

describe("the original API", () => {
  it("creates the directory layout of SPEC §1", async () => {
    const dir = path.join(tempDir(), "nested", "data");
    const store = await openStore(dir);
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(dir).sort()).toEqual(["DURABLE", "LOCK", "archive", "manifest.json", "ops", "snapshots"]);
    await store.close();
    expect(readdirSync(dir)).not.toContain("LOCK");
  });

  it("gets, sets, deletes and answers has()", async () => {
    const store = await openStore(tempDir());
    expect(store.get("a")).toBeUndefined();
    await store.set("a", { name: "A", status: "todo" });
    expect(store.has("a")).toBe(true);
    expect(store.get("a")).toEqual({ name: "A", status: "todo" });
    await store.set("a", { name: "A", status: "done" });
    expect(store.get("a")?.status).toBe("done");
    await store.delete("a");
    expect(store.has("a")).toBe(false);
    expect(store.get("a")).toBeUndefined();
    await store.close();
  });

  it("lists with all, entries, filter and count; predicates get (value, id)", async () => {
    const store = await openStore(tempDir());
    await store.set("a", { name: "A", status: "todo" });
    await store.set("b", { name: "B", status: "done" });
    await store.set("c", { name: "C", status: "todo" });
    expect(store.all()).toHaveLength(3);
    expect(store.entries().map(([id]) => id)).toEqual(["a", "b", "c"]);
    const seen: string[] = [];
    const todo = store.filter((value, id) => {
      seen.push(id);
      return value.status === "todo";
    });
    expect(todo.map((t) => t.name)).toEqual(["A", "C"]);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(store.count()).toBe(3);
    expect(store.count((v) => v.status === "done")).toBe(1);
    expect(store.count((_v, id) => id !== "a")).toBe(2);
    await store.close();
  });

  it("keeps everything across close and reopen, several times", async () => {
    const dir = tempDir();
    for (let round = 0; round < 4; round++) {
      const store = await openStore(dir);
      expect(store.count()).toBe(round * 10);
      for (let i = 0; i < 10; i++) await store.set(`r${round}-${i}`, { name: `n${i}`, status: "x" });
      await store.close();
    }
    const store = await openStore(dir);
    expect(store.count()).toBe(40);
    expect(store.get("r2-5")).toEqual({ name: "n5", status: "x" });
    await store.close();
  });

  it("reopens without a checkpoint on close (state from the log alone)", async () => {
    const dir = tempDir();
    const store = await openStore(dir, { checkpointOnClose: false, checkpointThreshold: 0 });
    await store.set("a", { name: "A", status: "1" });
    await store.batch(() => {
      void store.set("b", { name: "B", status: "2" });
      void store.delete("a");
    });
    await store.close();
    const again = await openStore(dir);
    expect(again.entries()).toEqual([["b", { name: "B", status: "2" }]]);
    expect(again.stats().opsCount).toBe(3);
    await again.close();
  });
});

describe("batch", () => {
  it("applies all operations with one log write and shares a batch marker", async () => {
    const store = await openStore(tempDir());
    await store.batch(() => {
      void store.set("a", { name: "A", status: "s" });
      void store.set("b", { name: "B", status: "s" });
      void store.delete("a");
    });
    const ops = store.getOps();
    expect(ops.map((o) => o.seq)).toEqual([1, 2, 3]);
    expect(ops.every((o) => o.batch === 1)).toBe(true);
    expect(store.entries()).toEqual([["b", { name: "B", status: "s" }]]);
    await store.close();
  });

  it("rolls back every operation when the callback throws", async () => {
    const store = await openStore(tempDir());
    await store.set("keep", { name: "K", status: "s" });
    await expect(
      store.batch(() => {
        void store.set("a", { name: "A", status: "s" });
        void store.delete("keep");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(store.entries()).toEqual([["keep", { name: "K", status: "s" }]]);
    expect(store.stats().seq).toBe(1);
    await store.set("b", { name: "B", status: "s" });
    expect(store.getOps().map((o) => o.seq)).toEqual([1, 2]);
    await store.close();
  });

  it("rolls back on an invalid value inside the batch", async () => {
    const store = await openStore(tempDir());
    await expect(
      store.batch(() => {
        void store.set("a", { name: "A", status: "s" });
        void store.set("b", { name: "B", status: Number.NaN as unknown as string });
      }),
    ).rejects.toMatchObject({ code: "OPSLOG_INVALID_VALUE" });
    expect(store.count()).toBe(0);
    await store.close();
  });

  it("does no I/O for an empty batch", async () => {
    const store = await openStore(tempDir());
    await store.batch(() => undefined);
    expect(store.stats().seq).toBe(0);
    expect(store.getOps()).toEqual([]);
    await store.close();
  });

  it("sees its own earlier changes inside the callback", async () => {
    const store = await openStore(tempDir());
    await store.batch(() => {
      void store.set("a", { name: "A", status: "s" });
      expect(store.get("a")).toEqual({ name: "A", status: "s" });
      void store.delete("a");
    });
    expect(store.has("a")).toBe(false);
    await store.close();
  });

  it("rejects an async callback and rolls back", async () => {
    const store = await openStore(tempDir());
    await expect(
      store.batch((async () => {
        void store.set("a", { name: "A", status: "s" });
      }) as unknown as () => void),
    ).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    expect(store.has("a")).toBe(false);
    await store.close();
  });
});

describe("undo", () => {
  it("reverts sets, updates, deletes and whole batches, then returns false", async () => {
    const store = await openStore(tempDir());
    await store.set("a", { name: "A", status: "1" });
    await store.set("a", { name: "A", status: "2" });
    await store.delete("a");
    await store.batch(() => {
      void store.set("b", { name: "B", status: "1" });
      void store.set("c", { name: "C", status: "1" });
    });
    expect(await store.undo()).toBe(true);
    expect(store.has("b") || store.has("c")).toBe(false);
    expect(await store.undo()).toBe(true);
    expect(store.get("a")).toEqual({ name: "A", status: "2" });
    expect(await store.undo()).toBe(true);
    expect(store.get("a")).toEqual({ name: "A", status: "1" });
    expect(await store.undo()).toBe(true);
    expect(store.has("a")).toBe(false);
    expect(await store.undo()).toBe(false);
    await store.close();
  });

  it("is logged as compensating operations marked with the seq they revert", async () => {
    const store = await openStore(tempDir());
    await store.set("a", { name: "A", status: "1" });
    await store.undo();
    const ops = store.getOps();
    expect(ops).toHaveLength(2);
    expect(ops[1]).toMatchObject({ seq: 2, op: "delete", id: "a", undo: 1, prev: { name: "A", status: "1" } });
    await store.close();
  });

  it("redo re-applies what undo reverted; a new write clears redo", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await store.set("a", { name: "A", status: "1" });
    await store.set("a", { name: "A", status: "2" });
    await store.undo();
    expect(await store.redo()).toBe(true);
    expect(store.get("a")?.status).toBe("2");
    expect(await store.redo()).toBe(false);
    await store.undo();
    await store.set("b", { name: "B", status: "1" });
    expect(await store.redo()).toBe(false);
    await store.close();
  });

  it("keeps undo and redo state across a reopen", async () => {
    const dir = tempDir();
    const store = await openStore(dir, { checkpointOnClose: false });
    await store.set("a", { name: "A", status: "1" });
    await store.set("a", { name: "A", status: "2" });
    await store.undo();
    await store.close();
    const again = await openStore(dir);
    expect(await again.redo()).toBe(true);
    expect(again.get("a")?.status).toBe("2");
    expect(await again.undo()).toBe(true);
    expect(await again.undo()).toBe(true);
    expect(again.has("a")).toBe(false);
    await again.close();
  });
});

describe("history", () => {
  it("getHistory returns a record's operations oldest first with full prev values", async () => {
    const store = await openStore(tempDir());
    await store.set("a", { name: "A", status: "1" });
    await store.set("b", { name: "B", status: "1" });
    await store.set("a", { name: "A", status: "2" });
    await store.delete("a");
    const history = store.getHistory("a");
    expect(history.map((op) => [op.op, op.prev])).toEqual([
      ["set", null],
      ["set", { name: "A", status: "1" }],
      ["delete", { name: "A", status: "2" }],
    ]);
    expect(history[1]?.data).toEqual({ name: "A", status: "2" });
    await store.close();
  });

  it("getOps(since) takes an ISO timestamp of any precision or a seq", async () => {
    let now = Date.parse("2026-01-01T00:00:00.000Z") * 1000;
    const store = await openStore(tempDir(), { clock: () => (now += 1500) });
    for (const id of ["a", "b", "c", "d"]) await store.set(id, { name: id, status: "s" });
    const ops = store.getOps();
    expect(ops.map((o) => o.ts)).toEqual([
      "2026-01-01T00:00:00.001500Z",
      "2026-01-01T00:00:00.003000Z",
      "2026-01-01T00:00:00.004500Z",
      "2026-01-01T00:00:00.006000Z",
    ]);
    expect(store.getOps(ops[1]!.ts).map((o) => o.id)).toEqual(["c", "d"]);
    expect(store.getOps("2026-01-01T00:00:00.003Z").map((o) => o.id)).toEqual(["c", "d"]);
    expect(store.getOps("2026-01-01T00:00:00.0035Z").map((o) => o.id)).toEqual(["c", "d"]);
    expect(store.getOps(2).map((o) => o.id)).toEqual(["c", "d"]);
    expect(store.getOps(0)).toHaveLength(4);
    expect(() => store.getOps("yesterday")).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
    await store.close();
  });

  it("timestamps strictly increase even when the clock steps back", async () => {
    const times = [5_000_000, 5_000_000, 4_000_000, 4_000_000, 6_000_000];
    const dir = tempDir();
    const store = await openStore(dir, { clock: () => times.shift() ?? 1 });
    for (const id of ["a", "b", "c", "d", "e"]) await store.set(id, { name: id, status: "s" });
    const ts = store.getOps().map((o: Operation<Task>) => o.ts);
    expect(ts).toEqual([...ts].sort());
    expect(new Set(ts).size).toBe(5);
    await store.close();
    const again = await openStore(dir, { clock: () => 1 });
    await again.set("f", { name: "f", status: "s" });
    const last = again.getOps().at(-1)!.ts;
    expect(last > ts[4]!).toBe(true);
    await again.close();
  });

  it("meta is kept on operations and merged inside batches", async () => {
    const dir = tempDir();
    const store = await openStore(dir, { checkpointOnClose: false });
    await store.set("a", { name: "A", status: "s" }, { meta: { actor: "ann" } });
    await store.batch(
      () => {
        void store.set("b", { name: "B", status: "s" });
        void store.set("c", { name: "C", status: "s" }, { meta: { reason: "fix" } });
      },
      { meta: { actor: "bob" } },
    );
    await store.close();
    const again = await openStore(dir);
    expect(again.getOps().map((o) => o.meta)).toEqual([
      { actor: "ann" },
      { actor: "bob" },
      { actor: "bob", reason: "fix" },
    ]);
    await again.close();
  });
});

describe("compact, stats and archive", () => {
  it("compact writes a snapshot and empties the active log", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    for (let i = 0; i < 20; i++) await store.set(`k${i}`, { name: `${i}`, status: "s" });
    expect(store.stats()).toMatchObject({ activeRecords: 20, opsCount: 20, seq: 20 });
    await store.compact();
    expect(store.stats()).toMatchObject({ activeRecords: 20, opsCount: 0, seq: 20 });
    await store.set("k0", { name: "changed", status: "s" });
    await store.close();
    const again = await openStore(dir);
    expect(again.get("k0")?.name).toBe("changed");
    expect(again.count()).toBe(20);
    expect(again.stats().seq).toBe(21);
    await again.close();
  });

  it("checkpointThreshold keeps its meaning: a checkpoint after N operations", async () => {
    const dir = tempDir();
    const store = await openStore(dir, { checkpointThreshold: 5 });
    for (let i = 0; i < 12; i++) await store.set(`k${i}`, { name: `${i}`, status: "s" });
    await store.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.stats().opsCount).toBeLessThan(5);
    await store.close();
    const again = await openStore(dir);
    expect(again.count()).toBe(12);
    await again.close();
  });

  it("archive moves matching records to a segment; archiving twice merges", async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    for (let i = 0; i < 6; i++) await store.set(`k${i}`, { name: `${i}`, status: i % 2 ? "done" : "todo" });
    expect(await store.archive((v) => v.status === "done", "2025")).toBe(3);
    expect(store.count()).toBe(3);
    await store.set("late", { name: "late", status: "done" });
    expect(await store.archive((v) => v.status === "done", "2025")).toBe(1);
    expect(await store.archive((v) => v.status === "nothing", "2025")).toBe(0);
    expect(store.listArchiveSegments()).toEqual(["2025"]);
    expect(store.stats()).toMatchObject({ archiveSegments: 1, archivedRecords: 4, activeRecords: 3 });
    await store.close();
    const again = await openStore(dir);
    const archived = await again.loadArchive("2025");
    expect([...archived.keys()].sort()).toEqual(["k1", "k3", "k5", "late"]);
    expect(again.count()).toBe(3);
    await expect(again.loadArchive("2024")).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    await again.close();
  });

  it("archive defaults to the current quarter", async () => {
    const store = await openStore(tempDir());
    await store.set("a", { name: "A", status: "s" });
    await store.archive(() => true);
    const now = new Date();
    expect(store.listArchiveSegments()).toEqual([`${now.getFullYear()}-Q${Math.ceil((now.getMonth() + 1) / 3)}`]);
    await store.close();
  });

  it("rejects path-like archive segment names and changes nothing", async () => {
    const store = await openStore(tempDir());
    await store.set("a", { name: "A", status: "s" });
    for (const name of ["../x", "a/b", "..", ".hidden", "a\\b", "", "x".repeat(101)]) {
      await expect(store.archive(() => true, name)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
      await expect(store.loadArchive(name)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    }
    expect(store.count()).toBe(1);
    expect(store.listArchiveSegments()).toEqual([]);
    await store.close();
  });
});
