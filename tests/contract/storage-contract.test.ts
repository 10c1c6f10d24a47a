import { describe, it } from "vitest";
import { FileStorage } from "../../src/storage/fs/fs-storage.js";
import { MemoryStorage } from "../../src/storage/memory/memory-storage.js";
import type { Storage } from "../../src/storage/port.js";
import {
  storageContract,
  type StorageContractOptions,
} from "../../src/testing/storage-contract.js";
import { SimFileSystem } from "../helpers/sim-fs.js";
import { tempDir } from "../helpers/temp-dir.js";

let simSeed = 0;

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
    // The reference shared log (storage/shared-port.ts): opens at its head, as PostgreSQL does.
    name: "memory (shared log)",
    create: () => new MemoryStorage({ shared: true }),
    reopen: (previous: Storage) => new MemoryStorage({ shareWith: previous as MemoryStorage }),
  },
  {
    // Without reopen: the same handle is opened again after close.
    name: "memory (same handle)",
    create: () => new MemoryStorage(),
  },
  {
    name: "files",
    create: () => new FileStorage(tempDir("opslog-contract-")),
    reopen: (previous: Storage) => new FileStorage(previous.location),
  },
  {
    // The simulated file system of the crash and fault tests (nothing crashes here).
    name: "files (simulated file system)",
    create: () => simStorage(new SimFileSystem({ seed: ++simSeed })),
    reopen: (previous: Storage) => simStorage(fileSystemOf(previous)),
  },
];

/** The simulated file system each storage made by simStorage works on. */
const fileSystems = new WeakMap<Storage, SimFileSystem>();

function simStorage(fileSystem: SimFileSystem): FileStorage {
  const storage = new FileStorage("/data", { fileSystem });
  fileSystems.set(storage, fileSystem);
  return storage;
}

function fileSystemOf(storage: Storage): SimFileSystem {
  const fs = fileSystems.get(storage);
  if (!fs) throw new Error("not a storage created by this file");
  return fs;
}

for (const adapter of adapters) {
  describe(adapter.name, () => {
    storageContract({ ...adapter, test: it });
  });
}
