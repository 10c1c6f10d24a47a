import fc from "fast-check";
import { expect } from "vitest";
import { Store, type Operation, type Storage } from "../../src/index.js";
import { jsonRecord, type JsonObject } from "./json-arbitrary.js";

/**
 * Many writers on one shared log (storage/shared-port.ts), driven by generated steps with
 * un-awaited calls on overlapping ids, then checked against the global log: every store's
 * state equals the state rebuilt from the log and a fresh store's state, as JSON text; every
 * acknowledged write is in the log once; no refused one is; prev is the true prev; seqs are
 * gapless and ts strictly increases; undo reverts only what nobody changed since.
 */
export type Step =
  | { kind: "set"; writer: number; id: string; value: JsonObject; wait: boolean; mode: "plain" | "overwrite" | "expected" }
  | { kind: "delete"; writer: number; id: string; wait: boolean }
  | { kind: "batch"; writer: number; ops: { id: string; value: JsonObject | null }[]; wait: boolean }
  | { kind: "update"; writer: number; id: string; wait: boolean }
  | { kind: "undo" | "redo"; writer: number }
  | { kind: "pause" }
  | { kind: "compact"; writer: number }
  | { kind: "reopen"; writer: number };

export const sharedIds = ["a", "b", "c", "__proto__"] as const;

export function sharedSteps(writers: number, maxLength: number): fc.Arbitrary<Step[]> {
  const writer = fc.integer({ min: 0, max: writers - 1 });
  const id = fc.constantFrom(...sharedIds);
  const wait = fc.boolean();
  const step: fc.Arbitrary<Step> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant("set" as const),
        writer,
        id,
        value: jsonRecord,
        wait,
        mode: fc.constantFrom("plain" as const, "plain" as const, "overwrite" as const, "expected" as const),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete" as const), writer, id, wait }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant("batch" as const),
        writer,
        ops: fc.array(fc.record({ id, value: fc.option(jsonRecord, { nil: null }) }), { minLength: 1, maxLength: 3 }),
        wait,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("update" as const), writer, id, wait }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("undo" as const, "redo" as const), writer }) },
    { weight: 1, arbitrary: fc.constant({ kind: "pause" as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("compact" as const), writer }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("reopen" as const), writer }) },
  );
  return fc.array(step, { minLength: 1, maxLength });
}

/** What one run of steps needs: a storage per writer on the same shared data. */
export interface SharedTarget {
  /** A new handle on the shared data (one per Store). */
  handle(): Storage;
  /** Waits a moment between steps (let other writers' commits arrive). */
  pause(): Promise<void>;
}

interface Tracked {
  tag: string;
  /** An update(): its retry after a conflict may find its store closed by a reopen step. */
  update: boolean;
  promise: Promise<unknown>;
  /** JSON text of each record's value as the writer saw it when it first touched it here. */
  seen: Map<string, string>;
  overwrite: boolean;
  /** An explicit expectedVersion: it speaks of the confirmed version, not of what was seen. */
  explicit: boolean;
}

export async function runSharedSteps(target: SharedTarget, writers: number, steps: readonly Step[]): Promise<void> {
  const stores: Store<JsonObject>[] = [];
  for (let i = 0; i < writers; i++) stores.push(await openStore(target));
  const tracked: Tracked[] = [];
  const undone: Promise<unknown>[] = [];
  let next = 0;
  for (const step of steps) {
    if (step.kind === "pause") {
      await target.pause();
      continue;
    }
    const store = stores[step.writer]!;
    if (step.kind === "compact") {
      await store.compact();
      continue;
    }
    if (step.kind === "reopen") {
      // close() with this writer's writes still pending: it waits for them (they settle).
      await store.close();
      stores[step.writer] = await openStore(target);
      continue;
    }
    if (step.kind === "undo" || step.kind === "redo") {
      undone.push(store[step.kind]().catch(expectConflict));
      await undone[undone.length - 1];
      continue;
    }
    const tag = `w${next++}`;
    const meta = { tag };
    const seen = new Map<string, string>();
    const promise = issue(store, step, meta, seen);
    promise.catch(() => undefined); // Looked at once all have settled.
    const mode = step.kind === "set" ? step.mode : "plain";
    tracked.push({ tag, update: step.kind === "update", promise, seen, overwrite: mode === "overwrite", explicit: mode === "expected" });
    if ("wait" in step && step.wait) await promise.catch(() => undefined);
  }
  const outcomes = await Promise.allSettled(tracked.map((t) => t.promise));
  for (const store of stores) await store.flush();
  await converge(stores);
  await checkAgainstLog(target, stores, tracked, outcomes);
  for (const store of stores) await store.close();
}

