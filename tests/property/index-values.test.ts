import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_KEY, MIN_KEY, compareValues, typeEnd, typeRank, typeStart,
} from "../../src/query/compare.js";
import { compileFilter } from "../../src/query/matcher.js";
import { indexValues, splitPath } from "../../src/query/path.js";

const key = fc.constantFrom("a", "b", "c");
const scalar = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constantFrom("", "a", "b"),
);
const tree = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(key, tie("value"), { maxKeys: 3, noNullPrototype: true }),
  ),
}));
const doc = fc.dictionary(key, tree.value, { maxKeys: 3, noNullPrototype: true });
const path = fc.array(fc.oneof(key, fc.constantFrom("0", "1")), { minLength: 1, maxLength: 3 })
  .filter((segments) => segments[0] !== "0" && segments[0] !== "1")
  .map((segments) => segments.join("."));
const op = fc.constantFrom("$eq", "$gt", "$gte", "$lt", "$lte");

function satisfies(value: unknown, operator: string, operand: unknown): boolean {
  if (operand === null) {
    return value === null && (operator === "$eq" || operator === "$gte" || operator === "$lte");
  }
  if (typeRank(value) !== typeRank(operand)) return false;
  const order = compareValues(value, operand);
  if (operator === "$eq") return order === 0;
  if (operator === "$gt") return order > 0;
  if (operator === "$gte") return order >= 0;
  if (operator === "$lt") return order < 0;
  return order <= 0;
}

describe("indexValues", () => {
  it("holds a value satisfying every scalar comparison the matcher accepts; exact when not multi", () => {
    fc.assert(
      fc.property(doc, path, op, scalar, (document, pathText, operator, operand) => {
        const matches = compileFilter({ [pathText]: { [operator]: operand } })(document);
        const { values, multi } = indexValues(document, splitPath(pathText));
        const some = values.some((value) => satisfies(value, operator, operand));
        if (matches) expect(some).toBe(true);
        if (!multi) {
          expect(values).toHaveLength(1);
          expect(satisfies(values[0], operator, operand)).toBe(matches);
        }
      }),
      { numRuns: 20_000 },
    );
  });
});

describe("compareValues", () => {
  const sentinel = fc.constantFrom(MIN_KEY, MAX_KEY, ...[1, 2, 3, 4, 5, 6].flatMap((r) => [typeStart(r), typeEnd(r)]));
  const value = fc.oneof({ weight: 5, arbitrary: tree.value }, { weight: 1, arbitrary: sentinel });

  it("is a total order: reflexive, antisymmetric, transitive", () => {
    fc.assert(
      fc.property(value, value, value, (a, b, c) => {
        expect(compareValues(a, a)).toBe(0);
        expect(Math.sign(compareValues(a, b))).toBe(-Math.sign(compareValues(b, a)) || 0);
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0) {
          expect(compareValues(a, c)).toBeLessThanOrEqual(0);
        }
        if (compareValues(a, b) === 0) expect(Math.sign(compareValues(a, c))).toBe(Math.sign(compareValues(b, c)));
      }),
      { numRuns: 20_000 },
    );
  });

  it("places the sentinels around every value and every rank", () => {
    fc.assert(
      fc.property(tree.value, (v) => {
        const rank = typeRank(v);
        expect(compareValues(MIN_KEY, v)).toBe(-1);
        expect(compareValues(v, MAX_KEY)).toBe(-1);
        expect(compareValues(typeStart(rank), v)).toBe(-1);
        expect(compareValues(v, typeEnd(rank))).toBe(-1);
        if (rank < 6) expect(compareValues(v, typeStart(rank + 1))).toBe(-1);
        if (rank > 1) expect(compareValues(typeEnd(rank - 1), v)).toBe(-1);
      }),
    );
  });
});
