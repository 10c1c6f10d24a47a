import { assert } from "../util/assert.js";

/** The operations of one call, by seq: a single operation or a whole batch. */
export interface Unit {
  first: number;
  last: number;
}

export type UnitKind = "change" | "undo" | "redo" | "archive";

/** Finds the unit whose last operation has this seq (a batch ends where its marker says). */
export type UnitEndingAt = (seq: number) => Unit;

/** The stacks as stored in a snapshot header: undo as seq ranges, redo as units. */
export interface StacksState {
  undo: [number, number][];
  redo: [number, number][];
}

/**
 * Undo and redo stacks with editor semantics (a new change clears redo), kept by seq so they
 * cost little memory however deep the history: the undo stack is a list of seq ranges, each
 * meaning "every unit inside this range is on the stack, in order". A change extends the top
 * range; undo shrinks it. Stored in snapshots, so they survive checkpoints and reopens.
 */
export class UndoStacks {
  private undo: [number, number][] = [];
  private redo: Unit[] = [];

  static from(state: StacksState | undefined): UndoStacks {
    const stacks = new UndoStacks();
    if (state) {
      stacks.undo = state.undo.map(([from, to]) => [from, to]);
      stacks.redo = state.redo.map(([first, last]) => ({ first, last }));
    }
    return stacks;
  }

  toState(): StacksState {
    return { undo: this.undo.map(([a, b]) => [a, b]), redo: this.redo.map((u) => [u.first, u.last]) };
  }

  /** Updates the stacks for a unit just appended to the log. */
  track(unit: Unit, kind: UnitKind, unitEndingAt: UnitEndingAt): void {
    assert(unit.first >= 1, "seqs start at 1");
    if (kind === "archive") {
      this.undo = [];
      this.redo = [];
    } else if (kind === "undo") {
      const undone = this.popUndo(unitEndingAt);
      if (undone) this.redo.push(undone);
    } else if (kind === "redo") {
      this.redo.pop();
      this.pushUndo(unit);
    } else {
      this.pushUndo(unit);
      this.redo = [];
    }
  }

  peekUndo(unitEndingAt: UnitEndingAt): Unit | undefined {
    const top = this.undo[this.undo.length - 1];
    return top ? unitEndingAt(top[1]) : undefined;
  }

  peekRedo(): Unit | undefined {
    return this.redo[this.redo.length - 1];
  }

  /** Forgets units with operations before `oldest` (history pruned away). */
  clip(oldest: number): void {
    this.undo = this.undo.filter(([, to]) => to >= oldest).map(([from, to]) => [Math.max(from, oldest), to]);
    this.redo = this.redo.filter((unit) => unit.first >= oldest);
  }

  private pushUndo(unit: Unit): void {
    assert(unit.first <= unit.last, "a unit spans at least one operation");
    const top = this.undo[this.undo.length - 1];
    assert(top === undefined || top[1] < unit.first, "units are pushed in seq order");
    if (top && top[1] === unit.first - 1) top[1] = unit.last;
    else this.undo.push([unit.first, unit.last]);
  }

  private popUndo(unitEndingAt: UnitEndingAt): Unit | undefined {
    const top = this.undo[this.undo.length - 1];
    if (!top) return undefined;
    const unit = unitEndingAt(top[1]);
    assert(unit.last === top[1], "a unit ends where the undo range ends");
    top[1] = unit.first - 1;
    if (top[1] < top[0]) this.undo.pop();
    return unit;
  }
}

/** What kind of unit a group of operations is, from the markers of its first operation. */
export function unitKind(first: { undo?: number; redo?: number; archive?: string }): UnitKind {
  if (first.archive !== undefined) return "archive";
  if (first.undo !== undefined) return "undo";
  if (first.redo !== undefined) return "redo";
  return "change";
}
