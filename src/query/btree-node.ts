import { assert } from "../util/assert.js";

/**
 * Nodes of the B+tree in btree.ts, and the few moves that keep it balanced: split a child that
 * overflowed, borrow from a sibling or merge with it when a child underflowed. Every move keeps
 * the parent's per-child key counts exact, because counting a range adds those counts instead of
 * walking keys.
 */

export type Compare<K> = (a: K, b: K) => number;

/** A leaf holds keys in ascending order and links to its neighbours for ordered walks. */
export class LeafNode<K> {
  prev: LeafNode<K> | null = null;
  next: LeafNode<K> | null = null;
  constructor(public keys: K[]) {}
}

/**
 * An inner node with children c[0..m-1] holds m-1 separators and m counts. Separator s[i] is
 * greater than every key under c[i] and at most every key under c[i+1]; counts[i] is the number
 * of keys under c[i]. Deleting keys never invalidates a separator, so only moves update them.
 */
export class InnerNode<K> {
  constructor(
    public seps: K[],
    public children: TreeNode<K>[],
    public counts: number[],
  ) {}
}

export type TreeNode<K> = LeafNode<K> | InnerNode<K>;

/** Keys of a leaf, children of an inner node: what the node-size limits bound. */
export function widthOf<K>(node: TreeNode<K>): number {
  return node instanceof LeafNode ? node.keys.length : node.children.length;
}

export function sum(values: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += values[i] as number;
  return total;
}

/**
 * Binary search: the index of `key` in `keys` when present, else ~(its insertion point), so one
 * search answers both "is it here" and "where would it go" with about log2(n) compares.
 */
export function search<K>(keys: readonly K[], key: K, compare: Compare<K>): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const order = compare(keys[mid] as K, key);
    if (order < 0) low = mid + 1;
    else if (order > 0) high = mid;
    else return mid;
  }
  return ~low;
}

/** The child of `node` whose key span contains `key`: the number of separators <= key. */
export function childIndex<K>(node: InnerNode<K>, key: K, compare: Compare<K>): number {
  const found = search(node.seps, key, compare);
  const index = found >= 0 ? found + 1 : ~found;
  assert(index < node.children.length, "btree: child index within the node");
  return index;
}

/** Splits the overflowing child `i` of `parent` in two halves, the right one after it. */
export function splitChild<K>(parent: InnerNode<K>, i: number): void {
  const child = parent.children[i] as TreeNode<K>;
  let right: TreeNode<K>;
  let separator: K;
  let rightCount: number;
  if (child instanceof LeafNode) {
    const leaf = new LeafNode(child.keys.splice(child.keys.length >>> 1));
    leaf.next = child.next;
    leaf.prev = child;
    if (child.next !== null) child.next.prev = leaf;
    child.next = leaf;
    right = leaf;
    separator = leaf.keys[0] as K;
    rightCount = leaf.keys.length;
  } else {
    const mid = child.children.length >>> 1;
    const rightSeps = child.seps.splice(mid);
    separator = child.seps.pop() as K; // the separator between the halves moves up
    const rightCounts = child.counts.splice(mid);
    right = new InnerNode(rightSeps, child.children.splice(mid), rightCounts);
    rightCount = sum(rightCounts, 0, rightCounts.length);
  }
  assert(widthOf(child) >= 2, "btree: a split leaves at least two entries on the left");
  parent.seps.splice(i, 0, separator);
  parent.children.splice(i + 1, 0, right);
  parent.counts[i] = (parent.counts[i] as number) - rightCount;
  parent.counts.splice(i + 1, 0, rightCount);
  assert((parent.counts[i] as number) > 0, "btree: a split keeps keys on the left");
}

/** Restores child `i` of `parent`, which fell under `minWidth`: borrow if a sibling can spare. */
export function rebalanceChild<K>(parent: InnerNode<K>, i: number, minWidth: number): void {
  const count = parent.children.length;
  assert(count >= 2, "btree: an underflowing child has a sibling");
  const left = i > 0 ? (parent.children[i - 1] as TreeNode<K>) : null;
  const right = i + 1 < count ? (parent.children[i + 1] as TreeNode<K>) : null;
  if (left !== null && widthOf(left) > minWidth) borrowFromLeft(parent, i);
  else if (right !== null && widthOf(right) > minWidth) borrowFromRight(parent, i);
  else if (left !== null) mergeChildren(parent, i - 1);
  else mergeChildren(parent, i);
}

function moveCount<K>(parent: InnerNode<K>, from: number, to: number, moved: number): void {
  parent.counts[from] = (parent.counts[from] as number) - moved;
  parent.counts[to] = (parent.counts[to] as number) + moved;
}

function borrowFromLeft<K>(parent: InnerNode<K>, i: number): void {
  const left = parent.children[i - 1] as TreeNode<K>;
  const child = parent.children[i] as TreeNode<K>;
  if (left instanceof LeafNode) {
    assert(child instanceof LeafNode, "btree: siblings are both leaves");
    const key = left.keys.pop() as K;
    child.keys.unshift(key);
    parent.seps[i - 1] = key;
    moveCount(parent, i - 1, i, 1);
  } else {
    assert(child instanceof InnerNode, "btree: siblings are both inner nodes");
    const moved = left.counts.pop() as number;
    child.children.unshift(left.children.pop() as TreeNode<K>);
    child.counts.unshift(moved);
    child.seps.unshift(parent.seps[i - 1] as K);
    parent.seps[i - 1] = left.seps.pop() as K;
    moveCount(parent, i - 1, i, moved);
  }
}

function borrowFromRight<K>(parent: InnerNode<K>, i: number): void {
  const child = parent.children[i] as TreeNode<K>;
  const right = parent.children[i + 1] as TreeNode<K>;
  if (right instanceof LeafNode) {
    assert(child instanceof LeafNode, "btree: siblings are both leaves");
    child.keys.push(right.keys.shift() as K);
    parent.seps[i] = right.keys[0] as K;
    moveCount(parent, i + 1, i, 1);
  } else {
    assert(child instanceof InnerNode, "btree: siblings are both inner nodes");
    const moved = right.counts.shift() as number;
    child.children.push(right.children.shift() as TreeNode<K>);
    child.counts.push(moved);
    child.seps.push(parent.seps[i] as K);
    parent.seps[i] = right.seps.shift() as K;
    moveCount(parent, i + 1, i, moved);
  }
}

/** Moves everything of child `i + 1` into child `i` and drops child `i + 1`. */
function mergeChildren<K>(parent: InnerNode<K>, i: number): void {
  const into = parent.children[i] as TreeNode<K>;
  const from = parent.children[i + 1] as TreeNode<K>;
  if (into instanceof LeafNode) {
    assert(from instanceof LeafNode, "btree: merged siblings are both leaves");
    for (const key of from.keys) into.keys.push(key);
    into.next = from.next;
    if (from.next !== null) from.next.prev = into;
  } else {
    assert(from instanceof InnerNode, "btree: merged siblings are both inner nodes");
    into.seps.push(parent.seps[i] as K);
    for (const sep of from.seps) into.seps.push(sep);
    for (const node of from.children) into.children.push(node);
    for (const count of from.counts) into.counts.push(count);
  }
  parent.seps.splice(i, 1);
  parent.children.splice(i + 1, 1);
  moveCount(parent, i + 1, i, parent.counts[i + 1] as number);
  parent.counts.splice(i + 1, 1);
}
