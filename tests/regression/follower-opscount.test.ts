import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Review of issue 11: a follower's stats().opsCount ("operations not yet checkpointed") counted
 * every operation since it opened: the writer's checkpoints never moved it.
 */
describe("regression: a follower's opsCount follows the writer's checkpoints", () => {
  it("equals the writer's once caught up", async () => {
    const dir = tempDir();
    const writer = new Store<{ i: number }>();
    await writer.open(dir, { checkpointThreshold: 10 });
    const follower = new Store<{ i: number }>();
    await follower.open(dir, { readOnly: true, follow: true, followPollMs: 10 });
    for (let i = 0; i < 25; i++) await writer.set(`k${i}`, { i });
    await writer.compact();
    await writer.set("after", { i: 0 });
    for (let t = 0; t < 100 && follower.stats().seq < 26; t++) await sleep(20);
    await sleep(50);
    expect(follower.stats().seq).toBe(26);
    expect(follower.stats().opsCount).toBe(writer.stats().opsCount);
    await follower.close();
    await writer.close();
  });
});
