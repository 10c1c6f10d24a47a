import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BTree, type Bound } from "../../src/query/btree.js";

/**
 * Model-based test of the B+tree against a plain sorted array: random inserts, deletes
 * (single and in bulk, to force splits, borrows, merges and lost levels), lookups, counts and
 * ranges in both directions with every kind of bound, first/last and bulk builds. Small node
 * widths make deep trees with few keys; the structure is checked after every step.
 */

type Compare<K> = (a: K, b: K) => number;

const compareNumbers: Compare<number> = (a, b) => a - b;

/** Like an index key (value, id): numbers before strings, then the id breaks ties. */
type Tuple = [number | string, string];
const compareValues = (a: number | string, b: number | string): number => {
  if (typeof a === "number") return typeof b === "number" ? a - b : -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
};
const compareTuples: Compare<Tuple> = (a, b) => {
  const order = compareValues(a[0], b[0]);
  if (order !== 0) return order;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
};

type Op<K> =
  | { kind: "insert" | "delete" | "has"; key: K }
  | { kind: "insertMany" | "deleteMany" | "build"; keys: K[] }
  | {
      kind: "count" | "range";
      lo: Bound<K> | undefined;
      hi: Bound<K> | undefined;
      reverse: boolean;
    }
  | { kind: "edges" };

function opsOf<K>(key: fc.Arbitrary<K>): fc.Arbitrary<Op<K>[]> {
  const bound = fc.option(fc.record({ key, inclusive: fc.boolean() }), { nil: undefined });
  // lo and hi on the same key, in every inclusive/exclusive combination.
  const sameKey = fc
    .tuple(key, fc.boolean(), fc.boolean())
    .map(([k, a, b]) => ({ lo: { key: k, inclusive: a }, hi: { key: k, inclusive: b } }));
  const bounds = fc.oneof(fc.record({ lo: bound, hi: bound }), sameKey);
  const op: fc.Arbitrary<Op<K>> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom("insert" as const), key }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom("delete" as const), key }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("has" as const), key }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constantFrom("insertMany" as const, "deleteMany" as const, "build" as const),
        keys: fc.array(key, { maxLength: 150 }),
      }),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom("count" as const, "range" as const), bounds, fc.boolean())
        .map(([kind, { lo, hi }, reverse]) => ({ kind, lo, hi, reverse })),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "edges" as const }) },
  );
  return fc.array(op, { minLength: 1, maxLength: 80 });
}

/** The reference: a sorted array of distinct keys. */
class Model<K> {
  keys: K[] = [];
  constructor(private readonly compare: Compare<K>) {}
  indexOf(key: K): number {
    return this.keys.findIndex((k) => this.compare(k, key) === 0);
  }
  insert(key: K): boolean {
    if (this.indexOf(key) >= 0) return false;
    this.keys.push(key);
    this.keys.sort(this.compare);
    return true;
  }
  delete(key: K): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    this.keys.splice(i, 1);
    return true;
  }
  inRange(lo: Bound<K> | undefined, hi: Bound<K> | undefined): K[] {
    return this.keys.filter((k) => {
      const fromLo = lo === undefined ? 1 : this.compare(k, lo.key);
      const toHi = hi === undefined ? 1 : this.compare(hi.key, k);
      const aboveLo = fromLo > 0 || (fromLo === 0 && lo!.inclusive);
      const belowHi = toHi > 0 || (toHi === 0 && hi!.inclusive);
      return aboveLo && belowHi;
    });
  }
}

function distinctSorted<K>(keys: K[], compare: Compare<K>): K[] {
  const sorted = [...keys].sort(compare);
  return sorted.filter((k, i) => i === 0 || compare(sorted[i - 1] as K, k) !== 0);
}

function runOps<K>(ops: Op<K>[], compare: Compare<K>, width: number): void {
  let tree = new BTree(compare, width);
  const model = new Model(compare);
  for (const op of ops) {
    switch (op.kind) {
      case "insert":
        expect(tree.insert(op.key)).toBe(model.insert(op.key));
        break;
      case "delete":
        expect(tree.delete(op.key)).toBe(model.delete(op.key));
        break;
      case "has":
        expect(tree.has(op.key)).toBe(model.indexOf(op.key) >= 0);
        break;
      case "insertMany":
        for (const key of op.keys) expect(tree.insert(key)).toBe(model.insert(key));
        break;
      case "deleteMany":
        for (const key of [...op.keys, ...model.keys.filter((_, i) => i % 2 === 0)]) {
          expect(tree.delete(key)).toBe(model.delete(key));
        }
        break;
      case "build":
        model.keys = distinctSorted(op.keys, compare);
        tree = BTree.fromSorted(model.keys, compare, width);
        break;
      case "count":
        expect(tree.countRange(op.lo, op.hi)).toBe(model.inRange(op.lo, op.hi).length);
        break;
      case "range": {
        const expected = model.inRange(op.lo, op.hi);
        if (op.reverse) expected.reverse();
        expect([...tree.range(op.lo, op.hi, op.reverse)]).toEqual(expected);
        break;
      }
      case "edges":
        expect(tree.first()).toEqual(model.keys[0]);
        expect(tree.last()).toEqual(model.keys[model.keys.length - 1]);
        break;
    }
    expect(tree.size).toBe(model.keys.length);
    tree.checkInvariants();
  }
  expect([...tree.range()]).toEqual(model.keys);
}

const widths = fc.constantFrom(4, 5, 6, 7, 8, 16, 64);
const numberKeys = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(-1000, 1000));
const tupleKeys: fc.Arbitrary<Tuple> = fc.tuple(
  fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom("", "a", "b", "ab")),
  fc.constantFrom("", "x", "y", "z", "id1", "id2", "id10"),
);

describe("the B+tree agrees with a sorted array (property)", () => {
  it("over small integers", () => {
    fc.assert(
      fc.property(opsOf(numberKeys), widths, (ops, width) => runOps(ops, compareNumbers, width)),
      { numRuns: 300 },
    );
  });

  it("over (number | string, string) tuples", () => {
    fc.assert(
      fc.property(opsOf(tupleKeys), widths, (ops, width) => runOps(ops, compareTuples, width)),
      { numRuns: 300 },
    );
  });

  it("stays balanced through thousands of inserts and deletes in deep trees", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), widths, (seed, width) => {
        const rng = fc.sample(fc.integer({ min: 0, max: 4999 }), { numRuns: 6000, seed });
        const tree = new BTree(compareNumbers, width);
        const present = new Set<number>();
        for (const [i, key] of rng.entries()) {
          // Mostly inserts first, then mostly deletes: the tree grows deep, then shrinks back.
          const inserting = i < 3000 ? key % 4 !== 0 : key % 4 === 0;
          if (inserting) {
            expect(tree.insert(key)).toBe(!present.has(key));
            present.add(key);
          } else {
            expect(tree.delete(key)).toBe(present.delete(key));
          }
        }
        tree.checkInvariants();
        const sorted = [...present].sort((a, b) => a - b);
        expect([...tree.range()]).toEqual(sorted);
        const counted = tree.countRange(
          { key: 1000, inclusive: true },
          { key: 2000, inclusive: false },
        );
        expect(counted).toBe(sorted.filter((k) => k >= 1000 && k < 2000).length);
        for (const key of sorted) tree.delete(key);
        tree.checkInvariants();
        expect(tree.size).toBe(0);
      }),
      { numRuns: 20 },
    );
  });
});
