import { type } from "arktype";
import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  InvalidValueError,
  MemoryStorage,
  openStore,
  Store,
  type StandardSchemaV1,
  type Storage,
} from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * The `schema` option (docs/SCHEMA.md) with each of the three Standard Schema libraries: the
 * same task schema (title trimmed, non-empty; age a whole number ≥ 0; tags defaulting to []).
 */
interface Task {
  title: string;
  age: number;
  tags: string[];
}

const schemas = {
  zod: z.object({
    title: z.string().min(1).transform((s) => s.trim()),
    age: z.number().int().min(0),
    tags: z.array(z.string()).default([]),
  }),
  valibot: v.object({
    title: v.pipe(v.string(), v.minLength(1), v.transform((s) => s.trim())),
    age: v.pipe(v.number(), v.integer(), v.minValue(0)),
    tags: v.optional(v.array(v.string()), []),
  }),
  arktype: type({
    title: type("string > 0").pipe((s) => s.trim()),
    age: "number.integer >= 0",
    tags: type("string[]").default(() => []),
  }),
};

/** A schema of each library whose validation is asynchronous (arktype has none: hand-made). */
const asyncSchemas: Record<keyof typeof schemas, StandardSchemaV1> = {
  zod: z.object({ title: z.string() }).refine(async () => true),
  valibot: v.pipeAsync(v.object({ title: v.string() }), v.checkAsync(async () => true)),
  arktype: {
    "~standard": {
      version: 1,
      vendor: "hand-made",
      validate: (value) => Promise.resolve({ value: type({ title: "string" }).assert(value) }),
    },
  },
};

const bad = { title: "", age: -1.5, tags: ["x", 3] } as unknown as Task;

type Place = { name: string; storage: () => Storage | string };
const places: Place[] = [
  { name: "MemoryStorage", storage: () => new MemoryStorage() },
  { name: "files", storage: () => tempDir() },
];

async function rejection(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected it to fail");
}

function expectIssues(error: unknown): void {
  expect(error).toBeInstanceOf(InvalidValueError);
  const invalid = error as InvalidValueError;
  expect(invalid.code).toBe("OPSLOG_INVALID_VALUE");
  const paths = invalid.issues!.map((issue) => issue.path);
  expect(paths).toEqual(expect.arrayContaining(["value.title", "value.age", "value.tags[1]"]));
  for (const issue of invalid.issues!) expect(issue.message.length).toBeGreaterThan(0);
  expect(invalid.message).toContain("value.title: ");
  expect(invalid.message).toContain("value.tags[1]: ");
}

