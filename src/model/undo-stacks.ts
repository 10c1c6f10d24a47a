import { assert } from "../util/assert.js";

/** The operations of one call, by seq: a single operation or a whole batch. */
export interface Unit {
  first: number;
  last: number;
}

export type UnitKind = "change" | "undo" | "redo" | "archive";

/** Finds the unit whose last operation has this seq (a batch ends where its marker says). */
export type UnitEndingAt = (seq: number) => Unit;

/**
 * The stacks as stored in a snapshot header: undo as entries [from, to, kind], redo as units.
 * kind 0: every seq in from..to is a unit of one operation; kind 1: from..to is one batch;
 * no kind (snapshots written before 2026-12): units of unknown bounds, read from the log.
 */
export interface StacksState {
  undo: ([number, number] | [number, number, 0 | 1])[];
  redo: [number, number][];
}

/** An undo entry: a run of single-operation units, one batch, or (old data) unknown bounds. */
interface UndoEntry {
  from: number;
  to: number;
  kind: "singles" | "batch" | "unknown";
}

const kindCodes = { singles: 0, batch: 1 } as const;

/**
 * Undo and redo stacks with editor semantics (a new change clears redo), kept by seq so they
 * cost little memory however deep the history: a run of single-operation units is one entry,
 * and a batch is one entry. Unit bounds are known from the entries alone, so pushing, popping
 * and rebuilding the stacks never reads the log (only entries loaded from snapshots written
 * before unit kinds were recorded ask `unitEndingAt`). Stored in snapshots, so they survive
 * checkpoints and reopens.
 */
export class UndoStacks {
  private undo: UndoEntry[] = [];
  private redo: Unit[] = [];

  static from(state: StacksState | undefined): UndoStacks {
    const stacks = new UndoStacks();
    if (state) {
      stacks.undo = state.undo.map(([from, to, code]) => ({ from, to, kind: entryKind(code) }));
      stacks.redo = state.redo.map(([first, last]) => ({ first, last }));
    }
    return stacks;
  }

  toState(): StacksState {
    return {
      undo: this.undo.map((e) => (e.kind === "unknown" ? [e.from, e.to] : [e.from, e.to, kindCodes[e.kind]])),
      redo: this.redo.map((u) => [u.first, u.last]),
    };
  }

  /** Updates the stacks for a unit just appended to the log. */
  track(unit: Unit, kind: UnitKind, unitEndingAt: UnitEndingAt): void {
    assert(unit.first >= 1, "seqs start at 1");
    assert(unit.first <= unit.last, "a unit spans at least one operation");
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
    return top ? topUnit(top, unitEndingAt) : undefined;
  }

  peekRedo(): Unit | undefined {
    return this.redo[this.redo.length - 1];
  }

  /** Forgets units with operations before `oldest` (history pruned away). */
  clip(oldest: number): void {
    // A batch cut by the clip cannot be undone whole: it goes; a run of singles is shortened.
    this.undo = this.undo
      .filter((e) => e.to >= oldest && (e.kind !== "batch" || e.from >= oldest))
      .map((e) => ({ ...e, from: Math.max(e.from, oldest) }));
    this.redo = this.redo.filter((unit) => unit.first >= oldest);
  }

  private pushUndo(unit: Unit): void {
    const top = this.undo[this.undo.length - 1];
    assert(top === undefined || top.to < unit.first, "units are pushed in seq order");
    const single = unit.first === unit.last;
    if (single && top?.kind === "singles" && top.to === unit.first - 1) top.to = unit.last;
    else this.undo.push({ from: unit.first, to: unit.last, kind: single ? "singles" : "batch" });
  }

  private popUndo(unitEndingAt: UnitEndingAt): Unit | undefined {
    const top = this.undo[this.undo.length - 1];
    if (!top) return undefined;
    const unit = topUnit(top, unitEndingAt);
    assert(unit.last === top.to, "a unit ends where the undo entry ends");
    assert(unit.first >= top.from, "a unit lies inside its undo entry");
    top.to = unit.first - 1;
    if (top.to < top.from) this.undo.pop();
    return unit;
  }
}

function entryKind(code: 0 | 1 | undefined): UndoEntry["kind"] {
  if (code === undefined) return "unknown";
  return code === 1 ? "batch" : "singles";
}

/** The unit at the top of an entry: known from the entry, except for old entries. */
function topUnit(entry: UndoEntry, unitEndingAt: UnitEndingAt): Unit {
  if (entry.kind === "singles") return { first: entry.to, last: entry.to };
  if (entry.kind === "batch") return { first: entry.from, last: entry.to };
  return unitEndingAt(entry.to);
}

/** What kind of unit a group of operations is, from the markers of its first operation. */
export function unitKind(first: { undo?: number; redo?: number; archive?: string }): UnitKind {
  if (first.archive !== undefined) return "archive";
  if (first.undo !== undefined) return "undo";
  if (first.redo !== undefined) return "redo";
  return "change";
}
