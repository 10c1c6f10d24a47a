import { freezeParsed } from "../model/value.js";
import type { Change } from "../model/operation.js";
import type { Engine } from "./engine.js";

/**
 * Moves matching records to an archive segment, crash-safely: the deletes are applied in memory
 * at once, but the commit queue writes them only after the archive file is durable, so a crash
 * leaves each record in the active state, in the archive, or (between the two) in both — never
 * in neither. Returns how many records moved.
 */
export async function archiveRecords(
  engine: Engine,
  predicate: (value: unknown, id: string) => boolean,
  segment: string,
): Promise<number> {
  const moving: [string, unknown][] = [];
  for (const [id, value] of engine.state) {
    if (predicate(freezeParsed(value), id)) moving.push([id, value]);
  }
  if (moving.length === 0) return 0;
  const changes: Change[] = moving.map(([id]) => ({ op: "delete", id, archive: segment }));
  const written = engine.storage.writeArchive(segment, moving);
  const ops = engine.apply(changes, undefined);
  await engine.commit(ops, written);
  return moving.length;
}

export function loadArchive(engine: Engine, segment: string): Map<string, unknown> {
  const records = engine.storage.readArchive(segment);
  for (const value of records.values()) freezeParsed(value);
  return records;
}
