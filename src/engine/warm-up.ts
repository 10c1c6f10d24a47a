import { assert } from "../util/assert.js";

/** What warm-up needs of the record table: parse the next few records still held as text. */
export interface Warmable {
  warm(maxRecords: number, maxChars: number): boolean;
  /** Calls `listener` when the records were replaced (a follower starting over). */
  onReplaced?(listener: () => void): void;
}

/**
 * Records visited, and characters of JSON parsed (about 0.1–0.3 ms here), between two looks at
 * the clock.
 */
const recordsPerCheck = 256;
const charsPerCheck = 64 * 1024;
/** How long warm-up waits while writes go on, before it looks again. */
export const writerBackoffMs = 50;
/** Longest slice of the event loop that warm-up takes at a time. */
const sliceMs = 2;

/**
 * Parses the records an open left as text (model/raw-record.ts), in slices of about `sliceMs`,
 * each queued behind what the event loop has to do (a timer of 0 ms), so that a long-running
 * process reaches the read speed of parsed records without paying for the parse at open. A slice
 * looks at the clock after a few records or 64 KiB of text, so it overruns only by one record's
 * parse (a record larger than that costs its parse once, here or at its first read) and by the
 * collections its garbage triggers. Starts again when the records are replaced; stops at close;
 * never keeps the process alive.
 */
export class WarmUp {
  private pending: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The writes count the last slice saw (see `writes`). */
  private lastWrites: number;

  /**
   * `writes`: a count that moves with every write (the engine's seq). While it moves, slices
   * wait `writerBackoffMs`: a writer awaiting each write turns the event loop between them, and
   * slices there would add their 2 ms to each write (W8: 0.74–0.83 × the updates per second).
   */
  constructor(
    private readonly table: Warmable,
    private readonly now: () => number = () => performance.now(),
    private readonly writes: () => number = () => 0,
  ) {
    this.lastWrites = writes();
  }

  start(): void {
    assert(!this.stopped, "a stopped warm-up does not start again");
    this.table.onReplaced?.(() => {
      if (!this.stopped && this.pending === undefined) this.schedule();
    });
    this.schedule();
  }

  /** No slice runs after this returns. */
  stop(): void {
    this.stopped = true;
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.pending = undefined;
  }

  get running(): boolean {
    return this.pending !== undefined;
  }

  private schedule(delayMs = 0): void {
    // A timer, not setImmediate: an unref'd immediate runs only when something else wakes the
    // event loop, and a ref'd one would keep the process alive. It runs after pending I/O.
    this.pending = setTimeout(() => this.slice(), delayMs);
    this.pending.unref();
  }

  private slice(): void {
    this.pending = undefined;
    if (this.stopped) return;
    const writes = this.writes();
    if (writes !== this.lastWrites) {
      this.lastWrites = writes; // Someone is writing: look again later.
      this.schedule(writerBackoffMs);
      return;
    }
    const end = this.now() + sliceMs;
    do {
      if (!this.table.warm(recordsPerCheck, charsPerCheck)) return; // Every record was visited: done.
    } while (this.now() < end);
    this.schedule();
  }
}
