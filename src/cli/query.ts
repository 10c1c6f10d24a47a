/**
 * Queries from the command line (`find`, `ls --where '{…}'`): filters and sorts as the user
 * typed them, and the library's complaints about them turned into usage errors (exit 2).
 */
import { OpslogError, type Filter, type IndexDeclarations } from "./engine.js";
import { usageError } from "./errors.js";

/** Longest filter text accepted: a filter is typed by hand or by a script, never a data set. */
export const filterTextLengthMax = 1024 * 1024;

/** True when a `--where` value is a JSON filter (`{…}`) rather than `field=value`. */
export function isJsonFilter(text: string): boolean {
  return text.trimStart().startsWith("{");
}

/** Parses a JSON filter; not JSON, or JSON that is not an object, is a usage error. */
export function parseFilter(text: string, what = "the filter"): Filter {
  if (text.length > filterTextLengthMax) {
    throw usageError(`${what} is longer than ${filterTextLengthMax} characters`);
  }
  let filter: unknown;
  try {
    filter = JSON.parse(text) as unknown;
  } catch (error) {
    const reason = (error as Error).message;
    throw usageError(`${what} is not valid JSON (${reason}): ${preview(text)}`);
  }
  if (typeof filter !== "object" || filter === null || Array.isArray(filter)) {
    throw usageError(`${what} must be a JSON object such as '{"status":"open"}'; got ${preview(text)}`);
  }
  return filter as Filter;
}

/** Several filters, all required. */
export function allOf(filters: readonly Filter[]): Filter | undefined {
  if (filters.length === 0) return undefined;
  if (filters.length === 1) return filters[0];
  return { $and: filters };
}

/** `--sort due,-priority` as the array form the library takes: `["due", "-priority"]`. */
export function parseSort(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const fields = text.split(",").map((field) => field.trim());
  if (fields.some((field) => field === "" || field === "-")) {
    throw usageError(`--sort takes paths separated by commas, such as due,-priority; got ${preview(text)}`);
  }
  return fields;
}

/** `--index status --index owner.id`: one single-path index per path, named by its path. */
export function parseIndexes(paths: readonly string[]): IndexDeclarations | undefined {
  if (paths.length === 0) return undefined;
  const declarations: IndexDeclarations = {};
  for (const path of paths) {
    if (Object.hasOwn(declarations, path)) throw usageError(`--index ${path} is given twice`);
    // defineProperty: `declarations["__proto__"] = …` would set the prototype, not an index.
    Object.defineProperty(declarations, path, { value: { on: path }, enumerable: true, configurable: true, writable: true });
  }
  return declarations;
}

/**
 * Runs `use` and reports the library's OPSLOG_INVALID_ARGUMENT (a bad operator, path, sort or
 * cursor) as a usage error: on a read-only store nothing else the CLI passes can be invalid.
 */
export function asUsage<R>(use: () => R, what: string): R {
  try {
    return use();
  } catch (error) {
    if (error instanceof OpslogError && error.code === "OPSLOG_INVALID_ARGUMENT") {
      throw usageError(`${what}: ${error.message}`);
    }
    throw error;
  }
}

/**
 * The iterator `start` gives, whose creation (iterate() checks its query at the call) and every
 * step report a bad query as a usage error.
 */
export function usageChecked<T>(start: () => Iterator<T>, what: string): IterableIterator<T> {
  const iterator = asUsage(start, what);
  return {
    next: () => asUsage(() => iterator.next(), what),
    [Symbol.iterator]() {
      return this;
    },
  };
}

function preview(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return JSON.stringify(shown);
}
