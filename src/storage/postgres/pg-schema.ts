import type * as Pg from "pg";
import { VersionError } from "../../errors.js";
import { ident, migrationSteps, pgSchemaVersion } from "./pg-sql.js";
import { queryValue } from "./pg-client.js";

/**
 * Creates or migrates the tables and functions under `schema`, once, whatever number of
 * processes open at the same time: in one transaction holding an advisory lock named after the
 * schema, so the second opener waits and then finds the meta table at the current version.
 */
export async function migrateSchema(client: Pg.ClientBase, schema: string): Promise<void> {
  const s = ident(schema);
  await client.query("begin");
  try {
    await client.query("select pg_advisory_xact_lock(hashtext($1))", [`opslog schema ${schema}`]);
    await client.query(`create schema if not exists ${s}`);
    await client.query(
      `create table if not exists ${s}.meta (key text primary key, value text not null)`,
    );
    const text = await queryValue(client, `select value from ${s}.meta where key = 'version'`);
    const installed = text === undefined || text === null ? 0 : Number(text);
    if (installed > pgSchemaVersion) {
      throw new VersionError(
        `the PostgreSQL schema ${schema} is at opslog table version ${installed}, newer than ` +
          `this opslog understands (${pgSchemaVersion}): upgrade opslog`,
      );
    }
    for (const step of migrationSteps(schema, installed)) await client.query(step);
    await client.query(
      `insert into ${s}.meta (key, value) values ('version', $1)
       on conflict (key) do update set value = excluded.value`,
      [String(pgSchemaVersion)],
    );
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}
