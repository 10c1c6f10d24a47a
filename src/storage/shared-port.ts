import type { Change } from "../model/operation.js";
import type { Operation } from "../types.js";
import type { StoredState } from "./stored-state.js";

/**
 * The part of the storage port for a log many writers share (docs/STORAGE.md, "Shared
 * storages"; PostgreSQL). A storage declaring `capabilities.shared` has a `shared` object with
 * these verbs, and the engine commits through it instead of `Storage.commit`.
 *
 * The storage, not the engine, orders commits: it assigns the gapless global seq, the `ts`
 * (strictly increasing in seq order, from one clock), the batch marker and the true `prev` (the
 * record's value just before the operation, whatever this writer believed). It checks each
 * unit's bases and stores a unit whole or not at all.
 */
export interface SharedLog {
  /**
   * How often (ms) the engine looks for other writers' commits besides wake-ups; 0: never (the
   * storage's onCommit wakes it on a timer of its own, or only on commits).
   */
  readonly pollMs: number;
  /**
   * Commits `request.units` in order, in one transaction: each unit whose bases hold is
   * stored, the others are not (a unit is a single change or a whole batch). Resolves only
   * after the transaction committed. A retry with the same `request.id` (after a lost
   * connection) resolves with the first outcome instead of committing twice. Rejects only
   * when nothing was stored (or the outcome could not be learnt: then with an error saying so).
   */
  commit(request: SharedCommit): Promise<SharedOutcome>;
  /**
   * Committed operations with seq > `afterSeq`, oldest first, without a gap, whole batches,
   * about `limit` at most (more to finish a batch); [] when there are none yet. Fresh objects
   * with fields in the order of types.ts Operation, at `schemaVersion`.
   */
  fetch(afterSeq: number, limit: number): Promise<FetchedOps>;
  /**
   * Calls `wake` when another writer may have committed (a hint such as NOTIFY: the engine also
   * polls with fetch, which is the truth). Returns the function that stops it.
   */
  onCommit(wake: () => void): () => void;
  /**
   * The state at the head now, as open() returns it (checkpoint at the head, versions), without
   * opening anything: for a writer that fell behind what retention pruned (fetch rejects with
   * OPSLOG_CONFLICT then) to start over from. Optional.
   */
  reload?(): Promise<StoredState>;
}

export interface SharedCommit {
  /** Idempotency key of this commit (unique per commit, reused by its retries). */
  id: string;
  /** Seq of the last operation the engine has applied: `outcome.ops` may start after it. */
  after: number;
  /** The schema version the writer's values are at: a store at another version refuses. */
  schemaVersion: number;
  units: SharedUnit[];
}

export interface SharedUnit {
  /** One change, or the changes of one batch (then every stored op gets `batch`). */
  changes: SharedChange[];
  /** Last-writer-wins for this unit: stale bases do not stop it; the outcome names them. */
  overwrite: boolean;
}

/** A change as the engine made it (model/operation.ts Change), with what it was based on. */
export type SharedChange = Change & { base: Base };

/**
 * What a change was based on:
 * - `seen`: the writer had applied every operation through this seq; the base is stale when
 *   the record's version (seq of the last operation on it) is greater;
 * - `version`: an explicit expectation (undo, redo, expectedVersion): stale unless the record's
 *   version (seq of the last operation on it, deletes included) is exactly this;
 * - `absent`: expectedVersion 0: stale when the record has a value;
 * - `chained`: an earlier change of this commit on the same id produced the value it saw; stale
 *   when that change was not stored.
 */
export type Base = { seen: number } | { version: number } | { absent: true } | { chained: true };

export interface SharedOutcome {
  /** The store's last seq once this commit is visible. */
  head: number;
  /** One per unit, in request order. */
  units: UnitOutcome[];
  /**
   * Optionally, the committed operations of every writer with `request.after` < seq ≤ `head`
   * (saves the engine a fetch); when absent the engine fetches them.
   */
  ops?: FetchedOps;
}

export type UnitOutcome =
  | {
      /** Seq of the unit's first stored operation. */
      seq: number;
      /** With `overwrite`: the changes whose base was stale, with what they replaced. */
      overwritten: Overwritten[];
    }
  | { conflict: Stale };

/** A record whose base was stale: its version and value now (undefined when absent). */
export interface Stale {
  id: string;
  version: number;
  value: unknown;
}

export interface Overwritten {
  id: string;
  /** The value replaced (undefined when absent) and the version it had. */
  value: unknown;
  version: number;
}

export interface FetchedOps {
  ops: Operation[];
  schemaVersion: number;
}
