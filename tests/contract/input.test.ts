import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

type Any = Record<string, unknown>;

async function filled(): Promise<{ store: Store<Any>; dir: string }> {
  const dir = tempDir();
  const store = new Store<Any>();
  await store.open(dir);
  await store.set("a", { n: 1 });
  await store.set("b", { n: 2 });
  return { store, dir };
}

function snapshot(store: Store<Any>) {
  return { entries: store.entries(), seq: store.stats().seq, ops: store.getOps().length };
}

class Point {
  constructor(public x = 1) {}
}

const badValues: [string, unknown, RegExp][] = [
  ["NaN", { n: Number.NaN }, /value\.n: NaN/],
  ["Infinity", { list: [1, Infinity] }, /value\.list\[1\]: Infinity/],
  ["BigInt", { big: 10n }, /value\.big: BigInt/],
  ["function", { f: () => 1 }, /value\.f: a function/],
  ["symbol", { s: Symbol("x") }, /value\.s: a symbol/],
  ["undefined in array", { items: [1, undefined] }, /value\.items\[1\]: undefined/],
  ["hole", { items: [1, , 3] }, /value\.items\[1\]: an array hole/], // eslint-disable-line no-sparse-arrays
  ["Date", { items: [{}, {}, {}, { due: new Date() }] }, /value\.items\[3\]\.due: Date is not storable; store an ISO string/],
  ["Map", { m: new Map() }, /value\.m: Map/],
  ["class instance", { p: new Point() }, /value\.p: Point/],
  ["top-level undefined", undefined, /value: undefined/],
  ["symbol key", { [Symbol("k")]: 1 }, /symbol-keyed/],
  ["odd key", { "a b": { c: Number.NaN } }, /value\["a b"\]\.c: NaN/],
];

