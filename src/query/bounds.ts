import { assert } from "../util/assert.js";
import { compareValues, typeEnd, typeRank, typeStart } from "./compare.js";

/** A range of one path's values: lo..hi, each end included or not (ends may be type sentinels). */
export interface Interval {
  readonly lo: unknown;
  readonly loInclusive: boolean;
  readonly hi: unknown;
  readonly hiInclusive: boolean;
}

/**
 * One operator of a filter that an index can serve: the values of `path` it accepts (a
 * superset of the records it matches, given multikey entries). `unit` names the operator, so
 * the planner knows whether every operator was served (then the index alone decides).
 */
export interface Constraint {
  readonly path: string;
  readonly intervals: readonly Interval[];
  /** Every interval is one value (equality, $in). */
  readonly points: boolean;
  readonly unit: number;
}

/** The top-level conjunction of a filter, as index constraints. */
export interface Conjunction {
  readonly constraints: readonly Constraint[];
  /** Operators of the filter in all (served or not): with as many constraints, none is left over. */
  readonly units: number;
}

/** Most values of one $in an index plan turns into ranges; more are checked by the matcher. */
export const inValuesMax = 1024;

const scalarTypes = new Set(["number", "string", "boolean"]);

function isScalar(value: unknown): value is null | number | string | boolean {
  return value === null || scalarTypes.has(typeof value);
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((key) => key.startsWith("$"));
}

/** The constraints of a (valid, already compiled) filter that index ranges can express. */
export function conjunctionOf(where: unknown): Conjunction {
  const constraints: Constraint[] = [];
  let units = 0;
  const visit = (filter: Record<string, unknown>): void => {
    for (const [key, condition] of Object.entries(filter)) {
      if (key === "$and" && Array.isArray(condition)) {
        for (const part of condition) visit(part as Record<string, unknown>);
        continue;
      }
      if (key.startsWith("$")) {
        units++; // $or, $nor: the matcher decides.
        continue;
      }
      if (!isOperatorObject(condition)) {
        const unit = units++;
        if (isScalar(condition)) constraints.push({ path: key, intervals: [point(condition)], points: true, unit });
        continue;
      }
      for (const [op, operand] of Object.entries(condition)) {
        const unit = units++;
        const intervals = operatorIntervals(op, operand);
        if (intervals) constraints.push({ path: key, intervals, points: intervals.every(isPoint), unit });
      }
    }
  };
  if (where !== undefined) visit(where as Record<string, unknown>);
  return { constraints, units };
}

function operatorIntervals(op: string, operand: unknown): Interval[] | undefined {
  switch (op) {
    case "$eq":
      return isScalar(operand) ? [point(operand)] : undefined;
    case "$in": {
      if (!Array.isArray(operand) || operand.length === 0 || operand.length > inValuesMax) return undefined;
      if (!operand.every(isScalar)) return undefined;
      return normalize(operand.map(point));
    }
    case "$gt":
    case "$gte":
    case "$lt":
    case "$lte":
      return rangeOf(op, operand);
    default:
      return undefined;
  }
}

/** `$gt: 5` accepts the numbers above 5 only (type bracketing): up to the end of the numbers. */
function rangeOf(op: string, operand: unknown): Interval[] | undefined {
  if (!isScalar(operand)) return undefined;
  if (operand === null) return op === "$gte" || op === "$lte" ? [point(null)] : undefined;
  const rank = typeRank(operand);
  const lower = op === "$gt" || op === "$gte";
  const inclusive = op === "$gte" || op === "$lte";
  return lower
    ? [{ lo: operand, loInclusive: inclusive, hi: typeEnd(rank), hiInclusive: true }]
    : [{ lo: typeStart(rank), loInclusive: true, hi: operand, hiInclusive: inclusive }];
}

export function point(value: unknown): Interval {
  return { lo: value, loInclusive: true, hi: value, hiInclusive: true };
}

export function isPoint(interval: Interval): boolean {
  return interval.loInclusive && interval.hiInclusive && compareValues(interval.lo, interval.hi) === 0;
}

function isEmpty(interval: Interval): boolean {
  const c = compareValues(interval.lo, interval.hi);
  return c > 0 || (c === 0 && !(interval.loInclusive && interval.hiInclusive));
}

/** Sorted, disjoint, non-empty intervals covering the same values. */
export function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => !isEmpty(i)).sort((a, b) => compareLo(a, b));
  const out: Interval[] = [];
  for (const next of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && overlaps(last, next)) out[out.length - 1] = union(last, next);
    else out.push(next);
  }
  return out;
}

/** The values both lists accept (an and of two constraints on one non-multikey path). */
export function intersect(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const lo = compareLo(x, y) >= 0 ? x : y;
      const hi = compareHi(x, y) <= 0 ? x : y;
      const both = { lo: lo.lo, loInclusive: lo.loInclusive, hi: hi.hi, hiInclusive: hi.hiInclusive };
      if (!isEmpty(both)) out.push(both);
    }
  }
  const result = normalize(out);
  assert(result.length <= a.length + b.length, "an intersection of sorted disjoint lists is no longer than both");
  return result;
}

function compareLo(a: Interval, b: Interval): number {
  const c = compareValues(a.lo, b.lo);
  if (c !== 0) return c;
  return a.loInclusive === b.loInclusive ? 0 : a.loInclusive ? -1 : 1;
}

function compareHi(a: Interval, b: Interval): number {
  const c = compareValues(a.hi, b.hi);
  if (c !== 0) return c;
  return a.hiInclusive === b.hiInclusive ? 0 : a.hiInclusive ? 1 : -1;
}

function overlaps(a: Interval, b: Interval): boolean {
  const c = compareValues(a.hi, b.lo);
  return c > 0 || (c === 0 && (a.hiInclusive || b.loInclusive));
}

function union(a: Interval, b: Interval): Interval {
  const hi = compareHi(a, b) >= 0 ? a : b;
  return { lo: a.lo, loInclusive: a.loInclusive, hi: hi.hi, hiInclusive: hi.hiInclusive };
}

/** Text for explain(): "[5, +∞ number]", "{\"open\"}". */
export function describeInterval(interval: Interval): string {
  if (isPoint(interval)) return JSON.stringify(interval.lo);
  const end = (value: unknown): string => (typeof value === "object" && value !== null && "sentinel" in value ? String((value as { sentinel: string }).sentinel) : JSON.stringify(value));
  return `${interval.loInclusive ? "[" : "("}${end(interval.lo)}, ${end(interval.hi)}${interval.hiInclusive ? "]" : ")"}`;
}
