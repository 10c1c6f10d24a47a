import { freezeParsed } from "../model/freeze.js";
import { recordAt } from "../model/raw-record.js";
import type { Change } from "../model/operation.js";
import type { ArchiveStorage } from "../storage/port.js";
import type { Operation } from "../types.js";
import { assert } from "../util/assert.js";

/** What archiving needs from the engine. */
export interface ArchiveTarget {
  readonly records: ReadonlyMap<string, unknown>;
  apply(changes: readonly Change[], meta: undefined): Operation[];
  commit(ops: Operation[], task?: () => Promise<unknown>): Promise<unknown>;
}

/**
 * Moves matching records to an archive segment, crash-safely: the records are chosen and the
 * deletes applied in memory at the call (call order), but the commit queue writes the archive
 * file only once every earlier operation is durable, and the deletes only after the file is.
 * A crash leaves each record in the active state, in the archive, or (between the two) in both
 * — never in neither. Returns how many records moved.
 */
export async function archiveRecords(
  target: ArchiveTarget,
  archive: ArchiveStorage,
  moving: [string, unknown][],
  segment: string,
): Promise<number> {
  if (moving.length === 0) return 0;
  const changes: Change[] = moving.map(([id]) => ({ op: "delete", id, archive: segment }));
  const ops = target.apply(changes, undefined);
  assert(ops.length === moving.length, "one delete per archived record");
  // The file is written once every earlier operation is durable, and the deletes after it.
  await target.commit(ops, () => archive.write(segment, moving));
  return moving.length;
}

/** The records `predicate` picks, with their stored values (its exceptions pass through). */
export function chooseArchived(
  records: ReadonlyMap<string, unknown>,
  predicate: (value: unknown, id: string) => boolean,
): [string, unknown][] {
  const moving: [string, unknown][] = [];
  for (const [id, value] of records) {
    if (predicate(recordAt(records, id, value), id)) moving.push([id, value]);
  }
  // In id order, not the map's: its order moves when a failed batch puts a deleted record back,
  // and the log of an archive must not depend on that.
  return moving.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export function loadArchive(archive: ArchiveStorage, segment: string): Map<string, unknown> {
  const records = archive.read(segment);
  for (const value of records.values()) freezeParsed(value);
  return records;
}
