import { assert } from "../util/assert.js";
import { type Compare, InnerNode, LeafNode, sum, type TreeNode, widthOf } from "./btree-node.js";

/** Node-size limits of one tree: a non-root node holds between minWidth and maxWidth entries. */
export interface Limits {
  readonly maxWidth: number;
  readonly minWidth: number;
}

interface Walk<K> {
  readonly compare: Compare<K>;
  readonly limits: Limits;
  readonly leaves: LeafNode<K>[];
  leafDepth: number;
}

/**
 * Walks the whole tree (O(n), for tests) and asserts every structural invariant: widths within
 * the limits, keys strictly ascending and inside their separators' span, exact counts, all
 * leaves at one depth, and leaf links that visit the leaves in order.
 */
export function checkTree<K>(
  root: TreeNode<K>,
  size: number,
  compare: Compare<K>,
  limits: Limits,
): void {
  const walk: Walk<K> = { compare, limits, leaves: [], leafDepth: -1 };
  const counted = checkNode(walk, root, undefined, undefined, 0);
  assert(counted === size, `btree: size ${size} equals the ${counted} keys in the tree`);
  if (root instanceof InnerNode) {
    assert(root.children.length >= 2, "btree: an inner root has two children or more");
  }
  const leaves = walk.leaves;
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i] as LeafNode<K>;
    assert(leaf.prev === (leaves[i - 1] ?? null), `btree: leaf ${i} links to its left one`);
    assert(leaf.next === (leaves[i + 1] ?? null), `btree: leaf ${i} links to its right one`);
  }
}

/** Checks one subtree whose keys must lie in [low, high); returns its number of keys. */
function checkNode<K>(
  walk: Walk<K>,
  node: TreeNode<K>,
  low: K | undefined,
  high: K | undefined,
  depth: number,
): number {
  const { maxWidth, minWidth } = walk.limits;
  const width = widthOf(node);
  assert(width <= maxWidth, `btree: width ${width} is at most ${maxWidth}`);
  if (depth > 0) assert(width >= minWidth, `btree: width ${width} is at least ${minWidth}`);
  if (node instanceof LeafNode) {
    if (walk.leafDepth < 0) walk.leafDepth = depth;
    assert(walk.leafDepth === depth, "btree: all leaves are at the same depth");
    checkAscending(walk.compare, node.keys, low, high);
    walk.leaves.push(node);
    return node.keys.length;
  }
  assert(node.seps.length === width - 1, "btree: one separator fewer than children");
  assert(node.counts.length === width, "btree: one count per child");
  checkAscending(walk.compare, node.seps, low, high);
  for (let i = 0; i < width; i++) {
    const childLow = i === 0 ? low : node.seps[i - 1];
    const childHigh = i === width - 1 ? high : node.seps[i];
    const child = node.children[i] as TreeNode<K>;
    const counted = checkNode(walk, child, childLow, childHigh, depth + 1);
    assert(counted === node.counts[i], `btree: the count of child ${i} is exact`);
  }
  return sum(node.counts, 0, width);
}

function checkAscending<K>(
  compare: Compare<K>,
  keys: readonly K[],
  low: K | undefined,
  high: K | undefined,
): void {
  for (let i = 1; i < keys.length; i++) {
    assert(compare(keys[i - 1] as K, keys[i] as K) < 0, "btree: keys strictly ascend in a node");
  }
  if (keys.length === 0) return;
  if (low !== undefined) {
    assert(compare(low, keys[0] as K) <= 0, "btree: keys are at least the left separator");
  }
  if (high !== undefined) {
    const last = keys[keys.length - 1] as K;
    assert(compare(last, high) < 0, "btree: keys are below the right separator");
  }
}

/**
 * Cuts `count` entries into groups for one level of a bulk build: as near `fillWidth` as an
 * even split allows, and never outside the limits (a lone group is the root and may be small).
 */
export function groupSizes(count: number, fillWidth: number, limits: Limits): number[] {
  let groups = Math.max(1, Math.ceil(count / fillWidth));
  // An even split of barely more than one fill can leave halves under the minimum: fill fully.
  if (groups > 1 && Math.floor(count / groups) < limits.minWidth) {
    groups = Math.ceil(count / limits.maxWidth);
  }
  const base = Math.floor(count / groups);
  const sizes: number[] = [];
  for (let g = 0; g < groups; g++) sizes.push(base + (g < count % groups ? 1 : 0));
  assert(groups === 1 || base >= limits.minWidth, "btree: bulk-built nodes are not underfull");
  assert(Math.ceil(count / groups) <= limits.maxWidth, "btree: bulk-built nodes are not overfull");
  return sizes;
}

/** Builds the levels of a tree over leaves made from sorted, distinct keys; returns the root. */
export function buildLevels<K>(keys: readonly K[], fillWidth: number, limits: Limits): TreeNode<K> {
  if (keys.length === 0) return new LeafNode<K>([]);
  let nodes: TreeNode<K>[] = [];
  let firsts: K[] = []; // the smallest key under each node: its separator in the parent
  let counts: number[] = [];
  let offset = 0;
  let previous: LeafNode<K> | null = null;
  for (const size of groupSizes(keys.length, fillWidth, limits)) {
    const leaf = new LeafNode(keys.slice(offset, offset + size));
    leaf.prev = previous;
    if (previous !== null) previous.next = leaf;
    previous = leaf;
    nodes.push(leaf);
    firsts.push(keys[offset] as K);
    counts.push(size);
    offset += size;
  }
  while (nodes.length > 1) {
    const up: TreeNode<K>[] = [];
    const upFirsts: K[] = [];
    const upCounts: number[] = [];
    let start = 0;
    for (const size of groupSizes(nodes.length, fillWidth, limits)) {
      const end = start + size;
      const groupCounts = counts.slice(start, end);
      up.push(new InnerNode(firsts.slice(start + 1, end), nodes.slice(start, end), groupCounts));
      upFirsts.push(firsts[start] as K);
      upCounts.push(sum(groupCounts, 0, size));
      start = end;
    }
    [nodes, firsts, counts] = [up, upFirsts, upCounts];
  }
  assert(counts[0] === keys.length, "btree: the bulk-built root holds every key");
  return nodes[0] as TreeNode<K>;
}
