import { spawnSync } from "node:child_process";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/** Resources of a kind this process holds (timers, fs.watch handles). */
function held(kind: string): number {
  return process.getActiveResourcesInfo().filter((name) => name === kind).length;
}

/** Contract 6: nothing a follower started outlives close(). */
describe("a follower's close()", () => {
  it("leaves no watcher and no timer behind", async () => {
    const dir = path.join(tempDir(), "store");
    const writer = new Store();
    await writer.open(dir);
    await writer.set("a", { n: 1 });
    const before = { timers: held("Timeout"), watchers: held("FSEventWrap") };
    const follower = new Store();
    await follower.open(dir, { readOnly: true, follow: true });
    await writer.set("b", { n: 2 });
    await sleep(50);
    // While it follows, it holds a poll timer and watches the directory and ops/.
    expect(held("FSEventWrap")).toBeGreaterThan(before.watchers);
    expect(follower.get("b")).toEqual({ n: 2 });
    await follower.close();
    await sleep(20); // libuv releases a closed watcher's handle once its close callback ran.
    expect(held("FSEventWrap")).toBe(before.watchers);
    expect(held("Timeout")).toBeLessThanOrEqual(before.timers);
    await writer.close();
  });

  it("lets a process exit by itself once it resolved", () => {
    const dir = path.join(tempDir(), "store");
    const index = path.resolve("dist/index.js");
    const script = `
      import { Store } from ${JSON.stringify(index)};
      const writer = new Store();
      await writer.open(${JSON.stringify(dir)});
      await writer.set("a", { n: 1 });
      await writer.close();
      const follower = new Store();
      await follower.open(${JSON.stringify(dir)}, { readOnly: true, follow: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await follower.close();
      console.log("closed " + Date.now());`;
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 10_000, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0); // Killed by the timeout (status null) if something held it alive.
    const closedAt = Number(/closed (\d+)/.exec(run.stdout)?.[1]);
    expect(Date.now() - closedAt).toBeLessThan(1_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
