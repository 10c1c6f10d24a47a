import { assert } from "../util/assert.js";
import type { Operation } from "../types.js";

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

/** The change `op` made, to make it again (a shared log's pending write staged anew or sent). */
export function changeOf(op: Operation): Change {
  const change: Change = { op: op.op, id: op.id };
  if (op.op === "set") change.data = op.data;
  if (op.meta !== undefined) change.meta = op.meta;
  if (op.undo !== undefined) change.undo = op.undo;
  if (op.redo !== undefined) change.redo = op.redo;
  if (op.archive !== undefined) change.archive = op.archive;
  return change;
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
