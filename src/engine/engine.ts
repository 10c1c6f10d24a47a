import { ClosedError, InvalidArgumentError, IoError, OpslogError, toIoError } from "../errors.js";
import { History, units } from "./history.js";
import { RawRecord, recordAt } from "../model/raw-record.js";
import { rememberText } from "../model/value-text.js";
import { changeOf, type Change } from "../model/operation.js";
import type { StacksState } from "../model/undo-stacks.js";
import { recordList, type RecordList, type Storage, type StoredState } from "../storage/port.js";
import type { Operation, RepairReport, WriteMode } from "../types.js";
import { assert } from "../util/assert.js";
import { formatMicros, MonotonicClock, parseIsoMicros, readClock, type Clock } from "../util/time.js";
import { Checkpointer, type CheckpointPolicy, type CheckpointSource } from "./checkpointer.js";
import { applyRetention, type RetentionPolicy } from "./retention.js";
import { CommitQueue } from "./commit-queue.js";
import { SharedQueue, type SharedHost } from "./shared-queue.js";
import type { OverwrittenRecord, WriteIntent, WriteQueue } from "./write-queue.js";
import { readyOperations, rebuildState, upgradeOperations, valueUpgrade } from "./recovery.js";
import type { MigrationOptions } from "./recovery.js";
import type { RecordTable } from "./record-table.js";

export interface EngineOptions extends MigrationOptions {
  writeMode: WriteMode;
  groupCommitMs: number;
  clock: Clock;
  readOnly: boolean;
  repair: boolean;
  policy: CheckpointPolicy;
  retain: RetentionPolicy;
  /**
   * Called once the state is recovered, before the checkpoint at open may persist a migration:
   * a check that throws (a unique index the migrated data breaks) fails the open unchanged.
   */
  recovered?: (engine: Engine) => void;
}

const noRecords: RecordList = Object.freeze({ ids: [], values: [] });

/** Operations just made durable (or, in a follower, just learnt from the writer). */
export type DurableListener = (ops: readonly Operation[]) => void;

/**
 * The write path: turns changes into operations (seq, ts, prev), applies them to the record
 * table at once (so later calls see them), and hands them to the commit queue; reverts them
 * when they cannot be made durable. A follower applies the operations another writer commits.
 */
export class Engine {
  readonly table: RecordTable;
  history: History;
  readonly queue: WriteQueue;
  /** Set on a writer of a log many writers share (storage/shared-port.ts). */
  readonly shared: SharedQueue | undefined;
  /** Why following the other writers of a shared log fails now (stats().followError). */
  sharedFollowError: unknown;
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
  private readonly durableListeners = new Set<DurableListener>();
  /** Records were migrated at open and no checkpoint has persisted them yet. */
  private migrationUnwritten: boolean;
  /** How many times a follower started over from a fresh load (its history was replaced). */
  private restartCount = 0;

  /** Opens `storage` and recovers its state; a failed open releases everything it took. */
  static async open(storage: Storage, options: EngineOptions): Promise<Engine> {
    const stored = await storage.open({
      readOnly: options.readOnly,
      repair: options.repair,
      schemaVersion: options.version,
    });
    try {
      return new Engine(storage, stored, options);
    } catch (error) {
      await storage.close().catch(() => undefined);
      throw error;
    }
  }

  private constructor(
    readonly storage: Storage,
    stored: StoredState,
    private readonly options: EngineOptions,
  ) {
    const sharedLog = storage.capabilities.shared === true ? storage.shared : undefined;
    assert(storage.capabilities.shared !== true || sharedLog !== undefined, "a shared storage has its shared log");
    if (sharedLog && options.writeMode === "async" && !options.readOnly) {
      throw new InvalidArgumentError(
        `writeMode "async" is not available on ${storage.location}, which many writers share: a write may conflict`,
      );
    }
    const recovered = rebuildState(stored, options);
    this.table = recovered.table;
    this.migrated = recovered.migrated;
    this.migrationUnwritten = recovered.migrated;
    this.schemaVersion = recovered.migrated ? options.version : stored.schemaVersion;
    // On a shared log, undo and redo revert this session's own units: none are loaded.
    const stacks = sharedLog ? undefined : stored.checkpoint.stacks;
    this.history = this.newHistory(stored.checkpoint.seq, stacks, recovered.ops, sharedLog === undefined);
    this.seq = recovered.lastSeq;
    this.repair = stored.repair;
    this.clock = new MonotonicClock(options.clock);
    for (const ts of [stored.checkpoint.ts, recovered.lastTs]) {
      if (ts) this.clock.observe(parseIsoMicros(ts) ?? 0);
    }
    this.lastTs = recovered.lastTs ?? stored.checkpoint.ts;
    if (sharedLog && !options.readOnly) {
      const versions = stored.versions ?? new Map<string, number>();
      for (const op of recovered.ops) versions.set(op.id, op.seq);
      this.shared = new SharedQueue(sharedLog, this.sharedHost(), this.seq, options.version, versions, sharedLog.pollMs);
      this.queue = this.shared;
    } else {
      this.shared = undefined;
      this.queue = new CommitQueue(storage, this.seq, options.writeMode, options.groupCommitMs, {
        onFailure: (fromSeq) => this.revertFrom(fromSeq),
        onDurable: (ops) => this.announce(ops),
        onIdle: () => this.checkpointer.afterCommit(),
      });
    }
    const { policy, readOnly } = options;
    this.checkpointer = new Checkpointer(this.checkpointSource(), storage, policy, readOnly, stored.checkpoint.seq);
    options.recovered?.(this);
    const needsCheckpoint = recovered.migrated || stored.needsCheckpoint || stored.repair !== undefined;
    if (needsCheckpoint && !options.readOnly) this.checkpointer.request(true);
  }

