import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by a review (issue 10, defect 2): a compact() still running when close() resolved later
 * deleted the snapshot that the next writer's manifest named, and the store would not open
 * again. close() resolves only when nothing the store started can touch the directory again,
 * and calls made after close() get OPSLOG_CLOSED.
 */
describe("regression: compact() and close()", () => {
  it("close() waits for a running compact(); the next writer's store stays openable", async () => {
    const dir = tempDir();
    const setup = new Store<{ n: number; pad: string }>();
    await setup.open(dir);
    await setup.batch(() => {
      for (let i = 0; i < 30_000; i++) setup.set(`r${i}`, { n: i, pad: "x".repeat(50) });
    });
    await setup.close();
    // Nothing changed since the snapshot: close() has no checkpoint of its own to run.
    const store = new Store<{ n: number; pad: string }>();
    await store.open(dir);
    const compacting = store.compact().then(() => "done", (e: unknown) => e);
    await store.close();
    const settledFirst = await Promise.race([compacting, Promise.resolve("pending")]);
    expect(settledFirst).not.toBe("pending");
    const next = new Store<{ n: number; pad: string }>();
    await next.open(dir);
    await next.set("after", { n: -1, pad: "" });
    await next.compact();
    await next.set("after2", { n: -2, pad: "" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await next.close();
    const third = new Store<{ n: number; pad: string }>();
    await third.open(dir);
    expect(third.count()).toBe(30_002);
    await third.close();
  });

  it("calls after close() get OPSLOG_CLOSED", async () => {
    const store = new Store();
    await store.open(tempDir());
    await store.close();
    await expect(store.compact()).rejects.toMatchObject({ code: "OPSLOG_CLOSED" });
    expect(() => store.set("a", {})).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }));
    expect(() => store.get("a")).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }));
  });
});

describe("regression: ops() after close()", () => {
  it("stops with OPSLOG_CLOSED instead of reading the directory", async () => {
    const store = new Store<{ n: number }>();
    await store.open(tempDir(), { checkpointThreshold: 0 });
    for (let i = 0; i < 3; i++) {
      await store.set(`r${i}`, { n: i });
      await store.compact(); // one sealed segment per operation
    }
    const seen: number[] = [];
    const walk = (async () => {
      for await (const op of store.ops()) {
        seen.push(op.seq);
        if (seen.length === 1) await store.close();
      }
    })();
    await expect(walk).rejects.toMatchObject({ code: "OPSLOG_CLOSED" });
    expect(seen).toEqual([1]);
  });
});
