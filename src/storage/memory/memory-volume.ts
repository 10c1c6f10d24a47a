import { RawRecord } from "../../model/raw-record.js";
import type { Operation } from "../../types.js";
import { assert } from "../../util/assert.js";
import type { OpsChunk, StoredCheckpoint, StoredState, WriteGroup } from "../port.js";
import type { HeadState } from "./memory-head.js";

/** One operation as stored: its JSON text and the bounds of the unit (batch) holding it. */
export interface StoredOp {
  readonly text: string;
  readonly bytes: number;
  /** First and last seq of its batch (both its own seq outside a batch). */
  readonly first: number;
  readonly last: number;
  /** Schema version of its values; undefined while it is the volume's current version. */
  version: number | undefined;
}

/** A checkpoint as stored: everything as JSON text, so that no object is shared with the engine. */
export interface CheckpointText {
  seq: number;
  ts: string | undefined;
  stacks: string | undefined;
  records: Map<string, string>;
}

/** Parses the JSON text of stored values and operations (fresh objects, never frozen). */
function parse<T>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * The data behind one or more MemoryStorage handles: the log, the latest checkpoint, archive
 * segments, who writes, and the followers waiting for a change. Everything is kept as JSON
 * text, as a durable storage would keep bytes, so that aliasing bugs in the engine show.
 */
export class MemoryVolume {
  /** Retained operations, oldest first: ops[i] has seq oldest + i. */
  private ops: StoredOp[] = [];
  private oldest = 1;
  private bytes = 0;
  head = 0;
  /** Undefined until a writer first opens the volume at its program's version. */
  schemaVersion: number | undefined;
  checkpoint: CheckpointText = { seq: 0, ts: undefined, stacks: undefined, records: new Map() };
  readonly archive = new Map<string, Map<string, string>>();
  /** The handle that holds the writer lock (exclusive writers only). */
  writer: object | undefined;
  private readonly wakers = new Set<() => void>();
  private readonly listeners = new Set<() => void>();
  /** The state at the head, kept by volumes many writers share (memory-shared.ts). */
  headState: HeadState | undefined;

  oldestSeq(): number {
    return this.ops.length === 0 ? this.head + 1 : this.oldest;
  }

  historyBytes(): number {
    return this.bytes;
  }

  opsSinceCheckpoint(): number {
    return this.head - this.checkpoint.seq;
  }

  /** Appends encoded operations that follow the head (see encodeGroup). */
  append(stored: readonly StoredOp[]): void {
    if (stored.length === 0) return;
    assert(stored[0]!.first === this.head + 1, "appended operations follow the head");
    if (this.ops.length === 0) this.oldest = this.head + 1;
    for (const op of stored) {
      this.ops.push(op);
      this.bytes += op.bytes;
    }
    this.head += stored.length;
    assert(this.oldest + this.ops.length === this.head + 1, "retained operations end at the head");
    this.wake();
  }

  /** The retained operations with from ≤ seq ≤ to, in chunks of one schema version. */
  opsBetween(from: number, to: number): OpsChunk[] {
    const low = Math.max(from, this.oldestSeq());
    const high = Math.min(to, this.head);
    // Any range, also inside a batch: the engine reads single seqs (History.get(seq)).
    if (low > high) return [];
    const chunks: { ops: Operation[]; schemaVersion: number }[] = [];
    for (let seq = low; seq <= high; seq++) {
      const stored = this.at(seq);
      const version = stored.version ?? this.currentVersion();
      const chunk = chunks[chunks.length - 1];
      const op = parse<Operation>(stored.text);
      if (chunk?.schemaVersion === version) chunk.ops.push(op);
      else chunks.push({ ops: [op], schemaVersion: version });
    }
    return chunks;
  }

  /** The retained operation at `seq`. */
  at(seq: number): StoredOp {
    const stored = this.ops[seq - this.oldest];
    assert(stored !== undefined, `operation ${seq} is retained`);
    return stored;
  }

  /** Makes `checkpoint` the base of the next open; older operations keep their version. */
  installCheckpoint(checkpoint: CheckpointText, schemaVersion: number): void {
    assert(checkpoint.seq >= this.checkpoint.seq, "a checkpoint is never older than the last");
    assert(schemaVersion >= this.currentVersion(), "the schema version only grows");
    if (checkpoint.seq >= this.oldestSeq() && checkpoint.seq > 0) {
      const last = this.at(checkpoint.seq).last;
      assert(last === checkpoint.seq, "a checkpoint is never inside a batch");
    }
    if (schemaVersion !== this.schemaVersion) {
      const old = this.currentVersion();
      for (const op of this.ops) if (op.last <= checkpoint.seq) op.version ??= old;
    }
    this.schemaVersion = schemaVersion;
    this.checkpoint = checkpoint;
    this.wake();
  }

