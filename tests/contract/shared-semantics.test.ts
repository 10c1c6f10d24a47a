import { afterEach, describe, expect, it } from "vitest";
import { ConflictError, MemoryStorage, Store, type Operation, type Storage } from "../../src/index.js";

/**
 * The many-writer semantics of docs/POSTGRES.md "Semantics", on the reference shared log
 * (MemoryStorage({ shared: true })); tests/postgres/ runs the model test on a real server.
 */
type Doc = Record<string, unknown>;
const opened: Store<Doc>[] = [];

async function writers(count: number, options = {}): Promise<[Store<Doc>, Store<Doc>]> {
  const first = new MemoryStorage({ shared: true });
  const stores: Store<Doc>[] = [];
  for (let i = 0; i < count; i++) {
    const store = new Store<Doc>();
    await store.open(i === 0 ? first : new MemoryStorage({ shareWith: first }), options);
    stores.push(store);
    opened.push(store);
  }
  return stores as [Store<Doc>, Store<Doc>];
}

/** Waits until `store` has applied seq `seq` (another writer's commits arrive by polling). */
async function caughtUp(store: Store<Doc>, seq: number): Promise<void> {
  for (let i = 0; i < 200 && store.stats().seq < seq; i++) await new Promise((r) => setTimeout(r, 5));
  expect(store.stats().seq).toBe(seq);
}

async function conflictOf(promise: Promise<unknown>): Promise<ConflictError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ConflictError);
  return error as ConflictError;
}

/**
 * Two writes made on the same base, racing: the server stores one (whichever commits first)
 * and refuses the other; returns the loser's index and its error.
 */
async function race(writes: Promise<unknown>[]): Promise<{ loser: number; error: ConflictError }> {
  const settled = await Promise.allSettled(writes);
  const lost = settled.flatMap((result, index) => (result.status === "rejected" ? [index] : []));
  expect(lost).toHaveLength(1);
  const error = (settled[lost[0]!] as PromiseRejectedResult).reason as unknown;
  expect(error).toBeInstanceOf(ConflictError);
  return { loser: lost[0]!, error: error as ConflictError };
}

afterEach(async () => {
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
});

