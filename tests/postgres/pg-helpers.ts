import { afterAll, beforeAll } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { startPgServer } from "../../scripts/pg-server.mjs";
import { PostgresStorage } from "../../src/storage/postgres/pg-storage.js";
import type { PostgresOptions } from "../../src/storage/postgres/pg-options.js";
import type { SharedChange, SharedCommit, SharedUnit } from "../../src/storage/shared-port.js";

export interface PgServer {
  url: string;
  port: number;
  crash(): void;
  restart(): void;
  stop(): void;
}

/** One throwaway PostgreSQL server for the test file (started in beforeAll). */
export function pgServer(): { readonly server: PgServer } {
  const holder = {} as { server: PgServer };
  beforeAll(async () => {
    holder.server = (await startPgServer()) as PgServer;
  });
  afterAll(() => holder.server?.stop());
  return holder;
}

let stores = 0;

/** A fresh store name, unique in this process. */
export function freshStore(prefix = "s"): string {
  return `${prefix}-${process.pid}-${++stores}`;
}

export function pgStorage(url: string, store: string, extra: Partial<PostgresOptions> = {}) {
  return new PostgresStorage({ connectionString: url, store, pollMs: 0, ...extra });
}

export function open(storage: PostgresStorage, readOnly = false, schemaVersion = 1) {
  return storage.open({ readOnly, repair: false, schemaVersion });
}

let commits = 0;

/** A shared commit of units (each a list of changes), after `after`. */
export function request(after: number, ...units: (SharedChange[] | SharedUnit)[]): SharedCommit {
  return {
    id: `c-${process.pid}-${++commits}-${Math.random()}`,
    after,
    schemaVersion: 1,
    units: units.map((unit) => (Array.isArray(unit) ? { changes: unit, overwrite: false } : unit)),
  };
}

export function set(id: string, data: unknown, base: SharedChange["base"] = { seen: 0 }) {
  return { op: "set", id, data, base } as SharedChange;
}

export function del(id: string, base: SharedChange["base"] = { seen: 0 }) {
  return { op: "delete", id, base } as SharedChange;
}
