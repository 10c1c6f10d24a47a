import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store, type LockedError } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

const dist = path.resolve("dist/index.js");

describe("one writer per directory (SPEC §2.5)", () => {
  it("a second Store in the same process gets OPSLOG_LOCKED; after close it can open", async () => {
    const dir = tempDir();
    const first = new Store();
    await first.open(dir);
    const second = new Store();
    const error = (await second.open(dir).catch((e: unknown) => e)) as LockedError;
    expect(error.code).toBe("OPSLOG_LOCKED");
    expect(error.message).toContain(String(process.pid));
    await first.set("a", { n: 1 });
    await first.close();
    await second.open(dir);
    expect(second.get("a")).toEqual({ n: 1 });
    await second.close();
  });

  it("a writer in another process holds the lock; its pid is named", async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [
      "--input-type=module",
      "-e",
      `import { Store } from ${JSON.stringify(dist)};
       const s = new Store(); await s.open(${JSON.stringify(dir)}); await s.set("x", { n: 1 });
       console.log("ready"); setInterval(() => {}, 1000);`,
    ]);
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child.on("exit", (code) => reject(new Error(`child exited ${code}`)));
    });
    try {
      const store = new Store();
      const error = (await store.open(dir).catch((e: unknown) => e)) as LockedError;
      expect(error.code).toBe("OPSLOG_LOCKED");
      expect(error.holder?.pid).toBe(child.pid);
      expect(error.message).toContain(`process ${child.pid}`);
      const reader = new Store();
      await reader.open(dir, { readOnly: true });
      expect(reader.get("x")).toEqual({ n: 1 });
      await reader.close();
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.on("close", resolve));
    }
    const after = new Store();
    await after.open(dir); // The dead process's lock is recovered.
    expect(after.get("x")).toEqual({ n: 1 });
    await after.close();
  });

  it("recovers a lock file left by a dead process and a torn lock file", async () => {
    const dir = tempDir();
    const store = new Store();
    await store.open(dir);
    await store.close();
    const dead = Number(execFileSync(process.execPath, ["-e", "console.log(process.pid)"]).toString());
    fs.writeFileSync(path.join(dir, "LOCK"), JSON.stringify({ pid: dead, hostname: os.hostname(), startedAt: "x" }));
    const again = new Store();
    await again.open(dir);
    await again.close();
    // A torn LOCK may still be being written (an older opslog creates it, then writes it): it
    // holds while young (tests/contract/lock.test.ts) and is recovered once old.
    fs.writeFileSync(path.join(dir, "LOCK"), '{"pid":12');
    await expect(new Store().open(dir)).rejects.toMatchObject({ code: "OPSLOG_LOCKED" });
    const old = (Date.now() - 60_000) / 1000;
    fs.utimesSync(path.join(dir, "LOCK"), old, old);
    const third = new Store();
    await third.open(dir);
    await third.close();
  });

  it("a failed open releases the lock", async () => {
    const dir = tempDir();
    const store = new Store();
    await store.open(dir);
    await store.set("a", { n: 1 });
    await store.close();
    fs.writeFileSync(path.join(dir, "manifest.json"), "garbage that is not json");
    const broken = new Store();
    await expect(broken.open(dir)).rejects.toMatchObject({ code: "OPSLOG_CORRUPTION" });
    expect(fs.existsSync(path.join(dir, "LOCK"))).toBe(false);
    const other = new Store();
    await expect(other.open(dir)).rejects.toMatchObject({ code: "OPSLOG_CORRUPTION" });
  });
});

describe("mutations are serialised in call order", () => {
  it("un-awaited sets land in the log in call order", async () => {
    const dir = tempDir();
    const store = new Store<{ i: number }>();
    await store.open(dir, { checkpointOnClose: false });
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) pending.push(store.set(`k${i % 7}`, { i }));
    pending.push(store.delete("k0"));
    await Promise.all(pending);
    await store.close();
    const again = new Store<{ i: number }>();
    await again.open(dir);
    const ops = again.getOps();
    expect(ops.slice(0, 200).map((op) => op.data?.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(again.has("k0")).toBe(false);
    expect(again.get("k6")).toEqual({ i: 195 });
    await again.close();
  });
});
