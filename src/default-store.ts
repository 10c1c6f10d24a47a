import { Store as StoreFacade } from "./store.js";
import { FileStorage, type FileStorageOptions } from "./storage/fs/fs-storage.js";
import type { Storage } from "./storage/port.js";
import { isPostgresUrl, optionsFromUrl } from "./storage/postgres/pg-options.js";
import { PostgresStorage } from "./storage/postgres/pg-storage.js";
import type { StoreOptions } from "./types.js";
import type { InferOutput, StandardSchemaV1 } from "./model/standard-schema.js";

/** Options of open() given a path: the store's own, plus those of the files storage. */
export type OpenOptions<T> = StoreOptions<T> & FileStorageOptions;

/**
 * OpenOptions whose record type is the output of `schema`. `schema` is typed as S alone: were
 * it also a StandardSchemaV1 of InferOutput<S>, TypeScript would infer S from itself (arktype's
 * types then exceed its instantiation depth).
 */
export type SchemaOpenOptions<S extends StandardSchemaV1> =
  Omit<OpenOptions<InferOutput<S>>, "schema"> & { schema: S };

/**
 * The composition root: the facade (store.ts) knows storage only through the port; this is
 * where a path becomes the default storage, files. `open("./data", { fileSystem })` is
 * `open(new FileStorage("./data", { fileSystem }))`.
 */
export class Store<T = Record<string, unknown>> extends StoreFacade<T> {
  constructor() {
    super((dir, options) => {
      // A postgres:// URL: the PostgreSQL storage (pg itself loads only in its open()).
      if (isPostgresUrl(dir)) return new PostgresStorage(optionsFromUrl(dir));
      const { fileSystem, followPollMs, followWatch } = options as FileStorageOptions;
      return new FileStorage(dir, { fileSystem, followPollMs, followWatch });
    });
  }

  override open(target: string | Storage, options?: OpenOptions<T>): Promise<void> {
    return super.open(target, options);
  }
}

/**
 * Creates a Store and opens it. Given a `schema`, the record type is the schema's output:
 * `const store = await openStore(dir, { schema: z.object({ title: z.string() }) })` is a
 * `Store<{ title: string }>`.
 */
export function openStore<S extends StandardSchemaV1>(
  target: string | Storage,
  options: SchemaOpenOptions<S>,
): Promise<Store<InferOutput<S>>>;
export function openStore<T = Record<string, unknown>>(
  target: string | Storage,
  options?: OpenOptions<T>,
): Promise<Store<T>>;
export async function openStore(
  target: string | Storage,
  options?: OpenOptions<unknown>,
): Promise<Store<unknown>> {
  const store = new Store<unknown>();
  await store.open(target, options);
  return store;
}