describe("bad input never hurts (SPEC §2.6)", () => {
  it.each(badValues)("rejects %s with OPSLOG_INVALID_VALUE naming the path", async (_name, value, message) => {
    const { store } = await filled();
    const before = snapshot(store);
    expect(() => store.set("c", value as Any)).toThrow(message);
    expect(() => store.set("c", value as Any)).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_VALUE" }));
    expect(snapshot(store)).toEqual(before);
    await store.set("c", { ok: true });
    expect(store.get("c")).toEqual({ ok: true });
    await store.close();
  });

  it("rejects a cycle", async () => {
    const { store } = await filled();
    const cyclic: Any = { a: {} };
    (cyclic["a"] as Any)["back"] = cyclic;
    expect(() => store.set("c", cyclic)).toThrow(/value\.a\.back: a cycle/);
    await store.close();
  });

  it("accepts shared (non-cyclic) references and any JSON value", async () => {
    const { store, dir } = await filled();
    const shared = { x: 1 };
    const values: [string, unknown][] = [
      ["shared", { one: shared, two: shared }],
      ["string", "text"],
      ["number", 3.25],
      ["bool", false],
      ["nested nulls", { a: null, b: [null, { c: null }] }],
      ["array", [1, "two", [3], { four: 4 }]],
      ["unicode", { "ключ": "値", emoji: "🦀", lone: "\ud800" }],
    ];
    for (const [id, value] of values) await store.set(id, value as Any);
    await store.close();
    const again = new Store<Any>();
    await again.open(dir);
    for (const [id, value] of values) expect(again.get(id)).toEqual(value);
    await again.close();
  });

  it("rejects a top-level null record with OPSLOG_INVALID_VALUE, in a batch too", async () => {
    const { store } = await filled();
    const before = snapshot(store);
    const refused = expect.objectContaining({
      code: "OPSLOG_INVALID_VALUE",
      message: expect.stringContaining("store an object or delete the record") as unknown,
    });
    expect(() => store.set("n", null as unknown as Any)).toThrow(refused);
    await expect(store.batch(() => void store.set("n", null as unknown as Any))).rejects.toThrow(refused);
    expect(snapshot(store)).toEqual(before);
    await store.close();
  });

  const badIds: [string, unknown][] = [
    ["empty", ""],
    ["number", 42],
    ["undefined", undefined],
    ["null", null],
    ["object", {}],
    ["too long", "x".repeat(1025)],
  ];

  it.each(badIds)("rejects a %s id with OPSLOG_INVALID_ID on every call", async (_name, id) => {
    const { store } = await filled();
    const before = snapshot(store);
    expect(() => store.set(id as string, { n: 1 })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ID" }));
    expect(() => store.delete(id as string)).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ID" }));
    expect(() => store.getHistory(id as string)).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ID" }));
    expect(snapshot(store)).toEqual(before);
    await store.close();
  });

  it("accepts ids at the length limit and awkward names", async () => {
    const { store, dir } = await filled();
    const ids = ["x".repeat(1024), "__proto__", "constructor", "hasOwnProperty", "ü/../\\", "🦀"];
    for (const id of ids) await store.set(id, { id });
    await store.close();
    const again = new Store<Any>();
    await again.open(dir);
    for (const id of ids) expect(again.get(id)).toEqual({ id });
    expect(again.count()).toBe(2 + ids.length);
    await again.close();
  });

  it("delete of a missing id throws OPSLOG_NOT_FOUND synchronously", async () => {
    const { store } = await filled();
    expect(() => store.delete("missing")).toThrow(expect.objectContaining({ code: "OPSLOG_NOT_FOUND" }));
    expect(store.count()).toBe(2);
    await store.close();
  });

  it("invalid meta is rejected with OPSLOG_INVALID_VALUE", async () => {
    const { store } = await filled();
    for (const meta of [[1], "x", 5, { when: new Date() }]) {
      expect(() => store.set("c", { n: 1 }, { meta: meta as Any })).toThrow(
        expect.objectContaining({ code: "OPSLOG_INVALID_VALUE" }),
      );
    }
    expect(store.has("c")).toBe(false);
    await store.close();
  });

  it("calls before open and after close get OPSLOG_NOT_OPEN and OPSLOG_CLOSED", async () => {
    const store = new Store<Any>();
    expect(() => store.get("a")).toThrow(expect.objectContaining({ code: "OPSLOG_NOT_OPEN" }));
    expect(() => store.set("a", {})).toThrow(expect.objectContaining({ code: "OPSLOG_NOT_OPEN" }));
    await store.open(tempDir());
    await store.close();
    expect(() => store.all()).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }));
    expect(() => store.set("a", {})).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }));
    await store.close(); // A second close is harmless.
    await expect(store.open(tempDir())).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
  });

  it("rejects bad open options", async () => {
    for (const options of [
      { checkpointThreshold: -1 },
      { writeMode: "fast" },
      { version: 0 },
      { groupCommitMs: -5 },
      { migrate: "yes" },
      { readOnly: true, repair: true },
    ]) {
      const store = new Store<Any>();
      const dir = tempDir();
      if (options.readOnly) await (async () => { const w = new Store(); await w.open(dir); await w.close(); })();
      await expect(store.open(dir, options as never)).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    }
  });

  it("stored values cannot be changed behind the log's back", async () => {
    const { store } = await filled();
    const value = { nested: { n: 1 }, list: [1] };
    await store.set("c", value);
    value.nested.n = 99;
    value.list.push(2);
    expect(store.get("c")).toEqual({ nested: { n: 1 }, list: [1] });
    const got = store.get("c") as { nested: { n: number } };
    expect(() => {
      got.nested.n = 5;
    }).toThrow(TypeError);
    for (const record of store.all()) expect(Object.isFrozen(record)).toBe(true);
    expect(store.getHistory("c")[0]?.data).toEqual({ nested: { n: 1 }, list: [1] });
    await store.close();
  });

  it("read-only stores reject every mutation with OPSLOG_READ_ONLY", async () => {
    const { store, dir } = await filled();
    const reader = new Store<Any>();
    await reader.open(dir, { readOnly: true });
    expect(reader.get("a")).toEqual({ n: 1 });
    expect(() => reader.set("x", {})).toThrow(expect.objectContaining({ code: "OPSLOG_READ_ONLY" }));
    expect(() => reader.delete("a")).toThrow(expect.objectContaining({ code: "OPSLOG_READ_ONLY" }));
    await expect(reader.batch(() => undefined)).rejects.toMatchObject({ code: "OPSLOG_READ_ONLY" });
    await expect(reader.undo()).rejects.toMatchObject({ code: "OPSLOG_READ_ONLY" });
    await expect(reader.compact()).rejects.toMatchObject({ code: "OPSLOG_READ_ONLY" });
    await expect(reader.archive(() => true, "x")).rejects.toMatchObject({ code: "OPSLOG_READ_ONLY" });
    await reader.close();
    await store.set("c", { n: 3 });
    await store.close();
  });

  it("a throwing predicate leaves the store unchanged", async () => {
    const { store } = await filled();
    const before = snapshot(store);
    await expect(store.archive(() => {
      throw new Error("predicate broke");
    }, "x")).rejects.toThrow("predicate broke");
    expect(() => store.filter(() => {
      throw new Error("nope");
    })).toThrow("nope");
    expect(snapshot(store)).toEqual(before);
    expect(store.listArchiveSegments()).toEqual([]);
    await store.close();
  });
});
