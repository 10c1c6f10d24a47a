import { InvalidArgumentError } from "../errors.js";
import { assert } from "../util/assert.js";
import { compareValues } from "./compare.js";
import { sortValue, splitPath } from "./path.js";

/** One key of a sort: the path and its direction. */
export interface SortKey {
  readonly field: string;
  readonly path: readonly string[];
  readonly direction: 1 | -1;
}

/**
 * The order of a query: its sort keys, then the id, in the direction of the last key (ascending
 * without keys), so that every two records are ordered and a keyset cursor is exact.
 */
export class QueryOrder {
  readonly idDirection: 1 | -1;
  /** What cursors carry, so that a cursor of another order is refused. */
  readonly signature: string;

  constructor(readonly keys: readonly SortKey[]) {
    this.idDirection = keys.length === 0 ? 1 : keys[keys.length - 1]!.direction;
    this.signature = JSON.stringify(keys.map((key) => [key.field, key.direction]));
  }

  /** The sort values of a record, then its id: what compare() and cursors take. */
  keyOf(id: string, doc: unknown): unknown[] {
    const key: unknown[] = this.keys.map((k) => sortValue(doc, k.path, k.direction));
    key.push(id);
    return key;
  }

  compare = (a: readonly unknown[], b: readonly unknown[]): number => {
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c * keys[i]!.direction;
    }
    const x = a[keys.length] as string;
    const y = b[keys.length] as string;
    return x === y ? 0 : (x < y ? -1 : 1) * this.idDirection;
  };

  /** Every key has the same direction: an index (walked forwards or backwards) can give it. */
  get uniform(): boolean {
    return this.keys.every((key) => key.direction === this.idDirection);
  }
}

/** Checks and normalises `sort`: `{ due: 1, priority: -1 }` or `["due", "-priority"]`. */
export function orderOf(sort: unknown): QueryOrder {
  if (sort === undefined) return new QueryOrder([]);
  const keys: SortKey[] = [];
  if (Array.isArray(sort)) {
    for (const entry of sort as unknown[]) {
      if (typeof entry !== "string" || entry === "" || entry === "-") {
        throw new InvalidArgumentError(`sort: ${JSON.stringify(entry)} is not a path (write "due" or "-due")`);
      }
      const descending = entry.startsWith("-");
      keys.push(key(descending ? entry.slice(1) : entry, descending ? -1 : 1));
    }
  } else if (typeof sort === "object" && sort !== null) {
    for (const [field, direction] of Object.entries(sort)) {
      if (direction !== 1 && direction !== -1) {
        throw new InvalidArgumentError(`sort: the direction of ${JSON.stringify(field)} must be 1 or -1`);
      }
      keys.push(key(field, direction));
    }
  } else {
    throw new InvalidArgumentError('sort must be an object ({ due: 1, priority: -1 }) or an array (["due", "-priority"])');
  }
  if (new Set(keys.map((k) => k.field)).size !== keys.length) throw new InvalidArgumentError("sort: a path is repeated");
  return new QueryOrder(keys);
}

function key(field: string, direction: 1 | -1): SortKey {
  try {
    return { field, path: splitPath(field), direction };
  } catch (error) {
    throw new InvalidArgumentError(`sort: ${(error as Error).message}`);
  }
}

const cursorVersion = 1;

/** The opaque `next` of a page: the order's signature and the last item's key. */
export function encodeCursor(order: QueryOrder, key: readonly unknown[]): string {
  assert(key.length === order.keys.length + 1, "a cursor key has a value per sort key, then the id");
  return Buffer.from(JSON.stringify([cursorVersion, order.signature, key]), "utf8").toString("base64url");
}

/** The key a cursor continues after; OPSLOG_INVALID_ARGUMENT for anything but a `next` of this order. */
export function decodeCursor(order: QueryOrder, cursor: unknown): unknown[] {
  const refuse = (why: string): never => {
    throw new InvalidArgumentError(`after: ${why}; pass the next of a page of a query with the same sort`);
  };
  if (typeof cursor !== "string" || cursor === "") return refuse("not a cursor");
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return refuse("not a cursor");
  }
  if (!Array.isArray(decoded) || decoded.length !== 3 || decoded[0] !== cursorVersion) return refuse("not a cursor");
  if (decoded[1] !== order.signature) return refuse("the cursor belongs to a query with another sort");
  const key = decoded[2] as unknown;
  if (!Array.isArray(key) || key.length !== order.keys.length + 1 || typeof key[key.length - 1] !== "string") {
    return refuse("not a cursor");
  }
  return key;
}
