import { InvalidArgumentError } from "../errors.js";
import { isPlainObject } from "./path.js";

/** Validation of filter operands: filters are JSON, plus regular expressions where MongoDB has them. */

export function describe(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value instanceof RegExp) return String(value);
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !isJsonObject(value)) {
    return `an instance of ${value.constructor?.name ?? "a class"}`;
  }
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}

export function invalid(pathText: string, operator: string, reason: string): InvalidArgumentError {
  const where = pathText === "(top level)" ? "at the top level" : `at path "${pathText}"`;
  return new InvalidArgumentError(`invalid filter ${where}: ${operator} ${reason}`);
}

function isJsonObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Throws unless `value` is JSON: null, a boolean, a finite number, a string, an array or a plain
 * object of JSON. NaN and the infinities are rejected: no stored document can hold them.
 */
export function checkJson(value: unknown, pathText: string, operator: string): void {
  switch (typeof value) {
    case "string":
    case "boolean":
      return;
    case "number":
      if (!Number.isFinite(value)) throw invalid(pathText, operator, `operand is not JSON: ${value}`);
      return;
    case "object":
      if (value === null) return;
      if (Array.isArray(value)) {
        for (const element of value) checkJson(element, pathText, operator);
        return;
      }
      if (!isJsonObject(value)) {
        throw invalid(pathText, operator, `operand is not JSON: ${describe(value)}`);
      }
      for (const key of Object.keys(value)) {
        checkJson((value as Record<string, unknown>)[key], pathText, operator);
      }
      return;
    default:
      throw invalid(pathText, operator, `operand is not JSON: ${describe(value)}`);
  }
}

/**
 * An object whose keys start with "$" is an operator expression; one without is a value to
 * equal. Mixing the two is an error, as in MongoDB.
 */
export function isOperatorObject(operand: unknown, pathText: string): boolean {
  if (!isPlainObject(operand) || !isJsonObject(operand)) return false;
  const keys = Object.keys(operand);
  const operators = keys.filter((key) => key.startsWith("$")).length;
  if (operators === 0) return false;
  if (operators !== keys.length) {
    throw invalid(pathText, keys.find((key) => key.startsWith("$")) as string,
      "cannot be mixed with plain fields in one object");
  }
  return true;
}

/** MongoDB's options that JS RegExp has: i, m, s. The "x" (extended) option has no JS flag. */
const optionsAllowed = new Set(["i", "m", "s"]);
/** Flags of a RegExp instance kept as written; g, y and d only change stateful matching. */
const flagsKept = new Set(["i", "m", "s", "u", "v"]);

export function compileRegex(operand: unknown, options: unknown, pathText: string): RegExp {
  let source: string;
  let flags = "";
  if (operand instanceof RegExp) {
    source = operand.source;
    for (const flag of operand.flags) if (flagsKept.has(flag)) flags += flag;
  } else if (typeof operand === "string") {
    source = operand;
  } else {
    throw invalid(pathText, "$regex", `needs a string or a RegExp, got ${describe(operand)}`);
  }
  if (options !== undefined) {
    if (typeof options !== "string") {
      throw invalid(pathText, "$options", `needs a string, got ${describe(options)}`);
    }
    for (const option of options) {
      if (!optionsAllowed.has(option)) {
        throw invalid(pathText, "$options", `has "${option}", which is not supported (use i, m, s)`);
      }
      if (!flags.includes(option)) flags += option;
    }
  }
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new InvalidArgumentError(
      `invalid filter at path "${pathText}": $regex ${JSON.stringify(source)} is not a valid ` +
        `regular expression`,
      { cause: error },
    );
  }
}

/**
 * A text key that tells apart every two filters compiling differently, or undefined when the
 * filter holds a value without one (JSON.stringify would turn NaN into null, a RegExp into {}).
 */
export function filterKey(value: unknown): string | undefined {
  const parts: string[] = [];
  const write = (item: unknown): boolean => {
    if (item instanceof RegExp) {
      parts.push(`/${JSON.stringify(item.source)}/${item.flags}`);
      return true;
    }
    if (typeof item === "number") {
      if (!Number.isFinite(item)) return false;
      parts.push(String(item));
      return true;
    }
    if (item === null || typeof item === "string" || typeof item === "boolean") {
      parts.push(JSON.stringify(item));
      return true;
    }
    if (Array.isArray(item)) {
      parts.push("[");
      for (const element of item) if (!write(element) || !parts.push(",")) return false;
      parts.push("]");
      return true;
    }
    if (typeof item !== "object" || !isJsonObject(item)) return false;
    parts.push("{");
    for (const key of Object.keys(item)) {
      parts.push(JSON.stringify(key), ":");
      if (!write((item as Record<string, unknown>)[key])) return false;
      parts.push(",");
    }
    parts.push("}");
    return true;
  };
  return write(value) ? parts.join("") : undefined;
}
