import { ConflictError, toIoError } from "../errors.js";
import type { Operation, WriteMode } from "../types.js";
import { assert } from "../util/assert.js";
import type { CommitResult, Storage, WriteGroup } from "../storage/port.js";

/** The part of the storage port the commit queue needs. */
export type CommitTarget = Pick<Storage, "commit">;

/** What the queue tells its owner. */
export interface CommitListener {
  /** Called with the seq of the first operation that did not become durable. */
  onFailure(fromSeq: number, error: unknown): void;
  /** Operations just made durable, in seq order (the change feed starts here). */
  onDurable(ops: readonly Operation[]): void;
  /** The queue ran dry: everything enqueued so far is durable (or failed). */
  onIdle(): void;
}

/** Operations gathered into one group before a write is forced, in "group" and "async" modes. */
export const groupOpsMax = 8192;

const noBatches: ReadonlyMap<number, number> = new Map();

/** Promise.withResolvers (Node ≥ 22), spelled out for Node 20. */
function settlers(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

interface Item {
  ops: readonly Operation[];
  batchSize: number | undefined;
  /** A checkpoint boundary after every earlier item (WriteGroup.checkpointAt): `ops` is empty. */
  checkpointAt?: number;
  /**
   * Work that must finish before the item's operations are written, started only once every
   * earlier item is durable (the archive file is written, then the deletes).
   */
  task?: { run: () => Promise<unknown>; started: boolean; done: boolean; error?: unknown };
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Serialises mutations into the log in call order and group-commits them: everything that
 * arrives while the previous write and sync run goes out in one write and one sync
 * (SPEC §2.1). In "async" mode promises resolve at once and durability follows within
 * `groupCommitMs`; a failure then poisons the queue.
 */
export class CommitQueue {
  private items: Item[] = [];
  private timer: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | undefined;
  private failure: unknown;
  private idleWaiters: (() => void)[] = [];
  /** Seq of the last operation written and synced. */
  private durable: number;
  /** An asynchronous commit (a storage without synchronousCommit) has not settled yet. */
  private inFlight = false;

  constructor(
    private readonly storage: CommitTarget,
    durableSeq: number,
    private readonly mode: WriteMode,
    private readonly groupCommitMs: number,
    private readonly listener: CommitListener,
  ) {
    this.durable = durableSeq;
  }

  get durableSeq(): number {
    return this.durable;
  }

  get failed(): unknown {
    return this.failure;
  }

  get pending(): number {
    return this.items.length;
  }

  enqueue(ops: readonly Operation[], batchSize: number | undefined, task?: () => Promise<unknown>): Promise<void> {
    assert(ops.length > 0, "enqueue of no operations");
    assert(ops[ops.length - 1]!.seq === ops[0]!.seq + ops.length - 1, "a unit's seqs are contiguous");
    assert(batchSize === undefined || batchSize === ops.length, "a batch is enqueued whole");
    const fields = task ? { ops, batchSize, task: { run: task, started: false, done: false } } : { ops, batchSize };
    const promise = this.push(fields);
    if (this.mode !== "async") return promise;
    promise.catch(() => undefined); // Reported through `failed` and the next call instead.
    return Promise.resolve();
  }

  /**
   * Tells the storage, once every operation enqueued so far is durable and before any later one
   * is handed over, that a checkpoint at `seq` follows (files seal their active segment there).
   */
  checkpointBoundary(seq: number): Promise<void> {
    return this.push({ ops: [], batchSize: undefined, checkpointAt: seq });
  }

  /** Resolves when everything enqueued so far is durable (rejects if that failed). */
  flush(): Promise<void> {
    if (this.items.length === 0) return Promise.resolve();
    const last = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.schedule(true);
    return last.then(() => {
      if (this.failure !== undefined) throw this.failure;
    });
  }

  private push(fields: Omit<Item, "resolve" | "reject">): Promise<void> {
    const { promise, resolve, reject } = settlers();
    const item: Item = { ops: fields.ops, batchSize: fields.batchSize, checkpointAt: fields.checkpointAt, task: fields.task, resolve, reject };
    this.items.push(item);
    // A boundary waits for nothing: it only orders itself after the operations before it.
    this.schedule(this.items.length >= groupOpsMax || item.checkpointAt !== undefined);
    return promise;
  }

  private schedule(now: boolean): void {
    if (this.inFlight) return; // The settling commit runs the queue again.
    if (this.timer !== undefined && !now) return;
    if (this.timer !== undefined) this.cancelTimer();
    if (now || this.mode === "immediate") {
      this.timer = { immediate: setImmediate(() => this.run()) };
    } else {
      this.timer = { timeout: setTimeout(() => this.run(), this.groupCommitMs) };
    }
  }

  private cancelTimer(): void {
    // Each kind must be cleared by its own function: clearImmediate on a Timeout corrupts
    // Node's count of pending immediates and later immediates never run.
    if (this.timer && "timeout" in this.timer) clearTimeout(this.timer.timeout);
    else if (this.timer) clearImmediate(this.timer.immediate);
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    while (this.items.length > 0 && !this.inFlight) {
      const task = this.items[0]!.task;
      if (task && !task.started) this.start(task);
      if (task && !task.done) return; // Scheduled again when the task settles.
      if (task?.error !== undefined) return this.fail(toIoError("writing the archive", task.error));
      const head = this.items[0]!;
      if (head.checkpointAt !== undefined) {
        this.boundaryNow(head);
        continue;
      }
      if (!this.writeGroup()) return;
    }
    if (this.inFlight) return;
    this.listener.onIdle();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Commits the leading items up to a boundary or a gate; false after a failure. */
  private writeGroup(): boolean {
    let end = 0;
    while (end < this.items.length) {
      const item = this.items[end]!;
      if (item.checkpointAt !== undefined || (end > 0 && item.task)) break;
      end++;
    }
    const group = this.items.slice(0, end);
    const ops = group.length === 1 ? group[0]!.ops : group.flatMap((item) => item.ops);
    assert(ops.length > 0, "a group holds operations (boundaries go alone)");
    assert(ops[0]!.seq === this.durable + 1, "a group starts right after the durable log");
    let sizes: Map<number, number> | undefined;
    for (const item of group) {
      if (item.batchSize !== undefined) (sizes ??= new Map()).set(item.ops[0]!.seq, item.batchSize);
    }
    let result: CommitResult | Promise<CommitResult>;
    try {
      if (this.failure !== undefined) throw this.failure;
      result = this.storage.commit({ ops, batchSizes: sizes ?? noBatches, base: this.durable });
    } catch (error) {
      this.fail(toIoError("writing the log", error));
      return false;
    }
    if (!(result instanceof Promise)) return this.settled(result, end, group, ops);
    // A storage without synchronous commit: nothing more is handed over until this settles.
    this.inFlight = true;
    result.then(
      (outcome) => this.resume(() => this.settled(outcome, end, group, ops)),
      (error: unknown) => this.resume(() => this.fail(toIoError("writing the log", error))),
    );
    return false;
  }

  private resume(settle: () => unknown): void {
    this.inFlight = false;
    settle();
    this.schedule(true);
  }

  private settled(result: CommitResult, end: number, group: Item[], ops: readonly Operation[]): boolean {
    if (result !== undefined) {
      this.fail(conflictError(result));
      return false;
    }
    return this.committed(end, group, ops);
  }

  private committed(end: number, group: Item[], ops: readonly Operation[]): boolean {
    assert(this.items[0] === group[0], "the committed group is at the head of the queue");
    this.items.splice(0, end);
    const last = ops[ops.length - 1]!.seq;
    assert(last > this.durable, "durable seq strictly increases");
    this.durable = last;
    this.listener.onDurable(ops);
    for (const item of group) item.resolve();
    return true;
  }

  private boundaryNow(item: Item): void {
    assert(item.ops.length === 0, "a boundary carries no operations");
    assert(item.checkpointAt === this.durable, "a boundary follows the durable log");
    const group: WriteGroup = { ops: [], batchSizes: noBatches, base: this.durable, checkpointAt: this.durable };
    this.items.shift();
    // A failed boundary leaves the old segment active; writes go on there.
    const failed = (error: unknown) => item.reject(toIoError("sealing the log segment", error));
    let result: CommitResult | Promise<CommitResult>;
    try {
      if (this.failure !== undefined) throw this.failure;
      result = this.storage.commit(group);
    } catch (error) {
      failed(error);
      return;
    }
    // A conflict here: another writer moved the head, so no checkpoint may sit at this seq.
    const settle = (outcome: CommitResult) => (outcome === undefined ? item.resolve() : item.reject(conflictError(outcome)));
    if (!(result instanceof Promise)) return settle(result);
    this.inFlight = true;
    result.then(
      (outcome) => this.resume(() => settle(outcome)),
      (error: unknown) => this.resume(() => failed(error)),
    );
  }

  private start(task: NonNullable<Item["task"]>): void {
    task.started = true;
    const settle = (error?: unknown) => {
      task.done = true;
      if (error !== undefined) task.error = error;
      this.schedule(true);
    };
    try {
      if (this.failure !== undefined) throw this.failure;
      task.run().then(() => settle(), (error: unknown) => settle(error ?? new Error("task failed")));
    } catch (error) {
      settle(error);
    }
  }

  /** Nothing from the first pending item on became durable: undo it in memory, reject all. */
  private fail(error: unknown): void {
    const failed = this.items;
    this.items = [];
    const first = failed.find((item) => item.ops.length > 0);
    if (this.mode === "async" && this.failure === undefined) this.failure = error;
    try {
      if (first) this.listener.onFailure(first.ops[0]!.seq, error);
    } finally {
      for (const item of failed) item.reject(error);
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function conflictError(result: NonNullable<CommitResult>): ConflictError {
  return new ConflictError(
    `another writer committed first (the store is at seq ${result.conflict.head}); nothing of this write was stored`,
  );
}
