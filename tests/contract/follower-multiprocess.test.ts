import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store, type StoreStats } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Live followers (issue 11 item 4): a read-only Store with `follow: true` in this process stays
 * equal to a writer in another process, through the writer's checkpoints, compression,
 * pruning, restarts and crashes. "Equal" is the JSON text of entries(), getOps() and at(seq)
 * views, compared with a fresh read-only open of the directory once the writer is done.
 */
const writerScript = path.resolve("tests/helpers/follow-writer.mjs");

function startWriter(dir: string, count: number | "forever", threshold: number, retain: number | "all", startAt = 0): ChildProcess {
  const args = [writerScript, dir, String(count), String(threshold), String(retain), String(startAt)];
  return spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
}

/** Resolves once the child printed a line matching `pattern` (with the match). */
function line(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = "";
    let stderr = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const match = pattern.exec(text);
      if (match) {
        child.stdout?.off("data", onData);
        resolve(match);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`writer exited (${code}) before ${pattern}: ${stderr}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

/** Runs a writer to its end ("done") and waits for it to exit cleanly. */
async function runWriter(dir: string, count: number, threshold: number, retain: number | "all", startAt = 0): Promise<void> {
  const child = startWriter(dir, count, threshold, retain, startAt);
  const code = exited(child);
  await line(child, /done (\d+)/);
  expect(await code).toBe(0);
}

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function openFollower(dir: string, options: Record<string, unknown> = {}): Promise<Store> {
  const store = new Store();
  await store.open(dir, { readOnly: true, follow: true, ...options });
  return store;
}

/** The follower converges on what a fresh open of the directory reads, to the JSON text. */
async function expectCaughtUp(follower: Store, dir: string): Promise<StoreStats> {
  const fresh = new Store();
  await fresh.open(dir, { readOnly: true });
  try {
    const seq = fresh.stats().seq;
    await until(`the follower to reach seq ${seq}`, () => follower.stats().seq === seq);
    expect(follower.stats().followError).toBeUndefined();
    expect(JSON.stringify(follower.entries())).toBe(JSON.stringify(fresh.entries()));
    expect(JSON.stringify(follower.getOps())).toBe(JSON.stringify(fresh.getOps()));
    const ops = fresh.getOps();
    for (const op of [ops[0], ops[Math.floor(ops.length / 2)], ops.at(-1)]) {
      if (op === undefined) continue;
      const [a, b] = [await follower.at(op.seq), await fresh.at(op.seq)];
      expect(JSON.stringify(a.entries())).toBe(JSON.stringify(b.entries()));
    }
    return fresh.stats();
  } finally {
    await fresh.close();
  }
}

describe("a follower in another process than the writer", () => {
  it("stays equal through checkpoints, compression, pruning and a writer restart", async () => {
    const dir = path.join(tempDir(), "store");
    await runWriter(dir, 50, 40, 200); // The directory exists before the follower opens it.
    const follower = await openFollower(dir);
    try {
      const seqs: number[] = [];
      const writer = startWriter(dir, 3000, 40, 200, 50);
      const done = exited(writer);
      // Sampled while the writer runs: the follower moves on, never back.
      while (writer.exitCode === null) {
        seqs.push(follower.stats().seq);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await done).toBe(0);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThanOrEqual(seqs[i - 1]!);
      expect(new Set(seqs).size).toBeGreaterThan(3); // It followed live, not only at the end.
      const stats = await expectCaughtUp(follower, dir);
      expect(stats.historyOps).toBeLessThan(stats.seq); // The writer pruned.
      await runWriter(dir, 500, 40, 200, 3050); // A restart: a new writer continues.
      await expectCaughtUp(follower, dir);
    } finally {
      await follower.close();
    }
  }, 30_000);

  it("stays equal when the writer is killed mid-stream and a new writer continues", async () => {
    const dir = path.join(tempDir(), "store");
    await runWriter(dir, 10, 0, "all");
    const follower = await openFollower(dir);
    try {
      const writer = startWriter(dir, "forever", 0, "all", 10);
      await line(writer, /seq (\d{4,})/); // At least 1,000 operations in.
      writer.kill("SIGKILL");
      await exited(writer);
      await runWriter(dir, 300, 0, "all", 100_000);
      await expectCaughtUp(follower, dir);
    } finally {
      await follower.close();
    }
  }, 30_000);

  it("starts over when it fell behind what the writer retains", async () => {
    const dir = path.join(tempDir(), "store");
    await runWriter(dir, 20, 20, 30);
    const follower = await openFollower(dir);
    const engine = (follower as unknown as { engine: { restart: (state: unknown) => void } }).engine;
    let restarts = 0;
    const restart = engine.restart.bind(engine);
    engine.restart = (state) => {
      restarts++;
      restart(state);
    };
    try {
      // The follower's process is blocked (its event loop cannot run) while the writer goes
      // on: when it looks again, the operations it needs next were pruned.
      const writer = startWriter(dir, 600, 20, 30, 20);
      const done = exited(writer);
      const finished = line(writer, /done/);
      await line(writer, /ready/);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_500);
      await finished;
      expect(await done).toBe(0);
      await expectCaughtUp(follower, dir);
      expect(restarts).toBeGreaterThanOrEqual(1);
    } finally {
      await follower.close();
    }
  }, 30_000);

  it("converges by polling alone (followWatch: false)", async () => {
    const dir = path.join(tempDir(), "store");
    await runWriter(dir, 10, 50, "all");
    const follower = await openFollower(dir, { followWatch: false, followPollMs: 20 });
    try {
      await runWriter(dir, 800, 50, "all", 10);
      await expectCaughtUp(follower, dir);
    } finally {
      await follower.close();
    }
  }, 30_000);
});
