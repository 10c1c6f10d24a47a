import madge from "madge";
import { describe, expect, it } from "vitest";

/**
 * The layers of docs/ARCHITECTURE.md have no import cycle, type-only imports included (a part
 * that imports the type of the whole engine is the coupling this guards against).
 */
describe("the source has no import cycles", () => {
  it("finds none in src/", async () => {
    const graph = await madge("src", {
      fileExtensions: ["ts"],
      tsConfig: "tsconfig.json",
      detectiveOptions: { ts: { skipTypeImports: false } },
    });
    expect(graph.circular()).toEqual([]);
  }, 30_000);
});
