import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OpslogError, Store, type Operation } from "../../src/index.js";
import { SimFileSystem } from "../helpers/sim-fs.js";
import { tempDir } from "../helpers/temp-dir.js";

type Value = { n: number };
const text = (ops: readonly Operation[]): string => ops.map((op) => JSON.stringify(op)).join("\n");

/** Takes `count` operations from a feed (or fewer if it ends). */
async function take(feed: AsyncIterable<Operation<Value>>, count: number): Promise<Operation<Value>[]> {
  const got: Operation<Value>[] = [];
  if (count === 0) return got;
  for await (const op of feed) {
    got.push(op);
    if (got.length >= count) break;
  }
  return got;
}

describe("store.watch(): the change feed", () => {
  it("yields what comes after the call, in seq order, then resumes by seq with no gap or repeat", async () => {
    const dir = tempDir();
    const store = new Store<Value>();
    await store.open(dir);
    await store.set("before", { n: 0 });
    const feed = store.watch();
    const first = take(feed, 3);
    await store.set("a", { n: 1 });
    await store.batch(() => {
      void store.set("b", { n: 2 });
      void store.delete("a");
    });
    const seen = await first;
    expect(seen.map((op) => op.seq)).toEqual([2, 3, 4]);
    expect(text(seen)).toBe(text(store.getOps(1)));
    await store.set("c", { n: 5 });
    await store.close();
    // After a restart, `since` the last seq handled gives exactly the rest.
    const again = new Store<Value>();
    await again.open(dir);
    const rest = await take(again.watch({ since: 4 }), 1);
    expect(text(rest)).toBe(text(again.getOps(4)));
    const all = await take(again.watch({ since: 0 }), 5);
    expect(text(all)).toBe(text(again.getOps()));
    await again.close();
  });

  it("filters by id, starts at a time, and ends on abort and on close", async () => {
    const store = new Store<Value>();
    await store.open(tempDir());
    await store.set("a", { n: 1 });
    const mark = store.getOps().at(-1)!.ts;
    await store.set("b", { n: 2 });
    await store.set("a", { n: 3 });
    expect((await take(store.watch({ since: 0, id: "a" }), 2)).map((op) => op.seq)).toEqual([1, 3]);
    expect((await take(store.watch({ since: mark }), 2)).map((op) => op.seq)).toEqual([2, 3]);
    const controller = new AbortController();
    const aborted = take(store.watch({ signal: controller.signal }), 10);
    controller.abort();
    expect(await aborted).toEqual([]);
    const closing = take(store.watch(), 10);
    await store.close();
    expect(await closing).toEqual([]);
    expect(() => store.watch()).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }));
  });

  it("rejects bad options with typed errors at the call", async () => {
    const store = new Store<Value>();
    await store.open(tempDir());
    expect(() => store.watch({ since: -1 })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
    expect(() => store.watch({ id: "" })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ID" }));
    expect(() => store.watch({ signal: {} as AbortSignal })).toThrow(
      expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }),
    );
    await store.close();
  });

  it("a consumer that falls behind gets what it missed from the log, across checkpoints", async () => {
    const store = new Store<Value>();
    await store.open(tempDir(), { checkpointThreshold: 100 });
    const feed = store.watch();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 3000; i++) writes.push(store.set(`r${i % 50}`, { n: i }));
    await Promise.all(writes);
    await store.compact(); // The operations are now only in sealed segments on disk.
    const seen = await take(feed, 3000);
    expect(seen.map((op) => op.seq)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(text(seen)).toBe(text(store.getOps()));
    await store.close();
  });

  it("a consumer behind what retention keeps ends with OPSLOG_INVALID_ARGUMENT, never a gap", async () => {
    const store = new Store<Value>();
    await store.open(tempDir(), { checkpointThreshold: 10, retain: { ops: 5 } });
    const feed = store.watch();
    for (let i = 0; i < 60; i++) await store.set("a", { n: i });
    await store.compact();
    const error = await take(feed, 60).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OpslogError);
    expect((error as OpslogError).code).toBe("OPSLOG_INVALID_ARGUMENT");
    expect(() => store.watch({ since: 1 })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
    await store.close();
  });

  it("subscribe() calls back for each operation until stopped, and reports a throwing listener", async () => {
    const store = new Store<Value>();
    await store.open(tempDir());
    const seen: number[] = [];
    const stop = store.subscribe((op) => seen.push(op.seq));
    await store.set("a", { n: 1 });
    await store.set("b", { n: 2 });
    await new Promise((resolve) => setImmediate(resolve));
    stop();
    await store.set("c", { n: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([1, 2]);
    const errors: unknown[] = [];
    store.subscribe(() => {
      throw new Error("listener failed");
    }, { since: 0, onError: (error) => errors.push(error) });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(errors.map((e) => (e as Error).message)).toEqual(["listener failed"]);
    await store.close();
  });

  it("await using closes the store at the end of the scope", async () => {
    const dir = tempDir();
    {
      await using store = new Store<Value>();
      await store.open(dir);
      await store.set("a", { n: 1 });
    }
    const again = new Store<Value>(); // The lock was released: a writer can open.
    await again.open(dir);
    expect(again.get("a")).toEqual({ n: 1 });
    await again.close();
  });
});

/**
 * Model-based: random un-awaited writes, some failing (an injected I/O error on a random
 * file-system call, once), with a feed running from the start. The feed must yield exactly the
 * operations that became durable — by JSON text, so an operation that was reverted and whose
 * seq was reused by a later one shows up as a difference — in seq order, once each.
 */
describe("watch() yields durable operations only, once each, in order (property)", () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), id: fc.constantFrom("a", "b", "c"), n: fc.nat(99) }),
    fc.record({ kind: fc.constant("delete" as const), id: fc.constantFrom("a", "b", "c") }),
    fc.record({ kind: fc.constant("batch" as const), n: fc.nat(99) }),
    fc.record({ kind: fc.constant("settle" as const) }),
  );
  it("under injected write failures", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 200 }), async (steps, failAt) => {
        const fs = new SimFileSystem({ seed: failAt });
        const store = new Store<Value>();
        await store.open(`/data/watch-${++run}`, { fileSystem: fs, checkpointThreshold: 7 });
        const collected: Operation<Value>[] = [];
        const controller = new AbortController();
        const collecting = (async () => {
          for await (const op of store.watch({ signal: controller.signal })) collected.push(op);
        })();
        fs.failAt({ at: failAt, code: "EIO", calls: ["write", "fdatasync", "rename", "ftruncate"] });
        const pending: Promise<unknown>[] = [];
        for (const s of steps) {
          const quiet = (p: Promise<unknown>) => pending.push(p.catch(() => undefined));
          try {
            if (s.kind === "set") quiet(store.set(s.id, { n: s.n }));
            else if (s.kind === "delete" && store.has(s.id)) quiet(store.delete(s.id));
            else if (s.kind === "batch") {
              quiet(
                store.batch(() => {
                  void store.set("a", { n: s.n });
                  void store.set("b", { n: s.n + 1 });
                }),
              );
            }
            else if (s.kind === "settle") await Promise.all(pending);
          } catch {
            // A write refused at the call (after a failure) changes nothing.
          }
        }
        await Promise.all(pending);
        await store.flush().catch(() => undefined);
        await new Promise((resolve) => setImmediate(resolve));
        fs.clearFaults();
        const durable = store.getOps();
        controller.abort();
        await collecting;
        expect(text(collected)).toBe(text(durable));
        await store.close().catch(() => undefined);
      }),
      { numRuns: 60 },
    );
  });
});
