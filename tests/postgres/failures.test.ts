import { describe, expect, it } from "vitest";
import { chunkOps } from "../../src/testing/contract-kit.js";
import { freshStore, open, pgServer, pgStorage, request, set } from "./pg-helpers.js";

const pg = pgServer();

interface Attempt {
  id: string;
  value: number;
  result: "resolved" | "conflict" | "io" | "other";
  seq?: number;
}

describe("PostgreSQL storage failures", () => {
  it("recovers from a server crash during commits: nothing resolved is lost", async () => {
    const store = freshStore();
    const storage = pgStorage(pg.server.url, store, { commitTimeoutMs: 20_000 });
    await open(storage);
    const attempts: Attempt[] = [];
    let running = true;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; running || i < 3; i++) {
        const value = w * 100_000 + i;
        const commit = request(0, [set(`w${w}`, value)]);
        commit.units[0]!.overwrite = true;
        const attempt: Attempt = { id: `w${w}`, value, result: "other" };
        attempts.push(attempt);
        try {
          const outcome = await storage.shared.commit(commit);
          const unit = outcome.units[0]!;
          attempt.result = "seq" in unit ? "resolved" : "conflict";
          if ("seq" in unit) attempt.seq = unit.seq;
        } catch (error) {
          attempt.result = (error as { code?: string }).code === "OPSLOG_IO" ? "io" : "other";
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 400));
    pg.server.crash();
    await new Promise((resolve) => setTimeout(resolve, 700));
    pg.server.restart();
    await new Promise((resolve) => setTimeout(resolve, 300));
    running = false;
    await Promise.all(writers);
    const log = (await storage.shared.fetch(0, 1_000_000)).ops;
    const bySeq = new Map(log.map((op) => [op.seq, op]));
    const resolved = attempts.filter((a) => a.result === "resolved");
    expect(resolved.length).toBeGreaterThan(10);
    expect(attempts.filter((a) => a.result === "conflict" || a.result === "other")).toEqual([]);
    for (const attempt of resolved) {
      const op = bySeq.get(attempt.seq!);
      expect(op?.id).toBe(attempt.id);
      expect(op?.data).toBe(attempt.value);
    }
    expect(log.map((op) => op.seq)).toEqual(log.map((_, i) => i + 1));
    // The synchronous reader reconnects too.
    expect(chunkOps(storage.readOps(1, 1))).toHaveLength(1);
    await storage.close();
  });

  it("past the deadline a commit rejects with OPSLOG_IO saying the outcome is unknown", async () => {
    const storage = pgStorage(pg.server.url, freshStore(), { commitTimeoutMs: 1500 });
    await open(storage);
    await storage.shared.commit(request(0, [set("a", 1)]));
    pg.server.crash();
    try {
      const started = Date.now();
      const error = await storage.shared.commit(request(1, [set("a", 2)])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: "OPSLOG_IO" });
      expect((error as Error).message).toMatch(/unknown/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      pg.server.restart();
    }
    // When the server is back, the store keeps working.
    const outcome = await storage.shared.commit(request(1, [set("a", 3, { seen: 1 })]));
    expect(outcome.head).toBe(2);
    await storage.close();
  });

  it("a dropped connection never crashes the process (error listeners everywhere)", async () => {
    const storage = pgStorage(pg.server.url, freshStore(), { pollMs: 50 });
    await open(storage);
    const stop = storage.shared.onCommit(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    pg.server.crash();
    await new Promise((resolve) => setTimeout(resolve, 300));
    pg.server.restart();
    const outcome = await storage.shared.commit(request(0, [set("a", 1)]));
    expect(outcome.head).toBe(1);
    stop();
    await storage.close();
  });
});
