import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import type { SharedCommit, SharedOutcome } from "../../src/storage/shared-port.js";

/**
 * Found by tests/postgres/multiprocess.test.ts (a proxy dropping connections inside commits).
 * When a shared commit's outcome comes without the operations (PostgreSQL's recorded outcome,
 * returned to a retry after a lost reply, has none), the engine fetches them; when that fetch
 * failed (the connection dropped again), the outcome was forgotten but the units stayed queued,
 * so they were sent again as a new commit: a write committed twice, or (its base now stale)
 * rejected with OPSLOG_CONFLICT although it was in the log — an update() then retried and wrote
 * a second time on top of its own first write.
 */
describe("regression: a shared commit whose follow-up fetch fails", () => {
  it("is settled once, from its first outcome, and never sent again", async () => {
    const storage = new MemoryStorage({ shared: true });
    const store = new Store<{ n: number }>();
    await store.open(storage);
    const log = storage.shared!;
    const commit = log.commit.bind(log);
    const fetch = log.fetch.bind(log);
    let commits = 0;
    let failFetch = false;
    log.commit = async (request: SharedCommit): Promise<SharedOutcome> => {
      commits++;
      const outcome = await commit(request);
      if (commits > 1) return outcome;
      failFetch = true; // the first outcome comes without its operations, and the fetch fails
      return { head: outcome.head, units: outcome.units };
    };
    log.fetch = (afterSeq, limit) => {
      if (!failFetch) return fetch(afterSeq, limit);
      failFetch = false;
      return Promise.reject(new Error("connection terminated unexpectedly"));
    };
    await store.set("a", { n: 1 });
    expect(store.get("a")).toEqual({ n: 1 });
    expect(commits).toBe(1);
    const fresh = new Store<{ n: number }>();
    await fresh.open(new MemoryStorage({ shareWith: storage }));
    expect(fresh.getOps().map((op) => op.seq)).toEqual([1]);
    await fresh.close();
    await store.close();
  });
});
