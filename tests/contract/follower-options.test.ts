import path from "node:path";
import { describe, expect, it } from "vitest";
import { FileStorage, Store, type Storage } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("open({ follow })", () => {
  it("needs readOnly", async () => {
    const store = new Store();
    const opened = store.open(path.join(tempDir(), "s"), { follow: true });
    await expect(opened).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT", message: expect.stringMatching(/readOnly/) });
    await expect(new Store().open(tempDir(), { readOnly: true, follow: "yes" as never })).rejects.toMatchObject({
      code: "OPSLOG_INVALID_ARGUMENT",
    });
  });

  it("needs a storage that declares tail, and names it", async () => {
    const files = new FileStorage(tempDir());
    const storage = Object.create(files, {
      capabilities: { value: { ...files.capabilities, tail: false } },
      location: { value: "memory:no-tail" },
    }) as Storage;
    const opened = new Store().open(storage, { readOnly: true, follow: true });
    await expect(opened).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT", message: expect.stringMatching(/memory:no-tail/) });
  });

  it("checks the poll interval", () => {
    for (const followPollMs of [0, -1, Number.NaN, 120_000]) {
      expect(() => new FileStorage(tempDir(), { followPollMs })).toThrow(expect.objectContaining({ code: "OPSLOG_INVALID_ARGUMENT" }));
    }
  });
});
