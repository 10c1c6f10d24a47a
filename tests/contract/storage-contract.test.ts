import { describe, it } from "vitest";
import { MemoryStorage } from "../../src/storage/memory/memory-storage.js";
import type { Storage } from "../../src/storage/port.js";
import {
  storageContract,
  type StorageContractOptions,
} from "../../src/testing/storage-contract.js";

/**
 * Every storage adapter runs the one contract suite (docs/STORAGE.md). Adding an adapter is
 * adding one entry here.
 */
const adapters: Omit<StorageContractOptions, "test">[] = [
  {
    name: "memory",
    create: () => new MemoryStorage(),
    reopen: (previous: Storage) => new MemoryStorage({ shareWith: previous as MemoryStorage }),
  },
  {
    name: "memory (asyncCommit)",
    create: () => new MemoryStorage({ asyncCommit: true }),
    reopen: (previous: Storage) =>
      new MemoryStorage({ shareWith: previous as MemoryStorage, asyncCommit: true }),
  },
  {
    name: "memory (shared writers)",
    create: () => new MemoryStorage({ exclusiveWriter: false }),
    reopen: (previous: Storage) => new MemoryStorage({ shareWith: previous as MemoryStorage }),
  },
  {
    // Without reopen: the same handle is opened again after close.
    name: "memory (same handle)",
    create: () => new MemoryStorage(),
  },
];

for (const adapter of adapters) {
  describe(adapter.name, () => {
    storageContract({ ...adapter, test: it });
  });
}
