import { describe, it } from "vitest";
import type { Storage } from "../../src/storage/port.js";
import { PostgresStorage } from "../../src/storage/postgres/pg-storage.js";
import { storageContract } from "../../src/testing/storage-contract.js";
import { freshStore, pgServer } from "../postgres/pg-helpers.js";

/** The storage contract suite (docs/STORAGE.md) on PostgreSQL: a fresh store per test. */
const pg = pgServer();

const options = new WeakMap<Storage, { store: string }>();

function storage(store: string): PostgresStorage {
  const made = new PostgresStorage({ connectionString: pg.server.url, store, pollMs: 0 });
  options.set(made, { store });
  return made;
}

describe("postgres", () => {
  storageContract({
    name: "postgres",
    create: () => storage(freshStore("contract")),
    reopen: (previous) => storage(options.get(previous)!.store),
    test: it,
  });
});
