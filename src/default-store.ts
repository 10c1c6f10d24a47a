import { Store as StoreFacade } from "./store.js";
import { FileStorage, type FileStorageOptions } from "./storage/fs/fs-storage.js";
import type { Storage } from "./storage/port.js";
import { isPostgresUrl, optionsFromUrl } from "./storage/postgres/pg-options.js";
import { PostgresStorage } from "./storage/postgres/pg-storage.js";
import type { StoreOptions } from "./types.js";

/** Options of open() given a path: the store's own, plus those of the files storage. */
export type OpenOptions<T> = StoreOptions<T> & FileStorageOptions;

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
