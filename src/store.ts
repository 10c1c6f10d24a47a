import { ClosedError, InvalidArgumentError, isFromUserCode, NotFoundError, NotOpenError, OpslogError, ReadOnlyError, toIoError } from "./errors.js";
import { archiveRecords, chooseArchived, loadArchive } from "./engine/archiver.js";
import { Engine } from "./engine/engine.js";
import { Follower, tailOf, type TailSource } from "./engine/follower.js";
import { WarmUp } from "./engine/warm-up.js";
import { compensation, reapplication, type Change } from "./model/operation.js";
import { checkFunction, checkId, checkMeta, toStoredRecord } from "./model/value.js";
import { recordAt } from "./model/raw-record.js";
import { allRecords, countRecords, filterRecords } from "./model/record-scan.js";
import type { Storage, StorageResolver } from "./storage/port.js";
import type {
  Operation,
  OperationOptions,
  Overwritten,
  StoreOptions,
  StoreStats,
  SubscribeOptions,
  UpdateOptions,
  WatchOptions,
} from "./types.js";
import { intentOf, sharedOf, sharedRevert, type RevertCheck } from "./store-shared.js";
import type { WriteIntent } from "./engine/write-queue.js";
import { changeFeed } from "./engine/change-feed.js";
import {
  archiveOf,
  asIoError,
  checkMigrationPersisted,
  errorSummary,
  checkWatchOptions,
  engineOptions,
  feedStart,
  readingHistory,
  readingOps,
  withoutBatch,
} from "./store-support.js";
import { resolvePoint, type HistoryPoint } from "./util/time.js";
import { iterateOps, opsOf, opsSince, type OpsQuery } from "./engine/history-query.js";
import { viewAt } from "./engine/time-travel.js";
import type { StoreView } from "./view.js";
import { checkArchiveName, defaultArchiveSegment, checkOpenOptions } from "./store-options.js";
import { StoreQueries } from "./store-query.js";
import { assert } from "./util/assert.js";
import type { FindQuery, FindResult, Filter, QueryPlan } from "./query/types.js";
import { checkChanges, validated } from "./model/schema-check.js";
import type { StandardSchemaV1 } from "./model/standard-schema.js";

/**
 * An id → document store backed by a durable operation log (SPEC §1). This class checks state
 * and arguments and turns misuse into typed errors; the engine does the work. It knows storage
 * only through the port: a path given to open() is turned into a storage by the resolver the
 * package entry point (index.ts) passes in, files by default.
 */
export class Store<T = Record<string, unknown>> {
  private engine: Engine | undefined;
  private phase: "new" | "opening" | "open" | "closed" = "new";
  private readOnly = false;
  /** Parses records left as text at open in idle slices (engine/warm-up.ts). */
  private warmUp: WarmUp | undefined;
  /** undefined: when the storage says it is worth it (Checkpointer.wantedOnClose). */
  private checkpointOnClose: boolean | undefined;
  private batchOps: Operation[] | undefined;
  private batchMeta: Record<string, unknown> | undefined;
  /** Per operation of the batch being built: its expectedVersion (shared storages). */
  private batchExpected: (number | undefined)[] = [];
  private closing: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  /** Ends every change feed at close(). */
  private readonly feeds = new AbortController();
  private follower: Follower | undefined;
  /** Declared indexes and find() (store-query.ts). */
  private queries: StoreQueries | undefined;
  /** Every write must pass it (options.schema); undefined: no schema. */
  private schema: StandardSchemaV1 | undefined;

  constructor(private readonly resolveStorage?: StorageResolver) {}

  /**
   * Opens a directory (a path: files, the default storage) or any storage (`new
   * MemoryStorage()`, a third-party adapter): the one argument that picks where data lives.
   */
  async open(target: string | Storage, options: StoreOptions<T> = {}): Promise<void> {
    if (this.phase !== "new") {
      throw new InvalidArgumentError(`open() was already called on this Store (it is ${this.phase})`);
    }
    checkOpenOptions(options as StoreOptions<unknown>);
    const storage = this.storageFor(target, options);
    const tail = options.follow === true ? tailOf(storage) : undefined;
    this.phase = "opening";
    this.opening = this.openNow(storage, options, tail);
    return this.opening;
  }

