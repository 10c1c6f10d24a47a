import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

const writer = path.resolve("tests/helpers/slow-sync-writer.mjs");
const syncMs = 300;

/**
 * Review of issue 11: a follower read the operations a writer had written but not yet made
 * durable, so its watch() yielded an operation before the writer's fdatasync returned (and, had
 * that fdatasync failed, one the writer then reverted). Here each fdatasync of the writer takes
 * 300 ms: a follower must not yield an operation before the writer acknowledged it.
 */
describe("regression: a follower yields only what the writer made durable", () => {
  it("never yields an operation before the writer's acknowledgement", async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [writer, dir, "3", String(syncMs)], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout! });
    const acked = new Map<number, number>();
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    lines.on("line", (line) => {
      const [word, seq, at] = line.split(" ");
      if (word === "ready") ready();
      if (word === "acked") acked.set(Number(seq), Number(at));
    });
    await isReady;
    const follower = new Store<{ i: number }>();
    await follower.open(dir, { readOnly: true, follow: true, followPollMs: 5 });
    const seen: { seq: number; at: number }[] = [];
    const watching = (async () => {
      for await (const op of follower.watch({ since: 0 })) {
        seen.push({ seq: op.seq, at: Date.now() });
        if (seen.length === 3) return;
      }
    })();
    child.stdin!.end("go\n");
    await watching;
    await new Promise((resolve) => child.once("exit", resolve));
    await follower.close();
    expect(seen.map((s) => s.seq)).toEqual([1, 2, 3]);
    for (const { seq, at } of seen) {
      // Yielded after the acknowledgement (a little slack for clock reads in two processes).
      expect(at, `seq ${seq} seen ${acked.get(seq)! - at} ms before its acknowledgement`).toBeGreaterThanOrEqual(acked.get(seq)! - 20);
    }
  }, 20_000);
});
