import { parseIsoMicros } from "../util/time.js";
import { InvalidArgumentError } from "../errors.js";
import { UndoStacks, unitKind, type StacksState, type Unit } from "../model/undo-stacks.js";
import type { OpsChunk } from "../storage/port.js";
import { freezeParsed } from "../model/freeze.js";
import type { Operation } from "../types.js";
import { assert } from "../util/assert.js";

/**
 * How operations read from storage reach the current schema version: `upgrade` brings fresh
 * (not yet frozen) operations written under `fromVersion` to `version`, in place.
 */
export interface HistorySchema {
  version: number;
  upgrade(ops: readonly Operation[], fromVersion: number): void;
}

/** The part of the storage port that history reads need (storage/port.ts). */
export interface HistorySource {
  readOps(from: number, to: number): OpsChunk[];
  oldestSeq(): number;
}

/**
 * The retained history: operations since the last checkpoint in memory, older ones in storage
 * (read on demand, by seq), plus the undo/redo stacks. Every operation is reachable by seq, so
 * undo, redo, getHistory and time travel reach across checkpoints and reopens. Unit bounds live
 * in the stacks themselves: writing, reverting a failed write and opening read no storage.
 */
export class History {
  /** Operations with seq ≥ memoryBase, contiguous: memory[i].seq === memoryBase + i. */
  private memory: Operation[] = [];
  private memoryBase: number;
  private stacks: UndoStacks;
  /** The stacks as of memoryBase - 1, to rebuild them when unwritten operations are dropped. */
  private baseStacks: StacksState | undefined;

  constructor(
    private readonly source: HistorySource,
    checkpointSeq: number,
    stacks: StacksState | undefined,
    ops: readonly Operation[],
    private readonly schema: HistorySchema,
    /** Whether `ops` are this writer's own (shared storages: loaded ones never are). */
    loadedOwn = true,
  ) {
    this.memoryBase = ops[0]?.seq ?? checkpointSeq + 1;
    // Units before the oldest retained operation (pruned, or lost to a repair) cannot be undone.
    const clipped = UndoStacks.from(stacks);
    clipped.clip(this.oldestSeq);
    this.baseStacks = stacks && clipped.toState();
    this.stacks = UndoStacks.from(this.baseStacks);
    for (const unit of units(ops)) this.push(unit, loadedOwn);
  }

  /** Operations not yet in a checkpoint. */
  get recentCount(): number {
    return this.memory.length;
  }

  get lastSeq(): number {
    return this.memoryBase + this.memory.length - 1;
  }

  /** Seq of the oldest retained operation (lastSeq + 1 when none is retained). */
  get oldestSeq(): number {
    return Math.min(this.source.oldestSeq(), this.memoryBase);
  }

  get recent(): readonly Operation[] {
    return this.memory;
  }

  /**
   * Appends a unit. `own` false: another writer's (shared storages), which undo and redo never
   * revert, so it does not touch the stacks.
   */
  add(ops: readonly Operation[], own = true): void {
    assert(ops.length > 0, "a unit has operations");
    assert(ops[0]!.seq === this.lastSeq + 1, "seq grows by one");
    this.push(ops, own);
  }

  get(seq: number): Operation {
    if (seq >= this.memoryBase) {
      const op = this.memory[seq - this.memoryBase];
      assert(op !== undefined && op.seq === seq, `operation ${seq} is in memory`);
      return op;
    }
    const op = this.stored(seq, seq)[0];
    if (op === undefined) throw notRetained(seq); // Before the oldest, or pruned by a writer.
    assert(op.seq === seq, `storage returns operation ${seq} when asked for it`);
    return op;
  }

  /** Operations with from ≤ seq ≤ to, oldest first. */
  range(from: number, to: number): Operation[] {
    const start = Math.max(from, this.oldestSeq);
    const end = Math.min(to, this.lastSeq);
    const storedEnd = Math.min(end, this.memoryBase - 1);
    let result = start <= storedEnd ? this.stored(start, storedEnd) : [];
    // A read-only store finds out here that the writer pruned history since it opened: its
    // history now starts later, and nothing read before that point may leave a gap.
    const oldest = this.oldestSeq;
    if (result.length > 0 && result[0]!.seq < oldest) result = result.filter((op) => op.seq >= oldest);
    for (let seq = Math.max(start, this.memoryBase); seq <= end; seq++) result.push(this.memory[seq - this.memoryBase]!);
    const first = result[0];
    assert(first === undefined || result[result.length - 1]!.seq - first.seq === result.length - 1, "a range has no gap");
    return result;
  }

  unitEndingAt = (seq: number): Unit => {
    const op = this.get(seq);
    return { first: op.batch ?? seq, last: seq };
  };

