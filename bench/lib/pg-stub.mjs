// A stand-in for dist/postgres.js, only for working on the harness before opslog's PostgreSQL
// storage exists: postgres() gives a MemoryStorage (no server, no durability, nothing shared
// between processes). OPSLOG_BENCH_PG_MODULE=bench/lib/pg-stub.mjs node bench/pg-writes.mjs
// runs the opslog cells through it; the figures mean nothing.
import { pathToFileURL } from "node:url";
import { OPSLOG_MODULE } from "./pg-common.mjs";

const { MemoryStorage } = await import(pathToFileURL(OPSLOG_MODULE).href);

export function postgres() {
  return new MemoryStorage();
}
