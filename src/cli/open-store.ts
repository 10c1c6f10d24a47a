import { stat } from "node:fs/promises";
import { isPostgresUrl, redact, Store, type AnyStore, type IndexDeclarations } from "./engine.js";
import { CliError, exitCodes, usageError } from "./errors.js";

/** A store on a database server (`postgres://…?store=name`), not a directory. */
export function isServerLocation(location: string): boolean {
  return isPostgresUrl(location);
}

/** `location` without its password, for output. */
export function shownLocation(location: string): string {
  return isServerLocation(location) ? redact(location) : location;
}

/** Commands that read files (verify, repair) refuse a server location with a usage error. */
export function requireFiles(location: string, command: string): void {
  if (isServerLocation(location)) {
    throw usageError(`${command} checks a store's files; ${shownLocation(location)} is kept by its database server`);
  }
}

/**
 * Fails with exit code 3 unless `dir` is an existing directory: a typo must not create a store.
 * A server location passes: the server says whether the store exists (OPSLOG_NOT_FOUND).
 */
export async function requireStoreDirectory(dir: string): Promise<void> {
  if (isServerLocation(dir)) return;
  let isDirectory = false;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new CliError("OPSLOG_NOT_FOUND", `no store directory at ${dir}`, exitCodes.notFound);
  }
}

/**
 * Opens a store for reading: no lock is taken, so this works while another process writes.
 * The callback's result is returned after the store is closed, whatever happens.
 */
export async function withReadStore<R>(
  dir: string,
  use: (store: AnyStore) => Promise<R>,
  /**
   * follow: the store stays current with a writer in another process (log --follow);
   * indexes: built for this run only (find --index), as a program declares them.
   */
  options: { follow?: boolean; indexes?: IndexDeclarations } = {},
): Promise<R> {
  await requireStoreDirectory(dir);
  const store: AnyStore = new Store();
  const indexes = options.indexes === undefined ? {} : { indexes: options.indexes };
  await store.open(dir, { readOnly: true, follow: options.follow === true, ...indexes });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

export interface WriteOpenOptions {
  /** Create the directory when it is missing (import); otherwise a missing one is exit 3. */
  create?: boolean;
  repair?: boolean;
}

/** Opens a store as its single writer; a held lock fails with OPSLOG_LOCKED (exit 4). */
export async function withWriteStore<R>(
  dir: string,
  options: WriteOpenOptions,
  use: (store: AnyStore) => Promise<R>,
): Promise<R> {
  if (!options.create) await requireStoreDirectory(dir);
  const store: AnyStore = new Store();
  await store.open(dir, { repair: options.repair ?? false });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
