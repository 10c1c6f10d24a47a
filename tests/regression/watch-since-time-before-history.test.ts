import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Review of issue 11, D1: watch({ since: <ISO time> }) before the retained history yielded from
 * the oldest retained operation on, skipping the pruned ones without an error, while the same
 * point as a seq (and at() at that time) was refused. And a `since` time after operations still
 * in flight yielded them although their ts is not after it.
 */
describe("regression: watch({ since: time }) never skips silently", () => {
  for (const [name, target] of [["files", () => tempDir()], ["memory", () => new MemoryStorage()]] as const) {
    it(`refuses a time before the retained history (${name})`, async () => {
      const store = new Store<{ i: number }>();
      await store.open(target(), { checkpointThreshold: 4, retain: { ops: 2 } });
      const before = new Date(Date.now() - 1000).toISOString();
      for (let i = 0; i < 40; i++) await store.set("a", { i });
      await store.compact();
      expect(() => store.watch({ since: before })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
      await store.close();
    });
  }

  it("yields only operations after a `since` time, also those in flight when watch() is called", async () => {
    const store = new Store<{ i: number }>();
    await store.open(tempDir());
    await store.set("a", { i: 0 });
    const writes = [store.set("b", { i: 1 }), store.set("c", { i: 2 })]; // in flight
    const future = new Date(Date.now() + 60_000).toISOString();
    const seen: number[] = [];
    const controller = new AbortController();
    const feed = (async () => {
      for await (const op of store.watch({ since: future, signal: controller.signal })) seen.push(op.seq);
    })();
    await Promise.all(writes);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    await feed;
    expect(seen).toEqual([]); // Every operation so far happened before `future`.
    await store.close();
  });
});
