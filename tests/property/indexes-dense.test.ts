import { describe, expect, it } from "vitest";
import { MemoryStorage, Store } from "../../src/index.js";
import { Queries } from "../../src/query/queries.js";

/**
 * Indexed queries against a scan on dense, hostile data: few ids rewritten many times, fields
 * that are scalars of every type, arrays (empty, nested), objects, or missing, single, compound
 * and dotted multikey indexes, every page of every query (limits 1-5), and count(). The
 * model test (indexes-model) covers the kinds of change; this one covers the planner's
 * choices on such data, where several plans are possible per query. Seeds are fixed: a failure
 * prints the query and replays.
 */
type Doc = Record<string, unknown>;

function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

describe("indexed queries equal a scan on dense multikey data", () => {
  it.each([1, 2, 3, 4, 5, 6])("seed %i", async (seed) => {
    const rnd = random(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
    const scalar = (): unknown => pick([null, 0, 1, 2, 3, "a", "b", true, false, -1, 2.5]);
    const value = (): unknown => {
      const r = rnd();
      if (r < 0.15) return undefined;
      if (r < 0.3) return [];
      if (r < 0.55) return Array.from({ length: 1 + Math.floor(rnd() * 3) }, scalar);
      if (r < 0.6) return [[1], 2];
      if (r < 0.65) return { x: 1 };
      return scalar();
    };
    const doc = (): Doc => {
      const d: Doc = {};
      for (const field of ["a", "b"]) {
        const v = value();
        if (v !== undefined) d[field] = v;
      }
      if (rnd() < 0.3) d.o = rnd() < 0.5 ? [{ p: scalar() }, {}] : { p: value() };
      return d;
    };
    const condition = (): unknown => {
      const r = rnd();
      if (r < 0.3) return scalar();
      if (r < 0.45) return { $in: [scalar(), scalar()] };
      if (r < 0.6) return { $gt: scalar() };
      if (r < 0.7) return { $gte: scalar(), $lt: scalar() };
      if (r < 0.8) return { $lte: scalar() };
      if (r < 0.9) return { $ne: scalar() };
      return { $exists: rnd() < 0.5 };
    };
    const sorts = [undefined, { a: 1 }, { a: -1 }, { b: 1 }, { b: -1 }, { "o.p": 1 }, { a: 1, b: 1 }, { b: -1, a: -1 }];
    for (let run = 0; run < 6; run++) {
      const store = new Store<Doc>();
      await store.open(new MemoryStorage(), { indexes: { a: {}, b: {}, ab: { on: ["a", "b"] }, "o.p": {} } });
      for (let i = 0; i < 60; i++) {
        const id = `r${Math.floor(rnd() * 40)}`;
        if (rnd() < 0.15) {
          if (store.has(id)) await store.delete(id);
        } else {
          await store.set(id, doc());
        }
      }
      const scan = new Queries(() => new Map(store.entries()));
      for (let q = 0; q < 120; q++) {
        const where: Doc = {};
        const conditions = 1 + Math.floor(rnd() * 2);
        for (let k = 0; k < conditions; k++) where[pick(["a", "b", "o.p"])] = condition();
        const sort = pick(sorts) as Record<string, 1 | -1> | undefined;
        const limit = pick([undefined, 1, 2, 5]);
        const text = JSON.stringify({ seed, run, where, sort, limit });
        const expected = scan.find({ where, sort });
        const paged: string[] = [];
        let after: string | undefined;
        for (let page = 0; page < 100; page++) {
          const found = store.find({ where, sort, limit, after });
          paged.push(...found.ids);
          if (!found.next) break;
          after = found.next;
        }
        expect(paged, text).toEqual(expected.ids);
        expect(store.count(where), text).toBe(expected.ids.length);
      }
      await store.close();
    }
  });
});
