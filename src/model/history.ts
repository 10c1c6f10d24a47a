import type { Operation } from "../types.js";
import { assert } from "../util/assert.js";

/** The operations of one call: a single operation or a whole batch; undone and redone whole. */
export interface Unit {
  ops: readonly Operation[];
}

/**
 * The operations held in memory (those after the last snapshot), with the undo and redo stacks
 * derived from them (editor semantics: a new change clears the redo stack). Stacks are rebuilt
 * by replaying the same rules over the log at open, so they survive a reopen.
 */
export class History {
  private list: Operation[] = [];
  private undoStack: Unit[] = [];
  private redoStack: Unit[] = [];

  get ops(): readonly Operation[] {
    return this.list;
  }

  get lastSeq(): number {
    return this.list[this.list.length - 1]?.seq ?? 0;
  }

  canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  peekUndo(): Unit | undefined {
    return this.undoStack[this.undoStack.length - 1];
  }

  peekRedo(): Unit | undefined {
    return this.redoStack[this.redoStack.length - 1];
  }

  /** Adds the operations of one call and updates the stacks by what kind of unit it is. */
  add(ops: readonly Operation[]): void {
    const first = ops[0];
    assert(first !== undefined, "a unit has at least one operation");
    assert(first.seq === this.lastSeq + 1 || this.list.length === 0, "seq grows by one");
    for (const op of ops) this.list.push(op);
    this.track({ ops });
  }

  private track(unit: Unit): void {
    const first = unit.ops[0]!;
    if (first.archive !== undefined) {
      // Archived records left for a file; undo does not reach across an archive.
      this.undoStack = [];
      this.redoStack = [];
    } else if (first.undo !== undefined) {
      const undone = this.undoStack.pop();
      if (undone) this.redoStack.push(undone);
    } else if (first.redo !== undefined) {
      this.redoStack.pop();
      this.undoStack.push(unit);
    } else {
      this.undoStack.push(unit);
      this.redoStack = [];
    }
  }

  /** Drops operations with seq > `seq` (they never became durable) and rebuilds the stacks. */
  truncateAfter(seq: number): void {
    const kept = this.list.filter((op) => op.seq <= seq);
    this.rebuild(kept);
  }

  /** Forgets operations with seq ≤ `seq` (now in a snapshot); stacks lose units reaching there. */
  forgetThrough(seq: number): void {
    this.list = this.list.filter((op) => op.seq > seq);
    const keep = (unit: Unit) => unit.ops[0]!.seq > seq;
    this.undoStack = this.undoStack.filter(keep);
    this.redoStack = this.redoStack.filter(keep);
  }

  /** Replaces the history with `ops` (complete units, in seq order), deriving the stacks. */
  rebuild(ops: readonly Operation[]): void {
    this.list = [];
    this.undoStack = [];
    this.redoStack = [];
    let i = 0;
    while (i < ops.length) {
      const first = ops[i]!;
      let end = i + 1;
      if (first.batch !== undefined) {
        while (end < ops.length && ops[end]!.batch === first.batch) end++;
      }
      const unit = ops.slice(i, end);
      for (const op of unit) this.list.push(op);
      this.track({ ops: unit });
      i = end;
    }
  }
}
