import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyDelta, jsonEqual, prevDelta } from "../../src/storage/fs/prev-delta.js";

const json = fc.jsonValue({ maxDepth: 3 });
const object = fc.dictionary(fc.string({ maxLength: 6 }), json, { minKeys: 0, maxKeys: 12 });

describe("reverse deltas of previous values", () => {
  it("rebuild the previous value exactly, key order included", () => {
    fc.assert(
      fc.property(object, fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.option(json)), { maxLength: 4 }), (prev, edits) => {
        const data: Record<string, unknown> = { ...prev };
        for (const [key, value] of edits) {
          if (value === null) delete data[key];
          else Object.defineProperty(data, key, { value, enumerable: true, writable: true, configurable: true });
        }
        const delta = prevDelta(prev, data);
        if (!delta) return;
        const rebuilt = applyDelta(data, delta);
        expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(prev));
      }),
      { numRuns: 500 },
    );
  });

  it("are used only where they are much smaller than the previous value", () => {
    const prev = { a: "x".repeat(400), b: 1, c: [1, 2, 3], d: { e: "f" }, status: "open" };
    const delta = prevDelta(prev, { ...prev, status: "done" });
    expect(delta).toEqual({ set: { status: "open" } });
    expect(prevDelta({ a: 1, b: 2 }, { a: 1, b: 3 })).toBeUndefined(); // Too small to matter.
    expect(prevDelta(prev, { z: 1 })).toBeUndefined(); // Everything changed.
    expect(prevDelta([1, 2], [1, 3])).toBeUndefined();
  });

  it("jsonEqual compares JSON values", () => {
    expect(jsonEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
  });
});
