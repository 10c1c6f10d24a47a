import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { check, checkQueries, declared, doc, fixedQueries, ids, query, scanOf, until, type Doc } from "../helpers/index-check.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Indexes are not persisted: reopening with another declaration (indexes added, removed, a
 * path changed) builds what is declared now; a migration at open (`version`/`migrate`) is
 * indexed by its migrated values, at open and in a follower; views from at() answer find()
 * and count(filter) by a scan of their state and leave the store's indexes as they were.
 */
const declarations: Record<string, object>[] = [
  declared,
  {},
  { status: {} },
  { status: { on: "priority" }, owner: { on: "owner.id" } },
  { email: { on: ["email", "status"] }, tags: {}, due: { unique: false } },
];

async function fill(store: Store<Doc>, count: number, offset = 0): Promise<void> {
  for (let i = 0; i < count; i++) {
    const n = i + offset;
    await store.set(`r${n % 15}`, { status: ["open", "done", null][n % 3], priority: n % 3 === 0 ? [n % 4, 9] : n % 10, owner: { id: n % 4 }, tags: n % 2 ? ["x"] : [], due: n % 7, email: `${n}@x` });
    if (n % 6 === 5 && store.has(`r${(n + 3) % 15}`)) await store.delete(`r${(n + 3) % 15}`);
  }
}

describe("indexes are built from what is declared at each open", () => {
  it("reopening with indexes added, removed or on other paths gives indexes equal to rebuilt ones", async () => {
    const storage = new MemoryStorage();
    for (const [i, indexes] of [...declarations, declared].entries()) {
      const store = new Store<Doc>();
      await store.open(storage, { indexes, checkpointThreshold: 4 });
      check(store, indexes, [], `open ${i}`);
      await fill(store, 9, i * 9);
      if (i % 2 === 1) await store.undo();
      check(store, indexes, [], `after writes ${i}`);
      await store.close();
    }
  });

  it("a migration at open changes indexed fields: the indexes hold the migrated values", async () => {
    const dir = path.join(tempDir(), "store");
    const v1 = new Store<Doc>();
    await v1.open(dir, { indexes: declared, checkpointThreshold: 5 });
    await fill(v1, 12); // some in the checkpoint, some in the log after it
    await v1.close();
    // Version 2 renames statuses, moves priority under "owner", and makes emails upper case.
    const migrate = (record: unknown): Doc => {
      const r = record as Doc;
      return { ...r, status: r.status === "open" ? "todo" : r.status, owner: { id: r.priority }, email: String(r.email).toUpperCase() };
    };
    const v2 = new Store<Doc>();
    await v2.open(dir, { indexes: declared, version: 2, migrate });
    expect(v2.count({ status: "open" })).toBe(0);
    expect(v2.count({ status: "todo" })).toBeGreaterThan(0);
    expect(v2.explain({ where: { status: "todo" } }, "count").index).toBe("status");
    check(v2, declared, fixedQueries, "migrated");
    await v2.set("new", { status: "todo", email: "NEW@X" });
    expect(() => v2.set("other", { email: "NEW@X" })).toThrow(expect.objectContaining({ code: "OPSLOG_UNIQUE" }) as Error);
    await v2.undo();
    check(v2, declared, [], "migrated, then written");
    await v2.close();
  });

  it("a migration that gives two records one unique value fails the open with OPSLOG_UNIQUE", async () => {
    const storage = new MemoryStorage();
    const v1 = new Store<Doc>();
    await v1.open(storage, { indexes: declared });
    await v1.set("a", { email: "a@x" });
    await v1.set("b", { email: "A@x" });
    await v1.close();
    const v2 = new Store<Doc>();
    const migrate = (record: unknown): Doc => ({ ...(record as Doc), email: String((record as Doc).email).toLowerCase() });
    await expect(v2.open(storage, { indexes: declared, version: 2, migrate })).rejects.toMatchObject({ code: "OPSLOG_UNIQUE" });
    const v1again = new Store<Doc>();
    await v1again.open(storage, { indexes: declared }); // unchanged: still version 1
    check(v1again, declared, []);
    await v1again.close();
  });

  it("a follower at a newer version indexes the migrated values of what it takes", async () => {
    const dir = path.join(tempDir(), "store");
    const writer = new Store<Doc>();
    await writer.open(dir, { checkpointThreshold: 0 });
    await writer.set("seed", { status: "open" });
    const migrate = (record: unknown): Doc => ({ ...(record as Doc), status: `v2-${String((record as Doc).status)}` });
    const follower = new Store<Doc>();
    await follower.open(dir, { indexes: declared, readOnly: true, follow: true, followPollMs: 10, version: 2, migrate });
    try {
      await fill(writer, 10);
      await until("the follower to catch up", () => follower.stats().seq === writer.stats().seq);
      expect(follower.count({ status: "v2-open" })).toBe(writer.count({ status: "open" }));
      check(follower, declared, [], "migrating follower");
    } finally {
      await follower.close();
      await writer.close();
    }
  });
});

describe("time travel views scan; the store's indexes are unaffected", () => {
  it("at(seq) find/count/iterate equal a scan of the view's state (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.constantFrom(...ids), value: fc.option(doc, { nil: undefined }) }), { minLength: 1, maxLength: 20 }),
        fc.array(query, { minLength: 1, maxLength: 3 }),
        async (changes, queries) => {
          const store = new Store<Doc>();
          await store.open(new MemoryStorage(), { indexes: declared, checkpointThreshold: 6 });
          try {
            for (const c of changes) {
              try {
                if (c.value !== undefined) await store.set(c.id, c.value);
                else if (store.has(c.id)) await store.delete(c.id);
              } catch (error) {
                expect((error as { code?: string }).code).toBe("OPSLOG_UNIQUE");
              }
            }
            const last = store.stats().seq;
            const before = JSON.stringify(store.find({ sort: { priority: 1 } }));
            for (const seq of new Set([0, Math.floor(last / 2), last])) {
              const view = await store.at(seq);
              const scan = scanOf(new Map(view.entries()));
              checkQueries(view as never, scan, [...fixedQueries, ...queries], `at ${seq}`);
              expect(view.count({ email: { $exists: true } })).toBe(view.filter((v) => "email" in v).length);
            }
            expect(JSON.stringify(store.find({ sort: { priority: 1 } }))).toBe(before);
            check(store, declared, queries, "after views");
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: Number(process.env.OPSLOG_INDEX_RUNS ?? 20) },
    );
  });
});
