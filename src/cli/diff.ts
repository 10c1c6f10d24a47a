import { isDeepStrictEqual } from "node:util";

/** One field-level change between two versions of a record. */
export interface Change {
  /** Dotted path of the field; "" for the whole value. */
  path: string;
  kind: "added" | "removed" | "changed";
  before?: unknown;
  after?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The changes from `before` to `after` (null or undefined: the record did not exist), descending
 * into nested objects. Arrays and scalars are compared whole.
 */
export function diffValues(before: unknown, after: unknown, path = ""): Change[] {
  const beforeMissing = before === null || before === undefined;
  const afterMissing = after === null || after === undefined;
  if (path === "" && beforeMissing && afterMissing) return [];
  if (path === "" && beforeMissing) return fieldsOf(after, "added");
  if (path === "" && afterMissing) return fieldsOf(before, "removed");
  if (isPlainObject(before) && isPlainObject(after)) return diffObjects(before, after, path);
  if (isDeepStrictEqual(before, after)) return [];
  return [{ path, kind: "changed", before, after }];
}

function diffObjects(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  path: string,
) {
  const changes: Change[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const key of keys) {
    const child = path === "" ? key : `${path}.${key}`;
    // Own fields only: "constructor" or "__proto__" are a record's fields, not inherited members.
    if (!Object.hasOwn(after, key)) {
      changes.push({ path: child, kind: "removed", before: before[key] });
    } else if (!Object.hasOwn(before, key)) {
      changes.push({ path: child, kind: "added", after: after[key] });
    } else {
      changes.push(...diffValues(before[key], after[key], child));
    }
  }
  return changes;
}

/** A created or deleted record: each top-level field added or removed, or the whole value. */
function fieldsOf(value: unknown, kind: "added" | "removed"): Change[] {
  const side = kind === "added" ? "after" : "before";
  if (!isPlainObject(value)) return [{ path: "", kind, [side]: value }];
  return Object.entries(value).map(([key, field]) => ({ path: key, kind, [side]: field }));
}
