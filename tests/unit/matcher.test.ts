import { describe, expect, it } from "vitest";
import { OpslogError } from "../../src/errors.js";
import { EMPTY_ARRAY_SORT_KEY, compareKeys, compareValues } from "../../src/query/compare.js";
import { compileFilter, matcherFor } from "../../src/query/matcher.js";
import { sortValue, splitPath } from "../../src/query/path.js";

const m = (where: unknown, doc: unknown) => compileFilter(where)(doc);

describe("operators", () => {
  it("$eq, implicit equality, objects and arrays", () => {
    expect(m({ a: 1 }, { a: 1 })).toBe(true);
    expect(m({ a: { $eq: 1 } }, { a: [0, 1] })).toBe(true);
    expect(m({ a: { b: 1 } }, { a: { b: 1 } })).toBe(true);
    expect(m({ a: { b: 1 } }, { a: { b: 1, c: 2 } })).toBe(false);
    expect(m({ a: { b: 1, c: 2 } }, { a: { c: 2, b: 1 } })).toBe(false); // field order counts
    expect(m({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(m({ a: [1, 2] }, { a: [[1, 2], 3] })).toBe(true);
    expect(m({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(m({ a: 1 }, { a: [[1]] })).toBe(false); // one level of expansion only
  });
  it("$ne and $nin negate the whole field", () => {
    expect(m({ a: { $ne: 1 } }, { a: [1, 2] })).toBe(false);
    expect(m({ a: { $ne: 1 } }, {})).toBe(true);
    expect(m({ a: { $nin: [1, 3] } }, { a: 2 })).toBe(true);
    expect(m({ a: { $nin: [1, 3] } }, { a: [2, 3] })).toBe(false);
  });
  it("ranges bracket types", () => {
    expect(m({ a: { $gt: 5 } }, { a: "9" })).toBe(false);
    expect(m({ a: { $gt: 5 } }, { a: 6 })).toBe(true);
    expect(m({ a: { $lt: "b" } }, { a: "a" })).toBe(true);
    expect(m({ a: { $lt: "b" } }, { a: 1 })).toBe(false);
    expect(m({ a: { $gt: false } }, { a: true })).toBe(true);
    expect(m({ a: { $gt: 5, $lt: 7 } }, { a: [1, 9] })).toBe(true); // each clause on any element
    expect(m({ a: { $lt: [2] } }, { a: [1] })).toBe(true); // MongoDB: the whole array compares
    expect(m({ a: { $gt: {} } }, { a: { b: 1 } })).toBe(true);
  });
  it("$in with nulls and regexes, empty $in", () => {
    expect(m({ a: { $in: [null] } }, {})).toBe(true);
    expect(m({ a: { $in: [/^x/] } }, { a: "xy" })).toBe(true);
    expect(m({ a: { $in: [] } }, { a: 1 })).toBe(false);
    expect(m({ a: { $in: [[1]] } }, { a: [1] })).toBe(true);
  });
  it("$exists", () => {
    expect(m({ a: { $exists: true } }, { a: null })).toBe(true);
    expect(m({ a: { $exists: false } }, {})).toBe(true);
    expect(m({ "a.b": { $exists: true } }, { a: [1, { b: 0 }] })).toBe(true);
    expect(m({ constructor: { $exists: true } }, {})).toBe(false);
  });
  it("$not, $and, $or, $nor", () => {
    expect(m({ a: { $not: { $gt: 1 } } }, { a: "x" })).toBe(true);
    expect(m({ a: { $not: /^x/ } }, { a: "xy" })).toBe(false);
    expect(m({ $and: [{ a: 1 }, { b: 2 }] }, { a: 1, b: 2 })).toBe(true);
    expect(m({ $or: [{ a: 1 }, { b: 2 }] }, { b: 2 })).toBe(true);
    expect(m({ $nor: [{ a: 1 }, { b: 2 }] }, { b: 2 })).toBe(false);
  });
  it("$elemMatch, $size, $all", () => {
    expect(m({ a: { $elemMatch: { $gt: 1, $lt: 3 } } }, { a: [0, 2] })).toBe(true);
    expect(m({ a: { $elemMatch: { $gt: 1, $lt: 3 } } }, { a: [0, 5] })).toBe(false);
    expect(m({ a: { $elemMatch: { b: 1, c: 2 } } }, { a: [{ b: 1 }, { b: 1, c: 2 }] })).toBe(true);
    expect(m({ a: { $elemMatch: { $gt: 1 } } }, { a: [[2]] })).toBe(false); // mingo: true
    expect(m({ a: { $size: 2 } }, { a: [1, [2, 3]] })).toBe(true);
    expect(m({ a: { $size: 0 } }, {})).toBe(false);
    expect(m({ a: { $all: [1, 2] } }, { a: [2, 3, 1] })).toBe(true);
    expect(m({ a: { $all: [] } }, { a: [] })).toBe(false);
    expect(m({ a: { $all: [null] } }, {})).toBe(true); // mingo: false
    expect(m({ a: { $all: [false] } }, { a: false })).toBe(true); // mingo: false
    expect(m({ a: { $gt: { c: 0.5 } } }, { a: { a: false } })).toBe(true); // type before name
    expect(m({ a: { $all: [{ $elemMatch: { $gt: 2 } }] } }, { a: [1, 3] })).toBe(true);
  });
  it("$regex with options", () => {
    expect(m({ a: { $regex: "^A", $options: "i" } }, { a: "abc" })).toBe(true);
    expect(m({ a: /^a/ }, { a: ["b", "ab"] })).toBe(true);
    expect(m({ a: /^1/ }, { a: 1 })).toBe(false);
    expect(m({ a: { $regex: /a/g } }, { a: "a" }) && m({ a: { $regex: /a/g } }, { a: "a" })).toBe(true);
  });
});

describe("null against missing, dotted paths", () => {
  it("follows MongoDB where mingo differs", () => {
    expect(m({ a: null }, {})).toBe(true);
    expect(m({ a: null }, { a: [] })).toBe(false);
    expect(m({ a: { $ne: null } }, {})).toBe(false);
    expect(m({ a: { $gte: null } }, {})).toBe(true); // mingo: false
    expect(m({ a: { $lte: null } }, { a: null })).toBe(true);
    expect(m({ a: { $gt: null } }, { a: null })).toBe(false);
    expect(m({ "a.b": null }, { a: [{ b: 1 }, {}] })).toBe(true); // mingo: false
    expect(m({ "a.b": null }, { a: [{ b: 1 }] })).toBe(false);
    expect(m({ "a.b": null }, { a: 5 })).toBe(true);
  });
  it("traverses arrays and numeric segments", () => {
    expect(m({ "a.b": 1 }, { a: [{ b: 2 }, { b: [1] }] })).toBe(true);
    expect(m({ "a.0": 1 }, { a: [1, 2] })).toBe(true);
    expect(m({ "a.0.b": 1 }, { a: [{ b: 1 }] })).toBe(true);
    expect(m({ "a.0": 1 }, { a: [{ "0": 1 }] })).toBe(true); // mingo: false
    expect(m({ "a.b": 1 }, { a: [[{ b: 1 }]] })).toBe(false);
  });
});

describe("errors", () => {
  const rejects = (where: unknown, ...words: string[]) => {
    try {
      compileFilter(where);
    } catch (error) {
      expect(error).toBeInstanceOf(OpslogError);
      expect((error as OpslogError).code).toBe("OPSLOG_INVALID_ARGUMENT");
      for (const word of words) expect((error as Error).message).toContain(word);
      return;
    }
    throw new Error(`accepted ${String(where)}`);
  };
  it("rejects bad operators and operands with the path and operator", () => {
    rejects({ a: { $foo: 1 } }, '"a"', "$foo");
    rejects({ $where: "1" }, "$where");
    rejects({ a: { $in: 1 } }, "$in", '"a"');
    rejects({ "a.b": { $size: -1 } }, "$size", '"a.b"');
    rejects({ a: { $size: 1.5 } }, "$size");
    rejects({ $and: [] }, "$and");
    rejects({ $or: {} }, "$or");
    rejects({ a: { $regex: "(" } }, "$regex", '"a"');
    rejects({ a: { $regex: "a", $options: "x" } }, "$options");
    rejects({ a: { $eq: undefined } }, "$eq");
    rejects({ a: () => 1 }, '"a"');
    rejects({ a: new Date() }, "Date");
    rejects({ a: { $gt: Number.NaN } }, "NaN");
    rejects({ a: { $not: {} } }, "$not");
    rejects({ a: { $gt: 1, b: 2 } }, "mixed");
    rejects({ "": 1 }, "path");
    rejects({ "a..b": 1 }, "a..b");
    rejects(null, "plain object");
    expect(() => splitPath("a.$b")).toThrow(/a\.\$b/);
  });
  it("the cache never turns a rejected filter into an accepted one", () => {
    expect(matcherFor({ a: "x" })({ a: "x" })).toBe(true);
    expect(matcherFor({ a: "x" })).toBe(matcherFor({ a: "x" }));
    expect(() => matcherFor({ a: Number.NaN })).toThrow(OpslogError);
    expect(matcherFor({ a: /x/ })).not.toBe(matcherFor({ a: {} }));
  });
});

describe("order and sort values", () => {
  it("orders types as MongoDB", () => {
    const ordered = [null, -1, 2, "", "a", {}, { a: 1 }, [], [1], false, true];
    for (let i = 1; i < ordered.length; i++) expect(compareValues(ordered[i - 1], ordered[i])).toBe(-1);
    expect(compareValues(undefined, null)).toBe(0);
    expect(compareKeys([1], [1, 0])).toBe(-1);
  });
  it("sorts arrays by their smallest or largest element; empty arrays below null", () => {
    expect(sortValue({ a: [3, 1, 2] }, ["a"], 1)).toBe(1);
    expect(sortValue({ a: [3, 1, 2] }, ["a"], -1)).toBe(3);
    expect(sortValue({}, ["a"], 1)).toBe(null);
    expect(sortValue({ a: [] }, ["a"], 1)).toBe(EMPTY_ARRAY_SORT_KEY);
    expect(compareValues(EMPTY_ARRAY_SORT_KEY, null)).toBe(-1);
  });
});
