import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";

/**
 * A process at an older schema version took the store's newer version from the operations it
 * read, and then committed old-shaped values labelled with the new version: the version guard
 * was bypassed once it had read one operation of the migrated store, or when it opened a store
 * already migrated. Commits now carry the program's own version: refused with OPSLOG_VERSION.
 */
type Doc = Record<string, unknown>;

async function seqOf(store: Store<Doc>, seq: number): Promise<void> {
  for (let i = 0; i < 200 && store.stats().seq < seq; i++) await new Promise((r) => setTimeout(r, 5));
}

describe("an older program on a migrated shared store", () => {
  it("is refused after it read a newer operation", async () => {
    const first = new MemoryStorage({ shared: true });
    const old = new Store<Doc>();
    await old.open(first);
    await old.set("k", { n: 1 });
    const next = new Store<Doc>();
    await next.open(new MemoryStorage({ shareWith: first }), { version: 2, migrate: (r) => ({ ...(r as Doc), m: 2 }) });
    await next.set("j", { n: 5, m: 2 });
    await seqOf(old, 2);
    await expect(old.set("k", { n: 2 })).rejects.toMatchObject({ code: "OPSLOG_VERSION" });
    await old.close();
    await next.close();
  });

  it("is refused when it opens a store already migrated", async () => {
    const first = new MemoryStorage({ shared: true });
    const next = new Store<Doc>();
    await next.open(first, { version: 2 });
    await next.set("a", { v: 2 });
    const old = new Store<Doc>();
    await old.open(new MemoryStorage({ shareWith: first }), { version: 1 });
    await expect(old.set("b", { v: 1 })).rejects.toMatchObject({ code: "OPSLOG_VERSION" });
    await old.close();
    await next.close();
  });
});
