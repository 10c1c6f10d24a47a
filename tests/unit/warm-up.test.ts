import { describe, expect, it } from "vitest";
import { RecordTable } from "../../src/engine/record-table.js";
import { WarmUp, writerBackoffMs, type Warmable } from "../../src/engine/warm-up.js";
import { Store } from "../../src/index.js";
import { RawRecord } from "../../src/model/raw-record.js";
import { toStoredRecord } from "../../src/model/value.js";
import type { Operation } from "../../src/types.js";
import { tempDir } from "../helpers/temp-dir.js";

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rawCount(records: ReadonlyMap<string, unknown>): number {
  let n = 0;
  for (const value of records.values()) if (value instanceof RawRecord) n++;
  return n;
}

let seq = 0;
function setOp(id: string, data: unknown, prev: unknown): Operation {
  return { seq: ++seq, ts: "t", op: "set", id, data: toStoredRecord(data), prev: prev ?? null };
}

describe("RecordTable.warm", () => {
  it("parses text records in steps, in place, while the table changes between steps", () => {
    const texts = ['{"b":1,"a":[1,{"z":null}]}', '{"__proto__":{"x":1}}', '"a string"', "{}", '{"n":-0.5}'];
    const map = new Map<string, unknown>(texts.map((text, i) => [`k${i}`, new RawRecord(text)]));
    const table = new RecordTable(map);
    expect(table.warm(2, Infinity)).toBe(true);
    expect(rawCount(table.records)).toBe(3);
    // A set and a delete between steps; the iterator goes on over the changed map.
    table.apply(setOp("k3", { replaced: true }, table.records.get("k3")));
    table.apply({ seq: ++seq, ts: "t", op: "delete", id: "k4", prev: null });
    table.apply(setOp("k9", { added: 1 }, undefined));
    while (table.warm(1, Infinity));
    expect(rawCount(table.records)).toBe(1); // "a string" is a primitive: kept as its text.
    expect([...table.records.keys()]).toEqual(["k0", "k1", "k2", "k3", "k9"]);
    const shown = [...table.records.values()].map((v) => (v instanceof RawRecord ? v.json : JSON.stringify(v)));
    expect(shown).toEqual([texts[0], texts[1], texts[2], '{"replaced":true}', '{"added":1}']);
    const proto = table.records.get("k1") as object;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.isFrozen(proto)).toBe(true);
    expect(Object.isFrozen((table.records.get("k0") as { a: object[] }).a[1])).toBe(true);
  });

  it("starts over after the table's records are replaced (a follower starting over)", () => {
    const table = new RecordTable(new Map<string, unknown>([["a", new RawRecord('{"a":1}')]]));
    expect(table.warm(5, Infinity)).toBe(false);
    table.replace(new Map<string, unknown>([["b", new RawRecord('{"b":2}')], ["c", new RawRecord("[3]")]]));
    expect(table.warm(5, Infinity)).toBe(false);
    expect(rawCount(table.records)).toBe(0);
  });
});

describe("WarmUp", () => {
  it("works in slices behind other callbacks, and nothing runs after stop()", async () => {
    let calls = 0;
    let clock = 0;
    const table: Warmable = {
      warm: () => {
        calls++;
        clock += 1; // Each call "takes" 1 ms: two calls per 2 ms slice.
        return calls < 20;
      },
    };
    const warmUp = new WarmUp(table, () => clock);
    warmUp.start();
    expect(calls).toBe(0); // Nothing at start: open() returns first.
    await tick();
    const afterFirstTurn = calls;
    expect(afterFirstTurn).toBeGreaterThan(0);
    expect(afterFirstTurn).toBeLessThan(20); // A slice ends; other callbacks run between.
    while (warmUp.running) await tick();
    expect(calls).toBe(20);

    let more = 0;
    const second = new WarmUp({ warm: () => ++more > 0 }, () => clock++);
    second.start();
    await tick();
    second.stop();
    const stoppedAt = more;
    await tick(5);
    expect(more).toBe(stoppedAt);
    expect(second.running).toBe(false);
  });
});

