import { describe, expect, it } from "vitest";
import { chunkOps } from "../../src/testing/contract-kit.js";
import { del, freshStore, open, pgServer, pgStorage, request, set } from "./pg-helpers.js";

const pg = pgServer();

// opslog_commit follows each id's state in variables and stores everything with one statement
// per table, and encodes its own operations for the outcome instead of reading them back
// (pg-commit-sql.ts): what it returns and stores must be what the row-by-row version did.
describe("PostgreSQL commit path", () => {
  it("an outcome's operations are the log's, byte for byte, also after others' commits", async () => {
    const store = freshStore();
    const mine = pgStorage(pg.server.url, store);
    const other = pgStorage(pg.server.url, store);
    await open(mine);
    await open(other);
    await other.shared.commit(request(0, [set("a", { v: 1 }), set("b", "x")])); // 1-2, a batch
    const outcome = await mine.shared.commit(
      request(
        0, // the other writer's 2 operations come first in the outcome
        [set("a", JSON.parse('{"z":1,"a":[1.50,"\\u00e9"]}'), { seen: 2 })], // 3
        [set("a", 7, { chained: true }), del("b", { seen: 2 })], // 4-5, prev 3's value
        [set("b", 8, { version: 1 })], // stale: b is at 5
        [set("b", 9, { chained: true })], // stale: chained on a refused change
        [set("b", 10, { absent: true })], // holds: b was deleted
      ),
    );
    expect(outcome.units.map((u) => ("seq" in u ? u.seq : "conflict"))).toEqual([
      3, 4, "conflict", "conflict", 6,
    ]);
    const written = JSON.stringify(outcome.ops!.ops);
    expect(outcome.ops!.ops.map((op) => [op.seq, op.id, op.prev])).toEqual([
      [1, "a", null], [2, "b", null], [3, "a", { v: 1 }], [4, "a", { z: 1, a: [1.5, "é"] }],
      [5, "b", "x"], [6, "b", null],
    ]);
    expect(JSON.stringify(chunkOps(mine.readOps(1, 6)))).toBe(written);
    expect(JSON.stringify((await other.shared.fetch(0, 100)).ops)).toBe(written);
    await mine.close();
    const state = await open(mine, true);
    expect([...state.versions!]).toEqual([["a", 4], ["b", 6]]);
    await Promise.all([mine.close(), other.close()]);
  });

  it("a writer is not woken by its own commit's notification, only by others'", async () => {
    const store = freshStore();
    const writer = pgStorage(pg.server.url, store);
    const other = pgStorage(pg.server.url, store);
    await open(writer);
    await open(other);
    let woken = 0;
    const stop = writer.shared.onCommit(() => woken++);
    await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN is in place
    await writer.shared.commit(request(0, [set("a", 1)]));
    await writer.shared.commit(request(1, [set("a", 2)]));
    await new Promise((resolve) => setTimeout(resolve, 500)); // its notifications have arrived
    expect(woken).toBe(0);
    await other.shared.commit(request(0, [set("b", 1)]));
    await expect.poll(() => woken, { timeout: 5000 }).toBeGreaterThan(0);
    stop();
    await Promise.all([writer.close(), other.close()]);
  });
});
