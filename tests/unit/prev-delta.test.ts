import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sameJson } from "../../src/model/json-object.js";
import { freezeParsed } from "../../src/model/value.js";
import { decodeLine } from "../../src/storage/fs/log-format.js";
import {
  encodeLogLine,
  logRecordProblem,
  toOperation,
  type LogRecord,
} from "../../src/storage/fs/log-record.js";
import { applyDelta, prevDelta } from "../../src/storage/fs/prev-delta.js";
import type { Operation } from "../../src/types.js";
import { jsonRecord, jsonRecordUpdate, jsonValue, objectOf } from "../helpers/json-arbitrary.js";

const json = fc.jsonValue({ maxDepth: 3 });
const object = fc.dictionary(fc.string({ maxLength: 6 }), json, { minKeys: 0, maxKeys: 12 });
const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype as the process started: not frozen, no member added. */
function expectPrototypeUntouched(): void {
  expect(Object.isFrozen(Object.prototype)).toBe(false);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  expect(Object.keys(Object.prototype)).toEqual([]);
}

/** The operation as a reader gets it back: its log line decoded, rebuilt and frozen. */
function readBack(op: Operation): Operation {
  const bytes = Buffer.from(encodeLogLine(op, op.seq, undefined));
  const line = decodeLine(bytes, 0, bytes.length - 1);
  if (!line.ok) throw new Error(line.reason);
  expect(logRecordProblem(line.value)).toBeUndefined();
  const read = toOperation(line.value as unknown as LogRecord);
  freezeParsed(read.prev);
  return read;
}

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

  it("give back the exact text with prototype-named keys, nested key orders and nulls", () => {
    let deltas = 0;
    fc.assert(
      fc.property(jsonRecordUpdate, ([prev, data]) => {
        const delta = prevDelta(prev, data);
        if (delta) {
          deltas++;
          expect(JSON.stringify(applyDelta(data, delta))).toBe(JSON.stringify(prev));
          // Every field it keeps is its own or data's: none is left to the reader's rule for
          // deltas of older writers (a missing "__proto__" was {}).
          for (const key of delta.order ?? []) {
            expect(Object.hasOwn(data, key) || Object.hasOwn(delta.set ?? {}, key)).toBe(true);
          }
        }
        const ts = "2026-01-02T03:04:05.000001Z";
        const op: Operation = { seq: 2, ts, op: "set", id: "r", data, prev };
        expect(JSON.stringify(readBack(op).prev)).toBe(JSON.stringify(prev));
        expectPrototypeUntouched();
      }),
      { numRuns: 2000 },
    );
    expect(deltas).toBeGreaterThan(100); // The property must exercise deltas, not only whole prevs.
  });

  it("give back the exact text for unrelated objects too", () => {
    fc.assert(
      fc.property(jsonRecord, jsonRecord, (prev, data) => {
        const delta = prevDelta(prev, data);
        if (delta) expect(JSON.stringify(applyDelta(data, delta))).toBe(JSON.stringify(prev));
        expectPrototypeUntouched();
      }),
      { numRuns: 1000 },
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

  it("keep a field whose nested keys were only reordered", () => {
    const pad = "x".repeat(300);
    const prev = { n: { p: 1, q: 2 }, a: 1, b: 2, c: 3, pad };
    const delta = prevDelta(prev, { n: { q: 2, p: 1 }, a: 1, b: 2, c: 4, pad });
    expect(delta).toEqual({ set: { n: { p: 1, q: 2 }, c: 3 } });
  });

  it("keep an own __proto__ field the update dropped, never the inherited prototype", () => {
    const pad = "x".repeat(300);
    const prev = objectOf([["__proto__", {}], ["a", 1], ["b", 2], ["c", 3], ["pad", pad]]);
    const data = { a: 1, b: 2, c: 3, pad };
    const delta = prevDelta(prev, data)!;
    expect(Object.getOwnPropertyDescriptor(delta.set, "__proto__")?.value).toEqual({});
    const rebuilt = applyDelta(data, delta);
    expect(Object.getOwnPropertyDescriptor(rebuilt, "__proto__")?.value).not.toBe(Object.prototype);
    expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(prev));
  });

  it("read a delta of an older writer that left out a dropped {} __proto__ field", () => {
    // What the writer before issue 10 wrote for the update above: __proto__ only in `order`.
    const data = { a: 1, b: 2, c: 3, d: 4 };
    const rebuilt = applyDelta(data, { order: ["__proto__", "a", "b", "c", "d"] });
    expect(JSON.stringify(rebuilt)).toBe('{"__proto__":{},"a":1,"b":2,"c":3,"d":4}');
    expect(Object.getOwnPropertyDescriptor(rebuilt, "__proto__")?.value).not.toBe(Object.prototype);
    freezeParsed(rebuilt);
    expectPrototypeUntouched();
  });

  it("refuse, as damage, a delta naming a field that is in neither set nor data", () => {
    const prevDelta = { order: ["a", "b"] };
    const record = { seq: 1, ts: "t", g: 1, op: "set", id: "r", data: { a: 1 }, prevDelta };
    expect(logRecordProblem(record)).toMatch(/prevDelta\.order names "b"/);
    expect(logRecordProblem({ ...record, data: [1], prevDelta: {} })).toMatch(/not an object/);
    const setList = { ...record, prevDelta: { set: [1] } };
    expect(logRecordProblem(setList)).toMatch(/set is not an object/);
  });

  it("sameJson compares JSON texts, key order included", () => {
    expect(sameJson({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameJson([1], { 0: 1 })).toBe(false);
    expect(sameJson({ a: null }, {})).toBe(false);
    expect(sameJson(objectOf([["__proto__", {}]]), {})).toBe(false);
    expect(sameJson({}, Object.prototype)).toBe(true); // Both have no own keys: callers check own.
    fc.assert(
      fc.property(jsonValue, jsonValue, (a, b) => {
        expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
    );
  });
});
