import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";

/**
 * The engine's handling of failed and conflicting commits, tested on MemoryStorage's fault
 * injection, independently of files: a failure rejects with a stable code, leaves state,
 * history and undo stacks as they were, and the store stays usable.
 */
type Value = { v: number; s?: string };
type Fault = "none" | "commit" | "conflict" | "checkpoint";
type Write =
  | { kind: "set"; id: string; value: Value }
  | { kind: "delete"; id: string }
  | { kind: "batch"; ops: { id: string; value: Value | null }[] };
type Step =
  | (Write & { fault: Fault })
  | { kind: "burst"; writes: Write[]; fault: Fault }
  | { kind: "undo"; fault: Fault }
  | { kind: "redo"; fault: Fault }
  | { kind: "compact"; fault: Fault }
  | { kind: "reopen"; failOpen: boolean; checkpointOnClose: boolean };

const id = fc.constantFrom("a", "b", "c", "__proto__");
const value = fc.record(
  { v: fc.integer(), s: fc.string({ maxLength: 6 }) },
  { requiredKeys: ["v"] },
);
const fault = fc.constantFrom<Fault>("none", "none", "commit", "conflict", "checkpoint");
const write: fc.Arbitrary<Write> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("set" as const), id, value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), id }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      ops: fc.array(fc.record({ id, value: fc.option(value, { nil: null }) }), { maxLength: 4 }),
    }),
  },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(write, fault).map(([w, f]) => ({ ...w, fault: f }) as Step) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("burst" as const),
      writes: fc.array(write, { minLength: 2, maxLength: 5 }),
      fault,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("undo" as const), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("redo" as const), fault }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("compact" as const), fault }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reopen" as const),
      failOpen: fc.boolean(),
      checkpointOnClose: fc.boolean(),
    }),
  },
);

type State = Map<string, Value>;

/** The reference: a Map, plus undo/redo stacks of whole states. */
class Model {
  state: State = new Map();
  undo: State[] = [];
  redo: State[] = [];

  /** The state after `w`, or undefined when it changes nothing (writes nothing). */
  after(w: Write, from: State): State | undefined {
    const next = new Map(from);
    const ops = w.kind === "batch" ? w.ops : [{ id: w.id, value: "value" in w ? w.value : null }];
    let changed = false;
    for (const op of ops) {
      if (op.value) next.set(op.id, op.value);
      else if (!next.delete(op.id)) continue;
      changed = true;
    }
    return changed ? next : undefined;
  }

  change(next: State): void {
    this.undo.push(this.state);
    this.redo = [];
    this.state = next;
  }
}

