import { describe, expect, it } from "vitest";
import { RawRecord } from "../../src/model/raw-record.js";
import { chunkOps } from "../../src/testing/contract-kit.js";
import { parseIsoMicros } from "../../src/util/time.js";
import { del, freshStore, open, pgServer, pgStorage, request, set } from "./pg-helpers.js";

const pg = pgServer();

function recordTexts(records: Map<string, unknown>): [string, string][] {
  return [...records].map(([id, v]) => [id, v instanceof RawRecord ? v.json : JSON.stringify(v)]);
}

describe("PostgreSQL shared commits", () => {
  it("keeps ids and values exact to their JSON text across a reopen", async () => {
    const store = freshStore();
    const storage = pgStorage(pg.server.url, store);
    await open(storage);
    const ids = ["lone \ud83d high", "lone \udc00 low", "nul \u0000 inside", "__proto__", "日本 😀"];
    const values = [
      JSON.parse('{"b":1,"a":{"z":null,"y":[null,{"n":null}]},"__proto__":{"x":1}}'),
      { big: 1e308, small: -5e-324, neg: -0.5, s: "\ud83d \u0000 \u2028" },
      "x".repeat(5 * 1024 * 1024),
      [null, [], {}],
      null,
    ];
    const changes = ids.map((id, i) => set(id, values[i]));
    const outcome = await storage.shared.commit(request(0, changes));
    expect(outcome.units).toEqual([{ seq: 1, overwritten: [] }]);
    const written = JSON.stringify(outcome.ops!.ops);
    await storage.close();
    const again = pgStorage(pg.server.url, store);
    const state = await open(again, true);
    expect(recordTexts(state.checkpoint.records)).toEqual(
      ids.map((id, i) => [id, JSON.stringify(values[i])]),
    );
    expect(JSON.stringify(chunkOps(again.readOps(1, 5)))).toBe(written);
    expect(JSON.stringify((await again.shared.fetch(0, 10)).ops)).toBe(written);
    expect(chunkOps(again.readOps(1, 5)).map((op) => op.id)).toEqual(ids);
    await again.close();
  });

  it("checks every base kind, skips stale units whole, and reports what it overwrote", async () => {
    const storage = pgStorage(pg.server.url, freshStore());
    await open(storage);
    const first = await storage.shared.commit(request(0, [set("a", 1)], [set("b", 1)]));
    expect(first.head).toBe(2);
    const outcome = await storage.shared.commit(
      request(
        2,
        [set("a", 2, { seen: 0 })], // stale: a is at version 1
        [set("a", 3, { seen: 1 })], // holds
        [set("b", 4, { version: 2 })], // holds
        [set("b", 5, { version: 1 })], // stale (b is now at 5)
        [set("c", 6, { absent: true }), set("d", 6, { absent: true })], // holds: a batch
        [set("a", 7, { absent: true })], // stale
        [set("d", 8, { chained: true })], // chained on a stored change: holds
        [set("z", 1, { version: 99 })], // stale, the unit below chains on it
        [set("z", 2, { chained: true })], // stale: the change it chained on was not stored
        { changes: [set("a", 9, { seen: 0 }), del("c", { seen: 0 })], overwrite: true },
      ),
    );
    expect(outcome.units).toEqual([
      { conflict: { id: "a", version: 1, value: 1 } },
      { seq: 3, overwritten: [] },
      { seq: 4, overwritten: [] },
      { conflict: { id: "b", version: 4, value: 4 } },
      { seq: 5, overwritten: [] },
      { conflict: { id: "a", version: 3, value: 3 } },
      { seq: 7, overwritten: [] },
      { conflict: { id: "z", version: 0, value: undefined } },
      { conflict: { id: "z", version: 0, value: undefined } },
      {
        seq: 8,
        overwritten: [
          { id: "a", version: 3, value: 3 },
          { id: "c", version: 5, value: 6 },
        ],
      },
    ]);
    expect(outcome.head).toBe(9);
    const ops = outcome.ops!.ops;
    expect(ops.map((op) => [op.seq, op.id, op.prev, op.batch])).toEqual([
      [3, "a", 1, undefined],
      [4, "b", 1, undefined],
      [5, "c", null, 5],
      [6, "d", null, 5],
      [7, "d", 6, undefined],
      [8, "a", 3, 8],
      [9, "c", 6, 8],
    ]);
    await storage.close();
  });

  it("a retry with the same commit id resolves with the first outcome, committing once", async () => {
    const storage = pgStorage(pg.server.url, freshStore());
    await open(storage);
    const commit = request(0, [set("a", 1)]);
    const one = await storage.shared.commit(commit);
    const two = await storage.shared.commit(commit);
    expect(two.head).toBe(1);
    expect(two.units).toEqual(one.units);
    expect((await storage.shared.fetch(0, 10)).ops).toHaveLength(1);
    await storage.close();
  });

  it("8 concurrent committers get gapless seqs and strictly increasing ts", async () => {
    const store = freshStore();
    const storages = Array.from({ length: 8 }, () => pgStorage(pg.server.url, store));
    await Promise.all(storages.map((s) => open(s)));
    const perWriter = 40;
    await Promise.all(
      storages.map(async (storage, w) => {
        for (let i = 0; i < perWriter; i++) {
          const unit = i % 3 === 0 ? [set(`w${w}`, i), set("shared", i)] : [set(`w${w}`, i)];
          const outcome = await storage.shared.commit({
            ...request(0, unit),
            units: [{ changes: unit, overwrite: true }],
          });
          expect("seq" in outcome.units[0]!).toBe(true);
        }
      }),
    );
    const ops = (await storages[0]!.shared.fetch(0, 100_000)).ops;
    const expected = 8 * perWriter + 8 * Math.ceil(perWriter / 3);
    expect(ops.map((op) => op.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    const micros = ops.map((op) => parseIsoMicros(op.ts)!);
    for (let i = 1; i < micros.length; i++) expect(micros[i]).toBeGreaterThan(micros[i - 1]!);
    // prev is the true value before each operation, whoever wrote it.
    const last = new Map<string, unknown>();
    for (const op of ops) {
      expect(op.prev).toEqual(last.get(op.id) ?? null);
      last.set(op.id, op.data);
    }
    await Promise.all(storages.map((s) => s.close()));
  });

  it("many stores live in one database, and 4 concurrent opens migrate once", async () => {
    const schema = `s${process.pid}`;
    const names = ["one", "two", "three", "four"];
    const storages = names.map((name) => pgStorage(pg.server.url, name, { schema }));
    await Promise.all(storages.map((s) => open(s)));
    await Promise.all(storages.map((s, i) => s.shared.commit(request(0, [set("k", i)]))));
    for (const [i, storage] of storages.entries()) {
      const ops = (await storage.shared.fetch(0, 10)).ops;
      expect(ops.map((op) => [op.seq, op.data])).toEqual([[1, i]]);
    }
    await Promise.all(storages.map((s) => s.close()));
    const again = pgStorage(pg.server.url, "three", { schema });
    const state = await open(again, true);
    expect(recordTexts(state.checkpoint.records)).toEqual([["k", "2"]]);
    await again.close();
  });

  it("a readOnly open of a store never written is OPSLOG_NOT_FOUND", async () => {
    const storage = pgStorage(pg.server.url, freshStore());
    await expect(open(storage, true)).rejects.toMatchObject({ code: "OPSLOG_NOT_FOUND" });
  });

  it("a commit at another schema version is refused with OPSLOG_VERSION", async () => {
    const storage = pgStorage(pg.server.url, freshStore());
    await open(storage, false, 2);
    await expect(storage.shared.commit(request(0, [set("a", 1)]))).rejects.toMatchObject({
      code: "OPSLOG_VERSION",
    });
    await storage.close();
  });

  it("open orders records as a replayed Map would, with versions", async () => {
    const storage = pgStorage(pg.server.url, freshStore());
    await open(storage);
    await storage.shared.commit(request(0, [set("a", 1)], [set("b", 1)], [set("c", 1)]));
    const seen = { seen: 3 };
    await storage.shared.commit(request(3, [del("a", seen)], [set("b", 2, seen)], [set("a", 3, { absent: true })]));
    const state = await (async () => {
      await storage.close();
      return open(storage);
    })();
    expect([...state.checkpoint.records.keys()]).toEqual(["b", "c", "a"]);
    expect([...state.versions!]).toEqual([["b", 5], ["c", 3], ["a", 6]]);
    await storage.close();
  });

  it("onCommit wakes another writer after a commit", async () => {
    const store = freshStore();
    const writer = pgStorage(pg.server.url, store);
    const other = pgStorage(pg.server.url, store);
    await open(writer);
    await open(other);
    let woken = 0;
    const stop = other.shared.onCommit(() => woken++);
    await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN is in place
    await writer.shared.commit(request(0, [set("a", 1)]));
    await expect.poll(() => woken, { timeout: 5000 }).toBeGreaterThan(0);
    stop();
    await Promise.all([writer.close(), other.close()]);
  });
});
