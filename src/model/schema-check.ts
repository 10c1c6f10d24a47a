import { InvalidArgumentError, InvalidValueError, type ValueIssue } from "../errors.js";
import { assert } from "../util/assert.js";
import { valueDepthMax } from "./value.js";
import type { Change } from "./operation.js";
import { setOwn } from "./json-object.js";
import { recordAt } from "./raw-record.js";
import type { StandardSchemaV1 } from "./standard-schema.js";

const noState: ReadonlyMap<string, unknown> = new Map();

/** Issues named in an error's message; the rest are counted (all are in `error.issues`). */
const messageIssuesMax = 5;

/** OPSLOG_INVALID_ARGUMENT unless `schema` looks like a Standard Schema v1 validator. */
export function checkSchema(schema: unknown): asserts schema is StandardSchemaV1 {
  const props: unknown = typeof schema === "object" || typeof schema === "function"
    ? (schema as { "~standard"?: unknown } | null)?.["~standard"]
    : undefined;
  const ok =
    typeof props === "object" &&
    props !== null &&
    (props as { version?: unknown }).version === 1 &&
    typeof (props as { validate?: unknown }).validate === "function";
  if (!ok) {
    throw new InvalidArgumentError(
      "schema must be a Standard Schema v1 validator (zod, valibot, arktype…): " +
        "an object whose `~standard` has version 1 and a validate function",
    );
  }
}

/**
 * `value` checked by `schema`: the validator's output (its transforms and defaults applied), or
 * OPSLOG_INVALID_VALUE naming every issue. Runs synchronously, at the call that writes, so a
 * refused write changes nothing; a validator that answers with a promise is refused.
 */
export function validated(schema: StandardSchemaV1, value: unknown): unknown {
  const result = schema["~standard"].validate(thawed(value, 0));
  if (isThenable(result)) {
    // Nobody awaits it: keep its rejection, if any, from becoming an unhandled one.
    Promise.resolve(result).catch(() => undefined);
    throw new InvalidArgumentError(
      "asynchronous schemas are not supported: writes are checked synchronously at the call",
    );
  }
  if (result.issues === undefined) return result.value;
  const issues = result.issues.map(
    (issue): ValueIssue => ({ message: String(issue.message), path: issuePath(issue.path) }),
  );
  assert(Array.isArray(issues), "a failed validation has a list of issues");
  throw schemaError(issues);
}

/** Checks a value undo() or redo() would write back; the value itself is written unchanged. */
export function checkRestored(schema: StandardSchemaV1, value: unknown): void {
  validated(schema, value);
}

/**
 * `value` with every frozen plain object or array in it replaced by an unfrozen copy (the rest
 * shared, the caller's value untouched): records read from the store are frozen, and a
 * validator may change its input in place (arktype's morphs assign to a copy that keeps the
 * frozen property descriptors), which would throw on `update(id, (r) => ({ ...r, n: 1 }))`.
 * Dates, class instances and the like are left as they are, for the schema to judge.
 */
function thawed(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  // A cycle (or absurd nesting) is left for the validator and toStoredRecord to refuse.
  if (depth >= valueDepthMax) return value;
  const isArray = Array.isArray(value);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!isArray && proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | unknown[] | undefined;
  if (Object.isFrozen(value)) copy = isArray ? [...(value as unknown[])] : { ...value };
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const child = source[key];
    const thawedChild = thawed(child, depth + 1);
    if (thawedChild === child) continue;
    copy ??= isArray ? [...(value as unknown[])] : { ...value };
    // Not plain assignment: a key named __proto__ must stay an ordinary field.
    if (Array.isArray(copy)) copy[Number(key)] = thawedChild;
    else setOwn(copy, key, thawedChild);
  }
  assert(copy === undefined || !Object.isFrozen(copy), "a thawed copy is not frozen");
  return copy ?? value;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (typeof value !== "object" || value === null) return false;
  return typeof (value as { then?: unknown }).then === "function";
}

function schemaError(issues: ValueIssue[]): InvalidValueError {
  const named = issues.slice(0, messageIssuesMax).map((issue) => `${issue.path}: ${issue.message}`);
  const left = issues.length - messageIssuesMax;
  const more = left > 0 ? `; and ${left} more` : "";
  const count = issues.length === 1 ? "1 issue" : `${issues.length} issues`;
  const message = `the schema rejected it (${count}): ${named.join("; ")}${more}`;
  return new InvalidValueError("value", message, issues);
}

/** An issue's path as opslog writes paths elsewhere: value.items[3].due. */
function issuePath(path: StandardSchemaV1.Issue["path"]): string {
  let text = "value";
  for (const entry of path ?? []) {
    const key: PropertyKey = typeof entry === "object" && entry !== null ? entry.key : entry;
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "symbol") text += `[${key.toString()}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) text += `.${key}`;
    else text += `[${JSON.stringify(key)}]`;
  }
  return text;
}

/** Checks the values a list of changes would write (undo, redo): a refused one stops them all. */
export function checkChanges(
  schema: StandardSchemaV1 | undefined,
  changes: readonly Change[],
): void {
  if (schema === undefined) return;
  for (const change of changes) {
    if (change.op === "set") checkRestored(schema, recordAt(noState, change.id, change.data));
  }
}
