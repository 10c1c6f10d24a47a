/**
 * The reference model of tests/property/interleavings.test.ts: the records, every operation
 * with its seq, `prev` and batch marker, the undo and redo stacks (as units of changes, with
 * the seq range of the operations behind each unit), and the archive segments. It applies
 * every mutation at its call, in call order, as SPEC §1 and §3a describe; reading it is a
 * plain replay, so that it is obviously right. Values are kept as given and compared by JSON
 * text, key order included.
 */
export interface ModelOp {
  seq: number;
  op: "set" | "delete";
  id: string;
  data?: unknown;
  /** The value before the operation; null when the record did not exist. */
  prev: unknown;
  batch?: number;
}

/** One change of a unit: an id's value before and after (undefined: absent). */
interface UnitChange {
  id: string;
  prev: unknown;
  next: unknown;
}

/** An undo or redo unit and the seqs of the operations it stands for in the log. */
interface Unit {
  first: number;
  last: number;
  changes: UnitChange[];
}

export class HistoryModel {
  state = new Map<string, unknown>();
  ops: ModelOp[] = [];
  archive = new Map<string, Map<string, unknown>>();
  private undoStack: Unit[] = [];
  private redoStack: Unit[] = [];

  get seq(): number {
    return this.ops.length;
  }

  set(id: string, value: unknown): void {
    this.change([{ id, next: value }]);
  }

  delete(id: string): void {
    this.change([{ id, next: undefined }]);
  }

  /** A batch: one unit of all its changes (none: nothing is written and nothing is a unit). */
  batch(changes: readonly { id: string; next: unknown }[]): void {
    if (changes.length > 0) this.change(changes);
  }

  undo(): boolean {
    const unit = this.undoStack.pop();
    if (!unit) return false;
    const back = [...unit.changes].reverse().map((c) => ({ id: c.id, next: c.prev }));
    this.emit(back);
    this.redoStack.push(unit);
    return true;
  }

  redo(): boolean {
    const unit = this.redoStack.pop();
    if (!unit) return false;
    this.undoStack.push(this.emit(unit.changes.map((c) => ({ id: c.id, next: c.next }))));
    return true;
  }

  /** Moves the records among `ids` present now; an archive clears both stacks. */
  archiveIds(ids: ReadonlySet<string>, segment: string): number {
    // In id order, as the store archives (its map order is not part of the contract).
    const moving = [...this.state].filter(([id]) => ids.has(id)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (moving.length === 0) return 0;
    const target = this.archive.get(segment) ?? new Map<string, unknown>();
    for (const [id, value] of moving) target.set(id, value);
    this.archive.set(segment, target);
    this.emit(moving.map(([id]) => ({ id, next: undefined })));
    this.undoStack = [];
    this.redoStack = [];
    return moving.length;
  }

  /**
   * History before seq `oldest` was pruned (retention): undo and redo cannot reach units
   * there. The undo stack loses its oldest units. On the redo stack a unit can only be redone
   * after every unit above it: below the highest unreachable unit nothing is redoable either.
   */
  clip(oldest: number): void {
    this.undoStack = this.undoStack.filter((unit) => unit.first >= oldest);
    let lost = -1;
    this.redoStack.forEach((unit, i) => {
      if (unit.first < oldest) lost = i;
    });
    this.redoStack = this.redoStack.slice(lost + 1);
  }

  /** A schema migration: every value the store holds or returns is at the new version. */
  migrate(upgrade: (value: unknown) => unknown): void {
    const up = (value: unknown): unknown => (value === undefined || value === null ? value : upgrade(value));
    for (const [id, value] of this.state) this.state.set(id, up(value));
    for (const op of this.ops) {
      op.prev = up(op.prev);
      if (op.op === "set") op.data = up(op.data);
    }
    for (const unit of [...this.undoStack, ...this.redoStack]) {
      for (const change of unit.changes) {
        change.prev = up(change.prev);
        change.next = up(change.next);
      }
    }
    for (const records of this.archive.values()) {
      for (const [id, value] of records) records.set(id, up(value));
    }
  }

  /** The state after every operation with seq ≤ point, never part of a batch (SPEC §3a). */
  stateAt(point: number): Map<string, unknown> {
    let seq = Math.min(point, this.seq);
    const op = this.ops[seq - 1];
    const next = this.ops[seq];
    if (op?.batch !== undefined && next?.batch === op.batch) seq = op.batch - 1;
    const state = new Map<string, unknown>();
    for (const o of this.ops.slice(0, seq)) {
      if (o.op === "set") state.set(o.id, o.data);
      else state.delete(o.id);
    }
    return state;
  }

  private change(changes: readonly { id: string; next: unknown }[]): void {
    this.undoStack.push(this.emit(changes));
    this.redoStack = [];
  }

  /** Appends the operations of one unit (a batch marker when it has more than one). */
  private emit(changes: readonly { id: string; next: unknown }[]): Unit {
    const first = this.seq + 1;
    const applied: UnitChange[] = [];
    for (const { id, next } of changes) {
      const prev = this.state.get(id);
      const op: ModelOp = { seq: this.seq + 1, op: next === undefined ? "delete" : "set", id, prev: prev ?? null };
      if (next !== undefined) op.data = next;
      if (changes.length > 1) op.batch = first;
      this.ops.push(op);
      if (next === undefined) this.state.delete(id);
      else this.state.set(id, next);
      applied.push({ id, prev, next });
    }
    return { first, last: this.seq, changes: applied };
  }
}

/** A value's JSON text; `undefined` for an absent record. */
export function text(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

/** Records as JSON text, sorted by id (Map order is not part of the contract; key order is). */
export function recordsText(records: Iterable<readonly [string, unknown]>): string {
  const sorted = [...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(sorted.map(([id, value]) => [id, value]));
}

/** An operation as JSON text with a fixed field order: what the model predicts of it. */
export function opText(op: { seq: number; op: string; id: string; data?: unknown; prev: unknown; batch?: number }): string {
  const shown: Record<string, unknown> = { seq: op.seq, op: op.op, id: op.id };
  if (op.op === "set") shown["data"] = op.data;
  shown["prev"] = op.prev;
  if (op.batch !== undefined) shown["batch"] = op.batch;
  return JSON.stringify(shown);
}

/** Builds an object from entries with defineProperty, so that "__proto__" stays an own key. */
export function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The migration to `version` used by the tests: objects get (or update in place) a "schema"
 * field. It depends only on the target, so migrating once from any older version, or once per
 * version step, gives the same value (the store calls it once, from the stored version).
 */
export function migrationTo(version: number): (value: unknown) => unknown {
  return (value) => {
    if (!isPlainObject(value)) return value;
    const entries: [string, unknown][] = Object.keys(value).map((key) => [key, value[key]]);
    const at = entries.findIndex(([key]) => key === "schema");
    if (at >= 0) entries[at] = ["schema", version];
    else entries.push(["schema", version]);
    return objectOf(entries);
  };
}
