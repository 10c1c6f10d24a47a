import { assert } from "../util/assert.js";

/** What warm-up needs of the record table: parse the next few records still held as text. */
export interface Warmable {
  warm(count: number): boolean;
}

/** Records parsed between two looks at the clock. */
const recordsPerCheck = 256;
/** Longest slice of the event loop that warm-up takes at a time. */
const sliceMs = 2;

/**
 * Parses the records an open left as text (model/raw-record.ts), in slices of at most
 * `sliceMs`, each queued behind what the event loop has to do (a timer of 0 ms), so that a long-running process reaches the read speed of parsed
 * records without paying for the parse at open. Stops at close; never keeps the process alive.
 */
export class WarmUp {
  private pending: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly table: Warmable,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    assert(!this.stopped, "a stopped warm-up does not start again");
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

  private schedule(): void {
    // A timer, not setImmediate: an unref'd immediate runs only when something else wakes the
    // event loop, and a ref'd one would keep the process alive. It runs after pending I/O.
    this.pending = setTimeout(() => this.slice(), 0);
    this.pending.unref();
  }

  private slice(): void {
    this.pending = undefined;
    if (this.stopped) return;
    const end = this.now() + sliceMs;
    do {
      if (!this.table.warm(recordsPerCheck)) return; // Every record was visited: done.
    } while (this.now() < end);
    this.schedule();
  }
}
