import { recordList } from "../storage/port.js";
import { assert } from "../util/assert.js";
import type { Engine } from "./engine.js";
import { applyRetention, type RetentionPolicy } from "./retention.js";

export type { RetentionPolicy } from "./retention.js";

/** Log bytes since the last snapshot below which the adaptive policy never checkpoints. */
export const adaptiveLogBytesMin = 16 * 1024 * 1024;
/** The adaptive policy checkpoints when the log since the snapshot is this many times its size. */
export const adaptiveLogToSnapshotRatio = 2;

/**
 * An active segment larger than this is sealed (without a snapshot), so that history reads
 * (undo, getHistory, at) decompress and parse a bounded amount to reach any operation.
 */
export const segmentBytesMax = 8 * 1024 * 1024;

/**
 * When to checkpoint: after `threshold` operations (the original option), or "adaptive": when
 * the log written since the last snapshot reaches twice the snapshot (and 16 MiB), so that the
 * total bytes all checkpoints write stay proportional to the data written (never quadratic) and
 * a reopen replays at most twice the snapshot's bytes. "off" never does.
 */
export type CheckpointPolicy = { kind: "ops"; threshold: number } | { kind: "adaptive" } | { kind: "off" };

/** The state at one seq, taken synchronously, with the roll of the log that follows it. */
interface Picture {
  seq: number;
  ts: string | undefined;
  schemaVersion: number;
  stacks: ReturnType<Engine["history"]["stacksState"]>;
  records: ReturnType<typeof recordList>;
  /** Resolves once the log is sealed after `seq` (every operation through it is durable). */
  rolled: Promise<void>;
}

/** A unit of checkpointer work; jobs run strictly one after another. */
interface Job {
  kind: "checkpoint" | "seal";
  /** Taken when the job was requested, or (undefined) when it starts. */
  picture: Picture | undefined;
  /** A seal's roll of the log (a seal writes no snapshot, so it has no picture). */
  sealed?: Promise<void> | undefined;
  /** Started by a policy, not by a caller: may be abandoned for a newer one. */
  background: boolean;
  /** A caller asked for it (compact, close, an upgrade at open): write even with nothing new. */
  always: boolean;
  cancelled: boolean;
  /** Set while its snapshot streams out (background jobs only). */
  abort?: AbortController;
}

/**
 * Runs checkpoints: seal the active log segment once everything before it is durable, stream a
 * snapshot of the state at that seq (the records are frozen, so a shallow copy of the map's
 * entries is a consistent picture while writers go on), commit the manifest, then prune and
 * compress. Every checkpoint and seal, whoever starts it, runs in one chain, one at a time, in
 * the order requested, so a snapshot never replaces a newer one and retention never prunes past
 * the snapshot that is committed.
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
    private readonly engine: Engine,
    private readonly policy: CheckpointPolicy,
    private readonly retain: RetentionPolicy,
    private readonly readOnly: boolean,
    snapshotSeq: number,
  ) {
    this.committedSeq = snapshotSeq;
    this.rolledBefore = engine.storage.segments().at(-1)?.firstSeq ?? snapshotSeq + 1;
  }

  /** With an explicit threshold, the N-th write since the last roll seals the log at once. */
  afterEnqueue(): void {
    if (this.policy.kind !== "ops") return;
    if (this.engine.lastSeq - this.rolledBefore + 1 >= this.policy.threshold) this.request(false, true);
  }

  afterCommit(): void {
    if (this.readOnly || this.closed || this.jobs > 0) return;
    if (this.engine.storage.activeSegmentBytes() >= segmentBytesMax) this.submit(this.job("seal", false));
    if (this.policy.kind !== "adaptive" || this.jobs > 0) return;
    const sizes = this.engine.storage.sizes();
    const threshold = Math.max(adaptiveLogBytesMin, adaptiveLogToSnapshotRatio * sizes.snapshotBytes);
    if (sizes.logBytesSinceSnapshot >= threshold) this.request();
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
    const job = this.job("checkpoint", now || this.jobs === 0);
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
    const job: Job = { kind: "checkpoint", picture: undefined, background: false, always, cancelled: false };
    job.picture = this.take(always);
    return this.submit(job);
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

  private job(kind: Job["kind"], pictureNow: boolean): Job {
    const job: Job = { kind, picture: undefined, background: true, always: false, cancelled: false };
    if (kind === "checkpoint" && pictureNow) job.picture = this.take();
    if (kind === "seal" && this.engine.writeFailure() === undefined) {
      job.sealed = this.roll(this.engine.lastSeq, false);
    }
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
    if (job.kind === "seal") {
      if (job.sealed === undefined) return; // Not rolled: a write had failed.
      await job.sealed;
      return this.engine.storage.compressSealed();
    }
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
    if (!job.background) this.lastError = undefined;
  }

  private async writeSnapshot(picture: Picture, signal: AbortSignal | undefined): Promise<void> {
    const engine = this.engine;
    assert(picture.seq >= this.committedSeq, "a snapshot never replaces a newer one");
    const { seq, ts, schemaVersion, stacks, records } = picture;
    await engine.storage.writeSnapshot({ seq, ts, schemaVersion, stacks }, records, signal);
    this.committedSeq = seq;
    this.force = false;
    engine.history.forgetThrough(seq, stacks);
    applyRetention(engine, this.retain, seq);
    await engine.storage.compressSealed();
  }

  /**
   * The state now and a roll of the log after it; undefined when there is nothing to write
   * (nothing since the last snapshot and no pending upgrade), or writing is no longer safe.
   */
  private take(always = false): Picture | undefined {
    const engine = this.engine;
    if (engine.writeFailure() !== undefined) return undefined; // After a failed write, nothing is known.
    const seq = engine.lastSeq;
    if (seq === this.committedSeq && !always && !this.force) return undefined;
    const rolled = this.roll(seq, true);
    const picture: Picture = {
      seq,
      ts: engine.lastTs,
      schemaVersion: engine.schemaVersion,
      stacks: engine.history.stacksState(),
      records: recordList(engine.state),
      rolled,
    };
    return picture;
  }

  /** Queues a seal of the log after `seq`; a checkpoint's roll restarts the threshold count. */
  private roll(seq: number, forCheckpoint: boolean): Promise<void> {
    if (forCheckpoint) {
      assert(seq + 1 >= this.rolledBefore, "checkpoints seal the log at increasing seqs");
      this.rolledBefore = seq + 1;
    }
    const rolled = this.engine.queue.roll(seq + 1);
    rolled.catch(() => undefined); // A superseded picture's roll has no one waiting on it.
    return rolled;
  }
}
