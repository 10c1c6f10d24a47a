import { describe, expect, it } from "vitest";
import { RecordTable } from "../../src/engine/record-table.js";
import { RawRecord } from "../../src/model/raw-record.js";
import { allRecords, countRecords, filterRecords } from "../../src/model/record-scan.js";
import { toStoredRecord } from "../../src/model/value.js";

/**
 * Every kind of value a state map holds, as the fast paths of the scans must hand it out. State
 * maps are the record table's: it freezes what enters them (so the scans need not check).
 */
function state(): ReadonlyMap<string, unknown> {
  return new RecordTable(new Map<string, unknown>([
    ["text", new RawRecord('{"n":1,"tags":["a"]}')],
    ["stored", toStoredRecord({ n: 2, nested: { deep: [1] } })],
    ["parsed", { n: 3, nested: { deep: [2] } }], // replayed, not yet frozen
    ["null", null], // old data may hold a null record
    ["number", 7],
  ])).records;
}

function deeplyFrozen(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(deeplyFrozen);
}

describe("record scans", () => {
  it("hand out every record, parsed and deeply frozen, in map order", () => {
    const records = state();
    const all = allRecords(records);
    const expected = [{ n: 1, tags: ["a"] }, { n: 2, nested: { deep: [1] } }, { n: 3, nested: { deep: [2] } }];
    expect(all).toEqual([...expected, null, 7]);
    for (const record of all) expect(deeplyFrozen(record)).toBe(true);
    // The same objects every time: a record is parsed and frozen once.
    expect(allRecords(records)).toEqual(all);
    allRecords(records).forEach((record, i) => expect(record).toBe(all[i]));
  });

  it("count and filter agree, with ids, without building anything for count", () => {
    const records = state();
    const seen: string[] = [];
    const isObject = (value: unknown, id: string): boolean => {
      seen.push(id);
      return typeof value === "object" && value !== null;
    };
    expect(countRecords(records, isObject)).toBe(3);
    expect(seen).toEqual([...records.keys()]);
    const found = filterRecords(records, isObject);
    expect(found).toHaveLength(3);
    for (const record of found) expect(deeplyFrozen(record)).toBe(true);
    expect(filterRecords(records, () => false)).toEqual([]);
    expect(countRecords(records, () => true)).toBe(records.size);
  });
});
