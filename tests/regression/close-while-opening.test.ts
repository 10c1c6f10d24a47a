import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Review of issue 11: close() (and so `await using`) called while open() was still running threw
 * OPSLOG_NOT_OPEN synchronously and left the store to open afterwards, holding the lock.
 */
describe("regression: close() while open() runs", () => {
  it("waits for the open, then closes and releases the directory", async () => {
    const dir = tempDir();
    const store = new Store();
    const opening = store.open(dir);
    const closing = store.close();
    await opening;
    await closing;
    expect(() => store.get("a")).toThrow(expect.objectContaining({ code: "OPSLOG_CLOSED" }));
    const next = new Store(); // The lock is free.
    await next.open(dir);
    await next.close();
  });

  it("an `await using` scope left while opening closes the store", async () => {
    const dir = tempDir();
    let opening: Promise<void> | undefined;
    {
      await using store = new Store();
      opening = store.open(dir);
    }
    await opening;
    const next = new Store();
    await next.open(dir);
    await next.close();
  });

  it("a close() during an open that fails resolves, and a later open closes normally", async () => {
    const dir = tempDir();
    const holder = new Store();
    await holder.open(dir);
    const store = new Store();
    const opening = store.open(dir).catch((e: unknown) => e); // Fails: another writer holds it.
    await expect(store.close()).resolves.toBeUndefined();
    expect(await opening).toMatchObject({ code: "OPSLOG_LOCKED" });
    await holder.close();
    await store.open(dir);
    await store.close();
    const next = new Store(); // Closed for real: the lock is free.
    await next.open(dir);
    await next.close();
  });
});
