import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

type Value = { v: number; s?: string };
type Step =
  | { kind: "set"; id: string; value: Value }
  | { kind: "delete"; id: string }
  | { kind: "batch"; ops: { id: string; value: Value | null }[]; fail: boolean }
  | { kind: "undo" }
  | { kind: "redo" }
  | { kind: "compact" }
  | { kind: "reopen" };

const id = fc.constantFrom("a", "b", "c", "d", "e", "__proto__");
const value = fc.record({ v: fc.integer(), s: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }) });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("set" as const), id, value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), id }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      ops: fc.array(fc.record({ id, value: fc.option(value, { nil: null }) }), { maxLength: 5 }),
      fail: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "undo" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "redo" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "compact" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reopen" as const }) },
);

/** The reference: a Map, plus undo/redo stacks of whole states (simple and obviously right). */
class Model {
  state = new Map<string, Value>();
  undo: Map<string, Value>[] = [];
  redo: Map<string, Value>[] = [];

  change(next: Map<string, Value>): void {
    this.undo.push(this.state);
    this.redo = [];
    this.state = next;
  }
}

function clean(value: Value): Value {
  return value.s === undefined ? { v: value.v } : value;
}

async function run(steps: Step[]): Promise<void> {
  const dir = tempDir();
  const model = new Model();
  let store = new Store<Value>();
  await store.open(dir, { checkpointOnClose: false });
  const states = new Map<number, Map<string, Value>>([[0, new Map()]]);
  let lastSeq = 0;
  let before = model.state;
  for (const s of steps) {
    if (s.kind === "set") {
      await store.set(s.id, s.value);
      model.change(new Map(model.state).set(s.id, clean(s.value)));
    } else if (s.kind === "delete") {
      if (!model.state.has(s.id)) {
        expect(() => store.delete(s.id)).toThrow(expect.objectContaining({ code: "OPSLOG_NOT_FOUND" }));
        continue;
      }
      await store.delete(s.id);
      const next = new Map(model.state);
      next.delete(s.id);
      model.change(next);
    } else if (s.kind === "batch") {
      const next = new Map(model.state);
      let valid = true;
      const attempt = store.batch(() => {
        for (const op of s.ops) {
          if (op.value) {
            void store.set(op.id, op.value);
            next.set(op.id, clean(op.value));
          } else if (next.has(op.id)) {
            void store.delete(op.id);
            next.delete(op.id);
          }
        }
        if (s.fail) throw new Error("planned failure");
      });
      if (s.fail) {
        valid = false;
        await expect(attempt).rejects.toThrow("planned failure");
      } else {
        await attempt;
      }
      const changed = s.ops.some((op) => op.value || model.state.has(op.id));
      if (valid && changed && s.ops.length > 0) model.change(next);
      if (valid && !changed) {
        // A batch that did nothing writes nothing and is not an undo unit.
      }
    } else if (s.kind === "undo") {
      const expected = model.undo.length > 0;
      expect(await store.undo()).toBe(expected);
      if (expected) {
        model.redo.push(model.state);
        model.state = model.undo.pop()!;
      }
    } else if (s.kind === "redo") {
      const expected = model.redo.length > 0;
      expect(await store.redo()).toBe(expected);
      if (expected) {
        model.undo.push(model.state);
        model.state = model.redo.pop()!;
      }
    } else if (s.kind === "compact") {
      await store.compact(); // Undo and redo reach across checkpoints: the model is unchanged.
    } else {
      await store.close();
      store = new Store<Value>();
      await store.open(dir, { checkpointOnClose: false });
    }
    expect(new Map(store.entries())).toEqual(model.state);
    expect(store.ids()).toEqual(store.entries().map(([id]) => id));
    const seq = store.stats().seq;
    for (let k = lastSeq + 1; k < seq; k++) states.set(k, before); // Inside a batch: before it.
    states.set(seq, model.state);
    lastSeq = seq;
    before = model.state;
  }
  await checkHistory(store, states, model.state);
  await store.close();
  const final = new Store<Value>();
  await final.open(dir);
  expect(new Map(final.entries())).toEqual(model.state);
  await final.close();
}

/**
 * The history is a consistent audit trail: replaying getOps() from empty gives the state, every
 * prev is the value before its operation, and at(seq) shows the model's state after seq.
 */
async function checkHistory(
  store: Store<Value>,
  states: Map<number, Map<string, Value>>,
  current: Map<string, Value>,
): Promise<void> {
  const replay = new Map<string, Value>();
  const ops = store.getOps();
  expect(ops.map((op) => op.seq)).toEqual(ops.map((_, i) => i + 1));
  for (const op of ops) {
    expect(op.prev ?? null).toEqual(replay.get(op.id) ?? null);
    if (op.op === "set") replay.set(op.id, op.data!);
    else replay.delete(op.id);
  }
  expect(replay).toEqual(current);
  for (const [seq, state] of states) {
    if (seq % 3 !== 0 && seq !== states.size - 1) continue; // A sample keeps the run fast.
    const view = await store.at(seq);
    expect(new Map(view.entries()), `at(${seq})`).toEqual(state);
    expect(view.ids()).toEqual(view.entries().map(([id]) => id));
  }
  for (const id of new Set(ops.map((op) => op.id))) {
    expect(store.getHistory(id)).toEqual(ops.filter((op) => op.id === id));
  }
}

describe("model-based: the store behaves like a Map with undo/redo", () => {
  it("after every step of random sequences, across compacts and reopens", async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { maxLength: 40 }), run), {
      numRuns: Number(process.env["OPSLOG_PROPERTY_RUNS"] ?? 60),
    });
  });
});
