import fc from "fast-check";

export type JsonObject = Record<string, unknown>;

/**
 * JSON values that find the bugs of code walking values: keys that name members of
 * Object.prototype ("__proto__" among them, always as an own field), the empty key, nested
 * objects in every key order, nulls at every depth, arrays. Objects are built with
 * Object.defineProperty, so that "__proto__" is an own key as JSON.parse makes it, and their
 * key order is the generated order.
 */
export const jsonKeys = [
  "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "",
  "a", "b", "c", "d", "e", "f",
] as const;

export const jsonKey: fc.Arbitrary<string> = fc.constantFrom(...jsonKeys);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
  fc.string({ maxLength: 8 }),
);

/** An object with the given fields, in their order, every one an own property. */
export function objectOf(entries: readonly (readonly [string, unknown])[]): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of entries) {
    const field = { value, enumerable: true, writable: true, configurable: true };
    Object.defineProperty(result, key, field);
  }
  return result;
}

function entriesOf(value: fc.Arbitrary<unknown>, maxKeys: number) {
  const selector = ([key]: [string, unknown]) => key;
  return fc.uniqueArray(fc.tuple(jsonKey, value), { selector, maxLength: maxKeys });
}

const tree = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    entriesOf(tie("value"), 6).map(objectOf),
  ),
}));

/** Any JSON value, null included. */
export const jsonValue: fc.Arbitrary<unknown> = tree.value;

/** A top-level record: a JSON object (never null) of up to 12 fields. */
export const jsonRecord: fc.Arbitrary<JsonObject> = entriesOf(jsonValue, 12).map(objectOf);

/** The keys of `keys` in a seeded pseudo-random order (the same seed, the same order). */
function shuffled(keys: string[], seed: number): string[] {
  const rank = (i: number) => ((i + 1) * 2654435761 + seed * 40503) % 1009;
  const ranked = keys.map((key, i) => ({ key, rank: rank(i) }));
  return ranked.sort((x, y) => x.rank - y.rank).map(({ key }) => key);
}

/** `value` with the keys of its objects reordered (every level when `deep`), values unchanged. */
export function reordered(value: unknown, seed: number, deep = true): unknown {
  if (Array.isArray(value)) {
    return deep ? value.map((item, i) => reordered(item, seed + i + 1)) : value;
  }
  if (typeof value !== "object" || value === null) return value;
  const object = value as JsonObject;
  const field = (key: string) => (deep ? reordered(object[key], seed + 7) : object[key]);
  return objectOf(shuffled(Object.keys(object), seed).map((key) => [key, field(key)]));
}

type Edit =
  | { kind: "keep" }
  | { kind: "reorder"; seed: number }
  | { kind: "replace"; value: unknown }
  | { kind: "drop" };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { arbitrary: fc.constant({ kind: "keep" as const }), weight: 6 },
  { arbitrary: fc.nat().map((seed) => ({ kind: "reorder" as const, seed })), weight: 2 },
  { arbitrary: jsonValue.map((value) => ({ kind: "replace" as const, value })), weight: 1 },
  { arbitrary: fc.constant({ kind: "drop" as const }), weight: 1 },
);

/**
 * A plausible update of `prev`: most fields kept as they are, some with their nested keys
 * reordered (the same JSON value under order-blind equality, another text), some replaced or
 * dropped, a few added, and sometimes the top-level order changed.
 */
export function jsonUpdate(prev: JsonObject): fc.Arbitrary<JsonObject> {
  const keys = Object.keys(prev);
  return fc
    .record({
      edits: fc.array(edit, { minLength: keys.length, maxLength: keys.length }),
      added: entriesOf(jsonValue, 3),
      shuffle: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ edits, added, shuffle }) => {
      const entries: [string, unknown][] = [];
      keys.forEach((key, i) => {
        const change = edits[i]!;
        const old = prev[key];
        if (change.kind === "keep") entries.push([key, old]);
        else if (change.kind === "reorder") entries.push([key, reordered(old, change.seed)]);
        else if (change.kind === "replace") entries.push([key, change.value]);
      });
      for (const [key, value] of added) if (!Object.hasOwn(prev, key)) entries.push([key, value]);
      const record = objectOf(entries);
      return shuffle === undefined ? record : (reordered(record, shuffle, false) as JsonObject);
    });
}

/** A record and an update of it. */
export const jsonRecordUpdate: fc.Arbitrary<[JsonObject, JsonObject]> = jsonRecord.chain((prev) =>
  jsonUpdate(prev).map((data): [JsonObject, JsonObject] => [prev, data]),
);