for (const [library, librarySchema] of Object.entries(schemas)) {
  // One type for the three (their union is too deep for TypeScript to infer through).
  const schema = librarySchema as StandardSchemaV1<unknown, Task>;
  for (const place of places) {
    describe(`schema (${library}, ${place.name})`, () => {
      it("stores the validator's output, read back equal after reopening", async () => {
        const target = place.storage();
        const store = await openStore(target, { schema });
        await store.set("a", { title: "  write the docs ", age: 3 } as Task);
        expect(store.get("a")).toEqual({ title: "write the docs", age: 3, tags: [] });
        const text = JSON.stringify(store.get("a"));
        await store.close();
        const again = await openStore(target, { schema });
        expect(JSON.stringify(again.get("a"))).toBe(text);
        await again.close();
      });

      it("refuses an invalid write with every issue and its path, changing nothing", async () => {
        const store = await openStore(place.storage(), { schema });
        await store.set("a", { title: "ok", age: 1, tags: [] });
        const seq = store.stats().seq;
        expectIssues(await rejection(() => store.set("a", bad)));
        expectIssues(await rejection(() => store.set("b", bad)));
        expect(store.get("a")).toEqual({ title: "ok", age: 1, tags: [] });
        expect(store.has("b")).toBe(false);
        expect(store.stats().seq).toBe(seq);
        await store.set("b", { title: "still usable", age: 2, tags: ["t"] });
        expect(store.count()).toBe(2);
        await store.close();
      });

      it("rolls a batch back whole when one of its writes is invalid", async () => {
        const store = await openStore(place.storage(), { schema });
        await store.set("a", { title: "first", age: 1, tags: [] });
        const seq = store.stats().seq;
        const error = await rejection(() =>
          store.batch(() => {
            void store.set("a", { title: "changed", age: 2, tags: [] });
            void store.set("b", { title: "new", age: 2, tags: [] });
            void store.set("c", bad);
          }),
        );
        expectIssues(error);
        expect(store.entries()).toEqual([["a", { title: "first", age: 1, tags: [] }]]);
        expect(store.stats().seq).toBe(seq);
        expect(store.getOps()).toHaveLength(1);
        await store.close();
      });

      it("checks update()'s result and stores its output", async () => {
        const store = await openStore(place.storage(), { schema });
        await store.set("a", { title: "t", age: 1, tags: ["x"] });
        expectIssues(await rejection(() => store.update("a", () => bad)));
        expect(store.get("a")).toEqual({ title: "t", age: 1, tags: ["x"] });
        // The current value is frozen: the validator gets a copy it may change.
        const written = await store.update("a", (now) => ({ ...now!, title: " u ", age: 2 }));
        expect(written).toEqual({ title: " u ", age: 2, tags: ["x"] });
        expect(store.get("a")).toEqual({ title: "u", age: 2, tags: ["x"] });
        await store.set("b", store.get("a")!); // a frozen record written back as it is
        expect(store.get("b")).toEqual(store.get("a"));
        await store.close();
      });

      it("refuses an undo or redo that would write back an invalid value", async () => {
        const target = place.storage();
        const loose = await openStore<Task>(target);
        await loose.set("a", bad); // no schema yet: stored
        await loose.set("a", { title: "good", age: 1, tags: [] });
        await loose.set("b", bad);
        await loose.undo(); // b deleted: a redo would write bad back
        await loose.close();

        const strict = await openStore(target, { schema });
        const seq = strict.stats().seq;
        expectIssues(await rejection(() => strict.redo()));
        expect(strict.has("b")).toBe(false);
        await strict.set("c", { title: "c", age: 0, tags: [] }); // clears the redo stack
        expect(await strict.undo()).toBe(true); // undoes c
        const afterUndo = strict.stats().seq;
        expect(afterUndo).toBe(seq + 2);
        expect(await strict.redo()).toBe(true); // re-applies c: valid
        expect(await strict.undo()).toBe(true);
        // Next unit: a = good → undo writes bad back: refused, stacks as they were.
        expectIssues(await rejection(() => strict.undo()));
        expectIssues(await rejection(() => strict.undo()));
        expect(strict.get("a")).toEqual({ title: "good", age: 1, tags: [] });
        const refusedAt = strict.stats().seq;
        await strict.close();

        const again = await openStore<Task>(target);
        expect(again.stats().seq).toBe(refusedAt);
        expect(await again.undo()).toBe(true); // the refused unit is still next
        expect(again.get("a")).toEqual(bad);
        await again.close();
      });

      it("refuses an asynchronous schema at the write, changing nothing", async () => {
        const asyncSchema = asyncSchemas[library as keyof typeof schemas];
        const store = await openStore(place.storage(), { schema: asyncSchema });
        const error = await rejection(() => store.set("a", { title: "x" }));
        expect(error).toMatchObject({
          code: "OPSLOG_INVALID_ARGUMENT",
          message:
            "asynchronous schemas are not supported: writes are checked synchronously at the call",
        });
        expect(store.has("a")).toBe(false);
        expect(store.stats().seq).toBe(0);
        await store.close();
      });
    });
  }
}