  /** Drops the whole batches with seq ≤ throughSeq (the caller keeps it ≤ the checkpoint). */
  prune(throughSeq: number): void {
    assert(throughSeq <= this.checkpoint.seq, "retention never passes the last checkpoint");
    let count = 0;
    let bytes = 0;
    while (count < this.ops.length && this.ops[count]!.last <= throughSeq) {
      bytes += this.ops[count]!.bytes;
      count++;
    }
    if (count === 0) return;
    this.ops.splice(0, count);
    this.oldest += count;
    this.bytes -= bytes;
    this.wake();
  }

  /** The state an open (or a follower's reset) starts from: checkpoint plus the ops after it. */
  storedState(requestVersion: number): StoredState {
    const { seq, ts, stacks, records: texts } = this.checkpoint;
    assert(seq + 1 >= this.oldestSeq(), "the operations after the checkpoint are retained");
    const ops: Operation[] = [];
    for (let at = seq + 1; at <= this.head; at++) {
      const stored = this.at(at);
      assert(stored.version === undefined, "operations after the checkpoint are at its version");
      ops.push(parse<Operation>(stored.text));
    }
    const records = new Map<string, unknown>();
    for (const [id, text] of texts) records.set(id, new RawRecord(text));
    const checkpoint: StoredCheckpoint = { seq, records };
    if (ts !== undefined) checkpoint.ts = ts;
    if (stacks !== undefined) checkpoint.stacks = parse(stacks);
    const schemaVersion = this.schemaVersion ?? requestVersion;
    return { head: this.head, checkpoint, ops, schemaVersion, needsCheckpoint: false };
  }

  /** Resolves at the next change of the volume (or at once when `signal` aborts). */
  waitForChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.wakers.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      if (signal.aborted) return resolve();
      this.wakers.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Wakes every follower waiting for a change. */
  wake(): void {
    for (const waker of [...this.wakers]) waker();
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` at every change until the returned function is called. */
  listen(listener: () => void): () => void {
    const wrapped = (): void => listener();
    this.listeners.add(wrapped);
    return () => this.listeners.delete(wrapped);
  }

  private currentVersion(): number {
    return this.schemaVersion ?? 0;
  }
}

/**
 * Encodes a write group that follows `head` as JSON text, checking that it is whole batches
 * with contiguous seqs: the engine's half of the port's contract.
 */
export function encodeGroup(group: WriteGroup, head: number): StoredOp[] {
  const { ops, checkpointAt } = group;
  assert(ops.length > 0 || checkpointAt !== undefined, "an empty group only marks a checkpoint");
  const last = head + ops.length;
  if (checkpointAt !== undefined) assert(checkpointAt === last, "checkpointAt is the group's end");
  const stored: StoredOp[] = [];
  let unit = { first: 0, last: head };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    assert(op.seq === head + 1 + i, "a group's seqs follow the head one by one");
    unit = unitOf(op, group.batchSizes, unit);
    const text = JSON.stringify(op);
    const bytes = Buffer.byteLength(text);
    stored.push({ text, bytes, first: unit.first, last: unit.last, version: undefined });
  }
  assert(unit.last === last, "a group ends with the end of a batch");
  return stored;
}

/** The bounds of the batch `op` belongs to, given the bounds of the one before it. */
function unitOf(
  op: Operation,
  batchSizes: ReadonlyMap<number, number>,
  previous: { first: number; last: number },
): { first: number; last: number } {
  if (op.batch !== undefined && op.batch !== op.seq) {
    assert(op.batch === previous.first, "a batch is contiguous and starts in its group");
    assert(op.seq <= previous.last, "an operation of a batch lies inside its bounds");
    return previous;
  }
  assert(op.seq > previous.last, "an operation starting a unit does not split a batch");
  if (op.batch === undefined) return { first: op.seq, last: op.seq };
  const size = batchSizes.get(op.batch);
  assert(size !== undefined, "batchSizes names every batch of the group");
  assert(Number.isInteger(size) && size >= 1, "a batch holds at least one operation");
  return { first: op.seq, last: op.seq + size - 1 };
}
