import { ClosedError, IoError, OpslogError, toIoError } from "../errors.js";
import { History } from "./history.js";
import { RawRecord, recordAt } from "../model/raw-record.js";
import { rememberText } from "../model/value-text.js";
import { applyOperation, revertOperation, type Change, type State } from "../model/operation.js";
import type { Storage } from "../storage/port.js";
import type { Operation, RepairReport, WriteMode } from "../types.js";
import { assert } from "../util/assert.js";
import { formatMicros, MonotonicClock, parseIsoMicros, readClock, type Clock } from "../util/time.js";
import { Checkpointer, type CheckpointPolicy } from "./checkpointer.js";
import type { RetentionPolicy } from "./retention.js";
import { CommitQueue } from "./commit-queue.js";
import { rebuildState, upgradeOperations, valueUpgrade } from "./recovery.js";
import type { MigrationOptions } from "./recovery.js";

export interface EngineOptions extends MigrationOptions {
  writeMode: WriteMode;
  groupCommitMs: number;
  clock: Clock;
  readOnly: boolean;
  policy: CheckpointPolicy;
  retain: RetentionPolicy;
}

/**
 * The write path: turns changes into operations (seq, ts, prev), applies them to the state at
 * once (so later calls see them), and hands them to the commit queue; reverts them in memory
 * when they cannot be made durable.
 */
export class Engine {
  readonly state: State;
  readonly history: History;
  readonly queue: CommitQueue;
  readonly checkpointer: Checkpointer;
  readonly repair: RepairReport | undefined;
  schemaVersion: number;
  /** Records were migrated at open: the checkpoint at open persists the new version. */
  readonly migrated: boolean;
  /** Timestamp of the last operation applied. */
  lastTs: string | undefined;
  private seq: number;
  private readonly clock: MonotonicClock;
  private closed = false;
  /** Set when the in-memory history could not be made consistent after a failure. */
  private broken: unknown;