describe("schema option", () => {
  it("throws at the set() call itself (synchronously), as other invalid values do", async () => {
    const store = await openStore(new MemoryStorage(), { schema: schemas.zod });
    expect(() => store.set("a", bad)).toThrow(InvalidValueError);
    await store.close();
  });

  it("stores a transform's output only when it is storable (a Date is still refused)", async () => {
    const schema = z.object({ due: z.string().transform((s) => new Date(s)) });
    const store = await openStore(new MemoryStorage(), { schema });
    const write = () => store.set("a", { due: "2026-05-01" } as never);
    expect(write).toThrow(/value\.due: Date is not storable/);
    expect(store.count()).toBe(0);
    await store.close();
  });

  it("lets a schema take what is not JSON and store what is (Date in, string out)", async () => {
    const schema = z.object({ due: z.date().transform((d) => d.toISOString()) });
    const store = await openStore(new MemoryStorage(), { schema });
    // The store's T is the output; a caller writing the input type casts (docs/SCHEMA.md).
    await store.set("a", { due: new Date(0) } as unknown as { due: string });
    expect(store.get("a")).toEqual({ due: "1970-01-01T00:00:00.000Z" });
    await store.close();
  });

  it("does not check records already stored, and reads never validate", async () => {
    const storage = new MemoryStorage();
    const loose = await openStore(storage);
    await loose.set("a", { title: 5 });
    await loose.close();
    const strict = await openStore(storage, { schema: schemas.valibot });
    expect(strict.get("a")).toEqual({ title: 5 });
    expect(strict.filter(() => true)).toHaveLength(1);
    await strict.delete("a"); // deletes are not checked
    expect(strict.count()).toBe(0);
    await strict.close();
  });

  it("refuses an undo on a shared log that would write back an invalid value", async () => {
    const storage = new MemoryStorage({ shared: true });
    const loose = await openStore<Task>(storage);
    await loose.set("a", bad);
    await loose.close();
    // undo() on a shared log reverts this writer's own last unit: a = good, whose prev is bad.
    const strict = await openStore(storage, { schema: schemas.arktype });
    await strict.set("a", { title: "good", age: 1, tags: [] });
    const seq = strict.stats().seq;
    expectIssues(await rejection(() => strict.undo()));
    expect(strict.stats().seq).toBe(seq);
    expect(strict.get("a")).toEqual({ title: "good", age: 1, tags: [] });
    await strict.close();
  });

  it("takes only a Standard Schema v1 validator", async () => {
    const wrong: unknown[] = [
      {},
      null,
      "zod",
      { "~standard": { version: 2, vendor: "x", validate: () => ({ value: 1 }) } },
      { "~standard": { version: 1, vendor: "x" } },
    ];
    for (const schema of wrong) {
      const store = new Store();
      const error = await rejection(() => store.open(new MemoryStorage(), { schema } as never));
      const message = expect.stringContaining("Standard Schema v1") as unknown;
      expect(error).toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT", message });
    }
  });

  it("names at most five issues in the message; error.issues has them all", async () => {
    const schema = z.object(Object.fromEntries("abcdefg".split("").map((k) => [k, z.number()])));
    const store = await openStore(new MemoryStorage(), { schema });
    const error = (await rejection(() => store.set("x", {} as never))) as InvalidValueError;
    expect(error.issues).toHaveLength(7);
    expect(error.message).toContain("(7 issues)");
    expect(error.message).toContain("; and 2 more");
    await store.close();
  });

  it("infers the record type from the schema", async () => {
    const store = await openStore(new MemoryStorage(), { schema: schemas.zod });
    expectTypeOf(store).toEqualTypeOf<Store<Task>>();
    // Types only: never called.
    const _opened = (memory: MemoryStorage) => ({
      valibot: openStore(memory, { schema: schemas.valibot }),
      arktype: openStore(memory, { schema: schemas.arktype }),
      none: openStore(memory),
    });
    expectTypeOf<ReturnType<typeof _opened>["valibot"]>().toEqualTypeOf<Promise<Store<Task>>>();
    expectTypeOf<ReturnType<typeof _opened>["arktype"]>().toEqualTypeOf<Promise<Store<Task>>>();
    type Untyped = Promise<Store<Record<string, unknown>>>;
    expectTypeOf<ReturnType<typeof _opened>["none"]>().toEqualTypeOf<Untyped>();
    const typed = await openStore<Task>(new MemoryStorage());
    expectTypeOf(typed).toEqualTypeOf<Store<Task>>();
    await typed.close();
    expectTypeOf(store.get("a")).toEqualTypeOf<Task | undefined>();
    // @ts-expect-error: a number is not a title
    expect(() => store.set("a", { title: 1, age: 1, tags: [] })).toThrow(InvalidValueError);
    // A Store<T> given a schema checks that the schema produces T.
    const other = new Store<{ n: number }>();
    // @ts-expect-error: the schema's output is not { n: number }
    await other.open(new MemoryStorage(), { schema: schemas.zod });
    await other.close();
    await store.close();
  });
});
