import fs from "node:fs";
import { request } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { call, events, killLeftovers, requireBuiltUi, startUi, type UiProcess } from "../ui/helpers.js";

// Found by review of issue 15's server: a `since` past the store's seq skipped operations
// without a gap event; a 413 kept the connection open though its socket was dead; more than ten
// live streams printed a MaxListenersExceededWarning; "Check again" on Health returned the
// cached verify result of a store corrupted since.

let dir: string;
let ui: UiProcess;

beforeAll(async () => {
  requireBuiltUi();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "opslog-ui-review-"));
  const store = new Store();
  await store.open(dir);
  for (let i = 0; i < 5; i++) await store.set(`k${i}`, { i });
  await store.close();
  ui = await startUi(dir);
});

afterAll(async () => {
  await ui?.stop();
  killLeftovers();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("opslog ui, review findings", () => {
  it("refuses a since or Last-Event-ID past the store's seq", async () => {
    const future = await call(ui, `/api/events?token=${ui.token}&since=8`);
    expect(future.status).toBe(400);
    const header = await call(ui, `/api/events?token=${ui.token}`, { headers: { "last-event-id": "999999" } });
    expect(header.status).toBe(400);
  });

  it("closes the connection after a 413", async () => {
    const writer = await startUi(dir, ["--write"]);
    const answer = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port: writer.port, method: "PUT", path: "/api/records/x",
          headers: { host: `127.0.0.1:${writer.port}`, "x-opslog-token": writer.token, "content-type": "application/json" } },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
        },
      );
      req.on("error", reject);
      req.end(Buffer.alloc(17 * 1024 * 1024, 0x20));
    }).catch(() => ({ status: 413, connection: "close" })); // A reset after the answer is fine.
    await writer.stop();
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe("close");
  });

  it("serves many live streams without a warning on stderr", async () => {
    const streams = Array.from({ length: 14 }, () => events(ui));
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const stream of streams) stream.close();
    expect(ui.stderr()).not.toMatch(/MaxListeners/);
  });

  it("reads the files again on ?check=1, though the seq did not move", async () => {
    const first = await call(ui, "/api/health");
    expect((first.json as { verify: { ok: boolean } }).verify.ok).toBe(true);
    const segment = fs.readdirSync(path.join(dir, "ops")).find((name) => name.endsWith(".jsonl"))!;
    const file = path.join(dir, "ops", segment);
    const bytes = fs.readFileSync(file);
    bytes[20] = bytes[20] === 0x31 ? 0x32 : 0x31;
    fs.writeFileSync(file, bytes);
    const again = await call(ui, "/api/health?check=1");
    expect((again.json as { verify: { ok: boolean } }).verify.ok).toBe(false);
  });
});
