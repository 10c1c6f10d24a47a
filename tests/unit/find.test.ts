import { afterEach, describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

interface Task {
  title: string;
  status?: string | null;
  priority?: number;
  owner?: { id: number };
  due?: number;
  email?: string | null;
  tags?: string[];
}

const indexes = {
  status: {},
  priority: {},
  "owner.id": {},
  byStatusDue: { on: ["status", "due"] },
  email: { unique: true },
};

let stores: Store<Task>[] = [];
afterEach(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  stores = [];
});

async function open(storage = new MemoryStorage(), options: Record<string, unknown> = { indexes }): Promise<Store<Task>> {
  const store = new Store<Task>();
  await store.open(storage, options);
  stores.push(store);
  return store;
}

async function fill(store: Store<Task>, n: number): Promise<void> {
  await store.batch(() => {
    for (let i = 0; i < n; i++) {
      const id = `t${String(i).padStart(3, "0")}`;
      void store.set(id, {
        title: `task ${i}`,
        status: ["open", "done", "wip"][i % 3]!,
        priority: i % 11,
        owner: { id: i % 5 },
        due: (i * 7) % 50,
      });
    }
  });
}

describe("find()", () => {
  it("serves equality + sort + limit from a compound index, in order, with a cursor", async () => {
    const store = await open();
    await fill(store, 90);
    const query = { where: { status: "open" }, sort: { due: 1 as const }, limit: 5 };
    const plan = store.explain(query);
    expect(plan.index).toBe("byStatusDue");
    expect(plan.order).toBe("index");
    expect(plan.examined).toBeLessThanOrEqual(6);
    const first = store.find(query);
    expect(first.items.map((t) => t.due)).toEqual([...first.items.map((t) => t.due)].sort((a, b) => a! - b!));
    expect(first.items.every((t) => t.status === "open")).toBe(true);
    expect(first.next).toBeTypeOf("string");
    const all = store.filter((t) => t.status === "open").sort((a, b) => a.due! - b.due! || (a.title < b.title ? -1 : 1));
    const walked: Task[] = [];
    let after: string | undefined;
    do {
      const page = store.find({ ...query, after });
      walked.push(...page.items);
      after = page.next;
    } while (after);
    expect(walked.length).toBe(all.length);
  });

  it("counts from the index alone when the filter is all index ranges", async () => {
    const store = await open();
    await fill(store, 200);
    expect(store.count({ status: "open", due: { $gte: 10, $lt: 30 } })).toBe(store.count((t) => t.status === "open" && t.due! >= 10 && t.due! < 30));
    const plan = store.explain({ where: { status: "open", due: { $gte: 10, $lt: 30 } } }, "count");
    expect(plan.countedFromIndex).toBe(true);
    expect(plan.examined).toBe(0);
    expect(store.explain({ where: { status: "open", title: "task 3" } }, "count").countedFromIndex).toBe(false);
  });

  it("keyset cursors stay correct while records change between pages", async () => {
    const store = await open();
    await fill(store, 30);
    const query = { where: { priority: { $gte: 0 } }, sort: { priority: -1 as const }, limit: 4 };
    const page1 = store.find(query);
    const lastId = page1.ids[page1.ids.length - 1]!;
    // Changes before the cursor, of the cursor's own record, and after it.
    await store.delete(lastId);
    await store.set("t000", { title: "moved", priority: 99 }); // Now before the cursor: not seen again.
    await store.set("new", { title: "late", priority: 0 }); // After it: seen.
    const rest: string[] = [];
    let after = page1.next;
    while (after) {
      const page = store.find({ ...query, after });
      rest.push(...page.ids);
      after = page.next;
    }
    expect(rest).not.toContain("t000");
    expect(rest).toContain("new");
    expect(new Set([...page1.ids, ...rest]).size).toBe(page1.ids.length + rest.length);
  });

  it("without sort, orders by id; sort takes arrays; the id breaks ties in the last key's direction", async () => {
    const store = await open();
    for (const id of ["b", "a", "c"]) await store.set(id, { title: id, priority: 1 });
    expect(store.find().ids).toEqual(["a", "b", "c"]);
    expect(store.find({ sort: ["-priority"] }).ids).toEqual(["c", "b", "a"]);
    expect(store.find({ sort: { priority: 1 } }).ids).toEqual(["a", "b", "c"]);
  });

  it("refuses bad queries with OPSLOG_INVALID_ARGUMENT and stays usable", async () => {
    const store = await open();
    await fill(store, 10);
    const bad: unknown[] = [
      { where: { $where: "1" } },
      { where: { status: { $foo: 1 } } },
      { sort: { due: 2 } },
      { sort: "due" },
      { limit: 0 },
      { limit: 1.5 },
      { after: "garbage" },
      { after: store.find({ sort: { due: 1 }, limit: 1 }).next },
      { unknown: 1 },
    ];
    for (const query of bad) expect(() => store.find(query as never), JSON.stringify(query)).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }) as Error);
    expect(store.find({ where: { status: "open" } }).items.length).toBeGreaterThan(0);
  });

  it("iterate() walks every match in order, a page at a time", async () => {
    const store = await open();
    await fill(store, 600);
    const ids = [...store.iterate({ where: { status: "done" }, sort: { due: -1 } })].map(([id]) => id);
    expect(ids).toEqual(store.find({ where: { status: "done" }, sort: { due: -1 } }).ids);
    expect(ids.length).toBe(200);
  });

  it("views from at() find by scanning", async () => {
    const store = await open();
    await fill(store, 30);
    const seq = store.stats().seq;
    await store.delete("t000");
    const view = await store.at(seq);
    expect(view.find({ where: { status: "open" } }).ids).toContain("t000");
    expect(view.count({ status: "open" })).toBe(10);
    expect(store.count({ status: "open" })).toBe(9);
  });
});

