import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { check, converge, declared, fixedQueries, type Doc } from "../helpers/index-check.js";
import { freshStore, pgServer, pgStorage } from "./pg-helpers.js";

/**
 * Declared indexes of two stores on one PostgreSQL store: interleaved writes from both
 * (un-awaited, overlapping ids: some conflict), batches, overwrite: true, undo; once they
 * converge, each store's indexes equal ones rebuilt from its records and find/count/iterate
 * equal a scan (tests/helpers/index-check.ts).
 */
const pg = pgServer();

const statuses = ["open", "done", "wip", null];

function valueOf(i: number): Doc {
  const d: Doc = { status: statuses[i % 4], priority: i % 3 === 0 ? [i % 5, 7] : i % 11 };
  if (i % 2 === 0) d.owner = { id: i % 4 };
  if (i % 3 === 1) d.tags = ["x", "y"].slice(0, i % 3);
  if (i % 5 !== 0) d.due = i % 13;
  if (i % 4 === 1) d.email = `${i % 7}@x`;
  return d;
}

describe("declared indexes on PostgreSQL", () => {
  it("two stores writing at once converge on indexes equal to rebuilt ones", async () => {
    const name = freshStore("indexes");
    const stores: Store<Doc>[] = [];
    for (let i = 0; i < 2; i++) {
      const store = new Store<Doc>();
      await store.open(pgStorage(pg.server.url, name, { pollMs: 20 }), { indexes: declared });
      stores.push(store);
    }
    const [a, b] = stores as [Store<Doc>, Store<Doc>];
    try {
      const pending: Promise<unknown>[] = [];
      const refusals: string[] = [];
      const issue = (run: () => Promise<unknown>): void => {
        try {
          const promise = run();
          pending.push(promise.catch((error: { code?: string }) => refusals.push(String(error.code))));
        } catch (error) {
          refusals.push(String((error as { code?: string }).code)); // OPSLOG_UNIQUE at the call
        }
      };
      for (let i = 0; i < 60; i++) {
        const store = i % 2 === 0 ? a : b;
        const id = `k${(i * 7) % 12}`;
        if (i % 9 === 4) issue(() => store.batch(() => {
          void store.set(id, valueOf(i));
          void store.set(`k${(i + 1) % 12}`, valueOf(i + 1));
        }));
        else if (i % 7 === 3 && store.has(id)) issue(() => store.delete(id));
        else if (i % 5 === 2) issue(() => store.set(id, valueOf(i), { overwrite: true }));
        else issue(() => store.set(id, valueOf(i)));
        check(store, declared, [], `pending ${i}`);
        if (i % 10 === 9) {
          await Promise.all(pending);
          await store.undo().catch((error: { code?: string }) => refusals.push(String(error.code)));
        }
      }
      await Promise.all(pending);
      for (const code of refusals) expect(["OPSLOG_CONFLICT", "OPSLOG_UNIQUE", "OPSLOG_NOT_FOUND"]).toContain(code);
      await a.flush();
      await b.flush();
      await converge(stores);
      expect(JSON.stringify(a.entries())).toBe(JSON.stringify(b.entries()));
      expect(a.stats().seq).toBeGreaterThan(30);
      for (const [i, store] of stores.entries()) check(store, declared, fixedQueries, `converged ${i}`);
    } finally {
      for (const store of stores) await store.close();
    }
  }, 60_000);
});
