import type * as Pg from "pg";
import { InvalidArgumentError } from "../../errors.js";

/** Options of postgres() / new PostgresStorage() (docs/POSTGRES.md, "Setup"). */
export interface PostgresOptions extends Omit<Pg.PoolConfig, "types"> {
  /** A pg.Pool to use: the storage never ends it. Otherwise one is made and ended at close(). */
  pool?: Pg.Pool;
  /** The store's name: many stores live in one database. */
  store: string;
  /** The schema holding opslog's tables (created and migrated automatically). Default "opslog". */
  schema?: string;
  /** How long a commit may keep retrying a lost connection before OPSLOG_IO. Default 30 000. */
  commitTimeoutMs?: number;
  /** Besides NOTIFY, look for other writers' commits this often (0: never). Default 250. */
  pollMs?: number;
}

export const defaultSchema = "opslog";
export const defaultCommitTimeoutMs = 30_000;
export const defaultPollMs = 250;

/** The options of a postgres:// or postgresql:// URL handed to open(). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * Splits `postgres://user@host/db?store=tasks&schema=opslog` into the connection string pg
 * gets and our own options (store, schema).
 */
export function optionsFromUrl(location: string): PostgresOptions {
  let url: URL;
  try {
    url = new URL(location);
  } catch (error) {
    throw new InvalidArgumentError(`not a PostgreSQL URL: ${location}`, { cause: error });
  }
  const store = url.searchParams.get("store");
  if (store === null || store === "") {
    throw new InvalidArgumentError(
      `${redact(location)} names no store: add ?store=<name> (many stores share a database)`,
    );
  }
  const schema = url.searchParams.get("schema") ?? undefined;
  url.searchParams.delete("store");
  url.searchParams.delete("schema");
  return { connectionString: url.toString(), store, schema };
}

/** `location` without its password, for messages. */
export function redact(location: string): string {
  try {
    const url = new URL(location);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return location;
  }
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks the options a program gave, with typed errors. */
export function checkOptions(options: PostgresOptions): void {
  const { store, schema, commitTimeoutMs, pollMs } = options;
  if (typeof store !== "string" || store === "" || loneSurrogate.test(store) || store.includes("\0")) {
    throw new InvalidArgumentError("postgres() needs `store`: a non-empty name (valid unicode)");
  }
  if (schema !== undefined) {
    // pg_*: reserved by PostgreSQL (pg_catalog, pg_temp, pg_toast): it refuses to create them.
    if (typeof schema !== "string" || !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema) || /^pg_/i.test(schema)) {
      throw new InvalidArgumentError(`schema must be a plain SQL identifier; got ${String(schema)}`);
    }
  }
  for (const [name, value] of [["commitTimeoutMs", commitTimeoutMs], ["pollMs", pollMs]] as const) {
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`${name} must be a number of milliseconds ≥ 0`);
    }
    if (name === "commitTimeoutMs" && value === 0) {
      throw new InvalidArgumentError("commitTimeoutMs must be more than 0 milliseconds");
    }
  }
  if (options.pool === undefined && options.connectionString === undefined && !options.host) {
    throw new InvalidArgumentError("postgres() needs `connectionString`, `pool` or `host`");
  }
}

/** Pool settings: everything that is not ours passes through to pg. */
export function poolConfig(options: PostgresOptions): Pg.PoolConfig {
  const { pool: _pool, store: _store, schema: _schema, ...rest } = options;
  const { commitTimeoutMs: _timeout, pollMs: _poll, ...config } = rest;
  return config;
}

/**
 * Connection settings for the sync reader's worker thread, which cannot take functions or a
 * pool across threads: the pool's settings, less what does not clone.
 */
export function cloneableConfig(config: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "function" || value === undefined) continue;
    if (key === "Client" || key === "Promise" || key === "log" || key === "types") continue;
    try {
      out[key] = structuredClone(value);
    } catch {
      // not transferable to a worker (a socket factory, a class instance): left out
    }
  }
  return out;
}
