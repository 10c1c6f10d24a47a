import { assert } from "../util/assert.js";
import {
  childIndex,
  type Compare,
  InnerNode,
  LeafNode,
  rebalanceChild,
  search,
  splitChild,
  type TreeNode,
  widthOf,
} from "./btree-node.js";
import { edgeLeaf, locate, type Position, RangeIterator } from "./btree-range.js";
import { buildLevels, checkTree, type Limits } from "./btree-shape.js";

/** One end of a range: the key and whether it is included. */
export interface Bound<K> {
  readonly key: K;
  readonly inclusive: boolean;
}

/**
 * Entries per node (keys of a leaf, children of an inner node). Measured with bench/btree.mjs
 * at 1,000,000 tuple keys: see bench/btree.md.
 */
export const nodeWidthDefault = 64;
const nodeWidthMin = 4; // below this an inner node could be left with a single child
const nodeWidthMax = 1024;

/**
 * An in-memory B+tree of distinct keys with order statistics: every inner node keeps the number
 * of keys under each child, so counting the keys of a range is two descents, O(log n), and never
 * walks entries. Keys are compared only through `compare`, with a binary search in each node.
 *
 * Iterators from range() do not survive a change of the tree: inserting or deleting while one is
 * open makes its next() fail an assertion (OPSLOG_INTERNAL) rather than skip or repeat keys.
 */
export class BTree<K> {
  private root: TreeNode<K> = new LeafNode<K>([]);
  private count = 0;
  private modifications = 0;
  private readonly limits: Limits;

  /** `nodeWidth` is for tests (small nodes make deep trees with few keys). */
  constructor(
    private readonly compare: Compare<K>,
    nodeWidth: number = nodeWidthDefault,
  ) {
    assert(Number.isInteger(nodeWidth), "btree: the node width is an integer");
    assert(nodeWidth >= nodeWidthMin, `btree: the node width is at least ${nodeWidthMin}`);
    assert(nodeWidth <= nodeWidthMax, `btree: the node width is at most ${nodeWidthMax}`);
    this.limits = { maxWidth: nodeWidth, minWidth: nodeWidth >>> 1 };
  }

  /** Builds in O(n) from keys already sorted ascending and distinct (asserts both). */
  static fromSorted<K>(keys: readonly K[], compare: Compare<K>, nodeWidth?: number): BTree<K> {
    for (let i = 1; i < keys.length; i++) {
      const order = compare(keys[i - 1] as K, keys[i] as K);
      assert(order !== 0, `btree: fromSorted keys are distinct (keys ${i - 1} and ${i} are equal)`);
      assert(order < 0, `btree: fromSorted keys are sorted ascending (key ${i} is out of order)`);
    }
    const tree = new BTree(compare, nodeWidth);
    // Leaves three-quarters full leave room for inserts before the first splits.
    const fill = Math.max(tree.limits.minWidth, Math.floor((tree.limits.maxWidth * 3) / 4));
    tree.root = buildLevels(keys, fill, tree.limits);
    tree.count = keys.length;
    return tree;
  }

  get size(): number {
    return this.count;
  }

  /** Adds `key`; false (and no change) when an equal key is present. */
  insert(key: K): boolean {
    if (!this.insertInto(this.root, key)) return false;
    if (widthOf(this.root) > this.limits.maxWidth) {
      const root = new InnerNode<K>([], [this.root], [this.count + 1]);
      splitChild(root, 0);
      this.root = root;
    }
    this.count++;
    this.modifications++;
    return true;
  }

  /** Removes `key`; false when absent. */
  delete(key: K): boolean {
    if (!this.deleteFrom(this.root, key)) return false;
    const root = this.root;
    if (root instanceof InnerNode && root.children.length === 1) {
      this.root = root.children[0] as TreeNode<K>; // the tree loses a level
    }
    this.count--;
    this.modifications++;
    assert(this.count >= 0, "btree: the size stays non-negative");
    return true;
  }

  has(key: K): boolean {
    let node = this.root;
    while (node instanceof InnerNode) {
      node = node.children[childIndex(node, key, this.compare)] as TreeNode<K>;
    }
    return search(node.keys, key, this.compare) >= 0;
  }

  /**
   * Keys k with lo <= k <= hi (strict where a bound is not inclusive; undefined = unbounded).
   * O(log n).
   */
  countRange(lo: Bound<K> | undefined, hi: Bound<K> | undefined): number {
    const start = lo === undefined ? 0 : this.position(lo.key, !lo.inclusive).rank;
    const end = hi === undefined ? this.count : this.position(hi.key, hi.inclusive).rank;
    return Math.max(0, end - start); // lo above hi is an empty range
  }

  /** Those keys in ascending order, or descending with reverse (starting from hi). Lazy. */
  range(lo?: Bound<K>, hi?: Bound<K>, reverse = false): IterableIterator<K> {
    const start = lo === undefined ? this.edge(false) : this.position(lo.key, !lo.inclusive);
    const end = hi === undefined ? this.edge(true) : this.position(hi.key, hi.inclusive);
    const count = Math.max(0, end.rank - start.rank);
    return new RangeIterator(() => this.modifications, reverse ? end : start, count, reverse);
  }

  first(): K | undefined {
    return edgeLeaf(this.root, false).keys[0];
  }

  last(): K | undefined {
    const keys = edgeLeaf(this.root, true).keys;
    return keys[keys.length - 1];
  }

  /** Walks the whole tree and asserts every structural invariant (tests; O(n)). */
  checkInvariants(): void {
    checkTree(this.root, this.count, this.compare, this.limits);
  }

  private position(key: K, after: boolean): Position<K> {
    return locate(this.root, this.count, key, after, this.compare);
  }

  /** The position before the first key (`end` false) or after the last. */
  private edge(end: boolean): Position<K> {
    const leaf = edgeLeaf(this.root, end);
    return end ? { leaf, index: leaf.keys.length, rank: this.count } : { leaf, index: 0, rank: 0 };
  }

  /** Inserts under `node`, splitting any child that overflows on the way back up. */
  private insertInto(node: TreeNode<K>, key: K): boolean {
    if (node instanceof LeafNode) {
      const found = search(node.keys, key, this.compare);
      if (found >= 0) return false;
      node.keys.splice(~found, 0, key);
      return true;
    }
    const i = childIndex(node, key, this.compare);
    const child = node.children[i] as TreeNode<K>;
    if (!this.insertInto(child, key)) return false;
    node.counts[i] = (node.counts[i] as number) + 1;
    if (widthOf(child) > this.limits.maxWidth) splitChild(node, i);
    assert(widthOf(node) <= this.limits.maxWidth + 1, "btree: a node overflows by one at most");
    return true;
  }

  /** Deletes under `node`, rebalancing any child that underflows on the way back up. */
  private deleteFrom(node: TreeNode<K>, key: K): boolean {
    if (node instanceof LeafNode) {
      const found = search(node.keys, key, this.compare);
      if (found < 0) return false;
      node.keys.splice(found, 1);
      return true;
    }
    const i = childIndex(node, key, this.compare);
    const child = node.children[i] as TreeNode<K>;
    if (!this.deleteFrom(child, key)) return false;
    node.counts[i] = (node.counts[i] as number) - 1;
    assert((node.counts[i] as number) >= 0, "btree: a child's count stays non-negative");
    if (widthOf(child) < this.limits.minWidth) rebalanceChild(node, i, this.limits.minWidth);
    return true;
  }
}
