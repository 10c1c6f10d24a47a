import pg from "pg";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { postgres } from "../../src/postgres.js";
import { freshStore, pgServer } from "../postgres/pg-helpers.js";

/**
 * A pg.Pool the program passed had no 'error' listener: when the server ended its idle clients
 * (an admin's pg_terminate_backend, a restart), the pool's 'error' event crashed the process.
 */
const server = pgServer();

describe("a program's own pg.Pool", () => {
  it("survives the server ending its idle connections, and the store goes on", async () => {
    const pool = new pg.Pool({ connectionString: server.server.url, max: 4 });
    const store = new Store<Record<string, unknown>>();
    await store.open(postgres({ pool, store: freshStore("pool") }));
    await Promise.all([store.set("a", { v: 1 }), store.set("b", { v: 2 })]);
    const admin = new pg.Client({ connectionString: server.server.url });
    await admin.connect();
    await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and datname = current_database()");
    await admin.end();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the idle clients' errors arrive
    await store.set("c", { v: 3 });
    expect(store.get("c")).toEqual({ v: 3 });
    await store.close();
    expect(pool.listenerCount("error")).toBe(0); // the program's pool is left as it was given
    await pool.end();
  });
});
