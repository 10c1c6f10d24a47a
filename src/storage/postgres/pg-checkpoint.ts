import type * as Pg from "pg";
import { ConflictError } from "../../errors.js";
import { valueText } from "../../model/value-text.js";
import { assert } from "../../util/assert.js";
import type { CheckpointMeta, RecordList } from "../port.js";
import type { SchemaHistory } from "./pg-codec.js";
import { queryRows } from "./pg-client.js";
import { ident } from "./pg-sql.js";

/** State rows rewritten per statement when a migration rewrites every value. */
const rewriteSliceRecords = 5000;
/** Idempotency rows are kept this long (far longer than any commit retries). */
export const commitsKeptMs = 60 * 60 * 1000;

/**
 * A checkpoint: the state table is always current, so it records only its seq and the undo
 * stacks, and prunes old idempotency rows. At a new schema version (a migration at open) it
 * rewrites every state value, in one transaction, and starts a new entry of the schema history
 * (readOps chunks keep the older operations' version).
 */
export async function writePgCheckpoint(
  client: Pg.ClientBase,
  schema: string,
  storeId: number,
  meta: CheckpointMeta,
  records: RecordList,
  signal: AbortSignal | undefined,
): Promise<SchemaHistory | undefined> {
  const s = ident(schema);
  await client.query("begin");
  try {
    const [row] = await queryRows(
      client,
      `select head, schema_version, schema_history::text from ${s}.stores
       where store = $1 for update`,
      [storeId],
    );
    assert(row !== undefined, "the store row exists");
    const [head, version, historyText] = row;
    let history: SchemaHistory | undefined;
    if (meta.schemaVersion < Number(version)) {
      // A program older than the store (its commits are refused): never downgrade the values.
      await client.query("commit");
      return undefined;
    }
    if (Number(version) !== meta.schemaVersion) {
      if (Number(head) !== meta.seq) {
        throw new ConflictError(
          `another writer committed at schema version ${version} while this one migrated the ` +
            `records to version ${meta.schemaVersion}: open the store again`,
        );
      }
      await rewriteValues(client, s, storeId, records, signal);
      history = JSON.parse(historyText!) as SchemaHistory;
      history.push([meta.seq, meta.schemaVersion]);
    }
    signal?.throwIfAborted();
    await client.query(
      `update ${s}.stores set checkpoint_seq = greatest(checkpoint_seq, $2), stacks = $3::json,
         schema_version = $4, schema_history = coalesce($5::json, schema_history)
       where store = $1`,
      [storeId, meta.seq, JSON.stringify(meta.stacks), meta.schemaVersion,
        history === undefined ? null : JSON.stringify(history)],
    );
    const oldEnough = Date.now() * 1000 - commitsKeptMs * 1000;
    await client.query(`delete from ${s}.commits where store = $1 and at < $2`, [storeId, oldEnough]);
    await client.query("commit");
    return history;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

async function rewriteValues(
  client: Pg.ClientBase,
  s: string,
  storeId: number,
  records: RecordList,
  signal: AbortSignal | undefined,
): Promise<void> {
  let rewritten = 0;
  for (let start = 0; start < records.ids.length; start += rewriteSliceRecords) {
    signal?.throwIfAborted();
    const ids: string[] = [];
    const values: string[] = [];
    const end = Math.min(records.ids.length, start + rewriteSliceRecords);
    for (let i = start; i < end; i++) {
      ids.push(JSON.stringify(records.ids[i]));
      values.push(valueText(records.values[i]));
    }
    const result = await client.query(
      `update ${s}.state st set value = u.value::json
       from unnest($2::text[], $3::text[]) u(id, value)
       where st.store = $1 and st.id = u.id and st.value is not null`,
      [storeId, ids, values],
    );
    rewritten += result.rowCount ?? 0;
  }
  const [[present]] = (await queryRows(
    client,
    `select count(*) from ${s}.state where store = $1 and value is not null`,
    [storeId],
  )) as [[string]];
  assert(rewritten === Number(present), "a migration rewrites every record of the state");
}