  peekUndo(): Operation[] | undefined {
    const unit = this.stacks.peekUndo(this.unitEndingAt);
    return unit && this.range(unit.first, unit.last);
  }

  peekRedo(): Operation[] | undefined {
    const unit = this.stacks.peekRedo();
    return unit && this.range(unit.first, unit.last);
  }

  stacksState(): StacksState {
    return this.stacks.toState();
  }

  /** Drops operations with seq > `seq`: they never became durable. */
  truncateAfter(seq: number): void {
    const kept = this.memory.filter((op) => op.seq <= seq);
    assert(kept.length === 0 || kept[kept.length - 1]!.seq === seq, "only a tail of operations is dropped");
    this.memory = [];
    this.stacks = UndoStacks.from(this.baseStacks);
    for (const unit of units(kept)) this.push(unit);
  }

  /**
   * Operations through `seq` are now in a checkpoint (readable from storage) whose stacks were
   * `stacks`; a follower, which never drops unwritten operations, passes none.
   */
  forgetThrough(seq: number, stacks: StacksState | undefined): void {
    const drop = Math.max(0, Math.min(this.memory.length, seq - this.memoryBase + 1));
    this.memory = this.memory.slice(drop);
    this.memoryBase += drop;
    assert(this.memory.length === 0 || this.memory[0]!.seq === this.memoryBase, "memory starts at its base");
    this.baseStacks = stacks ?? this.baseStacks;
  }

  /** History before `oldest` was pruned: undo and redo no longer reach there. */
  clip(oldest: number): void {
    this.stacks.clip(oldest);
  }

  /** Throws unless history reaches back to `seq` (the state after it can be rebuilt). */
  checkReach(seq: number): void {
    const oldest = this.oldestSeq;
    if (oldest === 1 || seq >= oldest - 1) return;
    throw this.prunedError();
  }

  /**
   * Whether the state at time `micros` is known, `seq` being the last operation at or before it.
   * The state just before the oldest retained operation is not: the operation before it, and
   * its time, were pruned; unless that is the last operation (`lastTs`: nothing is retained).
   */
  checkTimeReach(seq: number, micros: number, lastTs: string | undefined): void {
    const oldest = this.oldestSeq;
    if (oldest === 1 || seq >= oldest) return;
    if (seq === this.lastSeq && lastTs !== undefined && micros >= (parseIsoMicros(lastTs) ?? 0)) return;
    throw this.prunedError();
  }

  private prunedError(): InvalidArgumentError {
    const oldest = this.oldestSeq;
    // With nothing retained (all pruned), only the current state is reachable.
    const when = oldest <= this.lastSeq ? ` (just before ${this.get(oldest).ts})` : " (the current state)";
    return new InvalidArgumentError(
      `history before seq ${oldest - 1} was pruned by the retention policy; the oldest reachable ` +
        `state is seq ${oldest - 1}${when}`,
    );
  }

  private push(ops: readonly Operation[], own = true): void {
    if (this.memory.length === 0) this.memoryBase = ops[0]!.seq;
    for (const op of ops) this.memory.push(op);
    if (!own) return;
    const unit = { first: ops[0]!.seq, last: ops[ops.length - 1]!.seq };
    this.stacks.track(unit, unitKind(ops[0]!), this.unitEndingAt);
  }

  /**
   * Stored operations at the current schema version, frozen: they are handed out and may be
   * cached by the storage, so the first read migrates them (SPEC §2.3: history is at the
   * current version) and later reads find them frozen.
   */
  private stored(from: number, to: number): Operation[] {
    const result: Operation[] = [];
    for (const chunk of this.source.readOps(from, to)) {
      const fresh = chunk.ops.filter((op) => !Object.isFrozen(op));
      // A chunk at the current version (or a newer one, which cannot be downgraded) is kept.
      if (fresh.length > 0 && chunk.schemaVersion < this.schema.version) this.schema.upgrade(fresh, chunk.schemaVersion);
      for (const op of fresh) {
        freezeParsed(op.data);
        freezeParsed(op.prev);
        freezeParsed(op.meta);
        Object.freeze(op);
      }
      for (const op of chunk.ops) result.push(op);
    }
    return result;
  }
}

function notRetained(seq: number): InvalidArgumentError {
  return new InvalidArgumentError(`operation ${seq} is not in the retained history`);
}

/** Splits operations (whole batches, in seq order) into their units. */
export function units(ops: readonly Operation[]): Operation[][] {
  const result: Operation[][] = [];
  let i = 0;
  while (i < ops.length) {
    const first = ops[i]!;
    let end = i + 1;
    if (first.batch !== undefined) while (end < ops.length && ops[end]!.batch === first.batch) end++;
    result.push(ops.slice(i, end));
    i = end;
  }
  return result;
}