  constructor(
    readonly storage: Storage,
    private readonly options: EngineOptions,
  ) {
    const loaded = storage.load();
    // Whatever fails after load (recovery, or rebuilding the undo stacks from a damaged sealed
    // segment) releases the lock and the descriptors load took: a failed open holds nothing.
    try {
      const recovered = rebuildState(loaded, options);
      this.state = recovered.state;
      this.migrated = recovered.migrated;
      this.schemaVersion = recovered.migrated ? options.version : loaded.schemaVersion;
      // Sealed history is migrated as it is read, with the same upgrade as recovery.
      const schema = {
        version: this.schemaVersion,
        upgrade: (ops: readonly Operation[], fromVersion: number): void => {
          const upgrade = valueUpgrade(options, fromVersion);
          if (upgrade) upgradeOperations(ops, upgrade);
        },
      };
      this.history = new History(storage, loaded.snapshotSeq, loaded.stacks, recovered.ops, schema);
      this.seq = recovered.lastSeq;
      this.repair = loaded.repair;
      this.clock = new MonotonicClock(options.clock);
      for (const ts of [loaded.snapshotTs, recovered.lastTs]) {
        if (ts) this.clock.observe(parseIsoMicros(ts) ?? 0);
      }
      this.lastTs = recovered.lastTs ?? loaded.snapshotTs;
      this.queue = new CommitQueue(
        storage,
        this.seq,
        options.writeMode,
        options.groupCommitMs,
        (fromSeq) => this.revertFrom(fromSeq),
        () => this.checkpointer.afterCommit(),
      );
      const { policy, retain, readOnly } = options;
      this.checkpointer = new Checkpointer(this, policy, retain, readOnly, loaded.snapshotSeq);
      const needsCheckpoint = recovered.migrated || loaded.legacy || loaded.repair !== undefined;
      if (needsCheckpoint && !options.readOnly) this.checkpointer.request(true);
    } catch (error) {
      storage.close();
      throw error;
    }
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** Seq of the last operation known durable: what views and the change feed may show. */
  get durableSeq(): number {
    return this.queue.durableSeq;
  }

  /** Wall-clock milliseconds from the injected clock (retention ages, archive names). */
  nowMs(): number {
    return Math.floor(readClock(this.options.clock) / 1000);
  }

  /** Turns changes into operations and applies them; returns them for the caller to commit. */
  apply(changes: readonly Change[], meta: Record<string, unknown> | undefined): Operation[] {
    assert(changes.length > 0, "apply of no changes");
    const batch = changes.length > 1 ? this.seq + 1 : undefined;
    const ops: Operation[] = [];
    for (const change of changes) ops.push(this.applyOne(change, batch, meta));
    return ops;
  }

  /** Applies one change now (inside a batch callback); `batch` is the batch's first seq. */
  applyOne(change: Change, batch: number | undefined, meta: Record<string, unknown> | undefined): Operation {
    const entry = this.state.get(change.id);
    const prev = entry === undefined ? undefined : recordAt(this.state, change.id, entry);
    // The log line carries `prev`: a record still held as its stored text is not serialised again.
    if (entry instanceof RawRecord) rememberText(prev, entry.json);
    // Fields in the order the log reader gives them back (types.ts), so an operation's JSON
    // text is the same before and after a reopen.
    const ts = formatMicros(this.clock.next()); // First: a clock that throws changes nothing.
    const op = { seq: ++this.seq, ts, op: change.op, id: change.id } as Operation;
    if (change.op === "set") op.data = change.data;
    op.prev = prev === undefined ? null : prev;
    if (batch !== undefined) op.batch = batch;
    const merged = change.meta ?? meta;
    if (merged !== undefined) op.meta = change.meta && meta ? { ...meta, ...change.meta } : merged;
    if (change.undo !== undefined) op.undo = change.undo;
    if (change.redo !== undefined) op.redo = change.redo;
    if (change.archive !== undefined) op.archive = change.archive;
    applyOperation(this.state, Object.freeze(op));
    this.lastTs = op.ts;
    return op;
  }

  /** Reverts operations applied by applyOne that will not be committed (a failed batch). */
  discard(ops: readonly Operation[]): void {
    for (let i = ops.length - 1; i >= 0; i--) revertOperation(this.state, ops[i]!);
    if (ops.length > 0) this.seq = ops[0]!.seq - 1;
  }

  /** Records applied operations in history and queues them for the log. */
  commit(ops: Operation[], task?: () => Promise<unknown>): Promise<void> {
    if (ops.length > 1) {
      for (const op of ops) assert(op.batch === ops[0]!.seq, "a batch shares its marker");
    }
    try {
      this.history.add(ops);
    } catch (error) {
      // Not queued, so never logged: take the operations back out of the state.
      this.discard(ops);
      throw error;
    }
    const done = this.queue.enqueue(ops, ops.length > 1 ? ops.length : undefined, task);
    this.checkpointer.afterEnqueue();
    return done;
  }

  /** Why writes can no longer be accepted (an earlier I/O failure), or undefined. */
  writeFailure(): OpslogError | undefined {
    if (this.closed) return new ClosedError();
    const failure = this.queue.failed ?? this.broken;
    if (failure !== undefined) {
      return new IoError("an earlier asynchronous write failed; reopen the store to continue", failure);
    }
    try {
      this.storage.checkWritable();
    } catch (error) {
      return toIoError("writing", error);
    }
    return undefined;
  }

  /**
   * Waits for every write and every checkpoint, compression and prune already started (none can
   * start any more), then releases the storage: nothing touches the directory after this.
   */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.queue.flush().catch(() => undefined);
      await this.checkpointer.close();
      await this.storage.idle();
      assert(this.queue.pending === 0, "no write is pending at close");
    } finally {
      this.storage.close();
    }
  }

  private revertFrom(fromSeq: number): void {
    const ops = this.history.recent;
    for (let i = ops.length - 1; i >= 0 && ops[i]!.seq >= fromSeq; i--) {
      revertOperation(this.state, ops[i]!);
    }
    this.seq = fromSeq - 1;
    try {
      this.history.truncateAfter(fromSeq - 1);
    } catch (error) {
      // Rebuilding the undo stacks may read old segments; if that fails too, stop writing.
      this.broken = error;
    }
  }
}
