import type { StacksState } from "../model/undo-stacks.js";
import type { Operation } from "../types.js";
import type { SharedLog } from "./shared-port.js";
import type { StoredState } from "./stored-state.js";

export type { StoredCheckpoint, StoredState } from "./stored-state.js";

/**
 * The storage port (docs/STORAGE.md): the few verbs the engine needs, addressed by seq. Adapters
 * (storage/fs, storage/memory, third parties) are trusted with clean input: the engine validates
 * everything before it reaches them, and they assert their own invariants.
 *
 * Powers an adapter may lack are declared in `capabilities`, never assumed.
 */
export interface Storage {
  /** Where the data lives, for messages (a directory, "memory:name", a server URL). */
  readonly location: string;
  readonly capabilities: StorageCapabilities;
  /**
   * Recovers the stored state. A writer (not `readOnly`) also takes whatever makes it the only
   * writer when `exclusiveWriter` is declared, and trims a torn tail. A failed open holds nothing.
   *
   * One storage object serves one session at a time: open → close → it may be opened again.
   * A second handle on the same data (a reader beside a writer) is a second storage object. A
   * `readOnly` open of a location never written may open empty (memory) or reject with
   * OPSLOG_NOT_FOUND (files): both are allowed.
   */
  open(request: OpenRequest): Promise<StoredState>;
  /**
   * Makes a write group durable, in the order groups are handed over; the engine hands over the
   * next only once this one has finished. With `synchronousCommit`, it is durable when the call
   * returns (and the result is not a promise). A conflict means nothing of the group was stored.
   * A storage that is not an exclusive writer returns a conflict when its head is not
   * `group.base`. The engine does not assume that an exclusive writer never conflicts.
   */
  commit(group: WriteGroup): CommitResult | Promise<CommitResult>;
  /**
   * Exactly the retained operations with from ≤ seq ≤ to, oldest first. The range may start or
   * end inside a batch (History.get(seq) asks [seq, seq]): an adapter must not assert that it
   * falls on batch bounds. "Whole batches" describes what is stored and what open() and tail()
   * return, not readOps ranges. Operations whose values were written under an older schema
   * version come as fresh (unfrozen) objects in a chunk naming that version, so the engine can
   * migrate them once; frozen ones are ready.
   */
  readOps(from: number, to: number): OpsChunk[];
  /** Seq of the oldest retained operation (head + 1 when none is retained). */
  oldestSeq(): number;
  /**
   * Writes a checkpoint: the state after every operation with seq ≤ `meta.seq`, which becomes the
   * base of the next open. Never called with a seq older than the last checkpoint. An abort of
   * `signal` while it is written rejects with the signal's reason and leaves nothing behind.
   */
  writeCheckpoint(meta: CheckpointMeta, records: RecordList, signal?: AbortSignal): Promise<void>;
  /** Whether enough was written since the last checkpoint that one is worth its cost. */
  wantsCheckpoint(): boolean;
  /**
   * Whether close() should checkpoint when `checkpointOnClose` is left to its default: the log
   * since the last checkpoint would make the next open slower than writing one now costs.
   * Absent: always (the original's behaviour).
   */
  wantsCheckpointOnClose?(): boolean;
  /**
   * Drops retained history: operations with seq ≤ `throughSeq`, or as many of them as the
   * storage's units of keeping allow (whole log segments for files). The engine never asks
   * beyond the last checkpoint (`throughSeq` ≤ its seq), and an adapter may assert that.
   */
  applyRetention(throughSeq: number): void;
  /** Throws when an earlier failure means nothing more may be committed. */
  checkWritable(): void;
  /** Figures for stats(). */
  usage(): StorageUsage;
  /** Present when `capabilities.archive`. */
  readonly archive?: ArchiveStorage;
  /**
   * Present when `capabilities.shared`: many writers share the log, and the engine commits
   * through this (storage/shared-port.ts) instead of `commit`, and follows the other writers.
   */
  readonly shared?: SharedLog;
  /** Present when `capabilities.tail` (read-only stores only). */
  tail?(afterSeq: number, signal: AbortSignal): AsyncIterable<TailEvent>;
  /**
   * Resolves when background work the storage started on its own (files: compressing sealed
   * segments) has finished; compact() waits for it. Optional: a storage without any omits it.
   */
  idle?(): Promise<void>;
  /**
   * Waits for background work of its own, then releases everything: nothing the storage started
   * runs after it, and every call of it resolves. The engine calls it once nothing it asked for
   * is still running. That is all the port promises after close(): a verb called afterwards may
   * fail or not (files do not check), and the engine never calls one.
   */
  close(): Promise<void>;
}

