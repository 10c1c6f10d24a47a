import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

const fixtures = path.resolve("tests/fixtures/legacy");
interface Expected {
  state: [string, unknown][];
  ops: { ts: string; op: string; id: string; data?: unknown; prev: unknown }[];
  archives: Record<string, [string, unknown][]>;
  readerError?: unknown;
}
const expected = (JSON.parse(fs.readFileSync(path.join(fixtures, "expected.json"), "utf8")) as {
  fixtures: Record<string, Expected>;
}).fixtures;

function copyFixture(name: string): string {
  const dir = path.join(tempDir(), name);
  fs.cpSync(path.join(fixtures, name), dir, { recursive: true });
  return dir;
}

function plainOps(ops: readonly { ts: string; op: string; id: string; data?: unknown; prev: unknown }[]) {
  return ops.map(({ ts, op, id, data, prev }) => (op === "set" ? { ts, op, id, data, prev } : { ts, op, id, prev }));
}

const readable = Object.entries(expected).filter(([, e]) => e.readerError === undefined);

describe("directories written by opslog 0.x (SPEC §3, issue 2 item 10)", () => {
  it.each(readable)("%s opens read-only with the old store's state and operations", async (name, e) => {
    const dir = copyFixture(name);
    const store = new Store();
    await store.open(dir, { readOnly: true });
    expect(Object.fromEntries(store.entries())).toEqual(Object.fromEntries(e.state));
    expect(plainOps(store.getOps())).toEqual(plainOps(e.ops));
    await store.close();
    expect(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).not.toContain('"format":"opslog"');
  });

  it.each(readable)("%s is upgraded by a writable open and keeps everything", async (name, e) => {
    const dir = copyFixture(name);
    const store = new Store();
    await store.open(dir);
    expect(Object.fromEntries(store.entries())).toEqual(Object.fromEntries(e.state));
    for (const [legacyPath, records] of Object.entries(e.archives)) {
      const period = /archive-(.+)\.json$/.exec(legacyPath)![1]!;
      expect(Object.fromEntries(await store.loadArchive(period))).toEqual(Object.fromEntries(records));
    }
    await store.set("after-upgrade", { ok: true });
    await store.close();
    expect(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).toContain('"format":"opslog"');
    expect(fs.existsSync(path.join(dir, "legacy-0.x", "manifest.json"))).toBe(true);
    const again = new Store();
    await again.open(dir);
    expect(Object.fromEntries(again.entries())).toEqual({ ...Object.fromEntries(e.state), "after-upgrade": { ok: true } });
    expect(again.listArchiveSegments()).toHaveLength(Object.keys(e.archives).length);
    await again.close();
  });

  it("a damaged old log is reported as corruption, not silently skipped", async () => {
    const dir = copyFixture("g-undo-multibyte-damage");
    const store = new Store();
    await expect(store.open(dir)).rejects.toMatchObject({ code: "OPSLOG_CORRUPTION" });
    expect(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")).not.toContain('"format":"opslog"');
  });
});
