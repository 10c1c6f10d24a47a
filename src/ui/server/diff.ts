/**
 * Field-level differences between two versions of a record, for the timeline
 * (docs/UI-API.md, `Diff`). Objects and arrays are descended (array indexes are path parts);
 * everything else is compared whole.
 */
import { isDeepStrictEqual } from "node:util";

export interface Diff {
  /** Dotted path ("" for the whole value); array indexes are numbers: "tags.2". */
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

/** Deeper than this, a change is reported whole: a diff must not recurse without bound. */
const diffDepthMax = 64;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  return path === "" ? String(key) : `${path}.${key}`;
}

/** `before` and `after` null or undefined: the record did not exist. */
export function diffValues(before: unknown, after: unknown): Diff[] {
  const diffs: Diff[] = [];
  const beforeMissing = before === null || before === undefined;
  const afterMissing = after === null || after === undefined;
  if (beforeMissing && afterMissing) return diffs;
  if (beforeMissing) return wholeFields(after, "added");
  if (afterMissing) return wholeFields(before, "removed");
  walk(before, after, "", 0, diffs);
  return diffs;
}

function walk(before: unknown, after: unknown, path: string, depth: number, diffs: Diff[]): void {
  if (depth < diffDepthMax && isObject(before) && isObject(after)) {
    // Own keys only: "__proto__" or "constructor" are a record's fields, not inherited ones.
    for (const key of Object.keys(before)) {
      if (!Object.hasOwn(after, key)) diffs.push({ path: join(path, key), kind: "removed", before: before[key] });
      else walk(before[key], after[key], join(path, key), depth + 1, diffs);
    }
    for (const key of Object.keys(after)) {
      if (!Object.hasOwn(before, key)) diffs.push({ path: join(path, key), kind: "added", after: after[key] });
    }
    return;
  }
  if (depth < diffDepthMax && Array.isArray(before) && Array.isArray(after)) {
    const common = Math.min(before.length, after.length);
    for (let i = 0; i < common; i++) walk(before[i], after[i], join(path, i), depth + 1, diffs);
    for (let i = common; i < before.length; i++) diffs.push({ path: join(path, i), kind: "removed", before: before[i] });
    for (let i = common; i < after.length; i++) diffs.push({ path: join(path, i), kind: "added", after: after[i] });
    return;
  }
  if (!isDeepStrictEqual(before, after)) diffs.push({ path, kind: "changed", before, after });
}

/** A created or deleted record: each top-level field added or removed, or the whole value. */
function wholeFields(value: unknown, kind: "added" | "removed"): Diff[] {
  const side = kind === "added" ? "after" : "before";
  if (!isObject(value)) return [{ path: "", kind, [side]: value }];
  return Object.keys(value).map((key) => ({ path: key, kind, [side]: value[key] }));
}
