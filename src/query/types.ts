/**
 * The public types of queries: filters, sorts, index declarations, results. Paths are typed
 * from the record type T down to `pathDepthMax` levels (deeper paths are plain strings), and
 * any string when T is open (the default `Record<string, unknown>`).
 */

/** Levels of nesting whose paths TypeScript spells out; below them a path is any string. */
type Depths = [never, 0, 1, 2, 3, 4, 5];
type DefaultDepth = 5;

/** Dotted paths of T: "owner.id", "tags", "tags.0", … (arrays are traversed, as MongoDB does). */
export type Path<T, D extends number = DefaultDepth> = unknown extends T
  ? string
  : [D] extends [never]
    ? string
    : T extends readonly (infer E)[]
      ? `${number}` | ArrayPath<E, D>
      : T extends object
        ? { [K in keyof T & string]: K | SubPath<K, NonNullable<T[K]>, Depths[D]> }[keyof T & string]
        : never;

type ArrayPath<E, D extends number> = E extends object ? Path<E, Depths[D]> | `${number}.${Path<E, Depths[D]>}` : never;

type SubPath<K extends string, V, D extends number> = V extends object
  ? [D] extends [never]
    ? `${K}.${string}`
    : `${K}.${Path<V, D>}`
  : never;

/** A JSON value, as operands of filters are. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The operators of one field (docs/QUERIES.md says what each does). */
export interface FieldOperators {
  $eq?: unknown;
  $ne?: unknown;
  $gt?: unknown;
  $gte?: unknown;
  $lt?: unknown;
  $lte?: unknown;
  $in?: readonly unknown[];
  $nin?: readonly unknown[];
  $exists?: boolean;
  $not?: FieldOperators | RegExp;
  $elemMatch?: Record<string, unknown>;
  $size?: number;
  $all?: readonly unknown[];
  $regex?: string | RegExp;
  $options?: string;
}

/** A MongoDB filter over records of type T: `{ status: "open", "owner.id": 7, due: { $lt: 9 } }`. */
export type Filter<T = Record<string, unknown>> = {
  [P in Path<T>]?: unknown;
} & {
  $and?: readonly Filter<T>[];
  $or?: readonly Filter<T>[];
  $nor?: readonly Filter<T>[];
};

/**
 * Sort keys in order: `{ due: 1, priority: -1 }` (1 ascending, -1 descending) or
 * `["due", "-priority"]`. Ties are broken by the id, in the direction of the last key.
 */
export type Sort<T = Record<string, unknown>> =
  | { [P in Path<T>]?: 1 | -1 }
  | readonly (Path<T> | `-${Path<T>}`)[];

export interface FindQuery<T = Record<string, unknown>> {
  where?: Filter<T>;
  sort?: Sort<T>;
  /** Most items to return (a page). Default: all. */
  limit?: number;
  /** The `next` of the page before: items strictly after it in this query's order. */
  after?: string;
}

export interface FindResult<T> {
  /** The matching records of this page, in order. */
  items: T[];
  /** Their ids, in the same order. */
  ids: string[];
  /** Set when more items follow: pass it as `after` to get the next page. */
  next?: string;
}

/**
 * A declared index: `{ on: "status" }`, `{ on: ["status", "due"] }`, `{ unique: true }`. Its
 * paths are plain strings: typed from T they would make `Store<T>` invariant in T (a
 * `Store<Task>` could no longer be passed where a `Store<unknown>` is taken).
 */
export interface IndexSpec {
  /** The path or paths indexed, in order. Default: the index's name. */
  on?: string | readonly string[];
  /** Each value (each combination, for several paths) is held by one record at most. */
  unique?: boolean;
}

export type IndexDeclarations = Record<string, IndexSpec>;

/** What `explain()` says of a query: how it was served, and what it cost. */
export interface QueryPlan {
  /** The index that served it, or null for a scan of every record. */
  index: string | null;
  /** The index key ranges read, as text (empty for a scan). */
  ranges: string[];
  /** "index": the index gave the order; "memory": sorted after matching; never both. */
  order: "index" | "memory";
  /** Counted from the index alone, without reading records (count() only). */
  countedFromIndex: boolean;
  /** Index entries or records examined. */
  examined: number;
  /** Records that matched (up to where the query could stop). */
  matched: number;
  /** Items returned. */
  returned: number;
  /** The record count of the store: what a scan examines. */
  records: number;
}
