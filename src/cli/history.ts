/**
 * History access for `log`, `at`, `export --ops`, `undo` and `redo`.
 *
 * Thin wrappers over the store's history API (`store.ops()`, `store.at()`, `store.redo()`),
 * plus the filters `log --follow` applies to operations it reads itself.
 */
import type { Point } from "./args.js";
import { parseIsoMicros, type AnyStore, type FindQuery, type Operation } from "./engine.js";

export interface OpsQuery {
  /** Exclusive. */
  since?: Point;
  /** Inclusive. */
  until?: Point;
  id?: string;
}

/** The read-only state of a store at a point in history. */
export interface StateView {
  seq: number;
  ts?: string;
  get(id: string): unknown;
  has(id: string): boolean;
  entries(): Iterable<[string, unknown]>;
  iterate(query: Omit<FindQuery, "limit">): Iterator<[string, unknown]>;
}

/** True when `op` comes after `point` (a seq, or an ISO timestamp compared by time). */
export function isAfter(op: Operation, point: Point): boolean {
  if (typeof point === "number") return op.seq > point;
  const opMicros = parseIsoMicros(op.ts) ?? Number.NaN;
  return opMicros > (parseIsoMicros(point) ?? Number.NaN);
}

export function matches(op: Operation, query: OpsQuery): boolean {
  if (query.id !== undefined && op.id !== query.id) return false;
  if (query.since !== undefined && !isAfter(op, query.since)) return false;
  if (query.until !== undefined && isAfter(op, query.until)) return false;
  return true;
}

/** The retained operations matching `query`, oldest first, read lazily. */
export function listOps(store: AnyStore, query: OpsQuery): AsyncIterable<Operation> {
  return store.ops(definedOnly(query));
}

export function redo(store: AnyStore): Promise<boolean> {
  return store.redo();
}

/** The state at `point`: after every operation at or before it, never part of a batch. */
export function stateAt(store: AnyStore, point: Point): Promise<StateView> {
  return store.at(point);
}

function definedOnly(query: OpsQuery): OpsQuery {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined));
}
