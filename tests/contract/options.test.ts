import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("write modes", () => {
  it.each(["immediate", "group", "async"] as const)("%s mode keeps every write across reopen", async (writeMode) => {
    const dir = tempDir();
    const store = new Store<{ i: number }>();
    await store.open(dir, { writeMode, groupCommitMs: 2 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.set(`k${i}`, { i })));
    await store.flush();
    await store.close();
    const again = new Store<{ i: number }>();
    await again.open(dir);
    expect(again.count()).toBe(100);
    await again.close();
  });

  it("async mode resolves before the write is durable and flush() makes it durable", async () => {
    const dir = tempDir();
    const store = new Store<{ i: number }>();
    await store.open(dir, { writeMode: "async", groupCommitMs: 60_000, checkpointOnClose: false });
    await store.set("a", { i: 1 });
    const reader = new Store<{ i: number }>();
    await reader.open(dir, { readOnly: true });
    expect(reader.has("a")).toBe(false); // Not written yet: the timer is a minute away.
    await reader.close();
    await store.flush();
    const reader2 = new Store<{ i: number }>();
    await reader2.open(dir, { readOnly: true });
    expect(reader2.get("a")).toEqual({ i: 1 });
    await reader2.close();
    await store.close();
  });

  it("group mode gathers concurrent writes into few groups", async () => {
    const dir = tempDir();
    const store = new Store<{ i: number }>();
    await store.open(dir, { writeMode: "group", groupCommitMs: 20, checkpointOnClose: false });
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`k${i}`, { i })));
    await store.close();
    const fs = await import("node:fs");
    const text = fs.readFileSync(`${dir}/ops/seg-000001.jsonl`, "utf8");
    const groups = new Set(text.trim().split("\n").map((line) => (JSON.parse(line) as { g: number }).g));
    expect(groups.size).toBeLessThanOrEqual(2);
  });
});

describe("migration", () => {
  it("migrates snapshot and log records and persists the new version", async () => {
    const dir = tempDir();
    const v1 = new Store<{ name: string }>();
    await v1.open(dir, { checkpointOnClose: false });
    await v1.set("a", { name: "Ann" });
    await v1.compact();
    await v1.set("b", { name: "Bob" });
    await v1.close();
    const calls: [unknown, number][] = [];
    const migrate = (record: unknown, from: number) => {
      calls.push([record, from]);
      const r = record as { name: string };
      return { first: r.name, version: 2 };
    };
    const v2 = new Store<{ first: string; version: number }>();
    await v2.open(dir, { version: 2, migrate });
    expect(v2.get("a")).toEqual({ first: "Ann", version: 2 });
    expect(v2.get("b")).toEqual({ first: "Bob", version: 2 });
    expect(calls.every(([, from]) => from === 1)).toBe(true);
    await v2.set("c", { first: "Cy", version: 2 });
    await v2.close();
    calls.length = 0;
    const again = new Store<{ first: string; version: number }>();
    await again.open(dir, { version: 2, migrate });
    expect(calls).toEqual([]); // Persisted: nothing to migrate twice.
    expect(again.get("c")).toEqual({ first: "Cy", version: 2 });
    expect(again.count()).toBe(3);
    await again.close();
  });

  it("rejects a migrate() result that is not storable and leaves the directory as it was", async () => {
    const dir = tempDir();
    const v1 = new Store<{ name: string }>();
    await v1.open(dir);
    await v1.set("a", { name: "Ann" });
    await v1.close();
    const v2 = new Store();
    await expect(v2.open(dir, { version: 2, migrate: () => ({ when: new Date() }) })).rejects.toMatchObject({
      code: "OPSLOG_INVALID_VALUE",
    });
    const again = new Store<{ name: string }>();
    await again.open(dir);
    expect(again.get("a")).toEqual({ name: "Ann" });
    await again.close();
  });
});
