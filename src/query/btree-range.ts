import { assert } from "../util/assert.js";
import {
  childIndex,
  type Compare,
  InnerNode,
  LeafNode,
  search,
  sum,
  type TreeNode,
} from "./btree-node.js";

/** A position between keys: before `leaf.keys[index]`, with `rank` keys of the tree before it. */
export interface Position<K> {
  readonly leaf: LeafNode<K>;
  readonly index: number;
  readonly rank: number;
}

/**
 * The position just before the first key > `key` (`after`) or >= `key` (not `after`), found in
 * one descent: the rank adds the counts of the children passed over, never walking keys. It
 * sums from whichever end of a node is nearer, since the node's own total is known.
 */
export function locate<K>(
  root: TreeNode<K>,
  total: number,
  key: K,
  after: boolean,
  compare: Compare<K>,
): Position<K> {
  let node = root;
  let rank = 0;
  let nodeTotal = total;
  while (node instanceof InnerNode) {
    const i = childIndex(node, key, compare);
    const width = node.counts.length;
    const before = i * 2 <= width ? sum(node.counts, 0, i) : nodeTotal - sum(node.counts, i, width);
    rank += before;
    nodeTotal = node.counts[i] as number;
    node = node.children[i] as TreeNode<K>;
  }
  assert(node.keys.length === nodeTotal, "btree: a leaf holds the count its parent keeps");
  const found = search(node.keys, key, compare);
  const index = found >= 0 ? (after ? found + 1 : found) : ~found;
  return { leaf: node, index, rank: rank + index };
}

/** The leftmost (`end` false) or rightmost leaf. */
export function edgeLeaf<K>(root: TreeNode<K>, end: boolean): LeafNode<K> {
  let node = root;
  while (node instanceof InnerNode) {
    node = node.children[end ? node.children.length - 1 : 0] as TreeNode<K>;
  }
  return node;
}

/**
 * Yields `remaining` keys from a position, forwards or backwards along the leaf links. The
 * count is known up front (from the ranks), so walking costs no compare per key. The iterator
 * does not survive a change of the tree: `modifications` is read on each next() and a change
 * since the iterator was opened fails the assertion instead of skipping or repeating keys.
 */
export class RangeIterator<K> implements IterableIterator<K> {
  private readonly expected: number;
  private leaf: LeafNode<K> | null;
  private index: number;

  constructor(
    private readonly modifications: () => number,
    start: Position<K>,
    private remaining: number,
    private readonly reverse: boolean,
  ) {
    assert(remaining >= 0, "btree: a range has a non-negative count");
    this.expected = modifications();
    this.leaf = start.leaf;
    // Backwards, the first key yielded is the one just before the position.
    this.index = reverse ? start.index - 1 : start.index;
  }

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<K, undefined> {
    if (this.remaining <= 0) {
      this.leaf = null; // let the tree be collected even if the iterator is kept
      return { done: true, value: undefined };
    }
    assert(
      this.modifications() === this.expected,
      "btree: the tree was modified while a range() iterator was open; " +
        "finish or drop the iterator before inserting or deleting",
    );
    this.remaining--;
    return { done: false, value: this.reverse ? this.stepBackward() : this.stepForward() };
  }

  private stepForward(): K {
    let leaf = this.leaf;
    while (leaf !== null && this.index >= leaf.keys.length) {
      leaf = leaf.next;
      this.index = 0;
    }
    assert(leaf !== null, "btree: a range never runs past the last leaf");
    this.leaf = leaf;
    return leaf.keys[this.index++] as K;
  }

  private stepBackward(): K {
    let leaf = this.leaf;
    while (leaf !== null && this.index < 0) {
      leaf = leaf.prev;
      this.index = leaf === null ? -1 : leaf.keys.length - 1;
    }
    assert(leaf !== null, "btree: a range never runs past the first leaf");
    this.leaf = leaf;
    return leaf.keys[this.index--] as K;
  }
}
