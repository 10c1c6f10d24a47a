import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Store } from "../../src/index.js";
import { tempDir } from "../helpers/temp-dir.js";

type Doc = Record<string, unknown>;

/**
 * Issue 10, defect 4: prevDelta read `data.__proto__` with `in` and `[]`, found the inherited
 * Object.prototype, and its key-order-blind equality took it for the `{}` of the previous value.
 * So the delta of an update that drops an own "__proto__" field left that field out; rebuilding
 * `prev` at reopen read `data.__proto__` again and the deep freeze of the rebuilt value froze
 * Object.prototype for the whole process.
 */
const big = "x".repeat(300); // Large enough that a reverse delta is chosen over the whole prev.
const firstText = `{"__proto__":{},"a":1,"b":2,"c":3,"d":4,"e":5,"big":"${big}"}`;
const secondText = `{"a":1,"b":2,"c":3,"d":4,"e":5,"big":"${big}"}`;
const thirdText = `{"a":1,"b":2,"c":3,"d":4,"e":6,"big":"${big}"}`;

function text(value: unknown): string {
  return JSON.stringify(value);
}

afterAll(() => {
  // Keep the rest of this worker usable when the defect is back.
  expect(Object.isFrozen(Object.prototype)).toBe(false);
});

describe("regression: an own __proto__ field and reverse deltas", () => {
  it("reopen leaves Object.prototype unfrozen and every value's text unchanged", async () => {
    const dir = tempDir();
    const store = new Store<Doc>();
    await store.open(dir, { checkpointOnClose: false });
    await store.set("r", JSON.parse(firstText) as Doc);
    await store.set("r", JSON.parse(secondText) as Doc); // Drops the "__proto__" field.
    await store.set("r", JSON.parse(thirdText) as Doc); // Changes one field.
    await store.close();

    const again = new Store<Doc>();
    await again.open(dir);
    expect(Object.isFrozen(Object.prototype)).toBe(false);
    const history = again.getHistory("r");
    expect(history.map((op) => text(op.prev))).toEqual(["null", firstText, secondText]);
    const prev = history[1]!.prev as Doc;
    expect(Object.getOwnPropertyDescriptor(prev, "__proto__")?.value).not.toBe(Object.prototype);
    expect(Object.getPrototypeOf(prev)).toBe(Object.prototype);
    expect(text((await again.at(1)).get("r"))).toBe(firstText);
    expect(text(again.get("r"))).toBe(thirdText);
    expect(await again.undo()).toBe(true);
    expect(await again.undo()).toBe(true);
    expect(text(again.get("r"))).toBe(firstText);
    expect(Object.isFrozen(Object.prototype)).toBe(false);
    await again.close();
  });
});

describe("regression: a delta written before the fix (tests/fixtures/proto-key-delta)", () => {
  it("opens without freezing Object.prototype and gives back the dropped {} field", async () => {
    const dir = tempDir();
    fs.cpSync(path.resolve("tests/fixtures/proto-key-delta/store"), dir, { recursive: true });
    const store = new Store<Doc>();
    await store.open(dir, { readOnly: true });
    expect(Object.isFrozen(Object.prototype)).toBe(false);
    expect(store.getHistory("r").map((op) => text(op.prev))).toEqual(["null", firstText]);
    expect(text((await store.at(1)).get("r"))).toBe(firstText);
    expect(text(store.get("r"))).toBe(secondText);
    await store.close();
  });
});
