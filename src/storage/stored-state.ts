import type { StacksState } from "../model/undo-stacks.js";
import type { Operation, RepairReport } from "../types.js";

/* What open() returns (storage/port.ts), in a file of its own so that the shared port uses it too. */

/** What a storage holds when it is opened: the latest checkpoint plus the operations after it. */
export interface StoredState {
  /** Seq of the last committed operation. */
  head: number;
  checkpoint: StoredCheckpoint;
  /** Operations with checkpoint.seq < seq ≤ head, oldest first, whole batches, fresh objects. */
  ops: Operation[];
  /** Schema version of the values in `checkpoint.records` and `ops` (older data gets migrated). */
  schemaVersion: number;
  repair?: RepairReport;
  /** The data is in an older layout: the first checkpoint rewrites it. */
  needsCheckpoint: boolean;
  /**
   * Shared storages: the version (seq of the last operation) of every record in
   * `checkpoint.records`, for store.version() and expectedVersion.
   */
  versions?: Map<string, number>;
}

export interface StoredCheckpoint {
  /** The checkpoint shows the state after every operation with seq ≤ this (0: empty store). */
  seq: number;
  /** Timestamp of the operation at `seq`: new timestamps must come after it. */
  ts?: string;
  /** Undo/redo stacks as of `seq`. */
  stacks?: StacksState;
  /**
   * Records, as parsed (not yet frozen or migrated) or as model/raw-record RawRecord text. The
   * engine takes the Map over.
   */
  records: Map<string, unknown>;
}
