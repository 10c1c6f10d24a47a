import { IoError } from "../../errors.js";
import { assert } from "../../util/assert.js";

/** What an injected fault does to one commit. */
export type CommitFault = { error: unknown } | { conflict: { head: number } };

/**
 * Fault injection for MemoryStorage, so that the engine's handling of failed and conflicting
 * commits is tested without files. Each fault is armed on one handle and consumed by it; an
 * injected error defaults to an OPSLOG_IO IoError naming the storage. A failed commit, checkpoint
 * or read stores and changes nothing.
 *
 * The `take…` methods are how the storage consumes faults; tests use only the verbs above them.
 */
export class MemoryFaults {
  private nextCommitError: unknown;
  private nextConflictHead: number | null | undefined;
  /** Commits still to succeed before the permanent failure (undefined: none armed). */
  private commitsBeforeDeath: number | undefined;
  private deathError: unknown;
  /** Set once the permanent failure struck: every later write fails with it. */
  private dead: { error: unknown } | undefined;
  private nextCheckpointError: unknown;
  private nextReadOpsError: unknown;
  private nextOpenError: unknown;
  private fetchFailures = 0;
  private loseOutcome = false;

  constructor(private readonly location: string) {}

  /** The next commit throws `error` (rejects, with asyncCommit) and stores nothing. */
  failNextCommit(error?: unknown): void {
    this.nextCommitError = error ?? this.injected("commit");
  }

  /**
   * A permanent failure, like a device that died: the `n`-th commit from now (1: the next) and
   * every write after it (commit, writeCheckpoint, archive.write) fail with `error`, and
   * checkWritable() throws it, across reopens, until clear(). Opening and reading still work.
   */
  failCommitsFrom(n: number, error?: unknown): void {
    assert(Number.isInteger(n), "failCommitsFrom(n) takes a whole number");
    assert(n >= 1, "failCommitsFrom(n) counts from 1, the next commit");
    this.commitsBeforeDeath = n - 1;
    this.deathError = error ?? this.injected("commit (permanent)");
  }

  /**
   * The next commit reports `{ conflict: { head } }` and stores nothing, as if another writer
   * had committed first. `head` defaults to the storage's head (nothing new to catch up on).
   * Allowed on an exclusive writer too: the engine does not assume that an exclusive writer
   * never conflicts, and this exercises its conflict path.
   */
  conflictNextCommit(head?: number): void {
    this.nextConflictHead = head ?? null;
  }

  /** The next writeCheckpoint rejects with `error`; the previous checkpoint stays the base. */
  failNextCheckpoint(error?: unknown): void {
    this.nextCheckpointError = error ?? this.injected("checkpoint");
  }

  /** The next readOps throws `error`. */
  failNextReadOps(error?: unknown): void {
    this.nextReadOpsError = error ?? this.injected("readOps");
  }

  /** The next open rejects with `error`, holding nothing (no writer lock). */
  failOpen(error?: unknown): void {
    this.nextOpenError = error ?? this.injected("open");
  }

  /** Shared logs: the next `count` fetches reject with an injected I/O error. */
  failNextFetches(count = 1): void {
    this.fetchFailures = count;
  }

  /**
   * Shared logs: the next commit is stored, but its call rejects as if the connection dropped
   * before the answer came (an unknown outcome): the engine learns it later from the log.
   */
  loseNextOutcome(): void {
    this.loseOutcome = true;
  }

  takeFetch(): unknown {
    if (this.fetchFailures === 0) return undefined;
    this.fetchFailures--;
    return this.injected("fetch");
  }

  takeLostOutcome(): boolean {
    const lose = this.loseOutcome;
    this.loseOutcome = false;
    return lose;
  }

  /** Disarms every fault and revives a storage that failed permanently. */
  clear(): void {
    this.nextCommitError = undefined;
    this.nextConflictHead = undefined;
    this.commitsBeforeDeath = undefined;
    this.deathError = undefined;
    this.dead = undefined;
    this.nextCheckpointError = undefined;
    this.nextReadOpsError = undefined;
    this.nextOpenError = undefined;
    this.fetchFailures = 0;
    this.loseOutcome = false;
  }

  /** Throws the permanent failure, once it struck. */
  checkAlive(): void {
    if (this.dead) throw this.dead.error;
  }

  /** The fault for the commit being made now, if any (consumes one-off faults). */
  takeCommit(head: number): CommitFault | undefined {
    this.checkAlive();
    if (this.commitsBeforeDeath !== undefined) {
      if (this.commitsBeforeDeath === 0) {
        this.dead = { error: this.deathError };
        this.commitsBeforeDeath = undefined;
        return { error: this.deathError };
      }
      this.commitsBeforeDeath--;
    }
    if (this.nextCommitError !== undefined) {
      const error = this.nextCommitError;
      this.nextCommitError = undefined;
      return { error };
    }
    if (this.nextConflictHead !== undefined) {
      const conflict = { head: this.nextConflictHead ?? head };
      this.nextConflictHead = undefined;
      return { conflict };
    }
    return undefined;
  }

  takeCheckpoint(): unknown {
    const error = this.nextCheckpointError;
    this.nextCheckpointError = undefined;
    return error;
  }

  takeReadOps(): unknown {
    const error = this.nextReadOpsError;
    this.nextReadOpsError = undefined;
    return error;
  }

  takeOpen(): unknown {
    const error = this.nextOpenError;
    this.nextOpenError = undefined;
    return error;
  }

  private injected(verb: string): IoError {
    return new IoError(`${this.location}: injected ${verb} failure`);
  }
}
