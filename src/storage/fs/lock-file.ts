import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { LockedError, type LockHolder } from "../../errors.js";
import { assert } from "../../util/assert.js";
import type { FileSystem } from "./file-system.js";
import { lockFile } from "./log-format.js";
import {
  createExclusive,
  readLockFile,
  releaseIfOurs,
  takeOver,
  type LockFileState,
  type LockRecord,
} from "./lock-takeover.js";

/** A LOCK that is empty or unparsable (an older opslog creates it, then writes it) is taken as
 * being written until it is this old. */
export const lockUnreadableStaleMs = 10_000;

/** How far before this process's start a LOCK with our pid must have been written to count as
 * left by an earlier process with the same pid (clock and uptime rounding, small clock steps). */
export const ownPidStartSlackMs = 5_000;

/** Attempts at taking a lock that a dead process left behind (each can find the state changed). */
const staleLockRetries = 4;

/** The real paths of the directories locked in this realm, shared by every copy of opslog
 * loaded in it (two copies under two URLs must not both open one directory). */
const registryKey = Symbol.for("opslog.lockedDirectories");
/** A random id of this realm (a worker thread is another realm of the same pid). */
const realmKey = Symbol.for("opslog.lockRealm");

/**
 * The writer lock of a store directory (SPEC §2.5, docs/FORMAT.md "LOCK"). One lock per real
 * directory: the key is the directory's real path, in a registry on globalThis. The LOCK file
 * appears complete or not at all (written to a temp file, then hard-linked into place), and a
 * stale one is taken over atomically (lock-takeover.ts).
 */
export class DirectoryLock {
  private constructor(
    private readonly fs: FileSystem,
    private readonly key: string,
    private readonly file: string,
    private readonly text: string,
  ) {}

  /** The token unique to this acquisition (the durability mark names its session by it). */
  get token(): string {
    const token = (JSON.parse(this.text) as LockRecord).token;
    assert(typeof token === "string", "a LOCK this process wrote has a token");
    return token;
  }

  /** `dir` must exist (its real path is the key). */
  static acquire(fs: FileSystem, dir: string): DirectoryLock {
    const key = fs.realpath(dir);
    assert(path.isAbsolute(key), "a real path is absolute");
    const file = path.join(key, lockFile);
    const held = lockedDirectories();
    if (held.has(key)) throw lockedBy(dir, readLockFile(fs, file));
    for (let attempt = 0; attempt < staleLockRetries; attempt++) {
      const text = lockText();
      const won = createExclusive(fs, file, text) || takeOverIfStale(fs, dir, file, text);
      if (won) {
        held.add(key);
        return new DirectoryLock(fs, key, file, text);
      }
    }
    throw lockedBy(dir, readLockFile(fs, file));
  }

  release(): void {
    if (!lockedDirectories().delete(this.key)) return;
    releaseIfOurs(this.fs, this.file, this.text);
  }
}

/** True when the LOCK was stale and is now ours; false to start again; throws when live. */
function takeOverIfStale(fs: FileSystem, dir: string, file: string, text: string): boolean {
  const seen = readLockFile(fs, file);
  if (seen === undefined) return false; // Released meanwhile: create it again.
  if (!isStale(seen)) throw lockedBy(dir, seen);
  const outcome = takeOver(fs, file, seen, { lock: text, mutex: lockText() }, isStale);
  if (outcome.kind === "busy") throw lockedBy(dir, outcome.by);
  return outcome.kind === "won";
}

export function currentHolder(): LockHolder {
  return { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
}

/** A LOCK file's text; its random token makes every acquisition's text unique. */
function lockText(): string {
  const record: LockRecord = {
    ...currentHolder(), realm: realmId(), token: randomBytes(8).toString("hex"),
  };
  return `${JSON.stringify(record)}\n`;
}

/** The holder named in a LOCK file; null when it is missing or unreadable (a torn write). */
export function readHolder(fs: FileSystem, file: string): LockHolder | null {
  const record = readLockFile(fs, file)?.record;
  if (!record) return null;
  return { pid: record.pid, hostname: record.hostname, startedAt: record.startedAt };
}

function lockedBy(dir: string, state: LockFileState | undefined): LockedError {
  const record = state?.record;
  if (record) {
    const holder = { pid: record.pid, hostname: record.hostname, startedAt: record.startedAt };
    return new LockedError(dir, holder);
  }
  if (state === undefined) return new LockedError(dir, undefined);
  return new LockedError(dir, undefined, "a writer whose LOCK file is not written yet");
}

/** Whether a LOCK (or takeover mutex) file may be taken from its holder. */
/**
 * Whether `state`, the LOCK of `dir`, is held by a live writer: for readers, who (unlike a
 * writer taking the lock) have not checked this realm's registry first. A LOCK of this realm is
 * live exactly when the registry holds the directory.
 */
export function isHeldLive(fs: FileSystem, dir: string, state: LockFileState): boolean {
  const record = state.record;
  const ours = record !== null && record.hostname === os.hostname() && record.pid === process.pid;
  if (ours && record.realm === realmId()) return lockedDirectories().has(fs.realpath(dir));
  return !isStale(state);
}

export function isStale(state: LockFileState): boolean {
  if (!state.record) {
    // Unknown age (an injected file system without mtimes): as before, unreadable is stale.
    if (state.mtimeMs === undefined) return true;
    return Date.now() - state.mtimeMs > lockUnreadableStaleMs;
  }
  return !isLive(state.record);
}

function isLive(record: LockRecord): boolean {
  if (record.hostname !== os.hostname()) return true; // Cannot check another host: assume live.
  if (record.pid === process.pid) return ownPidIsLive(record);
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * A LOCK naming our own pid. Written by this realm: our registry (checked first) does not hold
 * the directory, so it is left over (a failed release, a crashed simulated disk). Written by
 * another realm (a worker thread, with its own globalThis): live, unless written before this
 * process started, by an earlier process that had the same pid.
 */
function ownPidIsLive(record: LockRecord): boolean {
  if (record.realm === realmId()) return false;
  const startedAt = Date.parse(record.startedAt);
  if (Number.isNaN(startedAt)) return true; // Cannot tell: assume live.
  const processStartedAt = Date.now() - process.uptime() * 1000;
  return startedAt >= processStartedAt - ownPidStartSlackMs;
}

function lockedDirectories(): Set<string> {
  const global = globalThis as Record<symbol, unknown>;
  global[registryKey] ??= new Set<string>();
  const registry = global[registryKey];
  assert(registry instanceof Set, "globalThis[opslog.lockedDirectories] is a Set");
  return registry as Set<string>;
}

function realmId(): string {
  const global = globalThis as Record<symbol, unknown>;
  global[realmKey] ??= randomBytes(8).toString("hex");
  const realm = global[realmKey];
  assert(typeof realm === "string", "globalThis[opslog.lockRealm] is a string");
  return realm as string;
}
