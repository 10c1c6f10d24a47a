import { InvalidArgumentError } from "../errors.js";
import { assert } from "../util/assert.js";
import { compareValues, typeRank } from "./compare.js";
import { isPlainObject, splitPath, visitPath } from "./path.js";
import {
  checkJson, compileRegex, describe, filterKey, invalid, isOperatorObject,
} from "./operands.js";

/**
 * Compiles a MongoDB filter into closures once, so that testing a document never looks at the
 * filter again. Semantics are documented in docs/QUERIES.md ("Filters").
 */
export type Matcher = (doc: unknown) => boolean;
type ValueTest = (value: unknown) => boolean;
/** Turns a test of one value into a matcher: over a path (field) or over an element. */
type Lift = (test: ValueTest, expandLeafArrays: boolean) => ValueTest;

const never: ValueTest = () => false;
const always: ValueTest = () => true;

export function compileFilter(where: unknown): Matcher {
  if (!isPlainObject(where)) {
    const got = describe(where);
    throw new InvalidArgumentError(`invalid filter: expected a plain object, got ${got}`);
  }
  checkShape(where);
  return compileDocument(where);
}

/** Deepest nesting of objects and arrays in a filter (the compiler recurses on it). */
export const filterDepthMax = 256;

/**
 * Refuses, before anything recurses on it, a filter nested deeper than filterDepthMax or with
 * a hole in an array ([1, , 2]: a hole is not JSON, and array methods would skip it).
 * Iterative, so that no depth overflows the stack here.
 */
function checkShape(where: object): void {
  const stack: [unknown, number][] = [[where, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== "object" || value === null || value instanceof RegExp) continue;
    if (depth > filterDepthMax) {
      throw new InvalidArgumentError(`invalid filter: nested deeper than ${filterDepthMax} levels`);
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) throw new InvalidArgumentError(`invalid filter: an array has a hole at index ${i} (not JSON)`);
        stack.push([value[i], depth + 1]);
      }
    } else {
      for (const member of Object.values(value)) stack.push([member, depth + 1]);
    }
  }
}

function compileDocument(filter: Record<string, unknown>): Matcher {
  const clauses: Matcher[] = [];
  for (const key of Object.keys(filter)) {
    const operand = filter[key];
    if (key.startsWith("$")) clauses.push(compileLogical(key, operand));
    else clauses.push(compileField(key, operand));
  }
  return allOf(clauses);
}

function allOf(clauses: readonly Matcher[]): Matcher {
  if (clauses.length === 0) return always;
  if (clauses.length === 1) return clauses[0] as Matcher;
  if (clauses.length === 2) {
    const [first, second] = clauses as [Matcher, Matcher];
    return (doc) => first(doc) && second(doc);
  }
  return (doc) => {
    for (const clause of clauses) if (!clause(doc)) return false;
    return true;
  };
}

function anyOf(clauses: readonly Matcher[]): Matcher {
  if (clauses.length === 1) return clauses[0] as Matcher;
  return (doc) => {
    for (const clause of clauses) if (clause(doc)) return true;
    return false;
  };
}

function not(matcher: Matcher): Matcher {
  return (doc) => !matcher(doc);
}

function compileLogical(operator: string, operand: unknown): Matcher {
  if (operator !== "$and" && operator !== "$or" && operator !== "$nor") {
    throw invalid("(top level)", operator, "only $and, $or and $nor may appear at the top level");
  }
  if (!Array.isArray(operand) || operand.length === 0) {
    const got = describe(operand);
    throw invalid("(top level)", operator, `needs a non-empty array of filters, got ${got}`);
  }
  const clauses = operand.map((clause, i) => {
    if (!isPlainObject(clause)) {
      const got = describe(clause);
      throw invalid("(top level)", operator, `element ${i} is not a filter object: ${got}`);
    }
    return compileDocument(clause);
  });
  if (operator === "$and") return allOf(clauses);
  if (operator === "$or") return anyOf(clauses);
  return not(anyOf(clauses));
}

function compileField(pathText: string, operand: unknown): Matcher {
  const path = splitPath(pathText);
  const lift: Lift = (test, expand) => fieldMatcher(path, test, expand);
  if (isOperatorObject(operand, pathText)) {
    return compileOperators(operand as Record<string, unknown>, pathText, lift);
  }
  if (operand instanceof RegExp) return lift(literalRegex(operand, pathText), true);
  checkJson(operand, pathText, "equality");
  return lift(equalsTest(operand), true);
}

/**
 * A matcher of `path`: true when `test` accepts some value the path reaches (MongoDB's "any
 * element" rule), with arrays at the leaf also offering their elements when `expand`.
 */
