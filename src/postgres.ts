/**
 * `opslog/postgres`: the PostgreSQL storage (docs/POSTGRES.md). It needs the `pg` package
 * (an optional peer dependency), loaded only when a store opens.
 *
 *     import { open } from "opslog";
 *     import { postgres } from "opslog/postgres";
 *     const store = await open(postgres({ connectionString, store: "tasks" }));
 */
import type { Storage } from "./storage/port.js";
import { PostgresStorage } from "./storage/postgres/pg-storage.js";
import type { PostgresOptions } from "./storage/postgres/pg-options.js";

export { PostgresStorage } from "./storage/postgres/pg-storage.js";
export type { PostgresOptions } from "./storage/postgres/pg-options.js";

/** The PostgreSQL storage of store `options.store`, shared by every process that opens it. */
export function postgres(options: PostgresOptions): Storage {
  return new PostgresStorage(options);
}