describe("unique indexes", () => {
  it("refuse a duplicate at the call, naming the index, the value and the holder", async () => {
    const store = await open();
    await store.set("a", { title: "a", email: "x@y" });
    let error: unknown;
    try {
      void store.set("b", { title: "b", email: "x@y" });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "OPSLOG_UNIQUE", index: "email", value: "x@y", id: "a", duplicate: "b" });
    expect(store.has("b")).toBe(false);
    await store.set("a", { title: "a again", email: "x@y" }); // Its own value: fine.
    await store.set("b", { title: "b", email: null }); // Null and missing are not constrained.
    await store.set("c", { title: "c" });
  });

  it("roll back a batch with a duplicate whole", async () => {
    const store = await open();
    await store.set("a", { title: "a", email: "x@y" });
    await expect(
      store.batch(() => {
        void store.set("c", { title: "c", email: "c@y" });
        void store.set("b", { title: "b", email: "x@y" });
      }),
    ).rejects.toMatchObject({ code: "OPSLOG_UNIQUE" });
    expect(store.has("c")).toBe(false);
    expect(store.find({ where: { email: "c@y" } }).ids).toEqual([]);
  });

  it("refuse an undo that would bring back a value another record took", async () => {
    const store = await open();
    await store.set("a", { title: "a", email: "x@y" });
    await store.delete("a");
    await store.set("b", { title: "b", email: "x@y" });
    await store.undo(); // Undoes b's set.
    await store.set("c", { title: "c", email: "x@y" });
    await expect(store.undo()).rejects.toMatchObject({ code: "OPSLOG_UNIQUE", index: "email" });
    expect(store.get("c")?.email).toBe("x@y");
    expect(store.has("a")).toBe(false);
  });

  it("an open of data that already breaks a unique index fails clearly", async () => {
    const storage = new MemoryStorage();
    const plain = await open(storage, {});
    await plain.set("a", { title: "a", email: "x@y" });
    await plain.set("b", { title: "b", email: "x@y" });
    await plain.close();
    await expect(new Store<Task>().open(storage, { indexes })).rejects.toMatchObject({
      code: "OPSLOG_UNIQUE",
      message: expect.stringContaining("email") as string,
    });
    const again = await open(storage, {}); // The failed open released everything.
    expect(again.count()).toBe(2);
  });
});

describe("indexes at open", () => {
  it("are rebuilt from files at reopen (lazy records), and bad declarations are refused", async () => {
    const dir = tempDir("find");
    const store = new Store<Task>();
    await store.open(dir, { indexes });
    await fill(store, 50);
    await store.close();
    const reopened = new Store<Task>();
    await reopened.open(dir, { indexes });
    stores.push(reopened);
    expect(reopened.explain({ where: { status: "wip" } }).index).toBe("status");
    expect(reopened.count({ status: "wip" })).toBe(reopened.count((t) => t.status === "wip"));
    for (const bad of [{ x: { on: [] } }, { x: { on: "$a" } }, { x: { unique: 1 } }, { x: { other: 1 } }, [], { x: { on: ["a", "a"] } }]) {
      await expect(new Store().open(new MemoryStorage(), { indexes: bad as never })).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
    }
  });
});
