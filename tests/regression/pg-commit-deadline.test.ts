import { describe, expect, it } from "vitest";
import { freshStore, open, pgServer, pgStorage, request, set } from "../postgres/pg-helpers.js";

/**
 * Found by tests/postgres/multiprocess.test.ts (a server crash, writers with a 1.5 s deadline).
 * A commit that lost its connection gave up as soon as its next backoff pause would end past
 * commitTimeoutMs: with 1500 ms it rejected with OPSLOG_IO after about 900 ms (pauses 50, 100,
 * 200, 400, then 800 would pass the deadline), although docs/POSTGRES.md promises retries until
 * the deadline: a server back after one second still failed the write.
 */
const pg = pgServer();

describe("regression: a commit's deadline", () => {
  it("retries a lost connection for the whole commitTimeoutMs before OPSLOG_IO", async () => {
    const storage = pgStorage(pg.server.url, freshStore(), { commitTimeoutMs: 1500 });
    await open(storage);
    pg.server.crash();
    try {
      const started = Date.now();
      const error = await storage.shared.commit(request(0, [set("a", 1)])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: "OPSLOG_IO" });
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      pg.server.restart();
    }
    await storage.close();
  });
});
