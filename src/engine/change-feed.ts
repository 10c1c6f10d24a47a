import { ConflictError, InvalidArgumentError } from "../errors.js";
import type { Operation } from "../types.js";
import { assert } from "../util/assert.js";
import type { History } from "./history.js";
import { parseIsoMicros } from "../util/time.js";

/** Operations the feed reads from history at a time: all the memory a slow consumer costs. */
export const feedReadChunk = 1024;

/** What the change feed needs from the engine. */
export interface FeedSource {
  readonly history: History;
  /** Seq of the last operation known durable (a follower: the last one it took). */
  readonly durableSeq: number;
  /** Times a follower started over from a fresh load: the history a feed read was replaced. */
  readonly restarts: number;
  /** Calls `listener` whenever operations become durable; returns the function that stops it. */
  onDurable(listener: () => void): () => void;
}

/**
 * The change feed behind `store.watch()`: each durable operation with seq > `after`, in seq
 * order, once. It holds no buffer of its own: it keeps the seq it is at and, when woken by a
 * commit, reads the operations from there from history (memory for recent ones, storage for
 * older ones), `feedReadChunk` at a time. A consumer that falls behind therefore costs no
 * memory, and gets the operations it missed from the log; only if retention pruned them first
 * does the feed end with OPSLOG_INVALID_ARGUMENT, as at() does for a pruned point. Operations
 * that are not durable are never read, so none that is later reverted is ever yielded.
 */
/** Where a feed starts and what it yields. */
export interface FeedStart {
  /** The feed yields operations with seq > after. */
  after: number;
  /** And, when set, with ts after this instant (epoch µs): a `since` given as a time. */
  afterMicros?: number;
  /** Only operations on this record. */
  id?: string | undefined;
  /** The source's restart count when watch() was called (the generator starts later). */
  restarts?: number;
}

export async function* changeFeed(source: FeedSource, start: FeedStart, signal: AbortSignal): AsyncGenerator<Operation> {
  const { id, afterMicros } = start;
  // Timestamps strictly increase with seq: once one is after the instant, all later ones are.
  let beforeTime = afterMicros !== undefined;
  let next = start.after + 1;
  const restarts = start.restarts ?? source.restarts;
  const replaced = () => source.restarts !== restarts;
  let wake: (() => void) | undefined;
  const rouse = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const stop = source.onDurable(rouse);
  signal.addEventListener("abort", rouse);
  try {
    while (!signal.aborted) {
      if (replaced()) throw historyReplaced(next);
      const durable = source.durableSeq;
      if (next > durable) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const ops = readFrom(source.history, next, Math.min(durable, next + feedReadChunk - 1));
      for (const op of ops) {
        assert(op.seq === next, "the feed yields every seq once, in order");
        next = op.seq + 1;
        if (beforeTime && !isAfterInstant(op.ts, afterMicros!)) continue;
        beforeTime = false;
        if (id !== undefined && op.id !== id) continue;
        yield op;
        if (signal.aborted) return;
        if (replaced()) throw historyReplaced(next);
      }
    }
  } finally {
    stop();
    signal.removeEventListener("abort", rouse);
  }
}

/** Operations from..to, which must all still be retained: a feed never skips one. */
function readFrom(history: History, from: number, to: number): Operation[] {
  if (from < history.oldestSeq) throw prunedBeforeRead(from, history.oldestSeq);
  const ops = history.range(from, to);
  // A follower may learn of pruning while it reads: the range then starts later.
  if (ops.length === 0 || ops[0]!.seq !== from) throw prunedBeforeRead(from, history.oldestSeq);
  return ops;
}

/**
 * A follower started over (it fell behind retention, or the writer rewrote history it had
 * taken: a repair, a cut-back log): what this feed yielded may not be the history any more.
 */
function historyReplaced(seq: number): ConflictError {
  return new ConflictError(
    `the change feed is at seq ${seq}, but the follower started over from the writer's files ` +
      "(it fell behind retention, or the writer rewrote history); watch again from a seq you trust",
  );
}

function prunedBeforeRead(seq: number, oldest: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `the change feed is at seq ${seq}, but history before seq ${oldest} was pruned by the retention ` +
      "policy before it was read; watch again with a later `since`",
  );
}

function isAfterInstant(ts: string, micros: number): boolean {
  return (parseIsoMicros(ts) ?? 0) > micros;
}