function fieldMatcher(path: readonly string[], test: ValueTest, expand: boolean): Matcher {
  assert(path.length > 0, "a field matcher needs a path");
  const leaf: ValueTest = expand ? (value) => test(value) || anyElement(value, test) : test;
  if (path.length !== 1) return (doc) => visitPath(doc, path, 0, leaf);
  const key = path[0] as string;
  // A plain object may inherit members of Object.prototype; only own fields are data.
  const inheritable = key in Object.prototype;
  return (doc) => {
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
      return visitPath(doc, path, 0, leaf);
    }
    let value = (doc as Record<string, unknown>)[key];
    if (inheritable && !Object.hasOwn(doc, key)) value = undefined;
    if (test(value)) return true;
    return expand && anyElement(value, test);
  };
}

function anyElement(value: unknown, test: ValueTest): boolean {
  if (!Array.isArray(value)) return false;
  for (const element of value) if (test(element)) return true;
  return false;
}

function equalsTest(operand: unknown): ValueTest {
  if (operand === null) return (value) => value === null || value === undefined;
  if (typeof operand !== "object") return (value) => value === operand;
  const rank = typeRank(operand);
  return (value) =>
    typeof value === "object" && typeRank(value) === rank && compareValues(value, operand) === 0;
}

function literalRegex(regex: RegExp, pathText: string): ValueTest {
  return regexTest(compileRegex(regex, undefined, pathText));
}

function regexTest(regex: RegExp): ValueTest {
  return (value) => typeof value === "string" && regex.test(value);
}

type RangeOperator = "$gt" | "$gte" | "$lt" | "$lte";

/** Type bracketing: a range only holds values of the operand's type rank. */
function rangeTest(operator: RangeOperator, operand: unknown): ValueTest {
  if (operand === null) {
    if (operator === "$gt" || operator === "$lt") return never;
    return equalsTest(null);
  }
  if (typeof operand === "number" || typeof operand === "string") {
    return scalarRange(operator, operand);
  }
  const accepts = orderAccepts(operator);
  const rank = typeRank(operand);
  return (value) =>
    value !== undefined && typeRank(value) === rank && accepts(compareValues(value, operand));
}

/** Numbers and strings compare with the language's operators, specialised per operator. */
function scalarRange(operator: RangeOperator, operand: number | string): ValueTest {
  const type = typeof operand;
  switch (operator) {
    case "$gt":
      return (value) => typeof value === type && (value as number) > (operand as number);
    case "$gte":
      return (value) => typeof value === type && (value as number) >= (operand as number);
    case "$lt":
      return (value) => typeof value === type && (value as number) < (operand as number);
    case "$lte":
      return (value) => typeof value === type && (value as number) <= (operand as number);
  }
}

function orderAccepts(operator: RangeOperator): (order: number) => boolean {
  switch (operator) {
    case "$gt":
      return (order) => order > 0;
    case "$gte":
      return (order) => order >= 0;
    case "$lt":
      return (order) => order < 0;
    case "$lte":
      return (order) => order <= 0;
  }
}

function compileOperators(
  operators: Record<string, unknown>,
  pathText: string,
  lift: Lift,
): Matcher {
  const clauses: ValueTest[] = [];
  for (const operator of Object.keys(operators)) {
    if (operator === "$options") {
      if (!("$regex" in operators)) throw invalid(pathText, "$options", "needs $regex beside it");
      continue;
    }
    clauses.push(compileOperator(operator, operators[operator], operators, pathText, lift));
  }
  return allOf(clauses);
}

function compileOperator(
  operator: string,
  operand: unknown,
  siblings: Record<string, unknown>,
  pathText: string,
  lift: Lift,
): ValueTest {
  switch (operator) {
    case "$eq":
    case "$ne": {
      checkJson(operand, pathText, operator);
      const equals = lift(equalsTest(operand), true);
      return operator === "$eq" ? equals : not(equals);
    }
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      checkJson(operand, pathText, operator);
      return lift(rangeTest(operator, operand), true);
    case "$in":
    case "$nin": {
      const member = lift(membershipTest(operand, pathText, operator), true);
      return operator === "$in" ? member : not(member);
    }
    case "$exists":
      return compileExists(operand, pathText, lift);
    case "$not":
      return not(compileNot(operand, pathText, lift));
    case "$regex": {
      const options = siblings["$options"];
      return lift(regexTest(compileRegex(operand, options, pathText)), true);
    }
    case "$size":
      return lift(sizeTest(operand, pathText), false);
    case "$elemMatch":
      return lift(elemMatchTest(operand, pathText), false);
    case "$all":
      return compileAll(operand, pathText, lift);
    default:
      throw invalid(pathText, operator, "unknown operator");
  }
}

