import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { check, declared, doc, ids as sharedIds, query, type Doc } from "../helpers/index-check.js";
import { Model, type Change } from "../helpers/model.js";

/**
 * Declared indexes against a scan, model-based: random sets, deletes, batches (some rolled
 * back by a throw), writes whose commit fails (reverted), undo, redo, compact and reopen, with
 * odd ids and documents whose indexed fields are missing, null, of mixed types or arrays.
 * After every step: every index equals one rebuilt from the records; find() (every page,
 * through `next`), count(filter) and iterate() give the JSON text a scan without indexes
 * gives; a unique index refused exactly the writes the model says duplicate a value.
 */
// Constructor too: an id that is a prototype member's name.
const ids = [...sharedIds, "constructor"];

const change = fc.record({ id: fc.constantFrom(...ids), value: fc.option(doc, { nil: undefined }) });
const step = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("set" as const), id: fc.constantFrom(...ids), value: doc }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), id: fc.constantFrom(...ids) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("batch" as const), changes: fc.array(change, { minLength: 1, maxLength: 4 }), fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("failingSet" as const), id: fc.constantFrom(...ids), value: doc }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("undo" as const, "redo" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom("compact" as const, "reopen" as const) }) },
);
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

const byId = (a: [string, unknown], b: [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Two records share a non-null email: what the unique index must never hold. */
function duplicates(records: ReadonlyMap<string, unknown>): boolean {
  const seen = new Set<unknown>();
  for (const value of records.values()) {
    const email = (value as Doc).email;
    if (email === undefined || email === null) continue;
    if (seen.has(email)) return true;
    seen.add(email);
  }
  return false;
}

async function perform(store: Store<Doc>, storage: MemoryStorage, s: Step, model: Model): Promise<void> {
  const expectUnique = (fn: () => unknown): void => {
    expect(fn).toThrow(expect.objectContaining({ code: "OPSLOG_UNIQUE" }) as Error);
  };
  if (s.kind === "set" || s.kind === "failingSet") {
    const next = model.clone();
    next.apply({ kind: "set", id: s.id, value: s.value });
    if (duplicates(next.active)) return expectUnique(() => void store.set(s.id, s.value));
    if (s.kind === "failingSet") {
      storage.faults.failNextCommit();
      await expect(store.set(s.id, s.value)).rejects.toMatchObject({ code: "OPSLOG_IO" });
      return;
    }
    await store.set(s.id, s.value);
    model.apply({ kind: "set", id: s.id, value: s.value });
  } else if (s.kind === "delete") {
    if (!model.active.has(s.id)) return;
    await store.delete(s.id);
    model.apply({ kind: "delete", id: s.id });
  } else if (s.kind === "batch") {
    await performBatch(store, s.changes, s.fail, model);
  } else if (s.kind === "undo" || s.kind === "redo") {
    const next = model.clone();
    const did = next.apply({ kind: s.kind });
    if (did && duplicates(next.active)) {
      await expect(store[s.kind]()).rejects.toMatchObject({ code: "OPSLOG_UNIQUE" });
      return;
    }
    expect(await store[s.kind]()).toBe(did);
    model.apply({ kind: s.kind });
  } else if (s.kind === "compact") {
    await store.compact();
  }
}

async function performBatch(store: Store<Doc>, changes: Change[], fail: boolean, model: Model): Promise<void> {
  const next = model.clone();
  const applied: Change[] = [];
  let unique = false;
  for (const c of changes) {
    if (c.value === undefined && !next.active.has(c.id)) continue;
    const trial = next.clone();
    trial.apply(c.value === undefined ? { kind: "delete", id: c.id } : { kind: "set", id: c.id, value: c.value });
    if (duplicates(trial.active)) {
      unique = true;
      break;
    }
    next.apply(c.value === undefined ? { kind: "delete", id: c.id } : { kind: "set", id: c.id, value: c.value });
    applied.push(c);
  }
  const promise = store.batch(() => {
    const live = new Set(model.active.keys());
    for (const c of changes) {
      if (c.value === undefined) {
        if (!live.has(c.id)) continue;
        void store.delete(c.id);
        live.delete(c.id);
      } else {
        void store.set(c.id, c.value as Doc);
        live.add(c.id);
      }
    }
    if (fail) throw new Error("the callback fails: the batch rolls back");
  });
  if (unique) return void (await expect(promise).rejects.toMatchObject({ code: "OPSLOG_UNIQUE" }));
  if (fail) return void (await expect(promise).rejects.toThrow("rolls back"));
  await promise;
  if (applied.length > 0) model.apply({ kind: "batch", changes: applied });
}

describe("declared indexes agree with a scan through every kind of change (property)", () => {
  it("indexes, find pages, count and iterate match a scan of the records", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), fc.array(query, { minLength: 3, maxLength: 6 }), async (steps, queries) => {
        const storage = new MemoryStorage();
        let store = new Store<Doc>();
        await store.open(storage, { indexes: declared, checkpointThreshold: 7 });
        const model = new Model();
        try {
          for (const s of steps) {
            if (s.kind === "reopen") {
              await store.close();
              store = new Store<Doc>();
              await store.open(storage, { indexes: declared, checkpointThreshold: 7 });
            } else {
              await perform(store, storage, s, model);
            }
            expect(JSON.stringify(store.entries().sort(byId))).toBe(JSON.stringify([...model.active].sort(byId)));
            check(store, declared, queries);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: Number(process.env.OPSLOG_INDEX_RUNS ?? 150) },
    );
  }, 120_000);
});
