import { describe, expect, it } from "vitest";
import { UndoStacks, type Unit } from "../../src/model/undo-stacks.js";

const noReads = (seq: number): Unit => {
  throw new Error(`read the log for seq ${seq}`);
};

describe("undo stacks know their unit bounds", () => {
  it("push, pop and rebuild without reading the log", () => {
    const stacks = new UndoStacks();
    stacks.track({ first: 1, last: 1 }, "change", noReads);
    stacks.track({ first: 2, last: 4 }, "change", noReads); // a batch
    stacks.track({ first: 5, last: 5 }, "change", noReads);
    stacks.track({ first: 6, last: 6 }, "change", noReads);
    expect(stacks.toState().undo).toEqual([[1, 1, 0], [2, 4, 1], [5, 6, 0]]);
    expect(stacks.peekUndo(noReads)).toEqual({ first: 6, last: 6 });
    stacks.track({ first: 7, last: 7 }, "undo", noReads); // undoes 6
    stacks.track({ first: 8, last: 8 }, "undo", noReads); // undoes 5
    expect(stacks.peekUndo(noReads)).toEqual({ first: 2, last: 4 });
    stacks.track({ first: 9, last: 11 }, "undo", noReads); // undoes the batch 2–4
    expect(stacks.toState()).toEqual({ undo: [[1, 1, 0]], redo: [[6, 6], [5, 5], [2, 4]] });
    stacks.track({ first: 12, last: 14 }, "redo", noReads); // re-applies the batch
    expect(stacks.toState().undo).toEqual([[1, 1, 0], [12, 14, 1]]);
    const copy = UndoStacks.from(stacks.toState());
    expect(copy.toState()).toEqual(stacks.toState());
  });

  it("entries of snapshots written before unit kinds ask the log, and only they", () => {
    const stacks = UndoStacks.from({ undo: [[1, 5]], redo: [] });
    const batches: Record<number, Unit> = { 5: { first: 4, last: 5 }, 3: { first: 3, last: 3 } };
    const asked: number[] = [];
    const fromLog = (seq: number): Unit => {
      asked.push(seq);
      return batches[seq] ?? { first: seq, last: seq };
    };
    expect(stacks.peekUndo(fromLog)).toEqual({ first: 4, last: 5 });
    stacks.track({ first: 6, last: 7 }, "undo", fromLog);
    expect(stacks.toState().undo).toEqual([[1, 3]]); // still of unknown bounds
    stacks.track({ first: 8, last: 8 }, "change", noReads);
    expect(stacks.toState().undo).toEqual([[1, 3], [8, 8, 0]]);
    expect(asked).toEqual([5, 5]);
  });

  it("a clip drops a batch it cuts and shortens a run of single operations", () => {
    const stacks = UndoStacks.from({ undo: [[1, 3, 0], [4, 6, 1], [7, 9, 0]], redo: [[10, 10]] });
    stacks.clip(5);
    expect(stacks.toState().undo).toEqual([[7, 9, 0]]);
    stacks.clip(8);
    expect(stacks.toState()).toEqual({ undo: [[8, 9, 0]], redo: [[10, 10]] });
  });
});
