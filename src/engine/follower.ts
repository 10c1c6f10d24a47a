import { setTimeout as sleep } from "node:timers/promises";
import { InvalidArgumentError } from "../errors.js";
import type { Storage, StoredState, TailEvent } from "../storage/port.js";
import type { Operation } from "../types.js";
import { assert } from "../util/assert.js";
import { sharedTail } from "./shared-tail.js";

/** First pause after a failed tail; it doubles with each failure in a row, up to the max. */
export const followRetryMsMin = 10;
export const followRetryMsMax = 2_000;

/** The part of the engine a follower drives (engine.ts: absorb, checkpointedElsewhere, restart). */
export interface FollowTarget {
  readonly lastSeq: number;
  absorb(ops: Operation[], schemaVersion: number): void;
  checkpointedElsewhere(seq: number): void;
  restart(stored: StoredState): void;
}

export type TailSource = (afterSeq: number, signal: AbortSignal) => AsyncIterable<TailEvent>;

/** The storage's tail, or OPSLOG_INVALID_ARGUMENT naming a storage that declares none. */
export function tailOf(storage: Storage): TailSource {
  const shared = storage.capabilities.shared === true ? storage.shared : undefined;
  if (shared) return (afterSeq, signal) => sharedTail(shared, afterSeq, signal);
  const tail = storage.tail;
  if (!storage.capabilities.tail || typeof tail !== "function") {
    throw new InvalidArgumentError(
      `follow: true needs a storage that can follow another process; the storage at ${storage.location} cannot (it declares no tail)`,
    );
  }
  return (afterSeq, signal) => tail.call(storage, afterSeq, signal);
}

/**
 * Keeps a read-only engine current with a writer in another process (`follow: true`): it
 * consumes the storage's tail from the engine's last seq and applies what it learns. A tail
 * that fails (an I/O error, damage the writer has not finished writing) is started again after
 * a pause, from wherever the engine got to, so nothing is missed or applied twice; the failure
 * never reaches a caller, who keeps reading the state as it was (stats().followError says why
 * it stands still). stop() ends it: nothing of it runs once stop() has resolved.
 */
export class Follower {
  private readonly controller = new AbortController();
  private readonly running: Promise<void>;
  /** The last failure, until the tail makes progress again. */
  lastError: unknown;

  constructor(
    private readonly tail: TailSource,
    private readonly target: FollowTarget,
  ) {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        for await (const event of this.tail(this.target.lastSeq, signal)) {
          if (signal.aborted) break;
          this.apply(event);
          failures = 0;
          this.lastError = undefined;
        }
      } catch (error) {
        if (signal.aborted) break;
        this.lastError = error;
        failures++;
      }
      if (signal.aborted) break;
      // A tail ends on its own only by failing; begin again after a pause that grows.
      const pauseMs = Math.min(followRetryMsMax, followRetryMsMin * 2 ** Math.min(Math.max(failures - 1, 0), 16));
      await sleep(pauseMs, undefined, { signal }).catch(() => undefined);
    }
  }

  private apply(event: TailEvent): void {
    const before = this.target.lastSeq;
    switch (event.kind) {
      case "ops":
        if (event.ops.length === 0) return;
        this.target.absorb(event.ops, event.schemaVersion);
        assert(this.target.lastSeq === event.ops.at(-1)!.seq, "a follower ends at the last operation it took");
        break;
      case "checkpoint":
        this.target.checkpointedElsewhere(event.seq);
        break;
      case "reset":
        this.target.restart(event.state);
        assert(this.target.lastSeq === event.state.head, "a follower restarts at the stored head");
        return;
    }
    assert(this.target.lastSeq >= before, "a follower only moves forward, short of a reset");
  }
}
