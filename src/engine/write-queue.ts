import type { Operation } from "../types.js";

/** What a write wants beyond its operations (shared storages; see storage/shared-port.ts). */
export interface WriteIntent {
  /** Last-writer-wins for the unit: stale bases do not stop it (shared storages only). */
  overwrite?: boolean;
  /** Per operation: the version the record must have (0: absent), or undefined. */
  expected?: readonly (number | undefined)[];
}

/** A record a last-writer-wins write replaced although its writer had not seen that value. */
export interface OverwrittenRecord {
  id: string;
  /** The value replaced (undefined: there was none) and its version. */
  value: unknown;
  version: number;
}

/**
 * The write path's queue, as the engine and the store use it: CommitQueue for a storage with
 * one writer, SharedQueue for a log many writers share.
 */
export interface WriteQueue {
  /** Seq of the last operation known durable (and, shared, applied in global order). */
  readonly durableSeq: number;
  /** An earlier failure that stops every later write ("async" mode), or undefined. */
  readonly failed: unknown;
  /** Units not settled yet. */
  readonly pending: number;
  /** Queues a unit applied in memory; resolves once durable (shared: with what it overwrote). */
  enqueue(
    ops: readonly Operation[],
    batchSize: number | undefined,
    task?: () => Promise<unknown>,
    intent?: WriteIntent,
  ): Promise<void | OverwrittenRecord[]>;
  checkpointBoundary(seq: number): Promise<void>;
  /** Resolves when everything enqueued so far is settled. */
  flush(): Promise<void>;
}
