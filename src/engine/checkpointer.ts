import type { StacksState } from "../model/undo-stacks.js";
import type { RecordList, Storage } from "../storage/port.js";
import { assert } from "../util/assert.js";

/**
 * When to checkpoint: after `threshold` operations (the original option), or "adaptive": when
 * the storage says enough was written since the last checkpoint (files: the log since the
 * snapshot reaches twice the snapshot and 16 MiB, so the total bytes all checkpoints write stay
 * proportional to the data written, never quadratic). "off" never does.
 */
export type CheckpointPolicy = { kind: "ops"; threshold: number } | { kind: "adaptive" } | { kind: "off" };

/** The state a checkpoint writes, taken synchronously. */
export interface StatePicture {
  ts: string | undefined;
  schemaVersion: number;
  stacks: StacksState;
  records: RecordList;
}

/** What the checkpointer needs from the engine: no more. */
export interface CheckpointSource {
  /** Seq of the last operation applied. */
  lastSeq(): number;
  /** Why nothing more may be written (an earlier failed write), or undefined. */
  writeFailure(): unknown;
  /** The state now (records are frozen: a shallow copy of the entries is a fixed picture). */
  capture(): StatePicture;
  /**
   * Once every operation through `seq` is durable, and before any later one is handed to the
   * storage, tells it that a checkpoint at `seq` follows.
   */
  boundary(seq: number): Promise<void>;
  /** A checkpoint at `seq` whose stacks were `stacks` is committed: forget and prune. */
  checkpointed(seq: number, stacks: StacksState): void;
}

export type CheckpointStorage = Pick<
  Storage,
  "writeCheckpoint" | "wantsCheckpoint" | "wantsCheckpointOnClose" | "idle"
>;

/** The state at one seq, taken synchronously, with the log boundary that follows it. */
interface Picture extends StatePicture {
  seq: number;
  /** Resolves once every operation through `seq` is durable and the boundary is set. */
  rolled: Promise<void>;
}

/** A unit of checkpointer work; jobs run strictly one after another. */
interface Job {
  /** Taken when the job was requested, or (undefined) when it starts. */
  picture: Picture | undefined;
  /** Started by a policy, not by a caller: may be abandoned for a newer one. */
  background: boolean;
  /** A caller asked for it (compact, close, an upgrade at open): write even with nothing new. */
  always: boolean;
  cancelled: boolean;
  /** Set while its snapshot streams out (background jobs only). */
  abort?: AbortController;
}

/**
 * Runs checkpoints: set a log boundary once everything before it is durable, write the state at
 * that seq (the records are frozen, so a shallow copy of the map's entries is a consistent
 * picture while writers go on), then forget and prune. Every checkpoint, whoever starts it, runs
 * in one chain, one at a time, in the order requested, so a checkpoint never replaces a newer
 * one and retention never prunes past the checkpoint that is committed.
 */
export class Checkpointer {
  private chain: Promise<void> = Promise.resolve();
  /** Jobs requested and not yet finished. */
  private jobs = 0;
  /** A background job requested and not started yet: later requests join it. */
  private queued: Job | undefined;
  /** The background job streaming a snapshot out now, which a caller's checkpoint supersedes. */
  private streaming: Job | undefined;
  /** A pending upgrade, migration or repair: the next checkpoint writes even if nothing is new. */
  private force = false;
  private closed = false;
  /** The next seq after the last roll requested: operations since then are in the active log. */
  private rolledBefore: number;
  /** Seq of the newest committed snapshot: snapshots only move forward. */
  private committedSeq: number;
  /** Why the last background checkpoint or seal failed (shown in stats()); cleared by a success. */
  lastError: unknown;

  constructor(
    private readonly source: CheckpointSource,
    private readonly storage: CheckpointStorage,
    private readonly policy: CheckpointPolicy,
    private readonly readOnly: boolean,
    checkpointSeq: number,
  ) {
    this.committedSeq = checkpointSeq;
    this.rolledBefore = checkpointSeq + 1;
  }

  /** Operations since the last boundary: not yet in a checkpoint (stats().opsCount). */
  get pendingOps(): number {
    return Math.max(0, this.source.lastSeq() - this.rolledBefore + 1);
  }

  /** A follower learnt of a checkpoint another writer committed at `seq`. */
  observe(seq: number): void {
    assert(this.readOnly, "only a read-only store learns of checkpoints written elsewhere");
    this.rolledBefore = Math.max(this.rolledBefore, seq + 1);
    this.committedSeq = Math.max(this.committedSeq, seq);
  }

  /** With an explicit threshold, the N-th write since the last boundary takes its picture. */
  afterEnqueue(): void {
    if (this.policy.kind !== "ops") return;
    if (this.pendingOps >= this.policy.threshold) this.request(false, true);
  }

