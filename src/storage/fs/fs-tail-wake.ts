import type { FileSystem } from "./file-system.js";

/** Between two tries to watch a directory that could not be watched (ops/ not created yet). */
const watchRetryMs = 1000;

/**
 * When a follower looks again: at once after a change `fs.watch` reports, and every `pollMs`
 * in any case, the fallback where watching is unavailable or misses changes (network file
 * systems). A change reported while the follower reads is kept, so it looks again right after.
 * close() (or the signal) stops the watchers and the timer: nothing is left behind.
 */
export class TailWake {
  /** A change was reported since the last wait began. */
  private changed = true;
  private waiting: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly stops = new Map<string, () => void>();
  private lastWatchTry = 0;
  private closed = false;
  private readonly onAbort = () => this.poke();

  constructor(
    private readonly fs: FileSystem | undefined,
    private readonly dirs: readonly string[],
    private readonly pollMs: number,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener("abort", this.onAbort, { once: true });
    this.watchDirectories();
  }

  /** Resolves after a reported change, after pollMs, or when the signal aborts. */
  wait(): Promise<void> {
    if (this.closed || this.signal.aborted) return Promise.resolve();
    if (this.stops.size < this.dirs.length) this.watchDirectories();
    if (this.changed) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.timer = setTimeout(() => this.poke(), this.pollMs);
    });
  }

  close(): void {
    this.closed = true;
    this.signal.removeEventListener("abort", this.onAbort);
    for (const stop of this.stops.values()) stop();
    this.stops.clear();
    this.poke();
  }

  private poke(): void {
    this.changed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) {
      this.changed = false;
      waiting();
    }
  }

  private watchDirectories(): void {
    const watch = this.fs?.watch?.bind(this.fs);
    if (!watch || Date.now() - this.lastWatchTry < watchRetryMs) return;
    this.lastWatchTry = Date.now();
    for (const dir of this.dirs) {
      if (this.stops.has(dir)) continue;
      try {
        this.stops.set(dir, watch(dir, () => this.poke()));
      } catch {
        // Not watchable (missing yet, no inotify watches left): polling covers it.
      }
    }
  }
}
