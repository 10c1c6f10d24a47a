import { assert } from "../util/assert.js";

/** Deep-freezes a value that came from JSON.parse (already plain and valid). */
export function freezeParsed<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) deepFreeze(value);
  return value;
}

/** Recurses only into objects: most members of a record are primitives (once per first read). */
function deepFreeze(value: object): void {
  // A parsed value's objects are its own: reaching a prototype means a member was read through
  // the prototype chain, and freezing it would change every object of the process.
  assert(value !== Object.prototype, "a stored value never holds Object.prototype");
  assert(value !== Array.prototype, "a stored value never holds Array.prototype");
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === "object" && item !== null) deepFreeze(item);
    }
  } else {
    // Own fields only: for…in would also walk whatever is enumerable on the prototype chain.
    for (const member of Object.values(value) as unknown[]) {
      if (typeof member === "object" && member !== null) deepFreeze(member);
    }
  }
  Object.freeze(value);
}