export interface StorageCapabilities {
  /** commit() is durable when it returns: the engine needs no promise hop per write group. */
  readonly synchronousCommit: boolean;
  /**
   * A writer excludes every other writer (a lock), so commits do not conflict in practice; the
   * engine still handles a conflict if one is reported (fault injection).
   */
  readonly exclusiveWriter: boolean;
  /** archive() can move records out of the active state into named archive segments. */
  readonly archive: boolean;
  /** tail() follows operations another process commits (`open(…, { follow: true })`). */
  readonly tail: boolean;
  /**
   * Many writers share the log (`shared`): the storage assigns seq, ts and prev, and checks
   * each change's base. Optional for adapters written before it: absent means false.
   */
  readonly shared?: boolean;
}

export interface OpenRequest {
  readOnly: boolean;
  /** Keep the longest valid prefix of damaged data and move the rest aside (never delete). */
  repair: boolean;
  /** The schema version the program runs at (for a new store). */
  schemaVersion: number;
}

/**
 * One write group: whole batches, contiguous seqs, after the previous group. It carries no
 * schema version: after a migration at open, the engine writes a checkpoint at the new version
 * before it commits anything (Store.open fails if that checkpoint fails), so operations
 * committed after a checkpoint are at that checkpoint's schemaVersion.
 */
export interface WriteGroup {
  /** May be empty only when `checkpointAt` is set. */
  ops: readonly Operation[];
  /** Batch first seq → number of operations in it, for every batch in `ops`. */
  batchSizes: ReadonlyMap<number, number>;
  /**
   * Seq of the last operation the engine knows committed, which equals `ops[0].seq - 1` (and
   * `checkpointAt` in an empty group). A storage that is not an exclusive writer returns a
   * conflict when its head is not `base`.
   */
  base: number;
  /**
   * A checkpoint of the state at this seq (the last seq committed once this group is) will be
   * written next: a storage that keeps its log in stretches (files) starts a new one here.
   */
  checkpointAt?: number;
}

/** undefined: committed. A conflict: another writer committed first; nothing was stored. */
export type CommitResult = undefined | { conflict: { head: number } };

/** Operations read back from storage (see Storage.readOps). */
export interface OpsChunk {
  ops: readonly Operation[];
  schemaVersion: number;
}

export interface CheckpointMeta {
  seq: number;
  ts: string | undefined;
  schemaVersion: number;
  stacks: StacksState;
}

/** A fixed picture of records to write: `ids[i]` holds `values[i]`. */
export interface RecordList {
  readonly ids: readonly string[];
  readonly values: readonly unknown[];
}

/** A RecordList of a map's current entries (a consistent picture while the map changes). */
export function recordList(map: ReadonlyMap<string, unknown>): RecordList {
  const ids: string[] = [];
  const values: unknown[] = [];
  map.forEach((value, id) => {
    ids.push(id);
    values.push(value);
  });
  return { ids, values };
}

export interface StorageUsage {
  /** Bytes the retained history takes (0 when the storage cannot tell). */
  historyBytes: number;
  /** Version of the storage's own data format (stats().formatVersion); default 1. */
  formatVersion?: number;
}

export interface ArchiveStorage {
  /** Merges `records` into archive segment `name` durably; returns the records it now holds. */
  write(name: string, records: Iterable<[string, unknown]>): Promise<number>;
  /** The records of a segment (throws OPSLOG_INVALID_ARGUMENT naming it when there is none). */
  read(name: string): Map<string, unknown>;
  list(): { name: string; records: number }[];
}

/**
 * What a follower learns from tail(), in seq order:
 * - "ops": operations committed after the last ones reported, whole batches, fresh objects,
 *   at `schemaVersion`;
 * - "checkpoint": the writer checkpointed at `seq`; history up to it is readable by readOps;
 * - "reset": the follower fell behind what storage retains (or the history it read was
 *   replaced); it must start over from `state`.
 */
export type TailEvent =
  | { kind: "ops"; ops: Operation[]; schemaVersion: number }
  | { kind: "checkpoint"; seq: number }
  | { kind: "reset"; state: StoredState };

/** Builds the storage for `open(location)` when a program passes a path. */
export type StorageResolver = (location: string, options: Readonly<Record<string, unknown>>) => Storage;
