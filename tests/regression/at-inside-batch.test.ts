import { describe, expect, it } from "vitest";
import { OpslogError, Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by a review (issue 10, defect 8): at() called inside a batch callback showed the batch
 * (later rolled back), or threw an AssertionError with no code. It must show committed state or
 * reject with a coded OpslogError; no error without a code reaches a user.
 */
describe("regression: at() inside a batch callback", () => {
  it("never shows the uncommitted batch and never fails without a code", async () => {
    const store = new Store<{ n: number }>();
    await store.open(tempDir());
    await store.set("a", { n: 1 });
    let inside: Promise<unknown> | undefined;
    await expect(
      store.batch(() => {
        store.set("a", { n: 2 });
        store.set("b", { n: 3 });
        try {
          inside = store.at(2).then((view) => view.get("a"), (error: unknown) => error);
        } catch (error) {
          inside = Promise.resolve(error); // Thrown at the call: the batch callback can see it.
        }
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    const seen = await inside;
    if (seen instanceof Error) {
      expect(seen).toBeInstanceOf(OpslogError);
      expect((seen as OpslogError).code).toBe("OPSLOG_INVALID_ARGUMENT");
    } else {
      expect(seen).toEqual({ n: 1 });
    }
    expect(store.get("a")).toEqual({ n: 1 });
    await store.close();
  });

  it("a view never shows an operation that is not yet durable", async () => {
    const store = new Store<{ n: number }>();
    await store.open(tempDir());
    const writing = store.set("a", { n: 1 });
    const view = await store.at(1);
    expect(view.seq).toBe(1);
    expect(view.get("a")).toEqual({ n: 1 });
    await writing;
    await store.close();
  });
});
