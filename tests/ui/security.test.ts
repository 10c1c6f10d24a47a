import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { call, killLeftovers, requireBuiltUi, startUi, type UiProcess } from "./helpers.js";

let dir: string;
let ui: UiProcess;

beforeAll(async () => {
  requireBuiltUi();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-ui-"));
  const store = new Store();
  await store.open(dir);
  for (let i = 0; i < 20; i++) await store.set(`k${i}`, { i, status: i % 2 ? "odd" : "even" });
  await store.close();
  ui = await startUi(dir);
});

afterAll(async () => {
  const end = await ui?.stop();
  expect(end).toEqual({ code: 0, signal: null });
  killLeftovers();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function stillServing(): Promise<void> {
  const info = await call(ui, "/api/info");
  expect(info.status).toBe(200);
}

describe("opslog ui security", () => {
  it("a missing or wrong token is 401, in the header or the query", async () => {
    for (const options of [
      { noToken: true },
      { headers: { "x-opslog-token": "nope" } },
      { headers: { "x-opslog-token": ui.token.slice(0, -1) + (ui.token.endsWith("A") ? "B" : "A") } },
    ]) {
      const answer = await call(ui, "/api/records", options);
      expect(answer.status).toBe(401);
      expect(answer.json.error.code).toBe("unauthorized");
    }
    expect((await call(ui, `/api/info?token=${ui.token}`, { noToken: true })).status).toBe(200);
    expect((await call(ui, `/api/info?token=wrong`, { noToken: true })).status).toBe(401);
  });

  it("a Host other than 127.0.0.1:<port> or localhost:<port> is 403, even with the token", async () => {
    for (const host of ["evil.example", `evil.example:${ui.port}`, "127.0.0.1", `127.0.0.1:${ui.port + 1}`, `localhost.evil:${ui.port}`]) {
      const answer = await call(ui, "/api/info", { headers: { host } });
      expect(answer.status, host).toBe(403);
      expect(answer.json.error.code).toBe("forbidden");
      expect((await call(ui, "/", { headers: { host }, noToken: true })).status).toBe(403);
    }
    expect((await call(ui, "/api/info", { headers: { host: `localhost:${ui.port}` } })).status).toBe(200);
  });

  it("bad parameters are 400 naming them, and the server goes on", async () => {
    const bad: [string, string][] = [
      ["/api/records?offset=-1", "offset"],
      ["/api/records?offset=1.5", "offset"],
      ["/api/records?offset=99999999999999999999", "offset"],
      ["/api/records?limit=0", "limit"],
      ["/api/records?limit=1001", "limit"],
      ["/api/records?limit=ten", "limit"],
      ["/api/records?limit=1&limit=2", "limit"],
      [`/api/records?where=${encodeURIComponent("{bad")}`, "where"],
      [`/api/records?where=${encodeURIComponent("[1]")}`, "where"],
      [`/api/records?where=${encodeURIComponent('{"$bogus":1}')}`, "where"],
      [`/api/records?where=${encodeURIComponent('{"a":{"$regex":"("}}')}`, "where"],
      ["/api/records?filter=novalue", "filter"],
      ["/api/records?filter==1", "filter"],
      ["/api/records/%E0%A4%A", "id"],
      ["/api/records/%ZZ/history", "id"],
      [`/api/records/${"x".repeat(1025)}`, "id"],
      ["/api/at", "seq"],
      ["/api/at?seq=1&time=2026-01-01T00:00:00Z", "seq"],
      ["/api/at?seq=-3", "seq"],
      ["/api/at?seq=100000", "seq"],
      ["/api/at?time=yesterday", "time"],
      ["/api/at?time=2026-13-45T99:00:00Z", "time"],
      ["/api/activity?bucketMs=0", "bucketMs"],
      ["/api/activity?bucketMs=1", "bucketMs"],
      ["/api/activity?from=10&to=5", "from"],
      ["/api/activity?from=x", "from"],
      ["/api/ops?since=-1", "since"],
      ["/api/ops?limit=5000", "limit"],
      ["/api/events?since=abc", "since"],
    ];
    for (const [url, param] of bad) {
      const answer = await call(ui, url);
      expect(answer.status, url).toBe(400);
      expect(answer.json.error.code, url).toBe("bad_request");
      expect(answer.json.error.message, url).toContain(param);
    }
    await stillServing();
  });

  it("unknown routes are 404, wrong methods 405, a bad body 400, static POST 405", async () => {
    expect((await call(ui, "/api/nothing")).json.error.code).toBe("not_found");
    const wrong = await call(ui, "/api/info", { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.json.error.code).toBe("method_not_allowed");
    expect(wrong.headers.allow).toBe("GET");
    expect((await call(ui, "/", { method: "POST", noToken: true })).status).toBe(405);
    await stillServing();
  });

  it("property: random paths and query strings never get a 5xx nor stop the server", async () => {
    const names = ["offset", "limit", "id", "where", "filter", "seq", "time", "from", "to", "bucketMs", "since", "token", "x"];
    const routes = ["/api/records", "/api/records/", "/api/at", "/api/activity", "/api/ops", "/api/range", "/api/info", "/api/health", "/api/records/k1/history", "/api", "/api/", "/", "/assets/"];
    const text = fc.string({ unit: fc.constantFrom("%", "&", "=", "+", "/", ".", "{", "}", "[", "]", '"', ":", "$", "-", "0", "9", "a", "é", "🙂", "\\", "?", "#") , maxLength: 24 });
    const encoded = fc.tuple(text, fc.boolean()).map(([t, raw]) => (raw ? t.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c)).replace(/#/g, "%23") : encodeURIComponent(t)));
    const query = fc.array(fc.tuple(fc.constantFrom(...names), encoded), { maxLength: 5 });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), encoded, query, fc.constantFrom("GET", "POST", "PUT", "DELETE"), async (route, tail, params, method) => {
        const search = params.map(([name, value]) => `${name}=${value}`).join("&");
        const url = `${route}${route.endsWith("/") ? tail : ""}${search === "" ? "" : `?${search}`}`;
        const answer = await call(ui, url, { method, rawBody: method === "GET" ? undefined : tail });
        expect(answer.status, `${method} ${url}: ${answer.text}`).toBeLessThan(500);
        if (url.startsWith("/api") && answer.status >= 400) expect(answer.json?.error?.code, url).toEqual(expect.any(String));
      }),
      { numRuns: 300 },
    );
    await stillServing();
  });
});
