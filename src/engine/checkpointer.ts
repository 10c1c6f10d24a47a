import { recordList } from "../storage/port.js";
import type { Engine } from "./engine.js";

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

/** Which history to keep: everything, or at least the newest `ops` operations / `ms` of time. */
export type RetentionPolicy = "all" | { ops?: number; ms?: number };

/**
 * Runs checkpoints in the background: seal the active log segment once everything before it is
 * durable, stream a snapshot of the state at that seq (the records are frozen, so a shallow copy
 * of the map's entries is a consistent picture while writers go on), then commit the manifest.
 */
export class Checkpointer {
  private running: Promise<void> | undefined;
  private again = false;
  private force = false;
  /** Aborts the snapshot a background checkpoint is streaming out (a newer one replaces it). */
  private abort: AbortController | undefined;
  /** Why the last background checkpoint or seal failed (shown in stats()); cleared by a success. */
  lastError: unknown;

  constructor(
    private readonly engine: Engine,
    private readonly policy: CheckpointPolicy,
    private readonly retain: RetentionPolicy,
    private readonly readOnly: boolean,
  ) {}

  /** Operations since the last snapshot are the history still held in memory. */
  afterEnqueue(): void {
    const since = this.engine.history.recentCount;
    if (this.policy.kind === "ops" && since >= this.policy.threshold) this.request();
  }

  afterCommit(): void {
    if (this.running || this.readOnly) return;
    if (this.engine.storage.activeSegmentBytes() >= segmentBytesMax) this.sealSegment();
    if (this.policy.kind !== "adaptive") return;
    const sizes = this.engine.storage.sizes();
    const threshold = Math.max(adaptiveLogBytesMin, adaptiveLogToSnapshotRatio * sizes.snapshotBytes);
    if (sizes.logBytesSinceSnapshot >= threshold) {
      this.request();
    }
  }

  /** Starts a checkpoint in the background (or another after the running one). */
  request(force = false): void {
    if (this.readOnly) return;
    this.force ||= force;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
    this.running.catch(() => undefined);
  }

  /** Seals the active segment and compresses it in the background; no snapshot. */
  private sealSegment(): void {
    const engine = this.engine;
    this.running = engine.queue
      .roll(engine.lastSeq + 1)
      .then(() => engine.storage.compressSealed())
      .catch((error: unknown) => {
        this.lastError = error;
      })
      .finally(() => (this.running = undefined));
  }

  /**
   * A checkpoint of everything written before this call: always (compact()), or only when there
   * is something to fold in (close(): operations since the snapshot, or a pending upgrade,
   * migration or repair). A background snapshot still streaming out is abandoned rather than
   * finished: this one supersedes it.
   */
  async checkpoint(always = true): Promise<void> {
    this.again = false; // A queued background run would be superseded too.
    this.abort?.abort(new Error("superseded by a newer checkpoint"));
    await this.idle();
    await this.runOnce(always || this.force); // `force`: an abandoned run's upgrade or repair.
    this.force = false;
    this.lastError = undefined;
  }

  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const abort = (this.abort = new AbortController());
      try {
        await this.runOnce(this.force, abort.signal);
        this.force = false;
        this.lastError = undefined;
      } catch (error) {
        if (!abort.signal.aborted) this.lastError = error;
        return;
      } finally {
        this.abort = undefined;
      }
    } while (this.again);
  }

  private async runOnce(force: boolean, signal?: AbortSignal): Promise<void> {
    const engine = this.engine;
    const seq = engine.lastSeq;
    if (engine.history.recentCount === 0 && !force) return; // Nothing since the last snapshot.
    const ts = engine.lastTs;
    const stacks = engine.history.stacksState();
    const records = recordList(engine.state);
    await engine.queue.roll(seq + 1);
    await engine.storage.writeSnapshot({ seq, ts, schemaVersion: engine.schemaVersion, stacks }, records, signal);
    engine.history.forgetThrough(seq, stacks);
    this.applyRetention(seq);
    await engine.storage.compressSealed();
  }

  /** Prunes whole sealed segments the retention policy no longer needs (never past the snapshot). */
  private applyRetention(snapshotSeq: number): void {
    if (this.retain === "all") return;
    const engine = this.engine;
    let through = snapshotSeq;
    if (this.retain.ops !== undefined) through = Math.min(through, engine.lastSeq - this.retain.ops);
    if (this.retain.ms !== undefined) {
      const cutoff = new Date(Date.now() - this.retain.ms).toISOString();
      const old = engine.history.sealed().filter((s) => s.lastTs !== undefined && s.lastTs < cutoff);
      through = Math.min(through, old.length > 0 ? old[old.length - 1]!.lastSeq! : 0);
    }
    if (through < engine.history.oldestSeq) return;
    engine.storage.prune(through);
    engine.history.clip(engine.history.oldestSeq);
  }
}