describe("warm-up in a store", () => {
  it("parses a reopened store's records while writes go on, reads equal to the byte", async () => {
    const dir = tempDir();
    const writer = new Store<Record<string, unknown>>();
    await writer.open(dir, { checkpointOnClose: true });
    await writer.batch(() => {
      for (let i = 0; i < 3000; i++) writer.set(`r${i}`, { i, s: "é\u2028\\", n: [i, null, { deep: -0.25 }] });
    });
    await writer.close();

    const store = new Store<Record<string, unknown>>();
    await store.open(dir);
    const table = (store as unknown as { engine: { table: RecordTable } }).engine.table;
    expect(rawCount(table.records)).toBe(3000);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 3000; i += 97) {
      writes.push(i % 2 ? store.set(`r${i}`, { i, changed: true }) : store.delete(`r${i}`));
      await tick();
    }
    await Promise.all(writes);
    while ((store as unknown as { warmUp: WarmUp }).warmUp.running) await tick(1);
    expect(rawCount(table.records)).toBe(0);
    const expected = JSON.stringify(store.entries());
    await store.close();

    const cold = new Store<Record<string, unknown>>();
    await cold.open(dir, { warmUp: false, readOnly: true });
    expect(JSON.stringify(cold.entries())).toBe(expected);
    await cold.close();
  });

  it("stops at close: no record is parsed after it", async () => {
    const dir = tempDir();
    const writer = new Store<{ i: number }>();
    await writer.open(dir, { checkpointOnClose: true });
    await writer.batch(() => {
      for (let i = 0; i < 50_000; i++) writer.set(`r${i}`, { i });
    });
    await writer.close();
    const store = new Store<{ i: number }>();
    await store.open(dir);
    const table = (store as unknown as { engine: { table: RecordTable } }).engine.table;
    await tick();
    const closing = store.close(); // Not awaited: warm-up must stop at once, not after.
    const left = rawCount(table.records);
    await closing;
    await tick(20);
    expect(left).toBeGreaterThan(0);
    expect(rawCount(table.records)).toBe(left);
  });

  it("warmUp: false leaves records as text until read; a bad value is refused", async () => {
    const dir = tempDir();
    const writer = new Store<{ i: number }>();
    await writer.open(dir, { checkpointOnClose: true });
    await writer.set("a", { i: 1 });
    await writer.close();
    const store = new Store<{ i: number }>();
    await store.open(dir, { warmUp: false });
    await tick(10);
    const table = (store as unknown as { engine: { table: RecordTable } }).engine.table;
    expect(rawCount(table.records)).toBe(1);
    expect(store.get("a")).toEqual({ i: 1 });
    expect(rawCount(table.records)).toBe(0);
    await store.close();
    await expect(new Store().open(dir, { warmUp: "yes" as never })).rejects.toMatchObject({
      code: "OPSLOG_INVALID_ARGUMENT",
    });
  });
});

describe("ids()", () => {
  it("lists every id in entries() order without parsing a record held as text", async () => {
    const dir = tempDir();
    const writer = new Store<{ i: number }>();
    await writer.open(dir, { checkpointOnClose: true });
    await writer.batch(() => {
      for (const id of ["b", "__proto__", "a", "é", ""]) writer.set(id === "" ? "z" : id, { i: 1 });
    });
    await writer.delete("a");
    await writer.close();
    const store = new Store<{ i: number }>();
    await store.open(dir, { warmUp: false });
    const table = (store as unknown as { engine: { table: RecordTable } }).engine.table;
    expect(store.ids()).toEqual(["b", "__proto__", "é", "z"]);
    expect(rawCount(table.records)).toBe(4); // Nothing was parsed.
    expect(store.ids()).toEqual(store.entries().map(([id]) => id));
    await store.close();
    expect(() => store.ids()).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }) as Error);
  });
});

describe("WarmUp beside a writer", () => {
  it("waits while the writes count moves, and goes on once it stands still", async () => {
    let calls = 0;
    let writes = 0;
    const warmUp = new WarmUp({ warm: () => ++calls < 1000 }, () => performance.now(), () => writes);
    warmUp.start();
    for (let i = 0; i < 8; i++) {
      writes++; // A write between every two looks.
      await tick(writerBackoffMs / 2);
    }
    expect(calls).toBe(0);
    while (warmUp.running) await tick(5);
    expect(calls).toBe(1000);
  });
});
