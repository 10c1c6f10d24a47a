/** Assertions stay on in production: a broken invariant stops the operation, never the data. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`opslog invariant violated: ${message}`);
}
