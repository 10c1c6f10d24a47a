import fc from "fast-check";
import { describe, it } from "vitest";
import { MemoryStorage } from "../../src/index.js";
import { runSharedSteps, sharedSteps, type SharedTarget } from "../helpers/shared-run.js";

function memoryTarget(): SharedTarget {
  const first = new MemoryStorage({ shared: true });
  let handed = false;
  return {
    handle: () => {
      if (!handed) {
        handed = true;
        return first;
      }
      return new MemoryStorage({ shareWith: first });
    },
    pause: () => new Promise((resolve) => setTimeout(resolve, 5)),
  };
}

describe("many writers on a shared log (MemoryStorage({ shared: true }))", () => {
  it("every store converges on the global log; acknowledged writes are in it, refused ones are not", async () => {
    await fc.assert(
      fc.asyncProperty(sharedSteps(3, 30), async (steps) => {
        await runSharedSteps(memoryTarget(), 3, steps);
      }),
      { numRuns: Number(process.env.OPSLOG_SHARED_RUNS ?? 60) },
    );
  });
});
