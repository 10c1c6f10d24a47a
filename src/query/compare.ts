import { assert } from "../util/assert.js";

/**
 * MongoDB's BSON comparison order restricted to the JSON types. Index bounds and sorts use it, so
 * it is a total order: every pair of JSON values (and the sentinels below) compares consistently.
 */

/** Type ranks in MongoDB's order (MinKey < null < numbers < strings < objects < arrays < bool). */
export const rankNull = 1;
export const rankNumber = 2;
export const rankString = 3;
export const rankObject = 4;
export const rankArray = 5;
export const rankBoolean = 6;

/**
 * A bound that is not a value: below or above every value, or just outside every value of a
 * rank. Values sit at position 4 × rank; sentinels sit at positions no value can take.
 */
export class Sentinel {
  constructor(
    readonly position: number,
    readonly label: string,
  ) {
    Object.freeze(this);
  }

  toString(): string {
    return this.label;
  }
}

const positionMin = -1;
const positionMax = 1_000;

export const MIN_KEY = new Sentinel(positionMin, "MIN_KEY");
export const MAX_KEY = new Sentinel(positionMax, "MAX_KEY");

/**
 * What an empty array sorts as: MongoDB documents that an empty array compares less than null or
 * a missing field in sorts. It sits between typeStart(rankNull) and null.
 */
export const EMPTY_ARRAY_SORT_KEY = new Sentinel(4 * rankNull - 1, "EMPTY_ARRAY_SORT_KEY");

const starts = new Map<number, Sentinel>();
const ends = new Map<number, Sentinel>();

function checkRank(rank: number): void {
  assert(Number.isInteger(rank), `type rank must be an integer, got ${rank}`);
  assert(rank >= rankNull && rank <= rankBoolean, `type rank out of range: ${rank}`);
}

/** Just below every value of `rank` (and above every value of lower ranks). */
export function typeStart(rank: number): Sentinel {
  checkRank(rank);
  let sentinel = starts.get(rank);
  if (!sentinel) starts.set(rank, (sentinel = new Sentinel(4 * rank - 2, `typeStart(${rank})`)));
  return sentinel;
}

/** Just above every value of `rank` (and below every value of higher ranks). */
export function typeEnd(rank: number): Sentinel {
  checkRank(rank);
  let sentinel = ends.get(rank);
  if (!sentinel) ends.set(rank, (sentinel = new Sentinel(4 * rank + 2, `typeEnd(${rank})`)));
  return sentinel;
}

/** Missing (undefined) and null share rank 1, as MongoDB's comparisons treat them. */
export function typeRank(value: unknown): number {
  if (value === undefined || value === null) return rankNull;
  switch (typeof value) {
    case "number":
      return rankNumber;
    case "string":
      return rankString;
    case "boolean":
      return rankBoolean;
    case "object":
      if (Array.isArray(value)) return rankArray;
      assert(!(value instanceof Sentinel), `typeRank of the sentinel ${String(value)}`);
      return rankObject;
    default:
      assert(false, `typeRank of a non-JSON value (${typeof value})`);
  }
}

function positionOf(value: unknown): number {
  return value instanceof Sentinel ? value.position : 4 * typeRank(value);
}

function sign(difference: number): number {
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}

/**
 * A total order over JSON values in MongoDB's order: type rank first, then numbers numerically,
 * strings by UTF-16 code units, objects field by field, arrays element by element, false < true.
 * MongoDB compares strings by their UTF-8 bytes; the two orders differ only between characters
 * above U+FFFF (surrogate pairs) and characters U+E000–U+FFFF.
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a instanceof Sentinel || b instanceof Sentinel) return sign(positionOf(a) - positionOf(b));
  const rankA = typeRank(a);
  const rankB = typeRank(b);
  if (rankA !== rankB) return sign(rankA - rankB);
  switch (rankA) {
    case rankNull:
      return 0;
    case rankNumber:
    case rankString:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case rankBoolean:
      return a ? 1 : -1; // a !== b, so exactly one is true
    case rankArray:
      return compareKeys(a as unknown[], b as unknown[]);
    default:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
  }
}

/**
 * MongoDB compares objects pair by pair in field order: the type of the values, then the field
 * names, then the values; a prefix is smaller.
 */
function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  const common = Math.min(keysA.length, keysB.length);
  for (let i = 0; i < common; i++) {
    const keyA = keysA[i] as string;
    const keyB = keysB[i] as string;
    const valueA = a[keyA];
    const valueB = b[keyB];
    const byType = sign(typeRank(valueA) - typeRank(valueB));
    if (byType !== 0) return byType;
    if (keyA !== keyB) return keyA < keyB ? -1 : 1;
    const byValue = compareValues(valueA, valueB);
    if (byValue !== 0) return byValue;
  }
  return sign(keysA.length - keysB.length);
}

/** Lexicographic order over tuples; a proper prefix is smaller. */
export function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return order;
  }
  return sign(a.length - b.length);
}
