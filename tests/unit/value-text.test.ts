import assert from "node:assert";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RawRecord } from "../../src/model/raw-record.js";
import { toStoredRecord, toStoredValue } from "../../src/model/value.js";
import { rememberText, valueText } from "../../src/model/value-text.js";

/**
 * A stored record carries its JSON text in a hidden property (model/value-text.ts). The text
 * must be exactly the record's JSON, and the property must be invisible to everything a user
 * does with a record: keys, JSON, spreads, deep equality.
 */
describe("the text a stored record carries", () => {
  it("is the record's exact JSON, for any JSON value", () => {
    fc.assert(
      // A top-level null is refused (issue 10, defect 7): see the test below.
      fc.property(fc.jsonValue().filter((value) => value !== null), (value) => {
        const stored = toStoredRecord(value);
        expect(valueText(stored)).toBe(JSON.stringify(stored));
        expect(JSON.parse(valueText(stored))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it("is refused for a top-level null record, kept for nested nulls", () => {
    expect(() => toStoredRecord(null)).toThrow(/store an object or delete the record/);
    expect(valueText(toStoredRecord({ a: null, b: [null] }))).toBe('{"a":null,"b":[null]}');
    expect(valueText(toStoredRecord([null]))).toBe("[null]");
  });

  it("is invisible to keys, JSON, spreads and deep equality", () => {
    const stored = toStoredRecord({ a: 1, b: [1, { c: "x" }] });
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.keys(stored)).toEqual(["a", "b"]);
    expect(JSON.stringify(stored)).toBe('{"a":1,"b":[1,{"c":"x"}]}');
    expect({ ...stored }).toStrictEqual({ a: 1, b: [1, { c: "x" }] });
    expect(stored).toStrictEqual({ a: 1, b: [1, { c: "x" }] });
    assert.deepStrictEqual(stored, { a: 1, b: [1, { c: "x" }] });
    expect(structuredClone(stored)).toStrictEqual({ a: 1, b: [1, { c: "x" }] });
  });

  it("of a record still in its stored text is that text", () => {
    const raw = new RawRecord('{"a":1, "b":"two"}');
    expect(valueText(raw)).toBe('{"a":1, "b":"two"}');
    const record = raw.read() as object;
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.keys(record)).toEqual(["a", "b"]);
    rememberText(record, raw.json);
    expect(valueText(record)).toBe('{"a":1, "b":"two"}');
  });

  it("is computed for values frozen without one", () => {
    const value = toStoredValue({ n: 1 });
    expect(valueText(value)).toBe('{"n":1}');
    expect(valueText(Object.freeze({ m: [2] }))).toBe('{"m":[2]}');
    expect(valueText("s")).toBe('"s"');
    expect(valueText(null)).toBe("null");
  });

  it("does not change what a record rejects: a cycle anywhere, and depth", () => {
    const cyclic: Record<string, unknown> = { a: { b: {} } };
    (cyclic["a"] as Record<string, Record<string, unknown>>)["b"]!["back"] = cyclic;
    expect(() => toStoredRecord(cyclic)).toThrow(/value\.a\.b\.back.*cycle/);
    const shared = { x: 1 };
    expect(toStoredRecord({ one: shared, two: shared })).toEqual({ one: { x: 1 }, two: { x: 1 } });
    let deep: unknown = 0;
    for (let i = 0; i < 600; i++) deep = [deep];
    expect(() => toStoredRecord(deep)).toThrow(/nested deeper than 512/);
  });
});
