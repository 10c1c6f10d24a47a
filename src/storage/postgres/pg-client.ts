import { createHash } from "node:crypto";
import type * as Pg from "pg";
import { IoError, OpslogError } from "../../errors.js";

export type PgModule = typeof Pg;
export type Queryable = Pick<Pg.ClientBase, "query">;

/**
 * Loads node-postgres on first use: the core package never imports it (it is an optional peer
 * dependency), so only programs that open a PostgreSQL store need it installed.
 */
export async function loadPg(): Promise<PgModule> {
  try {
    const loaded = (await import("pg")) as PgModule & { default?: PgModule };
    return loaded.default ?? loaded;
  } catch (error) {
    throw new IoError("opslog's PostgreSQL storage needs the `pg` package: npm install pg", error);
  }
}

/**
 * Every column comes back as the text the server sent: json stays its exact text (parsed here,
 * once), bigints stay exact. Given per query, never set globally: other libraries in the same
 * process (emmett) change pg's global parsers, and ours must not depend on theirs nor change
 * them.
 */
export const rawTypes: Pg.CustomTypesConfig = {
  getTypeParser: (() => (text: string) => text) as unknown as Pg.CustomTypesConfig["getTypeParser"],
};

/**
 * Runs `text` with raw (text) columns, rows as arrays; `prepared`: as a named prepared
 * statement, parsed and planned once per connection (the name is made from the text, so one
 * pool may serve many schemas).
 */
export async function queryRows(
  client: Queryable,
  text: string,
  values: unknown[] = [],
  prepared = false,
): Promise<(string | null)[][]> {
  const config: Pg.QueryArrayConfig = { text, values, types: rawTypes, rowMode: "array" };
  if (prepared) config.name = statementName(text);
  const result = await client.query(config);
  return result.rows as (string | null)[][];
}

/** The first column of the first row, or undefined when there is none. */
export async function queryValue(
  client: Queryable,
  text: string,
  values: unknown[] = [],
  prepared = false,
): Promise<string | null | undefined> {
  const rows = await queryRows(client, text, values, prepared);
  return rows[0]?.[0];
}

const statementNames = new Map<string, string>();

/** A prepared statement's name for `text`: opslog_ and a hash of the text. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `opslog_${createHash("sha1").update(text).digest("hex").slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** SQLSTATEs our functions raise: the store's schema version differs; the store is gone. */
export const schemaMismatchCode = "OL001";
export const storeMissingCode = "OL002";

/**
 * Whether `error` leaves a transaction's outcome unknown (the connection broke, the server went
 * down) or says it certainly rolled back in a way worth retrying (serialisation, deadlock): in
 * both cases the caller retries with the same commit id. Any other server error is an answer.
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof OpslogError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return true; // no SQLSTATE: a socket or client failure
  if (code.startsWith("08")) return true; // connection exception
  if (code.startsWith("57P")) return true; // admin/crash shutdown, cannot connect now
  if (code === "40001" || code === "40P01") return true;
  if (code === "53300") return true; // too many connections
  return !/^[0-9A-Z]{5}$/.test(code); // ECONNREFUSED, ECONNRESET, ETIMEDOUT, ...
}

/** Backoff between reconnection attempts: 50 ms doubling to 2 s. */
export const backoffFirstMs = 50;
export const backoffMaxMs = 2000;

export function nextBackoff(previousMs: number): number {
  return Math.min(backoffMaxMs, previousMs * 2);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A readable description of a driver error, for messages. */
export function describe(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" ? `${message} (${code})` : message;
}

/** Wraps a driver failure as OPSLOG_IO naming the store, keeping OpslogErrors. */
export function pgIoError(location: string, action: string, error: unknown): OpslogError {
  if (error instanceof OpslogError) return error;
  return new IoError(`${action} on ${location} failed: ${describe(error)}`, error);
}
