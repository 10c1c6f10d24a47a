import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { freezeParsed } from "../../src/model/value.js";
import { RawRecord } from "../../src/model/raw-record.js";
import { encodeLine, encodeRecordLine } from "../../src/storage/fs/log-format.js";
import { encodeLogLine, toLogRecord } from "../../src/storage/fs/log-record.js";
import type { Operation } from "../../src/types.js";

/**
 * Lines are assembled from cached value texts on the write path (encodeLogLine, encodeRecordLine);
 * they must be byte for byte what serialising the whole record gives (docs/FORMAT.md).
 */
const value = fc.jsonValue({ maxDepth: 3 }).map((v) => freezeParsed(JSON.parse(JSON.stringify(v)) as unknown));
const record = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { minKeys: 0, maxKeys: 8 }).map((v) =>
  freezeParsed(JSON.parse(JSON.stringify(v)) as Record<string, unknown>),
);

const operation = fc
  .record({
    seq: fc.integer({ min: 1, max: 2 ** 40 }),
    op: fc.constantFrom("set" as const, "delete" as const),
    id: fc.string({ minLength: 1, maxLength: 12 }),
    data: fc.oneof(value, record),
    prev: fc.oneof(fc.constant(null), value, record),
    batch: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    meta: fc.option(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 })), { nil: undefined }),
    undo: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    redo: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
    archive: fc.option(fc.string(), { nil: undefined }),
  })
  .map(({ data, prev, op, ...rest }) => {
    const result: Operation = { ...rest, ts: "2026-01-02T03:04:05.000001Z", op, prev: prev as never };
    if (op === "set") result.data = data as never;
    for (const key of Object.keys(result) as (keyof Operation)[]) if (result[key] === undefined) delete result[key];
    return result;
  });

describe("line encoding from cached texts", () => {
  it("an operation's line equals the serialised log record", () => {
    fc.assert(
      fc.property(operation, fc.integer({ min: 1, max: 2 ** 40 }), fc.option(fc.integer({ min: 2, max: 99 }), { nil: undefined }), (op, group, size) => {
        const expected = encodeLine(toLogRecord(op, group, size));
        expect(encodeLogLine(op, group, size)).toBe(expected);
        expect(encodeLogLine(op, group, size)).toBe(expected); // Again, from the cache.
      }),
      { numRuns: 400 },
    );
  });

  it("a record line equals the serialised record, for values, cached values and stored text", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.oneof(value, record), (id, data) => {
        const expected = encodeLine({ id, data });
        expect(encodeRecordLine(id, data)).toBe(expected);
        expect(encodeRecordLine(id, data)).toBe(expected);
        expect(encodeRecordLine(id, new RawRecord(JSON.stringify(data)))).toBe(expected);
      }),
      { numRuns: 400 },
    );
  });
});
