import { createRequire } from "node:module";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { IoError } from "../../errors.js";
import { assert } from "../../util/assert.js";
import { syncWorkerSource } from "./pg-sync-worker.js";

interface Reply {
  id: number;
  rows?: (string | null)[][];
  error?: { message: string; code?: string };
}

/**
 * Synchronous queries for the port's synchronous verbs (readOps: getHistory is synchronous;
 * archive read/list; usage). A worker thread holds its own connection; the main thread posts
 * a request and blocks in Atomics.wait until the worker flags its reply, then takes it with
 * receiveMessageOnPort. This is what synckit does, in 40 lines and without a dependency; and
 * with a queue shared by sync and async requests, an asynchronous job posted earlier
 * (retention) is done before a later synchronous read, so reads see it.
 */
export class PgSyncReader {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private nextId = 0;
  private stopped = false;

  constructor(
    config: Record<string, unknown>,
    private readonly location: string,
    private readonly timeoutMs: number,
  ) {
    // Resolved here, where import.meta.url is a real file (src under vitest, dist in use):
    // an eval worker has no module location of its own to resolve "pg" from.
    const pgPath = createRequire(import.meta.url).resolve("pg");
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(syncWorkerSource, {
      eval: true,
      workerData: { pgPath, port: port2, flag: this.flag, config },
      transferList: [port2],
    });
    this.worker.on("error", () => undefined); // a crashed worker fails the next query instead
    this.worker.unref();
    this.port.on("message", (reply: Reply) => this.dispatch(reply));
    this.port.unref();
  }

  /** Runs a query and blocks until its rows arrive; OPSLOG_IO past the timeout. */
  query(action: string, text: string, values: unknown[]): (string | null)[][] {
    assert(!this.stopped, `${action} after the storage closed`);
    const id = ++this.nextId;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, text, values, wake: true });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const message = receiveMessageOnPort(this.port) as { message: Reply } | undefined;
      if (message !== undefined) {
        if (message.message.id === id) return this.rowsOf(action, message.message);
        this.dispatch(message.message);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new IoError(`${action} on ${this.location} got no answer within ${this.timeoutMs} ms`);
      }
      Atomics.wait(this.flag, 0, 0, left);
      Atomics.store(this.flag, 0, 0);
    }
  }

  /** Queues a query without blocking; later synchronous queries run after it. */
  run(action: string, text: string, values: unknown[]): Promise<(string | null)[][]> {
    assert(!this.stopped, `${action} after the storage closed`);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (reply) => {
        try {
          resolve(this.rowsOf(action, reply));
        } catch (error) {
          reject(error as Error);
        }
      });
      this.port.ref(); // an answer is awaited: keep the process alive for it
      this.port.postMessage({ id, text, values, wake: false });
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.port.postMessage("stop");
    await this.worker.terminate().catch(() => undefined);
    this.port.close();
  }

  private dispatch(reply: Reply): void {
    const settle = this.waiting.get(reply.id);
    if (settle === undefined) return; // a synchronous query that timed out: nobody waits
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) this.port.unref();
    settle(reply);
  }

  private rowsOf(action: string, reply: Reply): (string | null)[][] {
    if (reply.error !== undefined) {
      const { message, code } = reply.error;
      throw new IoError(`${action} on ${this.location} failed: ${message}${code ? ` (${code})` : ""}`);
    }
    assert(reply.rows !== undefined, "a reply carries rows or an error");
    return reply.rows;
  }
}
