import fc from "fast-check";
import { describe, it } from "vitest";
import { runSharedSteps, sharedSteps, type SharedTarget } from "../helpers/shared-run.js";
import { freshStore, pgServer, pgStorage } from "./pg-helpers.js";

/** The model test of tests/property/shared-writers.test.ts, on a real PostgreSQL server. */
const pg = pgServer();

function pgTarget(): SharedTarget {
  const store = freshStore("model");
  return {
    handle: () => pgStorage(pg.server.url, store, { pollMs: 50 }),
    pause: () => new Promise((resolve) => setTimeout(resolve, 20)),
  };
}

describe("many writers on PostgreSQL", () => {
  it("every store converges on the global log; acknowledged writes are in it, refused ones are not", async () => {
    await fc.assert(
      fc.asyncProperty(sharedSteps(3, 25), async (steps) => {
        await runSharedSteps(pgTarget(), 3, steps);
      }),
      { numRuns: Number(process.env.OPSLOG_SHARED_RUNS ?? 15) },
    );
  }, 240_000);
});