  private async openNow(storage: Storage, options: StoreOptions<T>, tail: TailSource | undefined): Promise<void> {
    let engine: Engine | undefined;
    let queries: StoreQueries | undefined;
    try {
      // The indexes are built before the checkpoint at open can persist a migration, so a
      // migration that breaks a unique index fails the open with the store unchanged.
      const recovered = (opened: Engine): void => void (queries = StoreQueries.open(opened, options.indexes));
      engine = await Engine.open(storage, { ...engineOptions(options), recovered });
      await engine.checkpointer.idle();
      checkMigrationPersisted(engine);
      assert(queries !== undefined, "an opened engine has its indexes");
    } catch (error) {
      this.phase = "new";
      // A failed open releases everything it took (the lock, open files).
      await engine?.close().catch(() => undefined);
      throw error instanceof OpslogError || isFromUserCode(error) ? error : toIoError(`opening ${storage.location}`, error);
    }
    this.engine = engine;
    this.queries = queries;
    this.readOnly = options.readOnly === true;
    this.checkpointOnClose = options.checkpointOnClose;
    this.schema = options.schema;
    if (tail) this.follower = new Follower(tail, engine);
    if (options.warmUp !== false) {
      this.warmUp = new WarmUp(engine.table, undefined, () => engine.lastSeq);
      this.warmUp.start();
    }
    this.phase = "open";
  }

