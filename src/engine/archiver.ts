import { freezeParsed } from "../model/value.js";
import { recordAt } from "../model/raw-record.js";
import type { Change } from "../model/operation.js";
import type { Engine } from "./engine.js";
import { assert } from "../util/assert.js";

/**
 * Moves matching records to an archive segment, crash-safely: the records are chosen and the
 * deletes applied in memory at the call (call order), but the commit queue writes the archive
 * file only once every earlier operation is durable, and the deletes only after the file is.
 * A crash leaves each record in the active state, in the archive, or (between the two) in both
 * — never in neither. Returns how many records moved.
 */
export async function archiveRecords(engine: Engine, moving: [string, unknown][], segment: string): Promise<number> {
  if (moving.length === 0) return 0;
  const changes: Change[] = moving.map(([id]) => ({ op: "delete", id, archive: segment }));
  const ops = engine.apply(changes, undefined);
  assert(ops.length === moving.length, "one delete per archived record");
  // The file is written once every earlier operation is durable, and the deletes after it.
  await engine.commit(ops, () => engine.storage.writeArchive(segment, moving));
  return moving.length;
}

/** The records `predicate` picks, with their stored values (its exceptions pass through). */
export function chooseArchived(
  engine: Engine,
  predicate: (value: unknown, id: string) => boolean,
): [string, unknown][] {
  const moving: [string, unknown][] = [];
  for (const [id, value] of engine.state) {
    if (predicate(recordAt(engine.state, id, value), id)) moving.push([id, value]);
  }
  // In id order, not the map's: its order moves when a failed batch puts a deleted record back,
  // and the log of an archive must not depend on that.
  return moving.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function loadArchive(engine: Engine, segment: string): Map<string, unknown> {
  const records = engine.storage.readArchive(segment);
  for (const value of records.values()) freezeParsed(value);
  return records;
}
