import { OpslogError } from "../errors.js";

/**
 * Assertions stay on in production: a broken invariant stops the operation, never the data. It
 * reaches the user as OPSLOG_INTERNAL carrying the assertion's text, so that it can be reported.
 */
export class AssertionError extends OpslogError {
  constructor(message: string) {
    super("OPSLOG_INTERNAL", message);
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`opslog invariant violated: ${message}`);
}
