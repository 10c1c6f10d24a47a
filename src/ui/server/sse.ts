/**
 * GET /api/events: the change feed as server-sent events. Each client gets its own
 * store.watch() from the seq it asks for (`since`, or the `Last-Event-ID` its EventSource sends
 * when it reconnects; default: what comes next), so a slow client costs the others nothing
 * (the feed reads what it missed from the history). On a read-only follower the feed carries
 * the operations of a writer in another process as they become durable.
 */
import { OpslogError, type Operation } from "../../cli/engine.js";
import { badRequest } from "./http-errors.js";
import { integer } from "./params.js";
import { streamed, type ApiRequest, type UiContext } from "./router.js";

/** A comment line this often keeps proxies and the browser from timing the stream out. */
export const pingIntervalMs = 15_000;

function startSeq(ui: UiContext, request: ApiRequest): number {
  const seq = ui.store.stats().seq;
  // A seq past the store's would skip the operations up to it without a gap event: refused.
  const since = integer(request.query, "since", { min: 0, max: seq });
  if (since !== undefined) return since;
  const last = request.req.headers["last-event-id"];
  if (typeof last === "string" && last !== "") {
    if (!/^[0-9]{1,15}$/.test(last)) throw badRequest("Last-Event-ID", "must be a seq");
    if (Number(last) > seq) throw badRequest("Last-Event-ID", `must be at most the store's seq ${seq}`);
    return Number(last);
  }
  return seq;
}

function frame(event: string, data: unknown, id?: number): string {
  const head = id === undefined ? "" : `id: ${id}\n`;
  // JSON text has no raw newline: one data line per event.
  return `${head}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The feed ended because what it was to read next was pruned first: go on from the oldest. */
function isPruned(error: unknown): boolean {
  return error instanceof OpslogError && error.code === "OPSLOG_INVALID_ARGUMENT";
}

export function events(ui: UiContext, request: ApiRequest): typeof streamed {
  let lastSeq = startSeq(ui, request);
  const { req, res } = request;
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no",
  });
  res.write(`retry: 1000\n${frame("ready", { seq: ui.store.stats().seq })}`);
  const stop = new AbortController();
  const end = () => stop.abort();
  req.on("close", end);
  ui.closing.addEventListener("abort", end, { once: true });
  const ping = setInterval(() => res.write(frame("ping", { ts: new Date().toISOString() })), pingIntervalMs);
  const send = (op: Operation) => {
    lastSeq = op.seq;
    return res.write(frame("op", op, op.seq));
  };
  void (async () => {
    try {
      while (!stop.signal.aborted) {
        try {
          for await (const op of ui.store.watch({ since: lastSeq, signal: stop.signal })) {
            if (!send(op)) await drained(res, stop.signal);
          }
          break;
        } catch (error) {
          if (!isPruned(error)) throw error;
          const stats = ui.store.stats();
          const oldest = stats.seq - stats.historyOps;
          res.write(frame("gap", { from: lastSeq + 1, to: oldest }));
          lastSeq = Math.max(lastSeq, oldest);
        }
      }
    } catch (error) {
      if (!stop.signal.aborted) res.write(frame("error", { message: (error as Error).message }));
    } finally {
      clearInterval(ping);
      req.off("close", end);
      ui.closing.removeEventListener("abort", end);
      res.end();
    }
  })();
  return streamed;
}

/** Waits until the client read what was written (or left): a slow client slows its own feed. */
function drained(res: ApiRequest["res"], signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    res.on("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
