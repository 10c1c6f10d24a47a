import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Operation } from "../types.js";
import { formatMicros, parseIsoMicros, resolvePoint, type HistoryPoint, type ResolvedPoint } from "../util/time.js";
import type { History } from "./history.js";

/** Operation timestamps of the current format have this length and compare as text. */
const microsTsLength = 27;

/** Operations ops() reads from storage at a time (between turns of the event loop). */
export const opsReadChunk = 4096;

/** Whether `op` happened after the instant `micros` (canonical text `text`). */
function isAfter(ts: string, micros: number, text: string): boolean {
  if (ts.length === microsTsLength) return ts > text;
  return (parseIsoMicros(ts) ?? 0) > micros;
}

/**
 * The largest seq whose operation happened at or before `micros` (oldestSeq - 1 if none).
 * Timestamps strictly increase with seq (SPEC §2.7), so this is a binary search by seq: a few
 * reads of stored history, never a scan.
 */
export function seqAtTime(history: History, micros: number): number {
  const text = formatMicros(micros);
  let low = history.oldestSeq; // Invariant: every seq < low happened at or before micros.
  let high = history.lastSeq + 1; // Invariant: every seq ≥ high happened after it.
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (isAfter(history.get(middle).ts, micros, text)) high = middle;
    else low = middle + 1;
  }
  return low - 1;
}

export function toSeq(history: History, point: ResolvedPoint): number {
  return point.kind === "seq" ? point.seq : seqAtTime(history, point.micros);
}

/** getOps(since): operations strictly after `since` (an ISO time or a seq). */
export function opsSince(history: History, since: HistoryPoint | undefined): Operation[] {
  if (since === undefined || since === "") return history.range(history.oldestSeq, history.lastSeq);
  const seq = toSeq(history, resolvePoint(since, "since"));
  return history.range(seq + 1, history.lastSeq);
}

export function opsOf(history: History, id: string): Operation[] {
  return history.range(history.oldestSeq, history.lastSeq).filter((op) => op.id === id);
}

export interface OpsQuery {
  /** Exclusive: an ISO timestamp, a Date or a seq. */
  since?: HistoryPoint;
  /** Inclusive: an ISO timestamp, a Date or a seq. */
  until?: HistoryPoint;
  id?: string;
}

/**
 * Walks the retained history without loading it all: a chunk of seqs at a time. `checkOpen`
 * throws once the store is closed: nothing reads storage after close().
 */
export async function* iterateOps(
  history: History,
  query: OpsQuery,
  checkOpen: () => void,
): AsyncGenerator<Operation> {
  const from = query.since === undefined ? history.oldestSeq : toSeq(history, resolvePoint(query.since, "since")) + 1;
  const to = query.until === undefined ? history.lastSeq : toSeq(history, resolvePoint(query.until, "until"));
  let next = Math.max(from, history.oldestSeq);
  while (next <= Math.min(to, history.lastSeq)) {
    checkOpen();
    const end = Math.min(to, history.lastSeq, next + opsReadChunk - 1);
    for (const op of history.range(next, end)) {
      checkOpen(); // Also between operations: nothing is handed out after close().
      if (query.id === undefined || op.id === query.id) yield op;
    }
    next = Math.max(end, next) + 1;
    await yieldToEventLoop();
  }
}
