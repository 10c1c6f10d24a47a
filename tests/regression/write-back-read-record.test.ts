import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found in review: records written by set() carry their JSON text in a hidden symbol-keyed
 * property, and the value check refused every symbol-keyed property, so writing a record read
 * from the store back (whole, or nested in another value) failed with OPSLOG_INVALID_VALUE.
 * Only opslog's own text property may pass; a user's symbol is still refused.
 */
describe("regression: writing back a record read from the store", () => {
  it("is accepted whole and nested, and reads back equal after reopen", async () => {
    const dir = tempDir();
    const store = new Store<Record<string, unknown>>();
    await store.open(dir);
    await store.set("a", { n: 1, tags: ["x"] });
    await store.set("b", store.get("a")!);
    await store.set("c", { inner: store.get("a"), list: [store.get("b")] });
    await store.batch(() => {
      void store.set("d", store.get("c")!);
    });
    expect(store.get("b")).toEqual({ n: 1, tags: ["x"] });
    expect(store.get("d")).toEqual({ inner: { n: 1, tags: ["x"] }, list: [{ n: 1, tags: ["x"] }] });
    await store.close();
    const again = new Store<Record<string, unknown>>();
    await again.open(dir, { readOnly: true });
    expect(again.get("b")).toEqual({ n: 1, tags: ["x"] });
    expect(again.get("c")).toEqual({ inner: { n: 1, tags: ["x"] }, list: [{ n: 1, tags: ["x"] }] });
    expect(again.get("d")).toEqual(again.get("c"));
    await again.close();
  });

  it("still refuses a user's symbol-keyed property, on a record read from the store too", async () => {
    const store = new Store<Record<string | symbol, unknown>>();
    await store.open(tempDir());
    await store.set("a", { n: 1 });
    const withSymbol = { ...store.get("a"), [Symbol("mine")]: 1 };
    expect(() => store.set("b", withSymbol)).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_VALUE" }));
    expect(store.has("b")).toBe(false);
    await store.close();
  });
});
