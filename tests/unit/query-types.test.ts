import { describe, expectTypeOf, it } from "vitest";
import { MemoryStorage, Store, type Filter, type Path, type Sort } from "../../src/index.js";

interface Task {
  title: string;
  status: "open" | "done";
  owner: { id: number; team?: { name: string; lead: { id: number; deep: { deeper: { deepest: { x: number } } } } } };
  tags: string[];
  steps: { done: boolean }[];
  due?: number | null;
}

describe("query paths are typed from T", () => {
  it("spells out dotted paths, array traversal and indexes, with a depth cap", () => {
    expectTypeOf<"title">().toMatchTypeOf<Path<Task>>();
    expectTypeOf<"owner.id">().toMatchTypeOf<Path<Task>>();
    expectTypeOf<"owner.team.lead.id">().toMatchTypeOf<Path<Task>>();
    expectTypeOf<"steps.done">().toMatchTypeOf<Path<Task>>();
    expectTypeOf<"steps.0.done">().toMatchTypeOf<Path<Task>>();
    expectTypeOf<"tags.3">().toMatchTypeOf<Path<Task>>();
    // Past the cap any string below it is allowed (the path is checked at run time).
    expectTypeOf<"owner.team.lead.deep.deeper.deepest.x">().toMatchTypeOf<Path<Task>>();
    expectTypeOf<"owner.name">().not.toMatchTypeOf<Path<Task>>();
    expectTypeOf<"titel">().not.toMatchTypeOf<Path<Task>>();
    // An open record type takes any path.
    expectTypeOf<"anything.at.all">().toMatchTypeOf<Path<Record<string, unknown>>>();
  });

  it("types where and sort, and a Store<Task> is still a Store<unknown>", async () => {
    const store = new Store<Task>();
    await store.open(new MemoryStorage());
    const where: Filter<Task> = { status: "open", "owner.id": { $gt: 3 }, $or: [{ tags: "x" }, { due: null }] };
    const sort: Sort<Task> = { due: 1, "owner.id": -1 };
    const found = store.find({ where, sort, limit: 10 });
    expectTypeOf(found.items).toEqualTypeOf<Task[]>();
    expectTypeOf(found.next).toEqualTypeOf<string | undefined>();
    // @ts-expect-error: not a path of Task
    store.find({ where: { "owner.name": 1 } });
    // @ts-expect-error: not a path of Task
    store.find({ sort: { titel: 1 } });
    // @ts-expect-error: not a path of Task
    store.find({ sort: ["-titel"] });
    const general: Store<unknown> = store;
    expectTypeOf(general).toMatchTypeOf<Store<unknown>>();
    await store.close();
  });
});
