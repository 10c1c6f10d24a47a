/**
 * Every error opslog raises is an OpslogError with a stable `code`. Codes are documented in
 * docs/ERRORS.md and are never renamed; messages may improve over time.
 */
export type ErrorCode =
  | "OPSLOG_NOT_OPEN"
  | "OPSLOG_CLOSED"
  | "OPSLOG_READ_ONLY"
  | "OPSLOG_LOCKED"
  | "OPSLOG_NOT_FOUND"
  | "OPSLOG_INVALID_ID"
  | "OPSLOG_INVALID_VALUE"
  | "OPSLOG_INVALID_ARGUMENT"
  | "OPSLOG_CORRUPTION"
  | "OPSLOG_IO"
  | "OPSLOG_CONFLICT"
  | "OPSLOG_VERSION"
  | "OPSLOG_UNIQUE"
  | "OPSLOG_INTERNAL";

export class OpslogError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export class NotOpenError extends OpslogError {
  constructor(message = "Store is not open: call and await store.open(dir) first") {
    super("OPSLOG_NOT_OPEN", message);
  }
}

export class ClosedError extends OpslogError {
  constructor(message = "the store is closed: open a new Store to use the directory again") {
    super("OPSLOG_CLOSED", message);
  }
}

export class ReadOnlyError extends OpslogError {
  constructor(operation: string) {
    super("OPSLOG_READ_ONLY", `${operation}() is not allowed: the store was opened readOnly`);
  }
}

export interface LockHolder {
  pid: number;
  hostname: string;
  startedAt: string;
}

export class LockedError extends OpslogError {
  readonly holder: LockHolder | undefined;

  /** `unnamed` describes the holder when the LOCK names none (default: another Store here). */
  constructor(
    dir: string,
    holder: LockHolder | undefined,
    unnamed = "another Store in this process",
  ) {
    const who = holder
      ? `process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`
      : unnamed;
    super("OPSLOG_LOCKED", `${dir} is locked by ${who}; open it with { readOnly: true } to read`);
    this.holder = holder;
  }
}

export class NotFoundError extends OpslogError {
  constructor(message: string) {
    super("OPSLOG_NOT_FOUND", message);
  }
}

export class InvalidIdError extends OpslogError {
  constructor(message: string) {
    super("OPSLOG_INVALID_ID", message);
  }
}

export class InvalidValueError extends OpslogError {
  readonly path: string;

  constructor(path: string, message: string) {
    super("OPSLOG_INVALID_VALUE", `${path}: ${message}`);
    this.path = path;
  }
}

export class InvalidArgumentError extends OpslogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("OPSLOG_INVALID_ARGUMENT", message, options);
  }
}

export class CorruptionError extends OpslogError {
  readonly file: string;
  readonly offset: number;

  constructor(file: string, offset: number, reason: string) {
    super(
      "OPSLOG_CORRUPTION",
      `${file} is corrupt at byte ${offset}: ${reason}. ` +
        `Run \`opslog verify\` to see all damage, or open with { repair: true } to keep the ` +
        `valid prefix and move the rest to quarantine/.`,
    );
    this.file = file;
    this.offset = offset;
  }
}

export class IoError extends OpslogError {
  constructor(message: string, cause?: unknown) {
    super("OPSLOG_IO", message, { cause });
  }
}

/** The record a conflict is about, as this store sees it once caught up. */
export interface ConflictRecord {
  id: string;
  /** Its current value (undefined when it has none) and version (0 when absent). */
  value: unknown;
  version: number;
}

export class ConflictError extends OpslogError {
  /** The record that another writer changed (shared storages), when one is named. */
  readonly id?: string;
  /** Its value now, after this store caught up (undefined: absent). */
  readonly current?: unknown;
  /** Its version now (seq of the last operation on it; 0: absent). */
  readonly version?: number;

  constructor(message: string, record?: ConflictRecord) {
    super("OPSLOG_CONFLICT", message);
    if (record) {
      this.id = record.id;
      this.current = record.value;
      this.version = record.version;
    }
  }
}

export class VersionError extends OpslogError {
  constructor(message: string) {
    super("OPSLOG_VERSION", message);
  }
}

/** A write (or the data at open) would give a unique index's value to a second record. */
export class UniqueError extends OpslogError {
  /** The unique index. */
  readonly index: string;
  /** The value (a list of values, for an index on several paths). */
  readonly value: unknown;
  /** The record that holds it already. */
  readonly id: string;
  /** The record that would have taken it too. */
  readonly duplicate: string;

  constructor(index: string, value: unknown, id: string, duplicate: string, context = "") {
    const shown = JSON.stringify(value);
    super(
      "OPSLOG_UNIQUE",
      `${context}unique index ${JSON.stringify(index)}: value ${shown} is already held by record ` +
        `${JSON.stringify(id)}, so record ${JSON.stringify(duplicate)} cannot have it too`,
    );
    this.index = index;
    this.value = value;
    this.id = id;
    this.duplicate = duplicate;
  }
}

/** Wraps an unknown failure from the file system into an IoError, keeping OpslogErrors. */
export function toIoError(action: string, error: unknown): OpslogError {
  if (error instanceof OpslogError) return error;
  const code = (error as { code?: string } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  return new IoError(`${action} failed${code ? ` (${code})` : ""}: ${detail}`, error);
}

const userErrors = new WeakSet<object>();

/**
 * Marks an exception thrown by the user's own code (a `migrate` function): it reaches the caller
 * as it was thrown, like an exception from a `filter` predicate or a batch callback, and is not
 * mistaken for a file-system failure.
 */
export function fromUserCode(error: unknown): unknown {
  if (typeof error === "object" && error !== null) userErrors.add(error);
  return error;
}

export function isFromUserCode(error: unknown): boolean {
  return typeof error === "object" && error !== null && userErrors.has(error);
}
