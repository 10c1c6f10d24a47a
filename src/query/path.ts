import { InvalidArgumentError } from "../errors.js";
import { assert } from "../util/assert.js";
import { EMPTY_ARRAY_SORT_KEY, compareValues } from "./compare.js";

/**
 * Dotted paths and MongoDB's array traversal. The matcher and the index keys share visitPath, so
 * an index never misses a value the matcher would accept.
 */

/** Splits "a.b.0" into its segments; a segment is a field name, or an array index on arrays. */
export function splitPath(path: string): string[] {
  if (typeof path !== "string" || path === "") {
    const shown = JSON.stringify(path);
    throw new InvalidArgumentError(`invalid path ${shown}: expected a non-empty string`);
  }
  const segments = path.split(".");
  for (const segment of segments) {
    if (segment === "") {
      throw new InvalidArgumentError(`invalid path "${path}": empty segment`);
    }
    if (segment.startsWith("$")) {
      throw new InvalidArgumentError(
        `invalid path "${path}": a segment may not start with "$" (operators go inside the value)`,
      );
    }
  }
  return segments;
}

/** Array index segments are canonical non-negative integers ("0", "12"; not "01" or "-1"). */
const indexPattern = /^(?:0|[1-9][0-9]*)$/;

export function isIndexSegment(segment: string): boolean {
  return indexPattern.test(segment);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An own field only: "constructor" or "__proto__" never read Object.prototype's members. */
export function ownField(value: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

/**
 * Calls `visit` with each value `path` reaches from `value` (undefined where it is missing), and
 * stops at the first visit returning true. As in MongoDB: an array met before the end of the path
 * is traversed (its object elements take the same segment; its scalars and nested arrays give
 * nothing); a numeric segment also selects that element of an array. An array at the end of the
 * path is visited whole: the caller decides whether its elements count.
 */
export function visitPath(
  value: unknown,
  path: readonly string[],
  index: number,
  visit: (leaf: unknown) => boolean,
): boolean {
  if (index === path.length) return visit(value);
  const segment = path[index] as string;
  if (Array.isArray(value)) return visitArray(value, path, index, visit);
  if (isPlainObject(value)) return visitPath(ownField(value, segment), path, index + 1, visit);
  return visit(undefined);
}

function visitArray(
  array: readonly unknown[],
  path: readonly string[],
  index: number,
  visit: (leaf: unknown) => boolean,
): boolean {
  const segment = path[index] as string;
  if (isIndexSegment(segment)) {
    const position = Number(segment);
    const element = position < array.length ? array[position] : undefined;
    if (visitPath(element, path, index + 1, visit)) return true;
  }
  for (const element of array) {
    if (isPlainObject(element) && visitPath(element, path, index, visit)) return true;
  }
  return false;
}

export interface IndexValues {
  values: unknown[];
  /** True when an array was traversed or expanded, or there is not exactly one value. */
  multi: boolean;
}

/**
 * The values a multikey index stores for `doc` at `path`: a leaf array gives its elements (an
 * empty one gives itself, so that the record stays in the index without matching any scalar),
 * a missing leaf gives null. Duplicates are removed.
 */
export function indexValues(doc: unknown, path: readonly string[]): IndexValues {
  assert(path.length > 0, "indexValues needs a non-empty path");
  const values: unknown[] = [];
  let multi = false;
  // Scalars are deduplicated as they come (=== is compareValues' equality for scalars), with a
  // Set past a few, so that a long array costs O(k), not O(k²); objects and arrays are left to
  // the index's own sort (record-index.ts), which drops equal entries.
  let seen: Set<unknown> | undefined;
  const add = (value: unknown) => {
    if (typeof value !== "object" || value === null) {
      if (seen !== undefined) {
        if (seen.has(value)) return;
        seen.add(value);
      } else {
        for (const other of values) if (other === value) return;
        if (values.length >= 8) seen = new Set(values.filter((v) => typeof v !== "object" || v === null).concat([value]));
      }
    }
    values.push(value);
  };
  visitPath(doc, path, 0, (leaf) => {
    if (leaf === undefined) add(null);
    else if (!Array.isArray(leaf)) add(leaf);
    else {
      multi = true;
      if (leaf.length === 0) add(leaf);
      for (const element of leaf) add(element);
    }
    return false;
  });
  if (values.length === 0) add(null);
  if (traversesArray(doc, path)) multi = true;
  if (values.length !== 1) multi = true;
  return { values, multi };
}

function traversesArray(doc: unknown, path: readonly string[]): boolean {
  let found = false;
  const probe = (value: unknown, index: number): void => {
    if (found || index === path.length) return;
    if (Array.isArray(value)) {
      found = true;
      return;
    }
    if (isPlainObject(value)) probe(ownField(value, path[index] as string), index + 1);
  };
  probe(doc, 0);
  return found;
}

/**
 * The value MongoDB sorts `doc` by at `path`: of all the values the path reaches (leaf arrays
 * expanded), the smallest for an ascending sort and the largest for a descending one; missing is
 * null. An empty array sorts below null (MongoDB: "a comparison of an empty array considers the
 * empty array as less than a null value or a missing field"), as EMPTY_ARRAY_SORT_KEY.
 */
export function sortValue(doc: unknown, path: readonly string[], direction: 1 | -1): unknown {
  if (direction !== 1 && direction !== -1) assert(false, `sort direction must be 1 or -1: ${String(direction)}`);
  let best: unknown = undefined;
  let any = false;
  const offer = (value: unknown) => {
    if (!any || compareValues(value, best) * direction < 0) best = value;
    any = true;
  };
  visitPath(doc, path, 0, (leaf) => {
    if (leaf === undefined) offer(null);
    else if (!Array.isArray(leaf)) offer(leaf);
    else if (leaf.length === 0) offer(EMPTY_ARRAY_SORT_KEY);
    else for (const element of leaf) offer(element);
    return false;
  });
  return any ? best : null;
}
