import path from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryStorage, Store, type Storage } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Issue 13 review: an open whose migration gave two records one value of a unique index failed
 * with OPSLOG_UNIQUE, but only after the checkpoint at open had persisted the migrated records:
 * the failed open changed the store (contract 5), and no later open with the index could read
 * it, at the old version or the new. The indexes are now built before the migration is written.
 */
type Doc = { email: string };
const indexes = { email: { unique: true } };
const migrate = (record: unknown): Doc => ({ email: (record as Doc).email.toLowerCase() });

async function refusedMigration(storage: () => Storage | string): Promise<void> {
  const v1 = new Store<Doc>();
  await v1.open(storage() as never, { indexes });
  await v1.set("a", { email: "a@x" });
  await v1.set("b", { email: "A@x" });
  await v1.close();
  const v2 = new Store<Doc>();
  await expect(v2.open(storage() as never, { indexes, version: 2, migrate })).rejects.toMatchObject({ code: "OPSLOG_UNIQUE" });
  const again = new Store<Doc>();
  await again.open(storage() as never, { indexes });
  expect(again.entries()).toEqual([["a", { email: "a@x" }], ["b", { email: "A@x" }]]);
  await again.close();
}

describe("regression: a migration refused by a unique index leaves the store unchanged", () => {
  it("in memory", async () => {
    const storage = new MemoryStorage();
    await refusedMigration(() => storage);
  });

  it("in a directory", async () => {
    const dir = path.join(tempDir(), "store");
    await refusedMigration(() => dir);
  });
});