describe("many writers: conflicts", () => {
  it("a stale write fails after catching up, naming the record and its current value and version", async () => {
    const [a, b] = await writers(2);
    await a.set("t", { n: 1 });
    await caughtUp(b, 1);
    // Both saw n: 1 and write at once: one commits first, the other is stale.
    const { loser, error } = await race([a.set("t", { n: 2 }), b.set("t", { n: 3 })]);
    const [lost, won] = loser === 0 ? [a, b] : [b, a];
    if (!lost || !won) throw new Error("two writers");
    const winning = { n: loser === 0 ? 3 : 2 };
    expect(error.code).toBe("OPSLOG_CONFLICT");
    expect(error.id).toBe("t");
    expect(error.current).toEqual(winning);
    expect(error.version).toBe(2);
    expect(lost.get("t")).toEqual(winning); // caught up when the error came
    expect(lost.version("t")).toBe(2);
    await lost.set("t", { n: 4 }); // based on what it now sees
    await caughtUp(won, 3);
    expect(won.get("t")).toEqual({ n: 4 });
  });

  it("a batch is refused whole; the other units of the same commit are not", async () => {
    const [a, b] = await writers(2);
    await a.set("x", { v: 1 });
    await caughtUp(b, 1);
    const winner = a.set("x", { v: 2 });
    const single = b.set("free", { ok: true });
    const batch = b.batch(() => {
      b.set("y", { v: 1 });
      b.set("x", { v: 9 });
    });
    await Promise.all([winner, single]);
    await conflictOf(batch);
    expect(b.has("y")).toBe(false);
    expect(b.get("x")).toEqual({ v: 2 });
    expect(b.get("free")).toEqual({ ok: true });
    expect(b.getOps().map((op) => op.id).sort()).toEqual(["free", "x", "x"]);
  });

  it("a pending write based on a refused one is refused with it", async () => {
    const [a, b] = await writers(2);
    await a.set("k", { v: 1 });
    await caughtUp(b, 1);
    // b's first write loses to a's (a's commit is in before b's is sent), so its second, which
    // saw the first's value, is refused with it.
    await a.set("k", { v: 2 });
    const first = b.set("k", { v: 10 }, { expectedVersion: 1 });
    const second = b.set("k", { v: 11 });
    await conflictOf(first);
    await conflictOf(second);
    expect(b.get("k")).toEqual({ v: 2 });
  });

  it("update() retries a pure function on the caught-up value", async () => {
    const [a, b] = await writers(2);
    await a.set("c", { n: 0 });
    await caughtUp(b, 1);
    let calls = 0;
    await a.set("c", { n: 5 });
    // b's first call sees n: 0 (stale unless b caught up first); it commits exactly once either way.
    const result = await b.update("c", (doc) => {
      calls++;
      return { n: Number(doc?.n ?? 0) + 1 };
    });
    expect(result).toEqual({ n: 6 });
    expect(calls).toBeGreaterThanOrEqual(1);
    await caughtUp(a, 3);
    expect(a.get("c")).toEqual({ n: 6 });
    await expect(b.update("c", () => Promise.resolve({}) as never)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
  });

  it("expectedVersion: exact versions; 0 means absent", async () => {
    const [a, b] = await writers(2);
    await a.set("e", { v: 1 }, { expectedVersion: 0 });
    await conflictOf(a.set("e", { v: 2 }, { expectedVersion: 0 }));
    await a.set("e", { v: 2 }, { expectedVersion: a.version("e") });
    await caughtUp(b, 2);
    await conflictOf(b.set("e", { v: 3 }, { expectedVersion: 1 }));
    expect(b.version("missing")).toBe(0);
    expect(() => b.set("e", { v: 3 }, { expectedVersion: -1 })).toThrow(/expectedVersion/);
  });

  it("overwrite: stored though stale, the log keeps the true prev, the caller learns what it replaced", async () => {
    const [a, b] = await writers(2);
    await a.set("o", { v: 1 });
    await caughtUp(b, 1);
    // Sent in call order: a's commit is first, and b has not seen it when it sends its own.
    const winner = a.set("o", { v: 2 });
    const replaced = await b.set("o", { v: 3 }, { overwrite: true });
    await winner;
    expect(replaced).toEqual([{ id: "o", value: { v: 2 }, version: 2 }]);
    const last = b.getHistory("o").at(-1) as Operation<Doc>;
    expect(last.prev).toEqual({ v: 2 });
    expect(await b.set("o", { v: 4 }, { overwrite: true })).toEqual([]); // not stale: nothing overwritten
  });
});

describe("many writers: undo and redo", () => {
  it("undo reverts this writer's own last unit, not another writer's", async () => {
    const [a, b] = await writers(2);
    await a.set("mine", { v: 1 });
    await caughtUp(b, 1);
    await b.set("theirs", { v: 1 });
    await caughtUp(a, 2);
    expect(await a.undo()).toBe(true);
    expect(a.has("mine")).toBe(false);
    expect(a.get("theirs")).toEqual({ v: 1 });
    expect(await a.undo()).toBe(false); // b's write is not a's to undo
    expect(await a.redo()).toBe(true);
    expect(a.get("mine")).toEqual({ v: 1 });
  });

  it("undo and redo refuse when another writer changed those records since", async () => {
    const [a, b] = await writers(2);
    await a.set("r", { v: 1 });
    await caughtUp(b, 1);
    await b.set("r", { v: 2 });
    const undo = await conflictOf(a.undo());
    expect(undo.id).toBe("r");
    expect(undo.current).toEqual({ v: 2 });
    expect(a.get("r")).toEqual({ v: 2 });
    await a.set("s", { v: 1 });
    expect(await a.undo()).toBe(true);
    await caughtUp(b, 4);
    await b.set("s", { v: 7 });
    await caughtUp(a, 5);
    await conflictOf(a.redo());
    expect(a.get("s")).toEqual({ v: 7 });
  });
});

describe("many writers: failures", () => {
  it("a commit whose answer is lost rejects with OPSLOG_IO, is reverted, and shows up from the log", async () => {
    const [a, b] = await writers(2);
    const storage = (a as unknown as { engine: { storage: MemoryStorage } }).engine.storage;
    storage.faults.loseNextOutcome();
    await expect(a.set("lost", { v: 1 })).rejects.toMatchObject({ code: "OPSLOG_IO" });
    await b.set("other", { v: 1 });
    await caughtUp(a, 2); // the lost one committed (seq 1): a learns it like another writer's
    expect(a.get("lost")).toEqual({ v: 1 });
    expect(a.getOps().map((op) => op.id)).toEqual(["lost", "other"]);
    expect(await a.undo()).toBe(false); // not known as a's own
  });

  it("failed fetches (another writer's commits, read back) are retried: the store catches up and writes go on", async () => {
    const [a, b] = await writers(2);
    const storage = (a as unknown as { engine: { storage: MemoryStorage } }).engine.storage;
    await b.set("before", { v: 1 }); // a must fetch it: the outcome of a's next commit has no gap-free ops
    storage.faults.failNextFetches(3);
    let resolved = false;
    const write = a.set("mine", { v: 1 }).then(() => (resolved = true));
    await write;
    expect(resolved).toBe(true);
    expect(a.getOps().map((op) => op.id)).toEqual(["before", "mine"]);
    expect(a.stats().followError).toBeUndefined();
  });
});

describe("many writers: everything else", () => {
  it("watch() yields every writer's operations once, in the global order", async () => {
    const [a, b] = await writers(2);
    const seen: string[] = [];
    const controller = new AbortController();
    const feed = (async () => {
      for await (const op of a.watch({ signal: controller.signal })) {
        seen.push(`${op.seq}:${op.id}`);
        if (seen.length === 4) controller.abort();
      }
    })();
    await a.set("a1", {});
    await b.set("b1", {});
    await a.set("a2", {});
    await b.set("b2", {});
    await feed;
    expect(seen).toEqual(["1:a1", "2:b1", "3:a2", "4:b2"]);
  });

  it("a readOnly follower stays current; a writer's thrown batch leaves its pending writes staged", async () => {
    const [a] = await writers(1);
    const follower = new Store<Doc>();
    await follower.open(new MemoryStorage({ shareWith: (a as unknown as { engine: { storage: Storage } }).engine.storage as MemoryStorage }), {
      readOnly: true,
      follow: true,
    });
    opened.push(follower);
    const pending = a.set("p", { v: 1 });
    await expect(
      a.batch(() => {
        a.set("q", { v: 1 });
        throw new Error("callback failed");
      }),
    ).rejects.toThrow("callback failed");
    expect(a.get("p")).toEqual({ v: 1 }); // checked again below, after other commits
    expect(a.get("p")).toEqual({ v: 1 });
    expect(a.has("q")).toBe(false);
    await pending;
    await caughtUp(follower, 1);
    expect(follower.get("p")).toEqual({ v: 1 });
  });

  it("migrate: the first writer at a newer version rewrites the state once; older writers are refused", async () => {
    const first = new MemoryStorage({ shared: true });
    const old = new Store<Doc>();
    await old.open(first);
    await old.set("x", { v: 1 });
    const next = new Store<Doc>();
    await next.open(new MemoryStorage({ shareWith: first }), { version: 2, migrate: (r) => ({ ...(r as Doc), m: 1 }) });
    opened.push(old, next);
    expect(next.get("x")).toEqual({ v: 1, m: 1 });
    await expect(old.set("y", {})).rejects.toMatchObject({ code: "OPSLOG_VERSION" });
    const again = new Store<Doc>();
    await again.open(new MemoryStorage({ shareWith: first }), { version: 2, migrate: () => ({ twice: true }) });
    opened.push(again);
    expect(again.get("x")).toEqual({ v: 1, m: 1 });
  });

  it("writeMode async is refused; expectedVersion and version() need a shared storage", async () => {
    const store = new Store<Doc>();
    await expect(store.open(new MemoryStorage({ shared: true }), { writeMode: "async" })).rejects.toMatchObject({
      code: "OPSLOG_INVALID_ARGUMENT",
    });
    const single = new Store<Doc>();
    await single.open(new MemoryStorage());
    opened.push(single);
    expect(() => single.version("x")).toThrow(/needs a storage many writers share/);
    expect(() => single.set("x", {}, { expectedVersion: 0 })).toThrow(/needs a storage many writers share/);
    expect(await single.set("x", {}, { overwrite: true })).toEqual([]);
    expect(await single.update("x", () => ({ v: 1 }))).toEqual({ v: 1 });
  });
});