  /** `await using store = …`: the store closes itself when the scope ends. */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.phase === "new") return Promise.resolve(); // Never opened, or its open failed.
    return this.close();
  }

  private storageFor(target: string | Storage, options: StoreOptions<T>): Storage {
    if (typeof target === "string") {
      if (target === "") throw new InvalidArgumentError("dir must be a non-empty path");
      if (!this.resolveStorage) throw new InvalidArgumentError("this Store has no default storage: pass one to open()");
      return this.resolveStorage(target, options as Readonly<Record<string, unknown>>);
    }
    if (typeof target !== "object" || target === null || typeof target.open !== "function") {
      throw new InvalidArgumentError("open() takes a directory path or a Storage");
    }
    return target;
  }

  /**
   * Every call resolves only once the store is closed: nothing it started runs any more. Called
   * while open() runs, it waits for it and then closes (or resolves when the open failed).
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.phase === "opening") {
      this.closing = this.opening!.then(
        () => this.closeNow(),
        () => {
          this.closing = undefined; // Nothing was opened; a later open() gets its own close().
        },
      );
      return this.closing;
    }
    this.closing = this.closeNow();
    return this.closing;
  }

  private closeNow(): Promise<void> {
    const engine = this.open_();
    this.phase = "closed";
    this.warmUp?.stop();
    this.feeds.abort();
    this.queries?.close();
    return this.closeEngine(engine);
  }

  private async closeEngine(engine: Engine): Promise<void> {
    let failure: unknown;
    await this.follower?.stop(); // Never fails: a follower keeps its failures to itself.
    try {
      // After a failed write nothing is known about the log file: write nothing more.
      if (this.checkpointOnClose !== false && !this.readOnly && engine.writeFailure() === undefined) {
        await engine.queue.flush();
        // Nothing new since the snapshot: nothing to write. By default, only when the log since
        // it would slow the next open more than writing a snapshot costs now.
        if (this.checkpointOnClose === true || engine.checkpointer.wantedOnClose()) {
          await engine.checkpointer.checkpoint(false);
        }
      }
    } catch (error) {
      failure = error;
    }
    try {
      // Also after a failed checkpoint: the lock and the files are released; the data is in the log.
      await engine.close();
    } catch (error) {
      failure ??= error;
    }
    if (failure !== undefined) throw asIoError("closing the store", failure);
  }

  get(id: string): T | undefined {
    const records = this.open_().records;
    return recordAt(records, id) as T | undefined;
  }

  has(id: string): boolean {
    return this.open_().records.has(id);
  }

  all(): T[] {
    return allRecords(this.open_().records) as T[];
  }

  /** Every id, in the order of entries(), without reading a record (no parse of stored text). */
  ids(): string[] {
    return Array.from(this.open_().records.keys());
  }

  entries(): [string, T][] {
    const records = this.open_().records;
    return Array.from(records, ([id, value]) => [id, recordAt(records, id, value)]) as [string, T][];
  }

  filter(predicate: (value: T, id: string) => boolean): T[] {
    const records = this.open_().records;
    checkFunction(predicate, "predicate");
    return filterRecords(records, predicate as (value: unknown, id: string) => boolean) as T[];
  }

  /** The number of records; of those a predicate accepts; or of those a filter matches. */
  count(predicate?: ((value: T, id: string) => boolean) | Filter<T>): number {
    const records = this.open_().records;
    if (predicate === undefined) return records.size;
    if (typeof predicate !== "function") return this.queries_().queries.count(predicate);
    checkFunction(predicate, "predicate");
    return countRecords(records, predicate as (value: unknown, id: string) => boolean);
  }

  /**
   * The records a MongoDB filter matches, in `sort` order (then by id), a page of `limit` at a
   * time: `next` is the cursor of the page after (docs/QUERIES.md). Served by a declared index
   * when one fits; explain() says which.
   */
  find(query: FindQuery<T> = {}): FindResult<T> {
    return this.queries_().queries.find(query) as FindResult<T>;
  }

  /** Every record `query` matches, as [id, value], in order, read a page at a time. */
  iterate(query: Omit<FindQuery<T>, "limit"> = {}): IterableIterator<[string, T]> {
    return this.queries_().queries.iterate(query) as IterableIterator<[string, T]>;
  }

  /** How find() (or count(), with mode "count") serves `query`: the index, and what it read. */
  explain(query: FindQuery<T> = {}, mode: "find" | "count" = "find"): QueryPlan {
    if (mode !== "find" && mode !== "count") throw new InvalidArgumentError('explain mode must be "find" or "count"');
    return this.queries_().queries.explain(query, mode);
  }

  set(id: string, value: T, options: OperationOptions & { overwrite: true }): Promise<Overwritten<T>[]>;
  set(id: string, value: T, options?: OperationOptions): Promise<void>;
  set(id: string, value: T, options?: OperationOptions): Promise<void | Overwritten<T>[]> {
    const engine = this.writable("set");
    checkId(id);
    const data = toStoredRecord(this.schema ? validated(this.schema, value) : value);
    this.queries?.checkWrite(id, data);
    const meta = checkMeta(options?.meta);
    const intent = intentOf(engine, options);
    const failure = this.batchOps ? undefined : engine.writeFailure();
    if (failure) return Promise.reject(failure);
    return this.change(engine, meta ? { op: "set", id, data, meta } : { op: "set", id, data }, intent);
  }

  delete(id: string, options: OperationOptions & { overwrite: true }): Promise<Overwritten<T>[]>;
  delete(id: string, options?: OperationOptions): Promise<void>;
  delete(id: string, options?: OperationOptions): Promise<void | Overwritten<T>[]> {
    const engine = this.writable("delete");
    checkId(id);
    const meta = checkMeta(options?.meta);
    const intent = intentOf(engine, options);
    const failure = this.batchOps ? undefined : engine.writeFailure();
    if (failure) return Promise.reject(failure);
    if (!engine.records.has(id)) throw new NotFoundError(`Record ${JSON.stringify(id)} not found: cannot delete it`);
    return this.change(engine, meta ? { op: "delete", id, meta } : { op: "delete", id }, intent);
  }

  /**
   * The record's version: the seq of the last operation on it, 0 when it has no value; what
   * `expectedVersion` compares. Shared storages (PostgreSQL) only: other storages have one
   * writer, whose state is always current.
   */
  version(id: string): number {
    const engine = this.open_();
    checkId(id);
    return sharedOf(engine, "version()").versionOf(id);
  }

  /**
   * Writes `fn(current)` (undefined: deletes the record), calling `fn` again on the caught-up
   * value when another writer changed the record first (OPSLOG_CONFLICT), up to `retries`
   * times. `fn` must be pure: it may run more than once. Resolves with the value written.
   */
  async update(id: string, fn: (current: T | undefined) => T | undefined, options: UpdateOptions = {}): Promise<T | undefined> {
    this.outsideBatch("update");
    checkId(id);
    checkFunction(fn, "update function");
    const retries = options.retries ?? 10;
    if (!Number.isSafeInteger(retries) || retries < 0) {
      throw new InvalidArgumentError("retries must be a whole number ≥ 0");
    }
    const meta = checkMeta(options.meta);
    const opts = meta ? { meta } : {};
    for (let attempt = 0; ; attempt++) {
      const current = this.get(id);
      const next = fn(current);
      if (next instanceof Promise) throw new InvalidArgumentError("the update function must be synchronous");
      try {
        if (next !== undefined) await this.set(id, next, opts);
        else if (current !== undefined) await this.delete(id, opts);
        return next;
      } catch (error) {
        const conflict = error instanceof OpslogError && error.code === "OPSLOG_CONFLICT";
        if (!conflict || attempt >= retries) throw error;
      }
    }
  }

  /**
   * Calls that cannot run inside a batch callback throw there synchronously (not as a rejected
   * promise the synchronous callback could not await), so the batch rolls back.
   */
  batch(fn: () => void, options: OperationOptions & { overwrite: true }): Promise<Overwritten<T>[]>;
  batch(fn: () => void, options?: OperationOptions): Promise<void>;
  batch(fn: () => void, options?: OperationOptions): Promise<void | Overwritten<T>[]> {
    this.outsideBatch("batch");
    return this.runBatch(fn, options);
  }

  private async runBatch(fn: () => void, options?: OperationOptions): Promise<void | Overwritten<T>[]> {
    const engine = this.writable("batch");
    checkFunction(fn, "batch callback");
    const meta = checkMeta(options?.meta);
    if (options?.expectedVersion !== undefined) {
      throw new InvalidArgumentError("expectedVersion applies to one record: pass it to set() or delete() inside the batch");
    }
    const overwrite = intentOf(engine, options).overwrite;
    this.batchOps = [];
    this.batchExpected = [];
    this.batchMeta = meta;
    let ops: Operation[];
    try {
      const result: unknown = fn();
      if (result instanceof Promise || (typeof result === "object" && result !== null && "then" in result)) {
        throw new InvalidArgumentError("the batch callback must be synchronous (it returned a promise)");
      }
    } catch (error) {
      engine.discard(this.batchOps);
      throw error;
    } finally {
      ops = this.batchOps;
      this.batchOps = undefined;
      this.batchMeta = undefined;
    }
    if (ops.length === 0) return overwrite ? [] : undefined;
    if (ops.length === 1) ops = [withoutBatch(ops[0]!)];
    const expected = this.batchExpected;
    return this.committed(engine, ops, expected.some((v) => v !== undefined) ? { overwrite, expected } : { overwrite });
  }

  undo(): Promise<boolean> {
    this.outsideBatch("undo");
    return this.undoNow();
  }

  private async undoNow(): Promise<boolean> {
    const engine = this.writable("undo");
    const check = this.revertCheck(engine);
    if (engine.shared) return sharedRevert(engine, "undo", () => this.writable("undo"), check);
    const unit = readingHistory(() => engine.history.peekUndo());
    if (!unit) return false;
    const changes: Change[] = [...unit].reverse().map(compensation);
    check.changes(changes);
    const ops = engine.apply(changes, undefined);
    check.applied(ops);
    await engine.commit(ops);
    return true;
  }

  redo(): Promise<boolean> {
    this.outsideBatch("redo");
    return this.redoNow();
  }

  private async redoNow(): Promise<boolean> {
    const engine = this.writable("redo");
    const check = this.revertCheck(engine);
    if (engine.shared) return sharedRevert(engine, "redo", () => this.writable("redo"), check);
    const unit = readingHistory(() => engine.history.peekRedo());
    if (!unit) return false;
    const changes = unit.map(reapplication);
    check.changes(changes);
    const ops = engine.apply(changes, undefined);
    check.applied(ops);
    await engine.commit(ops);
    return true;
  }

  getHistory(id: string): Operation<T>[] {
    const engine = this.open_();
    checkId(id);
    return readingHistory(() => opsOf(engine.history, id)) as Operation<T>[];
  }

  /** Operations strictly after `since` (ISO timestamp of any precision, Date, or seq). */
  getOps(since?: HistoryPoint): Operation<T>[] {
    const history = this.open_().history;
    return readingHistory(() => opsSince(history, since)) as Operation<T>[];
  }

  /** Walks the retained history lazily: `for await (const op of store.ops({ since, until, id }))`. */
  ops(query: OpsQuery = {}): AsyncIterable<Operation<T>> {
    const engine = this.open_();
    if (query.id !== undefined) checkId(query.id);
    if (query.since !== undefined) resolvePoint(query.since, "since");
    if (query.until !== undefined) resolvePoint(query.until, "until");
    return readingOps(iterateOps(engine.history, query, () => this.open_())) as AsyncIterable<Operation<T>>;
  }

  /**
   * The change feed: `for await (const op of store.watch({ since, id, signal }))` yields each
   * operation once it is durable, in seq order, never one that is later reverted. It ends
   * when `signal` aborts or the store closes (engine/change-feed.ts says what a slow consumer
   * costs: nothing; it reads what it missed from the log).
   */
  watch(options: WatchOptions = {}): AsyncIterable<Operation<T>> {
    const engine = this.open_();
    const { since, id, signal } = checkWatchOptions(options);
    // The start is fixed now, not at the first next(): "what comes after this call".
    const start = since === undefined ? { after: engine.durableSeq } : readingHistory(() => feedStart(engine, since));
    const stop = signal === undefined ? this.feeds.signal : AbortSignal.any([signal, this.feeds.signal]);
    const restarts = engine.restarts; // Fixed now too: a restart before the first next() counts.
    return readingOps(changeFeed(engine, { ...start, id, restarts }, stop)) as AsyncIterable<Operation<T>>;
  }

  /**
   * The callback form of watch(), for UI code: `const stop = store.subscribe((op) => …)`
   * calls `listener` for each durable operation and returns the function that ends it (the
   * shape React's useSyncExternalStore and most event APIs take).
   */
  subscribe(listener: (op: Operation<T>) => void, options: SubscribeOptions = {}): () => void {
    checkFunction(listener, "listener");
    const { onError, ...watchOptions } = options;
    if (onError !== undefined) checkFunction(onError, "onError");
    const controller = new AbortController();
    const feed = this.watch({ ...watchOptions, signal: controller.signal });
    void (async () => {
      try {
        for await (const op of feed) listener(op);
      } catch (error) {
        if (onError) onError(error);
        else queueMicrotask(() => {
          throw error;
        });
      }
    })();
    return () => controller.abort();
  }

  /** A read-only view of the state at a seq, an ISO timestamp or a Date. */
  at(point: HistoryPoint): Promise<StoreView<T>> {
    this.outsideBatch("at", ": a view shows committed state");
    return this.viewNow(point);
  }

  private async viewNow(point: HistoryPoint): Promise<StoreView<T>> {
    const engine = this.open_();
    return readingHistory(() => viewAt<T>(engine, point));
  }

  compact(): Promise<void> {
    this.outsideBatch("compact");
    return this.compactNow();
  }

  private async compactNow(): Promise<void> {
    const engine = this.writable("compact");
    await engine.checkpointer.checkpoint().catch((error: unknown) => {
      throw asIoError("compact()", error);
    });
  }

  flush(): Promise<void> {
    this.outsideBatch("flush");
    return this.flushNow();
  }

  private async flushNow(): Promise<void> {
    await this.open_().queue.flush();
  }

  archive(predicate: (value: T, id: string) => boolean, segment?: string): Promise<number> {
    this.outsideBatch("archive");
    return this.archiveNow(predicate, segment);
  }

  private async archiveNow(predicate: (value: T, id: string) => boolean, segment?: string): Promise<number> {
    const engine = this.writable("archive");
    const archive = archiveOf(engine.storage);
    checkFunction(predicate, "predicate");
    const name = segment === undefined ? defaultArchiveSegment(new Date(engine.nowMs())) : segment;
    checkArchiveName(name);
    // Chosen and applied now, in call order; the commit queue orders the file writes. The
    // predicate's own exceptions reach the caller as they are (as in filter()).
    const moving = chooseArchived(engine.records, predicate as (value: unknown, id: string) => boolean);
    const run = archiveRecords(engine, archive, moving, name);
    return run.catch((error: unknown) => {
      throw asIoError("archive()", error);
    });
  }

  async loadArchive(segment: string): Promise<Map<string, T>> {
    const engine = this.open_();
    checkArchiveName(segment);
    try {
      return loadArchive(archiveOf(engine.storage), segment) as Map<string, T>;
    } catch (error) {
      throw asIoError("loadArchive()", error);
    }
  }

  listArchiveSegments(): string[] {
    return (this.open_().storage.archive?.list() ?? []).map((segment) => segment.name);
  }

  stats(): StoreStats {
    const engine = this.open_();
    const archive = engine.storage.archive?.list() ?? [];
    const usage = engine.storage.usage();
    const stats: StoreStats = {
      activeRecords: engine.records.size,
      // Operations since the last checkpoint's log boundary, not yet in a checkpoint.
      opsCount: engine.checkpointer.pendingOps,
      archiveSegments: archive.length,
      archivedRecords: archive.reduce((sum, segment) => sum + segment.records, 0),
      seq: engine.lastSeq,
      formatVersion: usage.formatVersion ?? 1,
      historyOps: engine.lastSeq - engine.history.oldestSeq + 1,
      historyBytes: usage.historyBytes,
    };
    if (engine.repair) stats.repair = engine.repair;
    const followError = errorSummary("following the writer", this.follower?.lastError ?? engine.sharedFollowError);
    if (followError) stats.followError = followError;
    const checkpointError = errorSummary("a background checkpoint", engine.checkpointer.lastError);
    if (checkpointError) stats.checkpointError = checkpointError;
    return stats;
  }

  private change(engine: Engine, change: Change, intent: WriteIntent): Promise<void | Overwritten<T>[]> {
    if (this.batchOps) {
      if (intent.overwrite !== undefined) {
        throw new InvalidArgumentError("overwrite applies to a whole batch: pass it to batch()");
      }
      const first = this.batchOps[0]?.seq ?? engine.lastSeq + 1;
      this.batchOps.push(engine.applyOne(change, first, this.batchMeta));
      this.batchExpected.push(intent.expected?.[0]);
      return Promise.resolve();
    }
    return this.committed(engine, engine.apply([change], undefined), intent);
  }

  /** Commits; with `overwrite`, resolves with what was overwritten ([] on a single writer). */
  private async committed(engine: Engine, ops: Operation[], intent: WriteIntent): Promise<void | Overwritten<T>[]> {
    const result = await engine.commit(ops, undefined, intent);
    if (intent.overwrite !== true) return undefined;
    return (result ?? []) as Overwritten<T>[];
  }

  private outsideBatch(operation: string, why = ""): void {
    if (this.batchOps) {
      throw new InvalidArgumentError(`${operation}() cannot be called inside a batch callback${why}`);
    }
  }

  /** The checks of an undo or redo: the schema on its values, unique indexes on the result. */
  private revertCheck(engine: Engine): RevertCheck {
    const schema = this.schema;
    return {
      changes: (changes) => checkChanges(schema, changes),
      applied: (ops) => this.queries?.checkApplied(engine, ops),
    };
  }

  private queries_(): StoreQueries {
    this.open_();
    return this.queries!;
  }

  private open_(): Engine {
    if (this.phase === "closed") throw new ClosedError();
    if (this.phase !== "open" || !this.engine) throw new NotOpenError();
    return this.engine;
  }

  private writable(operation: string): Engine {
    const engine = this.open_();
    if (this.readOnly) throw new ReadOnlyError(operation);
    if (this.batchOps && operation !== "set" && operation !== "delete") {
      throw new InvalidArgumentError(`${operation}() cannot be called inside a batch callback`);
    }
    if (operation !== "set" && operation !== "delete") {
      const failure = engine.writeFailure();
      if (failure) throw failure;
    }
    return engine;
  }
}