/** Records as JSON text, by id: what must match the model to the byte. */
function stateText(state: Iterable<[string, Value]>): string {
  return JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The store's state, history and next undo/redo target as JSON text. */
function picture(store: Store<Value>): string {
  return JSON.stringify([stateText(store.entries()), store.getOps(), store.stats().seq]);
}

/** Issues `w` on `store` (inside a batch too); a delete of an absent id is left out. */
function issue(store: Store<Value>, w: Write, live: State): Promise<void> {
  if (w.kind === "set") return store.set(w.id, w.value);
  if (w.kind === "delete") return store.delete(w.id);
  return store.batch(() => {
    const seen = new Map(live);
    for (const op of w.ops) {
      if (op.value) {
        void store.set(op.id, op.value);
        seen.set(op.id, op.value);
      } else if (seen.delete(op.id)) {
        void store.delete(op.id);
      }
    }
  });
}

/** Arms `f` on the storage; returns the code a write that commits then rejects with. */
function arm(storage: MemoryStorage, f: Fault): string | undefined {
  if (f === "commit") storage.faults.failNextCommit();
  else if (f === "conflict") storage.faults.conflictNextCommit();
  else if (f === "checkpoint") storage.faults.failNextCheckpoint();
  return f === "commit" ? "OPSLOG_IO" : f === "conflict" ? "OPSLOG_CONFLICT" : undefined;
}

async function expectOutcome(promise: Promise<unknown>, code: string | undefined): Promise<void> {
  if (code === undefined) await promise;
  else await expect(promise).rejects.toMatchObject({ code });
}

class Run {
  model = new Model();
  store = new Store<Value>();

  constructor(readonly storage: MemoryStorage) {}

  async open(): Promise<void> {
    this.store = new Store<Value>();
    await this.store.open(this.storage, { checkpointOnClose: false });
  }

  async write(w: Write, f: Fault): Promise<void> {
    const next = this.model.after(w, this.model.state);
    if (w.kind === "delete" && !next) {
      const notFound = expect.objectContaining({ code: "OPSLOG_NOT_FOUND" });
      expect(() => this.store.delete(w.id)).toThrow(notFound);
      return;
    }
    const before = picture(this.store);
    const code = next ? arm(this.storage, f) : undefined;
    await expectOutcome(issue(this.store, w, this.model.state), code);
    if (code !== undefined) {
      expect(picture(this.store), "a failed write changes nothing").toBe(before);
    } else if (next) {
      this.model.change(next);
    }
  }

  /** Un-awaited writes queued together: all acknowledged, or all rejected and reverted. */
  async burst(writes: Write[], f: Fault): Promise<void> {
    const before = picture(this.store);
    const code = arm(this.storage, f);
    let live = this.model.state;
    const states: State[] = [];
    const calls: Promise<void>[] = [];
    for (const w of writes) {
      const next = this.model.after(w, live);
      // A delete of an absent id throws at the call; a batch changing nothing writes nothing.
      if (!next) continue;
      calls.push(issue(this.store, w, live));
      states.push(next);
      live = next;
    }
    const results = await Promise.allSettled(calls);
    if (code !== undefined && calls.length > 0) {
      for (const result of results) {
        expect(result.status).toBe("rejected");
        expect((result as PromiseRejectedResult).reason).toMatchObject({ code });
      }
      expect(picture(this.store), "a failed burst changes nothing").toBe(before);
      return;
    }
    for (const result of results) expect(result.status).toBe("fulfilled");
    for (const next of states) this.model.change(next);
  }

  async undoRedo(kind: "undo" | "redo", f: Fault): Promise<void> {
    const stack = kind === "undo" ? this.model.undo : this.model.redo;
    const before = picture(this.store);
    const code = stack.length > 0 ? arm(this.storage, f) : undefined;
    const call = kind === "undo" ? this.store.undo() : this.store.redo();
    if (code !== undefined) {
      await expectOutcome(call, code);
      expect(picture(this.store), `a failed ${kind} changes nothing`).toBe(before);
      return;
    }
    expect(await call).toBe(stack.length > 0);
    if (stack.length === 0) return;
    const target = stack.pop()!;
    (kind === "undo" ? this.model.redo : this.model.undo).push(this.model.state);
    this.model.state = target;
  }

  async compact(f: Fault): Promise<void> {
    const before = picture(this.store);
    arm(this.storage, f);
    // A failing checkpoint (or the commit marking it) rejects; either way nothing is lost.
    await this.store.compact().catch((error: unknown) => {
      expect(error).toMatchObject({ code: expect.stringMatching(/^OPSLOG_(IO|CONFLICT)$/) });
    });
    expect(picture(this.store), "compact() changes no state or history").toBe(before);
  }

  async reopen(failOpen: boolean, checkpointOnClose: boolean): Promise<void> {
    const before = picture(this.store);
    if (checkpointOnClose) await this.store.compact();
    await this.store.close();
    if (failOpen) {
      this.storage.faults.failOpen();
      const failing = new Store<Value>();
      await expect(failing.open(this.storage)).rejects.toMatchObject({ code: "OPSLOG_IO" });
    }
    await this.open();
    expect(picture(this.store), "reopen shows exactly the acknowledged writes").toBe(before);
  }

  async step(s: Step): Promise<void> {
    if (s.kind === "burst") await this.burst(s.writes, s.fault);
    else if (s.kind === "undo" || s.kind === "redo") await this.undoRedo(s.kind, s.fault);
    else if (s.kind === "reopen") await this.reopen(s.failOpen, s.checkpointOnClose);
    else if (s.kind === "compact") await this.compact(s.fault);
    else await this.write(s, s.fault);
    // A fault the step did not consume (it wrote nothing) is not left for the next one.
    this.storage.faults.clear();
    expect(stateText(this.store.entries())).toBe(stateText(this.model.state));
  }

  /** The history is gapless and replays to the state: failed writes left no trace in it. */
  checkHistory(): void {
    const ops = this.store.getOps();
    expect(ops.map((op) => op.seq)).toEqual(ops.map((_, i) => i + 1));
    const replay = new Map<string, Value>();
    for (const op of ops) {
      expect(JSON.stringify(op.prev ?? null)).toBe(JSON.stringify(replay.get(op.id) ?? null));
      if (op.op === "set") replay.set(op.id, op.data!);
      else replay.delete(op.id);
    }
    expect(stateText(replay)).toBe(stateText(this.model.state));
  }
}

const runs = Number(process.env["OPSLOG_PROPERTY_RUNS"] ?? 60);

for (const asyncCommit of [false, true]) {
  describe(`engine faults on MemoryStorage (asyncCommit: ${asyncCommit})`, () => {
    it("writes, undo, redo, compact, reopen under random faults match a model", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
          const run = new Run(new MemoryStorage({ asyncCommit }));
          await run.open();
          try {
            for (const s of steps) await run.step(s);
            run.checkHistory();
            await run.reopen(false, false);
            run.checkHistory();
          } finally {
            await run.store.close();
          }
        }),
        { numRuns: runs },
      );
    });

    it("a permanent failure fails every later write with OPSLOG_IO, across reopen", async () => {
      const storage = new MemoryStorage({ asyncCommit });
      const run = new Run(storage);
      await run.open();
      await run.store.set("a", { v: 1 });
      storage.faults.failCommitsFrom(2);
      await run.store.set("b", { v: 2 });
      const before = picture(run.store);
      await expect(run.store.set("c", { v: 3 })).rejects.toMatchObject({ code: "OPSLOG_IO" });
      await expect(run.store.delete("a")).rejects.toMatchObject({ code: "OPSLOG_IO" });
      await expect(run.store.undo()).rejects.toMatchObject({ code: "OPSLOG_IO" });
      await expect(run.store.compact()).rejects.toMatchObject({ code: "OPSLOG_IO" });
      expect(picture(run.store)).toBe(before);
      await run.store.close();
      await run.open(); // Opening and reading still work on a dead device.
      expect(picture(run.store)).toBe(before);
      await expect(run.store.set("c", { v: 3 })).rejects.toMatchObject({ code: "OPSLOG_IO" });
      storage.faults.clear();
      await run.store.set("c", { v: 3 });
      const expected: [string, Value][] = [["a", { v: 1 }], ["b", { v: 2 }], ["c", { v: 3 }]];
      expect(stateText(run.store.entries())).toBe(stateText(expected));
      await run.store.close();
    });

    it("a failing open holds nothing: a second open of the same storage works", async () => {
      const storage = new MemoryStorage({ asyncCommit });
      storage.faults.failOpen();
      const first = new Store<Value>();
      await expect(first.open(storage)).rejects.toMatchObject({ code: "OPSLOG_IO" });
      await first.open(storage); // The same Store may try again, and so may another.
      await first.set("a", { v: 1 });
      await first.close();
      const second = new Store<Value>();
      await second.open(storage);
      expect(stateText(second.entries())).toBe(stateText([["a", { v: 1 }]]));
      await second.close();
    });
  });
}
