import { ConflictError, IoError, VersionError } from "../../errors.js";
import { valueText } from "../../model/value-text.js";
import type { Operation } from "../../types.js";
import { assert } from "../../util/assert.js";
import { formatMicros, readClock, systemClock } from "../../util/time.js";
import type {
  Base,
  FetchedOps,
  SharedChange,
  SharedCommit,
  SharedLog,
  SharedOutcome,
  SharedUnit,
  UnitOutcome,
} from "../shared-port.js";
import type { StoredState } from "../port.js";
import type { MemoryFaults } from "./memory-faults.js";
import { headStoredState, type HeadState } from "./memory-head.js";
import type { MemoryVolume, StoredOp } from "./memory-volume.js";

/** Outcome of a commit with this many new operations or fewer carries them (saves a fetch). */
const outcomeOpsMax = 1000;

/**
 * The reference implementation of a shared log (storage/shared-port.ts) over a memory volume:
 * what a database server does for PostgreSQL, in this process. Commits are applied on a later
 * macrotask, one at a time, in call order across every handle of the volume.
 */
export class MemorySharedLog implements SharedLog {
  readonly pollMs = 20;
  private readonly outcomes = new Map<string, SharedOutcome>();
  /** Set while this handle appends: its own commits wake nobody of its own. */
  private appending = false;

  constructor(
    private readonly volume: MemoryVolume,
    private readonly head: HeadState,
    private readonly check: () => void,
    private readonly faults: MemoryFaults,
  ) {}

  commit(request: SharedCommit): Promise<SharedOutcome> {
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          this.check();
          const fault = this.faults.takeCommit(this.volume.head);
          if (fault && "error" in fault) throw fault.error;
          const outcome = this.commitNow(request);
          if (this.faults.takeLostOutcome()) throw new IoError("injected lost outcome: the commit was stored, its answer lost");
          resolve(outcome);
        } catch (error) {
          reject(error as Error);
        }
      }, 0);
    });
  }

  fetch(afterSeq: number, limit: number): Promise<FetchedOps> {
    try {
      this.check();
      const error = this.faults.takeFetch();
      if (error !== undefined) throw error;
      return Promise.resolve(this.opsAfter(afterSeq, limit));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  reload(): Promise<StoredState> {
    try {
      this.check();
      const { head, schemaVersion, checkpoint } = this.volume;
      return Promise.resolve(headStoredState(this.head, head, checkpoint.stacks, schemaVersion ?? 1));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  onCommit(wake: () => void): () => void {
    return this.volume.listen(() => {
      if (!this.appending) wake();
    });
  }

  private commitNow(request: SharedCommit): SharedOutcome {
    const known = this.outcomes.get(request.id);
    if (known) return known;
    const version = this.volume.schemaVersion;
    if (version !== undefined && request.schemaVersion !== version) {
      throw new VersionError(
        `the store is at schema version ${version}, this writer at ${request.schemaVersion}: reopen it with that version`,
      );
    }
    const settled = new Map<string, boolean>(); // id → whether its last change here was stored
    const units = request.units.map((unit) => this.commitUnit(unit, settled));
    const head = this.volume.head;
    const outcome: SharedOutcome = { head, units };
    // Only while the caller's position is retained (behind retention, it fetches and starts over).
    const retained = request.after + 1 >= this.volume.oldestSeq() || request.after >= head;
    if (head - request.after <= outcomeOpsMax && retained) outcome.ops = this.opsAfter(request.after, outcomeOpsMax);
    this.outcomes.set(request.id, outcome);
    return outcome;
  }

  private commitUnit(unit: SharedUnit, settled: Map<string, boolean>): UnitOutcome {
    const inUnit = new Set<string>();
    const stale: { id: string; version: number; value: unknown }[] = [];
    for (const change of unit.changes) {
      if (!inUnit.has(change.id) && this.isStale(change.id, change.base, settled)) stale.push(this.now(change.id));
      inUnit.add(change.id);
    }
    if (stale.length > 0 && !unit.overwrite) {
      for (const id of inUnit) settled.set(id, false);
      return { conflict: stale[0]! };
    }
    const seq = this.volume.head + 1;
    const batch = unit.changes.length > 1 ? seq : undefined;
    const stored: StoredOp[] = [];
    const last = seq + unit.changes.length - 1;
    unit.changes.forEach((change, i) => {
      const op = this.operation(change, seq + i, batch);
      this.head.apply(op);
      const text = JSON.stringify(op);
      // Single operations are their own units; a batch is one.
      const bounds = batch ? { first: seq, last } : { first: seq + i, last: seq + i };
      stored.push({ text, bytes: Buffer.byteLength(text), ...bounds, version: undefined });
    });
    this.appending = true;
    try {
      this.volume.append(stored);
    } finally {
      this.appending = false;
    }
    for (const id of inUnit) settled.set(id, true);
    return { seq, overwritten: stale };
  }

  private isStale(id: string, base: Base, settled: ReadonlyMap<string, boolean>): boolean {
    const version = this.head.versions.get(id) ?? 0;
    if ("seen" in base) return version > base.seen;
    if ("version" in base) return version !== base.version;
    if ("absent" in base) return this.head.values.has(id);
    assert(settled.has(id), "a chained change follows a change of this commit on the same id");
    return settled.get(id) !== true;
  }

  private now(id: string): { id: string; version: number; value: unknown } {
    const text = this.head.values.get(id);
    return { id, version: this.head.versions.get(id) ?? 0, value: text === undefined ? undefined : JSON.parse(text) };
  }

  /** The operation the server stores: its seq and ts, and the true prev. */
  private operation(change: SharedChange, seq: number, batch: number | undefined): Operation {
    const micros = Math.max(readClock(systemClock), this.head.lastMicros + 1);
    const prevText = this.head.values.get(change.id);
    const op = { seq, ts: formatMicros(micros), op: change.op, id: change.id } as Operation;
    if (change.op === "set") op.data = JSON.parse(valueText(change.data));
    op.prev = prevText === undefined ? null : JSON.parse(prevText);
    if (batch !== undefined) op.batch = batch;
    if (change.meta !== undefined) op.meta = change.meta;
    if (change.undo !== undefined) op.undo = change.undo;
    if (change.redo !== undefined) op.redo = change.redo;
    if (change.archive !== undefined) op.archive = change.archive;
    return op;
  }

  private opsAfter(afterSeq: number, limit: number): FetchedOps {
    if (afterSeq < this.volume.head && afterSeq + 1 < this.volume.oldestSeq()) {
      throw new ConflictError(`operations after seq ${afterSeq} were pruned: reopen the store`);
    }
    let to = Math.min(this.volume.head, afterSeq + limit);
    if (to > afterSeq) to = this.volume.at(to).last; // Whole batches.
    const chunks = this.volume.opsBetween(afterSeq + 1, to);
    const first = chunks[0];
    return { ops: first ? [...first.ops] : [], schemaVersion: first?.schemaVersion ?? this.volume.schemaVersion ?? 1 };
  }
}
