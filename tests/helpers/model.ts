import { isDeepStrictEqual } from "node:util";

/**
 * The reference model of the simulation tests: plain Maps for the active records and the
 * archive segments, plus undo and redo stacks of units (SPEC §3, §3a): a unit is one call (a
 * set, a delete or a whole batch); undo reverts the newest unit and puts it on the redo stack;
 * redo re-applies it; a new change clears the redo stack; an archive clears both. Checkpoints
 * and reopens keep the stacks (history is retained).
 */
export type Change = { id: string; value: unknown } | { id: string; value?: undefined };

export type Intent =
  | { kind: "set"; id: string; value: unknown }
  | { kind: "delete"; id: string }
  | { kind: "batch"; changes: Change[] }
  | { kind: "failingBatch"; changes: Change[] }
  | { kind: "undo" }
  | { kind: "redo" }
  | { kind: "compact" }
  | { kind: "archive"; ids: string[]; segment: string }
  | { kind: "reopen"; checkpointOnClose: boolean | undefined };

/** A unit on a stack: each changed id's value before and after (undefined: absent). */
type Unit = { id: string; prev: unknown; next: unknown }[];

export class Model {
  active = new Map<string, unknown>();
  archive = new Map<string, Map<string, unknown>>();
  private undoStack: Unit[] = [];
  private redoStack: Unit[] = [];

  clone(): Model {
    const copy = new Model();
    copy.active = new Map(this.active);
    copy.archive = new Map([...this.archive].map(([name, records]) => [name, new Map(records)]));
    copy.undoStack = this.undoStack.map((unit) => [...unit]);
    copy.redoStack = this.redoStack.map((unit) => [...unit]);
    return copy;
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  /**
   * Applies an intent; returns what the store call should resolve to (undo: boolean,
   * archive: count). Deletes of absent ids are no-ops, so that the model can replay any
   * subsequence of intents (the candidate states after a failure).
   */
  apply(intent: Intent): unknown {
    switch (intent.kind) {
      case "set":
        this.applyUnit([{ id: intent.id, value: intent.value }]);
        return undefined;
      case "delete":
        this.applyUnit([{ id: intent.id }]);
        return undefined;
      case "batch":
        if (intent.changes.length > 0) this.applyUnit(intent.changes);
        return undefined;
      case "failingBatch":
        return undefined;
      case "undo":
        return this.undo();
      case "redo":
        return this.redo();
      case "compact":
      case "reopen":
        return undefined;
      case "archive":
        return this.archiveIds(intent.ids, intent.segment);
    }
  }

  private applyUnit(changes: readonly Change[]): void {
    const unit: Unit = [];
    for (const change of changes) {
      unit.push({ id: change.id, prev: this.active.get(change.id), next: change.value });
      this.put(change.id, change.value);
    }
    this.undoStack.push(unit);
    this.redoStack = [];
  }

  private undo(): boolean {
    const unit = this.undoStack.pop();
    if (!unit) return false;
    for (let i = unit.length - 1; i >= 0; i--) {
      const { id, prev } = unit[i]!;
      this.put(id, prev);
    }
    this.redoStack.push(unit);
    return true;
  }

  private redo(): boolean {
    const unit = this.redoStack.pop();
    if (!unit) return false;
    for (const { id, next } of unit) this.put(id, next);
    this.undoStack.push(unit);
    return true;
  }

  private archiveIds(ids: readonly string[], segment: string): number {
    const moved = ids.filter((id) => this.active.has(id));
    if (moved.length === 0) return 0;
    const target = this.archive.get(segment) ?? new Map<string, unknown>();
    for (const id of moved) {
      target.set(id, this.active.get(id));
      this.active.delete(id);
    }
    this.archive.set(segment, target);
    this.undoStack = [];
    this.redoStack = [];
    return moved.length;
  }

  private put(id: string, value: unknown): void {
    if (value === undefined) this.active.delete(id);
    else this.active.set(id, value);
  }
}

/** What was read back from a store: its records and archive segments. */
export interface Observed {
  active: Map<string, unknown>;
  archive: Map<string, Map<string, unknown>>;
}

export function sameRecords(
  a: ReadonlyMap<string, unknown>,
  b: ReadonlyMap<string, unknown>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [id, value] of a) {
    if (!b.has(id) || !isDeepStrictEqual(value, b.get(id))) return false;
  }
  return true;
}

/**
 * Whether the observed archive fits `candidate`: every record it archived is there, and every
 * record there holds a value that some model of `universe` archived under that id. (An archive
 * file is merged and made durable before the deletes are logged, so a crash can leave a record
 * in both places, or an archived record already replaced by a newer archived value of the same
 * id; and an archive call that failed may have committed its file.)
 */
export function archiveFits(observed: Observed, candidate: Model, universe: readonly Model[]): boolean {
  const known = (segment: string, id: string, value: unknown): boolean =>
    universe.some((c) => {
      const records = c.archive.get(segment);
      return records !== undefined && records.has(id) && isDeepStrictEqual(records.get(id), value);
    });
  for (const [segment, records] of candidate.archive) {
    const seen = observed.archive.get(segment);
    for (const id of records.keys()) {
      if (!seen?.has(id) || !known(segment, id, seen.get(id))) return false;
    }
  }
  for (const [segment, records] of observed.archive) {
    for (const [id, value] of records) if (!known(segment, id, value)) return false;
  }
  return true;
}

export function describeRecords(records: ReadonlyMap<string, unknown>): string {
  return JSON.stringify([...records].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
