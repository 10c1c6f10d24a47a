import type * as Pg from "pg";
import { backoffFirstMs, nextBackoff, sleep } from "./pg-client.js";

/**
 * The wake-ups behind SharedLog.onCommit: a dedicated connection LISTENing on the store's
 * channel, reconnected with backoff when it drops, plus a poll every `pollMs`. Both are hints:
 * the engine fetches by seq, which is the truth. After a reconnection it wakes once, since
 * notifications sent while it was away are lost.
 */
export class PgListener {
  /** Called with the head a notification names, or undefined (a poll, a reconnection). */
  private readonly wakes = new Set<(head: number | undefined) => void>();
  private running = false;
  private loop: Promise<void> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private dropped: (() => void) | undefined;

  constructor(
    private readonly connect: () => Promise<{ client: Pg.ClientBase; release: () => void }>,
    private readonly channel: string,
    private readonly pollMs: number,
  ) {}

  subscribe(wake: (head: number | undefined) => void): () => void {
    this.wakes.add(wake);
    if (!this.running) this.start();
    return () => {
      this.wakes.delete(wake);
      if (this.wakes.size === 0) void this.stop();
    };
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.dropped?.();
    await this.loop;
    this.loop = undefined;
  }

  private start(): void {
    this.running = true;
    if (this.pollMs > 0) {
      this.timer = setInterval(() => this.wakeAll(), this.pollMs);
      this.timer.unref();
    }
    this.loop = this.listenLoop();
  }

  private wakeAll(head?: number): void {
    for (const wake of [...this.wakes]) wake(head);
  }

  private async listenLoop(): Promise<void> {
    let pause = backoffFirstMs;
    let first = true;
    while (this.running) {
      try {
        await this.listenOnce(first);
        pause = backoffFirstMs;
      } catch {
        // The connection failed or dropped: try again after a pause.
      }
      first = false;
      if (!this.running) break;
      await sleep(pause);
      pause = nextBackoff(pause);
    }
  }

  /** Listens until the connection drops or stop() is called. */
  private async listenOnce(first: boolean): Promise<void> {
    const { client, release } = await this.connect();
    const ended = new Promise<void>((resolve) => {
      this.dropped = resolve;
      client.on("error", () => resolve());
      client.on("end", () => resolve());
    });
    client.on("notification", (message) => this.wakeAll(headOf(message.payload)));
    try {
      if (this.running) await client.query(`listen ${this.channel}`);
      if (!first) this.wakeAll(); // notifications sent while disconnected are lost
      if (this.running) await ended;
    } finally {
      this.dropped = undefined;
      client.removeAllListeners("notification");
      release();
    }
  }
}

/** The head a commit's notification names (pg-shared-log.ts); undefined when it names none. */
function headOf(payload: string | undefined): number | undefined {
  const head = Number(payload);
  return payload !== undefined && Number.isSafeInteger(head) && head > 0 ? head : undefined;
}
