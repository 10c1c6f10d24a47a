/**
 * Own-property helpers for JSON values. Stored values are plain objects whose keys are the
 * user's: "__proto__", "constructor" or "toString" are ordinary fields. Reading with `in` or an
 * unchecked `[]` would see Object.prototype's members, and assigning would call the inherited
 * `__proto__` setter (or fail where Object.prototype is frozen), so values are walked through
 * these instead.
 */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Object.prototype's members: assigning to one calls the `__proto__` setter, or fails once the
 * prototype is frozen (as hardened environments do). Taken at load, so a frozen prototype
 * cannot hide them; looking a key up here is cheaper than `key in target` on every field.
 */
const prototypeMembers: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Gives the plain object `target` the own enumerable field `key`. A plain assignment is used
 * where the key names no member of Object.prototype (the common case, and about three times
 * faster to build and to serialise than a defined property); such a member name is defined.
 */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  if (prototypeMembers.has(key)) {
    const field = { value, enumerable: true, writable: true, configurable: true };
    Object.defineProperty(target, key, field);
  } else {
    target[key] = value;
  }
}

/**
 * Whether two JSON values have the same JSON text: the same own keys in the same order, at every
 * depth (key order is part of a stored value). Walks instead of serialising, so that equal
 * fields cost no allocation.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    if (key !== keysB[i]) return false;
    if (!sameJson((a as JsonObject)[key], (b as JsonObject)[key])) return false;
  }
  return true;
}
