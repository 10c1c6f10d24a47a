import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { Store, verify } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found in review: a sealed segment that lost whole records at its end (damage that cut it at a
 * line boundary) read as sound, because only the active segment's end was checked against
 * anything. History silently missed acknowledged operations. The manifest records each sealed
 * segment's last seq; a segment ending earlier is corruption.
 */
describe("regression: a sealed segment missing its last records", () => {
  it("is reported as corruption by history reads and by verify()", async () => {
    const dir = tempDir();
    const store = new Store<{ n: number }>();
    await store.open(dir, { checkpointThreshold: 0, checkpointOnClose: false });
    for (let i = 0; i < 5; i++) await store.set(`k${i}`, { n: i });
    await store.compact();
    await store.close();
    const sealed = path.join(dir, "ops", "seg-000001.jsonl.gz");
    const lines = zlib.gunzipSync(fs.readFileSync(sealed)).toString("utf8").split("\n").filter(Boolean);
    fs.writeFileSync(sealed, zlib.gzipSync(`${lines.slice(0, 3).join("\n")}\n`));
    const again = new Store<{ n: number }>();
    await again.open(dir); // The snapshot covers the state; only history is damaged.
    expect(again.count()).toBe(5);
    expect(() => again.getOps()).toThrow(expect.objectContaining({ code: "OPSLOG_CORRUPTION" }));
    expect(() => again.getHistory("k4")).toThrow(/manifest says it holds operations up to 5/);
    await again.close();
    const report = await verify(dir);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ file: path.join("ops", "seg-000001.jsonl.gz") });
  });
});
