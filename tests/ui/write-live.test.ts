import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { call, eventually, events, killLeftovers, requireBuiltUi, root, startUi } from "./helpers.js";

let dir: string;

beforeEach(async () => {
  requireBuiltUi();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-ui-"));
  const store = new Store();
  await store.open(dir);
  await store.set("a", { n: 1 });
  await store.close();
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
afterAll(() => killLeftovers());

const confirm = { confirm: true };

describe("opslog ui write routes", () => {
  it("are 403 read_only without --write, and write nothing", async () => {
    const ui = await startUi(dir);
    for (const [method, url, body] of [
      ["POST", "/api/undo", confirm],
      ["POST", "/api/redo", confirm],
      ["PUT", "/api/records/a", { ...confirm, value: { n: 2 } }],
      ["DELETE", "/api/records/a", confirm],
    ] as const) {
      const answer = await call(ui, url, { method, body });
      expect(answer.status, url).toBe(403);
      expect(answer.json.error.code).toBe("read_only");
    }
    expect((await call(ui, "/api/records/a")).json.value).toEqual({ n: 1 });
    expect(await ui.stop()).toEqual({ code: 0, signal: null });
  });

  it("with --write: put, delete, undo, redo work, each only with confirm: true", async () => {
    const ui = await startUi(dir, ["--write"]);
    expect((await call(ui, "/api/info")).json).toMatchObject({ readOnly: false, write: true });
    for (const body of [undefined, {}, { confirm: "yes" }, { confirm: false, value: 1 }, [true]]) {
      const answer = await call(ui, "/api/records/b", { method: "PUT", body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error.message).toMatch(/confirm|body/);
    }
    expect((await call(ui, "/api/undo", { method: "POST", rawBody: "{not json" })).status).toBe(400);
    expect((await call(ui, "/api/records/b", { method: "PUT", body: confirm })).json.error.message).toContain("value");
    const odd = "ü/%?#__proto__";
    const put = await call(ui, `/api/records/${encodeURIComponent(odd)}`, { method: "PUT", body: { ...confirm, value: { n: 2 } } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ id: odd, version: 2 });
    expect((await call(ui, `/api/records/${encodeURIComponent(odd)}`)).json).toMatchObject({ value: { n: 2 }, version: 2 });
    const bad = await call(ui, "/api/records/c", { method: "PUT", body: { ...confirm, value: null } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.opslogCode).toBe("OPSLOG_INVALID_VALUE");
    const missing = await call(ui, "/api/records/nobody", { method: "DELETE", body: confirm });
    expect(missing.status).toBe(404);
    expect((await call(ui, "/api/records/a", { method: "DELETE", body: {} })).status).toBe(400);
    expect((await call(ui, "/api/records/a", { method: "DELETE", body: confirm })).json).toEqual({ id: "a" });
    expect((await call(ui, "/api/records/a")).status).toBe(404);
    expect((await call(ui, "/api/undo", { method: "POST", body: {} })).status).toBe(400);
    expect((await call(ui, "/api/undo", { method: "POST", body: confirm })).json).toEqual({ done: true });
    expect((await call(ui, "/api/records/a")).json.value).toEqual({ n: 1 });
    expect((await call(ui, "/api/redo", { method: "POST", body: confirm })).json).toEqual({ done: true });
    expect((await call(ui, "/api/redo", { method: "POST", body: confirm })).json).toEqual({ done: false });
    expect((await call(ui, "/api/records")).json.total).toBe(1);
    const history = (await call(ui, "/api/records/a/history")).json.ops;
    expect(history.map((op: { undo?: number; redo?: number }) => [op.undo ?? null, op.redo ?? null])).toEqual([
      [null, null], [null, null], [3, null], [null, 3],
    ]);
    // The health view names the lock holder: this process.
    expect((await call(ui, "/api/health")).json.lock).toMatchObject({ pid: ui.child.pid });
    expect(await ui.stop()).toEqual({ code: 0, signal: null });
    // The lock is released: a writer opens at once.
    const store = new Store();
    await store.open(dir);
    expect(store.get(odd)).toEqual({ n: 2 });
    expect(store.has("a")).toBe(false);
    await store.close();
  });

  it("--write fails with exit 4 while another process holds the lock", async () => {
    const writer = await startUi(dir, ["--write"]);
    await expect(startUi(dir, ["--write"])).rejects.toThrow(/exited \(4\).*OPSLOG_LOCKED/s);
    expect(await writer.stop("SIGINT")).toEqual({ code: 0, signal: null });
  });
});

describe("opslog ui live", () => {
  it("a writer in another process: its ops arrive on /api/events and in /api/records", async () => {
    const ui = await startUi(dir);
    const feed = events(ui);
    expect(await feed.opened).toBe(200);
    await eventually(() => feed.received.some((e) => e.event === "ready"), 10_000, "ready");
    const writer = spawn(process.execPath, [path.join(root, "tests/ui/writer.mjs"), dir, "20", "w"], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    writer.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    await eventually(() => feed.received.filter((e) => e.event === "op").length >= 20, 30_000, "20 live ops");
    const ops = feed.received.filter((e) => e.event === "op").map((e) => e.data);
    expect(ops.map((op) => op.id)).toEqual(Array.from({ length: 20 }, (_, i) => `w${i}`));
    expect(ops.map((op) => op.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(ops[0]).toMatchObject({ op: "set", data: { i: 0, from: "writer" }, prev: null, meta: { actor: "writer.mjs" } });
    expect(feed.received.filter((e) => e.event === "op").map((e) => e.id)).toEqual(ops.map((op) => String(op.seq)));
    await eventually(async () => (await call(ui, "/api/records")).json.total === 21, 10_000, "records");
    const listed = (await call(ui, "/api/records?limit=1000")).json.items.map((item: { id: string }) => item.id);
    expect(listed).toEqual(["a", ...Array.from({ length: 20 }, (_, i) => `w${i}`)].sort());
    expect((await call(ui, "/api/records?id=w1")).json.total).toBe(11);
    await eventually(() => out.includes("done"), 20_000, "writer done");
    // Resuming after a seq (what EventSource does with Last-Event-ID) replays what followed it.
    const resumed = events(ui, "&since=18");
    await eventually(() => resumed.received.filter((e) => e.event === "op").length === 3, 10_000, "resumed");
    expect(await ui.stop()).toEqual({ code: 0, signal: null });
    await eventually(() => feed.ended() && resumed.ended(), 5000, "streams closed");
  });
});

describe("opslog ui command line", () => {
  it("a bad --port is exit 2, a missing directory exit 3, a port in use exit 1", async () => {
    await expect(startUi(dir, ["--port", "70000"])).rejects.toThrow(/exited \(2\).*--port/s);
    await expect(startUi(path.join(dir, "missing"))).rejects.toThrow(/exited \(3\).*OPSLOG_NOT_FOUND/s);
    const first = await startUi(dir);
    await expect(startUi(dir, ["--port", String(first.port)])).rejects.toThrow(/exited \(1\).*cannot listen/s);
    expect(await first.stop()).toEqual({ code: 0, signal: null });
  });
});
