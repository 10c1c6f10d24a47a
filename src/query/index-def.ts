import { InvalidArgumentError } from "../errors.js";
import { splitPath } from "./path.js";

/** Most paths in one compound index. */
export const indexPathsMax = 8;
/** Most declared indexes: each costs every write an update. */
export const indexesMax = 64;

/** A declared index, checked: its name, its paths (split), whether it is unique. */
export interface IndexDefinition {
  readonly name: string;
  /** The dotted paths, as given ("owner.id"). */
  readonly fields: readonly string[];
  /** The same, split into segments. */
  readonly paths: readonly (readonly string[])[];
  readonly unique: boolean;
}

/**
 * Checks the `indexes` option and returns the definitions, in declaration order. Throws
 * OPSLOG_INVALID_ARGUMENT naming the index for anything else.
 */
export function indexDefinitions(declared: unknown): IndexDefinition[] {
  if (declared === undefined) return [];
  if (typeof declared !== "object" || declared === null || Array.isArray(declared)) {
    throw new InvalidArgumentError('indexes must be an object: { name: { on: "path" | ["a", "b"], unique?: true } }');
  }
  const names = Object.keys(declared);
  if (names.length > indexesMax) throw new InvalidArgumentError(`at most ${indexesMax} indexes can be declared`);
  return names.map((name) => definition(name, (declared as Record<string, unknown>)[name]));
}

function definition(name: string, spec: unknown): IndexDefinition {
  const where = `index ${JSON.stringify(name)}`;
  if (name.length === 0) throw new InvalidArgumentError("an index name must not be empty");
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new InvalidArgumentError(`${where}: its declaration must be an object, for example { on: "status" }`);
  }
  const { on, unique, ...rest } = spec as { on?: unknown; unique?: unknown };
  const unknownKeys = Object.keys(rest);
  if (unknownKeys.length > 0) {
    throw new InvalidArgumentError(`${where}: unknown option ${JSON.stringify(unknownKeys[0])} (use on and unique)`);
  }
  if (unique !== undefined && typeof unique !== "boolean") throw new InvalidArgumentError(`${where}: unique must be a boolean`);
  const fields = on === undefined ? [name] : typeof on === "string" ? [on] : on;
  if (!Array.isArray(fields) || fields.length === 0 || fields.some((f) => typeof f !== "string")) {
    throw new InvalidArgumentError(`${where}: on must be a path or a non-empty array of paths`);
  }
  if (fields.length > indexPathsMax) throw new InvalidArgumentError(`${where}: at most ${indexPathsMax} paths`);
  if (new Set(fields).size !== fields.length) throw new InvalidArgumentError(`${where}: a path is repeated`);
  const paths = (fields as string[]).map((field) => {
    try {
      return splitPath(field);
    } catch (error) {
      throw new InvalidArgumentError(`${where}: ${(error as Error).message}`);
    }
  });
  return Object.freeze({ name, fields: Object.freeze([...(fields as string[])]), paths, unique: unique === true });
}
