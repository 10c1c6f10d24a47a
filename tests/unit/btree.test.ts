import { describe, expect, it } from "vitest";
import { BTree } from "../../src/query/btree.js";
import { AssertionError } from "../../src/util/assert.js";

const byNumber = (a: number, b: number): number => a - b;
const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("BTree", () => {
  it("inserts, finds, counts and deletes", () => {
    const tree = new BTree(byNumber, 4);
    for (const key of [5, 1, 9, 3, 7]) expect(tree.insert(key)).toBe(true);
    expect(tree.insert(3)).toBe(false);
    expect(tree.size).toBe(5);
    expect(tree.has(7)).toBe(true);
    expect(tree.has(4)).toBe(false);
    expect([...tree.range()]).toEqual([1, 3, 5, 7, 9]);
    const within = tree.range({ key: 3, inclusive: false }, { key: 9, inclusive: false }, true);
    expect([...within]).toEqual([7, 5]);
    expect(tree.countRange({ key: 3, inclusive: true }, { key: 7, inclusive: true })).toBe(3);
    expect(tree.countRange({ key: 7, inclusive: true }, { key: 3, inclusive: true })).toBe(0);
    expect(tree.countRange({ key: 5, inclusive: true }, { key: 5, inclusive: false })).toBe(0);
    expect(tree.countRange({ key: 5, inclusive: true }, { key: 5, inclusive: true })).toBe(1);
    expect(tree.countRange(undefined, { key: 100, inclusive: false })).toBe(5);
    expect(tree.delete(5)).toBe(true);
    expect(tree.delete(5)).toBe(false);
    expect([tree.first(), tree.last()]).toEqual([1, 9]);
    tree.checkInvariants();
  });

  it("is empty without keys", () => {
    const tree = new BTree(byNumber);
    expect([tree.first(), tree.last(), tree.size]).toEqual([undefined, undefined, 0]);
    expect([...tree.range(undefined, undefined, true)]).toEqual([]);
    expect(tree.countRange({ key: 0, inclusive: true }, undefined)).toBe(0);
    tree.checkInvariants();
  });

  it("shrinks back to a single leaf after deleting everything from a deep tree", () => {
    const tree = BTree.fromSorted(upTo(1000), byNumber, 4);
    tree.checkInvariants();
    const hundreds = tree.countRange({ key: 100, inclusive: true }, { key: 200, inclusive: false });
    expect(hundreds).toBe(100);
    for (const key of upTo(1000)) expect(tree.delete(key)).toBe(true);
    tree.checkInvariants();
    expect(tree.size).toBe(0);
  });

  it("fails loudly when modified while a range iterator is open", () => {
    const tree = BTree.fromSorted(upTo(100), byNumber, 4);
    const keys = tree.range();
    expect(keys.next().value).toBe(0);
    tree.insert(1000);
    expect(() => keys.next()).toThrow(AssertionError);
    expect(() => keys.next()).toThrow(/modified while a range\(\) iterator was open/);
    // A change that is no change (a duplicate insert, an absent delete) does not count.
    const other = tree.range(undefined, undefined, true);
    expect(other.next().value).toBe(1000);
    tree.insert(5);
    tree.delete(-1);
    expect(other.next().value).toBe(99);
    // An exhausted iterator stays done.
    const done = tree.range({ key: 5, inclusive: true }, { key: 5, inclusive: true });
    expect([...done]).toEqual([5]);
    tree.delete(5);
    expect(done.next().done).toBe(true);
  });

  it("fromSorted refuses unsorted or duplicate keys", () => {
    const unsorted = (): unknown => BTree.fromSorted([1, 3, 2], byNumber);
    expect(unsorted).toThrow(/sorted ascending \(key 2 is out of order\)/);
    const duplicates = (): unknown => BTree.fromSorted([1, 2, 2], byNumber);
    expect(duplicates).toThrow(/distinct \(keys 1 and 2 are equal\)/);
    expect(BTree.fromSorted([], byNumber).size).toBe(0);
  });

  it("refuses node widths outside its limits", () => {
    expect(() => new BTree(byNumber, 3)).toThrow(/at least 4/);
    expect(() => new BTree(byNumber, 4.5)).toThrow(/integer/);
  });
});