function membershipTest(operand: unknown, pathText: string, operator: string): ValueTest {
  if (!Array.isArray(operand)) {
    throw invalid(pathText, operator, `needs an array, got ${describe(operand)}`);
  }
  const tests = operand.map((element) => {
    if (element instanceof RegExp) return regexTest(compileRegex(element, undefined, pathText));
    checkJson(element, pathText, operator);
    return equalsTest(element);
  });
  if (tests.length === 0) return never;
  if (operand.every((element) => element !== null && typeof element !== "object")) {
    const members = new Set<unknown>(operand);
    return (value) => members.has(value);
  }
  return anyOf(tests);
}

function compileExists(operand: unknown, pathText: string, lift: Lift): ValueTest {
  if (typeof operand !== "boolean" && typeof operand !== "number") {
    throw invalid(pathText, "$exists", `needs a boolean, got ${describe(operand)}`);
  }
  const exists = lift((value) => value !== undefined, false);
  return operand ? exists : not(exists);
}

function compileNot(operand: unknown, pathText: string, lift: Lift): ValueTest {
  if (operand instanceof RegExp) return lift(literalRegex(operand, pathText), true);
  if (!isPlainObject(operand) || Object.keys(operand).length === 0) {
    const got = describe(operand);
    throw invalid(pathText, "$not", `needs a regex or a non-empty operator object, got ${got}`);
  }
  if (!isOperatorObject(operand, pathText)) {
    throw invalid(pathText, "$not", "needs operators ($gt, $in, ...), not a value");
  }
  return compileOperators(operand, pathText, lift);
}

function sizeTest(operand: unknown, pathText: string): ValueTest {
  if (typeof operand !== "number" || !Number.isInteger(operand) || operand < 0) {
    throw invalid(pathText, "$size", `needs a non-negative integer, got ${describe(operand)}`);
  }
  return (value) => Array.isArray(value) && value.length === operand;
}

/**
 * $elemMatch with only value operators tests each element as a value; otherwise each object
 * element as a document (MongoDB's two forms).
 */
function elemMatchTest(operand: unknown, pathText: string): ValueTest {
  if (!isPlainObject(operand)) {
    throw invalid(pathText, "$elemMatch", `needs an object, got ${describe(operand)}`);
  }
  const keys = Object.keys(operand);
  const logical = (key: string) => key === "$and" || key === "$or" || key === "$nor";
  const valueForm = keys.length > 0 && keys.every((key) => key.startsWith("$") && !logical(key));
  const element: ValueTest = valueForm
    ? compileOperators(operand, pathText, (test) => test)
    : (() => {
        const document = compileDocument(operand);
        return (value: unknown) => isPlainObject(value) && document(value);
      })();
  return (value) => Array.isArray(value) && value.some(element);
}

function compileAll(operand: unknown, pathText: string, lift: Lift): ValueTest {
  if (!Array.isArray(operand)) {
    throw invalid(pathText, "$all", `needs an array, got ${describe(operand)}`);
  }
  if (operand.length === 0) return never;
  const clauses = operand.map((element) => {
    if (isPlainObject(element) && Object.keys(element)[0] === "$elemMatch") {
      if (Object.keys(element).length !== 1) {
        throw invalid(pathText, "$all", "an $elemMatch element may hold nothing else");
      }
      return lift(elemMatchTest(element["$elemMatch"], pathText), false);
    }
    if (element instanceof RegExp) return lift(literalRegex(element, pathText), true);
    checkJson(element, pathText, "$all");
    return lift(equalsTest(element), true);
  });
  return allOf(clauses);
}

const cacheEntriesMax = 256;
const cache = new Map<string, Matcher>();

/**
 * The compiled matcher of `where`, from a small LRU cache keyed by the filter's text, so that a
 * query shape is compiled once. Filters holding values that have no faithful text key (which
 * compileFilter rejects anyway) are compiled every time.
 */
export function matcherFor(where: unknown): Matcher {
  if (isPlainObject(where)) checkShape(where); // Before filterKey, which recurses.
  const key = filterKey(where);
  if (key === undefined) return compileFilter(where);
  const cached = cache.get(key);
  if (cached) {
    cache.delete(key); // re-inserting moves the entry to the young end of the Map's order
    cache.set(key, cached);
    return cached;
  }
  const matcher = compileFilter(where);
  cache.set(key, matcher);
  if (cache.size > cacheEntriesMax) cache.delete(cache.keys().next().value as string);
  assert(cache.size <= cacheEntriesMax, "matcher cache over its bound");
  return matcher;
}
