import { assert } from "../util/assert.js";
import { RawRecord } from "./raw-record.js";
import { isStoredRecord } from "./value-text.js";

/*
 * Full scans of a state map (filter, count, all), shared by the store and its views. They are
 * the hot loop of every query no index serves, so each inlines recordAt's work: a record already
 * read costs a type check and a field load (bench/scan-profile.mjs), and count() builds nothing.
 */

type Predicate = (value: unknown, id: string) => boolean;

/**
 * The record `value` as handed out: frozen, parsed on first use (recordAt). Each loop first asks
 * isStoredRecord itself (a record written by set() is frozen and carries its text): that test
 * inline, before any other, made a scan of such records twice as fast (an `instanceof` on a
 * plain object walks its prototype chain; Object.isFrozen is a call into the runtime).
 */
function handedOut(value: unknown): unknown {
  // Anything else a state map holds is frozen already (raw-record.ts asStoredEntry).
  return value instanceof RawRecord ? value.read() : value;
}

export function countRecords(state: ReadonlyMap<string, unknown>, predicate: Predicate): number {
  let count = 0;
  for (const [id, value] of state) {
    if (predicate(isStoredRecord(value) ? value : handedOut(value), id)) count++;
  }
  assert(count <= state.size, "a count is at most the number of records");
  return count;
}

export function filterRecords(state: ReadonlyMap<string, unknown>, predicate: Predicate): unknown[] {
  const found: unknown[] = [];
  for (const [id, value] of state) {
    const record = isStoredRecord(value) ? value : handedOut(value);
    if (predicate(record, id)) found.push(record);
  }
  assert(found.length <= state.size, "a filter finds at most every record");
  return found;
}

export function allRecords(state: ReadonlyMap<string, unknown>): unknown[] {
  const all = new Array<unknown>(state.size);
  let i = 0;
  for (const value of state.values()) {
    all[i++] = isStoredRecord(value) ? value : handedOut(value);
  }
  assert(i === all.length, "all() hands out every record once");
  return all;
}
