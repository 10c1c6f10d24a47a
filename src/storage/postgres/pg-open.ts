import type * as Pg from "pg";
import { NotFoundError } from "../../errors.js";
import { RawRecord } from "../../model/raw-record.js";
import type { StacksState } from "../../model/undo-stacks.js";
import { assert } from "../../util/assert.js";
import { formatMicros } from "../../util/time.js";
import type { OpenRequest, StoredState } from "../port.js";
import type { SchemaHistory } from "./pg-codec.js";
import { queryRows } from "./pg-client.js";
import { ident } from "./pg-sql.js";

/** The stores row, as open() and the storage keep it. */
export interface StoreRow {
  storeId: number;
  head: number;
  checkpointSeq: number;
  oldestSeq: number;
  schemaVersion: number;
  schemaHistory: SchemaHistory;
}

/**
 * Finds the store's row, creating it for a writer (many may try at once: the unique name
 * decides). A readOnly open of a store that does not exist: OPSLOG_NOT_FOUND.
 */
export async function findStore(
  client: Pg.ClientBase,
  schema: string,
  name: string,
  request: OpenRequest,
  location: string,
): Promise<number> {
  const s = ident(schema);
  if (!request.readOnly) {
    const history: SchemaHistory = [[0, request.schemaVersion]];
    await client.query(
      `insert into ${s}.stores (name, schema_version, schema_history) values ($1, $2, $3::json)
       on conflict (name) do nothing`,
      [name, request.schemaVersion, JSON.stringify(history)],
    );
  }
  const rows = await queryRows(client, `select store from ${s}.stores where name = $1`, [name]);
  if (rows.length === 0) {
    throw new NotFoundError(`${location}: no store named ${JSON.stringify(name)} (open it as a ` +
      `writer once to create it)`);
  }
  return Number(rows[0]![0]);
}

/**
 * Reads the store at its head, in one REPEATABLE READ transaction (a consistent picture while
 * others commit): the current-state table is the checkpoint, so nothing is replayed. Records
 * come as RawRecord text, parsed only when read, ordered as a Map replaying the log would
 * hold them (by the seq that created each one's current incarnation).
 */
export async function loadStore(
  client: Pg.ClientBase,
  schema: string,
  storeId: number,
): Promise<{ row: StoreRow; state: StoredState }> {
  const s = ident(schema);
  await client.query("begin isolation level repeatable read read only");
  try {
    const [store] = await queryRows(
      client,
      `select head, last_ts, checkpoint_seq, oldest_seq, schema_version,
         schema_history::text, stacks::text from ${s}.stores where store = $1`,
      [storeId],
    );
    assert(store !== undefined, "the store row exists once found");
    const rows = await queryRows(
      client,
      `select id, value::text, version from ${s}.state
       where store = $1 and value is not null order by created`,
      [storeId],
    );
    await client.query("commit");
    const [head, lastTs, checkpointSeq, oldestSeq, schemaVersion, history, stacks] = store;
    const records = new Map<string, unknown>();
    const versions = new Map<string, number>();
    for (const [id, value, version] of rows) {
      const key = JSON.parse(id!) as string;
      records.set(key, new RawRecord(value!));
      versions.set(key, Number(version));
    }
    assert(records.size === rows.length, "state rows name each record once");
    const row: StoreRow = {
      storeId,
      head: Number(head),
      checkpointSeq: Number(checkpointSeq),
      oldestSeq: Number(oldestSeq),
      schemaVersion: Number(schemaVersion),
      schemaHistory: JSON.parse(history!) as SchemaHistory,
    };
    const ts = Number(lastTs) > 0 ? formatMicros(Number(lastTs)) : undefined;
    const checkpoint = {
      seq: row.head,
      ts,
      stacks: stacks === null ? undefined : (JSON.parse(stacks!) as StacksState),
      records,
    };
    const state: StoredState = {
      head: row.head,
      checkpoint,
      ops: [],
      schemaVersion: row.schemaVersion,
      needsCheckpoint: false,
      versions,
    };
    return { row, state };
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}
