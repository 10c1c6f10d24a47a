import type * as Pg from "pg";
import { InvalidArgumentError } from "../../errors.js";
import { valueText } from "../../model/value-text.js";
import { assert } from "../../util/assert.js";
import type { ArchiveStorage } from "../port.js";
import { pgIoError, queryValue } from "./pg-client.js";
import { ident } from "./pg-sql.js";
import type { PgSyncReader } from "./pg-sync-reader.js";

/** What the archive needs of its storage. */
export interface ArchiveContext {
  readonly pool: Pg.Pool;
  readonly reader: PgSyncReader;
  readonly schema: string;
  readonly storeId: number;
  readonly location: string;
  track<T>(work: Promise<T>): Promise<T>;
}

/**
 * Archive segments in the archive table: writes go through the pool in one statement (merged,
 * last value wins); read and list are synchronous in the port, so they go through the sync
 * reader. Segment names and ids are stored as JSON text, like record ids.
 */
export class PgArchive implements ArchiveStorage {
  constructor(private readonly context: () => ArchiveContext) {}

  write(name: string, records: Iterable<[string, unknown]>): Promise<number> {
    const { pool, schema, storeId, location, track } = this.context();
    // Encoded before anything is sent: a value that fails to encode changes nothing. Merged
    // here, since one INSERT may not touch a row twice.
    const texts = new Map<string, string>();
    for (const [id, value] of records) texts.set(JSON.stringify(id), valueText(value));
    const s = ident(schema);
    const work = (async () => {
      try {
        const count = await queryValue(
          pool,
          `with written as (
             insert into ${s}.archive (store, segment, id, value)
             select $1, $2, u.id, u.value::json from unnest($3::text[], $4::text[]) u(id, value)
             on conflict (store, segment, id) do update set value = excluded.value
             returning (xmax = 0) as fresh)
           select (select count(*) from ${s}.archive where store = $1 and segment = $2)
             + (select count(*) from written where fresh)`,
          [storeId, JSON.stringify(name), [...texts.keys()], [...texts.values()]],
        );
        return Number(count);
      } catch (error) {
        throw pgIoError(location, `archive.write("${name}")`, error);
      }
    })();
    return track(work);
  }

  read(name: string): Map<string, unknown> {
    const { reader, schema, storeId, location } = this.context();
    const rows = reader.query(
      "archive.read",
      `select id, value::text from ${ident(schema)}.archive
       where store = $1 and segment = $2 order by id`,
      [storeId, JSON.stringify(name)],
    );
    if (rows.length === 0) {
      throw new InvalidArgumentError(`archive segment "${name}" does not exist in ${location}`);
    }
    const records = new Map<string, unknown>();
    for (const [id, value] of rows) records.set(JSON.parse(id!) as string, JSON.parse(value!));
    assert(records.size === rows.length, "an archive segment names each record once");
    return records;
  }

  list(): { name: string; records: number }[] {
    const { reader, schema, storeId } = this.context();
    const rows = reader.query(
      "archive.list",
      `select segment, count(*) from ${ident(schema)}.archive where store = $1
       group by segment order by segment`,
      [storeId],
    );
    return rows.map(([name, count]) => ({ name: JSON.parse(name!) as string, records: Number(count) }));
  }
}
