import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import type { Engine } from "../../src/engine/engine.js";
import { recordAt } from "../../src/model/raw-record.js";
import { SimFileSystem } from "../helpers/sim-fs.js";

type Value = { n: number };

/** The engine behind a store: this test watches its record table from the inside. */
const engineOf = (store: Store<Value>): Engine => (store as unknown as { engine: Engine }).engine;
const valueText = (records: ReadonlyMap<string, unknown>, id: string): string =>
  JSON.stringify(recordAt(records, id) ?? null);

/**
 * The record table reports every change of the state as (id, before, after), rollbacks
 * included: a mirror kept only from those reports must equal the state after every step, and
 * each report's `before` must be what the mirror held. Random un-awaited sets, deletes, batches
 * (some throwing), undo and redo, with an I/O failure injected on a random write (its
 * operations are reverted through the table), checked after everything settled.
 */
describe("the record table reports every change (property)", () => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant("set" as const), id: fc.constantFrom("a", "b", "__proto__"), n: fc.nat(9) }),
    fc.record({ kind: fc.constant("delete" as const), id: fc.constantFrom("a", "b", "__proto__") }),
    fc.record({ kind: fc.constant("batch" as const), n: fc.nat(9), fail: fc.boolean() }),
    fc.record({ kind: fc.constantFrom("undo" as const, "redo" as const, "settle" as const) }),
  );
  it("a mirror built from the reports equals the state", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 60 }), async (steps, failAt) => {
        const fs = new SimFileSystem({ seed: failAt });
        const store = new Store<Value>();
        await store.open(`/data/table-${++run}`, { fileSystem: fs, checkpointThreshold: 5 });
        const table = engineOf(store).table;
        const mirror = new Map<string, string>();
        const problems: string[] = [];
        table.listen((id, before, after) => {
          const had = mirror.get(id) ?? "null";
          const said = before === undefined ? "null" : JSON.stringify(recordAt(new Map([[id, before]]), id));
          if (had !== said) problems.push(`${id}: before ${said}, mirror ${had}`);
          if (after === undefined) mirror.delete(id);
          else mirror.set(id, JSON.stringify(recordAt(new Map([[id, after]]), id)));
        });
        fs.failAt({ at: failAt, code: "EIO", calls: ["write", "fdatasync"] });
        const pending: Promise<unknown>[] = [];
        const quiet = (p: Promise<unknown>) => pending.push(p.catch(() => undefined));
        for (const s of steps) {
          try {
            if (s.kind === "set") quiet(store.set(s.id, { n: s.n }));
            else if (s.kind === "delete" && store.has(s.id)) quiet(store.delete(s.id));
            else if (s.kind === "batch") {
              quiet(
                store.batch(() => {
                  void store.set("a", { n: s.n });
                  if (store.has("b")) void store.delete("b");
                  if (s.fail) throw new Error("abandon the batch");
                }),
              );
            } else if (s.kind === "undo") quiet(store.undo());
            else if (s.kind === "redo") quiet(store.redo());
            else if (s.kind === "settle") await Promise.all(pending);
          } catch {
            // Refused at the call: nothing changed.
          }
        }
        await Promise.all(pending);
        const records = table.records;
        const state = new Map([...records.keys()].map((id) => [id, valueText(records, id)]));
        expect(problems).toEqual([]);
        expect([...mirror].sort()).toEqual([...state].sort());
        fs.clearFaults();
        await store.close().catch(() => undefined);
      }),
      { numRuns: 80 },
    );
  });
});
