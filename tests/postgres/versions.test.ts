import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { freshStore, pgServer, pgStorage } from "./pg-helpers.js";

/** Schema versions across processes on PostgreSQL: an older program never writes or downgrades. */
const pg = pgServer();
type Doc = Record<string, unknown>;

async function seqOf(store: Store<Doc>, seq: number): Promise<void> {
  for (let i = 0; i < 400 && store.stats().seq < seq; i++) await new Promise((r) => setTimeout(r, 10));
}

describe("schema versions on PostgreSQL", () => {
  it("an older program is refused once the store migrated, and its close does not downgrade it", async () => {
    const name = freshStore("ver");
    const old = new Store<Doc>();
    await old.open(pgStorage(pg.server.url, name, { pollMs: 20 }));
    await old.set("k", { n: 1 });
    const next = new Store<Doc>();
    await next.open(pgStorage(pg.server.url, name, { pollMs: 20 }), { version: 2, migrate: (r) => ({ ...(r as Doc), m: 2 }) });
    await next.set("j", { n: 5, m: 2 });
    await seqOf(old, 2);
    await expect(old.set("k", { n: 2 })).rejects.toMatchObject({ code: "OPSLOG_VERSION" });
    await old.close();
    await next.close();
    const again = new Store<Doc>();
    await again.open(pgStorage(pg.server.url, name), { version: 2, migrate: () => ({ twice: true }) });
    expect(again.get("k")).toEqual({ n: 1, m: 2 });
    expect(again.get("j")).toEqual({ n: 5, m: 2 });
    await again.close();
  });
});
