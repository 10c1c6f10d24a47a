import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found in review (issue 10, defect 3): the in-process lock was keyed by path.resolve(dir),
 * and a LOCK holding this process's own pid counted as stale. So a second open() through a
 * symlink to the same directory succeeded, both Stores wrote, and the first one's
 * acknowledged writes were silently overwritten. One lock per real directory.
 */
describe("regression: a second writer through a symlink to the same directory", () => {
  it("fails with OPSLOG_LOCKED and leaves the first writer's data alone", async () => {
    const base = tempDir();
    const dir = path.join(base, "data");
    const link = path.join(base, "alias");
    const first = new Store<{ n: number }>();
    await first.open(dir);
    fs.symlinkSync(dir, link);
    await first.set("a", { n: 1 });
    const second = new Store<{ n: number }>();
    const error = await second.open(link).then(() => undefined, (e: unknown) => e);
    if (error === undefined) await second.close();
    expect(error).toMatchObject({ code: "OPSLOG_LOCKED" });
    await first.set("b", { n: 2 });
    await first.close();
    const again = new Store<{ n: number }>();
    await again.open(link);
    expect(again.get("a")).toEqual({ n: 1 });
    expect(again.get("b")).toEqual({ n: 2 });
    await again.close();
  });
});