  afterCommit(): void {
    if (this.readOnly || this.closed || this.jobs > 0 || this.policy.kind !== "adaptive") return;
    if (this.storage.wantsCheckpoint()) this.request();
  }

  /**
   * Starts a checkpoint in the background, after any running one. `now`: take the picture (and
   * seal the log) at this call rather than when the checkpoint starts.
   */
  request(force = false, now = false): void {
    if (this.readOnly || this.closed) return;
    this.force ||= force;
    // `now`: the picture is taken (and the log sealed) at this call even behind running work. A
    // snapshot must sit exactly at a seal: history before it is read from sealed segments.
    if (this.queued) {
      if (now) this.queued.picture = this.take();
      return;
    }
    const job = this.job(now || this.jobs === 0);
    this.queued = job;
    this.submit(job);
  }

  /**
   * A checkpoint of everything written before this call, after any running one: always
   * (compact()), or only when there is something to fold in (close(): operations since the
   * snapshot, or a pending upgrade, migration or repair). Background work still queued or
   * streaming out is superseded by it.
   */
  checkpoint(always = true): Promise<void> {
    assert(!this.readOnly, "checkpoint of a read-only store");
    if (this.queued) this.queued.cancelled = true;
    this.queued = undefined;
    this.streaming?.abort?.abort(new Error("superseded by a newer checkpoint"));
    const job: Job = { picture: undefined, background: false, always, cancelled: false };
    job.picture = this.take(always);
    return this.submit(job);
  }

  /**
   * Whether close() with the default `checkpointOnClose` should checkpoint: a pending upgrade,
   * migration or repair must be written; otherwise the storage judges whether replaying the log
   * at the next open costs more than a snapshot now (fs-storage.ts).
   */
  wantedOnClose(): boolean {
    if (this.force) return true;
    return this.storage.wantsCheckpointOnClose?.() ?? true;
  }

  /** Resolves when every job requested so far has finished. */
  async idle(): Promise<void> {
    while (this.jobs > 0) await this.chain;
  }

  /** No new work is accepted; resolves when the work already requested has finished. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private job(pictureNow: boolean): Job {
    const job: Job = { picture: undefined, background: true, always: false, cancelled: false };
    if (pictureNow) job.picture = this.take();
    return job;
  }

  private submit(job: Job): Promise<void> {
    this.jobs++;
    const run = this.chain.then(() => this.run(job));
    this.chain = run.then(
      () => this.settle(job, undefined),
      (error: unknown) => this.settle(job, error),
    );
    return run;
  }

  private settle(job: Job, error: unknown): void {
    this.jobs--;
    assert(this.jobs >= 0, "checkpointer job count stays non-negative");
    if (!job.background) return;
    if (error === undefined) this.lastError = undefined;
    else if (!(job.abort?.signal.aborted ?? false) && !job.cancelled) this.lastError = error;
  }

  private async run(job: Job): Promise<void> {
    if (this.queued === job) this.queued = undefined;
    if (job.cancelled) return;
    const picture = job.picture ?? this.take(job.always);
    if (picture === undefined) return;
    await picture.rolled;
    if (job.background) job.abort = new AbortController();
    this.streaming = job;
    try {
      await this.writeSnapshot(picture, job.abort?.signal);
    } finally {
      this.streaming = undefined;
    }
    if (job.background) return;
    this.lastError = undefined;
    // A caller's checkpoint (compact) also waits for the storage's own follow-up work.
    await this.storage.idle?.();
  }

  private async writeSnapshot(picture: Picture, signal: AbortSignal | undefined): Promise<void> {
    assert(picture.seq >= this.committedSeq, "a checkpoint never replaces a newer one");
    const { seq, ts, schemaVersion, stacks, records } = picture;
    await this.storage.writeCheckpoint({ seq, ts, schemaVersion, stacks }, records, signal);
    this.committedSeq = seq;
    this.force = false;
    this.source.checkpointed(seq, stacks);
  }

  /**
   * The state now and a log boundary after it; undefined when there is nothing to write
   * (nothing since the last checkpoint and no pending upgrade), or writing is no longer safe.
   */
  private take(always = false): Picture | undefined {
    const source = this.source;
    if (source.writeFailure() !== undefined) return undefined; // After a failed write, nothing is known.
    const seq = source.lastSeq();
    if (seq === this.committedSeq && !always && !this.force) return undefined;
    assert(seq + 1 >= this.rolledBefore, "checkpoints set log boundaries at increasing seqs");
    const previous = this.rolledBefore;
    this.rolledBefore = seq + 1;
    const rolled = source.boundary(seq);
    // A boundary that failed set none: the operations since the one before are still pending.
    rolled.catch(() => {
      if (this.rolledBefore === seq + 1) this.rolledBefore = previous;
    });
    return { seq, ...source.capture(), rolled };
  }
}
