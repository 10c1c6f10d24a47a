import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function write(dir: string, id: string, count: number, options: Record<string, unknown> = {}): Promise<void> {
  const writer = new Store<{ i: number }>();
  await writer.open(dir, options);
  for (let i = 1; i <= count; i++) await writer.set(id, { i });
  await writer.close();
}

/**
 * Damages the line of seq 6 in seg 1, reopens a writer with repair (it keeps 1–5 and writes
 * b at 6–8 into a new segment), then another writes c at 9–13.
 */
async function repairAndGoOn(dir: string): Promise<void> {
  const file = path.join(dir, "ops", "seg-000001.jsonl");
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf('"seq":6,') + 30;
  bytes[at] = bytes[at]! ^ 1;
  fs.writeFileSync(file, bytes);
  await write(dir, "b", 3, { repair: true });
  await write(dir, "c", 5);
}

/** Waits until the follower's JSON text equals a fresh reader's, or gives up after `ms`. */
async function converged(follower: Store<{ i: number }>, dir: string, ms = 3000): Promise<[string, string]> {
  const started = Date.now();
  for (;;) {
    const fresh = new Store<{ i: number }>();
    await fresh.open(dir, { readOnly: true });
    const want = JSON.stringify([fresh.entries(), fresh.getOps()]);
    await fresh.close();
    const got = JSON.stringify([follower.entries(), follower.getOps()]);
    if (got === want || Date.now() - started > ms) return [got, want];
    await sleep(50);
  }
}

/**
 * Review of issue 11, D2: a writer that reopened with { repair: true } after damage in the
 * middle of the log kept seqs 1–5, quarantined the rest and wrote new operations 6–8 into a new
 * segment; a follower that had taken 1–10 kept them, skipped the new 6–10 and diverged for good.
 * D3: a writer's migration at open reaches disk only through its checkpoint (not the log): a
 * follower kept the unmigrated records.
 */
describe("regression: a follower follows a writer's repair and migration", () => {
  it("starts over when the writer rewrote history it had taken (repair)", async () => {
    const dir = tempDir();
    await write(dir, "a", 10, { checkpointOnClose: false }); // seg 1 stays the active segment.
    const follower = new Store<{ i: number }>();
    // Polling only, slowly: the follower next looks after the repair and the writes after it,
    // so it does not see seg 1 cut back, only seg 2 beginning at seq 6.
    await follower.open(dir, { readOnly: true, follow: true, followWatch: false, followPollMs: 1000 });
    await sleep(1100); // The tail has read seg 1 (and waits for its next poll).
    expect(follower.stats().seq).toBe(10);
    await repairAndGoOn(dir);
    const [got, want] = await converged(follower, dir, 5000);
    expect(got).toBe(want);
    await follower.close();
  }, 15_000);

  it("ends a feed whose history the writer rewrote, instead of yielding the old then skipping", async () => {
    const dir = tempDir();
    await write(dir, "a", 10, { checkpointOnClose: false });
    const follower = new Store<{ i: number }>();
    await follower.open(dir, { readOnly: true, follow: true, followWatch: false, followPollMs: 1000 });
    const seen: number[] = [];
    const feed = (async () => {
      for await (const op of follower.watch({ since: 0 })) seen.push(op.seq);
    })().then(() => undefined, (e: unknown) => e);
    await sleep(1100);
    await repairAndGoOn(dir);
    await converged(follower, dir, 5000);
    await sleep(100);
    await follower.close();
    const ended = await feed;
    expect(seen.slice(0, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(ended).toMatchObject({ code: "OPSLOG_CONFLICT" });
  }, 15_000);

  it("ends a feed created before the restart but first read after it", async () => {
    const dir = tempDir();
    await write(dir, "a", 10, { checkpointOnClose: false });
    const follower = new Store<{ i: number }>();
    await follower.open(dir, { readOnly: true, follow: true, followWatch: false, followPollMs: 1000 });
    const feed = follower.watch(); // From seq 10; nothing is read from it yet.
    await sleep(1100);
    await repairAndGoOn(dir);
    await converged(follower, dir, 5000);
    const seen: number[] = [];
    const ended = await (async () => {
      for await (const op of feed) seen.push(op.seq);
    })().then(() => undefined, (e: unknown) => e);
    expect(seen).toEqual([]);
    expect(ended).toMatchObject({ code: "OPSLOG_CONFLICT" });
    await follower.close();
  }, 15_000);

  it("takes the records a writer migrated at open", async () => {
    const dir = tempDir();
    await write(dir, "a", 2);
    const follower = new Store<{ i: number }>();
    await follower.open(dir, { readOnly: true, follow: true, followPollMs: 10 });
    const migrate = (record: unknown) => ({ ...(record as object), migrated: true });
    await write(dir, "b", 1, { version: 2, migrate });
    const [got, want] = await converged(follower, dir);
    expect(got).toBe(want);
    expect(follower.get("a")).toMatchObject({ migrated: true });
    await follower.close();
  });
});
