import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { call, killLeftovers, requireBuiltUi, startUi, type UiProcess } from "./helpers.js";

const oddIds = ["plain", "ünïcödé-日本-🙂", "a/b", "100%", "a%2Fb", "__proto__", "constructor", "sp ace?&=#", "x".repeat(1024)];
let dir: string;
let ui: UiProcess;
let firstTs: string;

beforeAll(async () => {
  requireBuiltUi();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-ui-"));
  const store = new Store<Record<string, unknown>>();
  await store.open(dir);
  await store.set("r1", { status: "open", n: 1, tags: ["a", "b"], nested: { k: 1 } });
  await store.set("r2", { status: "done", n: 2 });
  await store.set("r1", { status: "open", n: 3, tags: ["a"], nested: { k: 2 } }, { meta: { actor: "ann", reason: "fix" } });
  for (const id of oddIds) await store.set(id, { odd: true, id });
  await store.delete("r2");
  await store.undo();
  firstTs = store.getHistory("r1")[0]!.ts;
  await store.close();
  ui = await startUi(dir);
});

afterAll(async () => {
  await ui?.stop();
  killLeftovers();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("opslog ui routes (read-only)", () => {
  it("prints a 127.0.0.1 URL with a 43-character base64url token", () => {
    expect(ui.url).toBe(`http://127.0.0.1:${ui.port}/?token=${ui.token}`);
    expect(ui.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("/api/info", async () => {
    const { status, json, headers } = await call(ui, "/api/info");
    expect(status).toBe(200);
    expect(headers["cache-control"]).toBe("no-store");
    expect(headers["content-security-policy"]).toContain("default-src 'self'");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("no-referrer");
    expect(json).toEqual({
      target: dir,
      backend: "directory",
      readOnly: true,
      write: false,
      records: 2 + oddIds.length,
      seq: 3 + oddIds.length + 2,
      indexes: [],
      version: expect.any(String),
    });
  });

  it("/api/records pages in id order, with id search, where and filter", async () => {
    const all = (await call(ui, "/api/records?limit=1000")).json;
    const ids = [...oddIds, "r1", "r2"].sort();
    expect(all.total).toBe(ids.length);
    expect(all.items.map((item: { id: string }) => item.id)).toEqual(ids);
    const page = (await call(ui, "/api/records?offset=2&limit=3")).json;
    expect(page).toEqual({ total: ids.length, offset: 2, items: all.items.slice(2, 5) });
    const search = (await call(ui, `/api/records?id=${encodeURIComponent("a")}`)).json;
    expect(search.items.map((item: { id: string }) => item.id)).toEqual(ids.filter((id) => id.includes("a")));
    const where = (await call(ui, `/api/records?where=${encodeURIComponent('{"n":{"$gte":3}}')}`)).json;
    expect(where.items).toEqual([{ id: "r1", value: { status: "open", n: 3, tags: ["a"], nested: { k: 2 } } }]);
    const filter = (await call(ui, `/api/records?filter=${encodeURIComponent("status=done")}`)).json;
    expect(filter.items.map((item: { id: string }) => item.id)).toEqual(["r2"]);
    const numeric = (await call(ui, `/api/records?filter=${encodeURIComponent("nested.k=2")}`)).json;
    expect(numeric.total).toBe(1);
    const both = (await call(ui, `/api/records?filter=odd=true&id=${encodeURIComponent("%")}`)).json;
    expect(both.items.map((item: { id: string }) => item.id)).toEqual(["100%", "a%2Fb"]);
    const past = (await call(ui, "/api/records?offset=1000")).json;
    expect(past).toEqual({ total: ids.length, offset: 1000, items: [] });
  });

  it("odd ids round-trip through the URL: record and history", async () => {
    for (const id of oddIds) {
      const one = await call(ui, `/api/records/${encodeURIComponent(id)}`);
      expect(one.status, id).toBe(200);
      expect(one.json).toEqual({ id, value: { odd: true, id }, version: expect.any(Number), exists: true });
      const history = await call(ui, `/api/records/${encodeURIComponent(id)}/history`);
      expect(history.json.id).toBe(id);
      expect(history.json.ops).toHaveLength(1);
    }
  });

  it("/api/records/:id is 404 for a missing record; history of it is empty", async () => {
    const missing = await call(ui, "/api/records/nobody");
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("not_found");
    expect((await call(ui, "/api/records/nobody/history")).json).toEqual({ id: "nobody", ops: [] });
  });

  it("/api/records/:id/history has every op with meta, undo marks and field diffs", async () => {
    const r1 = (await call(ui, "/api/records/r1/history")).json;
    expect(r1.ops).toHaveLength(2);
    expect(r1.ops[1]).toMatchObject({ op: "set", id: "r1", meta: { actor: "ann", reason: "fix" } });
    expect(r1.ops[1].diff).toEqual([
      { path: "n", kind: "changed", before: 1, after: 3 },
      { path: "tags.1", kind: "removed", before: "b" },
      { path: "nested.k", kind: "changed", before: 1, after: 2 },
    ]);
    expect(r1.ops[0].diff.map((d: { kind: string }) => d.kind)).toEqual(["added", "added", "added", "added"]);
    const r2 = (await call(ui, "/api/records/r2/history")).json;
    expect(r2.ops.map((op: { op: string }) => op.op)).toEqual(["set", "delete", "set"]);
    expect(r2.ops[2].undo).toBe(r2.ops[1].seq);
    expect(r2.ops[1].diff).toEqual([
      { path: "status", kind: "removed", before: "done" },
      { path: "n", kind: "removed", before: 2 },
    ]);
  });

  it("/api/at by seq and time, with what changed since", async () => {
    const at2 = (await call(ui, "/api/at?seq=2")).json;
    expect(at2.point).toEqual({ seq: 2, ts: expect.any(String) });
    expect(at2.total).toBe(2);
    expect(at2.items.map((item: { id: string }) => item.id)).toEqual(["r1", "r2"]);
    expect(at2.items[0].value.n).toBe(1);
    expect(at2.changes.added.sort()).toEqual([...oddIds].sort());
    expect(at2.changes).toMatchObject({ removed: [], changed: ["r1"], truncated: false });
    const byTime = (await call(ui, `/api/at?time=${encodeURIComponent(firstTs)}&limit=1`)).json;
    expect(byTime.point.seq).toBe(1);
    expect(byTime.items).toEqual([{ id: "r1", value: { status: "open", n: 1, tags: ["a", "b"], nested: { k: 1 } } }]);
    const zero = (await call(ui, "/api/at?seq=0")).json;
    expect(zero).toMatchObject({ point: { seq: 0, ts: null }, total: 0, items: [] });
  });

  it("/api/range, /api/ops, /api/activity", async () => {
    const last = 3 + oddIds.length + 2;
    const range = (await call(ui, "/api/range")).json;
    expect(range).toEqual({ firstSeq: 1, lastSeq: last, firstTs: firstTs, lastTs: expect.any(String) });
    const newest = (await call(ui, "/api/ops?limit=2")).json;
    expect(newest.ops.map((op: { seq: number }) => op.seq)).toEqual([last, last - 1]);
    const after = (await call(ui, "/api/ops?since=1&limit=2")).json;
    expect(after.ops.map((op: { seq: number }) => op.seq)).toEqual([2, 3]);
    expect((await call(ui, `/api/ops?since=${last}`)).json).toEqual({ ops: [] });
    const from = Date.parse(firstTs) - 500;
    const activity = (await call(ui, `/api/activity?from=${from}&to=${Date.now() + 1}&bucketMs=60000`)).json;
    expect(activity.bucketMs).toBe(60000);
    const total = activity.buckets.reduce((sum: number, [, count]: [number, number]) => sum + count, 0);
    expect(total).toBe(last);
    expect(activity.buckets[0][0]).toBe(from);
    const recent = (await call(ui, "/api/activity")).json;
    expect(recent.buckets).toHaveLength(600);
  });

  it("/api/health lists files, verify, lock and history", async () => {
    const health = (await call(ui, "/api/health")).json;
    expect(health.verify).toEqual({ ok: true, problems: [], checkedAt: expect.any(String) });
    expect(health.files.length).toBeGreaterThan(0);
    for (const file of health.files) expect(file).toEqual({ name: expect.any(String), bytes: expect.any(Number) });
    expect(health.lock).toBeNull();
    expect(health.history).toMatchObject({ firstSeq: 1, lastSeq: 3 + oddIds.length + 2, ops: 3 + oddIds.length + 2 });
    expect(health.records).toEqual({ active: 2 + oddIds.length, archived: 0 });
  });

  it("serves a page at / without a token (the not-built page when dist/ui/web is missing)", async () => {
    const page = await call(ui, "/", { noToken: true });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    if (!fs.existsSync(path.join(path.dirname(dir), "never"))) expect(page.text).toContain("opslog");
    const missing = await call(ui, "/assets/none.js", { noToken: true });
    expect(missing.status).toBe(404);
    for (const bad of ["/../package.json", "/%2e%2e/package.json", "/assets/..%2f..%2fpackage.json", "/.env"]) {
      expect((await call(ui, bad, { noToken: true })).status, bad).toBe(404);
    }
  });
});