function issue(store: Store<JsonObject>, step: Step, meta: { tag: string }, seen: Map<string, string>): Promise<unknown> {
  const look = (id: string): void => {
    if (!seen.has(id)) seen.set(id, JSON.stringify(store.get(id) ?? null));
  };
  try {
    if (step.kind === "set" || step.kind === "delete") look(step.id);
    switch (step.kind) {
      case "set":
        if (step.mode === "overwrite") return store.set(step.id, step.value, { meta, overwrite: true });
        if (step.mode === "expected") return store.set(step.id, step.value, { meta, expectedVersion: store.version(step.id) });
        return store.set(step.id, step.value, { meta });
      case "delete":
        if (!store.has(step.id)) return Promise.resolve("skipped");
        return store.delete(step.id, { meta });
      case "update":
        return store.update(step.id, (current) => {
          seen.set(step.id, JSON.stringify(current ?? null)); // The last call's input counts.
          return { n: Number((current as { n?: number } | undefined)?.n ?? 0) + 1 };
        }, { meta });
      case "batch":
        // Deletes of absent records only: the batch is empty and writes nothing.
        if (step.ops.every((op) => op.value === null && !store.has(op.id))) return Promise.resolve("skipped");
        return store.batch(() => {
          for (const op of step.ops) {
            look(op.id);
            if (op.value !== null) store.set(op.id, op.value);
            else if (store.has(op.id)) store.delete(op.id);
          }
        }, { meta });
      default:
        throw new Error("not a write");
    }
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

function expectConflict(error: unknown): void {
  expect((error as { code?: string }).code).toBe("OPSLOG_CONFLICT");
}

async function openStore(target: SharedTarget): Promise<Store<JsonObject>> {
  const store = new Store<JsonObject>();
  await store.open(target.handle());
  return store;
}

/** Waits until every store has applied the same last seq. */
async function converge(stores: readonly Store<JsonObject>[]): Promise<void> {
  for (let round = 0; round < 500; round++) {
    const seqs = stores.map((s) => s.stats().seq);
    if (seqs.every((seq) => seq === seqs[0])) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`stores did not converge: ${stores.map((s) => s.stats().seq).join(", ")}`);
}

async function checkAgainstLog(
  target: SharedTarget,
  stores: readonly Store<JsonObject>[],
  tracked: readonly Tracked[],
  outcomes: readonly PromiseSettledResult<unknown>[],
): Promise<void> {
  const fresh = await openStore(target);
  const log = fresh.getOps() as Operation<JsonObject>[];
  const rebuilt = new Map<string, unknown>();
  let lastTs = "";
  log.forEach((op, i) => {
    expect(op.seq).toBe(i + 1);
    expect(op.ts > lastTs).toBe(true);
    lastTs = op.ts;
    expect(JSON.stringify(op.prev)).toBe(JSON.stringify(rebuilt.get(op.id) ?? null));
    if (op.op === "set") rebuilt.set(op.id, op.data);
    else rebuilt.delete(op.id);
  });
  const text = JSON.stringify([...rebuilt]);
  expect(JSON.stringify(fresh.entries())).toBe(text);
  for (const store of stores) expect(JSON.stringify(store.entries())).toBe(text);
  const logged = new Map<string, number>();
  for (const op of log) {
    const tag = (op.meta as { tag?: string } | undefined)?.tag;
    if (tag !== undefined && (op.batch === undefined || op.batch === op.seq)) logged.set(tag, (logged.get(tag) ?? 0) + 1);
  }
  tracked.forEach(({ tag, update }, i) => {
    const outcome = outcomes[i]!;
    if (outcome.status === "fulfilled") {
      if (outcome.value === "skipped") return;
      // An update that changed nothing (delete of an absent record) writes nothing.
      expect(logged.get(tag) ?? 0, `acknowledged ${tag} is in the log once`).toBeLessThanOrEqual(1);
      if (outcome.value !== undefined || logged.has(tag)) return;
      expect(logged.get(tag), `acknowledged ${tag} is in the log`).toBe(1);
    } else {
      const code = (outcome.reason as { code?: string }).code;
      // An update() retries after a conflict; when a reopen closed its store meanwhile, the
      // retry is refused with OPSLOG_CLOSED (nothing outlives close()), having written nothing.
      const refusals = update ? ["OPSLOG_CONFLICT", "OPSLOG_NOT_FOUND", "OPSLOG_CLOSED"] : ["OPSLOG_CONFLICT", "OPSLOG_NOT_FOUND"];
      expect(refusals, String(outcome.reason)).toContain(code);
      expect(logged.get(tag), `refused ${tag} is not in the log`).toBeUndefined();
    }
  });
  checkBases(log, tracked, outcomes);
  checkUndos(log);
  await fresh.close();
}

/**
 * A stored write replaced what its writer saw (no lost update), unless it asked for
 * last-writer-wins, and then it was told what it overwrote.
 */
function checkBases(
  log: readonly Operation[],
  tracked: readonly Tracked[],
  outcomes: readonly PromiseSettledResult<unknown>[],
): void {
  const byTag = new Map<string, Operation[]>();
  for (const op of log) {
    const tag = (op.meta as { tag?: string } | undefined)?.tag;
    if (tag !== undefined) byTag.set(tag, [...(byTag.get(tag) ?? []), op]);
  }
  tracked.forEach((write, i) => {
    const ops = byTag.get(write.tag);
    if (!ops || write.explicit) return;
    const first = new Map<string, Operation>();
    for (const op of ops) if (!first.has(op.id)) first.set(op.id, op);
    const overwritten = new Set<string>();
    const outcome = outcomes[i]!;
    if (write.overwrite && outcome.status === "fulfilled") {
      for (const o of outcome.value as { id: string }[]) overwritten.add(o.id);
    }
    for (const [id, op] of first) {
      const saw = write.seen.get(id);
      if (saw === undefined) continue;
      const replaced = JSON.stringify(op.prev);
      // A value set again to the same text still counts as overwritten: the check is by version.
      if (write.overwrite && overwritten.has(id)) continue;
      expect(replaced, `${write.tag} at ${op.seq} replaced what its writer saw`).toBe(saw);
    }
  });
}

/** The first compensation of each record in an undo unit follows the operation it reverts. */
export function checkUndos(log: readonly Operation[]): void {
  const lastOn = new Map<string, number>();
  const seenInUnit = new Set<string>();
  let unit = 0;
  for (const op of log) {
    const unitStart = op.batch ?? op.seq;
    if (unitStart !== unit) seenInUnit.clear();
    unit = unitStart;
    if (op.undo !== undefined && !seenInUnit.has(op.id)) {
      expect(lastOn.get(op.id), `undo at ${op.seq} reverts the last change of ${op.id}`).toBe(op.undo);
    }
    seenInUnit.add(op.id);
    lastOn.set(op.id, op.seq);
  }
}
