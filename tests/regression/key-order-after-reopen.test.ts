import { describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

type Doc = Record<string, unknown>;

/**
 * Issue 10, defect 5: prevDelta compared fields with an equality that ignores key order, so a
 * field whose nested keys were only reordered was left out of the reverse delta, and rebuilding
 * `prev` from the new value gave the new order. Key order is part of the stored value: prev,
 * at() and undo must give back the exact text after reopen.
 */
const pad = "y".repeat(200); // Large enough that a reverse delta is chosen over the whole prev.
const versions = [
  `{"n":{"p":1,"q":2},"list":[{"u":1,"v":2}],"s":"a","t":1,"pad":"${pad}"}`,
  `{"n":{"q":2,"p":1},"list":[{"u":1,"v":2}],"s":"b","t":1,"pad":"${pad}"}`,
  `{"n":{"q":2,"p":1},"list":[{"v":2,"u":1}],"s":"b","t":2,"pad":"${pad}"}`,
  `{"n":{"q":2,"p":{"z":null,"y":[]}},"list":[{"v":2,"u":1}],"s":"c","t":2,"pad":"${pad}"}`,
  `{"n":{"q":2,"p":{"y":[],"z":null}},"list":[{"v":2,"u":1}],"s":"c","t":3,"pad":"${pad}"}`,
];

describe("regression: nested key order after reopen", () => {
  it("prev, getHistory, at() and undo give back the exact JSON text", async () => {
    const dir = tempDir();
    const store = new Store<Doc>();
    await store.open(dir, { checkpointOnClose: false });
    for (const version of versions) await store.set("k", JSON.parse(version) as Doc);
    await store.close();

    const again = new Store<Doc>();
    await again.open(dir);
    const history = again.getHistory("k");
    const prevTexts = history.map((op) => JSON.stringify(op.prev));
    expect(prevTexts).toEqual(["null", ...versions.slice(0, -1)]);
    expect(history.map((op) => JSON.stringify(op.data))).toEqual(versions);
    expect(again.getOps().map((op) => JSON.stringify(op.prev))).toEqual(prevTexts);
    for (let seq = 1; seq <= versions.length; seq++) {
      expect(JSON.stringify((await again.at(seq)).get("k"))).toBe(versions[seq - 1]);
    }
    for (let i = versions.length - 2; i >= 0; i--) {
      expect(await again.undo()).toBe(true);
      expect(JSON.stringify(again.get("k"))).toBe(versions[i]);
    }
    await again.close();

    const third = new Store<Doc>();
    await third.open(dir, { readOnly: true });
    expect(JSON.stringify(third.get("k"))).toBe(versions[0]);
    await third.close();
  });
});
