import type { IndexDeclarations } from "./query/types.js";
import type { StandardSchemaV1 } from "./model/standard-schema.js";

/** A JSON object of metadata kept with an operation: who made it and why. */
export type OperationMeta = Record<string, unknown>;

/** One logged operation, as returned by getHistory(), getOps() and ops(). */
export interface Operation<T = unknown> {
  /** Sequence number: a positive integer, one more than the operation before it. */
  seq: number;
  /** ISO 8601 UTC with microsecond precision, strictly increasing within a store. */
  ts: string;
  op: "set" | "delete";
  id: string;
  /** The new value, for sets. */
  data?: T;
  /** The value before this operation, or null when the record did not exist. */
  prev: T | null;
  /** Present on every operation of a multi-operation batch: the seq of its first operation. */
  batch?: number;
  meta?: OperationMeta;
  /** Set on a compensating operation appended by undo(): the seq it reverts. */
  undo?: number;
  /** Set on an operation appended by redo(): the seq it re-applies. */
  redo?: number;
  /** Set on the deletes that archive() appends: the archive segment the record moved to. */
  archive?: string;
}

export type WriteMode = "immediate" | "group" | "async";

export interface StoreOptions<T = unknown> {
  /**
   * Checkpoint (write a snapshot, seal the log segment) after this many operations.
   * Default: adaptive, a checkpoint when the log since the last snapshot
   * reaches twice the snapshot (and 16 MiB), which keeps checkpoint work linear in the data written.
   * 0 or Infinity turns automatic checkpoints off.
   */
  checkpointThreshold?: number;
  /**
   * Checkpoint when the store is closed. `true`: always (when anything is new); `false`: never.
   * Default: when the log since the last checkpoint is large enough that replaying it at the next
   * open costs more than writing a snapshot now (directories: 15 % of the snapshot's size
   * and at least 4 MiB; other storages: always), so that closing after a few writes to a large
   * store does not rewrite the whole snapshot.
   */
  checkpointOnClose?: boolean;
  /**
   * After open, parse the records a snapshot left as JSON text in idle slices of the event loop
   * (about 2 ms each, behind pending I/O), so that a long-running process reads at the speed
   * of parsed records. Default true. `false` keeps unread records as text: the least memory (a
   * parsed record takes about 1.5–2× its text), each parsed on its first read.
   */
  warmUp?: boolean;
  /** Schema version of the records. Default 1. */
  version?: number;
  /** Upgrades a stored record written under an older `version`. */
  migrate?: (record: unknown, fromVersion: number) => T;
  /** Open for reading only: no lock is taken, mutations throw OPSLOG_READ_ONLY. */
  readOnly?: boolean;
  /** Keep the longest valid prefix of damaged files and move the rest to quarantine/. */
  repair?: boolean;
  /** Durability of acknowledged writes; default "immediate". */
  writeMode?: WriteMode;
  /** Longest wait to gather a group ("group") or to make writes durable ("async"). Default 5. */
  groupCommitMs?: number;
  /**
   * History to keep: "all" (default), or at least the newest `ops` operations and/or `ms`
   * milliseconds of history; whole older log segments are pruned at checkpoints.
   */
  retain?: "all" | { ops?: number; ms?: number };
  /**
   * With readOnly: keep the state, history, at() and watch() current as a writer in another
   * process commits (storages that declare `tail`: files, memory). Default false.
   */
  follow?: boolean;
  /** Injected clock returning epoch microseconds, for tests. Default: Date.now() * 1000. */
  clock?: () => number;
  /**
   * Indexes to build at open and keep current, by name: `{ status: {}, byDue: { on: ["status",
   * "due"] }, email: { unique: true } }` (docs/QUERIES.md). find() and count(filter) use them.
   */
  indexes?: IndexDeclarations;
  /**
   * A Standard Schema v1 validator (zod, valibot, arktype…) that every write must pass, at the
   * call; its output is what is stored (docs/SCHEMA.md). Records already stored are not checked.
   */
  schema?: StandardSchemaV1<unknown, T>;
}

export interface OperationOptions {
  meta?: OperationMeta;
  /**
   * Shared storages (PostgreSQL): write only if the record's version (store.version(id)) is
   * still this; 0: only if it has no value. Otherwise the write fails with OPSLOG_CONFLICT.
   */
  expectedVersion?: number;
  /**
   * Shared storages: last-writer-wins for this write (a batch: pass it to batch()): it is
   * stored even when another writer changed a record since this store saw it, and the promise
   * resolves with the records it overwrote that way. The log still records the true `prev`.
   * Other storages have one writer, which never overwrites unseen changes: it resolves with [].
   */
  overwrite?: boolean;
}

/** A record a last-writer-wins write replaced without having seen its value. */
export interface Overwritten<T = unknown> {
  id: string;
  /** The value replaced (undefined: the record had none) and its version. */
  value: T | undefined;
  version: number;
}

export interface UpdateOptions {
  meta?: OperationMeta;
  /** How many times to call the function again after a conflict. Default 10. */
  retries?: number;
}

export interface RepairReport {
  /** Files whose damaged tail was moved aside. */
  quarantined: { file: string; offset: number; bytes: number; quarantineFile: string }[];
  /**
   * Set when damaged sealed history was moved to quarantine: the operations with
   * fromSeq ≤ seq ≤ toSeq are no longer in the history (getOps, undo, at() stop after toSeq).
   * The state is not affected: those operations are all in the snapshot.
   */
  lostHistory?: { fromSeq: number; toSeq: number };
}

export interface StoreStats {
  activeRecords: number;
  /** Operations not yet checkpointed. */
  opsCount: number;
  archiveSegments: number;
  archivedRecords: number;
  /** Sequence number of the last operation (0 for an empty store). */
  seq: number;
  formatVersion: number;
  /** Retained operations: what getOps() returns. */
  historyOps: number;
  /** Bytes the retained log segments take on disk. */
  historyBytes: number;
  /**
   * Set when the last background checkpoint failed (the data is safe in the log; the next
   * checkpoint retries). Cleared by a successful checkpoint.
   */
  checkpointError?: { code: string; message: string };
  /**
   * Set on a follower (`follow: true`) while following fails (it retries with a growing
   * pause; the state read stays as it was). Cleared once it makes progress again.
   */
  followError?: { code: string; message: string };
  /** What open({ repair: true }) did; undefined when it was not asked or found nothing. */
  repair?: RepairReport;
}

/** Where `store.watch()` starts and what it yields. */
export interface WatchOptions {
  /**
   * Yield operations strictly after this point: a seq, an ISO timestamp or a Date. Default:
   * the last durable operation when watch() is called (only what comes next). Pass the seq of
   * the last operation you handled to resume after a restart with no gap and no repeat.
   */
  since?: number | string | Date;
  /** Only operations on this record. */
  id?: string;
  /** Ends the iteration (normally, without an error) when aborted. */
  signal?: AbortSignal;
}

export interface SubscribeOptions extends Omit<WatchOptions, "signal"> {
  /**
   * Called with what ended the subscription early: the listener threw, or the history it
   * needed was pruned. Without it, the error is thrown where nothing can catch it (like an
   * EventEmitter "error" event with no listener).
   */
  onError?: (error: unknown) => void;
}