  get lastSeq(): number {
    return this.seq;
  }

  /** The records, read-only (the table is their only writer). */
  get records(): ReadonlyMap<string, unknown> {
    return this.table.records;
  }

  /** Seq of the last operation known durable: what views and the change feed may show. */
  get durableSeq(): number {
    return this.options.readOnly ? this.seq : this.queue.durableSeq;
  }

  get restarts(): number {
    return this.restartCount;
  }

  get readOnly(): boolean {
    return this.options.readOnly;
  }

  /** Wall-clock milliseconds from the injected clock (retention ages, archive names). */
  nowMs(): number {
    return Math.floor(readClock(this.options.clock) / 1000);
  }

  /** Resolves once every write in flight is durable or reverted (views show durable state). */
  settle(): Promise<void> {
    return this.queue.flush().catch(() => undefined);
  }

  /** Calls `listener` with operations as they become durable; returns the function that stops it. */
  onDurable(listener: DurableListener): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
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
    assert(!this.options.readOnly, "a read-only engine applies no changes of its own");
    const records = this.table.records;
    const entry = records.get(change.id);
    const prev = entry === undefined ? undefined : recordAt(records, change.id, entry);
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
    // On a shared log a write is staged over the confirmed state until the storage orders it.
    if (this.shared) this.table.stage(Object.freeze(op));
    else this.table.apply(Object.freeze(op));
    this.lastTs = op.ts;
    return op;
  }

  /** Reverts operations applied by applyOne that will not be committed (a failed batch). */
  discard(ops: readonly Operation[]): void {
    if (this.shared) {
      this.shared.restage();
      return;
    }
    for (let i = ops.length - 1; i >= 0; i--) this.table.revert(ops[i]!);
    if (ops.length > 0) this.seq = ops[0]!.seq - 1;
  }

  /**
   * Records applied operations in history and queues them for the log. On a shared log they
   * enter history only once the storage ordered them (SharedQueue).
   */
  commit(ops: Operation[], task?: () => Promise<unknown>, intent?: WriteIntent): Promise<void | OverwrittenRecord[]> {
    if (ops.length > 1) {
      for (const op of ops) assert(op.batch === ops[0]!.seq, "a batch shares its marker");
    }
    if (this.shared) return this.shared.enqueue(ops, undefined, task, intent);
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
      if (failure instanceof OpslogError && failure.code === "OPSLOG_CONFLICT") return failure;
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
   * A follower takes operations another writer committed (whole batches, contiguous seqs),
   * migrates and freezes them, applies them and announces them.
   */
  absorb(ops: Operation[], schemaVersion: number): void {
    assert(this.options.readOnly, "only a read-only engine takes operations from elsewhere");
    if (ops.length === 0) return;
    assert(ops[0]!.seq === this.seq + 1, "a follower takes operations in seq order, without a gap");
    readyOperations(ops, schemaVersion, this.options);
    for (const unit of units(ops)) {
      for (const op of unit) this.table.apply(op);
      this.history.add(unit);
    }
    this.seq = ops[ops.length - 1]!.seq;
    this.lastTs = ops[ops.length - 1]!.ts;
    this.announce(ops);
  }

  /** A follower learnt that the writer checkpointed at `seq`: history before it is in storage. */
  checkpointedElsewhere(seq: number): void {
    assert(this.options.readOnly, "only a follower learns of another writer's checkpoints");
    this.history.forgetThrough(Math.min(seq, this.seq), undefined);
    this.checkpointer.observe(Math.min(seq, this.seq));
  }

  /** A follower that fell behind what storage retains starts over from `stored`. */
  restart(stored: StoredState): void {
    assert(this.options.readOnly, "only a follower starts over");
    const recovered = rebuildState(stored, this.options);
    this.table.replace(recovered.table.records);
    this.schemaVersion = recovered.migrated ? this.options.version : stored.schemaVersion;
    this.history = this.newHistory(stored.checkpoint.seq, stored.checkpoint.stacks, recovered.ops);
    this.seq = recovered.lastSeq;
    this.lastTs = recovered.lastTs ?? stored.checkpoint.ts;
    this.checkpointer.observe(stored.checkpoint.seq);
    this.restartCount++;
    this.announce([]); // Wakes the change feeds: the history they read from was replaced.
  }

  /**
   * Waits for every write and every checkpoint already started (none can start any more),
   * then releases the storage: nothing touches it after this.
   */
  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.queue.flush().catch(() => undefined);
      await this.shared?.close();
      await this.checkpointer.close();
      assert(this.queue.pending === 0, "no write is pending at close");
    } finally {
      await this.storage.close();
    }
  }

  private newHistory(checkpointSeq: number, stacks: StacksState | undefined, ops: readonly Operation[], own = true): History {
    // History read from storage is migrated as it is read, with the same upgrade as recovery.
    const options = this.options;
    const schema = {
      version: options.version > this.schemaVersion ? options.version : this.schemaVersion,
      upgrade: (fresh: readonly Operation[], fromVersion: number): void => {
        const upgrade = valueUpgrade(options, fromVersion);
        if (upgrade) upgradeOperations(fresh, upgrade);
      },
    };
    return new History(this.storage, checkpointSeq, stacks, ops, schema, own);
  }

  private announce(ops: readonly Operation[]): void {
    for (const listener of this.durableListeners) listener(ops);
  }

  private checkpointSource(): CheckpointSource {
    return {
      // On a shared log, provisional operations are not in storage: checkpoint the confirmed.
      lastSeq: () => (this.shared ? this.shared.durableSeq : this.seq),
      writeFailure: () => this.writeFailure(),
      capture: () => ({
        ts: this.lastTs,
        schemaVersion: this.schemaVersion,
        stacks: this.history.stacksState(),
        // A shared storage keeps its state itself (a current-state table): it needs the records
        // only to rewrite them at a new schema version, after a migration at open. Not copying
        // them spares every checkpoint a pass over the whole state.
        records: this.shared && !this.migrationUnwritten ? noRecords : recordList(this.table.records),
      }),
      boundary: (seq) => this.queue.checkpointBoundary(seq),
      checkpointed: (seq, stacks) => {
        this.migrationUnwritten = false;
        this.history.forgetThrough(seq, stacks);
        applyRetention(this, this.options.retain, seq);
      },
    };
  }

  private sharedHost(): SharedHost {
    return {
      table: this.table,
      resetSeq: (seq) => {
        this.seq = seq;
      },
      reapply: (ops) => this.apply(ops.map(changeOf), undefined),
      absorb: (ops, schemaVersion, own) => {
        readyOperations(ops, schemaVersion, this.options);
        for (const unit of units(ops)) {
          for (const op of unit) this.table.apply(op);
          this.history.add(unit, own.has(unit[0]!.seq));
        }
        const last = ops[ops.length - 1]!;
        this.lastTs = last.ts;
        this.clock.observe(parseIsoMicros(last.ts) ?? 0);
        this.announce(ops);
        this.checkpointer.afterCommit();
      },
      followError: (error) => {
        this.sharedFollowError = error;
      },
      restart: (stored) => {
        const recovered = rebuildState(stored, this.options);
        this.table.replace(recovered.table.records);
        // This session's own units are gone from the history it can reach: nothing to undo.
        this.history = this.newHistory(stored.checkpoint.seq, undefined, recovered.ops, false);
        this.seq = recovered.lastSeq;
        this.lastTs = recovered.lastTs ?? stored.checkpoint.ts;
        this.restartCount++;
        this.sharedFollowError = undefined;
        this.announce([]); // Feeds end with OPSLOG_CONFLICT: the history they read was cut.
      },
    };
  }

  private revertFrom(fromSeq: number): void {
    const ops = this.history.recent;
    for (let i = ops.length - 1; i >= 0 && ops[i]!.seq >= fromSeq; i--) this.table.revert(ops[i]!);
    this.seq = fromSeq - 1;
    try {
      this.history.truncateAfter(fromSeq - 1);
    } catch (error) {
      // Rebuilding the undo stacks may read old units; if that fails too, stop writing.
      this.broken = error;
    }
  }
}
