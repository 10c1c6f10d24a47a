/**
 * The storage contract suite (docs/STORAGE.md), published as `opslog/testing`: every Storage
 * adapter, ours or a third party's, must pass it. Runner-agnostic, like abstract-level's
 * compliance suite: pass your runner's test function, and assertions use node:assert/strict.
 *
 *     import { it } from "vitest";
 *     import { storageContract } from "opslog/testing";
 *     storageContract({ name: "mine", create: () => new MyStorage(), test: it });
 */
import { checkpointContract } from "./contract-checkpoint.js";
import type { StorageContractOptions } from "./contract-kit.js";
import { logContract } from "./contract-log.js";
import { powersContract } from "./contract-powers.js";

export type { StorageContractOptions } from "./contract-kit.js";
export type * from "../storage/port.js";

/**
 * Registers the contract tests for one adapter. A test of a capability the adapter does not
 * declare (exclusive writer, archive, tail) passes without doing anything; the tests that need
 * two handles on the same data at once (a reader beside a writer) are registered only when
 * `reopen` is given. Each test creates its own storage and closes whatever it opened.
 */
export function storageContract(options: StorageContractOptions): void {
  logContract(options);
  checkpointContract(options);
  powersContract(options);
}
