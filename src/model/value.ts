import { InvalidArgumentError, InvalidIdError, InvalidValueError } from "../errors.js";
import { setOwn } from "./json-object.js";
import { attachText, hasForeignSymbols } from "./value-text.js";
export { freezeParsed } from "./freeze.js";

/** Longest id, in UTF-16 code units. Longer ids are rejected with OPSLOG_INVALID_ID. */
export const idLengthMax = 1024;
/** Deepest nesting of arrays and objects in a value. */
export const valueDepthMax = 512;

export function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string") {
    throw new InvalidIdError(`id must be a string; got ${describe(id)}`);
  }
  if (id.length === 0) throw new InvalidIdError("id must not be empty");
  if (id.length > idLengthMax) {
    throw new InvalidIdError(`id is ${id.length} characters long; the limit is ${idLengthMax}`);
  }
}

/**
 * Checks that `value` is exactly representable as JSON and returns a deeply frozen copy, so that
 * neither the caller's later mutations nor a reader's can change what the store holds.
 * Object properties whose value is undefined are omitted, as JSON omits them; -0 becomes 0.
 * Anything else JSON would change (NaN, Infinity, BigInt, functions, symbols, undefined in an
 * array, holes, cycles, Dates, Maps, class instances) is rejected, naming the path.
 */
export function toStoredValue<T>(value: T, path = "value"): T {
  try {
    return cloneChecked(value, [], 0) as T;
  } catch (error) {
    throw asInvalidValue(error, path);
  }
}

/**
 * toStoredValue for a record that is about to be written: the copy also carries its JSON text
 * (model/value-text.ts), which the log line needs at once and later snapshots reuse.
 * A top-level null is refused: an operation's `prev: null` means "did not exist", so a null
 * record could not be told from a missing one by undo, at() or the revert of a failed write.
 */
export function toStoredRecord<T>(value: T): T {
  checkNotNullRecord(value);
  if (typeof value !== "object" || value === null) return toStoredValue(value);
  try {
    const copy = cloneContainer(value, [], 0);
    attachText(copy, JSON.stringify(copy));
    return Object.freeze(copy) as T;
  } catch (error) {
    throw asInvalidValue(error, "value");
  }
}

/** Refuses a top-level null record (see toStoredRecord); nested nulls are ordinary values. */
export function checkNotNullRecord(value: unknown, path = "value"): void {
  if (value === null) {
    const reason = "a record cannot be null; store an object or delete the record";
    throw new InvalidValueError(path, reason);
  }
}

function asInvalidValue(error: unknown, path: string): unknown {
  if (!(error instanceof ValueProblem)) return error;
  return new InvalidValueError(formatPath(path, error.segments), error.reason);
}

/** Raised deep inside a value; each level adds its key on the way out, so paths cost nothing
 * on the (hot) valid path. */
class ValueProblem {
  readonly segments: (string | number)[] = [];
  constructor(readonly reason: string) {}
}

function formatPath(root: string, segments: (string | number)[]): string {
  let path = root;
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/**
 * `ancestors[0..depth)` are the objects enclosing `value`: a cycle is an object among its own
 * ancestors. (An array scan beats a Set's add and delete at the depths records have.)
 */
function cloneChecked(value: unknown, ancestors: object[], depth: number): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) {
        throw new ValueProblem(`${value} is not storable; JSON has no NaN or Infinity`);
      }
      return value === 0 ? 0 : value;
    case "object":
      if (value === null) return null;
      return Object.freeze(cloneContainer(value, ancestors, depth));
    case "undefined":
      throw new ValueProblem("undefined is not storable; use null or omit the field");
    case "bigint":
      throw new ValueProblem("BigInt is not storable; store it as a string");
    case "function":
      throw new ValueProblem("a function is not storable");
    default:
      throw new ValueProblem(`a ${typeof value} is not storable`);
  }
}

/** A checked copy of an array or plain object, not yet frozen (its members are). */
function cloneContainer(value: object, ancestors: object[], depth: number): object {
  for (let i = 0; i < depth; i++) {
    if (ancestors[i] === value) throw new ValueProblem("a cycle is not storable");
  }
  if (depth >= valueDepthMax) throw new ValueProblem(`nested deeper than ${valueDepthMax} levels`);
  ancestors[depth] = value;
  return Array.isArray(value) ? cloneArray(value, ancestors, depth) : clonePlain(value, ancestors, depth);
}

function cloneArray(value: unknown[], ancestors: object[], depth: number): unknown[] {
  const copy = new Array<unknown>(value.length);
  for (let i = 0; i < value.length; i++) {
    try {
      // Own index only: an index inherited from a polluted Array.prototype is still a hole.
      if (!Object.hasOwn(value, i)) throw new ValueProblem("an array hole is not storable");
      copy[i] = cloneChecked(value[i], ancestors, depth + 1);
    } catch (error) {
      if (error instanceof ValueProblem) error.segments.unshift(i);
      throw error;
    }
  }
  return copy;
}

function clonePlain(value: object, ancestors: object[], depth: number): object {
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? "object";
    throw new ValueProblem(`${name} is not storable${hint(name)}`);
  }
  if (hasForeignSymbols(value)) {
    throw new ValueProblem("symbol-keyed properties are not storable");
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (child === undefined) continue;
    let stored: unknown;
    try {
      stored = cloneChecked(child, ancestors, depth + 1);
    } catch (error) {
      if (error instanceof ValueProblem) error.segments.unshift(key);
      throw error;
    }
    // Not plain assignment: a key named __proto__ (or toString) must stay an ordinary field.
    setOwn(copy, key, stored);
  }
  return copy;
}

function hint(name: string): string {
  if (name === "Date") return "; store an ISO string";
  if (name === "Map") return "; store an object or an array of pairs";
  if (name === "Set") return "; store an array";
  return "; store a plain object";
}

export function checkMeta(meta: unknown, path = "meta"): Record<string, unknown> | undefined {
  if (meta === undefined) return undefined;
  if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
    throw new InvalidValueError(path, "meta must be a plain JSON object");
  }
  return toStoredValue(meta as Record<string, unknown>, path);
}

export function checkFunction(fn: unknown, name: string): void {
  if (typeof fn !== "function") {
    throw new InvalidArgumentError(`${name} must be a function; got ${describe(fn)}`);
  }
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
