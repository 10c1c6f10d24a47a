import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { cli, finished, jsonLines, removeTempDirs, requireBuiltBinary, startCli, tempDir } from "./helpers.js";
import { freshStore, pgServer } from "../postgres/pg-helpers.js";

/** The CLI on a store kept by PostgreSQL (`postgres://…?store=name` where a directory goes). */
const pg = pgServer();
beforeAll(() => requireBuiltBinary());
afterAll(() => removeTempDirs());

/** The server URL with a password in it (trust authentication ignores it): output must hide it. */
function location(store: string): string {
  return `${pg.server.url.replace("postgres@", "postgres:s3cret@")}?store=${encodeURIComponent(store)}`;
}

async function seeded(records: number): Promise<string> {
  const name = freshStore("cli");
  const store = new Store();
  await store.open(location(name));
  for (let i = 0; i < records; i++) await store.set(`r${i}`, { i });
  await store.close();
  return location(name);
}

describe("opslog on PostgreSQL", () => {
  it("info shows the store, never the password; --json too", async () => {
    const url = await seeded(3);
    const text = await cli(["info", url]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/records\s+3 records/);
    expect(text.stdout).toMatch(/storage\s+PostgreSQL/);
    expect(text.stdout).not.toContain("s3cret");
    const json = await cli(["info", url, "--json"]);
    const doc = JSON.parse(json.stdout) as { storage: string; activeRecords: number; history: { lastSeq: number } };
    expect(doc).toMatchObject({ storage: "postgres", activeRecords: 3, history: { lastSeq: 3 } });
    expect(json.stdout).not.toContain("s3cret");
  });

  it("a store that was never written is exit 3; verify and repair are usage errors", async () => {
    const missing = await cli(["info", location(freshStore("none"))]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("OPSLOG_NOT_FOUND");
    for (const command of ["verify", "repair"]) {
      const result = await cli([command, await seeded(1)]);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toContain("s3cret");
    }
  });

  it("export then import round-trips the records as JSON text", async () => {
    const from = await seeded(5);
    const dir = await tempDir();
    const file = path.join(dir, "out.jsonl");
    expect((await cli(["export", from, "--out", file])).code).toBe(0);
    const to = location(freshStore("copy"));
    const imported = await cli(["import", to, file]);
    expect(imported.code, imported.stderr).toBe(0);
    const a = await cli(["export", from]);
    const b = await cli(["export", to]);
    expect(b.stdout).toBe(a.stdout);
    expect(jsonLines(b.stdout)).toHaveLength(5);
  });

  it("find pages a filtered, sorted query; ls --where takes a JSON filter", async () => {
    const url = await seeded(6);
    const args = ["find", url, '{"i":{"$gte":2}}', "--sort", "-i", "--limit", "3", "--json"];
    const first = await cli(args);
    expect(first.code, first.stderr).toBe(0);
    const page = JSON.parse(first.stdout) as { items: { id: string }[]; next?: string };
    expect(page.items.map((item) => item.id)).toEqual(["r5", "r4", "r3"]);
    const rest = JSON.parse((await cli([...args, "--after", page.next!])).stdout) as typeof page;
    expect(rest.items.map((item) => item.id)).toEqual(["r2"]);
    expect(rest.next).toBeUndefined();
    const ls = await cli(["ls", url, "--where", '{"i":{"$in":[0,5]}}', "--ids-only"]);
    expect(ls.stdout).toBe("r0\nr5\n");
    expect(first.stdout + ls.stdout).not.toContain("s3cret");
  });

  it("log --follow prints what another process writes, once each", async () => {
    const url = await seeded(1);
    const follower = startCli(["log", url, "--follow", "--json"]);
    const output = finished(follower, 60_000);
    let stdout = "";
    follower.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    await sleep(500);
    const writer = new Store();
    await writer.open(url);
    for (let i = 0; i < 5; i++) await writer.set(`w${i}`, { i });
    await writer.close();
    for (let waited = 0; waited < 10_000 && !stdout.includes('"id":"w4"'); waited += 100) await sleep(100);
    follower.kill("SIGINT");
    const result = await output;
    expect(result.stderr).toBe("");
    const ids = (jsonLines(result.stdout) as { id: string }[]).map((op) => op.id);
    expect(ids).toEqual(["r0", "w0", "w1", "w2", "w3", "w4"]);
  });
});
