/**
 * `log --follow`: print operations another process writes, as it writes them.
 *
 * One read-only store opened with `follow: true` stays current with the writer (fs.watch
 * wake-ups, polling as the fallback), and its change feed, `store.watch({ since })`, yields
 * each operation once, in seq order. Nothing is reopened per change. Should the writer prune
 * history before this process read it (it was stopped, or far behind), the gap is reported on
 * stderr and following goes on from the oldest operation still retained.
 */
import type { Point } from "./args.js";
import { OpslogError, parseIsoMicros, type AnyStore, type Operation } from "./engine.js";
import { isAfter, matches } from "./history.js";

export interface FollowQuery {
  id?: string;
  until?: Point;
}

/** Longest delay setTimeout takes; a later --until is checked again when it fires. */
const timerDelayMsMax = 2 ** 31 - 1;

/**
 * Operations the follower can no longer see: the writer pruned them (retention) before this
 * process read them. Never lose them silently.
 */
function warnOfGap(firstSeq: number, lastSeq: number): void {
  if (lastSeq < firstSeq) return;
  const range = firstSeq === lastSeq ? `#${firstSeq}` : `#${firstSeq}–#${lastSeq}`;
  process.stderr.write(
    `opslog: operations ${range} were pruned from the retained history before they ` +
      "could be read; they are not shown\n",
  );
}

/** A signal that aborts with `signal`, or once the clock passes an --until time. */
function untilPassed(until: Point | undefined, signal: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal.addEventListener("abort", abort, { once: true });
  if (signal.aborted) abort();
  let timer: NodeJS.Timeout | undefined;
  const micros = typeof until === "string" ? parseIsoMicros(until) : undefined;
  const check = () => {
    const leftMs = (micros as number) / 1000 - Date.now();
    if (leftMs < 0) abort();
    else timer = setTimeout(check, Math.min(Math.ceil(leftMs) + 1, timerDelayMsMax));
  };
  if (micros !== undefined) check();
  const dispose = () => {
    clearTimeout(timer);
    signal.removeEventListener("abort", abort);
  };
  return { signal: controller.signal, dispose };
}

/** The feed ended because what it was to read next was pruned first. */
function isPruned(error: unknown): boolean {
  return error instanceof OpslogError && error.code === "OPSLOG_INVALID_ARGUMENT";
}

/**
 * Calls `print` for each operation after `afterSeq` matching `query`, oldest first, until
 * `signal` aborts or an operation after `query.until` appears (or, for a time, the clock
 * passes it). `store` must be open with `{ readOnly: true, follow: true }`.
 */
export async function followOps(
  store: AnyStore,
  query: FollowQuery,
  afterSeq: number,
  print: (op: Operation) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const { until } = query;
  if (typeof until === "number" && afterSeq >= until) return;
  const stop = untilPassed(until, signal);
  let lastSeq = afterSeq;
  try {
    while (!stop.signal.aborted) {
      try {
        for await (const op of store.watch({ since: lastSeq, signal: stop.signal })) {
          lastSeq = op.seq;
          if (until !== undefined && isAfter(op, until)) return;
          if (matches(op, query)) await print(op);
          if (typeof until === "number" && op.seq >= until) return;
        }
      } catch (error) {
        if (!isPruned(error)) throw error;
        const stats = store.stats();
        const oldest = stats.seq - stats.historyOps + 1;
        warnOfGap(lastSeq + 1, oldest - 1);
        lastSeq = Math.max(lastSeq, oldest - 1);
      }
    }
  } finally {
    stop.dispose();
  }
}
