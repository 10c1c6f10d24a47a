import { describe, expect, it } from "vitest";
import { RecordTable } from "../../src/engine/record-table.js";
import { WarmUp } from "../../src/engine/warm-up.js";
import { RawRecord } from "../../src/model/raw-record.js";

// Found by review of issue 14's warm-up: a record whose text does not parse threw out of a
// timer (an uncaught exception in the host process); a slice looked at the clock only every 256
// records whatever their size (a 920 ms slice on 90 KB records); and after a follower started
// over (replace), a finished warm-up did not run again.

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function rawIds(table: RecordTable): string[] {
  return [...table.records].filter(([, value]) => value instanceof RawRecord).map(([id]) => id);
}

async function settle(warmUp: WarmUp): Promise<void> {
  for (let i = 0; i < 200 && warmUp.running; i++) await tick(1);
  expect(warmUp.running).toBe(false);
}

describe("warm-up slices", () => {
  it("skips a record whose text does not parse, leaves it as text, and goes on", async () => {
    const table = new RecordTable(
      new Map<string, unknown>([
        ["a", new RawRecord('{"a":1}')],
        ["bad", new RawRecord("{not json")],
        ["c", new RawRecord('{"c":[3]}')],
      ]),
    );
    const warmUp = new WarmUp(table);
    warmUp.start();
    await settle(warmUp);
    expect(rawIds(table)).toEqual(["bad"]);
    expect(() => (table.records.get("bad") as RawRecord).read()).toThrow();
    expect(table.records.get("c")).toEqual({ c: [3] });
  });

  it("ends a step once it has parsed its budget of text, however few records that is", () => {
    const big = JSON.stringify({ s: "x".repeat(600) });
    const table = new RecordTable(
      new Map<string, unknown>(Array.from({ length: 10 }, (_, i) => [`k${i}`, new RawRecord(big)])),
    );
    expect(table.warm(256, 1000)).toBe(true);
    expect(rawIds(table)).toHaveLength(8); // Two records reach 1,000 characters.
    while (table.warm(256, 1000));
    expect(rawIds(table)).toHaveLength(0);
  });

  it("runs again over the new records after the table is replaced", async () => {
    const table = new RecordTable(new Map<string, unknown>([["a", new RawRecord('{"a":1}')]]));
    const warmUp = new WarmUp(table);
    warmUp.start();
    await settle(warmUp);
    table.replace(new Map<string, unknown>([["b", new RawRecord('{"b":2}')]]));
    expect(rawIds(table)).toEqual(["b"]);
    await tick();
    await settle(warmUp);
    expect(rawIds(table)).toEqual([]);
    warmUp.stop();
    table.replace(new Map<string, unknown>([["c", new RawRecord('{"c":3}')]]));
    await tick(5);
    expect(rawIds(table)).toEqual(["c"]); // A stopped warm-up stays stopped.
  });
});
