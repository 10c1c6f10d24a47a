import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { call, eventually, events, killLeftovers, requireBuiltUi, root, startUi } from "../ui/helpers.js";
import { freshStore, pgServer } from "./pg-helpers.js";

/** `opslog ui` on a store kept by PostgreSQL: the routes, and a live op from another process. */
const pg = pgServer();
beforeAll(() => requireBuiltUi());
afterAll(() => killLeftovers());

describe("opslog ui on PostgreSQL", () => {
  it("serves the routes on a postgres URL and follows a writer in another process", async () => {
    const url = `${pg.server.url.replace("postgres@", "postgres:s3cret@")}?store=${encodeURIComponent(freshStore("ui"))}`;
    const store = new Store();
    await store.open(url);
    await store.set("a/b", { n: 1 });
    await store.set("a/b", { n: 2 }, { meta: { actor: "t" } });
    await store.close();
    const ui = await startUi(url);
    const info = (await call(ui, "/api/info")).json;
    expect(info).toMatchObject({ backend: "postgres", readOnly: true, records: 1, seq: 2 });
    expect(info.target).not.toContain("s3cret");
    expect((await call(ui, "/api/records")).json).toEqual({ total: 1, offset: 0, items: [{ id: "a/b", value: { n: 2 } }] });
    expect((await call(ui, "/api/records/a%2Fb")).json).toEqual({ id: "a/b", value: { n: 2 }, version: 2, exists: true });
    const history = (await call(ui, "/api/records/a%2Fb/history")).json;
    expect(history.ops[1].diff).toEqual([{ path: "n", kind: "changed", before: 1, after: 2 }]);
    expect((await call(ui, "/api/at?seq=1")).json.items).toEqual([{ id: "a/b", value: { n: 1 } }]);
    const health = (await call(ui, "/api/health")).json;
    expect(health).toMatchObject({ files: [], lock: null, verify: { ok: true, problems: [] }, records: { active: 1 } });
    expect((await call(ui, "/api/range")).json).toMatchObject({ firstSeq: 1, lastSeq: 2 });
    const feed = events(ui);
    await eventually(() => feed.received.some((e) => e.event === "ready"), 10_000, "ready");
    const writer = spawn(process.execPath, [path.join(root, "tests/ui/writer.mjs"), url, "3", "live"], { stdio: "ignore" });
    await eventually(() => feed.received.filter((e) => e.event === "op").length >= 3, 30_000, "live ops");
    expect(feed.received.filter((e) => e.event === "op").map((e) => e.data.id)).toEqual(["live0", "live1", "live2"]);
    await eventually(async () => (await call(ui, "/api/records")).json.total === 4, 10_000, "records");
    await new Promise((resolve) => writer.on("close", resolve));
    expect(await ui.stop()).toEqual({ code: 0, signal: null });
  });
});
