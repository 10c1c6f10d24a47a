import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

/**
 * Found by the adversarial review of issue 10: batch(), undo(), redo(), compact(), at(),
 * archive() and flush() called inside a batch callback rejected their promise, which the
 * synchronous callback could not await: an unhandled rejection (Node exits on it) while the outer
 * batch committed as if nothing had happened. They now throw at the call, so the batch rolls back.
 */
describe("regression: misuse inside a batch callback", () => {
  const calls: [string, (store: Store<{ n: number }>) => unknown][] = [
    ["batch", (s) => s.batch(() => undefined)],
    ["undo", (s) => s.undo()],
    ["redo", (s) => s.redo()],
    ["compact", (s) => s.compact()],
    ["at", (s) => s.at(1)],
    ["archive", (s) => s.archive(() => true, "x")],
    ["flush", (s) => s.flush()],
  ];
  for (const [name, call] of calls) {
    it(`${name}() throws at the call with a code, and the batch rolls back`, async () => {
      const store = new Store<{ n: number }>();
      await store.open(tempDir());
      await store.set("a", { n: 1 });
      let thrown: unknown;
      await expect(
        store.batch(() => {
          store.set("a", { n: 2 });
          try {
            void call(store);
          } catch (error) {
            thrown = error;
            throw error;
          }
        }),
      ).rejects.toMatchObject({ code: "OPSLOG_INVALID_ARGUMENT" });
      expect((thrown as { code?: string } | undefined)?.code).toBe("OPSLOG_INVALID_ARGUMENT");
      expect(store.get("a")).toEqual({ n: 1 });
      expect(store.stats().seq).toBe(1);
      await store.close();
    });
  }
});
