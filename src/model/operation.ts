import type { Operation } from "../types.js";
import { assert } from "../util/assert.js";

/** The state: id → deeply frozen record. */
export type State = Map<string, unknown>;

export function applyOperation(state: State, op: Operation): void {
  if (op.op === "set") {
    assert(op.data !== undefined, "a set carries a value"); // null: only in old data (SPEC §2.3)
    state.set(op.id, op.data);
  } else {
    state.delete(op.id);
  }
}

/** Puts back what `op` replaced. */
export function revertOperation(state: State, op: Operation): void {
  assert(op.prev !== undefined, "an operation carries its previous value");
  if (op.prev === null) state.delete(op.id);
  else state.set(op.id, op.prev);
}

/** A change to make: the part of an operation chosen before it gets its seq and time. */
export interface Change {
  op: "set" | "delete";
  id: string;
  data?: unknown;
  meta?: Record<string, unknown>;
  undo?: number;
  redo?: number;
  archive?: string;
}

/** The change that reverts `op` (SPEC §3a: undo appends ordinary, marked operations). */
export function compensation(op: Operation): Change {
  assert(op.undo === undefined || op.prev !== undefined, "a compensation has a value to restore");
  if (op.prev === null) return { op: "delete", id: op.id, undo: op.seq };
  return { op: "set", id: op.id, data: op.prev, undo: op.seq };
}

/** The change that re-applies `op`. */
export function reapplication(op: Operation): Change {
  if (op.op === "delete") return { op: "delete", id: op.id, redo: op.seq };
  return { op: "set", id: op.id, data: op.data, redo: op.seq };
}
