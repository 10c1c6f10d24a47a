import { InvalidArgumentError } from "../errors.js";
import { assert } from "./assert.js";

/** A source of wall-clock time in epoch microseconds; injectable for tests. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now() * 1000;

/**
 * Hands out strictly increasing timestamps (SPEC §2.7): when the clock has not advanced or has
 * stepped back, the next timestamp is the previous one plus one microsecond.
 */
export class MonotonicClock {
  private lastMicros = 0;

  constructor(private readonly clock: Clock) {}

  /** Never hand out a timestamp at or before one already in the log. */
  observe(micros: number): void {
    if (micros > this.lastMicros) this.lastMicros = micros;
  }

  next(): number {
    const now = Math.floor(readClock(this.clock));
    const previous = this.lastMicros;
    const next = now > previous ? now : previous + 1;
    assert(next > previous, "timestamps strictly increase");
    assert(Number.isSafeInteger(next), "timestamps are whole microseconds");
    this.lastMicros = next; // Only once checked: a failed reading leaves the clock as it was.
    return next;
  }
}

/** The injected clock's reading, or a typed error: a bad clock must not write bad timestamps. */
export function readClock(clock: Clock): number {
  let now: unknown;
  try {
    now = clock();
  } catch (error) {
    throw new InvalidArgumentError(`the clock option threw: ${String(error)}`, { cause: error });
  }
  if (typeof now !== "number" || !Number.isSafeInteger(Math.floor(now)) || now < 0) {
    throw new InvalidArgumentError(`the clock option must return epoch microseconds; it returned ${String(now)}`);
  }
  return now;
}

/** Formats epoch microseconds as ISO 8601 UTC with six fractional digits. */
export function formatMicros(micros: number): string {
  const millis = Math.floor(micros / 1000);
  if (millis !== lastMillis) {
    lastMillis = millis;
    lastPrefix = new Date(millis).toISOString().slice(0, 23); // 2026-11-25T09:05:21.123
  }
  const extra = micros - millis * 1000;
  return `${lastPrefix}${extra < 10 ? "00" : extra < 100 ? "0" : ""}${extra}Z`;
}

/** toISOString is slow; many operations share a millisecond. */
let lastMillis = Number.NaN;
let lastPrefix = "";

const isoPattern =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an ISO 8601 timestamp of any fractional precision to epoch microseconds. */
export function parseIsoMicros(text: string): number | undefined {
  const match = isoPattern.exec(text);
  if (!match) return undefined;
  const [, base, fraction = "", zone] = match;
  const seconds = Date.parse(`${base}${zone}`);
  if (Number.isNaN(seconds)) return undefined;
  const micros = Number(fraction.padEnd(6, "0").slice(0, 6));
  return seconds * 1000 + micros;
}

/** A point in history: an ISO string, a Date or a seq number. */
export type HistoryPoint = string | number | Date;

export type ResolvedPoint = { kind: "seq"; seq: number } | { kind: "time"; micros: number };

export function resolvePoint(point: HistoryPoint, name: string): ResolvedPoint {
  if (typeof point === "number") {
    if (!Number.isInteger(point) || point < 0) {
      throw new InvalidArgumentError(`${name} must be a seq (integer ≥ 0); got ${point}`);
    }
    return { kind: "seq", seq: point };
  }
  if (point instanceof Date) {
    const ms = point.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentError(`${name} is an invalid Date`);
    return { kind: "time", micros: ms * 1000 };
  }
  if (typeof point === "string") {
    const micros = parseIsoMicros(point);
    if (micros === undefined) {
      throw new InvalidArgumentError(
        `${name} must be an ISO 8601 timestamp like 2026-01-02T03:04:05.678Z; got ${JSON.stringify(point)}`,
      );
    }
    return { kind: "time", micros };
  }
  throw new InvalidArgumentError(`${name} must be an ISO timestamp, a Date or a seq number`);
}
